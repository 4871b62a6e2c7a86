"""Five functions of two variables, each with its exact gradient, minima and window.

See chapter: Gradient descent (book/06_gradient_descent.ipynb)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "Landscape",
    "bowl",
    "valley",
    "rosenbrock",
    "himmelblau",
    "saddle",
    "LANDSCAPES",
    "get_landscape",
]


@dataclass(frozen=True)
class Landscape:
    """A function of two variables with its gradient, minima and a window to look at it.

    ``f`` and ``grad`` take ``xy`` of shape ``(..., 2)``; ``f`` returns shape ``(...)``,
    ``grad`` shape ``(..., 2)``. Calling the landscape calls ``f``.
    """

    name: str
    f_: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad_: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...] = ()
    saddles: tuple[tuple[float, float], ...] = ()
    log_levels: bool = (
        False  # contour levels spaced on a log scale (steep walls, flat floor)
    )
    formula: str = field(default="", compare=False)

    def f(self, xy: ArrayLike) -> np.ndarray:
        xy = np.asarray(xy, dtype=np.float64)
        return self.f_(xy[..., 0], xy[..., 1])

    def grad(self, xy: ArrayLike) -> np.ndarray:
        xy = np.asarray(xy, dtype=np.float64)
        return np.stack(self.grad_(xy[..., 0], xy[..., 1]), axis=-1)

    __call__ = f

    def grid(self, resolution: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``X, Y, Z`` on a ``resolution × resolution`` grid over the window (plots)."""
        X, Y = np.meshgrid(
            np.linspace(*self.xlim, resolution), np.linspace(*self.ylim, resolution)
        )
        return X, Y, self.f_(X, Y)


bowl = Landscape(
    "bowl",
    lambda x, y: x**2 + y**2,
    lambda x, y: (2 * x, 2 * y),
    (-2, 2),
    (-2, 2),
    (-1.5, 1.7),
    minima=((0.0, 0.0),),
    formula=r"$x^2 + y^2$",
)
valley = Landscape(
    "valley",
    lambda x, y: 0.5 * (x**2 + 20 * y**2),
    lambda x, y: (x, 20 * y),
    (-4, 4),
    (-2, 2),
    (-3.5, 1.5),
    minima=((0.0, 0.0),),
    formula=r"$\frac{1}{2}(x^2 + 20y^2)$",
)
rosenbrock = Landscape(
    "rosenbrock",
    lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
    lambda x, y: (-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)),
    (-2, 2),
    (-1, 3),
    (-1.5, 2.0),
    minima=((1.0, 1.0),),
    log_levels=True,
    formula=r"$(1-x)^2 + 100(y-x^2)^2$",
)
himmelblau = Landscape(
    "himmelblau",
    lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
    lambda x, y: (
        4 * x * (x**2 + y - 11) + 2 * (x + y**2 - 7),
        2 * (x**2 + y - 11) + 4 * y * (x + y**2 - 7),
    ),
    (-5, 5),
    (-5, 5),
    (0.0, 0.0),
    log_levels=True,
    formula=r"$(x^2+y-11)^2 + (x+y^2-7)^2$",
    minima=(
        (3.0, 2.0),
        (-2.805118086952745, 3.131312518250573),
        (-3.779310253377747, -3.283185991286170),
        (3.584428340330492, -1.848126526964404),
    ),
)
saddle = Landscape(
    "saddle",
    lambda x, y: x**2 - y**2,
    lambda x, y: (2 * x, -2 * y),
    (-2, 2),
    (-2, 2),
    (-1.8, 0.05),
    saddles=((0.0, 0.0),),
    formula=r"$x^2 - y^2$",
)

LANDSCAPES: dict[str, Landscape] = {
    s.name: s for s in (bowl, valley, rosenbrock, himmelblau, saddle)
}


def get_landscape(landscape: Landscape | str) -> Landscape:
    """The landscape itself, or the one of :data:`LANDSCAPES` called ``landscape``."""
    if isinstance(landscape, Landscape):
        return landscape
    try:
        return LANDSCAPES[landscape]
    except KeyError:
        raise ValueError(
            f"unknown landscape {landscape!r}: choose one of {sorted(LANDSCAPES)}"
        ) from None

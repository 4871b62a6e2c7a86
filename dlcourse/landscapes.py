"""Two-dimensional loss landscapes, and optimisers walking on them.

A real network's loss lives in millions of dimensions; these surfaces ``f(x, y)`` show,
in two, what gradient descent ``p ← p - η ∇f(p)`` and its variants do:

==========  ==============================  ========================================
name        f(x, y)                         why it is here
==========  ==============================  ========================================
bowl        x² + y²                         the easy case: every method converges
valley      ½ (x² + 20 y²)                  ill-conditioned (curvatures 1 and 20):
                                            SGD zig-zags across and crawls along;
                                            momentum helps
rosenbrock  (1 - x)² + 100 (y - x²)²        a curved, flat-bottomed banana valley
himmelblau  (x² + y - 11)² + (x + y² - 7)²  four minima: where you end depends on
                                            the start
saddle      x² - y²                         zero gradient that is not a minimum
==========  ==============================  ========================================

Each :class:`Landscape` knows its analytic gradient, its minima, a plotting window and
a good starting point. :func:`trajectory` runs a ``dlcourse.optim`` (or ``torch.optim``)
optimiser on a parameter of shape ``(2,)``, feeding it the analytic gradient.

See chapter: Gradient descent
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from numpy.typing import ArrayLike

from .animation import png_size, to_html
from .viz import OKABE_ITO

__all__ = [
    "Landscape",
    "bowl",
    "valley",
    "rosenbrock",
    "himmelblau",
    "saddle",
    "LANDSCAPES",
    "trajectory",
    "plot_contour",
    "plot_surface",
    "animate_descent",
    "lr_slider",
    "LRSlider",
]

COLORS = (
    OKABE_ITO[1:] + OKABE_ITO[:1]
)  # colour-blind safe; orange first, it stands out on viridis


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


def _get(landscape: Landscape | str) -> Landscape:
    if isinstance(landscape, Landscape):
        return landscape
    try:
        return LANDSCAPES[landscape]
    except KeyError:
        raise ValueError(
            f"unknown landscape {landscape!r}: choose one of {sorted(LANDSCAPES)}"
        ) from None


def trajectory(
    landscape: Landscape | str,
    optimizer_cls: type,
    start: ArrayLike | None = None,
    steps: int = 50,
    **opt_kwargs: Any,
) -> np.ndarray:
    """Positions ``(steps + 1, 2)`` of an optimiser started at ``start`` (row 0).

    ``optimizer_cls`` is e.g. ``dlcourse.optim.SGD`` (then the parameter is a
    ``dlcourse.autograd.Tensor``) or a ``torch.optim`` class (a float64
    ``torch.Tensor``); ``opt_kwargs`` go to its constructor (``lr=0.1,
    momentum=0.9``...). Each step puts the landscape's analytic gradient into
    ``p.grad`` and calls ``optimizer.step()``.
    Once the walk diverges (a non-finite position) the remaining rows are NaN.
    """
    land = _get(landscape)
    start = np.asarray(land.start if start is None else start, dtype=np.float64)
    if start.shape != (2,):
        raise ValueError(f"trajectory: start must have shape (2,), got {start.shape}")
    import torch

    if isinstance(optimizer_cls, type) and issubclass(
        optimizer_cls, torch.optim.Optimizer
    ):
        p = torch.tensor(start, requires_grad=True)
        set_grad = lambda: setattr(
            p, "grad", torch.from_numpy(land.grad(p.detach().numpy()))
        )
        position = lambda: p.detach().numpy().copy()
    else:
        from .autograd import Tensor

        p = Tensor(start.copy(), requires_grad=True)
        set_grad = lambda: setattr(p, "grad", land.grad(p.data))
        position = lambda: p.data.copy()
    opt = optimizer_cls([p], **opt_kwargs)
    path = np.full((steps + 1, 2), np.nan)
    path[0] = start
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            opt.zero_grad()
            set_grad()
            opt.step()
            path[t] = position()
            if not np.isfinite(path[t]).all():
                path[t] = np.nan
                break
    return path


def _as_dict(trajectories: Any) -> dict[str, np.ndarray]:
    if trajectories is None:
        return {}
    if isinstance(trajectories, Mapping):
        return {str(k): np.asarray(v, dtype=float) for k, v in trajectories.items()}
    arr = (
        np.asarray(trajectories, dtype=float)
        if not isinstance(trajectories, (list, tuple))
        else None
    )
    if arr is not None and arr.ndim == 2:
        return {"": arr}
    return {
        f"path {i + 1}": np.asarray(t, dtype=float) for i, t in enumerate(trajectories)
    }


def _levels(land: Landscape, Z: np.ndarray, n: int) -> np.ndarray:
    if land.log_levels:
        lo = max(Z.min(), 1e-3)
        return np.geomspace(lo, Z.max(), n)
    return np.unique(
        np.quantile(Z, np.linspace(0, 1, n))
    )  # evenly many lines everywhere


def plot_contour(
    landscape: Landscape | str,
    trajectories: Any = None,
    ax: plt.Axes | None = None,
    levels: int = 30,
    resolution: int = 200,
    title: str | None = None,
    filled: bool = False,
) -> plt.Axes:
    """Contour map of the landscape, its minima (★) and saddles (×), and optional paths.

    ``trajectories``: one ``(T, 2)`` array, a list of them, or ``{label: array}``.
    ``filled`` shades the bands between levels instead of drawing lines (flat colours
    also compress far better, which keeps animations small).
    """
    land = _get(landscape)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    X, Y, Z = land.grid(resolution)
    if filled:
        ax.contourf(X, Y, Z, levels=_levels(land, Z, levels), cmap="viridis", alpha=0.5)
    else:
        ax.contour(
            X, Y, Z, levels=_levels(land, Z, levels), cmap="viridis", linewidths=0.8
        )
    for m in land.minima:
        ax.plot(*m, "*", color="black", ms=12, mfc="white", zorder=5)
    for s in land.saddles:
        ax.plot(*s, "x", color="black", ms=10, mew=2, zorder=5)
    for (label, path), color in zip(_as_dict(trajectories).items(), COLORS * 4):
        ax.plot(
            path[:, 0], path[:, 1], "o-", color=color, ms=3, lw=1.5, label=label or None
        )
    if any(_as_dict(trajectories)):
        ax.legend(loc="best", fontsize=8)
    ax.set(
        xlim=land.xlim,
        ylim=land.ylim,
        xlabel="$x$",
        ylabel="$y$",
        aspect="auto",
        title=title if title is not None else f"{land.name}: {land.formula}",
    )
    return ax


def plot_surface(
    landscape: Landscape | str, ax: Any = None, resolution: int = 80
) -> Any:
    """3-D surface plot (viridis); returns the 3-D axes."""
    land = _get(landscape)
    if ax is None:
        ax = plt.figure(figsize=(5, 4)).add_subplot(projection="3d")
    X, Y, Z = land.grid(resolution)
    ax.plot_surface(X, Y, Z, cmap="viridis", linewidth=0, antialiased=True, alpha=0.9)
    ax.set(
        xlabel="$x$", ylabel="$y$", zlabel="$f$", title=f"{land.name}: {land.formula}"
    )
    return ax


def animate_descent(
    landscape: Landscape | str,
    trajectories: Any,
    frames: int = 30,
    interval: int = 150,
    dpi: int = 72,
    alt: str | None = None,
) -> str:
    """HTML (``FuncAnimation.to_jshtml``) of the paths being walked, step by step.

    At most 40 frames and dpi ≤ 80 keep the page light: long paths are subsampled.
    ``alt`` describes the animation for screen readers (by default: which paths, on
    which landscape).
    """
    paths = _as_dict(trajectories)
    if not paths:
        raise ValueError("animate_descent: no trajectories given")
    frames, dpi = min(int(frames), 40), min(int(dpi), 80)
    length = max(len(p) for p in paths.values())
    stops = np.unique(np.linspace(1, length, min(frames, length)).round().astype(int))
    fig, ax = plt.subplots(figsize=(5, 4), dpi=dpi)
    plot_contour(landscape, ax=ax, levels=15, resolution=120, filled=True)
    lines = [
        ax.plot([], [], "o-", color=c, ms=3, lw=1.5, label=k or None)[0]
        for k, c in zip(paths, COLORS * 4)
    ]
    if any(paths):
        ax.legend(loc="upper right", fontsize=8)
    title = ax.get_title()

    def draw(i: int):
        for line, path in zip(lines, paths.values()):
            line.set_data(path[: stops[i], 0], path[: stops[i], 1])
        ax.set_title(f"{title}  (step {stops[i] - 1})", fontsize=9)
        return lines

    anim = FuncAnimation(fig, draw, frames=len(stops), interval=interval, blit=False)
    if alt is None:
        names = ", ".join(map(str, paths))
        alt = (
            f"Animation: {len(paths)} optimisation path(s) ({names}) walking downhill "
            f"on the contour map of the {_get(landscape).name} landscape, step by step"
        )
    html = to_html(anim, alt=alt)
    plt.close(fig)
    return html


def _png(fig: plt.Figure) -> tuple[bytes, int]:
    """``fig`` as a PNG drawn at twice its resolution (sharp on high-resolution screens),
    and the width in pixels to show it at."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", dpi=2 * fig.dpi)
    plt.close(fig)
    png = buf.getvalue()
    size = png_size(png)
    return png, (size[0] // 2 if size else 0)


class LRSlider:
    """A learning-rate slider: an ipywidgets view in Jupyter, a static PNG in the book.

    ``_repr_mimebundle_`` returns the widget view *and* an ``image/png`` of small
    multiples (one panel per learning rate in ``lrs``): a live kernel renders the
    widget, a static renderer (the published book) falls back to the picture.
    """

    def __init__(
        self,
        landscape: Landscape | str,
        start: ArrayLike | None,
        lrs: Sequence[float],
        optimizer_cls: type | None = None,
        steps: int = 30,
        **opt_kwargs: Any,
    ) -> None:
        if optimizer_cls is None:
            from .optim import SGD as optimizer_cls
        self.landscape, self.lrs = _get(landscape), [float(lr) for lr in lrs]
        if not self.lrs or min(self.lrs) <= 0:
            raise ValueError(
                f"lr_slider: need at least one positive learning rate, got {list(lrs)}"
            )
        self.start, self.optimizer_cls, self.steps, self.opt_kwargs = (
            start,
            optimizer_cls,
            steps,
            opt_kwargs,
        )
        self._widget = None

    def path(self, lr: float) -> np.ndarray:
        return trajectory(
            self.landscape,
            self.optimizer_cls,
            self.start,
            self.steps,
            lr=lr,
            **self.opt_kwargs,
        )

    def _panel(self, lr: float, ax: plt.Axes) -> None:
        path = self.path(lr)
        last = path[np.isfinite(path).all(axis=1)][-1]
        f_last = self.landscape.f(last)
        diverged = np.isnan(path[-1]).any() or f_last > self.landscape.f(path[0])
        verdict = "diverges" if diverged else f"f = {f_last:.3g}"
        plot_contour(self.landscape, {"": path}, ax=ax, title=f"lr = {lr:g}: {verdict}")
        ax.title.set_fontsize(9)

    def static_png(self) -> tuple[bytes, int]:
        """Small multiples, one panel per learning rate (the fallback image), and the
        width to show it at."""
        n = len(self.lrs)
        fig, axes = plt.subplots(1, n, figsize=(2.6 * n, 2.4), dpi=72, squeeze=False)
        for lr, ax in zip(self.lrs, axes[0]):
            self._panel(lr, ax)
            ax.set(xlabel="", ylabel="")
            ax.tick_params(labelsize=7)
        fig.tight_layout()
        return _png(fig)

    def widget(self):
        """The ipywidgets view: a ``FloatLogSlider`` that redraws the path."""
        if self._widget is None:
            import ipywidgets as W

            slider = W.FloatLogSlider(
                value=float(np.sqrt(min(self.lrs) * max(self.lrs))),
                base=10,
                min=np.log10(min(self.lrs)),
                max=np.log10(max(self.lrs)),
                step=0.05,
                description="lr",
                continuous_update=False,
            )
            image = W.Image(format="png")

            def redraw(change: Any = None) -> None:
                fig, ax = plt.subplots(figsize=(5, 4), dpi=72)
                self._panel(slider.value, ax)
                image.value, width = _png(fig)
                image.width = str(width)  # shown at its size, not stretched to the cell

            slider.observe(redraw, names="value")
            redraw()
            self._widget = W.VBox([slider, image])
        return self._widget

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        png, width = self.static_png()
        bundle = {
            "text/plain": repr(self),
            "image/png": base64.b64encode(png).decode("ascii"),
        }
        bundle.update(
            {
                k: v
                for k, v in self.widget()._repr_mimebundle_().items()
                if k != "text/plain"
            }
        )
        if include:
            bundle = {k: v for k, v in bundle.items() if k in include}
        if exclude:
            bundle = {k: v for k, v in bundle.items() if k not in exclude}
        return bundle, {"image/png": {"width": width}}

    def __repr__(self) -> str:
        return (
            f"LRSlider({self.landscape.name}, {self.optimizer_cls.__name__}, "
            f"lrs={self.lrs}, steps={self.steps})"
        )


def lr_slider(
    landscape: Landscape | str,
    start: ArrayLike | None = None,
    lrs: Sequence[float] = (0.01, 0.1, 0.5, 1.05),
    optimizer_cls: type | None = None,
    steps: int = 30,
    **opt_kwargs: Any,
) -> LRSlider:
    """Explore the learning rate on a landscape (default: ``dlcourse.optim.SGD``).

    Displayed in Jupyter it is a slider; on a static page, one panel per ``lrs`` entry.
    """
    return LRSlider(landscape, start, lrs, optimizer_cls, steps, **opt_kwargs)

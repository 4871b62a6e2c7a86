"""An optimiser walking on a landscape, fed the landscape's exact gradient.

See chapter: Gradient descent (book/06_gradient_descent.ipynb)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .surfaces import Landscape, get_landscape

__all__ = ["trajectory"]


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
    land = get_landscape(landscape)
    start = np.asarray(land.start if start is None else start, dtype=np.float64)
    if start.shape != (2,):
        raise ValueError(f"trajectory: start must have shape (2,), got {start.shape}")
    import torch

    # The optimiser reads p.grad and updates p in place; only how p is made and read
    # differs between a torch and a dlcourse parameter.
    p: Any
    on_torch = isinstance(optimizer_cls, type) and issubclass(
        optimizer_cls, torch.optim.Optimizer
    )
    if on_torch:
        p = torch.tensor(start, requires_grad=True)
    else:
        from ..autograd import Tensor

        p = Tensor(start.copy(), requires_grad=True)

    def position() -> np.ndarray:
        return (p.detach().numpy() if on_torch else p.data).copy()

    def set_grad() -> None:
        gradient = land.grad(position())
        p.grad = torch.from_numpy(gradient) if on_torch else gradient

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

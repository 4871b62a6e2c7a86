"""Softmax and log-softmax along one dimension.

softmax(a)ᵢ = e^(aᵢ - m) / Σⱼ e^(aⱼ - m) with m = max a: subtracting m changes nothing
mathematically and keeps every exponent ≤ 0, so nothing overflows.

See chapter: Backpropagation (book/07_backpropagation.ipynb)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dlcourse.autograd import core
from dlcourse.autograd.reductions import resolve_dim

if TYPE_CHECKING:
    from dlcourse.autograd.core import Tensor


def _one_dim(a: Tensor, dim: int | None, axis: int | None, name: str) -> int:
    (d,) = resolve_dim(
        dim if dim is not None or axis is not None else -1, axis, a.ndim, name
    )
    return d


def softmax(a: Tensor, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """Softmax along ``dim`` (the last by default). Backward, the Jacobian
    diag(s) - s sᵀ times g:  s ⊙ (g - Σ g ⊙ s)."""
    d = _one_dim(a, dim, axis, "softmax")
    z = np.exp(a.data - np.max(a.data, axis=d, keepdims=True))
    s = z / z.sum(axis=d, keepdims=True)

    def backward(g: np.ndarray) -> None:
        core.accumulate(a, s * (g - (g * s).sum(axis=d, keepdims=True)))

    return core.make_node(s, (a,), "softmax", backward)


def log_softmax(
    a: Tensor, dim: int | None = None, *, axis: int | None = None
) -> Tensor:
    """log_softmax(a) = a - m - log Σ e^(a - m)  (log-sum-exp trick).
    Backward: g - softmax(a) · Σ g."""
    d = _one_dim(a, dim, axis, "log_softmax")
    shifted = a.data - np.max(a.data, axis=d, keepdims=True)
    data = shifted - np.log(np.exp(shifted).sum(axis=d, keepdims=True))

    def backward(g: np.ndarray) -> None:
        core.accumulate(a, g - np.exp(data) * g.sum(axis=d, keepdims=True))

    return core.make_node(data, (a,), "log_softmax", backward)

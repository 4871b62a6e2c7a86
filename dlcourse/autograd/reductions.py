"""Reductions: sum, mean, var/std, max/min (with indices), argmax, logsumexp.

Arguments are PyTorch's: ``dim`` (an int, a tuple, or None for all dimensions; an empty
tuple also means all, as in PyTorch) and ``keepdim``; NumPy's ``axis`` and ``keepdims``
are accepted as aliases, as PyTorch does.

The backward of a reduction broadcasts the upstream gradient back over the reduced
dimensions (reshaped with ``keepdim=True`` first), times the local derivative.
``max(dim)`` gives the gradient to the index it returns; ``max()`` and ``amax`` share
it evenly among tied maxima, like PyTorch.

See chapter: Backpropagation (book/07_backpropagation.ipynb)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from dlcourse.autograd import core

if TYPE_CHECKING:
    from dlcourse.autograd.core import Tensor

Dim = int | tuple[int, ...] | list[int] | None


class ValuesIndices(NamedTuple):
    """What ``max(dim)`` and ``min(dim)`` return, like ``torch.return_types.max``."""

    values: Tensor
    indices: Tensor


def resolve_dim(dim: Any, axis: Any, ndim: int, name: str) -> tuple[int, ...]:
    """The reduced dimensions as sorted non-negative ints (``axis`` is ``dim``'s alias)."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{name}: give dim or its alias axis, not both")
        dim = axis
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    n = ndim or 1  # a 0-d tensor accepts dim 0 and -1, as in PyTorch
    for d in dims:
        if not -n <= d < n:
            raise IndexError(
                f"{name}: dimension {d} out of range for a {ndim}-D tensor "
                f"(expected in [{-n}, {n - 1}])"
            )
    return tuple(sorted({int(d) % ndim if ndim else 0 for d in dims}))


def resolve_keepdim(keepdim: bool, keepdims: bool | None) -> bool:
    """``keepdims`` is NumPy's spelling of PyTorch's ``keepdim``."""
    return bool(keepdim if keepdims is None else keepdims)


def _reduce(
    op: str,
    a: Tensor,
    dims: tuple[int, ...],
    keep: bool,
    kept: np.ndarray,
    slope: Any,
) -> Tensor:
    """The node for a reduction whose result, with the reduced dims kept, is ``kept``;
    dL/da = g (broadcast back) · ``slope()`` (``None`` for a slope of 1)."""
    data = kept if keep else kept.reshape(_drop(a.shape, dims))

    def backward(g: np.ndarray) -> None:
        g = np.broadcast_to(g.reshape(kept.shape), a.data.shape)
        core.accumulate(a, g if slope is None else g * slope())

    return core.make_node(data, (a,), op, backward)


def _drop(shape: tuple[int, ...], dims: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(n for i, n in enumerate(shape) if i not in dims)


def sum(
    a: Tensor,
    dim: Dim = None,
    keepdim: bool = False,
    *,
    axis: Dim = None,
    keepdims: bool | None = None,
) -> Tensor:
    """d(Σ a)/da = 1: every summed element receives g."""
    dims = resolve_dim(dim, axis, a.ndim, "sum")
    kept = np.add.reduce(a.data, axis=dims, keepdims=True)
    return _reduce("sum", a, dims, resolve_keepdim(keepdim, keepdims), kept, None)


def mean(
    a: Tensor,
    dim: Dim = None,
    keepdim: bool = False,
    *,
    axis: Dim = None,
    keepdims: bool | None = None,
) -> Tensor:
    """d(mean a)/da = 1/n for each of the n averaged elements (NaN for n = 0)."""
    dims = resolve_dim(dim, axis, a.ndim, "mean")
    n = int(np.prod([a.shape[d] for d in dims]))
    with np.errstate(invalid="ignore", divide="ignore"):
        kept = np.add.reduce(a.data, axis=dims, keepdims=True) / a.data.dtype.type(n)
    scale = np.array(1 / n if n else np.nan, a.data.dtype)
    keep = resolve_keepdim(keepdim, keepdims)
    return _reduce("mean", a, dims, keep, kept, lambda: scale)


def var(
    a: Tensor,
    dim: Dim = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    axis: Dim = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Σ (a - mean)² / (n - correction), ``correction=1`` by default (Bessel's, like
    PyTorch; ``unbiased=False`` means 0). d/da = 2 (a - mean) / (n - correction)."""
    if correction is None:
        correction = 0 if unbiased is False else 1
    dims = resolve_dim(dim, axis, a.ndim, "var")
    n = int(np.prod([a.shape[d] for d in dims]))
    centred = a.data - np.mean(a.data, axis=dims, keepdims=True)
    divisor = a.data.dtype.type(n - correction)
    with np.errstate(invalid="ignore", divide="ignore"):
        kept = np.add.reduce(centred * centred, axis=dims, keepdims=True) / divisor
        keep = resolve_keepdim(keepdim, keepdims)
        return _reduce("var", a, dims, keep, kept, lambda: 2 * centred / divisor)


def std(
    a: Tensor,
    dim: Dim = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
    axis: Dim = None,
    keepdims: bool | None = None,
) -> Tensor:
    """√var (same arguments as :func:`var`)."""
    return var(
        a, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims
    ).sqrt()


def amax(
    a: Tensor,
    dim: Dim = None,
    keepdim: bool = False,
    *,
    axis: Dim = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Maximum over ``dim`` (all by default); tied maxima share the gradient evenly:
    d(max a)/daᵢ = [aᵢ = max] / #{j : aⱼ = max}, like ``torch.amax``."""
    return _extreme("amax", np.max, a, dim, axis, resolve_keepdim(keepdim, keepdims))


def amin(
    a: Tensor,
    dim: Dim = None,
    keepdim: bool = False,
    *,
    axis: Dim = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Minimum over ``dim``; ties share the gradient evenly, like ``torch.amin``."""
    return _extreme("amin", np.min, a, dim, axis, resolve_keepdim(keepdim, keepdims))


def _extreme(op: str, pick: Any, a: Tensor, dim: Any, axis: Any, keep: bool) -> Tensor:
    if a.size == 0:
        raise RuntimeError(f"{op}: the tensor is empty; specify a non-empty dimension")
    dims = resolve_dim(dim, axis, a.ndim, op)
    kept = pick(a.data, axis=dims, keepdims=True)

    def share() -> np.ndarray:
        hit = a.data == kept
        return hit / np.add.reduce(hit, axis=dims, keepdims=True)

    return _reduce(op, a, dims, keep, kept, share)


def max(
    a: Tensor,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    axis: int | None = None,
    keepdims: bool | None = None,
) -> Any:
    """Without ``dim``: the largest element (a 0-d tensor; ties share the gradient).
    With ``dim``: ``(values, indices)`` like ``torch.max(x, dim)``; the gradient goes
    to the returned index (the first maximum)."""
    return _extreme_along("max", a, dim, axis, resolve_keepdim(keepdim, keepdims))


def min(
    a: Tensor,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    axis: int | None = None,
    keepdims: bool | None = None,
) -> Any:
    """Like :func:`max`, for the smallest element."""
    return _extreme_along("min", a, dim, axis, resolve_keepdim(keepdim, keepdims))


def _extreme_along(op: str, a: Tensor, dim: Any, axis: Any, keep: bool) -> Any:
    if dim is None and axis is None:
        return _extreme(op, np.max if op == "max" else np.min, a, None, None, False)
    if isinstance(dim if axis is None else axis, (tuple, list)):
        raise TypeError(f"{op}: dim must be an int (use amax/amin for several dims)")
    index = _arg(op, a, dim, axis, keepdim=True)
    (d,) = resolve_dim(dim, axis, a.ndim, op)
    kept = np.take_along_axis(a.data, index, axis=d) if a.ndim else a.data

    def backward(g: np.ndarray) -> None:
        full = np.zeros_like(a.data)
        if a.ndim:
            np.put_along_axis(full, index, g.reshape(kept.shape), axis=d)
        else:
            full = g.reshape(())
        core.accumulate(a, full)

    squeeze = (lambda x: x) if keep else (lambda x: x.reshape(_drop(a.shape, (d,))))
    values = core.make_node(squeeze(kept), (a,), op, backward)
    return ValuesIndices(values, core.leaf(squeeze(index)))


def _arg(op: str, a: Tensor, dim: Any, axis: Any, keepdim: bool) -> np.ndarray:
    """Index of the first max (or min) along one dim, as an int64 array."""
    find = np.argmax if op in ("max", "argmax") else np.argmin
    if dim is None and axis is None:
        return np.asarray(find(a.data), dtype=np.int64)
    (d,) = resolve_dim(dim, axis, a.ndim, op)
    if a.ndim == 0:
        return np.zeros((), np.int64)
    return find(a.data, axis=d, keepdims=keepdim).astype(np.int64)


def argmax(
    a: Tensor,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    axis: int | None = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Index of the (first) largest element along ``dim`` (of the flattened tensor if
    None): an int64 tensor without gradient, like ``torch.argmax``."""
    return core.leaf(_arg("argmax", a, dim, axis, resolve_keepdim(keepdim, keepdims)))


def argmin(
    a: Tensor,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    axis: int | None = None,
    keepdims: bool | None = None,
) -> Tensor:
    """Index of the (first) smallest element, like ``torch.argmin``."""
    return core.leaf(_arg("argmin", a, dim, axis, resolve_keepdim(keepdim, keepdims)))


def logsumexp(
    a: Tensor,
    dim: Dim,
    keepdim: bool = False,
    *,
    axis: Dim = None,
    keepdims: bool | None = None,
) -> Tensor:
    """log Σ eᵃ = m + log Σ e^(a - m), m = max a (nothing overflows); d/da = softmax(a).

    An infinite m is replaced by 0 (as PyTorch does), so all -inf gives -inf.
    """
    dims = resolve_dim(dim, axis, a.ndim, "logsumexp")
    m = np.max(a.data, axis=dims, keepdims=True, initial=-np.inf)
    m = np.where(np.isinf(m), 0, m).astype(a.data.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        kept = np.log(np.add.reduce(np.exp(a.data - m), axis=dims, keepdims=True)) + m
        keep = resolve_keepdim(keepdim, keepdims)
        return _reduce("logsumexp", a, dims, keep, kept, lambda: np.exp(a.data - kept))

"""Shape and indexing: the same numbers, arranged differently.

None of these compute anything, so each backward just arranges the gradient back the
way the input was: ``reshape`` reshapes it back, ``transpose``/``permute`` apply the
inverse permutation, ``expand`` sums over the copies, indexing scatters it into zeros
(adding where an element was picked several times), ``cat``/``stack`` cut it in pieces.

Names and meanings are PyTorch's: ``transpose(d0, d1)`` swaps two dimensions,
``permute(*dims)`` reorders all of them, and in ``x[0, :, [0, 1]]`` the integer selects
first (shape (3, 2) for a (2, 3, 4) tensor; NumPy would give (2, 3)).

See chapter: Backpropagation (book/07_backpropagation.ipynb)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from dlcourse.autograd import core

if TYPE_CHECKING:
    from dlcourse.autograd.core import Tensor


def _dims(args: tuple[Any, ...]) -> tuple[int, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` both mean (2, 3), as in PyTorch."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _wrap(d: int, ndim: int, op: str) -> int:
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(
            f"{op}: dimension {d} out of range for a {ndim}-D tensor "
            f"(expected in [{-n}, {n - 1}])"
        )
    return d % n


def reshape(a: Tensor, *shape: Any) -> Tensor:
    """Same numbers, new shape (one entry may be -1); the gradient is reshaped back."""
    new_shape = _dims(shape)
    try:
        data = a.data.reshape(new_shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape shape {a.shape} (size {a.size}) into shape "
            f"{new_shape}"
        ) from None
    return core.make_node(
        data, (a,), "reshape", lambda g: core.accumulate(a, g.reshape(a.data.shape))
    )


def permute(a: Tensor, *dims: Any) -> Tensor:
    """Reorder the dimensions: result dim i is input dim ``dims[i]`` (``torch.permute``)."""
    order = tuple(_wrap(d, a.ndim, "permute") for d in _dims(dims))
    if sorted(order) != list(range(a.ndim)):
        raise RuntimeError(
            f"permute: dims {_dims(dims)} are not a permutation of the {a.ndim} "
            f"dimensions of shape {a.shape}"
        )
    inverse = tuple(np.argsort(order))
    return core.make_node(
        a.data.transpose(order),
        (a,),
        "permute",
        lambda g: core.accumulate(a, g.transpose(inverse)),
    )


def transpose(a: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions (``torch.transpose``): ``x.transpose(0, 1)`` transposes a
    matrix, ``k.transpose(-2, -1)`` the last two dims of a batch. For a full
    reordering use :func:`permute`."""
    d0, d1 = _wrap(dim0, a.ndim, "transpose"), _wrap(dim1, a.ndim, "transpose")
    order = list(range(a.ndim))
    if a.ndim:
        order[d0], order[d1] = order[d1], order[d0]
    return permute(a, order)


def reverse_dims(a: Tensor) -> Tensor:
    """``x.T``: all dimensions reversed (the transpose of a matrix)."""
    return permute(a, tuple(range(a.ndim - 1, -1, -1)))


def squeeze(a: Tensor, dim: int | tuple[int, ...] | None = None) -> Tensor:
    """Drop dimensions of size 1 (all of them, or those in ``dim`` that have size 1:
    a ``dim`` of another size is left alone, as in PyTorch)."""
    if dim is None:
        dims = tuple(range(a.ndim))
    else:
        dims = tuple(_wrap(d, a.ndim, "squeeze") for d in _dims((dim,)))
    return reshape(
        a, tuple(n for i, n in enumerate(a.shape) if not (i in dims and n == 1))
    )


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim`` (−1: at the end)."""
    d = _wrap(dim, a.ndim + 1, "unsqueeze")
    return reshape(a, (*a.shape[:d], 1, *a.shape[d:]))


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim`` … ``end_dim`` into one (``torch.flatten``)."""
    if a.ndim == 0:
        return reshape(a, (1,))
    s, e = _wrap(start_dim, a.ndim, "flatten"), _wrap(end_dim, a.ndim, "flatten")
    if s > e:
        raise RuntimeError("flatten: start_dim cannot come after end_dim")
    merged = int(np.prod(a.shape[s : e + 1]))
    return reshape(a, (*a.shape[:s], merged, *a.shape[e + 1 :]))


def expand(a: Tensor, *sizes: Any) -> Tensor:
    """A broadcast view of ``a`` with shape ``sizes`` (-1 keeps a size); the gradient
    is summed over the copies."""
    target = _dims(sizes)
    lead = len(target) - a.ndim
    if lead < 0:
        raise RuntimeError(f"expand: {len(target)} sizes given for a {a.ndim}-D tensor")
    full = tuple(
        a.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(target)
    )
    try:
        data = np.broadcast_to(a.data, full)
    except ValueError:
        raise RuntimeError(
            f"expand: cannot expand shape {a.shape} to {target}"
        ) from None
    return core.make_node(data, (a,), "expand", lambda g: core.accumulate(a, g))


# ----------------------------------------------------------------------- indexing
def _index_array(item: Any) -> Any:
    """A Tensor used as an index must hold integers or booleans, as in PyTorch."""
    if isinstance(item, core.Tensor):
        if item.data.dtype.kind not in "iub":
            raise IndexError(
                "tensors used as indices must be integer or boolean; this one is "
                f"{item.data.dtype} (use argmax's result, or an integer NumPy array)"
            )
        return item.data
    if isinstance(item, list):
        return np.asarray(item)
    return item


def _is_advanced(item: Any) -> bool:
    return isinstance(item, np.ndarray)


def getitem(a: Tensor, index: Any) -> Tensor:
    """Indexing with integers, slices, None, ``...``, integer arrays and boolean masks.

    The gradient scatters g into zeros at the indexed positions; an element picked
    several times gets the sum (``np.add.at``). Integers mixed with index arrays
    select first, as in PyTorch (NumPy would move the broadcast dims to the front).
    """
    items = tuple(
        _index_array(i) for i in (index if isinstance(index, tuple) else (index,))
    )
    has_int = any(isinstance(i, (int, np.integer)) for i in items)
    if has_int and any(_is_advanced(i) for i in items):
        first = tuple(slice(None) if _is_advanced(i) else i for i in items)
        rest = []
        for i in items:
            if _is_advanced(i) or i is Ellipsis:
                rest.append(i)
            elif not isinstance(i, (int, np.integer)):
                rest.append(slice(None))
        return _select(_select(a, _expand_bool(first, items)), tuple(rest))
    return _select(a, items if isinstance(index, tuple) else items[0])


def _expand_bool(first: tuple[Any, ...], items: tuple[Any, ...]) -> tuple[Any, ...]:
    """A k-D boolean mask spans k dims: in the first step it stands for k full slices."""
    out: list[Any] = []
    for f, i in zip(first, items):
        out += (
            [slice(None)] * i.ndim
            if isinstance(i, np.ndarray) and i.dtype == bool
            else [f]
        )
    return tuple(out)


def _select(a: Tensor, index: Any) -> Tensor:
    """One NumPy indexing step as a node."""
    try:
        data = a.data[index]
    except IndexError as err:
        raise IndexError(f"index {index!r} for shape {a.shape}: {err}") from None
    basic = all(
        not isinstance(i, np.ndarray)
        for i in (index if isinstance(index, tuple) else (index,))
    )

    def backward(g: np.ndarray) -> None:
        full = np.zeros_like(a.data)
        if basic:  # no element can be picked twice: plain assignment
            full[index] = g
        else:
            np.add.at(full, index, g)
        core.accumulate(a, full)

    return core.make_node(data, (a,), "[]", backward)


# ------------------------------------------------------------ joining tensors
def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension (``torch.cat``); each gets its slice of g."""
    parts = tuple(core.as_tensor(t) for t in tensors)
    if not parts:
        raise RuntimeError("cat: expected a non-empty list of Tensors")
    d = _wrap(dim, parts[0].ndim, "cat")
    try:
        data = np.concatenate([t.data for t in parts], axis=d)
    except ValueError as err:
        shapes = [t.shape for t in parts]
        raise RuntimeError(
            f"cat: shapes {shapes} do not match off dim {dim} ({err})"
        ) from None
    bounds = np.cumsum([t.shape[d] for t in parts])[:-1]

    def backward(g: np.ndarray) -> None:
        for t, piece in zip(parts, np.split(g, bounds, axis=d)):
            if t.requires_grad:
                core.accumulate(t, piece)

    return core.make_node(data, parts, "cat", backward)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shape tensors along a new dimension ``dim`` (``torch.stack``)."""
    parts = tuple(core.as_tensor(t) for t in tensors)
    if not parts:
        raise RuntimeError("stack: expected a non-empty list of Tensors")
    d = _wrap(dim, parts[0].ndim + 1, "stack")
    for k, t in enumerate(parts):
        if t.shape != parts[0].shape:
            raise RuntimeError(
                f"stack: expects each tensor to be equal size, but tensor {k} has "
                f"shape {t.shape} and tensor 0 has shape {parts[0].shape}"
            )
    data = np.stack([t.data for t in parts], axis=d)

    def backward(g: np.ndarray) -> None:
        for k, t in enumerate(parts):
            if t.requires_grad:
                core.accumulate(t, np.take(g, k, axis=d))

    return core.make_node(data, parts, "stack", backward)

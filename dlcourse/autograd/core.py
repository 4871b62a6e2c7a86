"""The engine's core: a tensor that remembers how it was computed, and ``backward``.

A :class:`Tensor` wraps a NumPy array ``data``. An operation on tensors that require
gradients builds a graph node with :func:`make_node`: the result remembers its parents
(``_prev``), the operation's name (``_op``) and a small ``_backward`` function that
applies the chain rule locally. If ``out = f(a, b)`` and ``g = dL/d(out)`` is known, then

    dL/da = g · ∂f/∂a        dL/db = g · ∂f/∂b

(for tensors, "·" is the vector-Jacobian product). ``backward()`` sorts the graph
topologically and calls each node's ``_backward`` from the output back to the inputs;
:func:`accumulate` adds up the contributions of a tensor used several times
(multivariate chain rule) and sums over the axes that broadcasting copied it along.

The operations themselves live in modules by family (``elementwise``, ``reductions``,
``shape``, ``matmul``, ``softmax``); ``Tensor`` lists them at the end of its class body.

Semantics follow PyTorch: integer/boolean input becomes float64, float arrays keep
their dtype, Python numbers adopt the tensor's dtype; leaf gradients accumulate across
``backward()`` calls (``zero_grad()`` resets); inside ``with no_grad():`` nothing is
recorded. The engine never modifies a ``.grad`` array in place (two tensors may share
one), so treat ``.grad`` as read-only.

See chapter: Backpropagation (book/07_backpropagation.ipynb)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from dlcourse.autograd import elementwise, matmul, reductions, reshaping
from dlcourse.autograd import softmax as softmax_module

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True unless inside :func:`no_grad` (like ``torch.is_grad_enabled``)."""
    return _grad_enabled


@contextlib.contextmanager
def _grad_mode(enabled: bool) -> Iterator[None]:
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, enabled
    try:
        yield
    finally:
        _grad_enabled = previous


def no_grad() -> contextlib.AbstractContextManager[None]:
    """Record no graph inside ``with no_grad():`` (evaluation, optimiser updates)."""
    return _grad_mode(False)


def enable_grad() -> contextlib.AbstractContextManager[None]:
    """Record the graph again inside a :func:`no_grad` block."""
    return _grad_mode(True)


class Tensor:
    """An n-dimensional array that remembers how it was computed.

    Args:
        data: anything ``np.array`` accepts (copied); integer/bool data becomes float64.
        requires_grad: whether gradients should flow to this tensor.
        label: an optional name, shown by :func:`dlcourse.graph.draw_graph`.
    """

    __slots__ = (
        *("data", "grad", "requires_grad", "_prev", "_op", "_backward", "label"),
        "__weakref__",
    )
    __array_ufunc__ = None  # ``ndarray + Tensor`` calls Tensor.__radd__, not NumPy
    __hash__ = object.__hash__  # ``==`` compares values; graphs keep tensors in sets

    def __init__(self, data: Any, requires_grad: bool = False, label: str = "") -> None:
        array = np.array(data.data if isinstance(data, Tensor) else data)
        self.data: np.ndarray = (
            array if array.dtype.kind == "f" else array.astype(float)
        )
        self.grad: np.ndarray | None = None
        self.requires_grad: bool = bool(requires_grad)
        self._prev: tuple[Tensor, ...] = ()  # the parents, set by make_node
        self._op: str = ""
        self._backward: Callable[[np.ndarray], None] | None = None
        self.label: str = label

    def backward(self, gradient: Any = None) -> None:
        """Fill ``.grad`` of every tensor this one depends on, from ``dL/d(self)``.

        ``gradient`` may be omitted for a one-element tensor (it is then 1).
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: tensor does not require grad and has no graph "
                "(created under no_grad, or from inputs without requires_grad=True)"
            )
        if gradient is None and self.data.size != 1:
            raise RuntimeError(
                "grad can be implicitly created only for scalar outputs; "
                f"this tensor has shape {self.shape}: pass backward(gradient=...)"
            )
        seed = np.array(1 if gradient is None else getattr(gradient, "data", gradient))
        seed = seed.astype(self.data.dtype)
        if gradient is None:
            seed = np.broadcast_to(seed, self.data.shape).copy()
        elif seed.shape != self.data.shape:
            raise RuntimeError(
                f"backward: gradient has shape {seed.shape} but the tensor has "
                f"shape {self.shape}"
            )
        order = self.topological_order()
        for node in order:  # non-leaves hold only this pass's gradient
            node.grad = None
        accumulate(self, seed)
        for node in reversed(order):
            if node.grad is not None and node._backward is not None:
                node._backward(node.grad)

    def topological_order(self, leaves: bool = False) -> list[Tensor]:
        """The tensors this one was computed from, each after all of its parents.

        Leaves (no ``_backward`` to run) are left out unless ``leaves=True``. The
        depth-first search keeps its own stack: recursion would overflow Python's
        stack on a chain of ~1000 operations.
        """
        order: list[Tensor] = []
        visited: set[Tensor] = set()
        stack: list[Tensor | None] = [self]
        while stack:
            node = stack.pop()
            if node is None:  # marker: all parents of the node below it are done
                order.append(stack.pop())  # type: ignore[arg-type]
                continue
            if node in visited:
                continue
            visited.add(node)
            stack += [node, None]
            for parent in node._prev:
                if parent not in visited:
                    if parent._prev:
                        stack.append(parent)
                    elif leaves:
                        visited.add(parent)
                        order.append(parent)
        if not self._prev and not leaves:
            order.pop()
        return order

    # ------------------------------------------------------------ small helpers
    shape = property(lambda self: self.data.shape, doc="The shape, a tuple.")
    ndim = property(lambda self: self.data.ndim, doc="The number of dimensions.")
    dtype = property(lambda self: self.data.dtype, doc="The NumPy dtype.")
    size = property(lambda self: self.data.size, doc="The number of elements.")
    is_leaf = property(lambda self: not self._prev, doc="Not made by a recorded op.")
    parents = property(lambda self: self._prev, doc="The tensors it was made from.")
    op = property(lambda self: self._op, doc="The operation that made it ('' if none).")

    def __len__(self) -> int:
        return len(self.data)

    def __bool__(self) -> bool:
        return bool(self.item())  # like PyTorch: ambiguous for several values

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self._op:
            extra = f", op='{self._op}'"
        return f"Tensor({body}{extra})"

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                "item: a Tensor with more than one value cannot be converted to a "
                f"Python number (shape {self.shape})"
            )
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shares memory; not tracked by autograd)."""
        return self.data

    def detach(self) -> Tensor:
        """A new leaf sharing ``data``, cut from the graph."""
        return leaf(self.data)

    def zero_grad(self) -> None:
        self.grad = None

    # ------------------------------------- the operations, in modules by family
    __add__, __radd__ = elementwise.add, elementwise.radd
    __sub__, __rsub__ = elementwise.sub, elementwise.rsub
    __mul__, __rmul__ = elementwise.mul, elementwise.rmul
    __truediv__, __rtruediv__ = elementwise.div, elementwise.rdiv
    __neg__, __pow__, __rpow__ = elementwise.neg, elementwise.pow, elementwise.rpow
    exp, log, sqrt = elementwise.exp, elementwise.log, elementwise.sqrt
    abs, tanh, sigmoid = elementwise.abs, elementwise.tanh, elementwise.sigmoid
    relu, clamp, clip = elementwise.relu, elementwise.clamp, elementwise.clamp
    masked_fill, where = elementwise.masked_fill, elementwise.tensor_where
    __eq__, __ne__ = elementwise.eq, elementwise.ne
    __lt__, __le__ = elementwise.lt, elementwise.le
    __gt__, __ge__ = elementwise.gt, elementwise.ge
    sum, mean = reductions.sum, reductions.mean
    var, std = reductions.var, reductions.std
    max, min = reductions.max, reductions.min
    amax, amin = reductions.amax, reductions.amin
    argmax, argmin = reductions.argmax, reductions.argmin
    logsumexp = reductions.logsumexp
    reshape, view = reshaping.reshape, reshaping.reshape
    transpose, permute = reshaping.transpose, reshaping.permute
    T = property(reshaping.reverse_dims)
    squeeze, unsqueeze = reshaping.squeeze, reshaping.unsqueeze
    flatten, expand = reshaping.flatten, reshaping.expand
    __getitem__ = reshaping.getitem
    __matmul__, __rmatmul__ = matmul.matmul, matmul.rmatmul
    softmax, log_softmax = softmax_module.softmax, softmax_module.log_softmax


# ------------------------------------------------ the public node-building API
def make_node(
    data: np.ndarray,
    parents: tuple[Tensor, ...],
    op: str,
    backward: Callable[[np.ndarray], None],
) -> Tensor:
    """The output ``data`` of operation ``op`` on ``parents``.

    If grad mode is on and a parent requires gradients, the node is recorded: later
    ``backward(g)`` is called with g = dL/d(output) and must :func:`accumulate` each
    parent's gradient. Otherwise the result is a constant.
    """
    out = leaf(data)
    if _grad_enabled and any(p.requires_grad for p in parents):
        out.requires_grad, out._prev, out._op, out._backward = (
            True,
            parents,
            op,
            backward,
        )
    return out


def accumulate(t: Tensor, grad: np.ndarray) -> None:
    """Add ``grad`` = dL/dt to ``t.grad`` (summed over broadcast axes; never in place)."""
    if grad.shape != t.data.shape:
        grad = unbroadcast(grad, t.data.shape)
    if grad.dtype != t.data.dtype:
        grad = grad.astype(t.data.dtype)
    if t.grad is None:
        # A leaf keeps its gradient; a read-only broadcast view would surprise users.
        t.grad = grad if t._prev or grad.flags.writeable else grad.copy()
    else:
        t.grad = t.grad + grad


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``, undoing broadcasting.

    Broadcasting copies an operand along new leading axes and along axes of length 1;
    each copy receives its own gradient, and the operand's gradient is their sum.
    """
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = np.add.reduce(grad, axis=tuple(range(extra)))
    if grad.shape != shape:
        axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
        grad = np.add.reduce(grad, axis=axes, keepdims=True)
    return grad


def leaf(data: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A tensor around ``data`` as it is (no copy, no dtype change): the fast constructor."""
    t = Tensor.__new__(Tensor)
    t.data, t.grad, t.requires_grad, t.label = data, None, requires_grad, ""
    t._prev, t._op, t._backward = (), "", None
    return t


def as_tensor(data: Any, dtype: Any = None) -> Tensor:
    """Like ``torch.as_tensor``: a Tensor is returned as it is (cast if ``dtype`` differs);
    anything else becomes a constant Tensor, sharing memory where it can. Integers and
    booleans become float64 (the engine differentiates floating-point data)."""
    if isinstance(data, Tensor):
        if dtype is None or data.data.dtype == np.dtype(dtype):
            return data
        return Tensor(data.data.astype(dtype))
    array = np.asarray(data, dtype=dtype)
    return leaf(array if array.dtype.kind == "f" else array.astype(np.float64))


def as_operand(x: Any, like: Tensor) -> Tensor:
    """An operand of an operation with ``like``: numbers, 0-d and integer arrays adopt
    ``like``'s dtype (``float32_tensor * 2`` stays float32, as in PyTorch)."""
    if isinstance(x, Tensor):
        return x
    array = np.asarray(x)
    if array.ndim == 0 or array.dtype.kind != "f":
        array = array.astype(like.data.dtype)
    return leaf(array)


def tensor(data: Any, requires_grad: bool = False) -> Tensor:
    """Create a Tensor (copies ``data``), like ``torch.tensor``."""
    return Tensor(data, requires_grad=requires_grad)

"""A reverse-mode automatic-differentiation engine over NumPy arrays.

A :class:`Tensor` wraps a NumPy array ``data``. Every operation on tensors that
require gradients records *how* its result was made: the parent tensors
(``_prev``), the operation's name (``_op``) and a small ``_backward`` function
that applies the chain rule locally. If ``out = f(a, b)`` and ``g = dL/d(out)``
has already been computed, then

    dL/da = g · ∂f/∂a        dL/db = g · ∂f/∂b

(for tensors, "·" is the appropriate vector-Jacobian product). ``backward()``
sorts the graph topologically and calls each node's ``_backward`` from the
output back to the inputs, so each node passes the blame it received on to
its parents. Where a parent appears in several places, the contributions add
up (multivariate chain rule).

Broadcasting: when ``a`` of shape ``(3,)`` is added to ``b`` of shape
``(4, 3)``, ``a`` was implicitly copied 4 times, so its gradient is the sum of
the 4 copies' gradients: :func:`_unbroadcast` sums over the broadcast axes.

Semantics follow PyTorch:

* integer / boolean input becomes float64; float arrays keep their dtype
  (float32 stays float32); Python scalars adopt the tensor's dtype;
* gradients of leaf tensors *accumulate* across ``backward()`` calls
  (call ``zero_grad()`` to reset); non-leaf tensors keep the gradient of
  the latest backward pass (PyTorch would keep none unless ``retain_grad()``;
  we keep them so the computation graph can be drawn with its gradients);
* ``backward()`` on a non-scalar needs an explicit ``gradient``;
* inside ``with no_grad():`` nothing is recorded.

The engine never modifies a ``.grad`` array in place, and two tensors may
share one gradient array (``a + b`` hands the same ``g`` to both), so treat
``.grad`` as read-only: update ``p.data``, and reset with ``zero_grad()``.

See chapter: Backpropagation
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Callable

import numpy as np

__all__ = ["Tensor", "tensor", "no_grad", "enable_grad", "is_grad_enabled"]

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True unless inside :func:`no_grad` (like ``torch.is_grad_enabled``)."""
    return _grad_enabled


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Context manager (and decorator) under which operations record no graph.

    Used for evaluation and for optimiser updates, exactly like ``torch.no_grad``.
    """
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Re-enable graph recording inside a :func:`no_grad` block."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, True
    try:
        yield
    finally:
        _grad_enabled = previous


def _to_array(data: Any) -> np.ndarray:
    """Copy ``data`` into a float array: float dtypes kept, anything else float64."""
    if isinstance(data, Tensor):
        data = data.data
    arr = np.array(data)
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    return arr


def _unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting.

    Broadcasting copies an operand along new leading axes and along axes of
    length 1; each copy receives its own gradient, and the operand's gradient
    is the sum over its copies.
    """
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = np.add.reduce(grad, axis=tuple(range(extra)))
    if grad.shape != shape:
        axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
        grad = np.add.reduce(grad, axis=axes, keepdims=True)
    return grad


def _accumulate(t: Tensor, g: np.ndarray) -> None:
    """Add the gradient contribution ``g`` to ``t.grad`` (never in place)."""
    if g.shape != t.data.shape:
        g = _unbroadcast(g, t.data.shape)
    if g.dtype != t.data.dtype:
        g = g.astype(t.data.dtype)
    if t.grad is None:
        # A leaf keeps its gradient; a read-only broadcast view would surprise users.
        if not t._prev and not g.flags.writeable:
            g = g.copy()
        t.grad = g
    else:
        t.grad = t.grad + g


def _reduced_axes(axis: int | tuple[int, ...] | None, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    return tuple(sorted(a % ndim if ndim else 0 for a in axis))


def _keepdims_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """Shape of a reduction over ``axes`` with ``keepdims=True``."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _shape_error(op: str, a: np.ndarray, b: np.ndarray, detail: str) -> ValueError:
    return ValueError(f"{op}: shapes {a.shape} and {b.shape} {detail}")


class Tensor:
    """An n-dimensional array that remembers how it was computed.

    Args:
        data: anything ``np.array`` accepts (copied). Integer/bool data becomes
            float64; float arrays keep their dtype.
        requires_grad: whether gradients should flow to this tensor.
        _children, _op: set by operations (the parents and the operation name).
        label: an optional name, shown by :func:`dlcourse.graph.draw_graph`.
    """

    __slots__ = (
        "data",
        "grad",
        "requires_grad",
        "_prev",
        "_op",
        "_backward",
        "label",
        "__weakref__",
    )
    # Make ``ndarray + Tensor`` call ``Tensor.__radd__`` instead of NumPy looping over us.
    __array_ufunc__ = None

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        _children: tuple[Tensor, ...] = (),
        _op: str = "",
        label: str = "",
    ) -> None:
        self.data: np.ndarray = _to_array(data)
        self.grad: np.ndarray | None = None
        self.requires_grad: bool = bool(requires_grad)
        self._prev: tuple[Tensor, ...] = tuple(_children)
        self._op: str = _op
        self._backward: Callable[[np.ndarray], None] | None = None
        self.label: str = label

    # ------------------------------------------------------------------ basics
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded operation."""
        return not self._prev

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        extra = ""
        if self._op:
            extra = f", op='{self._op}'"
        elif self.requires_grad:
            extra = ", requires_grad=True"
        return f"Tensor({body}{extra})"

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self.data.size != 1:
            raise ValueError(
                f"item: only one-element tensors can be converted, got shape {self.shape}"
            )
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shares memory; not tracked by autograd)."""
        return self.data

    def detach(self) -> Tensor:
        """A new leaf sharing ``data``, cut from the graph."""
        return _leaf(self.data)

    def zero_grad(self) -> None:
        self.grad = None

    # ------------------------------------------------------------- backward
    def backward(self, gradient: Any = None) -> None:
        """Backpropagate from this tensor: fill ``.grad`` of every tensor it depends on.

        ``gradient`` is ``dL/d(self)``; it may be omitted only for a one-element
        tensor, where it defaults to 1 (so ``loss.backward()`` computes dloss/dx).
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: tensor does not require grad and has no graph "
                "(created under no_grad, or from inputs without requires_grad=True)"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    "grad can be implicitly created only for scalar outputs; "
                    f"this tensor has shape {self.shape}: pass backward(gradient=...)"
                )
            seed = np.ones(self.data.shape, dtype=self.data.dtype)
        else:
            seed = np.array(
                gradient.data if isinstance(gradient, Tensor) else gradient,
                dtype=self.data.dtype,
            )
            if seed.shape != self.data.shape:
                raise RuntimeError(
                    f"backward: gradient has shape {seed.shape} but the tensor has "
                    f"shape {self.shape}"
                )
        topo = self._topological_order()
        for node in topo:  # non-leaves hold only this pass's gradient
            node.grad = None
        _accumulate(self, seed)
        for node in reversed(topo):
            if node.grad is not None:
                node._backward(node.grad)

    def _topological_order(self, leaves: bool = False) -> list[Tensor]:
        """The tensors this one was computed from, each after all of its parents.

        Leaves (inputs, parameters: no ``_backward`` to run) are left out unless
        ``leaves=True``. The depth-first search is iterative, because a recursive
        one would overflow Python's stack on a chain of ~1000 operations.
        """
        order: list[Tensor] = []
        visited: set[Tensor] = set()
        stack: list[Tensor | None] = [self]
        while stack:
            node = stack.pop()
            if node is None:  # marker: all parents of the node below it are done
                order.append(stack.pop())
                continue
            if node in visited:
                continue
            visited.add(node)
            stack.append(node)
            stack.append(None)
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

    # -------------------------------------------------------- elementwise ops
    def __add__(self, other: Any) -> Tensor:
        """d(a+b)/da = 1, d(a+b)/db = 1: both parents receive g (summed over broadcast axes)."""
        other = _lift(other, self)
        try:
            data = self.data + other.data
        except ValueError:
            raise _shape_error(
                "add", self.data, other.data, "cannot be broadcast together"
            ) from None
        out = _result(data, (self, other), "+")

        def _backward(g: np.ndarray) -> None:
            if self.requires_grad:
                _accumulate(self, g)
            if other.requires_grad:
                _accumulate(other, g)

        out._backward = _backward
        return out

    def __radd__(self, other: Any) -> Tensor:
        return _lift(other, self) + self

    def __sub__(self, other: Any) -> Tensor:
        """d(a-b)/da = 1, d(a-b)/db = -1."""
        other = _lift(other, self)
        try:
            data = self.data - other.data
        except ValueError:
            raise _shape_error(
                "sub", self.data, other.data, "cannot be broadcast together"
            ) from None
        out = _result(data, (self, other), "-")

        def _backward(g: np.ndarray) -> None:
            if self.requires_grad:
                _accumulate(self, g)
            if other.requires_grad:
                _accumulate(other, -g)

        out._backward = _backward
        return out

    def __rsub__(self, other: Any) -> Tensor:
        return _lift(other, self) - self

    def __mul__(self, other: Any) -> Tensor:
        """d(a·b)/da = b, d(a·b)/db = a."""
        other = _lift(other, self)
        try:
            data = self.data * other.data
        except ValueError:
            raise _shape_error(
                "mul", self.data, other.data, "cannot be broadcast together"
            ) from None
        out = _result(data, (self, other), "*")

        def _backward(g: np.ndarray) -> None:
            if self.requires_grad:
                _accumulate(self, g * other.data)
            if other.requires_grad:
                _accumulate(other, g * self.data)

        out._backward = _backward
        return out

    def __rmul__(self, other: Any) -> Tensor:
        return _lift(other, self) * self

    def __truediv__(self, other: Any) -> Tensor:
        """d(a/b)/da = 1/b, d(a/b)/db = -a/b²."""
        other = _lift(other, self)
        try:
            data = self.data / other.data
        except ValueError:
            raise _shape_error(
                "div", self.data, other.data, "cannot be broadcast together"
            ) from None
        out = _result(data, (self, other), "/")

        def _backward(g: np.ndarray) -> None:
            if self.requires_grad:
                _accumulate(self, g / other.data)
            if other.requires_grad:
                _accumulate(other, -g * out.data / other.data)

        out._backward = _backward
        return out

    def __rtruediv__(self, other: Any) -> Tensor:
        return _lift(other, self) / self

    def __neg__(self) -> Tensor:
        """d(-a)/da = -1."""
        out = _result(-self.data, (self,), "neg")

        def _backward(g: np.ndarray) -> None:
            _accumulate(self, -g)

        out._backward = _backward
        return out

    def __pow__(self, exponent: float) -> Tensor:
        """d(aᵖ)/da = p·aᵖ⁻¹ (p a constant number)."""
        if isinstance(exponent, Tensor) or np.ndim(exponent) != 0:
            raise TypeError("pow: only a scalar (number) exponent is supported")
        p = float(exponent)
        out = _result(self.data ** self.data.dtype.type(p), (self,), f"**{exponent:g}")

        def _backward(g: np.ndarray) -> None:
            _accumulate(self, g * (p * self.data ** (p - 1)))

        out._backward = _backward
        return out

    def exp(self) -> Tensor:
        """d(eᵃ)/da = eᵃ (the output itself)."""
        out = _result(np.exp(self.data), (self,), "exp")

        def _backward(g: np.ndarray) -> None:
            _accumulate(self, g * out.data)

        out._backward = _backward
        return out

    def log(self) -> Tensor:
        """d(ln a)/da = 1/a (natural logarithm; log(0) = -inf like PyTorch)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            data = np.log(self.data)
        out = _result(data, (self,), "log")

        def _backward(g: np.ndarray) -> None:
            _accumulate(self, g / self.data)

        out._backward = _backward
        return out

    def tanh(self) -> Tensor:
        """d(tanh a)/da = 1 - tanh²(a)."""
        out = _result(np.tanh(self.data), (self,), "tanh")

        def _backward(g: np.ndarray) -> None:
            _accumulate(self, g * (1 - out.data * out.data))

        out._backward = _backward
        return out

    def relu(self) -> Tensor:
        """d(max(a, 0))/da = 1 where a > 0 else 0 (0 at a = 0, like PyTorch)."""
        out = _result(np.maximum(self.data, 0), (self,), "relu")

        def _backward(g: np.ndarray) -> None:
            _accumulate(self, g * (out.data > 0))

        out._backward = _backward
        return out

    def sigmoid(self) -> Tensor:
        """σ(a) = 1/(1+e⁻ᵃ); dσ/da = σ(1-σ).

        Computed from e^(-|a|) ≤ 1, so it never overflows and keeps full
        relative precision for very negative a.
        """
        e = np.exp(-np.abs(self.data))
        out = _result(np.where(self.data >= 0, 1, e) / (1 + e), (self,), "sigmoid")

        def _backward(g: np.ndarray) -> None:
            _accumulate(self, g * out.data * (1 - out.data))

        out._backward = _backward
        return out

    # --------------------------------------------------------------- matmul
    def __matmul__(self, other: Any) -> Tensor:
        """C = A @ B:  dL/dA = g @ Bᵀ,  dL/dB = Aᵀ @ g  (batched like np.matmul)."""
        other = _lift(other, self)
        a, b = self.data, other.data
        try:
            data = a @ b
        except ValueError:
            if a.ndim == 0 or b.ndim == 0:
                raise _shape_error(
                    "matmul", a, b, "are invalid: matmul needs at least 1-D operands"
                ) from None
            k_a, k_b = a.shape[-1], b.shape[0] if b.ndim == 1 else b.shape[-2]
            if k_a != k_b:
                raise _shape_error(
                    "matmul", a, b, f"are not aligned: {k_a} != {k_b}"
                ) from None
            raise _shape_error(
                "matmul", a, b, "have batch dimensions that cannot be broadcast"
            ) from None
        out = _result(data, (self, other), "@")

        def _backward(g: np.ndarray) -> None:
            if a.ndim == 2 and b.ndim == 2:  # the common case, kept fast
                if self.requires_grad:
                    _accumulate(self, g @ b.T)
                if other.requires_grad:
                    # Same result; the second form gives the gradient b's memory layout
                    # (b = W.T in a Linear layer), so W.grad comes out C-contiguous.
                    _accumulate(other, a.T @ g if b.flags.c_contiguous else (g.T @ a).T)
                return
            # Promote 1-D operands to matrices as np.matmul does, then undo it.
            a2 = a[None, :] if a.ndim == 1 else a
            b2 = b[:, None] if b.ndim == 1 else b
            g2 = g[..., None] if b.ndim == 1 else g  # (b first: g may be 0-d)
            if a.ndim == 1:
                g2 = np.expand_dims(g2, -2)
            if self.requires_grad:
                ga = _unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape)
                _accumulate(self, ga.reshape(a.shape))
            if other.requires_grad:
                gb = _unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape)
                _accumulate(other, gb.reshape(b.shape))

        out._backward = _backward
        return out

    def __rmatmul__(self, other: Any) -> Tensor:
        return _lift(other, self) @ self

    # ----------------------------------------------------------- reductions
    def sum(
        self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
    ) -> Tensor:
        """d(Σ a)/da = 1: every summed element receives g (broadcast back)."""
        out = _result(np.sum(self.data, axis=axis, keepdims=keepdims), (self,), "sum")

        def _backward(g: np.ndarray) -> None:
            if not keepdims:
                g = g.reshape(
                    _keepdims_shape(
                        self.data.shape, _reduced_axes(axis, self.data.ndim)
                    )
                )
            _accumulate(self, np.broadcast_to(g, self.data.shape))

        out._backward = _backward
        return out

    def mean(
        self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
    ) -> Tensor:
        """d(mean a)/da = 1/n for each of the n averaged elements."""
        axes = _reduced_axes(axis, self.data.ndim)
        n = int(np.prod([self.data.shape[i] for i in axes]))
        out = _result(np.mean(self.data, axis=axis, keepdims=keepdims), (self,), "mean")

        def _backward(g: np.ndarray) -> None:
            g = g.reshape(_keepdims_shape(self.data.shape, axes)) / n
            _accumulate(self, np.broadcast_to(g, self.data.shape))

        out._backward = _backward
        return out

    def max(
        self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False
    ) -> Tensor:
        """Maximum; the gradient goes to the arg-max.

        Ties split the gradient evenly among the tied maxima, like
        ``torch.amax`` (and ``torch.max`` without ``dim``):
        d(max a)/daᵢ = [aᵢ = max] / #{j : aⱼ = max}.
        """
        axes = _reduced_axes(axis, self.data.ndim)
        top = np.max(self.data, axis=axes, keepdims=True)
        data = (
            top
            if keepdims
            else top.reshape([n for i, n in enumerate(top.shape) if i not in axes])
        )
        out = _result(data, (self,), "max")

        def _backward(g: np.ndarray) -> None:
            mask = self.data == top
            share = g.reshape(top.shape) / mask.sum(axis=axes, keepdims=True)
            _accumulate(self, mask * share)

        out._backward = _backward
        return out

    # ------------------------------------------------------- shape handling
    def reshape(self, *shape: int | tuple[int, ...]) -> Tensor:
        """Same numbers, new shape; the gradient is reshaped back."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        try:
            data = self.data.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape shape {self.shape} (size {self.size}) "
                f"into shape {tuple(shape)}"
            ) from None
        out = _result(data, (self,), "reshape")

        def _backward(g: np.ndarray) -> None:
            _accumulate(self, g.reshape(self.data.shape))

        out._backward = _backward
        return out

    def transpose(self, *axes: int) -> Tensor:
        """Permute axes (reverse them if none given); the gradient is permuted back."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        n = self.data.ndim
        if axes:
            perm = tuple(int(a) % n for a in axes) if n else tuple(axes)
            if sorted(perm) != list(range(n)):
                raise ValueError(
                    f"transpose: axes {tuple(axes)} are not a permutation for shape {self.shape}"
                )
            inverse = tuple(perm.index(i) for i in range(n))
        else:
            perm = inverse = tuple(range(n - 1, -1, -1))  # reversal is its own inverse
        out = _result(self.data.transpose(perm), (self,), "T")

        def _backward(g: np.ndarray) -> None:
            _accumulate(self, g.transpose(inverse))

        out._backward = _backward
        return out

    @property
    def T(self) -> Tensor:
        return self.transpose()

    def __getitem__(self, index: Any) -> Tensor:
        """Indexing (slices, integers, integer arrays, boolean masks).

        Backward scatters g into zeros at the indexed positions; with integer
        arrays an element may be picked several times, so the contributions are
        added with ``np.add.at`` (plain ``+=`` would keep only one of them).
        """
        out = _result(self.data[index], (self,), "[]")

        def _backward(g: np.ndarray) -> None:
            full = np.zeros_like(self.data)
            np.add.at(full, index, g)
            _accumulate(self, full)

        out._backward = _backward
        return out

    # --------------------------------------------------------- softmax family
    def softmax(self, axis: int = -1) -> Tensor:
        """softmax(a)ᵢ = e^(aᵢ - m) / Σⱼ e^(aⱼ - m), m = max a (stability; cancels out).

        Backward (Jacobian diag(s) - s sᵀ times g): s ⊙ (g - Σ g⊙s).
        """
        z = np.exp(self.data - np.max(self.data, axis=axis, keepdims=True))
        s = z / z.sum(axis=axis, keepdims=True)
        out = _result(s, (self,), "softmax")

        def _backward(g: np.ndarray) -> None:
            _accumulate(self, s * (g - (g * s).sum(axis=axis, keepdims=True)))

        out._backward = _backward
        return out

    def log_softmax(self, axis: int = -1) -> Tensor:
        """log_softmax(a) = a - m - log Σ e^(a - m)  (log-sum-exp trick).

        Backward: g - softmax(a) · Σ g.
        """
        shifted = self.data - np.max(self.data, axis=axis, keepdims=True)
        data = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        out = _result(data, (self,), "log_softmax")

        def _backward(g: np.ndarray) -> None:
            _accumulate(self, g - np.exp(data) * g.sum(axis=axis, keepdims=True))

        out._backward = _backward
        return out


def _leaf(data: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A tensor around ``data`` (no copy, no checks): the engine's fast constructor."""
    t = Tensor.__new__(Tensor)
    t.data = data
    t.grad = None
    t.requires_grad = requires_grad
    t._prev = ()
    t._op = ""
    t._backward = None
    t.label = ""
    return t


def _result(data: np.ndarray, parents: tuple[Tensor, ...], op: str) -> Tensor:
    """The output of an operation; it records the graph only if a parent needs gradients."""
    t = Tensor.__new__(Tensor)
    t.data = data
    t.grad = None
    t.label = ""
    t._backward = None
    t.requires_grad = False
    t._prev = ()
    t._op = ""
    if _grad_enabled:
        for p in parents:
            if p.requires_grad:
                t.requires_grad = True
                t._prev = parents
                t._op = op
                break
    return t


def _lift(x: Any, like: Tensor) -> Tensor:
    """Turn a number / array operand into a constant Tensor.

    Numbers, 0-d arrays and integer/bool arrays adopt ``like``'s dtype (so
    ``float32_tensor * 2`` stays float32, as in PyTorch); float arrays keep theirs.
    """
    if isinstance(x, Tensor):
        return x
    arr = np.asarray(x)
    if arr.ndim == 0 or arr.dtype.kind != "f":
        arr = arr.astype(like.data.dtype)
    return _leaf(arr)


def tensor(data: Any, requires_grad: bool = False) -> Tensor:
    """Create a Tensor (copies ``data``), like ``torch.tensor``."""
    return Tensor(data, requires_grad=requires_grad)


# ----------------------------------------------------------- the public node-building API
# (issue 11: layers outside the engine build graph nodes through these names only)
def make_node(
    data: np.ndarray,
    parents: tuple[Tensor, ...],
    op: str,
    backward: Callable[[np.ndarray], None],
) -> Tensor:
    """The output ``data`` of operation ``op`` on ``parents``; if a parent needs gradients
    (and grad mode is on) it records the node, and ``backward(g)`` is later called with
    dL/d(output) and must :func:`accumulate` each parent's gradient."""
    out = _result(data, parents, op)
    if out.requires_grad:
        out._backward = backward
    return out


def accumulate(t: Tensor, grad: np.ndarray) -> None:
    """Add ``grad`` (dL/dt, summed over broadcast axes if needed) to ``t.grad``."""
    _accumulate(t, grad)


def as_tensor(data: Any, dtype: Any = None) -> Tensor:
    """Like ``torch.as_tensor``: a Tensor is returned as it is (cast if ``dtype`` differs);
    anything else becomes a constant Tensor (no gradient), sharing memory where it can.
    The engine holds floating-point data only: integers and booleans become float64."""
    if isinstance(data, Tensor):
        if dtype is None or data.data.dtype == np.dtype(dtype):
            return data
        return Tensor(data.data.astype(dtype))
    arr = np.asarray(data, dtype=dtype)
    return _leaf(arr if arr.dtype.kind == "f" else arr.astype(np.float64))

"""Elementwise operations: arithmetic, functions of one number, comparisons, selection.

Each one is a node built with :func:`~dlcourse.autograd.core.make_node`: the value, and
a backward function that multiplies the upstream gradient ``g`` by the local derivative.
Binary operations broadcast like NumPy (and PyTorch); :func:`~dlcourse.autograd.core.
accumulate` sums each operand's gradient back to its own shape.

Gradients at the edge points are PyTorch's: relu'(0) = 0, |x|'(0) = 0, d(xᵖ)/dx = 0
when p = 0 (even at x = 0), d(cˣ)/dx = 0 where c = 0 and x ≥ 0, clamp passes the
gradient where min ≤ x ≤ max (boundaries included).

See chapter: Backpropagation (book/07_backpropagation.ipynb)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from dlcourse.autograd import core

if TYPE_CHECKING:
    from dlcourse.autograd.core import Tensor


# ------------------------------------------------------------------- arithmetic
Grad = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], Any]


def _binary(
    op: str,
    a: Tensor,
    other: Any,
    forward: Callable[[np.ndarray, np.ndarray], np.ndarray],
    grad_a: Grad,
    grad_b: Grad,
) -> Tensor:
    """The node ``out = forward(a, b)``; ``grad_a(g, a, b, out)`` is dL/da, same for b."""
    b = core.as_operand(other, a)
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            data = forward(a.data, b.data)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together"
        ) from None

    def backward(g: np.ndarray) -> None:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if a.requires_grad:
                core.accumulate(a, grad_a(g, a.data, b.data, data))
            if b.requires_grad:
                core.accumulate(b, grad_b(g, a.data, b.data, data))

    return core.make_node(data, (a, b), op, backward)


def add(a: Tensor, b: Any) -> Tensor:
    """d(a+b)/da = 1, d(a+b)/db = 1: both receive g (summed over broadcast axes)."""
    return _binary("+", a, b, np.add, lambda g, *_: g, lambda g, *_: g)


def sub(a: Tensor, b: Any) -> Tensor:
    """d(a-b)/da = 1, d(a-b)/db = -1."""
    return _binary("-", a, b, np.subtract, lambda g, *_: g, lambda g, *_: -g)


def mul(a: Tensor, b: Any) -> Tensor:
    """d(a·b)/da = b, d(a·b)/db = a."""
    return _binary(
        "*", a, b, np.multiply, lambda g, x, y, out: g * y, lambda g, x, y, out: g * x
    )


def div(a: Tensor, b: Any) -> Tensor:
    """d(a/b)/da = 1/b, d(a/b)/db = -a/b² = -(a/b)/b."""
    return _binary(
        "/",
        a,
        b,
        np.divide,
        lambda g, x, y, out: g / y,
        lambda g, x, y, out: -g * out / y,
    )


def pow(a: Tensor, exponent: Any) -> Tensor:
    """aᵖ: d/da = p·aᵖ⁻¹ (0 where p = 0, like PyTorch), d/dp = aᵖ·ln a (0 where a = 0
    and p ≥ 0). A negative base with a non-integer exponent gives NaN, as in PyTorch."""
    name = f"**{exponent:g}" if isinstance(exponent, (int, float)) else "**"
    return _binary(
        name,
        a,
        exponent,
        np.power,
        lambda g, x, p, out: np.where(p == 0, 0.0, g * p * x ** (p - 1)),
        lambda g, x, p, out: np.where((x == 0) & (p >= 0), 0.0, g * out * np.log(x)),
    )


def radd(a: Tensor, b: Any) -> Tensor:
    return add(core.as_operand(b, a), a)


def rsub(a: Tensor, b: Any) -> Tensor:
    return sub(core.as_operand(b, a), a)


def rmul(a: Tensor, b: Any) -> Tensor:
    return mul(core.as_operand(b, a), a)


def rdiv(a: Tensor, b: Any) -> Tensor:
    return div(core.as_operand(b, a), a)


def rpow(a: Tensor, base: Any) -> Tensor:
    """``2 ** x``: the base is the constant."""
    return pow(core.as_operand(base, a), a)


# ---------------------------------------------------------- functions of one number
def _unary(
    op: str,
    a: Tensor,
    data: np.ndarray,
    slope: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> Tensor:
    """The node ``data = f(a)`` whose local derivative is ``slope(a, data)``."""

    def backward(g: np.ndarray) -> None:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            core.accumulate(a, g * slope(a.data, data))

    return core.make_node(data, (a,), op, backward)


def neg(a: Tensor) -> Tensor:
    """d(-a)/da = -1."""
    return _unary("neg", a, -a.data, lambda x, out: np.array(-1, x.dtype))


def exp(a: Tensor) -> Tensor:
    """d(eᵃ)/da = eᵃ, the output itself."""
    with np.errstate(over="ignore"):
        return _unary("exp", a, np.exp(a.data), lambda x, out: out)


def log(a: Tensor) -> Tensor:
    """d(ln a)/da = 1/a (log 0 = -inf, log of a negative number NaN, like PyTorch)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return _unary("log", a, np.log(a.data), lambda x, out: 1 / x)


def sqrt(a: Tensor) -> Tensor:
    """d(√a)/da = 1 / (2√a) (inf at 0)."""
    with np.errstate(invalid="ignore"):
        return _unary("sqrt", a, np.sqrt(a.data), lambda x, out: 0.5 / out)


def abs(a: Tensor) -> Tensor:
    """d|a|/da = sign(a), 0 at a = 0 (PyTorch's choice of subgradient)."""
    return _unary("abs", a, np.abs(a.data), lambda x, out: np.sign(x))


def tanh(a: Tensor) -> Tensor:
    """d(tanh a)/da = 1 - tanh²(a)."""
    return _unary("tanh", a, np.tanh(a.data), lambda x, out: 1 - out * out)


def sigmoid(a: Tensor) -> Tensor:
    """σ(a) = 1/(1+e⁻ᵃ); dσ/da = σ(1-σ). Computed from e^(-|a|) ≤ 1: never overflows."""
    e = np.exp(-np.abs(a.data))
    data = np.where(a.data >= 0, 1, e) / (1 + e)
    return _unary("sigmoid", a, data, lambda x, out: out * (1 - out))


def relu(a: Tensor) -> Tensor:
    """d(max(a, 0))/da = 1 where a > 0, else 0 (0 at a = 0, like PyTorch)."""
    return _unary("relu", a, np.maximum(a.data, 0), lambda x, out: out > 0)


def leaky_relu(a: Tensor, negative_slope: float = 0.01) -> Tensor:
    """a where a > 0, else negative_slope·a (``torch.nn.functional.leaky_relu``);
    the slope at 0 is ``negative_slope``, as in PyTorch."""
    data = np.where(a.data > 0, a.data, a.data * negative_slope)
    return _unary(
        "leaky_relu", a, data, lambda x, out: np.where(x > 0, 1.0, negative_slope)
    )


def gelu(a: Tensor, approximate: str = "none") -> Tensor:
    """GELU(a) = a·Φ(a), Φ the standard normal CDF (``torch.nn.functional.gelu``).

    d/da = Φ(a) + a·φ(a). With ``approximate="tanh"``:
    0.5·a·(1 + tanh(√(2/π)·(a + 0.044715·a³))).
    """
    x = a.data
    if approximate == "tanh":
        k = math.sqrt(2 / math.pi)
        t = np.tanh(k * (x + 0.044715 * x**3))
        data = 0.5 * x * (1 + t)
        slope = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)
    elif approximate == "none":
        from scipy.special import ndtr  # lazy: scipy is slow to import

        cdf = ndtr(x)
        data = x * cdf
        slope = cdf + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    else:
        raise ValueError(
            f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}"
        )
    return _unary("gelu", a, data.astype(x.dtype), lambda x, out: slope)


def clamp(a: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """a limited to [min, max]; the gradient passes where min ≤ a ≤ max (PyTorch)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    lo = -np.inf if min is None else min
    hi = np.inf if max is None else max
    data = np.minimum(np.maximum(a.data, lo), hi).astype(a.data.dtype)
    return _unary("clamp", a, data, lambda x, out: (x >= lo) & (x <= hi))


# ----------------------------------------------------------- comparison, selection
def _compare(a: Tensor, other: Any, test: Callable[..., np.ndarray]) -> Any:
    """A boolean tensor without gradient (PyTorch's ``torch.bool`` result)."""
    if other is None or isinstance(other, (str, bytes)):
        return NotImplemented
    return core.leaf(np.asarray(test(a.data, getattr(other, "data", other))))


def eq(a: Tensor, b: Any) -> Any:
    """``a == b`` elementwise: a boolean tensor (not a test of identity)."""
    return _compare(a, b, np.equal)


def ne(a: Tensor, b: Any) -> Any:
    return _compare(a, b, np.not_equal)


def lt(a: Tensor, b: Any) -> Tensor:
    return _compare(a, b, np.less)


def le(a: Tensor, b: Any) -> Tensor:
    return _compare(a, b, np.less_equal)


def gt(a: Tensor, b: Any) -> Tensor:
    return _compare(a, b, np.greater)


def ge(a: Tensor, b: Any) -> Tensor:
    return _compare(a, b, np.greater_equal)


def _mask_of(mask: Any) -> np.ndarray:
    array = np.asarray(getattr(mask, "data", mask))
    if array.dtype != bool:
        raise TypeError(f"expected a boolean mask, got dtype {array.dtype}")
    return array


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """``input`` where ``condition`` holds, else ``other`` (``torch.where``); each
    receives the gradient at the positions it was picked from."""
    c = _mask_of(condition)
    x = input if isinstance(input, core.Tensor) else None
    y = other if isinstance(other, core.Tensor) else None
    like = x if x is not None else y
    if like is None:
        raise TypeError("where: input or other must be a Tensor")
    x, y = core.as_operand(input, like), core.as_operand(other, like)

    def backward(g: np.ndarray) -> None:
        if x.requires_grad:
            core.accumulate(x, np.where(c, g, 0.0))
        if y.requires_grad:
            core.accumulate(y, np.where(c, 0.0, g))

    return core.make_node(np.where(c, x.data, y.data), (x, y), "where", backward)


def tensor_where(a: Tensor, condition: Any, other: Any) -> Tensor:
    """``a.where(condition, other)``, PyTorch's method form of :func:`where`."""
    return where(condition, a, other)


def masked_fill(a: Tensor, mask: Any, value: float) -> Tensor:
    """``a`` with ``value`` where ``mask`` is True; those positions get no gradient."""
    m = _mask_of(mask)
    data = np.where(m, np.array(value, a.data.dtype), a.data)
    return _unary("masked_fill", a, data, lambda x, out: ~m)

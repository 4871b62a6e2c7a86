"""Checkers for ``exercises/07_backpropagation.ipynb``: the chain rule and backward rules.

Each backward rule is checked against the package's autograd engine
(:class:`dlcourse.autograd.Tensor`, itself tested against PyTorch) and, in the hidden
tests, against PyTorch float64 or central finite differences.

* q1 ``neuron_grads(x1, x2, w1, w2, b, t)``   the chapter's neuron, backward by hand
* q2 ``mul_backward(a, b, g)``                 the backward rule of ``a * b``
* q3 ``tanh_backward(x, g)``                   the backward rule of ``tanh``
* q4 ``div_backward(a, b, g)``                 the backward rule of ``a / b``
* q5 ``unbroadcast(grad, shape)``              summing a gradient back to a broadcast input's shape
* q6 ``numerical_gradient(f, x, h)``           your own gradient check

See chapter: Backpropagation
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .compare import parts
from .question import Question, call

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6"]

_rng = np.random.default_rng(707)


# ----------------------------------------------------------------- references
def _ref_neuron(
    x1: float, x2: float, w1: float, w2: float, b: float, t: float
) -> tuple[float, ...]:
    from dlcourse.autograd import Tensor

    W1, W2, B = (Tensor(v, requires_grad=True) for v in (w1, w2, b))
    L = ((W1 * x1 + W2 * x2 + B).tanh() - t) ** 2
    L.backward()
    return float(W1.grad), float(W2.grad), float(B.grad)


def _ref_binary(op: str) -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    def ref(
        a: np.ndarray, b: np.ndarray, g: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        from dlcourse.autograd import Tensor

        A, B = (
            Tensor(np.array(a, dtype=float), requires_grad=True),
            Tensor(np.array(b, dtype=float), requires_grad=True),
        )
        (A * B if op == "mul" else A / B).backward(np.array(g, dtype=float))
        return A.grad, B.grad

    return ref


def _torch_binary(op: str) -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    def ref(
        a: np.ndarray, b: np.ndarray, g: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        import torch

        A, B = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        (A * B if op == "mul" else A / B).backward(torch.tensor(g))
        return A.grad.numpy(), B.grad.numpy()

    return ref


def _ref_tanh(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    from dlcourse.autograd import Tensor

    X = Tensor(np.array(x, dtype=float), requires_grad=True)
    X.tanh().backward(np.array(g, dtype=float))
    return X.grad


def _torch_tanh(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    import torch

    X = torch.tensor(x, requires_grad=True)
    torch.tanh(X).backward(torch.tensor(g))
    return X.grad.numpy()


def _ref_unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """What the engine gives an input of ``shape`` added to something of ``grad.shape``."""
    from dlcourse.autograd import Tensor

    a = Tensor(np.zeros(shape), requires_grad=True)
    (a + np.zeros(grad.shape)).backward(np.array(grad, dtype=float))
    return a.grad


def _fd_pair(
    f_np: Callable[[np.ndarray], float], f_tensor: Callable[[Any], Any]
) -> tuple[Callable, Callable]:
    """A test function (NumPy) and the reference gradient from the engine (same maths, on a Tensor)."""

    def ref(f: Any, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
        from dlcourse.autograd import Tensor

        X = Tensor(np.array(x, dtype=float), requires_grad=True)
        f_tensor(X).backward()
        return X.grad

    return f_np, ref


def _f1(x: np.ndarray) -> float:
    return float(np.sum(x**3) - 2.0 * np.sum(x))


def _f2(x: np.ndarray) -> float:
    return float(
        np.sum(np.tanh(x) * np.arange(1, x.size + 1).reshape(x.shape)) + np.sum(x) ** 2
    )


_F1, _REF1 = _fd_pair(_f1, lambda X: (X**3).sum() - 2.0 * X.sum())
_F2, _REF2 = _fd_pair(
    _f2,
    lambda X: (
        (X.tanh() * np.arange(1, X.size + 1).reshape(X.shape)).sum() + X.sum() ** 2
    ),
)


# ------------------------------------------------------------------ questions
_N = dict(name="neuron_grads", compare=parts("dL/dw1", "dL/dw2", "dL/db"))

q1 = Question(
    "q1",
    "neuron_grads",
    tests=[
        call([1.0, -2.0, 0.3, 0.4, 0.1, 1.0], _ref_neuron, **_N),
        call([0.5, 1.5, -0.2, 0.7, 0.0, -1.0], _ref_neuron, **_N),
    ],
    hidden_tests=[
        call(list(_rng.normal(size=6)), _ref_neuron, **_N),
        call([2.0, -1.0, 3.0, 2.0, 1.0, 1.0], _ref_neuron, **_N),
    ],
    hint="Forward: z = w1 x1 + w2 x2 + b, a = tanh(z), L = (a - t)². Backward, one local derivative "
    "at a time: dL/da = 2(a - t), dL/dz = dL/da · (1 - a²), and then dL/dw1 = dL/dz · x1, ...",
    solution="""
def neuron_grads(x1, x2, w1, w2, b, t):
    a = np.tanh(w1 * x1 + w2 * x2 + b)
    dL_dz = 2 * (a - t) * (1 - a ** 2)
    return dL_dz * x1, dL_dz * x2, dL_dz
""",
)

_M = dict(name="mul_backward", compare=parts("grad_a", "grad_b"))
_a, _b, _g = (_rng.normal(size=(3, 4)) for _ in range(3))

q2 = Question(
    "q2",
    "mul_backward",
    tests=[
        call(
            [np.array([2.0]), np.array([-3.0]), np.array([1.0])],
            _ref_binary("mul"),
            **_M,
        ),
        call(
            [
                np.array([1.0, 2.0, 3.0]),
                np.array([4.0, 5.0, 6.0]),
                np.array([1.0, -1.0, 0.5]),
            ],
            _ref_binary("mul"),
            **_M,
        ),
    ],
    hidden_tests=[
        call([_a, _b, _g], _ref_binary("mul"), **_M),
        call(
            [_a, _b, _g],
            _torch_binary("mul"),
            **dict(_M, name="mul_backward (vs PyTorch)"),
        ),
        call(
            [_a, _a, _g],
            _ref_binary("mul"),
            **dict(_M, name="mul_backward (a and b equal)"),
        ),
    ],
    hint="For c = a · b, nudging a by ε changes c by b · ε, so grad_a = g · b; likewise grad_b = g · a "
    "(each factor gets the blame times the *other* factor).",
    solution="""
def mul_backward(a, b, g):
    return g * b, g * a
""",
)

q3 = Question(
    "q3",
    "tanh_backward",
    tests=[
        call([np.array([0.0]), np.array([1.0])], _ref_tanh, name="tanh_backward"),
        call(
            [np.array([-2.0, -0.5, 0.5, 2.0]), np.array([1.0, 2.0, -1.0, 0.5])],
            _ref_tanh,
            name="tanh_backward",
        ),
        call(  # "saturated inputs (|x| in the hundreds) without overflow or NaN"
            [np.array([-300.0, 0.5, 400.0]), np.array([1.0, 1.0, -2.0])],
            _ref_tanh,
            name="tanh_backward (saturated: no overflow, no NaN)",
        ),
    ],
    hidden_tests=[
        call(
            [_rng.normal(scale=2.0, size=(5, 3)), _rng.normal(size=(5, 3))],
            _torch_tanh,
            name="tanh_backward (vs PyTorch)",
        ),
        call(
            [np.array([-800.0, 30.0, 800.0]), np.ones(3)],
            _ref_tanh,
            name="tanh_backward (saturated: no overflow, no NaN)",
        ),
    ],
    hint="d tanh(x)/dx = 1 - tanh(x)². Multiply by the upstream gradient g (chain rule).",
    solution="""
def tanh_backward(x, g):
    return g * (1.0 - np.tanh(x) ** 2)
""",
)

_D = dict(name="div_backward", compare=parts("grad_a", "grad_b"))

q4 = Question(
    "q4",
    "div_backward",
    tests=[
        call(
            [np.array([6.0]), np.array([3.0]), np.array([1.0])],
            _ref_binary("div"),
            **_D,
        ),
        call(
            [np.array([1.0, -2.0]), np.array([0.5, 4.0]), np.array([2.0, 1.0])],
            _ref_binary("div"),
            **_D,
        ),
    ],
    hidden_tests=[
        call(
            [_a, _b + np.sign(_b), _g],
            _torch_binary("div"),
            **dict(_D, name="div_backward (vs PyTorch)"),
        )
    ],
    hint="c = a / b = a · b⁻¹. ∂c/∂a = 1/b and ∂c/∂b = -a/b². Multiply each by g.",
    solution="""
def div_backward(a, b, g):
    return g / b, -g * a / b ** 2
""",
)

q5 = Question(
    "q5",
    "unbroadcast",
    tests=[
        call([np.ones((2, 3)), (3,)], _ref_unbroadcast, name="unbroadcast"),
        call(
            [np.arange(6.0).reshape(2, 3), (2, 1)], _ref_unbroadcast, name="unbroadcast"
        ),
        call(  # "a new array", also when there is nothing to sum
            [np.arange(6.0).reshape(2, 3), (2, 3)],
            _ref_unbroadcast,
            name="unbroadcast (nothing was broadcast)",
        ),
        call(  # "any shapes": both rules at once, and down to a scalar
            [np.arange(24.0).reshape(2, 3, 4), (3, 1)],
            _ref_unbroadcast,
            name="unbroadcast",
        ),
        call(
            [np.arange(6.0).reshape(3, 2), ()],
            _ref_unbroadcast,
            name="unbroadcast (to a scalar)",
        ),
    ],
    hidden_tests=[
        call(
            [_rng.normal(size=(2, 3, 4)), (3, 1)], _ref_unbroadcast, name="unbroadcast"
        ),
        call(
            [_rng.normal(size=(2, 3, 4)), (2, 1, 4)],
            _ref_unbroadcast,
            name="unbroadcast",
        ),
        call(
            [_rng.normal(size=(2, 3)), (2, 3)],
            _ref_unbroadcast,
            name="unbroadcast (nothing was broadcast)",
        ),
        call(
            [_rng.normal(size=(4, 5)), ()],
            _ref_unbroadcast,
            name="unbroadcast (to a scalar)",
        ),
    ],
    points=2,
    hint="Broadcasting copies the input along (1) extra leading axes and (2) axes where it has size 1. "
    "Each copy gets its own gradient, and the copies' gradients add up: sum over the extra "
    "leading axes, then over the size-1 axes with keepdims=True.",
    solution="""
def unbroadcast(grad, shape):
    while grad.ndim > len(shape):          # extra leading axes
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):    # axes that were stretched from size 1
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return np.array(grad)                  # a new array, even when nothing was summed
""",
)

_FD = dict(name="numerical_gradient", rtol=1e-7, atol=1e-7)

q6 = Question(
    "q6",
    "numerical_gradient",
    tests=[
        call([_F1, np.array([1.0, -2.0, 0.5])], _REF1, **_FD),
        call([_F2, np.array([0.3, -0.7])], _REF2, **_FD),
        call(  # "x of any shape"
            [_F2, np.array([[0.3, -0.7, 1.1], [0.0, 2.0, -1.5]])],
            _REF2,
            **dict(_FD, name="numerical_gradient (a 2-D x)"),
        ),
    ],
    hidden_tests=[
        call(
            [_F2, _rng.normal(size=(3, 4))],
            _REF2,
            **dict(_FD, name="numerical_gradient (a 2-D x)"),
        ),
        call([_F1, _rng.normal(size=7)], _REF1, **_FD),
        call(
            [_F1, np.array([0.5, -1.0])],
            _REF1,
            kwargs=dict(h=1e-3),
            **dict(
                _FD,
                name="numerical_gradient (h = 1e-3: central differences are "
                "accurate to h², one-sided ones only to h)",
                atol=3e-6,
            ),
        ),
    ],
    points=2,
    hint="For each index i (use `np.ndindex(x.shape)` so it works for any shape): remember x[i], set it "
    "to x[i] + h and evaluate f, then x[i] - h and evaluate f, put x[i] back, and store "
    "(f_plus - f_minus) / (2h). Work on a copy of x so the caller's array is left unchanged.",
    solution="""
def numerical_gradient(f, x, h=1e-6):
    x = np.array(x, dtype=float)           # a copy: the caller's array stays as it was
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        up = f(x)
        x[idx] = old - h
        down = f(x)
        x[idx] = old
        grad[idx] = (up - down) / (2 * h)
    return grad
""",
)

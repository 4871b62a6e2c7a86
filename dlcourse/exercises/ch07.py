"""Checkers for ``exercises/07_backpropagation.ipynb``: the chain rule and backward rules.

Each backward rule is checked against the package's autograd engine
(:class:`dlcourse.autograd.Tensor`, itself tested against PyTorch). The hidden tests (also
against PyTorch float64 and central finite differences) and the reference solutions are not
here: they stay with the instructor (``dlcourse_instructor.answers.ch07``).

* q1 ``neuron_grads(x1, x2, w1, w2, b, t)``   the chapter's neuron, backward by hand
* q2 ``mul_backward(a, b, g)``                 the backward rule of ``a * b``
* q3 ``tanh_backward(x, g)``                   the backward rule of ``tanh``
* q4 ``div_backward(a, b, g)``                 the backward rule of ``a / b``
* q5 ``unbroadcast(grad, shape)``              summing a gradient back to a broadcast input's shape
* q6 ``numerical_gradient(f, x, h)``           your own gradient check

See chapter: Backpropagation (book/07_backpropagation.ipynb)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .checks import call
from .compare import parts
from .probe import Code
from .question import Question

__all__ = [
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "q6",
    "reference_neuron",
    "reference_binary",
    "reference_tanh",
    "reference_unbroadcast",
    "reference_gradient",
    "F1",
    "F2",
    "REF_F1",
    "REF_F2",
    "NEURON",
    "MUL",
    "DIV",
    "SATURATED",
    "NO_OVERFLOW",
    "NUMERICAL",
]


# ----------------------------------------------------------------- references
def reference_neuron(
    x1: float, x2: float, w1: float, w2: float, b: float, t: float
) -> tuple[float, ...]:
    """(dL/dw1, dL/dw2, dL/db) of the chapter's neuron by the autograd engine."""
    from dlcourse.autograd import Tensor

    W1, W2, B = (Tensor(v, requires_grad=True) for v in (w1, w2, b))
    L = ((W1 * x1 + W2 * x2 + B).tanh() - t) ** 2
    L.backward()
    assert W1.grad is not None and W2.grad is not None and B.grad is not None
    return float(W1.grad), float(W2.grad), float(B.grad)


def reference_binary(op: str) -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """The engine's gradients of ``a * b`` (``op="mul"``) or ``a / b`` (``"div"``)."""

    def ref(
        a: np.ndarray, b: np.ndarray, g: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        from dlcourse.autograd import Tensor

        A, B = (
            Tensor(np.array(a, dtype=float), requires_grad=True),
            Tensor(np.array(b, dtype=float), requires_grad=True),
        )
        (A * B if op == "mul" else A / B).backward(np.array(g, dtype=float))
        assert A.grad is not None and B.grad is not None
        return A.grad, B.grad

    return ref


def reference_tanh(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """The engine's gradient of tanh(x) for the upstream gradient g."""
    from dlcourse.autograd import Tensor

    X = Tensor(np.array(x, dtype=float), requires_grad=True)
    X.tanh().backward(np.array(g, dtype=float))
    assert X.grad is not None
    return X.grad


def reference_unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """What the engine gives an input of ``shape`` added to something of ``grad.shape``."""
    from dlcourse.autograd import Tensor

    a = Tensor(np.zeros(shape), requires_grad=True)
    (a + np.zeros(grad.shape)).backward(np.array(grad, dtype=float))
    assert a.grad is not None
    return a.grad


def reference_gradient(f_tensor: Callable[[Any], Any]) -> Callable[..., np.ndarray]:
    """The exact gradient, by the engine, of the test function written on Tensors."""

    def ref(f: Any, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
        from dlcourse.autograd import Tensor

        X = Tensor(np.array(x, dtype=float), requires_grad=True)
        f_tensor(X).backward()
        assert X.grad is not None
        return X.grad

    return ref


#: The test functions of q6 (built where the answer runs) and their exact gradients.
_F1 = "lambda x: float(np.sum(x**3) - 2.0 * np.sum(x))"
_F2 = (
    "lambda x: float(np.sum(np.tanh(x) * np.arange(1, x.size + 1).reshape(x.shape))"
    " + np.sum(x) ** 2)"
)
F1, F2 = Code(_F1, label=_F1), Code(_F2, label=_F2)  # shown whole in messages
REF_F1 = reference_gradient(lambda X: (X**3).sum() - 2.0 * X.sum())
REF_F2 = reference_gradient(
    lambda X: (
        (X.tanh() * np.arange(1, X.size + 1).reshape(X.shape)).sum() + X.sum() ** 2
    )
)


# ------------------------------------------------------------------ questions
NEURON = {"name": "neuron_grads", "compare": parts("dL/dw1", "dL/dw2", "dL/db")}

q1 = Question(
    "q1",
    "neuron_grads",
    tests=[
        call([1.0, -2.0, 0.3, 0.4, 0.1, 1.0], reference_neuron, **NEURON),
        call([0.5, 1.5, -0.2, 0.7, 0.0, -1.0], reference_neuron, **NEURON),
    ],
    hint="Forward: z = w1 x1 + w2 x2 + b, a = tanh(z), L = (a - t)². Backward, one local derivative "
    "at a time: dL/da = 2(a - t), dL/dz = dL/da · (1 - a²), and then dL/dw1 = dL/dz · x1, ...",
)

MUL = {"name": "mul_backward", "compare": parts("grad_a", "grad_b")}

q2 = Question(
    "q2",
    "mul_backward",
    tests=[
        call(
            [np.array([2.0]), np.array([-3.0]), np.array([1.0])],
            reference_binary("mul"),
            **MUL,
        ),
        call(
            [
                np.array([1.0, 2.0, 3.0]),
                np.array([4.0, 5.0, 6.0]),
                np.array([1.0, -1.0, 0.5]),
            ],
            reference_binary("mul"),
            **MUL,
        ),
    ],
    hint="For c = a · b, nudging a by ε changes c by b · ε, so grad_a = g · b; likewise grad_b = g · a "
    "(each factor gets the blame times the *other* factor).",
)

#: The requirement the prompt states for saturated inputs (the notes of those checks), and
#: how it is observed: NumPy raises at the first overflow or invalid operation (inf / inf).
SATURATED = (
    "saturated inputs: the gradient must come out finite and correct, without overflow "
    "or NaN on the way"
)
NO_OVERFLOW = {"over": "raise", "invalid": "raise"}

q3 = Question(
    "q3",
    "tanh_backward",
    tests=[
        call([np.array([0.0]), np.array([1.0])], reference_tanh, name="tanh_backward"),
        call(
            [np.array([-2.0, -0.5, 0.5, 2.0]), np.array([1.0, 2.0, -1.0, 0.5])],
            reference_tanh,
            name="tanh_backward",
        ),
        call(  # |x| in the hundreds: exp(2x) overflows (x > 355)
            [np.array([-300.0, 0.5, 400.0]), np.array([1.0, 1.0, -2.0])],
            reference_tanh,
            name=f"tanh_backward ({SATURATED})",
            errstate=NO_OVERFLOW,
        ),
        call(  # both signs, and beyond 709.8 where exp(x) itself overflows
            [
                np.array([-1000.0, -710.5, -400.0, 400.0, 710.5, 1000.0]),
                np.array([1.0, -2.0, 0.5, 3.0, -1.0, 2.0]),
            ],
            reference_tanh,
            name=f"tanh_backward ({SATURATED})",
            errstate=NO_OVERFLOW,
        ),
    ],
    hint="d tanh(x)/dx = 1 - tanh(x)². Multiply by the upstream gradient g (chain rule). "
    "`np.tanh` itself never overflows; formulas built from `np.exp` or `np.cosh` do for "
    "large |x|.",
)

DIV = {"name": "div_backward", "compare": parts("grad_a", "grad_b")}

q4 = Question(
    "q4",
    "div_backward",
    tests=[
        call(
            [np.array([6.0]), np.array([3.0]), np.array([1.0])],
            reference_binary("div"),
            **DIV,
        ),
        call(
            [np.array([1.0, -2.0]), np.array([0.5, 4.0]), np.array([2.0, 1.0])],
            reference_binary("div"),
            **DIV,
        ),
    ],
    hint="c = a / b = a · b⁻¹. ∂c/∂a = 1/b and ∂c/∂b = -a/b². Multiply each by g.",
)

q5 = Question(
    "q5",
    "unbroadcast",
    tests=[
        call([np.ones((2, 3)), (3,)], reference_unbroadcast, name="unbroadcast"),
        call(
            [np.arange(6.0).reshape(2, 3), (2, 1)],
            reference_unbroadcast,
            name="unbroadcast",
        ),
        call(  # "a new array", also when there is nothing to sum
            [np.arange(6.0).reshape(2, 3), (2, 3)],
            reference_unbroadcast,
            name="unbroadcast (nothing was broadcast)",
        ),
        call(  # "any shapes": both rules at once, and down to a scalar
            [np.arange(24.0).reshape(2, 3, 4), (3, 1)],
            reference_unbroadcast,
            name="unbroadcast",
        ),
        call(
            [np.arange(6.0).reshape(3, 2), ()],
            reference_unbroadcast,
            name="unbroadcast (to a scalar)",
        ),
    ],
    points=2,
    hint="Broadcasting copies the input along (1) extra leading axes and (2) axes where it has size 1. "
    "Each copy gets its own gradient, and the copies' gradients add up: sum over the extra "
    "leading axes, then over the size-1 axes with keepdims=True.",
)

NUMERICAL = {"name": "numerical_gradient", "rtol": 1e-7, "atol": 1e-7}

q6 = Question(
    "q6",
    "numerical_gradient",
    tests=[
        call([F1, np.array([1.0, -2.0, 0.5])], REF_F1, **NUMERICAL),
        call([F2, np.array([0.3, -0.7])], REF_F2, **NUMERICAL),
        call(  # "x of any shape"
            [F2, np.array([[0.3, -0.7, 1.1], [0.0, 2.0, -1.5]])],
            REF_F2,
            **dict(NUMERICAL, name="numerical_gradient (a 2-D x)"),
        ),
    ],
    points=2,
    hint="For each index i (use `np.ndindex(x.shape)` so it works for any shape): remember x[i], set it "
    "to x[i] + h and evaluate f, then x[i] - h and evaluate f, put x[i] back, and store "
    "(f_plus - f_minus) / (2h). Work on a copy of x so the caller's array is left unchanged.",
)

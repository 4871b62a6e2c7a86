"""Checkers for ``exercises/07_backpropagation.ipynb``: the chain rule and backward rules.

Each backward rule is checked against the package's autograd engine
(:class:`dlcourse.autograd.Tensor`, itself tested against PyTorch). The hidden tests (also
against PyTorch float64 and central finite differences) and the reference solutions are not
here: they stay with the instructor (``dlcourse_instructor.answers.ch07``).

* q1 ``neuron_grads(x1, x2, w1, w2, b, t)``   a sigmoid neuron, backward by hand
* q2 ``mul_backward(a, b, g)``                 the backward rule of ``a * b``
* q3 ``tanh_backward(x, g)``                   the backward rule of ``tanh``
* q4 ``div_backward(a, b, g)``                 the backward rule of ``a / b``
* q5 ``unbroadcast(grad, shape)``              summing a gradient back to a broadcast input's shape
* q6 ``numerical_gradient(f, x, h)``           a gradient check accurate to h⁴ (Richardson)
* q7 ``mlp_backward(X, y, W1, b1, W2, b2)``     backprop by hand through a two-layer MLP, in matrix form
* q8 ``linear_backward(x, W, b, g)``            find the bug in a linear layer's backward
* q9 ``zero_init_gradients``                    predict which gradients a zero-initialised MLP gets

See chapter: Backpropagation (book/07_backpropagation.ipynb)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .ch07_matrix import (
    LINEAR,
    MLP_GRADS,
    linear_inputs,
    mlp_inputs,
    reference_linear,
    reference_mlp_grads,
)
from .checks import call
from .choice import choice
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
    "q7",
    "q8",
    "q9",
    "ZERO_INIT_OPTIONS",
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
    """(dL/dw1, dL/dw2, dL/db) of the sigmoid sister of the chapter's neuron, by the
    autograd engine."""
    from dlcourse.autograd import Tensor

    W1, W2, B = (Tensor(v, requires_grad=True) for v in (w1, w2, b))
    L = ((W1 * x1 + W2 * x2 + B).sigmoid() - t) ** 2
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
    hint="Forward: z = w1 x1 + w2 x2 + b, a = sigmoid(z), L = (a - t)². Backward, one local "
    "derivative at a time, as in the chapter's table: dL/da = 2(a - t), then da/dz, which for "
    "the sigmoid is sigmoid(z) (1 - sigmoid(z)) = a (1 - a), and then dL/dw1 = dL/dz · x1, ...",
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
        call(  # a cubic: an estimate accurate to h⁴ is exact, a central difference is off by h²
            [F1, np.array([1.0, -2.0, 0.5])],
            REF_F1,
            kwargs={"h": 0.1},
            **dict(
                NUMERICAL,
                name="numerical_gradient (h = 0.1 on a cubic, where an estimate "
                "accurate to h⁴ is exact and a central difference is off by h²)",
            ),
        ),
        call(
            [F2, np.array([0.3, -0.7])],
            REF_F2,
            kwargs={"h": 0.01},
            **dict(NUMERICAL, name="numerical_gradient (h = 0.01)"),
        ),
        call(  # "x of any shape"
            [F2, np.array([[0.3, -0.7, 1.1], [0.0, 2.0, -1.5]])],
            REF_F2,
            **dict(NUMERICAL, name="numerical_gradient (a 2-D x, the default h)"),
        ),
    ],
    points=2,
    hint="Write D(h) for the chapter's central difference of one element. Then D(h) ≈ g + c h² "
    "and D(2h) ≈ g + 4 c h², with the same c. Look for weights a and b with "
    "a·D(h) + b·D(2h) = g: they must keep g (a + b = 1) and cancel c h² (a + 4b = 0). Loop "
    "over `np.ndindex(x.shape)` on a copy of x, as the chapter's loop does, and evaluate f at "
    "x ± h and at x ± 2h for each element.",
)


# ------------------------------------------------------- q7-q9: the rule in matrix form
q7 = Question(
    "q7",
    "mlp_backward",
    tests=[
        call(
            mlp_inputs(seed=1, n=4, d=3, hidden=5, classes=3),
            reference_mlp_grads,
            **MLP_GRADS,
        ),
        call(  # a batch of one row: the sums over the batch have one term
            mlp_inputs(seed=2, n=1, d=2, hidden=3, classes=4),
            reference_mlp_grads,
            **dict(MLP_GRADS, name="mlp_backward (a batch of one example)"),
        ),
    ],
    points=2,
    hint="Forward first and keep what you need: Z1 = X @ W1.T + b1, H = tanh(Z1), "
    "Z2 = H @ W2.T + b2. The mean cross-entropy's gradient with respect to the logits is "
    "(softmax(Z2) - onehot(y)) / N. Then, per layer, the rule of the chapter with a batch "
    "as rows: dW = delta.T @ (the layer's input), db = delta summed over the rows, and the "
    "delta one layer down is (delta @ W) * f'(Z), with tanh'(Z1) = 1 - H**2. Compare every "
    "shape with the parameter's shape.",
)

q8 = Question(
    "q8",
    "linear_backward",
    tests=[
        call(linear_inputs(seed=3, n=1, d_in=3, d_out=2), reference_linear, **LINEAR),
        call(  # a batch: the bias was used once per row
            linear_inputs(seed=4, n=5, d_in=3, d_out=2),
            reference_linear,
            **dict(LINEAR, name="linear_backward (a batch of 5 rows)"),
        ),
    ],
    points=1,
    hint="The buggy version passed a gradient check on one example. What differs with a "
    "batch? Each gradient must have the shape of what it is the gradient of; the bias is "
    "broadcast over the rows, so it received blame from every row (the chapter's \"used "
    'twice" rule, and your `unbroadcast` of question 5).',
)

#: What the student predicts in q9: which gradients of a zero-initialised MLP are nonzero.
ZERO_INIT_OPTIONS = ("A", "B", "C", "D")

q9 = Question(
    "q9",
    "zero_init_gradients",
    tests=[choice(ZERO_INIT_OPTIONS)],
    points=1,
    hint="Go through the rule layer by layer. With W1 = 0 and b1 = 0, what are Z1 and H? "
    "dW2 is a product with H; the delta that reaches the hidden layer is a product with W2; "
    "dW1 and db1 are built from that delta. Only what does not pass through a zero survives.",
)

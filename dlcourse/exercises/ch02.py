"""Checkers for ``exercises/02_activations.ipynb``: derivatives, saturation, collapsing linear layers.

Expected answers come from :mod:`dlcourse.activations` (itself tested against PyTorch) and,
for the collapsed network, from running the layers one after the other.

See chapter: Activation functions
"""

from __future__ import annotations

import numpy as np

from dlcourse.activations import sigmoid_grad, tanh

from .compare import assert_close, to_array
from .question import Question, call, holds, value

__all__ = ["q1", "q2", "q3", "q4"]

_rng = np.random.default_rng(2)

# ---------------------------------------------------------------- q1: the sigmoid's derivative
_Q1_SOLUTION = '''
def sigmoid_derivative(z):
    """σ'(z) = σ(z) (1 − σ(z)), elementwise, without overflow for large |z|."""
    e = np.exp(-np.abs(z))                          # never overflows
    s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))  # σ(z), stable for either sign
    return s * (1 - s)
'''


def _no_overflow(z: np.ndarray):
    """A test: σ'(z) for huge |z| is 0 (to float precision), computed with no overflow in exp.

    The naive σ(z) = 1 / (1 + exp(−z)) gives the right 0 at z = −1000, but only after
    exp(1000) overflowed to inf (NumPy warns); the prompt asks for no overflow at all.
    """
    shown = f"sigmoid_derivative(np.array({z.tolist()}))"

    def test(f) -> None:
        if not callable(f):
            return  # the other checks say so
        try:
            with np.errstate(
                over="raise", invalid="raise"
            ):  # a warning becomes an error
                out = f(z.copy())
        except FloatingPointError as err:
            raise AssertionError(
                f"{shown} overflows ({err}): exp(1000) is inf; "
                f"compute σ(z) without exponentiating a large positive number"
            ) from None
        assert_close(out, np.zeros_like(z), shown, atol=1e-12)

    return test


q1 = Question(
    "q1",
    "sigmoid_derivative",
    tests=[
        call([np.array([0.0])], np.array([0.25])),  # the maximum, 1/4, at z = 0
        call([np.array([-2.0, -0.5, 0.0, 1.0, 3.0])], sigmoid_grad),
        call([np.linspace(-6, 6, 12).reshape(3, 4)], sigmoid_grad),  # any shape
        _no_overflow(np.array([-1000.0, 1000.0])),  # huge |z|: finite, no overflow
    ],
    hidden_tests=[
        call([_rng.standard_normal((4, 5)) * 3], sigmoid_grad),
        _no_overflow(np.array([[-800.0, 750.0], [-1e4, 1e4]])),
        holds(
            lambda f: bool(np.allclose(f(np.array([2.0])), f(np.array([-2.0])))),
            "σ' is symmetric: σ'(z) = σ'(−z)",
        ),
    ],
    hint="Use σ'(z) = σ(z)(1 − σ(z)). For σ itself, exp(−z) overflows when z is very negative; "
    "compute e = exp(−|z|) (always ≤ 1) and use 1/(1+e) for z ≥ 0, e/(1+e) for z < 0 (np.where).",
    solution=_Q1_SOLUTION,
)

# ---------------------------------------------------------------- q2: a derivative, checked numerically
_Q2_SOLUTION = '''
def central_difference(f, z, h=1e-5):
    """The slope of f at z estimated as (f(z + h) − f(z − h)) / (2h), elementwise."""
    return (f(z + h) - f(z - h)) / (2 * h)
'''


def _tanh_grad_formula(f, z):
    return (
        1.0 - tanh(z) ** 2
    )  # the exact derivative of tanh: a numerical estimate must come close


def cube(z):
    return z**3


_zs = np.array([-2.0, -0.3, 0.0, 0.7, 1.5])
q2 = Question(
    "q2",
    "central_difference",
    tests=[
        call([tanh, _zs], _tanh_grad_formula, rtol=1e-6, atol=1e-9),
        call([np.sin, _zs], lambda f, z: np.cos(z), atol=1e-9),
        call([cube, np.array([2.0])], np.array([12.0]), atol=1e-6),
        # the step h you are given: for z³ at 1 with h = 0.1 the estimate is 3 + h² = 3.01
        call([cube, np.array([1.0])], np.array([3.01]), kwargs={"h": 0.1}, atol=1e-9),
    ],
    hidden_tests=[
        holds(
            lambda f: abs(f(lambda z: z**3, np.array([1.0]), h=0.1)[0] - 3.01) < 1e-9,
            "the estimate must use the step h you are given (for z³ at 1 with h = 0.1 it is 3.01)",
        ),
        holds(
            lambda f: abs(f(np.exp, np.array([0.0]), h=1e-3)[0] - 1.0) < 1e-6,
            "a central difference has error O(h²), not O(h): use f(z + h) and f(z − h)",
        ),
    ],
    hint="Evaluate f a little to the right and a little to the left of z and divide the rise by "
    "the run, 2h. Central differences are far more accurate than (f(z + h) − f(z)) / h.",
    solution=_Q2_SOLUTION,
)

# ---------------------------------------------------------------- q3: saturation
_Q3_SOLUTION = """
# σ' ≤ 1/4, so n sigmoid layers shrink a gradient by at least (1/4)^n.
layers_to_vanish = 1
while 0.25 ** layers_to_vanish >= 1e-6:
    layers_to_vanish += 1
"""

q3 = Question(
    "q3",
    "layers_to_vanish",
    tests=[
        value(
            int(np.ceil(np.log(1e6) / np.log(4.0))),
            name="layers_to_vanish",
            check_dtype=False,
        )
    ],
    hidden_tests=[
        holds(
            lambda n: (
                float(sigmoid_grad(0.0)) ** n
                < 1e-6
                <= float(sigmoid_grad(0.0)) ** (n - 1)
            ),
            "n must be the smallest depth whose best-case factor σ'(0)^n is below 10⁻⁶",
        )
    ],
    hint="The derivative of the sigmoid is at most σ'(0) = 1/4. Backpropagating through n sigmoid "
    "layers multiplies the gradient by n such factors. Find the smallest n with (1/4)^n < 10⁻⁶.",
    solution=_Q3_SOLUTION,
)

# ---------------------------------------------------------------- q4: no activation → one layer
_Q4_SOLUTION = '''
def collapse_linear(layers):
    """The single layer (W, b) equal to the stack of linear layers [(W1, b1), (W2, b2), ...].

    Each layer computes h ↦ W h + b; two of them give W2 (W1 h + b1) + b2.
    """
    W, b = layers[0]
    for W_next, b_next in layers[1:]:
        W, b = W_next @ W, W_next @ b + b_next
    return W, b
'''


def _run_layers(layers, X):
    for W, b in layers:
        X = X @ W.T + b
    return X


def _compare_collapsed(actual, layers, what: str) -> None:
    # Independent of how the answer was computed: the one layer must act like the stack.
    if not isinstance(actual, tuple) or len(actual) != 2:
        raise AssertionError(
            f"{what} should return a tuple (W, b), but returned {type(actual).__name__}"
        )
    n_in, n_out = layers[0][0].shape[1], layers[-1][0].shape[0]
    W, b = to_array(actual[0], f"{what} → W"), to_array(actual[1], f"{what} → b")
    if W.shape != (n_out, n_in):
        raise AssertionError(
            f"{what} → W has the wrong shape: expected {(n_out, n_in)}, got {W.shape}"
        )
    if b.shape != (n_out,):  # like every layer's bias: one number per output
        raise AssertionError(
            f"{what} → b has the wrong shape: expected {(n_out,)}, got {b.shape}"
        )
    X = np.random.default_rng(0).standard_normal((7, n_in))
    assert_close(
        X @ W.T + b,
        _run_layers(layers, X),
        f"{what}: the collapsed layer's outputs on 7 random inputs",
    )


def _layers(sizes, seed):
    rng = np.random.default_rng(seed)
    return [
        (rng.standard_normal((m, n)), rng.standard_normal(m))
        for n, m in zip(sizes[:-1], sizes[1:])
    ]


q4 = Question(
    "q4",
    "collapse_linear",
    tests=[
        call(
            [_layers([2, 3, 1], 0)], lambda layers: layers, compare=_compare_collapsed
        ),
        call(
            [_layers([4, 5, 5, 3, 2], 1)],
            lambda layers: layers,
            compare=_compare_collapsed,
        ),
    ],
    hidden_tests=[
        call([_layers([3, 3], 2)], lambda layers: layers, compare=_compare_collapsed),
        call(
            [_layers([2, 16, 16, 16, 16, 1], 3)],
            lambda layers: layers,
            compare=_compare_collapsed,
        ),
    ],
    hint="Substitute: W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2). Keep a running (W, b) and fold "
    "in one layer at a time: W ← W_next @ W, b ← W_next @ b + b_next.",
    solution=_Q4_SOLUTION,
)

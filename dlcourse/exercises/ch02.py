"""Checkers for ``exercises/02_activations.ipynb``: derivatives, saturation, collapsing linear layers.

Expected answers come from :mod:`dlcourse.activations` (itself tested against PyTorch) and,
for the collapsed network, from running the layers one after the other; q2's (a fourth-order
numerical derivative, a step beyond the chapter's central difference) from exact derivatives
and from literals worked out once by hand. q5 (predict which
starting points leave a ReLU neuron dead) is a choice, judged here for its form only
(:mod:`.choice`); its experiment, :func:`train_relu_neuron`, is the chapter's dead-ReLU
demonstration. q6 (find the bug in a dead-unit counter) is checked on small literal
batches whose answers were worked out by hand. The hidden tests and the reference
solutions are not here: they stay with the instructor (``dlcourse_instructor.answers.ch02``).

See chapter: Activation functions (book/02_activations.ipynb)
"""

from __future__ import annotations

import itertools

import numpy as np

from dlcourse.activations import relu, relu_grad, sigmoid_grad, tanh

from .checks import call, value
from .choice import choice
from .compare import assert_close, to_array
from .probe import Code
from .question import Question

__all__ = [
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "q6",
    "STARTS",
    "train_relu_neuron",
    "NO_OVERFLOW",
    "NO_OVERFLOW_NOTE",
    "compare_collapsed",
    "layers",
]


# ---------------------------------------------------------------- q1: the sigmoid's derivative
#: NumPy errors that fail a check: the prompt asks for no overflow on the way to the answer.
NO_OVERFLOW = {"over": "raise", "invalid": "raise"}
NO_OVERFLOW_NOTE = (
    "no overflow on the way: for a huge |z|, exp(|z|) is inf, so compute σ(z) without "
    "exponentiating a large positive number"
)


q1 = Question(
    "q1",
    "sigmoid_derivative",
    tests=[
        call([np.array([0.0])], np.array([0.25])),  # the maximum, 1/4, at z = 0
        call([np.array([-2.0, -0.5, 0.0, 1.0, 3.0])], sigmoid_grad),
        call([np.linspace(-6, 6, 12).reshape(3, 4)], sigmoid_grad),  # any shape
        # huge |z|: 0 (to float precision), computed with no overflow in exp
        call(
            [np.array([-1000.0, 1000.0])],
            np.zeros(2),
            atol=1e-12,
            errstate=NO_OVERFLOW,
            name=f"sigmoid_derivative ({NO_OVERFLOW_NOTE})",
        ),
    ],
    hint="Use σ'(z) = σ(z)(1 − σ(z)). For σ itself, exp(−z) overflows when z is very negative; "
    "compute e = exp(−|z|) (always ≤ 1) and use 1/(1+e) for z ≥ 0, e/(1+e) for z < 0 (np.where).",
)


# ---------------------------------------------------------------- q2: a fourth-order numerical derivative
def _tanh_grad_formula(f, z):
    # the exact derivative of tanh: a numerical estimate must come close
    return 1.0 - tanh(z) ** 2


# tanh and sin with the default h = 1e-3: a fourth-order estimate is within ~1e-12 of the
# exact derivative, the chapter's second-order central difference only within ~1e-7.
_FOURTH_ORDER = {"rtol": 0.0, "atol": 1e-10}
_zs = np.array([-2.0, -0.3, 0.0, 0.7, 1.5])
q2 = Question(
    "q2",
    "central_difference",
    tests=[
        call([Code("np.tanh"), _zs], _tanh_grad_formula, **_FOURTH_ORDER),
        call([Code("np.sin"), _zs], lambda f, z: np.cos(z), **_FOURTH_ORDER),
        # a polynomial of degree 4: the estimate is exact whatever h (d/dz z⁴ = 4·1.5³)
        call(
            [Code("lambda z: z**4"), np.array([1.5])],
            np.array([13.5]),
            kwargs={"h": 0.1},
            atol=1e-9,
            name="central_difference (exact for a polynomial of degree 4, even with h = 0.1)",
        ),
        # degree 5, from D(h) and D(2h) with the h you are given: the error is −4h⁴ (worked
        # out once by hand; the chapter's estimate would give 5 + 10h² + h⁴ = 5.1001)
        call(
            [Code("lambda z: z**5"), np.array([1.0])],
            np.array([4.9996]),
            kwargs={"h": 0.1},
            atol=1e-9,
        ),
    ],
    hint="Write D(h) = (f(z + h) − f(z − h)) / (2h), the chapter's estimate. Its error is "
    "c·h² + O(h⁴), so D(2h) has error 4c·h² + O(h⁴). The combination (4·D(h) − D(2h)) / 3 "
    "cancels the h² terms: written out, (8(f(z+h) − f(z−h)) − (f(z+2h) − f(z−2h))) / (12h).",
)

# ---------------------------------------------------------------- q3: saturation
q3 = Question(
    "q3",
    "layers_to_vanish",
    # the smallest n with (1/4)^n < 10⁻⁶ (computed once, written out)
    tests=[value(10, name="layers_to_vanish", check_dtype=False)],
    hint="The derivative of the sigmoid is at most σ'(0) = 1/4. Backpropagating through n sigmoid "
    "layers multiplies the gradient by n such factors. Find the smallest n with (1/4)^n < 10⁻⁶.",
)


# ---------------------------------------------------------------- q4: no activation → one layer
def _run_layers(layers, X):
    for W, b in layers:
        X = X @ W.T + b
    return X


def compare_collapsed(actual, layers, what: str) -> None:
    """The one layer ``actual = (W, b)`` acts like the stack ``layers`` on random inputs."""
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


def layers(sizes, seed):
    """Random linear layers ``[(W, b), …]`` between consecutive ``sizes``."""
    rng = np.random.default_rng(seed)
    return [
        (rng.standard_normal((m, n)), rng.standard_normal(m))
        for n, m in itertools.pairwise(sizes)
    ]


q4 = Question(
    "q4",
    "collapse_linear",
    tests=[
        call([layers([2, 3, 1], 0)], lambda ls: ls, compare=compare_collapsed),
        call([layers([4, 5, 5, 3, 2], 1)], lambda ls: ls, compare=compare_collapsed),
    ],
    hint="Substitute: W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2). Keep a running (W, b) and fold "
    "in one layer at a time: W ← W_next @ W, b ← W_next @ b + b_next.",
)


# ---------------------------------------------------------------- q5: predict which starts are dead
#: Starting points (w, b) of one ReLU neuron y = relu(w x + b) that learns relu(2x + 0.5)
#: from inputs x in [−1, 1].
STARTS = {"A": (0.5, 0.0), "B": (-0.5, 0.5), "C": (0.5, -2.0), "D": (2.0, -1.5)}


def train_relu_neuron(
    w: float, b: float, steps: int = 100, lr: float = 1.0, seed: int = 0
) -> tuple[np.ndarray, float, float]:
    """The chapter's dead-ReLU experiment from the start ``(w, b)``: gradient descent on the
    mean squared error of ``relu(w x + b)`` against ``relu(2x + 0.5)``, on 50 inputs ``x``
    uniform in [−1, 1]. Returns the loss at every step and the final ``(w, b)``."""
    x = np.random.default_rng(seed).uniform(-1, 1, 50)
    target = relu(2 * x + 0.5)
    losses = []
    for _ in range(steps):
        z = w * x + b
        error = relu(z) - target
        losses.append(float(np.mean(error**2)))
        dz = 2 * error * relu_grad(z) / len(x)  # chain rule: dLoss/dz, 0 where z <= 0
        w, b = w - lr * float(np.sum(dz * x)), b - lr * float(np.sum(dz))
    return np.array(losses), w, b


q5 = Question(
    "q5",
    "dead_from_the_start",
    tests=[choice(sorted(STARTS), many=True)],
    hint="The gradient of every weight carries the factor relu'(w x + b), which is 0 where "
    "w x + b ≤ 0. For each start, find the largest value of w x + b over x in [−1, 1] "
    "(at x = −1 or x = 1). A negative bias alone does not kill a unit if the weight can "
    "outweigh it for some inputs.",
)


# ---------------------------------------------------------------- q6: find the bug (a dead-unit counter)
# Small batches of pre-activations (rows: examples, columns: units), each with its fraction
# of dead units worked out by hand.
_ONE_DEAD_COLUMN = np.array(
    [[1.0, -0.5, -2.0], [-1.0, -0.1, 0.5], [2.0, -3.0, -1.0], [0.5, -0.2, 1.5]]
)
_SQUARE = np.array([[-1.0, 2.0, -1.0], [-2.0, 1.0, -3.0], [-1.0, -1.0, -1.0]])
_NONE_DEAD = np.array([[1.0, 2.0], [0.5, -1.0], [-2.0, 3.0]])

q6 = Question(
    "q6",
    "dead_fraction",
    tests=[
        call([_ONE_DEAD_COLUMN], 1 / 3, check_dtype=False),
        call(
            [_SQUARE], 2 / 3, check_dtype=False
        ),  # a square batch: no shape error to warn
        call(
            [_NONE_DEAD], 0.0, check_dtype=False
        ),  # nothing dead: the bug stays hidden
        # exactly 0 on every example: relu'(0) = 0, so no gradient ever reaches it either
        call(
            [np.array([[0.0, 1.0], [0.0, -1.0], [0.0, 2.0]])],
            0.5,
            check_dtype=False,
            name="dead_fraction (at exactly 0 ReLU passes no gradient either: dead too)",
        ),
    ],
    hint="A unit is one column of Z. It is dead when its pre-activation is ≤ 0 for every "
    "example, that is, all the way down its column. Which axis does np.all have to reduce "
    "for that, and which one does the buggy version reduce?",
)

"""Checkers for ``exercises/01_neuron.ipynb``: a neuron by hand, the perceptron rule, its mistakes.

Every expected answer comes from the package's reference code (:mod:`dlcourse.neuron`,
:mod:`dlcourse.activations`), never from the solutions shown to students.

See chapter: The artificial neuron
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlcourse.activations import step
from dlcourse.neuron import Perceptron, neuron

from .compare import assert_close, to_array
from .question import Question, call, holds

__all__ = ["q1", "q2", "q3", "q4"]

_X4 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_rng = np.random.default_rng(1)

# ---------------------------------------------------------------- q1: the neuron's formula
_Q1_SOLUTION = '''
def neuron_output(x, w, b):
    """step(w·x + b) for one input x of shape (n,) or a batch of shape (N, n)."""
    z = x @ w + b
    return (z > 0).astype(float)
'''

q1 = Question(
    "q1",
    "neuron_output",
    tests=[
        call([np.array([1.0, 0.0, 1.0]), np.array([2.0, -1.0, 0.5]), -2.0], neuron),
        call(
            [np.array([1.0, 1.0]), np.array([1.0, 1.0]), -2.0], neuron
        ),  # z = 0 exactly: no spike
        call([_X4, np.array([1.0, 1.0]), -1.5], neuron),  # a batch: the AND gate
    ],
    hidden_tests=[
        call([_rng.standard_normal((50, 5)), _rng.standard_normal(5), 0.3], neuron),
        holds(
            lambda f: (
                np.asarray(f(np.array([3.0]), np.array([1.0]), -3.0)).item() == 0.0
            ),
            "a neuron whose pre-activation is exactly 0 must output 0 (step(0) = 0)",
        ),
    ],
    hint="Compute the pre-activation z = x @ w + b (this works for one input and for a batch), "
    "then apply the step: 1.0 where z > 0, else 0.0. `(z > 0).astype(float)` does both.",
    solution=_Q1_SOLUTION,
)


# ---------------------------------------------------------------- q2: design a neuron by hand
def _gate_test(name: str, target: np.ndarray):
    def test(answer) -> None:
        if not isinstance(answer, tuple) or len(answer) != 2:
            raise AssertionError(
                f"`{name}` should be a tuple (w, b), but it is {type(answer).__name__}"
            )
        w, b = to_array(answer[0], "w"), to_array(answer[1], "b")
        if w.shape != (2,) or b.shape != ():
            raise AssertionError(
                f"w should have shape (2,) and b be a number; got shapes {w.shape} and {b.shape}"
            )
        assert_close(
            neuron(_X4, w.astype(float), float(b)),
            target.astype(float),
            "the neuron's outputs on the inputs (0,0), (0,1), (1,0), (1,1)",
        )

    return test


_Q2_SOLUTION = """
# Fire only when x1 is on and x2 is off: x1 pushes up, x2 pushes down, and the bias
# keeps the neuron quiet when nothing pushes.
x1_and_not_x2 = (np.array([1.0, -1.0]), -0.5)
"""

_TARGET_Q2 = np.array([0, 0, 1, 0])
q2 = Question(
    "q2",
    "x1_and_not_x2",
    tests=[_gate_test("x1_and_not_x2", _TARGET_Q2)],
    hidden_tests=[
        holds(
            lambda a: (
                bool(np.all(np.isfinite(np.asarray(a[0], dtype=float))))
                and bool(np.isfinite(float(a[1])))
            ),
            "the weights and the bias must be finite numbers",
        )
    ],
    hint="Write down the four inequalities, one per input, as in the chapter's XOR argument: "
    "b ≤ 0 for (0,0), w2 + b ≤ 0 for (0,1), w1 + b > 0 for (1,0), w1 + w2 + b ≤ 0 for (1,1). "
    "A positive w1, a negative w2 and a slightly negative b satisfy all four.",
    solution=_Q2_SOLUTION,
)

# ---------------------------------------------------------------- q3: the perceptron update
_Q3_SOLUTION = '''
def perceptron_update(w, b, x, y, lr=1.0):
    """One step of the perceptron rule on the example (x, y); returns the new (w, b)."""
    y_hat = float(x @ w + b > 0)
    delta = y - y_hat                     # 0 when right, +1 or -1 when wrong
    return w + lr * delta * x, b + lr * delta
'''


def _reference_update(w, b, x, y, lr=1.0):
    # The rule as the package's Perceptron applies it to one example.
    delta = y - step(np.asarray(x) @ w + b)
    return w + lr * delta * x, b + lr * delta


def _compare_update(actual, expected, what: str) -> None:
    if not isinstance(actual, tuple) or len(actual) != 2:
        raise AssertionError(
            f"{what} should return a tuple (new_w, new_b), but returned "
            f"{type(actual).__name__}"
        )
    assert_close(actual[0], expected[0], f"{what} → new w")
    assert_close(actual[1], expected[1], f"{what} → new b", check_dtype=False)


_w = np.array([0.5, -1.0, 0.25])
# "without modifying w" is checked by `call`; returning that w when nothing changes is fine
_UPDATE: dict[str, Any] = {"compare": _compare_update, "new_array": False}
q3 = Question(
    "q3",
    "perceptron_update",
    tests=[
        # missed spam
        call([_w, 0.0, np.array([1.0, 1.0, 0.0]), 1], _reference_update, **_UPDATE),
        # false alarm
        call([_w, 0.0, np.array([1.0, 0.0, 1.0]), 0], _reference_update, **_UPDATE),
        # right: no change
        call([_w, 0.0, np.array([1.0, 0.0, 1.0]), 1], _reference_update, **_UPDATE),
        call(
            [_w, 0.5, np.array([2.0, 1.0, 0.0]), 1],
            _reference_update,
            kwargs={"lr": 0.1},
            **_UPDATE,
        ),
        # w·x + b = 0 exactly: step(0) = 0 predicts 0, which is right, so nothing changes
        call(
            [np.array([1.0, -1.0]), 0.0, np.array([1.0, 1.0]), 0],
            _reference_update,
            **_UPDATE,
        ),
    ],
    hidden_tests=[
        holds(
            lambda f: all(
                np.allclose(
                    f(np.array(w, float), b, np.array(x, float), y)[0],
                    _reference_update(np.array(w, float), b, np.array(x, float), y)[0],
                )
                for w, b, x, y in [
                    ([1, 1], -1.5, [1, 0], 1),
                    ([1, 1], -1.5, [1, 1], 0),
                    ([0, 0], 0, [1, 1], 0),
                ]
            ),
            "the update must use step(w·x + b) with step(0) = 0 (a zero pre-activation predicts 0)",
        ),
        holds(
            lambda f: np.allclose(
                f(np.zeros(2), 0.0, np.array([1.0, 2.0]), 1, lr=0.5)[0], [0.5, 1.0]
            ),
            "the learning rate must scale the step: w ← w + lr (y − ŷ) x",
        ),
    ],
    hint="Predict ŷ = step(w·x + b) first. The error y − ŷ is 0 (right), +1 (missed a positive) or −1 "
    "(false alarm). Then w ← w + lr·(y − ŷ)·x and b ← b + lr·(y − ŷ). Build new values; "
    "`w += …` would change the caller's array.",
    solution=_Q3_SOLUTION,
)

# ---------------------------------------------------------------- q4: train and count mistakes
_Q4_SOLUTION = '''
def train_perceptron(X, y, epochs=20, lr=1.0):
    """Perceptron rule over X in order, epoch after epoch; stop after an epoch with no mistake.

    Returns (w, b, mistakes) with mistakes[k] the number of updates made in epoch k.
    """
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes = []
    for _ in range(epochs):
        errors = 0
        for x_i, y_i in zip(X, y):
            y_hat = float(x_i @ w + b > 0)
            if y_hat != y_i:
                w, b = w + lr * (y_i - y_hat) * x_i, b + lr * (y_i - y_hat)
                errors += 1
        mistakes.append(errors)
        if errors == 0:
            break
    return w, b, mistakes
'''


def _reference_training(X, y, epochs=20, lr=1.0):
    p = Perceptron(lr=lr, epochs=epochs, shuffle=False).fit(X, y)
    return p.weights, p.bias, [e for _, _, e in p.history]


def _compare_training(actual, expected, what: str) -> None:
    if not isinstance(actual, tuple) or len(actual) != 3:
        raise AssertionError(
            f"{what} should return a tuple (w, b, mistakes), but returned "
            f"{type(actual).__name__}"
        )
    assert_close(
        actual[2],
        np.array(expected[2]),
        f"{what} → mistakes per epoch",
        check_dtype=False,
    )
    assert_close(actual[0], expected[0], f"{what} → w")
    assert_close(actual[1], expected[1], f"{what} → b", check_dtype=False)


_y_and = np.array([0, 0, 0, 1])
_y_xor = np.array([0, 1, 1, 0])
_Xs = _rng.uniform(-1, 1, (40, 2))
_ys = (_Xs @ np.array([1.0, -2.0]) + 0.3 > 0).astype(np.int64)
q4 = Question(
    "q4",
    "train_perceptron",
    tests=[
        call([_X4, _y_and], _reference_training, compare=_compare_training),
        call(
            [_X4, _y_xor],
            _reference_training,
            kwargs={"epochs": 6},
            compare=_compare_training,
        ),
        call(  # the learning rate scales every update
            [_X4, np.array([0, 1, 1, 1])],
            _reference_training,
            kwargs={"lr": 0.25},
            compare=_compare_training,
        ),
    ],
    hidden_tests=[
        call(
            [_Xs, _ys],
            _reference_training,
            kwargs={"epochs": 50, "lr": 0.5},
            compare=_compare_training,
        ),
        holds(
            lambda f: len(f(_X4, np.array([0, 1, 1, 1]), epochs=100)[2]) < 100,
            "training must stop after the first epoch without a mistake",
        ),
        holds(
            lambda f: min(f(_X4, _y_xor, epochs=30)[2]) > 0,
            "on XOR every epoch makes a mistake (it is not linearly separable)",
        ),
    ],
    hint="Start from w = 0, b = 0. Loop over epochs; inside, loop over the examples in order and "
    "apply your `perceptron_update` logic, counting the examples where the prediction was wrong. "
    "Append the count to a list after each epoch and `break` when it is 0.",
    solution=_Q4_SOLUTION,
)

"""Checkers for ``exercises/01_neuron.ipynb``: a neuron by hand, the perceptron rule, its mistakes.

Every expected answer comes from the package's reference code (:mod:`dlcourse.neuron`,
:mod:`dlcourse.activations`). q5 (predict what a larger learning rate does) and q6 (diagnose
a broken run from its log) are choices: the visible check judges only their form
(:mod:`.choice`). The hidden tests and the reference solutions are not here: they stay with
the instructor (``dlcourse_instructor.answers.ch01``).

See chapter: The artificial neuron (book/01_neuron.ipynb)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlcourse.neuron import Perceptron, neuron

from .checks import call, value
from .choice import choice
from .compare import assert_close, to_array
from .question import Question

__all__ = [
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "q6",
    "LR_OPTIONS",
    "DIAGNOSIS_OPTIONS",
    "gate_compare",
    "compare_update",
    "reference_training",
    "compare_training",
    "X4",
]

X4 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])

# ---------------------------------------------------------------- q1: the neuron's formula
q1 = Question(
    "q1",
    "neuron_output",
    tests=[
        call([np.array([1.0, 0.0, 1.0]), np.array([2.0, -1.0, 0.5]), -2.0], neuron),
        call(
            [np.array([1.0, 1.0]), np.array([1.0, 1.0]), -2.0], neuron
        ),  # z = 0 exactly: no spike
        call([X4, np.array([1.0, 1.0]), -1.5], neuron),  # a batch: the AND gate
    ],
    hint="Compute the pre-activation z = x @ w + b (this works for one input and for a batch), "
    "then apply the step: 1.0 where z > 0, else 0.0. `(z > 0).astype(float)` does both.",
)


# ---------------------------------------------------------------- q2: design a neuron by hand
def gate_compare(answer: Any, target: np.ndarray, label: str) -> None:
    """``answer = (w, b)`` is a neuron computing ``target`` on the four binary inputs."""
    if not isinstance(answer, tuple) or len(answer) != 2:
        raise AssertionError(
            f"{label} should be a tuple (w, b), but it is {type(answer).__name__}"
        )
    w, b = to_array(answer[0], "w"), to_array(answer[1], "b")
    if w.shape != (2,) or b.shape != ():
        raise AssertionError(
            f"w should have shape (2,) and b be a number; got shapes {w.shape} and "
            f"{b.shape}"
        )
    assert_close(
        neuron(X4, w.astype(float), float(b)),
        target.astype(float),
        "the neuron's outputs on the inputs (0,0), (0,1), (1,0), (1,1)",
    )


_TARGET_Q2 = np.array([0, 0, 1, 0])
q2 = Question(
    "q2",
    "x1_and_not_x2",
    tests=[value(_TARGET_Q2, compare=gate_compare)],
    hint="Write down the four inequalities, one per input, as in the chapter's XOR argument: "
    "b ≤ 0 for (0,0), w2 + b ≤ 0 for (0,1), w1 + b > 0 for (1,0), w1 + w2 + b ≤ 0 for (1,1). "
    "A positive w1, a negative w2 and a slightly negative b satisfy all four.",
)


# ---------------------------------------------------------------- q3: the perceptron update
def compare_update(actual, expected, what: str) -> None:
    if not isinstance(actual, tuple) or len(actual) != 2:
        raise AssertionError(
            f"{what} should return a tuple (new_w, new_b), but returned "
            f"{type(actual).__name__}"
        )
    assert_close(actual[0], expected[0], f"{what} → new w")
    assert_close(actual[1], expected[1], f"{what} → new b", check_dtype=False)


_w = np.array([0.5, -1.0, 0.25])
# "without modifying w" is checked by `call`; returning that w when nothing changes is fine
_UPDATE: dict[str, Any] = {"compare": compare_update, "new_array": False}
# The expected (new_w, new_b) are literals, worked out once by the rule (the rule itself is
# the answer to q3, so no function here computes it).
q3 = Question(
    "q3",
    "perceptron_update",
    tests=[
        # missed spam
        call(
            [_w, 0.0, np.array([1.0, 1.0, 0.0]), 1],
            (np.array([1.5, 0.0, 0.25]), 1.0),
            **_UPDATE,
        ),
        # false alarm
        call(
            [_w, 0.0, np.array([1.0, 0.0, 1.0]), 0],
            (np.array([-0.5, -1.0, -0.75]), -1.0),
            **_UPDATE,
        ),
        # right: no change
        call(
            [_w, 0.0, np.array([1.0, 0.0, 1.0]), 1],
            (np.array([0.5, -1.0, 0.25]), 0.0),
            **_UPDATE,
        ),
        call(
            [_w, 0.5, np.array([2.0, 1.0, 0.0]), 1],
            (np.array([0.5, -1.0, 0.25]), 0.5),
            kwargs={"lr": 0.1},
            **_UPDATE,
        ),
        # w·x + b = 0 exactly: step(0) = 0 predicts 0, which is right, so nothing changes
        call(
            [np.array([1.0, -1.0]), 0.0, np.array([1.0, 1.0]), 0],
            (np.array([1.0, -1.0]), 0.0),
            **_UPDATE,
        ),
    ],
    hint="Predict ŷ = step(w·x + b) first. The error y − ŷ is 0 (right), +1 (missed a positive) or −1 "
    "(false alarm). Then w ← w + lr·(y − ŷ)·x and b ← b + lr·(y − ŷ). Build new values; "
    "`w += …` would change the caller's array.",
)


# ---------------------------------------------------------------- q4: train and count mistakes
def reference_training(X, y, epochs=20, lr=1.0):
    p = Perceptron(lr=lr, epochs=epochs, shuffle=False).fit(X, y)
    return p.weights, p.bias, [e for _, _, e in p.history]


def compare_training(actual, expected, what: str) -> None:
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
q4 = Question(
    "q4",
    "train_perceptron",
    tests=[
        call([X4, _y_and], reference_training, compare=compare_training),
        call(
            [X4, _y_xor],
            reference_training,
            kwargs={"epochs": 6},
            compare=compare_training,
        ),
        call(  # the learning rate scales every update
            [X4, np.array([0, 1, 1, 1])],
            reference_training,
            kwargs={"lr": 0.25},
            compare=compare_training,
        ),
    ],
    hint="Start from w = 0, b = 0. Loop over epochs; inside, loop over the examples in order and "
    "apply your `perceptron_update` logic, counting the examples where the prediction was wrong. "
    "Append the count to a list after each epoch and `break` when it is 0.",
)


# ---------------------------------------------------------------- q5: predict (a 10× learning rate)
#: What a learning rate 10 times larger does to the perceptron started from zero.
LR_OPTIONS = {
    "A": "fewer mistakes: bigger steps reach a separating line sooner",
    "B": "more mistakes: the line overshoots back and forth",
    "C": "the same mistakes in every epoch; only w and b come out 10 times larger",
    "D": "it no longer converges",
}

q5 = Question(
    "q5",
    "lr_prediction",
    tests=[choice(sorted(LR_OPTIONS))],
    hint="Start from w = 0, b = 0 and follow two runs side by side, one with lr = 1 and one "
    "with lr = 10. After the first update, how are their (w, b) related? Does that relation "
    "change the sign of w·x + b, which is all that decides a prediction?",
)


# ---------------------------------------------------------------- q6: diagnose a run from its log
DIAGNOSIS_OPTIONS = {
    "A": "the mails are not linearly separable, so the rule can never stop",
    "B": "the learning rate 1.0 is too large: every update overshoots",
    "C": "the labels were coded -1/+1, while the rule and the step expect 0/1",
    "D": "12 epochs are too few: the perceptron converges slowly on 200 mails",
}

q6 = Question(
    "q6",
    "run_diagnosis",
    tests=[choice(sorted(DIAGNOSIS_OPTIONS))],
    hint="Compare the log with a neuron that knows nothing: one that always answers "
    "'normal' is right on the 147 normal mails. A run that gets every mail wrong is "
    "worse than that. Which cause makes the step's 0/1 output disagree with "
    "every label of one class, whatever the weights?",
)

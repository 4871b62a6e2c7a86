"""Checkers for ``exercises/01_neuron.ipynb``: a neuron by hand, the perceptron rule, its mistakes.

q1, q3 and q4 use the ±1 convention (a neuron that answers +1 or −1, labels ±1), which the
chapter does not print: it shows the 0/1 neuron and rule. Their expected answers are literals
worked out once (q1, q3) or come from the package's reference code, :class:`dlcourse.neuron.Perceptron`
on the same labels written 0/1 (q4); q2's from :func:`dlcourse.neuron.neuron`. q5 (predict what a larger learning rate does) and q6 (diagnose
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

# ---------------------------------------------------------------- q1: a neuron that answers ±1
# The expected outputs are literals, worked out once: the chapter's neuron answers 0/1, this
# one +1/−1 (−1 for a pre-activation of exactly 0, like the step's 0).
q1 = Question(
    "q1",
    "neuron_output",
    tests=[
        # z = 2 − 0 + 0.5 − 2 = 0.5 > 0: fires
        call([np.array([1.0, 0.0, 1.0]), np.array([2.0, -1.0, 0.5]), -2.0], 1.0),
        # z = −1.5: silent, which is −1 here, not 0
        call([np.array([1.0, 0.0, 1.0]), np.array([-2.0, -1.0, 0.5]), 0.0], -1.0),
        call(  # z = 0 exactly: no spike
            [np.array([1.0, 1.0]), np.array([1.0, 1.0]), -2.0],
            -1.0,
            name="neuron_output (a pre-activation of exactly 0 does not fire: −1)",
        ),
        # a batch: the AND gate, one answer per row
        call([X4, np.array([1.0, 1.0]), -1.5], np.array([-1.0, -1.0, -1.0, 1.0])),
    ],
    hint="Compute the pre-activation z = x @ w + b (this works for one input and for a batch), "
    "then map it: 1.0 where z > 0, −1.0 elsewhere. `np.where(z > 0, 1.0, -1.0)` does both, "
    "and so does 2·step(z) − 1.",
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


# ---------------------------------------------------------------- q3: the perceptron rule, ±1 labels
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
# The expected (new_w, new_b) are literals, worked out once by the chapter's rule on the same
# example labelled 0/1 (the rule itself is the answer to q3, so no function here computes it).
q3 = Question(
    "q3",
    "perceptron_update",
    tests=[
        # missed spam: the same step as the 0/1 rule, lr·x, not twice that
        call(
            [_w, 0.0, np.array([1.0, 1.0, 0.0]), 1],
            (np.array([1.5, 0.0, 0.25]), 1.0),
            **_UPDATE,
        ),
        # false alarm
        call(
            [_w, 0.0, np.array([1.0, 0.0, 1.0]), -1],
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
        call(  # a false alarm with lr = 0.5: the learning rate scales the step
            [_w, 0.0, np.array([1.0, 0.0, 1.0]), -1],
            (np.array([0.0, -1.0, -0.25]), -0.5),
            kwargs={"lr": 0.5},
            **_UPDATE,
        ),
        # w·x + b = 0 exactly: the neuron answers −1, which is right, so nothing changes
        call(
            [np.array([1.0, -1.0]), 0.0, np.array([1.0, 1.0]), -1],
            (np.array([1.0, -1.0]), 0.0),
            name="perceptron_update (a pre-activation of exactly 0 predicts −1: "
            "right for y = −1, so nothing changes)",
            **_UPDATE,
        ),
    ],
    hint="Predict ŷ with your `neuron_output` from question 1 (+1 or −1). When ŷ = y nothing "
    "changes. When it is wrong, the chapter's 0/1 rule moves by lr·(y − ŷ)·x with y − ŷ = ±1; "
    "with ±1 labels y − ŷ would be ±2, but y itself has the right sign and size: "
    "w ← w + lr·y·x and b ← b + lr·y. Build new values; `w += …` would change the caller's array.",
)


# ---------------------------------------------------------------- q4: train and count mistakes
def reference_training(X, y, epochs=20, lr=1.0):
    """The package's perceptron, visiting ``X`` in order, on the ±1 labels ``y`` written
    0/1: the ±1 rule makes exactly the 0/1 rule's moves."""
    labels01 = (np.asarray(y) > 0).astype(np.int64)
    p = Perceptron(lr=lr, epochs=epochs, shuffle=False).fit(X, labels01)
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


_y_and = np.array([-1, -1, -1, 1])
_y_xor = np.array([-1, 1, 1, -1])
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
            [X4, np.array([-1, 1, 1, 1])],
            reference_training,
            kwargs={"lr": 0.25},
            compare=compare_training,
        ),
    ],
    hint="Start from w = 0, b = 0. Loop over epochs; inside, loop over the examples in order and "
    "apply your `perceptron_update` logic (labels ±1), counting the examples where the "
    "prediction (+1 or −1) was wrong. "
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

"""Hidden tests of ``exercises/01_neuron.ipynb`` (instructors only)."""

from __future__ import annotations

import numpy as np

from dlcourse import data
from dlcourse.activations import step
from dlcourse.exercises.ch01 import (
    X4,
    compare_training,
    compare_update,
    gate_compare,
    reference_training,
)
from dlcourse.exercises.checks import call, value
from dlcourse.exercises.choice import right_choice
from dlcourse.neuron import Perceptron, neuron

_rng = np.random.default_rng(1)
_Xs = _rng.uniform(-1, 1, (40, 2))
_ys = np.where(_Xs @ np.array([1.0, -2.0]) + 0.3 > 0, 1, -1)
_UPDATE = {"compare": compare_update, "new_array": False}


def sign_neuron(x, w, b):
    """q1's answer: the package's step neuron, its 0/1 written −1/+1."""
    return 2.0 * neuron(x, w, b) - 1.0


def reference_update(w, b, x, y, lr=1.0):
    """The perceptron rule on one example labelled ±1: the move dlcourse.neuron.Perceptron
    makes on the same example labelled 0/1."""
    delta = (y > 0) - step(np.asarray(x) @ w + b)
    return w + lr * delta * x, b + lr * delta


def _finite_pair(answer) -> bool:
    w, b = np.asarray(answer[0], dtype=float), float(answer[1])
    return bool(np.all(np.isfinite(w))) and bool(np.isfinite(b))


def _lr_experiment() -> str:
    """q5's answer, from the experiment the notebook runs after the question: the chapter's
    perceptron on the 200 mails with lr = 1 and lr = 10."""
    X, y, _ = data.toy_spam(200, seed=0)
    small, large = (Perceptron(lr=lr, epochs=50, seed=0).fit(X, y) for lr in (1, 10))
    mistakes = [[e for *_, e in p.history] for p in (small, large)]
    scaled = np.allclose(np.asarray(large.weights), 10 * np.asarray(small.weights))
    if mistakes[0] == mistakes[1] and scaled:
        return "C"
    return "A" if sum(mistakes[1]) < sum(mistakes[0]) else "B"


HIDDEN = {
    "q1": [
        call(
            [_rng.standard_normal((50, 5)), _rng.standard_normal(5), 0.3], sign_neuron
        ),
        call(
            [np.array([3.0]), np.array([1.0]), -3.0],
            sign_neuron,
            name="neuron_output (a pre-activation of exactly 0 must output −1)",
        ),
        call(
            [np.array([[3.0], [3.01]]), np.array([1.0]), -3.0],
            sign_neuron,
            name="neuron_output (a pre-activation just above 0 fires: +1)",
        ),
    ],
    "q2": [
        value(
            np.array([0, 0, 1, 0]),
            compare=gate_compare,
            message="the neuron must fire for the input (1, 0) only",
        ),
        value(
            check=_finite_pair,
            message="the weights and the bias must be finite numbers",
        ),
    ],
    "q3": [
        *[
            call(
                [np.array(w, float), b, np.array(x, float), y],
                reference_update,
                name="perceptron_update (the 0/1 rule's move on the same example; "
                "a zero pre-activation predicts −1)",
                **_UPDATE,
            )
            for w, b, x, y in [
                ([1, 1], -1.5, [1, 0], 1),
                ([1, 1], -1.5, [1, 1], -1),
                ([0, 0], 0, [1, 1], -1),
            ]
        ],
        call(
            [np.zeros(2), 0.0, np.array([1.0, 2.0]), 1],
            reference_update,
            kwargs={"lr": 0.5},
            name="perceptron_update (the learning rate scales the step)",
            **_UPDATE,
        ),
    ],
    "q4": [
        call(
            [_Xs, _ys],
            reference_training,
            kwargs={"epochs": 50, "lr": 0.5},
            compare=compare_training,
        ),
        call(
            [X4, np.array([-1, 1, 1, 1])],
            kwargs={"epochs": 100},
            check=lambda r: len(r[2]) < 100,
            message="training must stop after the first epoch without a mistake",
        ),
        call(
            [X4, np.array([-1, 1, 1, -1])],
            kwargs={"epochs": 30},
            check=lambda r: min(r[2]) > 0,
            message="on XOR every epoch makes a mistake (it is not linearly separable)",
        ),
    ],
    "q5": [
        right_choice(
            _lr_experiment(),
            "what a 10 times larger learning rate does to a perceptron started from zero",
        )
    ],
    "q6": [right_choice("C", "the cause of the broken run's log of mistakes")],
}

"""Hidden tests of ``exercises/02_activations.ipynb`` (instructors only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlcourse.activations import sigmoid_grad
from dlcourse.exercises.ch02 import (
    NO_OVERFLOW,
    NO_OVERFLOW_NOTE,
    STARTS,
    compare_collapsed,
    layers,
    train_relu_neuron,
)
from dlcourse.exercises.checks import call, value
from dlcourse.exercises.choice import right_choice
from dlcourse.exercises.probe import Code

_rng = np.random.default_rng(2)


def _symmetric(r: Any) -> bool:
    return isinstance(r, np.ndarray) and r.shape == (2,) and np.allclose(r[0], r[1])


def _smallest_depth(n: Any) -> bool:
    best = float(sigmoid_grad(0.0))  # σ'(0) = 1/4, the best case
    return best**n < 1e-6 <= best ** (n - 1)


def _dead_starts() -> list[str]:
    """q5's answer, from the experiment the notebook runs after the question: the starts
    from which training never moves the neuron (every step's gradient is 0)."""
    dead = []
    for label, (w, b) in STARTS.items():
        losses, w_end, b_end = train_relu_neuron(w, b)
        if (w_end, b_end) == (w, b) and np.ptp(losses) == 0:
            dead.append(label)
    return dead


def _dead_fraction(Z: np.ndarray) -> float:
    """The fraction of units (columns) whose pre-activation is <= 0 on every example."""
    return float(np.mean(np.all(Z <= 0, axis=0)))


_Z = _rng.standard_normal((40, 12))
_Z[:, [1, 4, 7]] = -np.abs(_Z[:, [1, 4, 7]])  # three dead units
_Z_square = _rng.standard_normal((6, 6))
_Z_square[2] = -np.abs(_Z_square[2])  # an example on which every unit is off
_Z_square[:, 3] = -np.abs(_Z_square[:, 3])  # and one dead unit

HIDDEN = {
    "q1": [
        call([_rng.standard_normal((4, 5)) * 3], sigmoid_grad),
        call(
            [np.array([[-800.0, 750.0], [-1e4, 1e4]])],
            np.zeros((2, 2)),
            atol=1e-12,
            errstate=NO_OVERFLOW,
            name=f"sigmoid_derivative (σ'(z) is 0 for a huge |z|; {NO_OVERFLOW_NOTE})",
        ),
        call(
            [np.array([2.0, -2.0])],
            check=_symmetric,
            message="σ' is symmetric: σ'(z) = σ'(−z)",
        ),
    ],
    "q2": [
        call(
            [Code("lambda z: z**5"), np.array([2.0])],
            np.array([79.999975]),
            kwargs={"h": 0.05},
            atol=1e-8,
            name="central_difference (the estimate must use the step h you are given, "
            "with an error of order h⁴: for z⁵ at 2 with h = 0.05 it is 80 − 4h⁴)",
        ),
        call(
            [Code("np.exp"), np.array([0.0])],
            np.array([1.0]),
            kwargs={"h": 1e-2},
            rtol=0.0,
            atol=1e-8,
            name="central_difference (a fourth-order estimate has error O(h⁴), not O(h²))",
        ),
        call(
            [Code("np.cos"), np.linspace(-3, 3, 6).reshape(2, 3)],
            lambda f, z: -np.sin(z),
            rtol=0.0,
            atol=1e-10,
            name="central_difference (elementwise, for an array of any shape)",
        ),
    ],
    "q3": [
        value(
            check=_smallest_depth,
            message="n must be the smallest depth whose best-case factor σ'(0)^n is "
            "below 10⁻⁶",
        )
    ],
    "q4": [
        call(
            [layers([3, 3], 2)],
            lambda ls: ls,
            compare=compare_collapsed,
            name="collapse_linear (a single layer is its own collapse)",
        ),
        call(
            [layers([2, 16, 16, 16, 16, 1], 3)],
            lambda ls: ls,
            compare=compare_collapsed,
            name="collapse_linear (a deep stack of five layers)",
        ),
    ],
    "q5": [
        right_choice(
            _dead_starts(),
            "the starting points from which a ReLU neuron never learns on x in [-1, 1]",
        )
    ],
    "q6": [
        call(
            [_Z],
            _dead_fraction,
            check_dtype=False,
            name="dead_fraction (40 examples, 12 units)",
        ),
        call(
            [_Z_square],
            _dead_fraction,
            check_dtype=False,
            name="dead_fraction (a square batch with one example on which every unit is off)",
        ),
        call(
            [np.array([[0.0, -1.0, 0.0], [0.0, -2.0, 3.0]])],
            2 / 3,
            check_dtype=False,
            name="dead_fraction (a pre-activation of exactly 0 passes no gradient: dead too)",
        ),
    ],
}

"""Hidden tests of ``exercises/03_networks.ipynb`` (instructors only)."""

from __future__ import annotations

import numpy as np

from dlcourse.exercises.ch03 import (
    AT_MOST_4,
    SHAPE_TUPLES,
    are_shape_tuples,
    at_most_4,
    mlp_params,
    net_args,
    reference_forward,
    xor_correct,
    xor_settings_check,
)
from dlcourse.exercises.checks import call, value
from dlcourse.exercises.choice import right_choice


def _linear_hidden_experiment() -> str:
    """q6's answer, from the experiment the notebook runs after the question: XOR trained
    with a linear (identity) hidden layer, narrow and wide."""
    best = max(
        xor_correct(hidden, 0.1, seed=0, epochs=200, activation="identity")
        for hidden in (2, 32)
    )
    return "C" if best <= 3 else "B"


HIDDEN = {
    "q1": [value(check=are_shape_tuples, message=SHAPE_TUPLES)],
    "q2": [
        call(
            [[3, 7, 7, 7, 1]],
            mlp_params,
            name="count_parameters (a deeper network)",
        ),
        call([[2, 44, 1]], mlp_params, name="count_parameters (a wide hidden layer)"),
        call(
            [[5, 5]],
            30,
            check_dtype=False,
            name="count_parameters (a 5→5 layer has 25 weights and 5 biases)",
        ),
    ],
    "q3": [
        call(
            net_args(64, 10, 32, 3, 2),
            reference_forward,
            name="forward (a larger batch and network)",
        ),
        call(
            net_args(5, 3, 4, 2, 3),
            check=lambda r: np.shape(r) == (5, 2),
            message="the output for a batch of N inputs must have shape (N, n_out)",
        ),
    ],
    "q4": [value(check=at_most_4, message=AT_MOST_4)],
    "q5": [xor_settings_check(range(10, 30), need=18)],
    "q6": [
        right_choice(
            _linear_hidden_experiment(),
            "what a hidden layer without activation does to learning XOR",
        )
    ],
}

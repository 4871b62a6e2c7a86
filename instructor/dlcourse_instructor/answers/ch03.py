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
)
from dlcourse.exercises.checks import call, value

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
}

"""Hidden tests of ``exercises/12_rnn.ipynb`` (instructors only)."""

from __future__ import annotations

import numpy as np

from dlcourse.exercises.ch12 import (
    random_weights,
    reference_count,
    reference_forget,
    reference_lstm_step,
    reference_rnn_forward,
    reference_rnn_step,
)
from dlcourse.exercises.checks import call
from dlcourse.exercises.compare import parts

_rng = np.random.default_rng(1011)

HIDDEN = {
    "q1": [
        call(a, reference_count(*a), name=f"lstm_param_count ({what})")
        for a, what in [
            ((128, 64), "more inputs than hidden units"),
            ((3, 300), "a large hidden state"),
        ]
    ],
    "q2": [
        call(
            (
                _rng.normal(size=(5, 6)),
                _rng.normal(size=(5, 2)),
                *random_weights(_rng, 1, 6, 2),
            ),
            reference_rnn_step,
            name="rnn_step (a batch of 5, input size 6, hidden size 2)",
        ),
    ],
    "q3": [
        call(
            (
                _rng.normal(size=(3, 5)),
                _rng.normal(size=(3, 3)),
                *random_weights(_rng, 4, 5, 3),
            ),
            reference_forget,
            name="forget_gate (input size 5, hidden size 3)",
        ),
    ],
    "q4": [
        call(
            (
                _rng.normal(size=(4, 2)),
                _rng.normal(size=(4, 5)),
                _rng.normal(size=(4, 5)),
                *random_weights(_rng, 4, 2, 5),
            ),
            reference_lstm_step,
            name="lstm_step (input size 2, hidden size 5)",
            compare=parts("h", "c"),
        ),
    ],
    "q5": [
        call(
            (
                _rng.normal(size=(3, 12, 2)),
                _rng.normal(size=(3, 5)),
                *random_weights(_rng, 1, 2, 5),
            ),
            reference_rnn_forward,
            name="rnn_forward (a sequence of 12 steps, input size 2, hidden size 5)",
        ),
    ],
}

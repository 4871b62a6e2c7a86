"""Hidden tests of ``exercises/12_rnn.ipynb`` (instructors only)."""

from __future__ import annotations

import numpy as np

from dlcourse.exercises.ch12 import (
    GRADIENT_RUNS,
    gradient_through_time,
    random_weights,
    reference_count,
    reference_forget,
    reference_gru_step,
    reference_rnn_reverse,
    reference_rnn_step,
    reference_summaries,
)
from dlcourse.exercises.checks import call
from dlcourse.exercises.choice import right_choice

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
                *random_weights(_rng, 3, 2, 5),
            ),
            reference_gru_step,
            name="gru_step (input size 2, hidden size 5)",
        ),
        call(
            (
                _rng.normal(size=(1, 3)),
                np.zeros((1, 2)),
                *random_weights(_rng, 3, 3, 2),
            ),
            reference_gru_step,
            name="gru_step (one example starting from a zero state)",
        ),
    ],
    "q5": [
        call(
            (
                _rng.normal(size=(3, 12, 2)),
                _rng.normal(size=(3, 5)),
                *random_weights(_rng, 1, 2, 5),
            ),
            reference_rnn_reverse,
            name="rnn_reverse (a sequence of 12 steps, input size 2, hidden size 5)",
        ),
        call(
            (
                _rng.normal(size=(1, 2, 4)),
                np.zeros((1, 3)),
                *random_weights(_rng, 1, 4, 3),
            ),
            reference_rnn_reverse,
            name="rnn_reverse (two steps from a zero state)",
        ),
    ],
    # The right runs are those the notebook's experiment measures (a few ms each): the
    # gradient 25 steps back is below 1/1000 of its size at the last step.
    "q6": [
        right_choice(
            [
                run
                for run, setting in GRADIENT_RUNS.items()
                if gradient_through_time(*setting)[25] < 1e-3
            ],
            "the runs whose gradient vanishes through time",
        )
    ],
    "q7": [
        call(
            (
                [_rng.normal(size=(3, n, 2)) for n in (5, 1, 6, 2)],
                _rng.normal(size=(3, 5)),
                *random_weights(_rng, 1, 2, 5),
            ),
            reference_summaries,
            name="summaries (four pieces of different lengths)",
        ),
        call(
            (
                [_rng.normal(size=(1, 3, 4)) for _ in range(3)],
                np.zeros((1, 3)),
                *random_weights(_rng, 1, 4, 3),
            ),
            reference_summaries,
            name="summaries (one sequence in three equal pieces, starting from zeros)",
        ),
    ],
}

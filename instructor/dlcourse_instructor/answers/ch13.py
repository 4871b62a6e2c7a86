"""Hidden tests of ``exercises/13_attention.ipynb`` (instructors only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlcourse.exercises.ch13 import (
    looks_back,
    reference_causal,
    reference_causal_self,
    reference_pe,
    reference_sdpa,
    reference_split,
    reference_weights,
)
from dlcourse.exercises.checks import call, value
from dlcourse.exercises.choice import right_choice
from dlcourse.exercises.compare import parts

_rng = np.random.default_rng(1012)
_Q, _K = _rng.normal(size=(3, 4)), _rng.normal(size=(5, 4))
_SDPA: dict[str, Any] = {"compare": parts("output", "weights")}
# q8's hidden inputs: drawn before the other hidden inputs would shift them, so drawn apart.
_rng8 = np.random.default_rng(1112)

# split_heads(x, 3) must be undone by merging the heads back (transpose + reshape): head h
# holds features 4h..4h+3 of every position.
_X_HEADS = _rng.normal(size=(2, 5, 12))


def _merges_back(heads: Any) -> bool:
    return bool(
        isinstance(heads, np.ndarray)
        and heads.shape == (2, 3, 5, 4)
        and np.array_equal(heads.transpose(0, 2, 1, 3).reshape(2, 5, 12), _X_HEADS)
    )


HIDDEN = {
    "q1": [
        call(
            (_rng.normal(size=(6, 16)), _rng.normal(size=(6, 16))),
            reference_weights,
            name="attention_weights (6 queries and keys of dimension 16)",
        ),
        call(
            (-500 * _Q, _K),
            reference_weights,
            name="attention_weights (very negative scores: a stable softmax)",
        ),
    ],
    "q2": [
        call((T,), reference_causal, name=f"causal_mask ({what})")
        for T, what in [(2, "a 2 x 2 mask"), (17, "a long sequence")]
    ],
    "q3": [
        call(
            (
                _rng.normal(size=(2, 3, 7, 4)),
                _rng.normal(size=(2, 3, 7, 4)),
                _rng.normal(size=(2, 3, 7, 5)),
                np.tril(np.ones((7, 7), dtype=bool)),
            ),
            reference_sdpa,
            name="masked_attention (batch and head axes with a causal mask)",
            **_SDPA,
        ),
        call(
            (
                30 * _rng.normal(size=(4, 6)),
                30 * _rng.normal(size=(4, 6)),
                _rng.normal(size=(4, 2)),
                np.tril(np.ones((4, 4), dtype=bool)),
            ),
            reference_sdpa,
            name="masked_attention (large scores with a causal mask: a stable softmax)",
            **_SDPA,
        ),
    ],
    "q4": [
        call(a, reference_pe, name=f"positional_encoding ({what})")
        for a, what in [
            ((1, 2), "a single position"),
            ((128, 64), "a long sequence"),
            ((3, 1), "d_model = 1: one sine column"),
        ]
    ],
    "q5": [
        call(
            (_rng.normal(size=(3, 7, 16)), 4),
            reference_split,
            name="split_heads (4 heads of 4 features)",
            new_array=False,
        ),
        call(
            (_X_HEADS, 3),
            check=_merges_back,
            new_array=False,
            message="split_heads(x, 3) on x of shape (2, 5, 12) does not give shape "
            "(2, 3, 5, 4) with head h holding features 4h..4h+3 of each position",
        ),
    ],
    "q6": [
        value(
            None,
            compare=looks_back([[1, 1, 1, 1, 1, 1], [0, 3, 0, 3, 0, 3]]),
            message="a head that looks one position back whatever the tokens (all equal, "
            "or alternating)",
        ),
    ],
    # Computed once with dlcourse.exercises.ch13_runs.train_previous_token, seeds 0-2:
    # 100 % with positional encodings, 45.5-45.7 % without (chance: 25 %).
    "q7": [
        right_choice(
            "B", about="what removing the positional encodings does to the accuracy"
        )
    ],
    "q8": [
        call(
            (_rng8.normal(size=(2, 5)),),
            reference_causal_self,
            name="causal_self_attention (two positions)",
        ),
        call(
            (40 * _rng8.normal(size=(7, 4)),),
            reference_causal_self,
            name="causal_self_attention (large scores: a stable softmax)",
        ),
    ],
}

"""Hidden tests of ``exercises/14_language_models.ipynb`` (instructors only)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence

import numpy as np

from dlcourse.exercises.ch14 import (
    reference_encode,
    reference_merge,
    same_counts,
    same_ids,
)
from dlcourse.exercises.checks import call
from dlcourse.exercises.choice import right_choice
from dlcourse.exercises.compare import parts

_rng = np.random.default_rng(1014)


def _pair_counts(ids: Sequence[int]) -> dict[tuple[int, int], int]:
    return dict(Counter(itertools.pairwise(ids)))


_RANDOM_IDS = _rng.integers(0, 4, size=60).tolist()
_TEXT = list(b"the cat sat on the mat; the hat")
_PER_CHAR = {"compare": parts("bits per character", "perplexity per character")}

HIDDEN = {
    "q1": [
        call(
            (_RANDOM_IDS,),
            _pair_counts(_RANDOM_IDS),
            name="pair_counts (60 random ids from 0..3)",
            compare=same_counts,
        ),
        call(
            (_TEXT,),
            _pair_counts(_TEXT),
            name="pair_counts (the bytes of a short sentence)",
            compare=same_counts,
        ),
        call(([],), {}, name="pair_counts (no ids at all)", compare=same_counts),
    ],
    "q2": [
        call(
            (list(b"abababa"), (97, 98), 256),
            reference_merge,
            name="merge (the pair three times, one id left over)",
            compare=same_ids,
        ),
        call(
            (list(b"aaaaa"), (97, 97), 500),
            reference_merge,
            name="merge (five a's: two pairs, left to right)",
            compare=same_ids,
        ),
        call(
            (list(b"xyzab"), (97, 98), 256),
            reference_merge,
            name="merge (the pair at the very end)",
            compare=same_ids,
        ),
    ],
    "q3": [
        call(
            (0.0, 0.7),
            (0.0, 1.0),
            name="per_character (a perfect model: loss 0)",
            **_PER_CHAR,
        ),
        call(
            (4.2, 0.25),
            (1.5148297929334118, 2.857651118063164),
            name="per_character (four characters per token)",
            **_PER_CHAR,
        ),
        call(
            (2.5, 2.0),
            (7.213475204444817, 148.4131591025766),
            name="per_character (two tokens per character, as bytes of Greek)",
            **_PER_CHAR,
        ),
    ],
    # Computed with dlcourse.exercises.ch14_runs.vocabulary_experiment (the notebook's
    # next cell): tokens per character 1.00 -> 0.52 -> 0.41, unigram loss per token
    # 3.20 -> 5.28 -> 5.94 nats, per character 3.20 -> 2.73 -> 2.44 nats.
    "q4": [
        right_choice(
            "A", about="what a larger vocabulary does to the length and the two losses"
        )
    ],
    "q5": [
        call(
            ("abcbcbc", [(97, 98), (98, 99)]),
            reference_encode,
            name="encode (a later merge more frequent than an earlier one)",
            compare=same_ids,
        ),
        call(
            ("the cat sat on the mat", [(116, 104), (256, 101), (97, 116), (32, 257)]),
            reference_encode,
            name="encode (merges that build on earlier merges)",
            compare=same_ids,
        ),
    ],
    # The runs of ch14_runs.FINE_TUNING_LOG, made with ch14_runs.fine_tuning_run:
    # A lr 1e-3 pretrained, B lr 0.3 pretrained (the features wiped out: step 0 at the
    # pretrained level, then a jump to about the from-scratch level and no recovery),
    # C lr 3e-3 from scratch, D lr 1e-5 pretrained (barely moves).
    "q6": [
        right_choice(
            "B",
            about="the run whose learning rate destroyed what pretraining had learned",
        )
    ],
    "q7": [
        right_choice("C", about="the number that chooses the vocabulary size honestly")
    ],
}

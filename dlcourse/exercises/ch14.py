"""Checkers for ``exercises/14_language_models.ipynb``: counting adjacent pairs, applying one
byte-pair merge, bits per character and perplexity from a loss per token; then
understanding: a prediction of what a larger vocabulary does (q4), a bug to find in an
encoder (q5), a fine-tuning log to diagnose (q6) and the honest number to choose a
vocabulary by (q7).

The expected merges and encodings come from ``dlcourse.bpe.BPETokenizer`` (round-trip and
merge order tested in ``tests/test_bpe.py``); the pair counts and the per-character numbers
are written out below, computed once. q4, q6 and q7 are choices. The hidden tests and the
reference solutions are not here: they stay with the instructor
(``dlcourse_instructor.answers.ch14``).

See chapter: Language models: tokens, pretraining and fine-tuning (book/14_language_models.ipynb)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .checks import call
from .choice import choice
from .compare import parts
from .question import Question

__all__ = [
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "q6",
    "q7",
    "same_counts",
    "same_ids",
    "reference_merge",
    "reference_encode",
]


# ----------------------------------------------------------------- q1: adjacent pairs
def same_counts(actual: Any, expected: dict[tuple[int, int], int], what: str) -> None:
    """A ``compare`` for q1: a dict from pairs ``(a, b)`` to counts, equal to ``expected``."""
    if not isinstance(actual, dict):
        raise AssertionError(
            f"{what} should return a dict from pairs (a, b) to counts, "
            f"not {type(actual).__name__}"
        )
    got: dict[tuple[int, int], int] = {}
    for key, count in actual.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise AssertionError(
                f"{what}: the key {key!r} should be a pair (a, b), a tuple of two ids"
            )
        got[(int(key[0]), int(key[1]))] = count
    for pair, count in expected.items():
        if pair not in got:
            raise AssertionError(f"{what} has no count for the pair {pair}")
        if got[pair] != count:
            raise AssertionError(
                f"{what} gives the pair {pair} the count {got[pair]!r}, not {count}"
            )
    extra = [p for p in got if p not in expected]
    if extra:
        raise AssertionError(f"{what} counts the pair {extra[0]}, which never occurs")


_AAABDAAABAC = list(b"aaabdaaabac")  # Wikipedia's example of byte-pair encoding
q1 = Question(
    "q1",
    "pair_counts",
    tests=[
        call(
            ([1, 2, 3, 1, 2],),
            {(1, 2): 2, (2, 3): 1, (3, 1): 1},
            name="pair_counts",
            compare=same_counts,
        ),
        call(
            (_AAABDAAABAC,),
            {
                (97, 97): 4,
                (97, 98): 2,
                (98, 100): 1,
                (100, 97): 1,
                (98, 97): 1,
                (97, 99): 1,
            },
            name="pair_counts",
            compare=same_counts,
        ),
        call(
            ([7, 7, 7, 7],),
            {(7, 7): 3},
            name="pair_counts (overlapping pairs each count)",
            compare=same_counts,
        ),
        call(([5],), {}, name="pair_counts (one id: no pair)", compare=same_counts),
    ],
    hint="Walk over the positions i = 0 .. len(ids) - 2 and count the pair (ids[i], ids[i + 1]) "
    "at each one: every position starts a pair, so in [7, 7, 7] the pair (7, 7) occurs twice. "
    "zip(ids, ids[1:]) gives exactly those pairs, and collections.Counter counts them.",
)


# ----------------------------------------------------------------- q2: one merge
def _shown(ids: Sequence[Any]) -> str:
    text = repr(list(ids))
    return text if len(text) <= 60 else text[:57] + "..."


def same_ids(actual: Any, expected: list[int], what: str) -> None:
    """A ``compare`` for q2 and q5: a sequence of integer token ids equal to ``expected``."""
    if isinstance(actual, np.ndarray):
        actual = actual.tolist()
    if not isinstance(actual, (list, tuple)):
        raise AssertionError(
            f"{what} should return a list of token ids, not {type(actual).__name__}"
        )
    if not all(isinstance(i, (int, np.integer)) for i in actual):
        raise AssertionError(
            f"{what} should return integer token ids, got {_shown(actual)}"
        )
    if [int(i) for i in actual] != list(expected):
        raise AssertionError(
            f"{what} should be {_shown(expected)}, got {_shown(actual)}"
        )


def reference_merge(
    ids: Sequence[int], pair: tuple[int, int], new_id: int
) -> list[int]:
    """``ids`` (ASCII byte values) with ``pair`` merged into ``new_id``, by the library's
    tokenizer holding that one merge."""
    from dlcourse.bpe import BPETokenizer

    tokenizer = BPETokenizer([pair], pattern=None)
    merged = tokenizer.encode(bytes(ids).decode("ascii"))
    return [new_id if i == tokenizer.vocab_size - 1 else i for i in merged]


q2 = Question(
    "q2",
    "merge",
    tests=[
        call(
            (list(b"abcab"), (97, 98), 256),
            reference_merge,
            name="merge",
            compare=same_ids,
        ),
        call(
            (list(b"aaa"), (97, 97), 256),
            reference_merge,
            name="merge (three a's hold only one (a, a) to replace)",
            compare=same_ids,
        ),
        call(
            (list(b"aaaa"), (97, 97), 300),
            reference_merge,
            name="merge",
            compare=same_ids,
        ),
        call(
            (list(b"ba"), (97, 98), 256),
            reference_merge,
            name="merge (the pair does not occur)",
            compare=same_ids,
        ),
    ],
    hint="Walk from left to right with an index i. Where ids[i], ids[i + 1] is the pair, append "
    "new_id and jump two places (both ids are used up); elsewhere append ids[i] and move one "
    "place. Build a new list: the input must stay as it was.",
)


# ----------------------------------------------------------------- q3: per character
q3 = Question(
    "q3",
    "per_character",
    points=2,
    tests=[
        call(
            (2.0, 0.5),
            (1.4426950408889634, 2.718281828459045),
            name="per_character",
            compare=parts("bits per character", "perplexity per character"),
        ),
        call(
            (3.1, 0.38),
            (1.699494758167199, 3.247871958895301),
            name="per_character",
            compare=parts("bits per character", "perplexity per character"),
        ),
        call(
            (1.25, 1.0),
            (1.8033688011112043, 3.4903429574618414),
            name="per_character (a character model: one token per character)",
            compare=parts("bits per character", "perplexity per character"),
        ),
    ],
    hint="First the loss per character in nats: a text of C characters has "
    "tokens_per_char · C tokens, each costing loss_per_token nats, so the total is shared "
    "among C characters. Nats become bits by dividing by ln 2 (np.log(2)). The perplexity is "
    "e to the power of the loss in nats.",
)


# ----------------------------------------------------------------- q4: predict, vocabulary
q4 = Question(
    "q4",
    "prediction",
    tests=[choice(("A", "B", "C", "D"))],
    hint="Each merge replaces two tokens by one wherever the pair occurs. A prediction among "
    "more tokens is a harder guess, but each token now covers more text: which of the two "
    "losses can you compare across vocabularies?",
)


# ----------------------------------------------------------------- q5: find the bug
def reference_encode(text: str, merges: Sequence[tuple[int, int]]) -> list[int]:
    """``text`` encoded with ``merges`` (no pre-splitting), by the library's tokenizer."""
    from dlcourse.bpe import BPETokenizer

    return BPETokenizer(merges, pattern=None).encode(text)


q5 = Question(
    "q5",
    "encode",
    points=2,
    tests=[
        call(
            ("aaabdaaabac", [(97, 97), (97, 98), (256, 257)]),
            reference_encode,
            name="encode (the merges learned on this very text)",
            compare=same_ids,
        ),
        call(
            ("abbb", [(97, 98), (98, 98)]),
            reference_encode,
            name="encode",
            compare=same_ids,
        ),
        call(
            ("héé", [(195, 169), (104, 256)]),
            reference_encode,
            name="encode (é is two bytes in UTF-8)",
            compare=same_ids,
        ),
        call(
            ("hi", []), reference_encode, name="encode (no merges)", check_dtype=False
        ),
    ],
    hint="Print both the buggy tokens and the text each token stands for on 'abbb' with the "
    "merges [(97, 98), (98, 98)]. Training merges the most frequent pair because it is "
    "choosing merges; encoding must replay the merges that were chosen, in the order they "
    "were learned: at each step merge the present pair with the smallest index in merges.",
)


# ----------------------------------------------------------------- q6: diagnose fine-tuning
q6 = Question(
    "q6",
    "diagnosis",
    tests=[choice(("A", "B", "C", "D"))],
    hint="Look at step 0 first: which runs start from what pretraining learned, and which "
    "from a model that knows nothing (near ln 256 ≈ 5.55 nats per byte, or above)? Then follow each "
    "run: a run that had the pretrained knowledge and lost it.",
)


# ----------------------------------------------------------------- q7: the honest number
q7 = Question(
    "q7",
    "honest_number",
    tests=[choice(("A", "B", "C", "D"))],
    hint="Two questions: can the number be compared across vocabularies (what is its unit?), "
    "and is it measured on text that played no part in any choice or training?",
)

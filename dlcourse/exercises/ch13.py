"""Checkers for ``exercises/13_attention.ipynb``: attention weights, the causal mask, masked
scaled dot-product attention, sinusoidal positional encodings and splitting into heads; then
understanding: a previous-token head built by hand (q6), a prediction of what removing the
positional encodings does (q7) and a bug to find in a causal self-attention (q8).

Every expected answer comes from ``dlcourse.attention`` (``scaled_dot_product_attention``,
``causal_mask``, ``positional_encoding``, ``MultiHeadAttention``), itself tested equal to
PyTorch; q6 is judged by the attention its weights compute (:mod:`.ch13_runs`), q7 is a
choice. The hidden tests and the reference solutions are not here: they stay with the
instructor (``dlcourse_instructor.answers.ch13``).

See chapter: Attention and Transformers (book/13_attention.ipynb)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .ch13_runs import SEQ_LEN, VOCAB, previous_token_weights
from .checks import call, value
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
    "q8",
    "reference_sdpa",
    "reference_weights",
    "reference_causal",
    "reference_pe",
    "reference_split",
    "reference_causal_self",
    "looks_back",
    "SEQUENCES",
]


def reference_sdpa(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    from dlcourse.attention import scaled_dot_product_attention

    out, weights = scaled_dot_product_attention(q, k, v, mask=mask)
    return out.data, weights.data


_rng = np.random.default_rng(12)


# ----------------------------------------------------------------- q1: attention weights
def reference_weights(q: np.ndarray, k: np.ndarray) -> np.ndarray:
    return reference_sdpa(q, k, np.zeros((k.shape[0], 1)))[1]


_Q, _K = _rng.normal(size=(3, 4)), _rng.normal(size=(5, 4))
q1 = Question(
    "q1",
    "attention_weights",
    tests=[
        call((_Q, _K), reference_weights, name="attention_weights"),
        call(
            (_rng.normal(size=(2, 9)), _rng.normal(size=(4, 9))),
            reference_weights,
            name="attention_weights",
        ),
        call(
            (60 * _Q, 60 * _K), reference_weights, name="attention_weights"
        ),  # scores in the thousands
    ],
    hint="scores = q @ k.T / sqrt(d_k), with d_k = q.shape[1] (square root, not d_k itself). Softmax each "
    "row; subtract the row's maximum before np.exp so that large scores do not overflow to inf.",
)


# ----------------------------------------------------------------- q2: the causal mask
def reference_causal(T: int) -> np.ndarray:
    from dlcourse.attention import causal_mask

    return causal_mask(T)


q2 = Question(
    "q2",
    "causal_mask",
    tests=[call((T,), reference_causal, name="causal_mask") for T in (1, 4, 6)],
    hint="A (T, T) array of booleans; row t (the query) is True in columns 0..t (the keys it may see) "
    "and False after. np.tril keeps the lower triangle; compare with 1 or use dtype=bool.",
)


# ----------------------------------------------------------------- q3: masked attention
_causal5 = np.tril(np.ones((5, 5), dtype=bool))
_pad = np.array(
    [[True, True, True, True, False, False], [True, True, True, True, True, True]]
)[:, None, :]
q3 = Question(
    "q3",
    "masked_attention",
    points=2,
    tests=[
        call(
            (
                _rng.normal(size=(5, 4)),
                _rng.normal(size=(5, 4)),
                _rng.normal(size=(5, 3)),
            ),
            reference_sdpa,
            name="masked_attention",
            compare=parts("output", "weights"),
        ),
        call(
            (
                _rng.normal(size=(5, 4)),
                _rng.normal(size=(5, 4)),
                _rng.normal(size=(5, 3)),
                _causal5,
            ),
            reference_sdpa,
            name="masked_attention",
            compare=parts("output", "weights"),
        ),
        call(
            (
                _rng.normal(size=(2, 3, 8)),
                _rng.normal(size=(2, 6, 8)),
                _rng.normal(size=(2, 6, 2)),
                _pad,
            ),
            reference_sdpa,
            name="masked_attention",
            compare=parts("output", "weights"),
        ),
        call(  # "any number of leading batch or head axes": (batch, heads, T, d)
            (
                _rng.normal(size=(2, 2, 3, 4)),
                _rng.normal(size=(2, 2, 3, 4)),
                _rng.normal(size=(2, 2, 3, 2)),
                np.tril(np.ones((3, 3), dtype=bool)),
            ),
            reference_sdpa,
            name="masked_attention",
            compare=parts("output", "weights"),
        ),
        call(  # scores in the thousands: a stable softmax, as in question 1
            (
                40 * _rng.normal(size=(3, 6)),
                40 * _rng.normal(size=(3, 6)),
                _rng.normal(size=(3, 2)),
                np.tril(np.ones((3, 3), dtype=bool)),
            ),
            reference_sdpa,
            name="masked_attention",
            compare=parts("output", "weights"),
        ),
    ],
    hint="scores = q @ np.swapaxes(k, -1, -2) / sqrt(d_k) works for any number of leading (batch, head) "
    "axes. Where the mask is False, set the score to -np.inf (np.where(mask, scores, -np.inf)); the "
    "softmax then gives those keys weight exactly 0. Softmax along the last axis, then weights @ v. "
    "Return (output, weights).",
)


# ----------------------------------------------------------------- q4: positional encoding
def reference_pe(length: int, d_model: int) -> np.ndarray:
    from dlcourse.attention import positional_encoding

    return positional_encoding(length, d_model)


q4 = Question(
    "q4",
    "positional_encoding",
    points=2,
    tests=[
        call(a, reference_pe, name="positional_encoding")
        for a in [(4, 6), (50, 16), (5, 7)]
    ],
    hint="Column 2i holds sin(pos / 10000**(2i / d_model)) and column 2i + 1 holds cos of the SAME "
    "angle. Build pos = np.arange(length)[:, None] and two_i = np.arange(0, d_model, 2); fill "
    "pe[:, 0::2] and pe[:, 1::2]. For odd d_model there is one more sine column than cosine columns.",
)


# ----------------------------------------------------------------- q5: split into heads
def reference_split(x: np.ndarray, num_heads: int) -> np.ndarray:
    from dlcourse.attention import MultiHeadAttention
    from dlcourse.autograd import Tensor

    return (
        MultiHeadAttention(x.shape[-1], num_heads, rng=0)
        ._heads(Tensor(np.asarray(x, dtype=float)))
        .data
    )


q5 = Question(
    "q5",
    "split_heads",
    tests=[
        call(
            (np.arange(24.0).reshape(1, 3, 8), 2),
            reference_split,
            name="split_heads",
            new_array=False,
        ),
        call(
            (_rng.normal(size=(2, 5, 12)), 3),
            reference_split,
            name="split_heads",
            new_array=False,
        ),
        call(
            (_rng.normal(size=(2, 4, 6)), 1),
            reference_split,
            name="split_heads",
            new_array=False,
        ),
    ],
    hint="Head h owns the features h*d .. h*d + d − 1, with d = E // num_heads. Reshape (N, T, E) to "
    "(N, T, num_heads, d), then move the head axis in front of the time axis with "
    ".transpose(0, 2, 1, 3).",
)


# ----------------------------------------------------------------- q6: a previous-token head
#: The token sequences on which the student's head is judged (the hidden tests use others).
SEQUENCES = [[0, 1, 2, 3, 0, 1], [3, 3, 1, 0, 2, 2], [2, 0, 0, 1, 3, 1]]
#: The weight each position t ≥ 1 must put on position t − 1.
LOOK_BACK = 0.9


def looks_back(sequences: list[list[int]]) -> Any:
    """A ``compare`` for q6: on each sequence, every position t ≥ 1 of the head ``(W_q, W_k)``
    puts at least :data:`LOOK_BACK` of its attention on position t − 1."""

    def compare(head: Any, _expected: Any, what: str) -> None:
        if not (isinstance(head, tuple) and len(head) == 2):
            raise AssertionError(
                f"{what} should be a tuple (W_q, W_k) of two arrays, not {type(head).__name__}"
            )
        shapes = [np.shape(w) for w in head]
        d_in = VOCAB + SEQ_LEN
        if any(len(s) != 2 or s[0] != d_in for s in shapes) or shapes[0] != shapes[1]:
            raise AssertionError(
                f"{what}: W_q and W_k should both have shape ({d_in}, d_k), got {shapes}"
            )
        for tokens in sequences:
            weights = previous_token_weights(head, tokens)
            back = weights[np.arange(1, SEQ_LEN), np.arange(SEQ_LEN - 1)]
            t = int(np.argmin(back)) + 1
            if not back.min() >= LOOK_BACK:  # also catches NaN
                raise AssertionError(
                    f"{what}: on the tokens {tokens}, position {t} puts weight "
                    f"{back.min():.4f} on position {t - 1} (it needs at least {LOOK_BACK}); "
                    f"its weights: {np.round(weights[t], 3).tolist()}"
                )

    return compare


q6 = Question(
    "q6",
    "previous_token_head",
    points=2,
    tests=[value(None, compare=looks_back(SEQUENCES))],
    hint="The score of query t and key s is x_t W_q · x_s W_k / sqrt(d_k). Use only the "
    "position part of x (rows VOCAB.. of W_q and W_k; leave the token rows at zero): choose "
    "W_q so that position t's query is c·e_t, and W_k so that position s's key is e_{s+1} "
    "(d_k = SEQ_LEN); then the score is c / sqrt(d_k) exactly when s = t − 1 and 0 otherwise. "
    "How large must c be for a softmax over 6 keys to give the one that scores more ≥ 0.9?",
)


# ----------------------------------------------------------------- q7: predict, no positions
q7 = Question(
    "q7",
    "prediction",
    tests=[choice(("A", "B", "C", "D"))],
    hint="Attention scores compare contents. Without positions, what in the key of position "
    "t − 1 marks it out, for the query of position t, from the keys of the other positions? "
    "The chapter's section on positional encodings shuffles keys and values together.",
)


# ----------------------------------------------------------------- q8: find the bug
def reference_causal_self(x: np.ndarray) -> np.ndarray:
    from dlcourse.attention import causal_mask

    return reference_sdpa(x, x, x, causal_mask(len(x)))[0]


q8 = Question(
    "q8",
    "causal_self_attention",
    points=2,
    tests=[
        call(
            (_rng.normal(size=(1, 3)),),
            reference_causal_self,
            name="causal_self_attention (one position: the bug cannot show)",
        ),
        call(
            (_rng.normal(size=(4, 3)),),
            reference_causal_self,
            name="causal_self_attention (four positions)",
        ),
        call(
            (_rng.normal(size=(6, 8)),),
            reference_causal_self,
            name="causal_self_attention (six positions)",
        ),
    ],
    hint="Print the buggy function's weights for a short sequence: do their rows still sum "
    "to 1? The softmax must share each row's weight among the keys a position may see, so "
    "the future has to be removed before the softmax (a score of -inf), not after it. "
    "(Multiplying the scores by the mask does not remove a key: exp(0) = 1.)",
)

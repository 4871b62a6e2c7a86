"""Checkers for ``exercises/13_attention.ipynb``: attention weights, the causal mask, masked
scaled dot-product attention, sinusoidal positional encodings and splitting into heads.

Every expected answer comes from ``dlcourse.attention`` (``scaled_dot_product_attention``,
``causal_mask``, ``positional_encoding``, ``MultiHeadAttention``), itself tested equal to
PyTorch. The hidden tests and the reference solutions are not here: they stay with the
instructor (``dlcourse_instructor.answers.ch13``).

See chapter: Attention and Transformers (book/13_attention.ipynb)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .checks import call
from .compare import parts
from .question import Question

__all__ = [
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "reference_sdpa",
    "reference_weights",
    "reference_causal",
    "reference_pe",
    "reference_split",
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

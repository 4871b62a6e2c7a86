"""Checkers for ``exercises/12_attention.ipynb``: attention weights, the causal mask, masked
scaled dot-product attention, sinusoidal positional encodings and splitting into heads.

Every expected answer comes from ``dlcourse.attention`` (``scaled_dot_product_attention``,
``causal_mask``, ``positional_encoding``, ``MultiHeadAttention``), itself tested equal to
PyTorch; never from the solutions below.

See chapter: Attention and Transformers
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .compare import parts, to_array
from .question import Question, call, holds

__all__ = ["q1", "q2", "q3", "q4", "q5"]


def _sdpa(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    from dlcourse.attention import scaled_dot_product_attention

    out, weights = scaled_dot_product_attention(q, k, v, mask=mask)
    return out.data, weights.data


_rng = np.random.default_rng(12)


# ----------------------------------------------------------------- q1: attention weights
def _ref_weights(q: np.ndarray, k: np.ndarray) -> np.ndarray:
    return _sdpa(q, k, np.zeros((k.shape[0], 1)))[1]


_Q, _K = _rng.normal(size=(3, 4)), _rng.normal(size=(5, 4))
q1 = Question(
    "q1",
    "attention_weights",
    tests=[
        call((_Q, _K), _ref_weights, name="attention_weights"),
        call(
            (_rng.normal(size=(2, 9)), _rng.normal(size=(4, 9))),
            _ref_weights,
            name="attention_weights",
        ),
        call(
            (60 * _Q, 60 * _K), _ref_weights, name="attention_weights"
        ),  # scores in the thousands
    ],
    hidden_tests=[
        call(
            (_rng.normal(size=(6, 16)), _rng.normal(size=(6, 16))),
            _ref_weights,
            name="attention_weights",
        ),
        call((-500 * _Q, _K), _ref_weights, name="attention_weights"),
    ],
    hint="scores = q @ k.T / sqrt(d_k), with d_k = q.shape[1] (square root, not d_k itself). Softmax each "
    "row; subtract the row's maximum before np.exp so that large scores do not overflow to inf.",
    solution="""
def attention_weights(q, k):
    scores = q @ k.T / np.sqrt(q.shape[-1])
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
""",
)


# ----------------------------------------------------------------- q2: the causal mask
def _ref_causal(T: int) -> np.ndarray:
    from dlcourse.attention import causal_mask

    return causal_mask(T)


q2 = Question(
    "q2",
    "causal_mask",
    tests=[call((T,), _ref_causal, name="causal_mask") for T in (1, 4, 6)],
    hidden_tests=[call((T,), _ref_causal, name="causal_mask") for T in (2, 17)],
    hint="A (T, T) array of booleans; row t (the query) is True in columns 0..t (the keys it may see) "
    "and False after. np.tril keeps the lower triangle; compare with 1 or use dtype=bool.",
    solution="""
def causal_mask(T):
    return np.tril(np.ones((T, T), dtype=bool))
""",
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
            _sdpa,
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
            _sdpa,
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
            _sdpa,
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
            _sdpa,
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
            _sdpa,
            name="masked_attention",
            compare=parts("output", "weights"),
        ),
    ],
    hidden_tests=[
        call(
            (
                _rng.normal(size=(2, 3, 7, 4)),
                _rng.normal(size=(2, 3, 7, 4)),
                _rng.normal(size=(2, 3, 7, 5)),
                np.tril(np.ones((7, 7), dtype=bool)),
            ),
            _sdpa,
            name="masked_attention",
            compare=parts("output", "weights"),
        ),
        call(
            (
                30 * _rng.normal(size=(4, 6)),
                30 * _rng.normal(size=(4, 6)),
                _rng.normal(size=(4, 2)),
                np.tril(np.ones((4, 4), dtype=bool)),
            ),
            _sdpa,
            name="masked_attention",
            compare=parts("output", "weights"),
        ),
    ],
    hint="scores = q @ np.swapaxes(k, -1, -2) / sqrt(d_k) works for any number of leading (batch, head) "
    "axes. Where the mask is False, set the score to -np.inf (np.where(mask, scores, -np.inf)); the "
    "softmax then gives those keys weight exactly 0. Softmax along the last axis, then weights @ v. "
    "Return (output, weights).",
    solution="""
def masked_attention(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1, keepdims=True)
    return weights @ v, weights
""",
)


# ----------------------------------------------------------------- q4: positional encoding
def _ref_pe(length: int, d_model: int) -> np.ndarray:
    from dlcourse.attention import positional_encoding

    return positional_encoding(length, d_model)


q4 = Question(
    "q4",
    "positional_encoding",
    points=2,
    tests=[
        call(a, _ref_pe, name="positional_encoding") for a in [(4, 6), (50, 16), (5, 7)]
    ],
    hidden_tests=[
        call(a, _ref_pe, name="positional_encoding")
        for a in [(1, 2), (128, 64), (3, 1)]
    ],
    hint="Column 2i holds sin(pos / 10000**(2i / d_model)) and column 2i + 1 holds cos of the SAME "
    "angle. Build pos = np.arange(length)[:, None] and two_i = np.arange(0, d_model, 2); fill "
    "pe[:, 0::2] and pe[:, 1::2]. For odd d_model there is one more sine column than cosine columns.",
    solution="""
def positional_encoding(length, d_model):
    pos = np.arange(length)[:, None]
    two_i = np.arange(0, d_model, 2)
    angles = pos / 10000.0 ** (two_i / d_model)
    pe = np.zeros((length, d_model))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles[:, :d_model // 2])
    return pe
""",
)


# ----------------------------------------------------------------- q5: split into heads
def _ref_split(x: np.ndarray, num_heads: int) -> np.ndarray:
    from dlcourse.attention import MultiHeadAttention
    from dlcourse.autograd import Tensor

    return (
        MultiHeadAttention(x.shape[-1], num_heads, rng=0)
        ._heads(Tensor(np.asarray(x, dtype=float)))
        .data
    )


def _heads_round_trip(f: Any) -> bool:
    """Merging the heads back (transpose + reshape) must give the input again."""
    x = _rng.normal(size=(2, 5, 12))
    heads = to_array(f(x.copy(), 3))
    return bool(
        heads.shape == (2, 3, 5, 4)
        and np.array_equal(heads.transpose(0, 2, 1, 3).reshape(2, 5, 12), x)
    )


q5 = Question(
    "q5",
    "split_heads",
    tests=[
        call(
            (np.arange(24.0).reshape(1, 3, 8), 2),
            _ref_split,
            name="split_heads",
            new_array=False,
        ),
        call(
            (_rng.normal(size=(2, 5, 12)), 3),
            _ref_split,
            name="split_heads",
            new_array=False,
        ),
        call(
            (_rng.normal(size=(2, 4, 6)), 1),
            _ref_split,
            name="split_heads",
            new_array=False,
        ),
    ],
    hidden_tests=[
        call(
            (_rng.normal(size=(3, 7, 16)), 4),
            _ref_split,
            name="split_heads",
            new_array=False,
        ),
        holds(
            _heads_round_trip,
            "split_heads(x, 3) on x of shape (2, 5, 12) does not give shape "
            "(2, 3, 5, 4) with head h holding features 4h..4h+3 of each position",
        ),
    ],
    hint="Head h owns the features h*d .. h*d + d − 1, with d = E // num_heads. Reshape (N, T, E) to "
    "(N, T, num_heads, d), then move the head axis in front of the time axis with "
    ".transpose(0, 2, 1, 3).",
    solution="""
def split_heads(x, num_heads):
    n, t, e = x.shape
    return x.reshape(n, t, num_heads, e // num_heads).transpose(0, 2, 1, 3)
""",
)

"""dlcourse.data.text: the standard-library corpus, character vocabulary and language-model batches."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

from dlcourse.data.text import (
    CharVocab,
    batches_of_sequences,
    stdlib_docstrings,
    train_val_split,
)


def test_stdlib_docstrings_is_deterministic_real_text():
    a, b = stdlib_docstrings(), stdlib_docstrings()
    assert a == b and len(a) > 50_000
    # real docstrings, read from the installed standard library
    assert inspect.cleandoc(json.dumps.__doc__) in a
    assert a.count(" the ") > 500
    assert stdlib_docstrings(max_chars=1000) == a[:1000]
    only_json = stdlib_docstrings(modules=("json",))
    assert only_json.startswith(inspect.cleandoc(json.__doc__)) and only_json in a


def test_stdlib_docstrings_rejects_negative_max_chars():
    with pytest.raises(ValueError, match="max_chars"):
        stdlib_docstrings(max_chars=-1)


def test_char_vocab_roundtrip():
    text = stdlib_docstrings(max_chars=5000)
    v = CharVocab(text)
    ids = v.encode(text)
    assert ids.dtype == np.int64 and len(v) == len(set(text))
    assert v.decode(ids) == text
    assert v.itos == sorted(v.itos)
    with pytest.raises(KeyError, match="not in the vocabulary"):
        CharVocab("ab").encode("abc")


def test_train_val_split_is_contiguous():
    ids = np.arange(100)
    tr, va = train_val_split(ids, 0.2)
    np.testing.assert_array_equal(tr, np.arange(80))
    np.testing.assert_array_equal(va, np.arange(80, 100))
    with pytest.raises(ValueError):
        train_val_split(ids, 1.0)


def test_batches_of_sequences_targets_are_shifted_inputs():
    ids = np.arange(103)
    batches = list(batches_of_sequences(ids, seq_len=10, batch_size=4, seed=0))
    X = np.concatenate([b[0] for b in batches])
    Y = np.concatenate([b[1] for b in batches])
    assert [b[0].shape for b in batches] == [(4, 10), (4, 10), (2, 10)]
    np.testing.assert_array_equal(Y, X + 1)  # next token of an arange is +1
    # every window start appears once, shuffled
    assert sorted(X[:, 0]) == list(range(0, 100, 10)) and list(X[:, 0]) != sorted(
        X[:, 0]
    )
    unshuffled = list(batches_of_sequences(ids, 10, 4, shuffle=False, drop_last=True))
    assert len(unshuffled) == 2 and unshuffled[0][0][0, 0] == 0
    with pytest.raises(ValueError, match="too short"):
        next(batches_of_sequences(np.arange(5), 10, 2))

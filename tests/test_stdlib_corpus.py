"""dlcourse.data.stdlib_corpus: the standard library's docstrings read with ast, split by module."""

from __future__ import annotations

import inspect
import json

import pytest

from dlcourse.data.stdlib_corpus import (
    VALIDATION_FRACTION,
    stdlib_docstrings_corpus,
    stdlib_source_files,
)


def test_source_files_sorted_without_test_suites():
    files = stdlib_source_files()
    assert len(files) > 300
    assert not [f for f in files if "test" in f.parts or "site-packages" in f.parts]
    assert any(f.name == "decoder.py" and f.parent.name == "json" for f in files)


def test_corpus_is_deterministic_real_text():
    a = stdlib_docstrings_corpus(max_chars=200_000)
    assert a == stdlib_docstrings_corpus(max_chars=200_000) and len(a) == 200_000
    assert stdlib_docstrings_corpus(max_chars=1000) == a[:1000]
    assert a.count(" the ") > 1000
    assert stdlib_docstrings_corpus(max_chars=1000, seed=1) != a[:1000]


def test_train_and_validation_partition_the_files():
    # "all" is the train split's files, then the validation split's, in the seed's order
    train = stdlib_docstrings_corpus(max_chars=None)
    validation = stdlib_docstrings_corpus(max_chars=None, split="validation")
    assert stdlib_docstrings_corpus(max_chars=None, split="all") == (
        train + "\n\n" + validation
    )
    assert (
        0.5 * VALIDATION_FRACTION
        < len(validation) / len(train)
        < 2 * VALIDATION_FRACTION
    )
    assert inspect.cleandoc(json.dumps.__doc__) in train + validation


def test_bad_arguments():
    with pytest.raises(ValueError, match="max_chars"):
        stdlib_docstrings_corpus(max_chars=-1)
    with pytest.raises(ValueError, match="split"):
        stdlib_docstrings_corpus(split="test")  # type: ignore[arg-type]

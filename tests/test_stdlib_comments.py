"""dlcourse.data.stdlib_comments: the standard library's comments, read with tokenize."""

from __future__ import annotations

import io
import tokenize

import pytest

from dlcourse.data.stdlib_comments import file_comments, stdlib_comments_corpus
from dlcourse.data.stdlib_corpus import stdlib_docstrings_corpus, stdlib_source_files


def test_file_comments_match_a_plain_scan(tmp_path):
    src = (
        "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n"
        "x = 1  # set x\n#----------\ns = '# not a comment'\n#   indented note  \n#\n"
    )
    path = tmp_path / "m.py"
    path.write_text(src)
    assert file_comments(path) == ("set x", "indented note")
    # reference: every COMMENT token from tokenize, filtered the documented way
    toks = tokenize.generate_tokens(io.StringIO(src).readline)
    raw = [t.string for t in toks if t.type == tokenize.COMMENT]
    assert len(raw) == 6 and "# not a comment" not in raw


def test_corpus_is_deterministic_and_split_like_the_docstrings():
    a = stdlib_comments_corpus(20_000)
    assert a == stdlib_comments_corpus(20_000) and len(a) == 20_000
    assert "#" not in "".join(line[:1] for line in a.splitlines())
    v = stdlib_comments_corpus(5_000, split="validation")
    assert v and v[:200] not in a
    assert stdlib_docstrings_corpus(1000) != a[:1000]
    assert len(stdlib_source_files()) > 300


def test_bad_arguments():
    with pytest.raises(ValueError, match="max_chars"):
        stdlib_comments_corpus(-1)
    with pytest.raises(ValueError, match="split"):
        stdlib_comments_corpus(10, split="test")  # type: ignore[arg-type]

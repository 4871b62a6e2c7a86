"""A second kind of text with no download: the comments in the standard library's code.

Docstrings explain *what* a function does, in full sentences; comments (``# ...``) explain
*how* the code does it, tersely, next to the code. Same language, different style: a
small new *domain* for a language model pretrained on docstrings
(:mod:`dlcourse.data.stdlib_corpus`) to be fine-tuned on.

:func:`stdlib_comments_corpus` reads the files of
:func:`dlcourse.data.stdlib_corpus.stdlib_source_files` with :mod:`tokenize` (nothing is
imported) and keeps each comment's text without its ``#`` and surrounding spaces, one per
line; a file's comments end with a blank line. The shebang and coding lines, empty comments
and comments that are only punctuation (rules such as ``#-----``) are left out. Files come in
the same ``seed`` order and the same train/validation split (by file) as the docstring
corpus, so a validation comment comes from a module none of the training text came from.

See chapter: Language models: tokens, pretraining and fine-tuning (book/14_language_models.ipynb)
"""

from __future__ import annotations

import tokenize
from functools import cache
from pathlib import Path
from typing import Literal

from dlcourse.data.stdlib_corpus import stdlib_text

__all__ = ["file_comments", "stdlib_comments_corpus"]


@cache
def file_comments(path: Path) -> tuple[str, ...]:
    """The comments of one source file, in order, without ``#`` and outer spaces."""
    comments = []
    try:
        with tokenize.open(path) as f:
            for tok in tokenize.generate_tokens(f.readline):
                if tok.type != tokenize.COMMENT:
                    continue
                text = tok.string.lstrip("#").strip()
                if tok.start[0] <= 2 and (text.startswith("!") or "coding" in text):
                    continue
                if any(c.isalnum() for c in text):
                    comments.append(text)
    except (SyntaxError, UnicodeDecodeError, ValueError, tokenize.TokenError):
        return ()
    return tuple(comments)


def stdlib_comments_corpus(
    max_chars: int | None = 100_000,
    seed: int | None = 0,
    split: Literal["train", "validation", "all"] = "train",
) -> str:
    """The standard library's comments (``split`` of the files in ``seed``'s order),
    one per line, a blank line between files, cut to ``max_chars``. Files are read only as
    far as needed."""
    return stdlib_text(
        _file_comment_block, "stdlib_comments_corpus", max_chars, seed, split
    )


def _file_comment_block(path: Path) -> tuple[str, ...]:
    """One file's comments as one block (none for a file without comments)."""
    comments = file_comments(path)
    return ("\n".join(comments),) if comments else ()

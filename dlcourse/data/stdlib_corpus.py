"""A large text corpus with no download: every docstring in the standard library's source.

:func:`dlcourse.data.text.stdlib_docstrings` imports a dozen modules (tens of thousands of
characters), enough for a character LSTM. A subword tokenizer and a GPT want more: the
``.py`` files of the standard library (``sysconfig.get_paths()["stdlib"]``) hold several
megabytes of docstrings. :func:`stdlib_docstrings_corpus` reads them with :mod:`ast`,
without importing anything: for each file, the module docstring, then the class, function
and method docstrings in source order, each ``inspect.cleandoc``-ed, joined by blank lines.
Test suites (folders ``test``, ``tests``, ``idle_test``), ``site-packages`` and files that do
not parse are left out.

**Order and split.** The files are sorted by path, then shuffled with ``seed`` (``None``:
sorted order), so the first megabyte comes from many modules rather than the
alphabetically first ones. The last :data:`VALIDATION_FRACTION` of the files in that order
form the *validation* split and the rest the *train* split: a validation text shares no
module with the training text, so it is text the model (or tokenizer) never saw.
``max_chars`` cuts the split's text. The text is identical on every run for a given
Python version and seed.

See chapter: Language models: tokens, pretraining and fine-tuning (book/14_language_models.ipynb)
"""

from __future__ import annotations

import ast
import inspect
import random
import sysconfig
import tokenize
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Literal

__all__ = [
    "VALIDATION_FRACTION",
    "stdlib_source_files",
    "stdlib_docstrings_corpus",
    "stdlib_text",
]

#: Share of the (shuffled) files that form the validation split.
VALIDATION_FRACTION = 0.1

_SKIPPED_DIRS = frozenset(
    {"test", "tests", "idle_test", "site-packages", "__pycache__"}
)
_DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


@cache
def stdlib_source_files() -> tuple[Path, ...]:
    """The standard library's ``.py`` files, sorted, without test suites."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = [
        path
        for path in root.rglob("*.py")
        if not _SKIPPED_DIRS.intersection(path.relative_to(root).parts[:-1])
    ]
    return tuple(sorted(files, key=lambda p: p.relative_to(root).as_posix()))


def _docstrings(node: ast.AST) -> Iterator[str]:
    """Docstrings of ``node`` and of the classes and functions inside it, in source order."""
    if isinstance(node, _DOCUMENTED):
        doc = ast.get_docstring(node, clean=True)
        if doc:
            yield doc
    for child in ast.iter_child_nodes(node):
        yield from _docstrings(child)


@cache
def _file_docstrings(path: Path) -> tuple[str, ...]:
    try:
        with tokenize.open(path) as f:  # honours the file's coding declaration
            tree = ast.parse(f.read())
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return ()
    return tuple(inspect.cleandoc(d) for d in _docstrings(tree))


def stdlib_docstrings_corpus(
    max_chars: int | None = 1_000_000,
    seed: int | None = 0,
    split: Literal["train", "validation", "all"] = "train",
) -> str:
    """The standard library's docstrings (``split`` of the files in ``seed``'s order),
    joined by blank lines, cut to ``max_chars``. Files are read only as far as needed."""
    return stdlib_text(
        _file_docstrings, "stdlib_docstrings_corpus", max_chars, seed, split
    )


def stdlib_text(
    texts_of: Callable[[Path], Iterable[str]],
    name: str,
    max_chars: int | None,
    seed: int | None,
    split: Literal["train", "validation", "all"],
) -> str:
    """The texts ``texts_of`` finds in each file of ``split`` (files in ``seed``'s order, the
    last :data:`VALIDATION_FRACTION` of them for validation), joined by blank lines and cut to
    ``max_chars``; files are read only as far as needed. ``name`` is the caller, for errors."""
    if max_chars is not None and max_chars < 0:
        raise ValueError(f"{name}: max_chars must be >= 0 or None, got {max_chars}")
    if split not in ("train", "validation", "all"):
        raise ValueError(
            f"{name}: split must be 'train', 'validation' or 'all', got {split!r}"
        )
    files = list(stdlib_source_files())
    if seed is not None:
        random.Random(seed).shuffle(files)
    n_train = round(len(files) * (1.0 - VALIDATION_FRACTION))
    chosen = {"train": files[:n_train], "validation": files[n_train:], "all": files}
    parts: list[str] = []
    length = 0
    for path in chosen[split]:
        for text in texts_of(path):
            parts.append(text)
            length += len(text) + 2
        if max_chars is not None and length >= max_chars:
            break
    text = "\n\n".join(parts)
    return text if max_chars is None else text[:max_chars]

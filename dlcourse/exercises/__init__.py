"""Exercise checkers, one module per chapter: ``from dlcourse.exercises.ch01 import q1``.

Each ``chNN`` module defines the questions ``q1, q2, …`` of ``exercises/NN_*.ipynb``
(:class:`~dlcourse.exercises.question.Question` objects with ``check()``, ``hint()``,
``solution()``). Chapters are imported lazily: importing this package loads none of them.

The autograder does not trust these modules as they are in a student's kernel: it judges
every check in its own process, on plain-data observations (:mod:`.probe`, :mod:`.checks`).

The exercises of every chapter use it.

See chapter: For instructors (book/instructors.md)
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

__all__ = ["CHAPTERS", "chapters"]

_HERE = Path(__file__).resolve().parent


def chapters() -> list[str]:
    """The chapter modules present, e.g. ``["ch01", "ch02", …]``."""
    return sorted(p.stem for p in _HERE.glob("ch[0-9][0-9].py"))


CHAPTERS: list[str] = chapters()


def __getattr__(attr: str) -> ModuleType:
    if attr in chapters():
        return importlib.import_module(f"{__name__}.{attr}")
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")

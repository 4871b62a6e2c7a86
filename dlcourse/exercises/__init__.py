"""Exercise checkers, one module per chapter: ``from dlcourse.exercises.ch01 import q1``.

Each ``chNN`` module defines the questions ``q1, q2, …`` of ``exercises/NN_*.ipynb``
(:class:`~dlcourse.exercises.question.Question` objects with ``check()``, ``hint()``,
``solution()``). Chapters are imported lazily: importing this package loads none of them.

:func:`fresh` loads a chapter's checker module *from its file* under a new name, together
with fresh copies of :mod:`.question` and :mod:`.compare`, so a student who replaces
``q1.check`` (or ``Question.check``) in the kernel does not change what the grader runs.

See chapter: The artificial neuron (the exercises of every chapter use it)
"""

from __future__ import annotations

import importlib
import itertools
import sys
import types
from pathlib import Path
from types import ModuleType

__all__ = ["CHAPTERS", "chapters", "fresh"]

_HERE = Path(__file__).resolve().parent
_counter = itertools.count()


def chapters() -> list[str]:
    """The chapter modules present, e.g. ``["ch01", "ch02", …]``."""
    return sorted(p.stem for p in _HERE.glob("ch[0-9][0-9].py"))


CHAPTERS: list[str] = chapters()


def _chapter_name(chapter: str | int) -> str:
    if isinstance(chapter, int):
        return f"ch{chapter:02d}"
    chapter = str(chapter)
    if chapter.isdigit():
        return f"ch{int(chapter):02d}"
    return chapter


def fresh(chapter: str | int) -> ModuleType:
    """A new, independent copy of the checker module ``chapter`` (``"ch01"``, ``"01"`` or ``1``).

    The module is executed again from ``dlcourse/exercises/chNN.py`` inside a new package
    ``dlcourse.exercises._fresh<k>`` whose ``question`` and ``compare`` modules are also fresh
    copies read from their files; nothing already imported in the kernel is reused from this
    package, so monkey-patching those objects has no effect on the copy.
    """
    name = _chapter_name(chapter)
    path = _HERE / f"{name}.py"
    if not path.is_file():
        raise ModuleNotFoundError(
            f"dlcourse.exercises: no chapter module {name!r} "
            f"(have: {', '.join(chapters()) or 'none'})"
        )
    pkg_name = f"{__name__}._fresh{next(_counter)}"
    pkg = types.ModuleType(pkg_name, "A fresh copy of dlcourse.exercises' checkers.")
    pkg.__path__ = [str(_HERE)]  # submodules are found in the same folder, loaded anew
    pkg.__package__ = pkg_name
    sys.modules[pkg_name] = pkg
    return importlib.import_module(f"{pkg_name}.{name}")


def __getattr__(attr: str) -> ModuleType:
    if attr in chapters():
        return importlib.import_module(f"{__name__}.{attr}")
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")

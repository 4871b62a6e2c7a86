"""Reference solutions of a *practice* copy, registered by the notebook itself.

The learner's package holds no reference solution. ``dlcourse release --practice`` (the
copies in ``student/``) adds one cell near the top of each notebook::

    from dlcourse.exercises import solutions
    solutions.register("ch06", {"q1": "def gd_step(...): ...", ...})

after which ``q1.solution()`` shows the answer. A graded copy has no such cell, so nothing
in it, or in what the student installs, gives an answer away.

The exercises of every chapter use it.

See chapter: For instructors (book/instructors.md)
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

__all__ = ["register", "get"]

_REGISTERED: dict[tuple[str, str], str] = {}


def register(chapter: str, sources: Mapping[str, str]) -> None:
    """Register the reference solutions ``{"q1": source, ...}`` of ``chapter`` ("ch06")."""
    for question, source in sources.items():
        _REGISTERED[(chapter, question)] = textwrap.dedent(source).strip("\n")


def get(chapter: str, question: str) -> str | None:
    """The registered reference solution, or None."""
    return _REGISTERED.get((chapter, question))

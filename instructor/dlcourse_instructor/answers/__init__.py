"""The hidden tests of every exercise, on the instructor's side only.

``dlcourse_instructor.answers.ch06`` holds ``HIDDEN = {"q1": [checks…], …}``: checks built
with the learner package's :mod:`dlcourse.exercises.checks` (``call``, ``value``) on inputs
the students never see. The reference *solutions* are the solution cells of the exercise
sources (``exercises/NN_*.ipynb``); nothing here or there ships to students.

* The autograder (:mod:`dlcourse_instructor.grading`) judges every visible and hidden check
  of a question in its own process, on observations made in the student's sandbox.
* nbgrader runs the source notebooks' hidden-test regions, which call
  ``check_hidden("ch06", "q1")``: the same checks, observed and judged in nbgrader's kernel.

See chapter: For instructors (book/instructors.md).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from dlcourse.exercises.checks import Check

__all__ = ["checks", "check_hidden", "hidden"]


def _chapter(chapter: str) -> str:
    return chapter if chapter.startswith("ch") else f"ch{int(chapter):02d}"


def hidden(chapter: str, question: str) -> list[Check]:
    """The hidden checks of ``question`` ("q1") of ``chapter`` ("ch06")."""
    module = importlib.import_module(f"{__name__}.{_chapter(chapter)}")
    return list(module.HIDDEN.get(question, []))


def checks(chapter: str, question: str) -> tuple[Any, list[Check]]:
    """The learner's question object and *all* its checks: the visible, then the hidden."""
    learner = importlib.import_module(f"dlcourse.exercises.{_chapter(chapter)}")
    q = getattr(learner, question)
    return q, [*q.tests, *hidden(chapter, question)]


def check_hidden(chapter: str, question: str) -> None:
    """Run the hidden checks in this kernel (nbgrader's hidden-test region): ✓ or raise."""
    from dlcourse.exercises.probe import observe

    q, _ = checks(chapter, question)
    ns = vars(sys.modules["__main__"])

    def here(test: Check) -> dict[str, Any]:
        if q.variable not in ns:
            return {"undefined": True}
        return observe(test.spec(), ns[q.variable])

    q.verdict(hidden(chapter, question), here, hidden=True)
    print(f"✓ {q.name}: hidden tests passed")

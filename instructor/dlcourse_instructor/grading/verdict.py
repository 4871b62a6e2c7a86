"""A question's verdict, decided in the grader's own process.

The submission's kernel never reports "passed". For each check of a question (the visible
checks of ``dlcourse.exercises.chNN`` and the hidden ones of
:mod:`dlcourse_instructor.answers`), the grader sends the kernel one line,
``dlcourse.exercises.probe.report('<specs>')``, which calls the student's function on the
check's inputs and publishes what happened as plain data (numbers, strings, ``.npy`` bytes).
The grader decodes that data without pickle and judges it here, with its own copy of the
checks and of NumPy. A submission can spoil an observation (an input transformer that eats the
line, a patched NumPy, an object whose ``__eq__`` always says yes), but a spoiled observation
fails: to pass it must produce the right values for inputs it learns only when called.

See chapter: For instructors (book/instructors.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import nbformat

from dlcourse.exercises.checks import Check
from dlcourse.exercises.probe import MIME

__all__ = [
    "Outcome",
    "chapter_of",
    "judge_question",
    "observations_from",
    "observe_line",
    "question_of",
]

_CHAPTER = re.compile(r"dlcourse\.exercises\.(ch\d\d)\b")
_QUESTION = re.compile(r"\b(q\d+)\.check\(\)")


class Outcome(Exception):
    """A status that ends a question's judging early (timeout, memory limit, dead kernel…)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def chapter_of(source_nb: nbformat.NotebookNode) -> str | None:
    """The checker module of an exercise source ("ch06"), from its imports."""
    for cell in source_nb.cells:
        if cell.cell_type == "code":
            match = _CHAPTER.search(cell.source)
            if match:
                return match.group(1)
    return None


def question_of(test_cell: nbformat.NotebookNode) -> str | None:
    """The question a source's test cell checks ("q1"), from its ``q1.check()``."""
    match = _QUESTION.search(test_cell.source)
    return match.group(1) if match else None


def observe_line(specs: list[dict[str, Any]]) -> str:
    """The one line sent to the student's kernel to observe a question's checks."""
    payload = json.dumps(specs, separators=(",", ":"))
    return (
        "__import__('dlcourse.exercises.probe', fromlist=['report'])"
        f".report({payload!r})"
    )


def observations_from(outputs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The observations among a cell's outputs, by id (what :func:`report` published)."""
    found: dict[str, dict[str, Any]] = {}
    for out in outputs:
        data = out.get("data", {}) if isinstance(out, dict) else {}
        payload = data.get(MIME)
        if isinstance(payload, str):
            try:
                payload = json.loads(payload)
            except ValueError:
                continue
        items = payload.get("observations") if isinstance(payload, dict) else None
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("observation"), dict):
                found.setdefault(str(item.get("id")), item["observation"])
    return found


def judge_question(
    question: Any,
    checks: list[Check],
    n_visible: int,
    run_line: Callable[[str], list[dict[str, Any]]],
) -> tuple[bool, str]:
    """Observe every check in one round trip through ``run_line`` (code → the outputs it
    produced) and judge them here, visible checks first.

    Returns ``(passed, message)``. ``NotImplementedError`` from the verdict (a stub) and
    :class:`Outcome` (raised by ``run_line`` for a timeout or a dead kernel) propagate.
    """
    ids = {id(test): f"{question.name}-{i}" for i, test in enumerate(checks)}
    specs = [
        {**test.spec(), "variable": question.variable, "id": ids[id(test)]}
        for test in checks
    ]
    observed = observations_from(run_line(observe_line(specs)))

    def observe(test: Check) -> dict[str, Any]:
        observation = observed.get(ids[id(test)])
        if observation is None:
            return {"error": "the grader could not observe your answer"}
        raised = observation.get("raised")
        if isinstance(raised, dict) and raised.get("type") == "MemoryError":
            raise Outcome("memory limit", f"`{question.variable}` ran out of memory")
        return observation

    question.verdict(checks[:n_visible], observe)
    question.verdict(checks[n_visible:], observe, hidden=True)
    return True, ""

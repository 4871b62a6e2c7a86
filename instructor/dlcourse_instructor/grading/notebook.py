"""Reading and rewriting notebooks in nbgrader's cell-metadata format.

An instructor's *source* notebook marks its cells with ``metadata.nbgrader``::

    {"schema_version": 3, "grade_id": "q1_test", "locked": true,
     "solution": false, "grade": true, "points": 2}

* solution cells (``solution: true``) hold the reference answer between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
* graded test cells (``grade: true``, ``solution: false``) may hold tests the students
  never see between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``.

Student copies are made by :mod:`.student_copy`.

:func:`assemble` rebuilds the notebook that grading executes from a student's submission and
the instructor's source. nbgrader gives zero to a test cell that writes anything to stderr
(a warning is enough); ``dlcourse grade`` never runs the test cells' code: it judges each
question itself and ignores stderr. See chapter: For instructors (book/instructors.md).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
MARKDOWN_STUB = "YOUR ANSWER HERE"


class UnreadableNotebook(ValueError):
    """The file is not a Jupyter notebook we can read (bad JSON, wrong structure, ...)."""


@dataclass(frozen=True)
class GradedCell:
    """One question of the gradebook: a source cell with ``grade: true``."""

    grade_id: str
    points: float
    autograded: bool  # False for manually graded answers (grade and solution both true)
    hidden_lines: tuple[str, ...] = ()


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook, raising :class:`UnreadableNotebook` for anything that is not one."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no list of cells")
        for cell in nb.cells:
            if cell.get("cell_type") not in ("code", "markdown", "raw"):
                raise ValueError(f"unknown cell type {cell.get('cell_type')!r}")
            if not isinstance(cell.get("source", ""), str):
                raise ValueError("cell source is not text")
    except (
        OSError,
        UnicodeDecodeError,
        json.JSONDecodeError,
        ValueError,
        TypeError,
        AttributeError,
        KeyError,
    ) as exc:
        raise UnreadableNotebook(
            f"{Path(path).name} is not a readable notebook: "
            f"{type(exc).__name__}: {str(exc)[:200]}"
        ) from None
    except Exception as exc:  # nbformat raises its own validation/reader errors
        raise UnreadableNotebook(
            f"{Path(path).name} is not a readable notebook: "
            f"{type(exc).__name__}: {str(exc)[:200]}"
        ) from None
    return nb


def nbgrader_meta(cell) -> dict:
    """The cell's ``metadata.nbgrader`` dictionary ({} when absent or malformed)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def grade_id(cell) -> str | None:
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def is_solution(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution", False))


def is_grade(cell) -> bool:
    return bool(nbgrader_meta(cell).get("grade", False))


def _replace_regions(source: str, begin: str, end: str, stub: str | None) -> str:
    """Replace each ``begin``...``end`` region (marker lines included) by ``stub``.

    The stub is indented like the ``begin`` marker; ``stub=None`` deletes the region.
    An unterminated region runs to the end of the cell.
    """
    out: list[str] = []
    inside = False
    for line in source.splitlines(keepends=True):
        stripped = line.strip()
        if not inside and stripped.startswith(begin):
            inside = True
            if stub is not None:
                indent = line[: len(line) - len(line.lstrip())]
                out.extend(indent + s + "\n" for s in stub.split("\n"))
            continue
        if inside:
            if stripped.startswith(end):
                inside = False
            continue
        out.append(line)
    text = "".join(out)
    return text[:-1] if text.endswith("\n") and not source.endswith("\n") else text


def strip_solutions(source: str, cell_type: str = "code") -> str:
    """Replace every solution region by the stub that raises ``NotImplementedError``."""
    stub = CODE_STUB if cell_type == "code" else MARKDOWN_STUB
    return _replace_regions(source, BEGIN_SOLUTION, END_SOLUTION, stub)


def strip_hidden_tests(source: str) -> str:
    """Delete every hidden-test region, markers included."""
    return _replace_regions(source, BEGIN_HIDDEN, END_HIDDEN, None).rstrip("\n")


def hidden_test_lines(source: str) -> tuple[str, ...]:
    """The (stripped, non-empty) lines inside hidden-test regions: never shown to students."""
    lines, inside = [], False
    for line in source.splitlines():
        s = line.strip()
        if s.startswith(BEGIN_HIDDEN):
            inside = True
        elif s.startswith(END_HIDDEN):
            inside = False
        elif inside and s and not s.startswith("#"):
            lines.append(s)
    return tuple(lines)


def solution_code(source: str) -> str:
    """A solution cell's code as the student should see it: the markers removed, nothing else.

    The whole cell is kept (a function's signature and docstring included); only the
    ``### BEGIN SOLUTION`` / ``### END SOLUTION`` lines go.
    """
    lines = [
        line
        for line in source.splitlines()
        if not line.strip().startswith((BEGIN_SOLUTION, END_SOLUTION))
    ]
    return "\n".join(lines).strip("\n")


def graded_cells(source_nb: nbformat.NotebookNode) -> list[GradedCell]:
    """The questions of a source notebook, in order: every cell with ``grade: true``."""
    cells, seen = [], set()
    for cell in source_nb.cells:
        gid = grade_id(cell)
        if not is_grade(cell) or gid is None or gid in seen:
            continue
        seen.add(gid)
        try:
            points = float(nbgrader_meta(cell).get("points", 0) or 0)
        except (TypeError, ValueError):
            points = 0.0
        autograded = cell.cell_type == "code" and not is_solution(cell)
        cells.append(
            GradedCell(gid, points, autograded, hidden_test_lines(cell.source))
        )
    return cells


def _clean_student_cell(cell):
    """A student-added cell: keep its code, drop nbgrader metadata and tags that alter execution."""
    cell = copy.deepcopy(cell)
    cell.metadata.pop("nbgrader", None)
    cell.metadata.pop("tags", None)
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    return cell


def assemble(source_nb, submission_nb) -> nbformat.NotebookNode:
    """The notebook that grading executes.

    The submission's cells, in the submission's order, except that

    * every cell whose ``grade_id`` is a locked or graded non-solution cell of the source is
      replaced by the source's cell, so edited or deleted locked cells are restored (the
      grader does not run the test cells' code: it judges each question itself);
    * solution cells keep the student's code but take the source's metadata;
    * cells the source has and the submission lost (deleted test cells) are put back after the
      nearest preceding source cell that is present;
    * cells with an unknown ``grade_id`` lose their nbgrader metadata (they grade nothing),
      and a repeated ``grade_id`` is kept only the first time.
    """
    src_cells = {}
    order = []
    for cell in source_nb.cells:
        gid = grade_id(cell)
        if gid is not None and gid not in src_cells:
            src_cells[gid] = cell
            order.append(gid)

    def source_version(gid):
        cell = copy.deepcopy(src_cells[gid])
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        return cell

    out: list = []
    position: dict[str, int] = {}
    for cell in submission_nb.cells:
        gid = grade_id(cell)
        if gid is None or gid not in src_cells or gid in position:
            out.append(_clean_student_cell(cell))
            continue
        src = src_cells[gid]
        if is_solution(src):
            new = copy.deepcopy(src)
            new.source = cell.get("source", "")
            if new.cell_type == "code":
                new.outputs = []
                new.execution_count = None
        else:
            new = source_version(gid)
        position[gid] = len(out)
        out.append(new)

    # put back the cells that the student deleted
    for i, gid in enumerate(order):
        if gid in position:
            continue
        if is_solution(src_cells[gid]):
            new = copy.deepcopy(src_cells[gid])
            new.source = strip_solutions(new.source, new.cell_type)
            if new.cell_type == "code":
                new.outputs, new.execution_count = [], None
        else:
            new = source_version(gid)
        prev = [position[g] for g in order[:i] if g in position]
        at = max(prev) + 1 if prev else 0
        out.insert(at, new)
        for g, p in position.items():
            if p >= at:
                position[g] = p + 1
        position[gid] = at

    nb = copy.deepcopy(source_nb)
    nb.cells = out
    return nb

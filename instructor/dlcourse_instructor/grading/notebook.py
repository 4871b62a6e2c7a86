"""Reading and rewriting notebooks in nbgrader's cell-metadata format.

An instructor's *source* notebook marks its cells with ``metadata.nbgrader``::

    {"schema_version": 3, "grade_id": "q1_test", "locked": true,
     "solution": false, "grade": true, "points": 2}

* solution cells (``solution: true``) hold the reference answer between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
* graded test cells (``grade: true``, ``solution: false``) may hold tests the students
  never see between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``.

:func:`release_notebook` makes a student copy, in one of two modes:

* **practice** (the default; the copies in ``student/`` that the chapters link): stubs,
  visible checks and hints, plus one collapsed cell right after the notebook's first
  ``from dlcourse.exercises.chNN import …`` cell that registers the reference solutions
  (:mod:`dlcourse.exercises.solutions`), so that ``qN.solution()`` shows one;
* **graded**: no such cell, so no reference solution anywhere in the copy.

In both, hidden-test regions are removed, outputs cleared, and the cells get what nbgrader's
``generate_assignment`` gives them: ``editable: false`` / ``deletable: false`` on locked
cells (:func:`lock_cell`) and nbgrader's checksums (:func:`checksum`), so a released copy can
be collected and autograded by nbgrader too. ``metadata.dlcourse.release`` records the mode.

:func:`assemble` rebuilds the notebook that grading executes from a student's submission and
the instructor's source. nbgrader gives zero to a test cell that writes anything to stderr
(a warning is enough); ``dlcourse grade`` never runs the test cells' code: it judges each
question itself and ignores stderr. See chapter: For instructors (book/instructors.md).
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
MARKDOWN_STUB = "YOUR ANSWER HERE"

PRACTICE = "practice"
GRADED = "graded"
#: First line of a practice copy's solutions cell: a Colab form title (the cell shows folded).
SOLUTIONS_TITLE = (
    "#@title Reference solutions (practice copy): run this cell, then qN.solution() "
    "shows one — try first!"
)
#: ``metadata.dlcourse`` of that cell.
SOLUTIONS_CELL = "solutions"
_CHAPTER_IMPORT = re.compile(
    r"^\s*from\s+dlcourse\.exercises\.(ch\d+)\s+import\b", re.MULTILINE
)
_QUESTION = re.compile(r"^(q\d+)(?:_|$)")


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


def question_name(gid: str) -> str:
    """The question a solution cell answers, from its grade_id: ``q1_answer`` → ``q1``."""
    match = _QUESTION.match(gid)
    return match.group(1) if match else gid.rsplit("_", 1)[0]


def _literal(text: str) -> str:
    """A readable Python string literal for ``text`` (a triple-quoted raw string if it can be)."""
    body = "\n" + text + "\n"
    for quote in ("'''", '"""'):
        if quote not in body and not body.endswith(quote[0]):
            literal = "r" + quote + body + quote
            try:
                if ast.literal_eval(literal) == body:
                    return literal
            except (SyntaxError, ValueError):
                pass
    return repr(text)


def reference_solutions(nb: nbformat.NotebookNode) -> dict[str, str]:
    """``{"q1": code, ...}``: the code of each question's solution cell(s), in order."""
    out: dict[str, str] = {}
    for cell in nb.cells:
        gid = grade_id(cell)
        if cell.cell_type != "code" or not is_solution(cell) or gid is None:
            continue
        q = question_name(gid)
        code = solution_code(cell.source)
        out[q] = f"{out[q]}\n\n{code}" if q in out else code
    return out


def solutions_cell(chapter: str, sources: dict[str, str]) -> nbformat.NotebookNode:
    """The practice copy's cell that registers the reference solutions (folded)."""
    entries = "".join(
        f"        {json.dumps(q)}: {_literal(code)},\n" for q, code in sources.items()
    )
    code = (
        f"{SOLUTIONS_TITLE}\n"
        "from dlcourse.exercises import solutions\n\n"
        f"solutions.register(\n    {json.dumps(chapter)},\n    {{\n{entries}    }},\n)"
    )
    metadata = {
        "cellView": "form",  # Colab: show the title, fold the code
        "dlcourse": SOLUTIONS_CELL,
        "jupyter": {"source_hidden": True},  # JupyterLab / Notebook 7: folded
    }
    cell = nbformat.v4.new_code_cell(code, metadata=metadata)
    # a stable id across releases (nbstripout renumbers the ids anyway)
    cell["id"] = "dlcourse-solutions"
    return cell


def _nbgrader_flag(cell, key: str):
    """``metadata.nbgrader[key]`` exactly as nbgrader's ``utils.is_*`` read it (raw value)."""
    if "nbgrader" not in cell.get("metadata", {}):
        return False
    return cell.metadata["nbgrader"].get(key, False)


def is_locked(cell):
    """nbgrader's ``is_locked``: grade cells are locked, solution cells never, else ``locked``."""
    if "nbgrader" not in cell.get("metadata", {}):
        return False
    if _nbgrader_flag(cell, "solution"):
        return False
    if _nbgrader_flag(cell, "grade"):
        return True
    return cell.metadata["nbgrader"].get("locked", False)


def checksum(cell) -> str:
    """nbgrader's checksum of a cell (``nbgrader.utils.compute_checksum``, nbgrader 0.9).

    The MD5 of, in this order, the UTF-8 bytes of: the source, the cell type,
    ``str(grade)``, ``str(solution)``, ``str(locked)`` (nbgrader's ``is_locked``), the
    grade_id and, for a grade cell, ``str(float(points))``.
    """
    m = hashlib.md5()
    m.update(cell.source.encode("utf-8"))
    m.update(cell.cell_type.encode("utf-8"))
    m.update(str(_nbgrader_flag(cell, "grade")).encode("utf-8"))
    m.update(str(_nbgrader_flag(cell, "solution")).encode("utf-8"))
    m.update(str(is_locked(cell)).encode("utf-8"))
    m.update(cell.metadata["nbgrader"]["grade_id"].encode("utf-8"))
    if _nbgrader_flag(cell, "grade"):
        m.update(str(float(cell.metadata["nbgrader"]["points"])).encode("utf-8"))
    return m.hexdigest()


def lock_cell(cell) -> None:
    """Jupyter's lock flags, as nbgrader's ``LockCells`` sets them (its defaults).

    Solution cells: ``deletable: false`` (the student edits them); test cells and other locked
    cells: ``deletable: false`` and ``editable: false``.
    """
    if _nbgrader_flag(cell, "solution"):
        cell.metadata["deletable"] = False
    elif _nbgrader_flag(cell, "grade") or is_locked(cell):
        cell.metadata["deletable"] = False
        cell.metadata["editable"] = False


def add_checksum(cell) -> None:
    """nbgrader's ``ComputeChecksums``: ``checksum`` and ``cell_type`` on every graded,
    solution or locked cell that has a grade_id."""
    if grade_id(cell) is None:
        return
    flags = (_nbgrader_flag(cell, "grade"), _nbgrader_flag(cell, "solution"))
    if any(flags) or is_locked(cell):
        cell.metadata["nbgrader"]["checksum"] = checksum(cell)
        cell.metadata["nbgrader"]["cell_type"] = cell.cell_type


def release_notebook(
    nb: nbformat.NotebookNode, graded: bool = False
) -> nbformat.NotebookNode:
    """The student copy of a source notebook: a practice copy, or with ``graded=True`` a
    graded one.

    Both: solution regions become ``# YOUR CODE HERE`` / ``raise NotImplementedError()``
    (markdown answers become ``YOUR ANSWER HERE``; a solution cell without markers becomes
    the stub entirely; a solution region outside a solution cell is an error, as in
    nbgrader), hidden-test regions are removed, outputs and execution counts are cleared,
    locked cells get ``editable``/``deletable: false`` and graded, solution and locked
    cells nbgrader's checksum, as ``nbgrader generate_assignment`` does. Other metadata
    is kept; ``metadata.dlcourse.release`` says the mode.

    A practice copy also gets, right after the first ``from dlcourse.exercises.chNN import``
    cell, a folded cell that registers each question's reference solution (the source's
    solution cell without its markers) for ``qN.solution()``. A graded copy has no
    solution anywhere.
    """
    source = nb
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if is_solution(cell):
            if BEGIN_SOLUTION in cell.source:
                cell.source = strip_solutions(cell.source, cell.cell_type)
            else:  # a solution cell without markers is all solution (as in nbgrader)
                cell.source = CODE_STUB if cell.cell_type == "code" else MARKDOWN_STUB
        elif BEGIN_SOLUTION in cell.source:
            raise ValueError(
                f"cell {grade_id(cell) or cell.get('id', '?')!r} has a solution region "
                "but is not a solution cell (metadata.nbgrader.solution): "
                "releasing it would give the solution away"
            )
        if BEGIN_HIDDEN in cell.source:
            cell.source = strip_hidden_tests(cell.source)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        lock_cell(cell)
        add_checksum(cell)
    if not graded:
        sources = reference_solutions(source)
        for i, cell in enumerate(nb.cells):
            match = (
                _CHAPTER_IMPORT.search(cell.source)
                if cell.cell_type == "code"
                else None
            )
            if match and sources:
                nb.cells.insert(i + 1, solutions_cell(match.group(1), sources))
                break
    nb.metadata["dlcourse"] = {"release": GRADED if graded else PRACTICE}
    return nb


def release(sources, out_dir: str | Path, *, graded: bool = False) -> list[Path]:
    """Write the student copy of each source notebook into ``out_dir`` (same file names):
    practice copies, or graded ones with ``graded=True`` (see :func:`release_notebook`)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sources:
        src = Path(src)
        nb = release_notebook(read_notebook(src), graded=graded)
        target = out_dir / src.name
        if target.resolve() == src.resolve():
            raise ValueError(
                f"refusing to overwrite the source {src} with its student copy"
            )
        nbformat.write(nb, target)
        written.append(target)
    return written


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

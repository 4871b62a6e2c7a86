"""Student copies of source notebooks: practice and graded releases.

:func:`release_notebook` makes a student copy, in one of two modes:

* **practice** (the default; the copies in ``student/`` that the chapters link): stubs,
  visible checks and hints, plus one collapsed cell right after the notebook's first
  ``from dlcourse.exercises.chNN import …`` cell that registers the reference solutions
  (:mod:`dlcourse.exercises.solutions`), so that ``qN.solution()`` shows one;
  Each written answer (a manually graded Markdown cell, ``YOUR ANSWER HERE`` in both modes)
  is followed by a folded Markdown cell "Model answer (open it after writing yours)" holding
  the source's model answer and rubric (:func:`model_answer_cell`);
* **graded**: none of these cells, so no reference solution and no model answer anywhere in
  the copy.

In both, hidden-test regions are removed, outputs cleared, and the cells get what nbgrader's
``generate_assignment`` gives them: ``editable: false`` / ``deletable: false`` on locked
cells (:func:`lock_cell`) and nbgrader's checksums (:func:`checksum`), so a released copy can
be collected and autograded by nbgrader too. ``metadata.dlcourse.release`` records the mode.

See chapter: For instructors (book/instructors.md).
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import re
from pathlib import Path

import nbformat

from dlcourse_instructor.grading.notebook import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    CODE_STUB,
    MARKDOWN_STUB,
    grade_id,
    is_grade,
    is_solution,
    read_notebook,
    solution_code,
    strip_hidden_tests,
    strip_solutions,
)

PRACTICE = "practice"
GRADED = "graded"
#: First line of a practice copy's solutions cell: a Colab form title (the cell shows folded).
SOLUTIONS_TITLE = (
    "#@title Reference solutions (practice copy): run this cell, then qN.solution() "
    "shows one — try first!"
)
#: ``metadata.dlcourse`` of that cell.
SOLUTIONS_CELL = "solutions"
#: First line of a practice copy's model-answer cell, and its ``metadata.dlcourse``.
MODEL_ANSWER_TITLE = "**Model answer** (open it after writing yours)"
MODEL_ANSWER_CELL = "model answer"
_CHAPTER_IMPORT = re.compile(
    r"^\s*from\s+dlcourse\.exercises\.(ch\d+)\s+import\b", re.MULTILINE
)
_QUESTION = re.compile(r"^(q\d+)(?:_|$)")


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


def model_answer_cell(source_cell) -> nbformat.NotebookNode:
    """The practice copy's folded Markdown cell after a written answer: its model answer and
    rubric, folded twice over (JupyterLab's ``source_hidden``; a ``<details>`` block for
    Colab and other front ends that ignore it), with no nbgrader metadata."""
    answer = solution_code(source_cell.source)
    source = (
        f"{MODEL_ANSWER_TITLE}\n\n<details>\n<summary>Show the model answer</summary>\n\n"
        f"{answer}\n\n</details>"
    )
    metadata = {"dlcourse": MODEL_ANSWER_CELL, "jupyter": {"source_hidden": True}}
    cell = nbformat.v4.new_markdown_cell(source, metadata=metadata)
    suffix = re.sub(r"[^A-Za-z0-9_-]", "-", grade_id(source_cell) or "answer")[:40]
    cell["id"] = f"dlcourse-model-{suffix}"  # stable across releases
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
    solution cell without its markers) for ``qN.solution()``, and right after each written
    answer a folded model-answer cell (:func:`model_answer_cell`). A graded copy has no
    solution and no model answer anywhere.
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
        written = {
            grade_id(c): c
            for c in source.cells
            if c.cell_type == "markdown" and is_solution(c) and is_grade(c)
        }
        for i in reversed(range(len(nb.cells))):
            gid = grade_id(nb.cells[i])
            if gid in written and is_solution(nb.cells[i]):
                nb.cells.insert(i + 1, model_answer_cell(written.pop(gid)))
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

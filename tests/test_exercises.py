"""Every exercise notebook: valid nbgrader metadata, passes with its solutions, fails without them.

The student copy replaces each ``### BEGIN SOLUTION`` … ``### END SOLUTION`` region with
``raise NotImplementedError()``; then every graded check must fail with the checker's
"not implemented yet" message (not crash some other way, and not pass by accident).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "exercises").glob("*.ipynb"))
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def _id(path: Path) -> str:
    return path.stem


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _regions(source: str, begin: str, end: str) -> list[tuple[int, int]]:
    """(begin line, end line) of each region; AssertionError when unbalanced or nested."""
    regions, start = [], None
    for i, line in enumerate(source.splitlines()):
        if line.strip() == begin:
            assert start is None, f"nested {begin!r} at line {i}"
            start = i
        elif line.strip() == end:
            assert start is not None, f"{end!r} without {begin!r} at line {i}"
            regions.append((start, i))
            start = None
        else:
            assert begin not in line and end not in line, (
                f"marker not on a line of its own: {line!r}"
            )
    assert start is None, f"{begin!r} at line {start} is never closed"
    return regions


def stub_solutions(source: str) -> str:
    """What release does: each solution region becomes `# YOUR CODE HERE / raise NotImplementedError()`."""
    lines, out, inside = source.splitlines(), [], False
    for line in lines:
        if line.strip() == BEGIN:
            indent = line[: len(line) - len(line.lstrip())]
            out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
            inside = True
        elif line.strip() == END:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def test_there_are_exercise_notebooks():
    assert len(NOTEBOOKS) >= 4


def test_stub_solutions_keeps_indentation():
    src = "def f(x):\n    '''doc'''\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\ny = 1"
    assert stub_solutions(src) == (
        "def f(x):\n    '''doc'''\n    # YOUR CODE HERE\n"
        "    raise NotImplementedError()\ny = 1"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_nbgrader_metadata(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    ids = []
    for i, cell in enumerate(nb.cells):
        meta = _meta(cell)
        where = f"{path.name} cell {i}"
        if re.fullmatch(r"(\s*# q\d+\.(hint|solution)\(\)\s*)+", cell.source):
            # nbgrader warns about cells that are neither graded, solution nor locked
            assert not meta, f"{where}: a help cell carries nbgrader metadata"
            continue
        assert meta, f"{where}: no metadata.nbgrader"
        assert meta.get("schema_version") == 3, f"{where}: schema_version must be 3"
        for key in ("grade_id", "locked", "solution", "grade"):
            assert key in meta, f"{where}: nbgrader metadata lacks {key!r}"
        assert isinstance(meta["grade_id"], str) and re.fullmatch(
            r"[A-Za-z0-9_-]+", meta["grade_id"]
        ), where
        ids.append(meta["grade_id"])
        solution = _regions(cell.source, BEGIN, END)
        hidden = _regions(cell.source, HIDDEN_BEGIN, HIDDEN_END)
        if meta["grade"] and meta["solution"]:  # a written answer, graded by hand
            assert cell.cell_type == "markdown" and not meta["locked"], (
                f"{where}: a written answer is an unlocked Markdown cell"
            )
            assert re.fullmatch(r"q\d+_written", meta["grade_id"]), (
                f"{where}: a written answer's grade_id is qN_written"
            )
            assert (
                isinstance(meta.get("points"), (int, float)) and meta["points"] > 0
            ), f"{where}: written answer without positive points"
            assert cell.source.strip(), (
                f"{where}: a written answer needs a model answer"
            )
            assert not solution and not hidden, f"{where}: regions in a written answer"
            continue
        if meta["grade"]:
            assert (
                cell.cell_type == "code" and meta["locked"] and not meta["solution"]
            ), f"{where}: a graded test cell must be a locked code cell, not a solution"
            assert (
                isinstance(meta.get("points"), (int, float)) and meta["points"] > 0
            ), f"{where}: graded cell without positive points"
            assert re.search(r"\bq\d+\.check\(\)", cell.source), (
                f"{where}: graded cell calls no qN.check()"
            )
            assert not solution, f"{where}: solution region in a test cell"
        else:
            assert not hidden, f"{where}: hidden tests outside a graded cell"
        if meta["solution"]:
            assert cell.cell_type == "code" and not meta["locked"], (
                f"{where}: solution cells are unlocked code"
            )
            assert len(solution) >= 1, (
                f"{where}: solution cell without a BEGIN/END SOLUTION region"
            )
        else:
            assert not solution, (
                f"{where}: solution region in a cell not marked solution"
            )
    dupes = {g for g in ids if ids.count(g) > 1}
    assert not dupes, f"{path.name}: duplicate grade_ids {sorted(dupes)}"
    graded = [c for c in nb.cells if _meta(c).get("grade") and c.cell_type == "code"]
    assert 4 <= len(graded) <= 10, (
        f"{path.name}: {len(graded)} autograded questions (want 4–10)"
    )
    written = [
        c for c in nb.cells if _meta(c).get("grade") and c.cell_type == "markdown"
    ]
    assert written, f"{path.name}: no written answer (nbgrader's manually graded cell)"
    assert any(_meta(c).get("solution") for c in nb.cells)
    assert all(
        not c.get("outputs") and not c.get("execution_count")
        for c in nb.cells
        if c.cell_type == "code"
    ), f"{path.name}: committed with outputs"


def _execute(nb, path: Path):
    client = NotebookClient(
        nb,
        timeout=60,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return nb


def _errors(cell) -> list[dict]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_instructor_version_passes_every_check(path):
    nb = _execute(nbformat.read(path, as_version=4), path)
    failures = [
        (i, e["ename"], e["evalue"]) for i, c in enumerate(nb.cells) for e in _errors(c)
    ]
    assert not failures, f"{path.name}: cells raised {failures}"
    for cell in nb.cells:
        if _meta(cell).get("grade") and cell.cell_type == "code":
            text = "".join(
                o.get("text", "")
                for o in cell.outputs
                if o.get("output_type") == "stream"
            )
            assert "✓" in text, (
                f"{path.name} {_meta(cell)['grade_id']}: no ✓ verdict printed: {text!r}"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_stubbed_version_fails_every_check_as_not_implemented(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if _meta(cell).get("solution"):
            cell.source = stub_solutions(cell.source)
    nb = _execute(nb, path)
    for cell in nb.cells:
        if not _meta(cell).get("grade") or cell.cell_type != "code":
            continue
        gid = _meta(cell)["grade_id"]
        qnames = re.findall(r"\b(q\d+)\.check\(\)", cell.source)
        errors = _errors(cell)
        assert errors, f"{path.name} {gid}: passes although its solution was removed"
        ename, evalue = errors[0]["ename"], errors[0]["evalue"]
        assert ename == "NotImplementedError", f"{path.name} {gid}: {ename}: {evalue}"
        assert re.match(
            rf"({'|'.join(qnames)}): not implemented yet — replace the `raise "
            rf"NotImplementedError` with your code",
            evalue,
        ), f"{path.name} {gid}: {evalue!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_notebook_imports_its_chapter_questions(path):
    """The first code cell after the set-up cell imports every question the graded cells check."""
    nb = json.loads(path.read_text())
    code = [
        c
        for c in nb["cells"]
        if c["cell_type"] == "code" and c["metadata"].get("dlcourse") != "setup"
    ]
    first = "".join(code[0]["source"])
    assert _meta(code[0]).get("locked") and not _meta(code[0]).get("grade")
    checked = set(
        re.findall(r"\b(q\d+)\.check\(\)", "".join("".join(c["source"]) for c in code))
    )
    m = re.search(r"from dlcourse\.exercises\.(ch\d\d) import ([\w, ]+)", first)
    assert m, (
        f"{path.name}: first code cell does not import from dlcourse.exercises.chNN"
    )
    assert m.group(1) == f"ch{path.stem[:2]}", f"{path.name} imports {m.group(1)}"
    assert checked <= {s.strip() for s in m.group(2).split(",")}

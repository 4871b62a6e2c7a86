"""`dlcourse release`: student copies of nbgrader-format source notebooks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from dlcourse_instructor.grading.notebook import graded_cells, release_notebook, strip_solutions

ROOT = Path(__file__).resolve().parents[1]


def meta(gid, solution=False, grade=False, locked=False, points=None):
    m = {"schema_version": 3, "grade_id": gid, "locked": locked, "solution": solution, "grade": grade}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def source_notebook():
    answer = new_code_cell(
        "import numpy as np\n\nclass Model:\n    def f(self, x):\n        ### BEGIN SOLUTION\n"
        "        return 2 * x\n        ### END SOLUTION\n", metadata=meta("a1", solution=True))
    answer.outputs = [new_output("stream", name="stdout", text="secret output")]
    answer.execution_count = 3
    return new_notebook(cells=[
        new_markdown_cell("Intro", metadata=meta("intro", locked=True)),
        answer,
        new_code_cell("assert Model().f(1) == 2, 'f(1) should be 2'\n### BEGIN HIDDEN TESTS\n"
                      "assert Model().f(-5) == -10\n### END HIDDEN TESTS",
                      metadata=meta("t1", grade=True, locked=True, points=3)),
        new_markdown_cell("Explain:\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
                          metadata=meta("m1", solution=True, grade=True, points=1)),
        new_code_cell("# q1.hint()"),
    ])


def test_release_replaces_solutions_keeping_indentation():
    rel = release_notebook(source_notebook())
    code = rel.cells[1].source
    assert "BEGIN SOLUTION" not in code and "return 2 * x" not in code
    assert "        # YOUR CODE HERE\n        raise NotImplementedError()" in code
    assert code.startswith("import numpy as np\n\nclass Model:\n    def f(self, x):\n")
    compile(code, "released", "exec")  # still valid Python
    assert rel.cells[3].source == "Explain:\nYOUR ANSWER HERE"


def test_release_removes_hidden_tests_and_outputs_keeps_metadata():
    src = source_notebook()
    rel = release_notebook(src)
    assert rel.cells[2].source == "assert Model().f(1) == 2, 'f(1) should be 2'"
    assert all(c.get("outputs", []) == [] and c.get("execution_count") is None
               for c in rel.cells if c.cell_type == "code")
    assert [c.metadata for c in rel.cells] == [c.metadata for c in src.cells]
    assert src.cells[1].outputs  # the source itself is untouched
    assert [(q.grade_id, q.points, q.autograded) for q in graded_cells(src)] == [
        ("t1", 3.0, True), ("m1", 1.0, False)]


def test_strip_solutions_without_markers_is_identity():
    assert strip_solutions("x = 1\n") == "x = 1\n"


def test_released_notebook_runs_with_stubs_failing_clearly(tmp_path):
    rel = release_notebook(source_notebook())
    client = NotebookClient(rel, timeout=20, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in rel.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert [e.ename for e in errors] == ["NotImplementedError"]


def test_cli_release(tmp_path):
    src = tmp_path / "src" / "01_demo.ipynb"
    src.parent.mkdir()
    nbformat.write(source_notebook(), src)
    proc = subprocess.run([sys.executable, "-m", "dlcourse_instructor.cli", "release", str(src), "--out",
                           str(tmp_path / "release")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "release" / "01_demo.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "HIDDEN" not in text and "secret output" not in text
    assert "raise NotImplementedError()" in text


def test_committed_exercises_release_cleanly(tmp_path):
    from IPython.core.inputtransformer2 import TransformerManager  # %magics as IPython runs them

    for src in sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(src, as_version=4)
        rel = release_notebook(nb)
        for cell in rel.cells:
            assert "### BEGIN SOLUTION" not in cell.source and "HIDDEN TESTS" not in cell.source, src
            if cell.cell_type == "code":
                compile(TransformerManager().transform_cell(cell.source), str(src), "exec")
        assert graded_cells(nb), f"{src.name} has no graded cells"

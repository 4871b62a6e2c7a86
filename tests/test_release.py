"""`dlcourse release`: student copies of nbgrader-format source notebooks."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from dlcourse_instructor.grading.notebook import (
    graded_cells,
    read_notebook,
    strip_solutions,
)
from dlcourse_instructor.grading.student_copy import release_notebook
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]


def meta(gid, solution=False, grade=False, locked=False, points=None):
    m = {
        "schema_version": 3,
        "grade_id": gid,
        "locked": locked,
        "solution": solution,
        "grade": grade,
    }
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def source_notebook():
    answer = new_code_cell(
        "import numpy as np\n\nclass Model:\n    def f(self, x):\n        ### BEGIN SOLUTION\n"
        "        return 2 * x\n        ### END SOLUTION\n",
        metadata=meta("a1", solution=True),
    )
    answer.outputs = [new_output("stream", name="stdout", text="secret output")]
    answer.execution_count = 3
    return new_notebook(
        cells=[
            new_markdown_cell("Intro", metadata=meta("intro", locked=True)),
            answer,
            new_code_cell(
                "assert Model().f(1) == 2, 'f(1) should be 2'\n### BEGIN HIDDEN TESTS\n"
                "assert Model().f(-5) == -10\n### END HIDDEN TESTS",
                metadata=meta("t1", grade=True, locked=True, points=3),
            ),
            new_markdown_cell(
                "Explain:\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
                metadata=meta("m1", solution=True, grade=True, points=1),
            ),
            new_code_cell("# q1.hint()"),
        ]
    )


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
    for graded in (False, True):
        rel = release_notebook(src, graded=graded)
        assert rel.cells[2].source == "assert Model().f(1) == 2, 'f(1) should be 2'"
        assert all(
            c.get("outputs", []) == [] and c.get("execution_count") is None
            for c in rel.cells
            if c.cell_type == "code"
        )
        # the source's metadata is kept; release adds nbgrader's lock flags and checksums
        # (and, to a practice copy, a model-answer cell after the written answer m1)
        added = [c for c in rel.cells if c.metadata.get("dlcourse") == "model answer"]
        assert len(added) == (0 if graded else 1)
        kept = [c for c in rel.cells if c.metadata.get("dlcourse") != "model answer"]
        assert len(kept) == len(src.cells)
        for before, after in zip(src.cells, kept):
            after = copy.deepcopy(after.metadata)
            after.pop("editable", None), after.pop("deletable", None)
            after.get("nbgrader", {}).pop("checksum", None)
            after.get("nbgrader", {}).pop("cell_type", None)
            assert after == before.metadata
        assert rel.metadata.dlcourse.release == ("graded" if graded else "practice")
    assert src.cells[1].outputs  # the source itself is untouched
    assert [(q.grade_id, q.points, q.autograded) for q in graded_cells(src)] == [
        ("t1", 3.0, True),
        ("m1", 1.0, False),
    ]


def test_strip_solutions_without_markers_is_identity():
    assert strip_solutions("x = 1\n") == "x = 1\n"


def test_release_locks_cells_as_nbgrader_does():
    rel = release_notebook(source_notebook(), graded=True)
    flags = [
        (c.metadata.get("editable"), c.metadata.get("deletable")) for c in rel.cells
    ]
    # locked markdown, solution, test, manually graded answer, the student's own cell
    assert flags == [
        (False, False),
        (None, False),
        (False, False),
        (None, False),
        (None, None),
    ]
    assert [
        c.metadata.get("nbgrader", {}).get("checksum") is not None for c in rel.cells
    ] == [True, True, True, True, False]


def test_release_without_markers_or_outside_solution_cells():
    nb = source_notebook()
    nb.cells[
        1
    ].source = "def f(x):\n    return 2 * x"  # a solution cell without markers
    for graded in (False, True):
        assert release_notebook(nb, graded=graded).cells[1].source == (
            "# YOUR CODE HERE\nraise NotImplementedError()"
        )
    nb.cells[
        4
    ].source = (
        "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION"  # not a solution cell
    )
    with pytest.raises(ValueError, match="not a solution cell"):
        release_notebook(nb, graded=True)


def test_released_notebook_runs_with_stubs_failing_clearly(tmp_path):
    rel = release_notebook(source_notebook())
    client = NotebookClient(
        rel,
        timeout=20,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    errors = [
        o
        for c in rel.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert [e.ename for e in errors] == ["NotImplementedError"]


def test_cli_release(tmp_path):
    src = tmp_path / "src" / "01_demo.ipynb"
    src.parent.mkdir()
    nbformat.write(source_notebook(), src)
    for flags, mode in [
        ([], "practice"),
        (["--practice"], "practice"),
        (["--graded"], "graded"),
    ]:
        out = tmp_path / f"release{len(flags)}{mode}"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "dlcourse_instructor.cli",
                "release",
                str(src),
                "--out",
                str(out),
                *flags,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert f"({mode} copy)" in proc.stdout
        text = (out / "01_demo.ipynb").read_text()
        assert (
            "BEGIN SOLUTION" not in text
            and "HIDDEN" not in text
            and "secret output" not in text
        )
        assert "raise NotImplementedError()" in text
        assert read_notebook(out / "01_demo.ipynb").metadata.dlcourse.release == mode


def test_committed_exercises_release_cleanly(tmp_path):
    from IPython.core.inputtransformer2 import (
        TransformerManager,  # %magics as IPython runs them
    )

    for src in sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(src, as_version=4)
        for graded in (False, True):
            rel = release_notebook(nb, graded=graded)
            for cell in rel.cells:
                assert "### BEGIN SOLUTION" not in cell.source, src
                assert "HIDDEN TESTS" not in cell.source, src
                if cell.cell_type == "code":
                    compile(
                        TransformerManager().transform_cell(cell.source),
                        str(src),
                        "exec",
                    )
            # practice copies: exactly one cell registers the solutions; graded copies: none
            solutions = [
                c for c in rel.cells if c.metadata.get("dlcourse") == "solutions"
            ]
            assert len(solutions) == (0 if graded else 1), src
        assert graded_cells(nb), f"{src.name} has no graded cells"

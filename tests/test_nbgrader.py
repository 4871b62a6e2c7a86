"""nbgrader interoperability: released copies carry what nbgrader's ``generate_assignment``
writes (lock flags, checksums), and the real nbgrader (``generate_assignment`` then
``autograde``) gives the same points per question as ``dlcourse grade`` — except where
nbgrader's stderr rule bites: nbgrader gives zero to a test cell that writes anything to
stderr, ``dlcourse grade`` judges the question itself and ignores stderr. Both leave written
answers to the instructor (01_neuron gets one more here, :mod:`written`): nbgrader scores an
untouched one 0 and flags the others for manual grading; ``dlcourse grade`` says "not
answered" and "needs manual grading", 0 points each."""

from __future__ import annotations

import copy
import csv
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

nbgrader = pytest.importorskip("nbgrader")  # requirements/test.txt pins it

from dlcourse_instructor import grading
from dlcourse_instructor.grading.manual import is_written
from dlcourse_instructor.grading.notebook import (
    grade_id,
    graded_cells,
    read_notebook,
    solution_code,
)
from dlcourse_instructor.grading.student_copy import checksum, release_notebook
from nbgrader import utils as nbgrader_utils
from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import SaveCells
from written import GRADE_ID, with_written_answer

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))
HELP = re.compile(r"^\s*#?\s*q\d+\.(hint|solution)\(\)", re.MULTILINE)
ADDED = {
    "solutions",
    "model answer",
}  # metadata.dlcourse of a practice copy's own cells


def source_nb(source):
    """A source notebook; ``fixture``: 01_neuron with one more written answer."""
    if source == "fixture":
        return with_written_answer(
            read_notebook(ROOT / "exercises" / "01_neuron.ipynb")
        )
    return read_notebook(source)


def nbgrader_release(source_nb):
    """What ``nbgrader generate_assignment`` makes of a source: its own preprocessors, in its
    own order, minus ``SaveCells`` (the only one that needs the course database)."""
    nb, resources = copy.deepcopy(source_nb), {}
    for preprocessor in GenerateAssignment.class_traits()["preprocessors"].default():
        if preprocessor is not SaveCells:
            nb, resources = preprocessor().preprocess(nb, resources)
    return nb


def _cells(nb):
    return [
        (c.cell_type, c.source, c.metadata, c.get("outputs"), c.get("execution_count"))
        for c in nb.cells
    ]


@pytest.mark.parametrize(
    "source", [*SOURCES, "fixture"], ids=lambda p: getattr(p, "stem", p)
)
def test_graded_copy_is_what_nbgrader_generate_assignment_makes(source):
    src = source_nb(source)
    ours, theirs = release_notebook(src, graded=True), nbgrader_release(src)
    assert _cells(ours) == _cells(theirs)  # sources, lock flags, checksums, outputs
    assert ours.metadata.dlcourse.release == "graded"
    # a practice copy is the same plus cells without nbgrader metadata: the solutions, and
    # a model answer after each written answer
    practice = release_notebook(src)
    extra = [c for c in practice.cells if c.metadata.get("dlcourse") in ADDED]
    written = [c for c in src.cells if c.cell_type == "markdown" and is_written(c)]
    assert [c.metadata.dlcourse for c in extra].count("solutions") == 1
    assert len(extra) == 1 + len(written) and not any(
        "nbgrader" in c.metadata for c in extra
    )
    assert written or source != "fixture"
    rest = [c for c in _cells(practice) if c[2].get("dlcourse") not in ADDED]
    assert rest == _cells(theirs)


def test_checksum_is_nbgraders_compute_checksum():
    from nbformat.v4 import new_code_cell, new_markdown_cell

    def cell(make, source, **meta):
        return make(source, metadata={"nbgrader": {"schema_version": 3, **meta}})

    cells = [
        cell(new_code_cell, "x = 1", grade_id="a", solution=True, grade=False),
        cell(new_code_cell, "q1.check()", grade_id="t", grade=True, points=2),
        cell(new_code_cell, "q1.check()", grade_id="t", grade=True, points=1.5),
        cell(
            new_markdown_cell, "Why?", grade_id="m", grade=True, solution=True, points=1
        ),
        cell(new_markdown_cell, "Intro — ünïcode", grade_id="i", locked=True),
        cell(new_code_cell, "import numpy", grade_id="s", locked=False),
    ]
    for c in cells:
        assert checksum(c) == nbgrader_utils.compute_checksum(c), c.metadata
    assert len({checksum(c) for c in cells}) == len(cells)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_lock_flags_help_cells_and_setup_cell(source):
    src = read_notebook(source)
    for graded in (False, True):
        for cell in release_notebook(src, graded=graded).cells:
            meta = cell.metadata.get("nbgrader", {})
            if HELP.search(cell.source) and ".check()" not in cell.source:
                # qN.hint() / qN.solution() cells are the student's: nbgrader ignores them
                assert not meta and "editable" not in cell.metadata, cell.source
            if cell.metadata.get("dlcourse") == "setup":
                assert meta.get("locked") and not meta.get("solution")
            # a test cell and a locked cell are frozen; a written answer (grade and
            # solution) is the student's to write
            if (meta.get("grade") or meta.get("locked")) and not meta.get("solution"):
                assert cell.metadata["editable"] is False, meta
                assert cell.metadata["deletable"] is False, meta
            if meta.get("solution"):
                assert cell.metadata["deletable"] is False, meta
                assert cell.metadata.get("editable", True) is True, meta
            if meta.get("grade_id"):
                assert meta["checksum"] == nbgrader_utils.compute_checksum(cell)
    # the sources themselves: no nbgrader metadata on the help cells either
    for cell in src.cells:
        if HELP.search(cell.source) and ".check()" not in cell.source:
            assert "nbgrader" not in cell.metadata, cell.source


# ----------------------------------------------------------------- the real nbgrader
ASSIGNMENT = "ps1"
NOTEBOOKS = ["01_neuron", "02_activations"]

# One answer right, the others wrong in different ways, one left as the stub.
PARTLY = {
    "01_neuron": {
        # passes the visible checks, fails a hidden one (values just above 0 must fire)
        "q1_answer": "def neuron_output(x, w, b):\n    z = x @ w + b\n"
        "    return np.where(z > 0.4, 1.0, -1.0)",
        "q2_answer": "x1_and_not_x2 = (np.array([2.0, -1.0]), -1.0)",  # right
        # the update with the wrong sign: fails a visible check
        "q3_answer": "def perceptron_update(w, b, x, y, lr=1.0):\n"
        "    delta = (y > 0) - float(x @ w + b > 0)\n"
        "    return w - lr * delta * x, b - lr * delta",
        GRADE_ID: "A neuron draws one line, and XOR needs two.",  # a written answer
    },
    "02_activations": {
        "q1_answer": "def sigmoid_derivative(z):\n"  # right
        "    e = np.exp(-np.abs(z))\n"
        "    return e / (1 + e) ** 2",
        # forgets the 2 in 2h
        "q2_answer": "def central_difference(f, z, h=1e-5):\n"
        "    return (f(z + h) - f(z - h)) / h",
        "q3_answer": "layers_to_vanish = 5",  # wrong value
    },
}
RIGHT_IN_PARTLY = {("01_neuron", "q2_test"), ("02_activations", "q1_test")}
# Right answers that also write to stderr (a leftover debug print).
NOISY = {
    "01_neuron": {
        "q1_answer": "import sys\n\ndef neuron_output(x, w, b):\n"
        "    print('debug: neuron_output called', file=sys.stderr)\n"
        "    return np.where(x @ w + b > 0, 1.0, -1.0)",
    },
    "02_activations": {
        "q4_answer": "import sys\n\ndef collapse_linear(layers):\n"
        "    print('debug: collapse_linear called', file=sys.stderr)\n"
        "    W, b = layers[0]\n"
        "    for W2, b2 in layers[1:]:\n"
        "        W, b = W2 @ W, W2 @ b + b2\n"
        "    return W, b",
    },
}


def sources() -> dict:
    """The assignment's sources: 01_neuron with one more written answer, 02_activations."""
    return {
        "01_neuron": source_nb("fixture"),
        "02_activations": source_nb(ROOT / "exercises" / "02_activations.ipynb"),
    }


def expected_points() -> dict:
    """What both graders must give, per student, notebook and question: the autograded
    questions' points where right, 0 for every written answer (graded by hand)."""
    full = {
        name: {q.grade_id: q.points if q.autograded else 0.0 for q in graded_cells(nb)}
        for name, nb in sources().items()
    }
    return {
        "solved": full,
        "untouched": {nb: dict.fromkeys(p, 0.0) for nb, p in full.items()},
        "partly": {
            nb: {q: p if (nb, q) in RIGHT_IN_PARTLY else 0.0 for q, p in per.items()}
            for nb, per in full.items()
        },
        "noisy": full,  # dlcourse grade: stderr does not matter
    }


# nbgrader's stderr rule: the noisy answers' test cells get zero there.
STDERR_ZEROED = {
    ("noisy", "01_neuron", "q1_test"),
    ("noisy", "02_activations", "q4_test"),
}


def _with_answers(nb, answers):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    return nb


def submissions(name):
    """Each student's notebook for source ``name``, made from our graded copy."""
    src = sources()[name]
    copy_ = release_notebook(src, graded=True)
    solved = {
        grade_id(c): solution_code(c.source)
        for c in src.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    return {
        "solved": _with_answers(copy_, solved),
        "untouched": copy_,
        "partly": _with_answers(copy_, PARTLY[name]),
        "noisy": _with_answers(copy_, {**solved, **NOISY[name]}),
    }


def _unsandboxed():
    """In the sandbox where bubblewrap works here, else without it: this test compares
    verdicts (the sandbox has its own tests)."""
    from dlcourse_instructor.grading import sandbox

    return {} if sandbox.available() else {"sandboxed": False}


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # nbgrader's sessions
def test_nbgrader_autograde_and_dlcourse_grade_agree(tmp_path, monkeypatch):
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    # nbgrader runs the `alembic` command of its own environment to set up its database
    monkeypatch.setenv(
        "PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    )
    course = tmp_path / "course"
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    for name, nb in sources().items():
        nbformat.write(nb, course / "source" / ASSIGNMENT / f"{name}.ipynb")
    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.course_id = "dlcourse"
    config.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
    config.Execute.timeout = 60
    api = NbGraderAPI(CourseDirectory(config=config), config=config)

    result = api.generate_assignment(ASSIGNMENT)
    assert result["success"], result["log"] + str(result.get("error"))
    for name in NOTEBOOKS:  # nbgrader's release is ours, cell for cell
        theirs = read_notebook(course / "release" / ASSIGNMENT / f"{name}.ipynb")
        ours = release_notebook(sources()[name], True)
        assert _cells(ours) == _cells(theirs), name

    for name in NOTEBOOKS:  # nbgrader's layout: submitted/<student>/<assignment>/<nb>
        for student, nb in submissions(name).items():
            folder = course / "submitted" / student / ASSIGNMENT
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, folder / f"{name}.ipynb")

    wanted = expected_points()
    nbgrader_points, flagged = {}, set()
    for student in wanted:
        result = api.autograde(ASSIGNMENT, student)
        assert result["success"], result["log"] + str(result.get("error"))
    with Gradebook(config.CourseDirectory.db_url, "dlcourse") as gb:
        for student in wanted:
            for name in NOTEBOOKS:
                sub = gb.find_submission_notebook(name, ASSIGNMENT, student)
                for g in sub.grades:
                    nbgrader_points[student, name, g.name] = float(g.score)
                    if g.needs_manual_grade:
                        flagged.add((student, name, g.name))

    # dlcourse grade on the same folder: the assignment's two sources, nbgrader's layout
    out = tmp_path / "grades.csv"
    grading.grade(
        [course / "source" / ASSIGNMENT / f"{name}.ipynb" for name in NOTEBOOKS],
        [course / "submitted"],
        out,
        assignment=ASSIGNMENT,
        timeout=60,
        summary=False,
        **_unsandboxed(),
    )
    dlcourse_points, statuses = {}, {}
    with open(out, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["student"], row["notebook"], row["question"])
            dlcourse_points[key] = float(row["points"])
            statuses[key] = f"{row['status']}: {row['message']}"

    expected = {
        (student, name, q): float(p)
        for student, per_nb in wanted.items()
        for name, per_q in per_nb.items()
        for q, p in per_q.items()
    }
    wrong = {
        k: statuses.get(k) for k in expected if dlcourse_points.get(k) != expected[k]
    }
    assert dlcourse_points == expected, wrong
    assert nbgrader_points == {
        k: 0.0 if k in STDERR_ZEROED else p for k, p in expected.items()
    }
    # the two graders agree wherever no test cell wrote to stderr
    agree = {k for k in expected if k not in STDERR_ZEROED}
    assert {k: nbgrader_points[k] for k in agree} == {
        k: dlcourse_points[k] for k in agree
    }
    # written answers: nbgrader flags the written ones for the instructor and scores the
    # untouched one 0; dlcourse grade says the same in its statuses
    # (the solved and noisy students hand in the model answers; partly answers the fixture's)
    written = {k for k in expected if k[2].endswith("_written")}
    answered = {
        k
        for k in written
        if k[0] in ("solved", "noisy") or (k[0] == "partly" and k[2] == GRADE_ID)
    }
    assert len(written) == 4 * 3 and flagged == answered
    assert {k: statuses[k].split(":")[0] for k in written} == {
        k: "needs manual grading" if k in answered else "not answered" for k in written
    }

"""Autograding (dlcourse_instructor.grading, `dlcourse grade`): crafted submissions, hostile ones included.

The tests build their own small source notebook in nbgrader's format (two inline-checked
questions, one checked by a tiny checker package on PYTHONPATH, and one checked by
``dlcourse.exercises.ch01`` when that exists), craft one submission per case, grade them all in
one batch (2 jobs, 2-s cell timeout, 600-MiB memory limit) and assert the gradebook rows.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from dlcourse_instructor.grading import grade, read_gradebook, release_notebook
from dlcourse_instructor.grading.execute import student_name
from dlcourse_instructor.grading.gradebook import update_gradebook, write_gradebook
from dlcourse_instructor.grading.notebook import assemble, grade_id, rewrite_fresh_imports

ROOT = Path(__file__).resolve().parents[1]

try:
    from dlcourse.exercises import ch01 as _ch01

    HAVE_EXERCISES = hasattr(_ch01, "q1")
except Exception:  # the checker modules are optional for these tests
    HAVE_EXERCISES = False

TIMEOUT = 2.0
MEMORY_MB = 600
FRESH = ("dlcourse.exercises", "tinycheck")


def meta(gid, solution=False, grade=False, locked=False, points=None):
    m = {"schema_version": 3, "grade_id": gid, "locked": locked, "solution": solution, "grade": grade}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def source_notebook() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("# Grading test", metadata=meta("intro", locked=True)),
        new_code_cell("import numpy as np", metadata=meta("imports", locked=True)),
        new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                      metadata=meta("q1_answer", solution=True)),
        new_code_cell("assert double(2) == 4, 'double(2) should be 4'\n"
                      "### BEGIN HIDDEN TESTS\n"
                      "assert double(-3) == -6, 'double fails on negative numbers'\n"
                      "### END HIDDEN TESTS", metadata=meta("q1", grade=True, locked=True, points=2)),
        new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION",
                      metadata=meta("q2_answer", solution=True)),
        new_code_cell("assert square(3) == 9, 'square(3) should be 9'\n"
                      "### BEGIN HIDDEN TESTS\n"
                      "assert float(square(np.float64(-2.0))) == 4.0, 'square fails on negative numbers'\n"
                      "### END HIDDEN TESTS", metadata=meta("q2", grade=True, locked=True, points=1)),
        new_code_cell("def triple(x):\n    ### BEGIN SOLUTION\n    return 3 * x\n    ### END SOLUTION",
                      metadata=meta("q3_answer", solution=True)),
        new_code_cell("from tinycheck import check_triple\ncheck_triple(triple)",
                      metadata=meta("q3", grade=True, locked=True, points=1)),
    ]
    if HAVE_EXERCISES:
        cells += [
            new_code_cell("### BEGIN SOLUTION\n" + _ch01.q1.solution_source() + "\n### END SOLUTION",
                          metadata=meta("q4_answer", solution=True)),
            new_code_cell("from dlcourse.exercises.ch01 import q1 as ex\nex.check()\n"
                          "### BEGIN HIDDEN TESTS\nex.check_hidden()\n### END HIDDEN TESTS",
                          metadata=meta("q4", grade=True, locked=True, points=1)),
        ]
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                               "language": "python"}})


def _cell(nb, gid):
    return next(c for c in nb.cells if grade_id(c) == gid)


CORRECT = {"q1_answer": "def double(x):\n    return x + x",
           "q2_answer": "def square(x):\n    return x ** 2",
           "q3_answer": "def triple(x):\n    return x * 3"}


def submission(answers: dict[str, str] | None = None, edit=None, with_defaults=True):
    """The released notebook with the given answer cells (correct ones by default)."""
    nb = release_notebook(source_notebook())
    filled = dict(CORRECT) if with_defaults else {}
    if HAVE_EXERCISES and with_defaults:
        filled["q4_answer"] = _ch01.q1.solution_source()
    filled.update(answers or {})
    for gid, code in filled.items():
        _cell(nb, gid).source = code
    if edit is not None:
        edit(nb)
    return nb


def _delete_test(nb):
    nb.cells = [c for c in nb.cells if grade_id(c) != "q1"]


def _edit_test(nb):
    c = _cell(nb, "q2")
    c.source = "pass  # the test is gone"
    c.metadata.nbgrader["points"] = 100


MONKEY = ("import tinycheck\ntinycheck.check_triple = lambda f: None\n"
          "def triple(x):\n    return 0")
if HAVE_EXERCISES:
    MONKEY_Q4 = ("from dlcourse.exercises.ch01 import q1 as ex\n"
                 "from dlcourse.exercises.question import Question\n"
                 "ex.check = ex.check_hidden = lambda *a, **k: None\n"
                 "Question.check = Question.check_hidden = lambda *a, **k: None\n"
                 "neuron_output = None")

CASES = {
    "correct": submission(),
    "wrong": submission({"q1_answer": "def double(x):\n    return x + 1"}),
    "partial": submission({"q1_answer": "def double(x):\n    return abs(2 * x)"}, with_defaults=False),
    "untouched": release_notebook(source_notebook()),
    "loop": submission({"q1_answer": "def double(x):\n    while True:\n        pass"}),
    "crash": submission({"q2_answer": "import os\ndef square(x):\n    os._exit(1)"}),
    "memhog": submission({"q2_answer": "def square(x):\n    hog = bytearray(3 * 1024 ** 3)\n    return x * x"}),
    "deleted": submission(edit=_delete_test),
    "edited": submission({"q2_answer": "def square(x):\n    return 0"}, edit=_edit_test),
    "warnings": submission({"q1_answer": "import sys, warnings\n"
                                         "def double(x):\n"
                                         "    warnings.warn('deprecated, but fine')\n"
                                         "    print('noise on stderr', file=sys.stderr)\n"
                                         "    return 2 * x\n"
                                         "print('more noise', file=sys.stderr)"}),
    "nosy": submission({"q3_answer": "import os\nassert not os.listdir('.'), os.listdir('.')\n"
                                     "def triple(x):\n    return int(open('answers.txt').read())"}),
    "monkey": submission({"q3_answer": MONKEY} | ({"q4_answer": MONKEY_Q4} if HAVE_EXERCISES else {})),
    "sysexit": submission({"q1_answer": "import sys\ndef double(x):\n    sys.exit(0)"}),
}
QUESTIONS = ["q1", "q2", "q3"] + (["q4"] if HAVE_EXERCISES else [])
MAX = {"q1": 2.0, "q2": 1.0, "q3": 1.0, "q4": 1.0}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grading")
    checker = tmp / "checkers" / "tinycheck"
    checker.mkdir(parents=True)
    (checker / "__init__.py").write_text(
        "def check_triple(f):\n    assert f(2) == 6, f'triple(2) should be 6, got {f(2)!r}'\n")
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(checker.parent) + (os.pathsep + old if old else "")
    try:
        src = tmp / "assignment.ipynb"
        nbformat.write(source_notebook(), src)
        subs = tmp / "submissions"
        subs.mkdir()
        paths = []
        for name, nb in CASES.items():
            nbformat.write(nb, subs / f"{name}.ipynb")
            paths.append(subs / f"{name}.ipynb")
        (subs / "answers.txt").write_text("6")  # next to the submissions: must not be readable
        (subs / "assignment.ipynb").write_text("")  # nor must the source's name matter
        (subs / "badjson.ipynb").write_text('{"cells": [ not json')
        (subs / "notanotebook.txt").write_text("hello, I forgot to attach my notebook")
        (subs / "jsonobject.ipynb").write_text(json.dumps({"hello": 1}))
        (subs / "carol").mkdir()
        nbformat.write(submission(), subs / "carol" / "assignment.ipynb")  # named like the source
        paths += [subs / "badjson.ipynb", subs / "notanotebook.txt", subs / "jsonobject.ipynb",
                  subs / "carol" / "assignment.ipynb"]
        out = tmp / "grades.csv"
        rows = grade(src, paths, out, timeout=TIMEOUT, jobs=2, memory_mb=MEMORY_MB,
                     feedback=tmp / "feedback", fresh_packages=FRESH)
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old
    return {"rows": rows, "out": out, "tmp": tmp, "src": src, "subs": subs}


def table(graded, student):
    rows = [r for r in graded["rows"] if r["student"] == student]
    assert [r["question"] for r in rows] == QUESTIONS, rows
    for r in rows:
        assert r["max_points"] == MAX[r["question"]]
        assert r["status"], r  # never a silent 0
    return {r["question"]: (r["points"], r["status"], r["message"]) for r in rows}


def test_correct_gets_full_marks(graded):
    t = table(graded, "correct")
    assert all(t[q][:2] == (MAX[q], "passed") for q in QUESTIONS), t
    assert table(graded, "carol") == t  # file named like the source: student = folder name


def test_wrong_loses_only_that_question(graded):
    t = table(graded, "wrong")
    assert t["q1"][:2] == (0.0, "failed") and "double(2) should be 4" in t["q1"][2]
    assert all(t[q][:2] == (MAX[q], "passed") for q in QUESTIONS[1:])


def test_partial_fails_hidden_test_and_stubs(graded):
    t = table(graded, "partial")
    assert t["q1"][:2] == (0.0, "failed")
    assert "double fails on negative numbers" in t["q1"][2]  # the hidden test ran
    assert t["q2"][:2] == (0.0, "not implemented") and t["q3"][:2] == (0.0, "not implemented")
    u = table(graded, "untouched")
    assert all(v[:2] == (0.0, "not implemented") for v in u.values()), u


def test_infinite_loop_times_out_and_grading_goes_on(graded):
    t = table(graded, "loop")
    assert t["q1"][:2] == (0.0, "timeout")
    assert all(t[q][:2] == (MAX[q], "passed") for q in QUESTIONS[1:])


def test_kernel_death_keeps_earlier_points(graded):
    t = table(graded, "crash")
    assert t["q1"][:2] == (2.0, "passed")
    assert all(t[q][:2] == (0.0, "kernel died") for q in QUESTIONS[1:]), t


def test_memory_hog_hits_the_limit(graded):
    t = table(graded, "memhog")
    assert t["q1"][:2] == (2.0, "passed")
    assert t["q2"][:2] == (0.0, "memory limit"), t
    assert all(t[q][:2] == (MAX[q], "passed") for q in QUESTIONS[2:])


def test_deleted_and_edited_test_cells_are_restored(graded):
    t = table(graded, "deleted")
    assert all(t[q][:2] == (MAX[q], "passed") for q in QUESTIONS), t
    e = table(graded, "edited")  # the edit (and its 100 points) is ignored: square is wrong
    assert e["q2"][:2] == (0.0, "failed") and "square(3) should be 9" in e["q2"][2]


def test_stderr_warnings_with_correct_code_get_full_marks(graded):
    t = table(graded, "warnings")
    assert all(t[q][:2] == (MAX[q], "passed") for q in QUESTIONS), t


def test_submission_runs_in_an_empty_directory(graded):
    t = table(graded, "nosy")
    assert t["q3"][:2] == (0.0, "failed"), t
    assert "FileNotFoundError" in t["q3"][2] or "NameError" in t["q3"][2]


def test_monkey_patching_the_checker_gets_no_points(graded):
    t = table(graded, "monkey")
    assert t["q3"][:2] == (0.0, "failed") and "triple(2) should be 6" in t["q3"][2], t
    if HAVE_EXERCISES:
        assert t["q4"][:2] == (0.0, "failed"), t


def test_sys_exit_in_a_test_cell_gets_no_points(graded):
    t = table(graded, "sysexit")
    assert t["q1"][:2] == (0.0, "system exit"), t
    assert all(t[q][:2] == (MAX[q], "passed") for q in QUESTIONS[1:])


def test_unreadable_files_are_not_a_silent_zero(graded):
    for name in ["badjson", "notanotebook", "jsonobject"]:
        t = table(graded, name)
        assert all(v[:2] == (0.0, "unreadable") for v in t.values()), (name, t)


def test_gradebook_csv_and_feedback(graded):
    with open(graded["out"], newline="") as f:
        reader = csv.reader(f)
        assert next(reader) == ["student", "question", "points", "max_points", "status", "message"]
        body = list(reader)
    assert len(body) == len(CASES) * len(QUESTIONS) + 4 * len(QUESTIONS)
    assert not [p for p in graded["out"].parent.iterdir() if p.name.endswith(".tmp")]
    fb = (graded["tmp"] / "feedback" / "partial.md").read_text()
    assert "Score: 0 / " in fb and "double fails on negative numbers" in fb
    for path in (graded["tmp"] / "feedback").iterdir():
        text = path.read_text()
        assert "double(-3)" not in text and "BEGIN HIDDEN" not in text and "np.float64(-2.0)" not in text


def test_regrade_replaces_rows_and_resume_skips(graded, tmp_path):
    out = tmp_path / "grades.csv"
    write_gradebook(out, [r for r in graded["rows"] if r["student"] in ("wrong", "correct")])
    update_gradebook(out, "wrong", [dict(student="wrong", question="q1", points=2, max_points=2,
                                         status="passed", message="")])
    rows = read_gradebook(out)
    assert [r for r in rows if r["student"] == "wrong"] == [
        dict(student="wrong", question="q1", points=2.0, max_points=2.0, status="passed", message="")]
    assert len([r for r in rows if r["student"] == "correct"]) == len(QUESTIONS)
    # resume: both students are in the gradebook, so nothing is executed (a bogus source path
    # for the submissions would otherwise produce "unreadable" rows)
    seen = []
    grade(graded["src"], [tmp_path / "wrong.ipynb", tmp_path / "correct.ipynb"], out, resume=True,
          progress=lambda s, r: seen.append(s))
    assert seen == [] and read_gradebook(out) == rows
    # regrade without --resume: "wrong" is unreadable now (the file does not exist), old rows gone
    grade(graded["src"], [tmp_path / "wrong.ipynb"], out)
    new = [r for r in read_gradebook(out) if r["student"] == "wrong"]
    assert [r["status"] for r in new] == ["unreadable"] * len(QUESTIONS)


def test_student_names():
    assert student_name("subs/alice.ipynb", "ex/01_neuron.ipynb") == "alice"
    assert student_name("subs/bob/01_neuron.ipynb", "ex/01_neuron.ipynb") == "bob"


def test_assemble_restores_source_cells_and_keeps_student_cells():
    src = source_notebook()
    sub = submission(edit=_delete_test)
    sub.cells.insert(3, new_code_cell("helper = 1"))
    sub.cells.append(new_code_cell("extra", metadata=meta("q2")))  # duplicate grade_id: demoted
    nb = assemble(src, sub)
    ids = [grade_id(c) for c in nb.cells]
    assert ids.count("q1") == 1 and ids.count("q2") == 1
    assert ids.index("q1_answer") < ids.index("q1") < ids.index("q2_answer")
    assert "BEGIN HIDDEN TESTS" in _cell(nb, "q1").source
    assert _cell(nb, "q1_answer").source == CORRECT["q1_answer"]
    assert any(c.source == "helper = 1" for c in nb.cells)


def test_fresh_import_rewrite():
    code = "from dlcourse.exercises.ch01 import q1\nq1.check()\nimport numpy"
    out = rewrite_fresh_imports(code)
    lines = out.splitlines()
    assert len(lines) == 4 and "sys.modules.pop" in lines[0] and lines[1] == code.splitlines()[0]
    assert rewrite_fresh_imports("import numpy as np") == "import numpy as np"


def test_cli_grade_end_to_end(tmp_path):
    src = tmp_path / "src.ipynb"
    nb = source_notebook()
    nb.cells = nb.cells[:6]  # q1, q2: no checker packages needed
    nbformat.write(nb, src)
    sub = release_notebook(nb)
    for gid in ("q1_answer", "q2_answer"):
        _cell(sub, gid).source = CORRECT[gid]
    _cell(sub, "q2_answer").source = "def square(x):\n    return 1"
    (tmp_path / "subs").mkdir()
    nbformat.write(sub, tmp_path / "subs" / "dana.ipynb")
    out = tmp_path / "grades.csv"
    proc = subprocess.run([sys.executable, "-m", "dlcourse_instructor.cli", "grade", str(src),
                           str(tmp_path / "subs"), "--out", str(out), "--timeout", "5",
                           "--feedback", str(tmp_path / "fb"), "--feedback-format", "html"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "dana: 2/3" in proc.stdout
    rows = read_gradebook(out)
    assert [(r["question"], r["points"], r["status"]) for r in rows] == [
        ("q1", 2.0, "passed"), ("q2", 0.0, "failed")]
    assert "square(3) should be 9" in (tmp_path / "fb" / "dana.html").read_text()


COMMITTED = sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.skipif(not COMMITTED, reason="no committed exercise notebooks yet")
def test_committed_notebook_source_grades_full_and_release_grades_zero(tmp_path):
    src = COMMITTED[0]
    nbformat.write(nbformat.read(src, as_version=4), tmp_path / "solved.ipynb")
    nbformat.write(release_notebook(nbformat.read(src, as_version=4)), tmp_path / "blank.ipynb")
    rows = grade(src, [tmp_path / "solved.ipynb", tmp_path / "blank.ipynb"], tmp_path / "g.csv",
                 timeout=30, jobs=2)
    solved = [r for r in rows if r["student"] == "solved"]
    blank = [r for r in rows if r["student"] == "blank"]
    assert solved and all(r["status"] == "passed" and r["points"] == r["max_points"]
                          for r in solved if r["status"] != "needs manual grading"), solved
    assert all(r["points"] == 0 and r["status"] != "passed" for r in blank), blank

"""Grading a class (dlcourse_instructor.grading.grade, `dlcourse grade`): layouts, batches, summary.

One batch grades a small class handed in in nbgrader's layout,
``submitted/<student>/ps1/<notebook>.ipynb``, for an assignment of two notebooks (the
exercise notebook 01_neuron and a shorter copy of its first two questions, 01_short), with
``jobs=2``, while a thread samples the process table. Students: alice (all solved), bob (stubs,
01_short missing), carol (one wrong answer), dave (01_neuron is not a notebook), erin (the
worker grading her 01_neuron is killed as soon as its kernel's process exists) and frank (only
a misnamed file). Kernels run in bubblewrap's sandbox where it works here. The reaper of
:mod:`dlcourse_instructor.grading.batch` is tested on its own with plain processes; the layout
rules, bad input and the CLI without kernels.
"""

from __future__ import annotations

import copy
import csv
import itertools
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import nbformat
import psutil
import pytest
from dlcourse_instructor.cli import main as cli_main
from dlcourse_instructor.grading import (
    GradingInputError,
    grade,
    grade_submission,
    read_gradebook,
    sandbox,
)
from dlcourse_instructor.grading.batch import run_batch
from dlcourse_instructor.grading.layout import find_submissions
from dlcourse_instructor.grading.summary import class_totals, paths, summarize

ROOT = Path(__file__).resolve().parents[1]
NEURON = ROOT / "exercises" / "01_neuron.ipynb"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
# the statuses whose message says what was wrong with an answer (the summary's failures)
ANSWER_FAILURES = {
    "failed",
    "not implemented",
    "timed out",
    "memory limit",
    "kernel died",
    "output limit",
    "system exit",
    "sandbox denied",
}
JOBS = 2
# in bubblewrap's sandbox where it works here, else without (and the CLI told so)
SANDBOXED = sandbox.problem() is None
UNSANDBOXED = [] if SANDBOXED else ["--unsandboxed"]


def _connection_file(proc: psutil.Process) -> str | None:
    """A Jupyter kernel's connection file (``... -f <file>.json``), else None (the bubblewrap
    wrapper excluded). A process the kernel forks shares it until it execs: one kernel."""
    try:
        if proc.name() == "bwrap" or proc.status() == psutil.STATUS_ZOMBIE:
            return None
        args = proc.cmdline()
    except psutil.Error:
        return None
    return next(
        (b for a, b in itertools.pairwise(args) if a == "-f" and b.endswith(".json")),
        None,
    )


def _kernel(proc: psutil.Process) -> bool:
    return _connection_file(proc) is not None


class KernelWatcher(threading.Thread):
    """Samples this process's descendants: the kernels alive at once (distinct connection
    files), and every kernel process seen (one orphaned by a dead worker is no descendant any
    more, but is still counted)."""

    def __init__(self, every: float = 0.05):
        super().__init__(daemon=True)
        self.every, self.seen, self.most, self.worst = every, {}, 0, []
        self.halt = threading.Event()

    def alive(self) -> list[psutil.Process]:
        for p in psutil.Process().children(recursive=True):
            if p.pid not in self.seen and _kernel(p):
                self.seen[p.pid] = (p, _connection_file(p))
        return [p for p, _ in self.seen.values() if _running(p)]

    def run(self):
        while not self.halt.is_set():
            alive = self.alive()
            kernels = {self.seen[p.pid][1] for p in alive}
            if len(kernels) > self.most:
                self.most, self.worst = len(kernels), [_describe(p) for p in alive]
            time.sleep(self.every)


def _describe(p: psutil.Process) -> str:
    try:
        return f"pid {p.pid} (parent {p.ppid()}): {' '.join(p.cmdline())[-90:]}"
    except psutil.Error as exc:
        return f"pid {p.pid}: {exc!r}"


def _running(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def dying_grader(source, submission, student, **kwargs):
    """Runs in the worker: for erin's 01_neuron, the worker kills itself (SIGKILL) as soon as
    its kernel's process exists, as an out-of-memory kill or a grader bug would; else grade
    normally."""
    if student == "erin" and Path(source).stem == "01_neuron":

        def die():
            me = psutil.Process()
            while not any(_kernel(p) for p in me.children(recursive=True)):
                time.sleep(0.01)
            os.kill(os.getpid(), signal.SIGKILL)

        threading.Thread(target=die, daemon=True).start()
    return grade_submission(source, submission, student, **kwargs)


def leave_a_process(how: str, tag: str) -> int:
    """Runs in a worker. ``check``: how many processes of earlier tasks are still alive.
    Else start one (``sleep <tag>``), then return (``normal``), die once the batch has seen
    it (``late``), or start it as a daemon (out of the worker's process tree at once) and die
    (``escape``)."""
    if how == "check":
        return sum(
            1
            for p in psutil.process_iter(["cmdline"])
            if p.info["cmdline"] == ["sleep", tag] and _running(p)
        )
    if how == "escape":
        subprocess.run(["sh", "-c", f"sleep {tag} &"], check=True)
    else:
        subprocess.Popen(["sleep", tag], start_new_session=True)
    if how == "late":
        time.sleep(1.0)
    if how != "normal":
        os.kill(os.getpid(), signal.SIGKILL)
    return 0


# --- building the class ---------------------------------------------------------------


def _up_to(nb, grade_id: str) -> nbformat.NotebookNode:
    """``nb`` up to and including the cell ``grade_id``."""
    last = next(
        i
        for i, c in enumerate(nb.cells)
        if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id
    )
    nb.cells = nb.cells[: last + 1]
    return nb


def _solved() -> nbformat.NotebookNode:
    """01_neuron's first four questions (the batch's mechanics do not need more; written
    answers have their own class in test_manual_grading)."""
    return _up_to(nbformat.read(NEURON, as_version=4), "q4_test")


def _short() -> nbformat.NotebookNode:
    """01_neuron up to and including question 2 (q1_test, q2_test)."""
    return _up_to(_solved(), "q2_test")


def _stubs(nb) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = STUB
    return nb


def _wrong_q3(nb) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "q3_answer":
            cell.source = "def perceptron_update(w, b, x, y, lr=1.0):\n    return w, b"
    return nb


def _write(path: Path, nb) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, str):
        path.write_text(nb)
    else:
        nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    src = root / "source" / "ps1"
    _write(src / "01_neuron.ipynb", _solved())
    _write(src / "01_short.ipynb", _short())
    sub = root / "submitted"
    plan = {
        "alice": {"01_neuron": _solved(), "01_short": _short()},
        "bob": {"01_neuron": _stubs(_solved())},
        "carol": {"01_neuron": _wrong_q3(_solved()), "01_short": _short()},
        "dave": {"01_neuron": "this is not a notebook\n", "01_short": _short()},
        "erin": {"01_neuron": _solved(), "01_short": _short()},
        "frank": {"my_work": _solved()},
    }
    for student, notebooks in plan.items():
        for name, nb in notebooks.items():
            _write(sub / student / "ps1" / f"{name}.ipynb", nb)
        (sub / student / "ps1" / "timestamp.txt").write_text("2024-01-01 00:00:00\n")
    return {"root": root, "sources": [src / "01_neuron.ipynb", src / "01_short.ipynb"]}


@pytest.fixture(scope="module")
def graded(course):
    out = course["root"] / "grades.csv"
    watcher = KernelWatcher()
    watcher.start()
    warned, seen = [], []
    t0 = time.perf_counter()
    rows = grade(
        course["sources"],
        [course["root"] / "submitted"],
        out,
        jobs=JOBS,
        timeout=60,
        memory_mb=None,
        sandboxed=SANDBOXED,
        grader=dying_grader,
        feedback=course["root"] / "feedback",
        progress=lambda student, r: seen.append((student, r[0]["notebook"])),
        warn=warned.append,
    )
    wall = time.perf_counter() - t0
    left = watcher.alive()  # right after grade() returned
    watcher.halt.set()
    watcher.join()
    by = {(r["student"], r["notebook"], r["question"]): r for r in rows}
    return dict(
        course,
        out=out,
        rows=rows,
        by=by,
        watcher=watcher,
        left=left,
        warned=warned,
        seen=seen,
        wall=wall,
    )


# --- the batch ----------------------------------------------------------------------


def test_at_most_jobs_kernels_and_none_left(graded):
    w = graded["watcher"]
    kernels = {conn for _, conn in w.seen.values()}
    assert len(kernels) >= 7, f"the watcher saw only {len(kernels)} kernels"
    assert w.most <= JOBS, (
        f"{w.most} kernels were alive at once with jobs={JOBS}: " + "; ".join(w.worst)
    )
    assert w.most == JOBS, "the batch never ran two submissions at once"
    assert graded["left"] == [], f"kernels left after the batch: {graded['left']}"


def test_a_dying_worker_does_not_stop_the_batch(graded):
    by = graded["by"]
    for q in ("q1_test", "q2_test", "q3_test", "q4_test"):
        row = by[("erin", "01_neuron", q)]
        assert row["status"] == "grader error" and row["points"] == 0
        assert "killed (SIGKILL)" in row["message"]
    assert by[("erin", "01_short", "q1_test")]["status"] == "passed"


def test_one_row_per_student_notebook_question(graded):
    rows = graded["rows"]
    keys = [(r["student"], r["notebook"], r["question"]) for r in rows]
    assert len(keys) == len(set(keys)) == 6 * (4 + 2)
    with graded["out"].open(newline="") as f:
        header = next(csv.reader(f))
    assert header[:7] == [
        "student",
        "notebook",
        "question",
        "points",
        "max_points",
        "status",
        "message",
    ]
    students = ["alice", "bob", "carol", "dave", "erin", "frank"]
    totals = {s: sum(r["points"] for r in rows if r["student"] == s) for s in students}
    assert totals == {
        "alice": 8,
        "bob": 0,
        "carol": 6,
        "dave": 2,
        "erin": 2,
        "frank": 0,
    }, graded["out"].read_text()


def test_statuses_of_the_class(graded):
    by = graded["by"]
    assert {
        by[("alice", n, q)]["status"]
        for n, q in [("01_neuron", "q4_test"), ("01_short", "q2_test")]
    } == {"passed"}
    assert by[("bob", "01_neuron", "q1_test")]["status"] == "not implemented"
    for q in ("q1_test", "q2_test"):
        row = by[("bob", "01_short", q)]
        assert row["status"] == "not submitted" and row["max_points"] == 1
        assert "01_short.ipynb" in row["message"]
    assert by[("carol", "01_neuron", "q3_test")]["status"] == "failed"
    assert by[("carol", "01_neuron", "q4_test")]["status"] == "passed"
    assert by[("dave", "01_neuron", "q1_test")]["status"] == "unreadable"
    assert by[("frank", "01_short", "q1_test")]["status"] == "not submitted"
    assert any("my_work.ipynb" in w for w in graded["warned"])


def test_feedback_covers_all_notebooks(graded):
    text = (graded["root"] / "feedback" / "bob.md").read_text()
    assert "01_short: q1_test" in text and "not handed in" in text
    assert "Score: 0 / 8" in text


def test_resume_grades_again_only_what_was_not_judged(graded, tmp_path):
    """--resume: erin's 01_neuron (grader error) is graded again, nothing else is."""
    out = tmp_path / "grades.csv"
    out.write_bytes(graded["out"].read_bytes())
    seen = []
    rows = grade(
        graded["sources"],
        [graded["root"] / "submitted"],
        out,
        resume=True,
        sandboxed=SANDBOXED,
        warn=lambda m: None,
        progress=lambda s, r: seen.append((s, r[0]["notebook"])),
    )
    assert seen == [("erin", "01_neuron")]
    before = read_gradebook(graded["out"])
    assert [r for r in rows if r["student"] != "erin"] == [
        r for r in before if r["student"] != "erin"
    ]
    assert {r["status"] for r in rows if r["student"] == "erin"} == {"passed"}


def test_no_process_outlives_its_worker():
    """The reaper of :mod:`.batch` on its own: what a worker started is gone before the next
    worker starts, whether the worker returned or was killed."""
    tag = f"{300 + os.getpid() % 1000 / 1000:.3f}"  # this test's own `sleep`
    plan = ["late", "check", "escape", "check", "normal", "check"]
    results = []
    run_batch(
        [(i, (how, tag)) for i, how in enumerate(plan)],
        1,
        leave_a_process,
        lambda k, r, e: results.append((plan[k], r, e)),
    )
    assert [how for how, _, _ in results] == plan
    for how, result, error in results:
        if how in ("late", "escape"):
            assert "killed (SIGKILL)" in error
        else:
            assert (result, error) == (0, None), f"{result} processes left before {how}"
    assert leave_a_process("check", tag) == 0


# --- summary and histogram ------------------------------------------------------------


def test_summary_matches_the_gradebook(graded):
    rows = read_gradebook(graded["out"])
    files = paths(graded["out"])
    with files["csv"].open(newline="") as f:
        table = {(r["notebook"], r["question"]): r for r in csv.DictReader(f)}
    assert len(table) == 6
    for (nb, q), s in table.items():
        group = [r for r in rows if r["notebook"] == nb and r["question"] == q]
        assert int(s["students"]) == len(group) == 6
        assert float(s["mean_points"]) == pytest.approx(
            statistics.fmean(r["points"] for r in group), abs=1e-3
        )
        full = sum(r["points"] == r["max_points"] for r in group) / len(group)
        assert float(s["full_marks_share"]) == pytest.approx(full, abs=1e-3)
        counts = Counter(r["status"] for r in group)
        for status, n in counts.items():
            assert int(s[status]) == n
        failures = Counter(
            r["message"] for r in group if r["status"] in ANSWER_FAILURES
        )
        top = max(failures.values(), default=0)
        if top:
            assert s["most_common_failure"] in {
                m for m, c in failures.items() if c == top
            }
        assert int(s["most_common_failure_count"]) == top
    q3 = table[("01_neuron", "q3_test")]
    assert (q3["passed"], q3["failed"], q3["grader error"]) == ("1", "1", "1")
    # carol's wrong answer, not bob's stub (a tie) nor dave's unreadable file
    assert q3["most_common_failure"].startswith("q3: ") and q3["failed"] == "1"
    assert "not implemented" not in q3["most_common_failure"]
    assert table[("01_short", "q1_test")]["most_common_failure"] == ""
    md = files["md"].read_text()
    assert "| 01_neuron | q3_test | 0.333 / 2 | 17 % |" in md
    assert "6 students; total out of 8: mean 3" in md
    assert "](grades.histogram.png)" in md


def test_histogram_is_a_picture(graded):
    from matplotlib.image import imread

    png = paths(graded["out"])["png"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = imread(png)[..., :3]
    ink = (pixels.min(axis=-1) < 0.9).mean()
    assert 0.01 < ink < 0.6, f"{ink:.1%} of the picture is not white"
    bars = (
        abs(pixels - [0x48 / 255, 0x78 / 255, 0xA8 / 255]).max(axis=-1) < 0.05
    ).mean()
    assert bars > 0.02, f"the bars cover {bars:.1%} of the picture"
    assert class_totals(graded["rows"])["students"] == 6


def test_summary_of_a_tiny_class():
    rows = [
        dict(
            student="a",
            notebook="n",
            question="q1",
            points=2,
            max_points=2,
            status="passed",
            message="",
        ),
        dict(
            student="b",
            notebook="n",
            question="q1",
            points=0,
            max_points=2,
            status="failed",
            message="x is wrong",
        ),
        dict(
            student="c",
            notebook="n",
            question="q1",
            points=0,
            max_points=2,
            status="failed",
            message="x  is\nwrong",
        ),
        dict(
            student="d",
            notebook="n",
            question="q1",
            points=0,
            max_points=2,
            status="timed out",
            message="ran too long",
        ),
        *(
            dict(
                student=s,
                notebook="n",
                question="q1",
                points=0,
                max_points=2,
                status="unreadable",
                message="not a notebook",
            )
            for s in "efg"
        ),
    ]
    (q,) = summarize(rows)
    assert q["mean_points"] == pytest.approx(2 / 7) and q["full_marks_share"] == 1 / 7
    assert (q["most_common_failure"], q["most_common_failure_count"]) == (
        "x is wrong",
        2,
    )
    assert (q["passed"], q["failed"], q["timed out"], q["unreadable"]) == (1, 2, 1, 3)
    rows[3]["message"] = "x is wrong"
    rows[3]["status"] = rows[2]["status"] = "not implemented"  # a tie: 1 failed, 1 stub
    rows[2]["message"] = "stub"
    (q,) = summarize([*rows, {**rows[2], "student": "h"}])
    assert (q["most_common_failure"], q["most_common_failure_count"]) == (
        "x is wrong",
        2,
    )


# --- layouts and bad input (no kernel) ------------------------------------------------


def _nb(path: Path) -> Path:
    return _write(path, nbformat.v4.new_notebook())


def test_layouts(tmp_path):
    a = _nb(tmp_path / "flat" / "alice.ipynb")
    _nb(tmp_path / "flat" / ".ipynb_checkpoints" / "alice-checkpoint.ipynb")
    _nb(tmp_path / "flat" / "bob.ipynb")
    found = find_submissions([tmp_path / "flat"], ["01_neuron"])
    assert [(s.student, s.notebook, s.path) for s in found.submissions][0] == (
        "alice",
        "01_neuron",
        a,
    )
    assert found.students == ["alice", "bob"]
    # <student>/<notebook>.ipynb and <notebook>/<student>.ipynb, two notebooks
    _nb(tmp_path / "per-student" / "carol" / "n1.ipynb")
    _nb(tmp_path / "per-nb" / "n2" / "carol.ipynb")
    found = find_submissions(
        [tmp_path / "per-student", tmp_path / "per-nb"], ["n1", "n2"]
    )
    assert [(s.student, s.notebook) for s in found.submissions] == [
        ("carol", "n1"),
        ("carol", "n2"),
    ]
    # an explicitly named file is a submission, whatever it holds
    txt = tmp_path / "dave.txt"
    txt.write_text("not a notebook")
    found = find_submissions([txt], ["n1"])
    assert [(s.student, s.path) for s in found.submissions] == [("dave", txt)]
    # nbgrader: the student is the folder under submitted/, --assignment filters
    _nb(tmp_path / "submitted" / "erin" / "ps1" / "n1.ipynb")
    _nb(tmp_path / "submitted" / "erin" / "ps2" / "n1.ipynb")
    with pytest.raises(GradingInputError, match="--assignment"):
        find_submissions([tmp_path / "submitted"], ["n1"])
    found = find_submissions([tmp_path / "submitted"], ["n1"], assignment="ps2")
    assert [(s.student, s.path.parent.name) for s in found.submissions] == [
        ("erin", "ps2")
    ]


@pytest.mark.parametrize(
    "case, match",
    [
        ("duplicate", "two submissions of n1 for student 'alice'"),
        ("ambiguous", "cannot tell which notebook"),
        ("missing", "does not exist"),
        ("empty", "no submission found"),
    ],
)
def test_bad_input_is_one_sentence(tmp_path, case, match):
    names = ["n1"]
    if case == "duplicate":
        paths_ = [_nb(tmp_path / "alice.ipynb"), _nb(tmp_path / "alice" / "n1.ipynb")]
    elif case == "ambiguous":
        paths_, names = [_nb(tmp_path / "alice.ipynb")], ["n1", "n2"]
    elif case == "missing":
        paths_ = [tmp_path / "nowhere"]
    else:
        (tmp_path / "empty").mkdir()
        paths_ = [tmp_path / "empty"]
    with pytest.raises(GradingInputError, match=match) as info:
        find_submissions(paths_, names)
    assert "\n" not in str(info.value)


def test_old_gradebook_without_notebook_column(tmp_path):
    out = tmp_path / "old.csv"
    out.write_text(
        "student,question,points,max_points,status,message\nalice,q1_test,1,1,passed,\n"
    )
    (row,) = read_gradebook(out)
    assert row["notebook"] == "" and row["points"] == 1.0


# --- the command line ---------------------------------------------------------------


def test_cli_grades_and_summarizes(tmp_path, capsys):
    """Unreadable and missing notebooks: the whole path of the CLI, no kernel needed."""
    src = tmp_path / "source"
    _write(src / "01_neuron.ipynb", _solved())
    _write(src / "01_short.ipynb", _short())
    _write(tmp_path / "submitted" / "zoe" / "ps1" / "01_neuron.ipynb", "{not json")
    out = tmp_path / "out" / "grades.csv"
    code = cli_main(
        [
            "grade",
            str(src),
            str(tmp_path / "submitted"),
            "--out",
            str(out),
            *UNSANDBOXED,
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    rows = read_gradebook(out)
    assert Counter(r["status"] for r in rows) == {"unreadable": 4, "not submitted": 2}
    assert "zoe 01_neuron: 0/6 (unreadable)" in printed
    assert "01_short/q2_test" in printed and "not submitted" in printed
    for f in paths(out).values():
        assert f.exists() and f.stat().st_size > 0


def test_cli_bad_input_is_one_line_no_traceback(tmp_path):
    _write(tmp_path / "src" / "n1.ipynb", _short())
    _nb(tmp_path / "subs" / "alice.ipynb")
    _nb(tmp_path / "subs" / "alice" / "n1.ipynb")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dlcourse_instructor.cli",
            "grade",
            "--source",
            str(tmp_path / "src" / "n1.ipynb"),
            str(tmp_path / "subs"),
            "--out",
            str(tmp_path / "g.csv"),
            *UNSANDBOXED,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    last = proc.stderr.splitlines()[-1]  # after --unsandboxed's warning, if any
    assert last.startswith("dlcourse grade: error: two submissions of n1")
    assert proc.stderr.count("dlcourse grade: error:") == 1
    assert not (tmp_path / "g.csv").exists()

"""Grading a class of strangers' notebooks: hostile submissions get nothing and harm nothing.

One batch in nbgrader's layout (``submitted/<student>/ex01/01_neuron.ipynb``) grades, with
``--jobs 2``, the solved source, the untouched release, and a submission for every kind of
attack the grading issue lists: forged verdicts (an input transformer, patched checkers and
NumPy, always-equal objects, copying shipped solutions), escapes from the sandbox (reading and
rewriting the instructor's source, killing the grader, leaving processes behind, the network,
a fork bomb) and resource abuse (an infinite loop, a memory hog, a flood of output,
``sys.exit``, ``os._exit``, a file that is not a notebook). Then the instructor's files, the
machine and the students graded after the attackers are checked to be intact.

Needs bubblewrap (``make test`` installs it as root): without it the module is skipped
(a failure under ``CI=true``), because the escapes would then succeed by design.
"""

from __future__ import annotations

import copy
import hashlib
import os
import socket
import threading
from pathlib import Path

import nbformat
import pytest
from dlcourse_instructor.grading import grade, sandbox
from dlcourse_instructor.grading.notebook import graded_cells, read_notebook
from dlcourse_instructor.grading.student_copy import release_notebook

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "exercises" / "01_neuron.ipynb"
# every question's points for a solved notebook (a written answer waits: 0 until graded
# by hand); the autograded questions (q1_test, q2_test, ...)
POINTS = {
    q.grade_id: q.points if q.autograded else 0.0
    for q in graded_cells(read_notebook(SOURCE))
}
AUTOGRADED = [q.grade_id for q in graded_cells(read_notebook(SOURCE)) if q.autograded]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

pytestmark = pytest.mark.slow

RIGHT = {
    "q1_answer": "def neuron_output(x, w, b):\n    return np.where(x @ w + b > 0, 1.0, -1.0)",
}


def _answers(nb) -> dict[str, nbformat.NotebookNode]:
    return {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def _with(answers: dict[str, str]) -> nbformat.NotebookNode:
    """The solved source with some answer cells replaced."""
    nb = copy.deepcopy(read_notebook(SOURCE))
    cells = _answers(nb)
    for gid, code in answers.items():
        cells[gid].source = code
    return nb


LISTENER = socket.socket()
LISTENER.bind(("127.0.0.1", 0))
LISTENER.listen(8)
PORT = LISTENER.getsockname()[1]
CONNECTIONS: list = []


def _accept() -> None:
    while True:
        try:
            CONNECTIONS.append(LISTENER.accept())
        except OSError:
            return


SOURCE_PATH = str(SOURCE)

HOSTILE = {
    # ---- forged verdicts
    "transformer": {
        "q2_answer": "import numpy as np\nx1_and_not_x2 = (np.array([1.0, -1.0]), -0.5)\n"
        "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])",
    },
    "always_equal": {
        "q1_answer": "class Yes(float):\n    def __eq__(self, other):\n        return True\n"
        "    __hash__ = float.__hash__\n"
        "def neuron_output(x, w, b):\n    return Yes(0.0)",
    },
    "patcher": {
        "q1_answer": "import numpy as np, numpy.testing\n"
        "from dlcourse.exercises import checks, question, ch01\n"
        "checks.Call.judge = lambda *a, **k: None\n"
        "question.Question.verdict = lambda *a, **k: None\n"
        "ch01.q1.check = lambda *a, **k: None\n"
        "np.allclose = lambda *a, **k: True\n"
        "np.array_equal = lambda *a, **k: True\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None\n"
        "def neuron_output(x, w, b):\n    return 0.0",
    },
    "solution_copier": {
        "q1_answer": "from dlcourse.exercises import solutions\n"
        "exec(solutions.get('ch01', 'q1') or '')\n"
        "try:\n    import dlcourse_instructor.answers\n"
        "    open('leaked.txt', 'w').write('instructor package importable')\n"
        "except ImportError:\n    pass",
    },
    # ---- escapes
    "reader": {
        "q1_answer": RIGHT["q1_answer"] + "\nimport glob, os\n"
        f"for path in [{SOURCE_PATH!r}] + glob.glob('/proc/*/cwd/exercises/*.ipynb'):\n"
        "    try:\n        open(path, 'w').write('{}')\n    except OSError:\n        pass\n",
    },
    "killer": {
        "q1_answer": "import os, signal\n"
        "for pid in [os.getppid(), 1] + [int(p) for p in os.listdir('/proc') if p.isdigit()]:\n"
        "    if pid != os.getpid():\n"
        "        try:\n            os.kill(pid, signal.SIGKILL)\n"
        "        except OSError:\n            pass\n"
        "def neuron_output(x, w, b):\n    return 0.0",
    },
    "lingerer": {
        "q1_answer": RIGHT["q1_answer"] + "\nimport subprocess\n"
        "subprocess.Popen(['sleep', '4242'], start_new_session=True)",
    },
    "network": {
        "q1_answer": "import socket\n"
        "def neuron_output(x, w, b):\n"
        f"    socket.create_connection(('127.0.0.1', {PORT}), timeout=2)\n"
        "    return np.where(x @ w + b > 0, 1.0, -1.0)",
    },
    "forker": {
        "q4_answer": "import os\ndef train_perceptron(X, y, epochs=20, lr=1.0):\n"
        "    while True:\n        try:\n            os.fork()\n"
        "        except OSError:\n            pass",
    },
    # ---- resources and statuses
    "looper": {
        "q1_answer": "def neuron_output(x, w, b):\n    while True:\n        pass"
    },
    "hog": {
        "q3_answer": "def perceptron_update(w, b, x, y, lr=1.0):\n"
        "    hog = bytearray(8 * 1024 ** 3)\n    return w, b",
    },
    "flood": {"q2_answer": "for _ in range(40_000):\n    print('x' * 500)"},  # 20 MB
    "exiter": {"q1_answer": "import sys\ndef neuron_output(x, w, b):\n    sys.exit(0)"},
    "diehard": {
        "q3_answer": "import os\ndef perceptron_update(w, b, x, y, lr=1.0):\n"
        "    os._exit(1)"
    },
    "wrong_q1": {
        "q1_answer": "def neuron_output(x, w, b):\n"
        "    return np.where(x @ w + b >= 0, 1.0, -1.0)"
    },
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if not sandbox.available():
        if IN_CI:
            pytest.fail(
                "bubblewrap is missing: `make test` installs it (apt-get install bubblewrap)"
            )
        pytest.skip("bubblewrap is missing: hostile submissions need the sandbox")
    threading.Thread(target=_accept, daemon=True).start()
    tmp = tmp_path_factory.mktemp("class")
    submitted = tmp / "submitted"

    def put(student: str, nb) -> None:
        target = submitted / student / "ex01" / SOURCE.name
        target.parent.mkdir(parents=True)
        if isinstance(nb, str):
            target.write_text(nb)
        else:
            nbformat.write(nb, target)

    put("aa_solved", read_notebook(SOURCE))
    put("ab_untouched", release_notebook(read_notebook(SOURCE)))
    for student, answers in HOSTILE.items():
        put(student, _with(answers))
    put("garbage", "this is not a notebook {")
    put("zz_solved_last", read_notebook(SOURCE))
    before = hashlib.sha256(SOURCE.read_bytes()).hexdigest()
    out = tmp / "grades.csv"
    rows = grade(
        SOURCE, [submitted], out, jobs=2, timeout=8, memory_mb=1024, sandboxed=True
    )
    by_student: dict[str, dict[str, dict]] = {}
    for row in rows:
        by_student.setdefault(row["student"], {})[row["question"]] = row
    return {"rows": by_student, "source_hash": before, "tmp": tmp, "out": out}


def points(graded, student) -> dict[str, float]:
    return {q: float(r["points"]) for q, r in graded["rows"][student].items()}


def status(graded, student, question) -> str:
    return graded["rows"][student][question]["status"]


def test_every_student_has_a_row_per_question(graded):
    expected = {"aa_solved", "ab_untouched", "garbage", "zz_solved_last", *HOSTILE}
    assert set(graded["rows"]) == expected
    for student, rows in graded["rows"].items():
        assert set(rows) == set(POINTS), student


def test_solved_gets_full_marks_untouched_gets_nothing(graded):
    assert points(graded, "aa_solved") == POINTS
    assert all(
        status(graded, "ab_untouched", q) == "not implemented" for q in AUTOGRADED
    )
    assert sum(points(graded, "ab_untouched").values()) == 0


def test_the_batch_and_the_instructors_source_survive_every_attack(graded):
    """The last student, graded after every attacker, gets full marks from intact tests."""
    assert points(graded, "zz_solved_last") == POINTS
    assert hashlib.sha256(SOURCE.read_bytes()).hexdigest() == graded["source_hash"]


@pytest.mark.parametrize(
    "student, question",
    [
        ("transformer", "q3_test"),
        ("transformer", "q4_test"),
        ("always_equal", "q1_test"),
        ("patcher", "q1_test"),
        ("solution_copier", "q1_test"),
    ],
)
def test_forged_verdicts_earn_nothing(graded, student, question):
    assert points(graded, student)[question] == 0, graded["rows"][student][question]


def test_a_transformer_costs_the_questions_after_it(graded):
    assert (
        points(graded, "transformer")["q1_test"] == 1
    )  # judged before it was installed
    assert status(graded, "transformer", "q3_test") == "failed"


def test_the_instructor_package_is_not_importable_in_the_sandbox(graded):
    assert not list(graded["tmp"].rglob("leaked.txt"))


def test_killing_everything_only_kills_its_own_kernel(graded):
    assert points(graded, "killer")["q1_test"] == 0
    assert status(graded, "killer", "q1_test") in {"kernel died", "failed"}


def test_no_process_outlives_its_submission(graded):
    lingering = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"sleep\x004242" in cmdline:
            lingering.append(pid)
    assert not lingering, f"processes left behind by a submission: {lingering}"
    assert points(graded, "lingerer")["q1_test"] == 1


def test_no_network(graded):
    assert not CONNECTIONS, "a submission reached the grader's machine over the network"
    assert points(graded, "network")["q1_test"] == 0


def test_a_fork_bomb_is_contained(graded):
    assert points(graded, "forker")["q4_test"] == 0
    assert (
        points(graded, "forker")["q1_test"] == 1
    )  # the questions before it still count


@pytest.mark.parametrize(
    "student, question, expected",
    [
        ("looper", "q1_test", "timed out"),
        ("hog", "q3_test", "memory limit"),
        ("flood", "q2_test", "output limit"),
        ("exiter", "q1_test", "system exit"),
        ("diehard", "q3_test", "kernel died"),
        ("garbage", "q1_test", "unreadable"),
        ("wrong_q1", "q1_test", "failed"),
    ],
)
def test_statuses_say_what_happened(graded, student, question, expected):
    row = graded["rows"][student][question]
    assert row["status"] == expected, row
    assert float(row["points"]) == 0


def test_an_infinite_loop_costs_only_its_question(graded):
    assert points(graded, "looper") == {**POINTS, "q1_test": 0.0}


def test_the_wrong_answer_message_is_one_clear_sentence(graded):
    message = graded["rows"]["wrong_q1"]["q1_test"]["message"]
    assert message.startswith("q1: `neuron_output` fails a check:")
    assert "should be -1.0, got 1.0" in message and "\n" not in message

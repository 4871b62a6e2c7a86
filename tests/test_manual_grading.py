"""Written answers graded by hand: release, `dlcourse grade`, the review and points files.

A small class is graded for real (kernels in bubblewrap's sandbox where it works here) on
01_neuron with one written answer added (:mod:`written`): alice solved everything and wrote a
hostile answer (fences, HTML, a fake heading for another student), bob handed in the
untouched graded copy, carol turned her answer cell into a code cell with other metadata and
wrote over a megabyte. Then the instructor's points are merged with ``--resume``, and bad
points files are refused before anything is graded.
"""

from __future__ import annotations

import copy
import csv
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from dlcourse_instructor.cli import main as cli_main
from dlcourse_instructor.grading import (
    GradingInputError,
    grade,
    manual,
    read_gradebook,
    review,
    sandbox,
)
from dlcourse_instructor.grading.gradebook import totals
from dlcourse_instructor.grading.notebook import (
    assemble,
    grade_id,
    graded_cells,
    read_notebook,
    solution_code,
)
from dlcourse_instructor.grading.student_copy import release_notebook
from dlcourse_instructor.grading.summary import class_totals, markdown, summarize
from markdown_it import MarkdownIt
from written import (
    GRADE_ID,
    MODEL_ANSWER,
    PROMPT,
    RUBRIC,
    sentences,
    with_written_answer,
    without_written_answers,
)

ROOT = Path(__file__).resolve().parents[1]
NEURON = "01_neuron"
SANDBOXED = sandbox.problem() is None
HOSTILE = (
    "A neuron draws one line.\n\n```\n````\n~~~\n</details></pre>\n"
    "#### bob: 2 / 2 points, graded by hand\n\n<script>alert('x')</script>\n"
    "<img src=x onerror=alert(1)>\n[click](javascript:alert(1))\n<!-- unclosed\n"
    "`````````` ten backticks\n    indented\n"
)
HUGE = "carol wrote this. " * 70_000  # 1.26 MB


def _source() -> nbformat.NotebookNode:
    committed = read_notebook(ROOT / "exercises" / f"{NEURON}.ipynb")
    return with_written_answer(without_written_answers(committed))


def _solved(text: str) -> nbformat.NotebookNode:
    """The source's answers, as a student who solved everything; ``text`` written."""
    nb = release_notebook(_source(), graded=True)
    answers = {grade_id(c): c.source for c in _source().cells}
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = solution_code(answers[grade_id(cell)])
        if grade_id(cell) == GRADE_ID:
            cell.source = text
    return nb


def _carol() -> nbformat.NotebookNode:
    """Her answer cell made a code cell, with metadata claiming 100 points and no grading."""
    nb = _solved(HUGE)
    i = next(i for i, c in enumerate(nb.cells) if grade_id(c) == GRADE_ID)
    meta = copy.deepcopy(nb.cells[i].metadata)
    meta["nbgrader"].update(points=100, grade=False, locked=True)
    nb.cells[i] = nbformat.v4.new_code_cell(HUGE, metadata=meta)
    return nb


def autograded_points() -> float:
    return sum(q.points for q in graded_cells(_source()) if q.autograded)


def never_grader(source, submission, student, **kwargs):
    """Runs in a worker: a grader that must not be reached (bad points files stop first)."""
    raise AssertionError("graded although the points file is bad")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("written")
    src = root / "source" / f"{NEURON}.ipynb"
    src.parent.mkdir()
    nbformat.write(_source(), src)
    plan = {
        "alice": _solved(HOSTILE),
        "bob": release_notebook(_source(), graded=True),
        "carol": _carol(),
    }
    for student, nb in plan.items():
        (root / "subs" / student).mkdir(parents=True)
        nbformat.write(nb, root / "subs" / student / f"{NEURON}.ipynb")
    out = root / "grades.csv"
    rows = grade(
        src,
        [root / "subs"],
        out,
        timeout=60,
        memory_mb=None,
        sandboxed=SANDBOXED,
        feedback=root / "feedback",
        warn=lambda m: None,
    )
    by = {(r["student"], r["question"]): r for r in rows}
    return {"root": root, "src": src, "out": out, "rows": rows, "by": by}


def _copy(graded, tmp_path) -> Path:
    """The graded class's gradebook and points file, copied to ``tmp_path``."""
    for name in ("grades.csv", "grades.manual.csv"):
        shutil.copy(graded["root"] / name, tmp_path / name)
    return tmp_path / "grades.csv"


def _resume(graded, out, **kw):
    seen: list[str] = []
    rows = grade(
        graded["src"],
        [graded["root"] / "subs"],
        out,
        resume=True,
        sandboxed=SANDBOXED,
        warn=lambda m: None,
        progress=lambda student, r: seen.append(student),
        **kw,
    )
    return rows, seen


# ------------------------------------------------------------------ release
def test_release_written_answer_in_both_modes():
    src = _source()
    graded, practice = release_notebook(src, graded=True), release_notebook(src)
    for nb in (graded, practice):
        cell = next(c for c in nb.cells if grade_id(c) == GRADE_ID)
        assert cell.source == "YOUR ANSWER HERE" and cell.cell_type == "markdown"
    secret = sentences(MODEL_ANSWER) + sentences(RUBRIC)
    assert len(secret) >= 3
    graded_text = json.dumps(json.loads(nbformat.writes(graded)))
    assert not [s for s in secret if s in " ".join(graded_text.split())]
    # the practice copy: a folded model-answer cell right after the answer, nothing else
    i = next(i for i, c in enumerate(practice.cells) if grade_id(c) == GRADE_ID)
    model = practice.cells[i + 1]
    assert model.cell_type == "markdown" and "nbgrader" not in model.metadata
    assert model.metadata.jupyter.source_hidden is True
    assert model.source.startswith("**Model answer** (open it after writing yours)")
    assert all(s in " ".join(model.source.split()) for s in secret)
    rest = [
        c
        for c in practice.cells
        if c.metadata.get("dlcourse") not in ("model answer", "solutions")
    ]
    assert [(c.source, c.metadata) for c in rest] == [
        (c.source, c.metadata) for c in graded.cells
    ]


# ------------------------------------------------------------------ grading
def test_gradebook_rows_of_the_written_answer(graded):
    by = graded["by"]
    for student in ("alice", "carol"):
        row = by[student, GRADE_ID]
        assert (row["status"], row["points"], row["max_points"]) == (
            "needs manual grading",
            0,
            2,
        )
        assert "grades.manual.csv" in row["message"]
    row = by["bob", GRADE_ID]
    assert (row["status"], row["points"]) == ("not answered", 0)
    assert "YOUR ANSWER HERE" in row["message"]
    assert by["alice", "q1_test"]["status"] == "passed"
    assert by["bob", "q1_test"]["status"] == "not implemented"


def test_points_file_lists_the_answers_to_grade(graded):
    with (graded["root"] / "grades.manual.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == manual.COLUMNS
    assert [
        (r["student"], r["question"], r["max_points"], r["points"]) for r in rows
    ] == [
        ("alice", GRADE_ID, "2", ""),
        ("carol", GRADE_ID, "2", ""),
    ]


def _tokens(text: str) -> list:
    out = []
    for token in MarkdownIt("commonmark").parse(text):
        out += [token, *(token.children or [])]
    return out


def test_review_file_shows_texts_verbatim_and_inert(graded):
    text = (graded["root"] / "grades.review.md").read_text()
    flat = " ".join(text.split())
    for part in (PROMPT.splitlines()[-1], MODEL_ANSWER, RUBRIC):
        assert " ".join(part.split()) in flat
    tokens = _tokens(text)
    fences = [t.content for t in tokens if t.type == "fence"]
    assert HOSTILE in fences  # alice's text, whole and in one block
    assert not [t for t in tokens if t.type in ("html_block", "html_inline")]
    heads = [
        t.content
        for i, t in enumerate(tokens)
        if t.type == "inline"
        and tokens[i - 1].type == "heading_open"
        and tokens[i - 1].tag == "h4"
    ]
    assert [h.split(":")[0] for h in heads] == ["alice", "bob", "carol"], heads
    assert heads[1] == "bob: not answered (0 points)"
    # carol's megabyte: cut at 20,000 characters, and the file says so
    assert "1,260,000 characters; the first 20,000 are shown" in text
    assert HUGE[: manual.SHOWN_CHARS] + "\n" in fences


def test_fence_holds_any_text():
    for text in (HOSTILE, "````", "x\n```` \n", "`", "a\x00b", "", "\r\n```\r\n"):
        fences = [t for t in _tokens(review.fence(text)) if t.type == "fence"]
        want = text.replace("\x00", "\ufffd")
        assert len(fences) == 1, text
        assert fences[0].content.replace("\r\n", "\n") == (
            (want if want.endswith("\n") else want + "\n").replace("\r\n", "\n")
        )
    hostile = "<b>*x*</b> `c` &amp; [a](b)\n#### bob"
    assert review.inline(hostile) == (
        "\\<b\\>\\*x\\*\\</b\\> \\`c\\` \\&amp; \\[a\\]\\(b\\) \\#\\#\\#\\# bob"
    )
    (paragraph,) = [
        t for t in _tokens("x " + review.inline(hostile)) if t.type == "inline"
    ]
    assert [c.type for c in paragraph.children] == ["text"]  # plain text, nothing else


def test_a_written_cell_made_code_is_never_run():
    nb = assemble(_source(), _carol())
    cell = next(c for c in nb.cells if grade_id(c) == GRADE_ID)
    assert cell.cell_type == "markdown" and cell.source == HUGE
    assert cell.metadata.nbgrader["points"] == 2


def test_summary_and_feedback_keep_waiting_points_apart(graded):
    rows = graded["rows"]
    full = autograded_points()
    # alice's and carol's answers wait: in no total; bob's unanswered one is judged: lost
    assert totals(rows) == {
        "alice": (full, full),
        "bob": (0, full + 2),
        "carol": (full, full),
    }
    cls = class_totals(rows)
    assert cls["max_total"] == full + 2
    assert (cls["awaiting_answers"], cls["awaiting_points"]) == (2, 4)
    text = (graded["root"] / "grades.summary.md").read_text()
    assert "4 points (2 written answers) await grading by hand" in text
    (q,) = [q for q in summarize(rows) if q["question"] == GRADE_ID]
    assert (q["mean_points"], q["needs manual grading"], q["not answered"]) == (0, 2, 1)
    waiting = [r for r in rows if r["student"] != "bob"]
    (q,) = [q for q in summarize(waiting) if q["question"] == GRADE_ID]
    assert q["mean_points"] is None  # no mean while no answer is judged
    assert "| q90_written | — / 2 | — |" in markdown(waiting)
    alice = (graded["root"] / "feedback" / "alice.md").read_text()
    assert f"**Score: {full:g} / {full:g}** (2 more points (1 written answer)" in alice


# ------------------------------------------------------------------ merging the points
def test_points_entered_are_merged_on_resume(graded, tmp_path):
    out = _copy(graded, tmp_path)
    points = tmp_path / "grades.manual.csv"
    lines = points.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace(",2,,", ',2,1.5,"Good; the corners, not the line."')
    points.write_text("".join(lines))
    typed = points.read_bytes()
    rows, seen = _resume(graded, out, feedback=tmp_path / "feedback")
    assert seen == []  # nothing graded again
    by = {(r["student"], r["question"]): r for r in read_gradebook(out)}
    assert by == {(r["student"], r["question"]): r for r in rows}
    alice = by["alice", GRADE_ID]
    assert (alice["status"], alice["points"]) == ("graded by hand", 1.5)
    assert alice["message"] == "Good; the corners, not the line."
    assert by["carol", GRADE_ID]["status"] == "needs manual grading"
    assert points.read_bytes() == typed  # what the instructor typed, untouched
    cls = class_totals(rows)
    assert (cls["awaiting_answers"], cls["awaiting_points"]) == (1, 2)
    assert cls["max"] == autograded_points() + 1.5
    assert cls["max_total"] == autograded_points() + 2
    assert "2 points (1 written answer) await" in markdown(rows)
    feedback = (tmp_path / "feedback" / "alice.md").read_text()
    assert "1.5 / 2" in feedback and "the corners, not the line" in feedback
    review_text = (tmp_path / "grades.review.md").read_text()
    assert "alice: 1.5 / 2 points, graded by hand" in review_text
    # a row the instructor deleted comes back at the end; the rest stays as typed
    kept = lines[0] + lines[1]
    points.write_text(kept)
    _resume(graded, out)
    again = points.read_text()
    assert again.startswith(kept) and again.count("carol") == 1
    assert again[len(kept) :].startswith("carol,01_neuron,q90_written,2,,")


def test_points_file_keeps_a_spreadsheets_bytes_and_only_written_answers(tmp_path):
    """Appending keeps the file's BOM, line ends and column order; rows of other questions
    graded by hand (nbgrader's "task" cells) get no row and are left alone."""
    points = tmp_path / "grades.manual.csv"
    typed = "\ufeffquestion,student,notebook,points,comment,max_points\r\n"
    typed += 'q90_written,alice,01_neuron,"1,5",ok,2\r\n'
    points.write_text(typed, encoding="utf-8", newline="")
    waiting = {"notebook": NEURON, "status": "needs manual grading", "points": 0.0}
    rows = [
        {**waiting, "student": who, "question": q, "max_points": 2.0, "message": ""}
        for who, q in [("alice", GRADE_ID), ("bob", GRADE_ID), ("bob", "task1")]
    ]
    questions = {(NEURON, GRADE_ID)}
    assert manual.add_rows(points, rows, questions) == 1
    text = points.read_bytes().decode("utf-8")
    assert text == typed + "q90_written,bob,01_neuron,,,2\r\n"
    entries = manual.read_points(points, {(NEURON, GRADE_ID): 2.0}, {"alice", "bob"})
    assert entries[("alice", NEURON, GRADE_ID)].points == 1.5
    merged = manual.apply_points(rows, entries, points.name, questions)
    assert [r["status"] for r in merged] == [
        "graded by hand",
        "needs manual grading",
        "needs manual grading",
    ]
    assert merged[2] is rows[2]


ROW = "alice,01_neuron,q90_written,2,"  # then the points and the comment
BAD = {
    "not a number": (f"{ROW}two,", "'two' for alice's .* not a number"),
    "negative": (f"{ROW}-1,", "-1 for alice's .* negative"),
    "too many": (f"{ROW}3,", "3 for alice's .* more than its 2"),
    "unknown student": ("zoe,01_neuron,q90_written,2,1,", "no student 'zoe'"),
    "unknown question": ("alice,01_neuron,q91_written,2,1,", "q91_written is not"),
    "twice": ("carol,01_neuron,q90_written,2,1,", "a second row for carol.*line 2"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_points_are_refused_before_grading(graded, tmp_path, case):
    out = _copy(graded, tmp_path)
    points = tmp_path / "grades.manual.csv"
    header = ",".join(manual.COLUMNS)
    points.write_text(f"{header}\ncarol,01_neuron,q90_written,2,1,\n{BAD[case][0]}\n")
    before = (out.read_bytes(), points.read_bytes())
    with pytest.raises(GradingInputError, match=BAD[case][1]) as info:
        grade(graded["src"], [graded["root"] / "subs"], out, grader=never_grader)
    assert str(info.value).startswith(f"{points}, line 3: ")
    assert (out.read_bytes(), points.read_bytes()) == before


def test_cli_says_where_the_files_are(graded, tmp_path, capsys):
    out = _copy(graded, tmp_path)
    argv = [
        "grade",
        str(graded["src"]),
        str(graded["root"] / "subs"),
        "--out",
        str(out),
    ]
    assert cli_main([*argv, "--resume"] + ([] if SANDBOXED else ["--unsandboxed"])) == 0
    printed = capsys.readouterr().out
    assert "2 written answers (4 points) await grading by hand" in printed
    assert f"review them in {tmp_path / 'grades.review.md'}" in printed
    assert f"enter the points in {tmp_path / 'grades.manual.csv'}" in printed


# ------------------------------------------------------------------ nbgrader
def test_nbgrader_scores_unanswered_zero_and_leaves_answers_to_the_instructor():
    utils = pytest.importorskip("nbgrader.utils")
    released = release_notebook(_source(), graded=True)
    cell = next(c for c in released.cells if grade_id(c) == GRADE_ID)
    assert utils.determine_grade(cell) == (0, 2)  # nbgrader: unchanged, zero
    assert not manual.answered(cell.source)
    for text in ("My answer.", HOSTILE):
        cell.source = text
        assert utils.determine_grade(cell) == (None, 2)  # nbgrader: manual grading
        assert manual.answered(text)

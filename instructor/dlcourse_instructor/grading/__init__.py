"""Release student copies of nbgrader-format exercise notebooks and autograde submissions.

    from dlcourse_instructor.grading import release, grade
    release(["exercises/01_neuron.ipynb"], "release/")
    grade("exercises/01_neuron.ipynb", ["subs/alice.ipynb", "subs/bob.ipynb"], "grades.csv")
    grade(["source/ps1/a.ipynb", "source/ps1/b.ipynb"], ["submitted/"], "ps1.csv", jobs=2)

The console entry point ``dlcourse release`` / ``dlcourse grade`` wraps these
(:mod:`dlcourse_instructor.cli`). See chapter: For instructors (book/instructors.md).
"""

from __future__ import annotations

import warnings
from pathlib import Path

from dlcourse_instructor.grading import manual, review
from dlcourse_instructor.grading.batch import run_batch
from dlcourse_instructor.grading.execute import (
    GRADER_ERROR,
    Result,
    grade_submission,
    student_name,
)
from dlcourse_instructor.grading.feedback import write_feedback
from dlcourse_instructor.grading.gradebook import (
    COLUMNS,
    NOT_SUBMITTED,
    graded,
    graded_students,
    read_gradebook,
    same,
    update_gradebook,
    write_gradebook,
)
from dlcourse_instructor.grading.layout import (
    GradingInputError,
    find_submissions,
    source_notebooks,
)
from dlcourse_instructor.grading.notebook import (
    UnreadableNotebook,
    assemble,
    graded_cells,
    read_notebook,
)
from dlcourse_instructor.grading.student_copy import release, release_notebook
from dlcourse_instructor.grading.summary import write_summary

__all__ = [
    "COLUMNS",
    "NOT_SUBMITTED",
    "GradingInputError",
    "Result",
    "UnreadableNotebook",
    "assemble",
    "grade",
    "grade_submission",
    "graded_cells",
    "graded_students",
    "read_gradebook",
    "read_notebook",
    "release",
    "release_notebook",
    "student_name",
    "update_gradebook",
    "write_gradebook",
]


def _grade_rows(grader, source, submission, student, kwargs) -> list[dict]:
    """Runs in a worker process: one submission's rows."""
    return [r.as_row() for r in grader(source, submission, student, **kwargs)]


def _sources(source) -> dict[str, tuple[Path, list, object]]:
    """``{notebook name: (path, graded cells, notebook)}`` of the assignment's sources."""
    paths = source_notebooks([source] if isinstance(source, (str, Path)) else source)
    out = {}
    for path in paths:
        try:
            nb = read_notebook(path)
            cells = graded_cells(nb)
        except UnreadableNotebook as exc:
            raise GradingInputError(f"the source {exc}") from None
        if not cells:
            raise GradingInputError(
                f"the source {path} has no graded cell (nbgrader `grade: true`); "
                "is it the instructor's source notebook?"
            )
        out[path.stem] = (path, cells, nb)
    return out


def _by_hand(out, book, sources, found, entries, title) -> tuple[list[dict], set[str]]:
    """Merge the points entered by hand, add the answers that wait to the points file, write
    the review file. Returns the rows and the students whose rows changed."""
    files = manual.paths(out)
    name = files["manual"].name
    questions = [
        q for n, (_, _, nb) in sources.items() for q in manual.written_questions(n, nb)
    ]
    keys = {(q.notebook, q.grade_id) for q in questions}
    merged = manual.apply_points(book, entries, name, keys)
    changed = {old["student"] for old, new in zip(book, merged) if old != new}
    if changed:
        write_gradebook(out, merged)
    manual.add_rows(files["manual"], merged, keys)
    review.write_review(
        files["review"],
        merged,
        questions,
        {n: nb for n, (_, _, nb) in sources.items()},
        {(s.student, s.notebook): s.path for s in found.submissions},
        entries,
        name,
        title,
    )
    return merged, changed


def grade(
    source,
    submissions,
    out: str | Path,
    *,
    timeout: float = 30.0,
    jobs: int = 1,
    feedback: str | Path | None = None,
    feedback_format: str = "md",
    memory_mb: float | None = 2048,
    resume: bool = False,
    progress=None,
    assignment: str | None = None,
    summary: bool = True,
    sandboxed: bool = True,
    grader=grade_submission,
    warn=None,
    **kwargs,
) -> list[dict]:
    """Grade every submission of an assignment and write the gradebook ``out``.

    ``source`` is a source notebook, a folder of them or a list of either (an assignment of
    several notebooks); ``submissions`` are files and folders in the forms of
    :mod:`.layout` (nbgrader's ``submitted/<student>/<assignment>/<notebook>.ipynb`` included;
    ``assignment`` keeps only that assignment's folder). Each submission is graded in a
    fresh worker process, at most ``jobs`` at once (:mod:`.batch`); a worker that dies gives
    its rows the status "grader error" and the batch goes on. A student who handed in some
    notebooks of the assignment but not all gets "not submitted" rows for the others.

    The gradebook is rewritten (atomically) after each submission, so an interrupted batch
    keeps what was graded; ``resume=True`` skips (student, notebook) pairs already graded.
    Re-grading a submission replaces its rows. With ``summary`` the per-question summary and
    the histogram of totals are written next to the gradebook (:mod:`.summary`).

    Written answers (:mod:`.manual`): their rows wait ("needs manual grading", 0 points)
    until the instructor types the points into ``<out>.manual.csv``; every run (``resume``
    too) merges what was typed ("graded by hand"), appends a row for each answer that waits
    and writes the review file ``<out>.review.md`` with every student's text.
    A mistake in the points file raises :class:`GradingInputError` before anything is graded.
    ``progress(student, rows)`` is called after each submission, ``warn(message)`` for each
    file skipped (default: :func:`warnings.warn`). ``grader`` (a function like
    :func:`grade_submission`, importable by name) runs in the workers. Returns the
    gradebook's rows. Bad input raises :class:`GradingInputError` before anything is graded.
    The workers are started by ``multiprocessing`` (fork server): a script that calls this
    must do so under ``if __name__ == "__main__":``.
    """
    if jobs < 1:
        raise GradingInputError(f"--jobs must be at least 1, not {jobs}")
    if timeout <= 0:
        raise GradingInputError(f"--timeout must be positive, not {timeout:g}")
    out = Path(out)
    if out.is_dir():
        raise GradingInputError(
            f"the gradebook {out} is a folder; give a file name (grades.csv)"
        )
    sources = _sources(source)
    names = list(sources)
    found = find_submissions(
        submissions, names, assignment, exclude=[p for p, _, _ in sources.values()]
    )
    for message in found.warnings:
        (warn or warnings.warn)(message)
    try:
        book = read_gradebook(out)
    except (OSError, UnicodeDecodeError, KeyError, ValueError) as exc:
        raise GradingInputError(
            f"the gradebook {out} cannot be read ({exc}); move it away"
        ) from None
    if book and not {"student", "question", "points", "status"} <= set(book[0]):
        raise GradingInputError(
            f"{out} is not a gradebook (its columns: {', '.join(map(str, book[0]))}); "
            "give another --out"
        )
    # the points typed by hand: read (and any mistake in them reported) before grading
    written = {
        (n, q.grade_id): q.points
        for n, (_, _, nb) in sources.items()
        for q in manual.written_questions(n, nb)
    }
    students = set(found.students) | {r["student"] for r in book}
    points_file = manual.paths(out)["manual"]
    entries = manual.read_points(points_file, written, students) if written else {}
    done = graded(book) if resume else set()
    todo = [
        s
        for s in found.submissions
        if (s.student, s.notebook) not in done and (s.student, "") not in done
    ]
    title = assignment or ", ".join(names)
    order = {n: i for i, n in enumerate(names)}
    kw = dict(timeout=timeout, memory_mb=memory_mb, sandboxed=sandboxed, **kwargs)

    def record(student: str, notebook: str, rows: list[dict]) -> None:
        nonlocal book
        rows = [{**r, "student": student, "notebook": notebook} for r in rows]
        rows = manual.apply_points(rows, entries, points_file.name, written)
        book = [r for r in book if not same(r, student, notebook)] + rows
        book.sort(key=lambda r: (r["student"], order.get(r["notebook"], len(order))))
        write_gradebook(out, book)
        if feedback is not None:
            mine = [r for r in book if r["student"] == student]
            write_feedback(feedback, student, mine, title=title, fmt=feedback_format)
        if progress is not None:
            progress(student, rows)

    def blank(notebook: str, status: str, message: str, ran: bool) -> list[dict]:
        mode = ("bubblewrap" if sandboxed else "off") if ran else ""
        return [
            Result("", q.grade_id, 0.0, q.points, status, message).as_row()
            | {"sandbox": mode}
            for q in sources[notebook][1]
        ]

    have = {(s.student, s.notebook) for s in found.submissions}
    kept = {(r["student"], r["notebook"]) for r in book}
    for student in found.students:
        for nb in names:
            if (student, nb) not in have and not kept & {(student, nb), (student, "")}:
                record(
                    student,
                    nb,
                    blank(nb, NOT_SUBMITTED, f"no {nb}.ipynb was handed in", False),
                )

    def done_one(key, rows, error):
        student, notebook = key
        record(
            student,
            notebook,
            rows if error is None else blank(notebook, GRADER_ERROR, error, True),
        )

    tasks = [
        (
            (s.student, s.notebook),
            (grader, sources[s.notebook][0], s.path, s.student, kw),
        )
        for s in todo
    ]
    run_batch(tasks, jobs, _grade_rows, done_one)
    if not out.exists():
        write_gradebook(out, [])
    if written:
        book, changed = _by_hand(out, book, sources, found, entries, title)
        for student in sorted(changed) if feedback is not None else []:
            mine = [r for r in book if r["student"] == student]
            write_feedback(feedback, student, mine, title=title, fmt=feedback_format)
    if summary and book:
        write_summary(out, book, title)
    return book

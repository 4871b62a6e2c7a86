"""Release student copies of nbgrader-format exercise notebooks and autograde submissions.

    from dlcourse_instructor.grading import release, grade
    release(["exercises/01_neuron.ipynb"], "release/")
    grade("exercises/01_neuron.ipynb", ["subs/alice.ipynb", "subs/bob.ipynb"], "grades.csv")

The console entry point ``dlcourse release`` / ``dlcourse grade`` wraps these
(:mod:`dlcourse_instructor.cli`). See chapter: For instructors (book/instructors.md).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from dlcourse_instructor.grading.execute import Result, grade_submission, student_name
from dlcourse_instructor.grading.feedback import write_feedback
from dlcourse_instructor.grading.gradebook import (
    COLUMNS,
    graded_students,
    read_gradebook,
    update_gradebook,
    write_gradebook,
)
from dlcourse_instructor.grading.notebook import (
    UnreadableNotebook,
    assemble,
    graded_cells,
    read_notebook,
    release,
    release_notebook,
)

__all__ = [
    "COLUMNS",
    "Result",
    "UnreadableNotebook",
    "assemble",
    "grade",
    "grade_submission",
    "graded_cells",
    "read_gradebook",
    "read_notebook",
    "release",
    "release_notebook",
    "student_name",
    "write_gradebook",
]


def _grade_rows(source, submission, student, kwargs):
    return student, [
        r.as_row() for r in grade_submission(source, submission, student, **kwargs)
    ]


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
    **kwargs,
) -> list[dict]:
    """Grade every submission against ``source`` and write the gradebook ``out``.

    The gradebook is rewritten (atomically) after each student, so an interrupted batch keeps
    the students already graded; ``resume=True`` skips them. Re-grading a student replaces
    their rows. ``jobs > 1`` grades in parallel processes. Returns the gradebook's rows.
    ``progress(student, rows)`` is called after each student if given.
    """
    source = Path(source)
    read_notebook(source)  # fail early if the instructor's source is broken
    todo: list[tuple[str, Path]] = []
    seen: dict[str, Path] = {}
    for sub in submissions:
        sub = Path(sub)
        name = student_name(sub, source)
        if name in seen:
            raise ValueError(
                f"two submissions for student {name!r}: {seen[name]} and {sub}"
            )
        seen[name] = sub
        todo.append((name, sub))
    if resume:
        done = graded_students(out)
        todo = [(n, s) for n, s in todo if n not in done]
    kw = dict(timeout=timeout, memory_mb=memory_mb, **kwargs)

    def record(student, rows):
        update_gradebook(out, student, rows)
        if feedback is not None:
            write_feedback(
                feedback, student, rows, title=source.stem, fmt=feedback_format
            )
        if progress is not None:
            progress(student, rows)

    if jobs <= 1 or len(todo) <= 1:
        for name, sub in todo:
            record(*_grade_rows(source, sub, name, kw))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [
                pool.submit(_grade_rows, source, sub, name, kw) for name, sub in todo
            ]
            for fut in as_completed(futures):
                record(*fut.result())
    if not Path(out).exists():
        write_gradebook(out, [])
    return read_gradebook(out)

"""The gradebook: one CSV row per (student, notebook, question), written atomically.

Columns: ``student, notebook, question, points, max_points, status, message, sandbox``
(``notebook`` is the source notebook's file stem; gradebooks written before it existed read
as ``""``; ``sandbox`` is how the submission ran: ``bubblewrap``, or ``off`` when graded
with ``--unsandboxed``).
A written answer's row waits with status ``needs manual grading`` and 0 points until the
instructor's points are merged (:mod:`.manual`); :func:`totals` leaves such rows out.
Columns a newer grader adds to its rows are kept, after these. Every write goes to a
temporary file in the same folder, then :func:`os.replace` swaps it in, so an interrupted run
never leaves a half-written gradebook. Re-grading a student's notebook replaces all of that
student's rows for it (no stale grades); use one gradebook per assignment.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from dlcourse_instructor.grading.atomic import write_atomically
from dlcourse_instructor.grading.execute import GRADER_ERROR, NOT_SUBMITTED
from dlcourse_instructor.grading.manual import MANUAL

COLUMNS = [
    "student",
    "notebook",
    "question",
    "points",
    "max_points",
    "status",
    "message",
    "sandbox",  # "bubblewrap", or "off" when graded with --unsandboxed
]


def read_gradebook(path: str | Path) -> list[dict]:
    """The rows of a gradebook (``[]`` when the file does not exist)."""
    path = Path(path)
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for key in ("notebook", "sandbox"):
            if row.get(key) is None:
                row[key] = ""
        for key in ("points", "max_points"):
            row[key] = float(row[key]) if row.get(key) not in (None, "") else 0.0
    return rows


def graded_students(path: str | Path) -> set[str]:
    """Students that already have rows in the gradebook."""
    return {row["student"] for row in read_gradebook(path)}


def graded(rows) -> set[tuple[str, str]]:
    """``(student, notebook)`` pairs already graded (what ``--resume`` skips): those with a
    row that is neither "not submitted" (a notebook handed in since is graded on resume) nor
    "grader error" (a submission whose grading process died is graded again)."""
    return {
        (r["student"], r["notebook"])
        for r in rows
        if r["status"] not in (NOT_SUBMITTED, GRADER_ERROR)
    }


def same(row, student: str, notebook: str | None) -> bool:
    """Whether ``row`` belongs to ``student``'s ``notebook`` (``None``: any notebook; a row
    from a gradebook without the notebook column belongs to every notebook)."""
    return row["student"] == student and (
        notebook is None or row.get("notebook", "") in (notebook, "")
    )


def write_gradebook(path: str | Path, rows) -> None:
    """Write ``rows`` (dicts with :data:`COLUMNS`) atomically: temp file, fsync, ``os.replace``."""
    rows = list(rows)
    extra = [k for r in rows for k in r if k not in COLUMNS]
    text = io.StringIO(newline="")
    writer = csv.DictWriter(
        text, fieldnames=COLUMNS + list(dict.fromkeys(extra)), restval=""
    )
    writer.writeheader()
    for row in rows:
        row = dict(row)
        for key in ("points", "max_points"):
            row[key] = f"{float(row[key]):g}"
        writer.writerow(row)
    write_atomically(path, text.getvalue())


def update_gradebook(
    path: str | Path, student: str, rows, notebook: str | None = None
) -> list[dict]:
    """Replace ``student``'s rows (for ``notebook`` only, if given) by ``rows``; every other
    row is kept."""
    kept = [r for r in read_gradebook(path) if not same(r, student, notebook)]
    new = kept + [dict(r) for r in rows]
    write_gradebook(path, new)
    return new


def pending(row) -> bool:
    """A written answer that waits for the instructor's points: neither earned nor lost."""
    return row["status"] == MANUAL


def totals(rows) -> dict[str, tuple[float, float]]:
    """``{student: (points, max_points)}`` summed over the rows, the written answers that
    wait for grading by hand left out of both (:func:`awaiting`)."""
    out: dict[str, tuple[float, float]] = {}
    for r in rows:
        p, m = out.get(r["student"], (0.0, 0.0))
        if not pending(r):
            p, m = p + float(r["points"]), m + float(r["max_points"])
        out[r["student"]] = (p, m)
    return out


def awaiting(rows) -> tuple[int, float]:
    """``(answers, points)`` that wait for grading by hand in ``rows``."""
    waiting = [r for r in rows if pending(r)]
    return len(waiting), sum(float(r["max_points"]) for r in waiting)

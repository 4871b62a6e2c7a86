"""The gradebook: one CSV row per (student, question), written atomically.

Columns: ``student, question, points, max_points, status, message``. Every write goes to a
temporary file in the same folder, then :func:`os.replace` swaps it in, so an interrupted run
never leaves a half-written gradebook. Re-grading a student replaces all of that student's
rows (no stale grades); use one gradebook per assignment.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

COLUMNS = ["student", "question", "points", "max_points", "status", "message"]


def read_gradebook(path: str | Path) -> list[dict]:
    """The rows of a gradebook (``[]`` when the file does not exist)."""
    path = Path(path)
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for key in ("points", "max_points"):
            row[key] = float(row[key]) if row.get(key) not in (None, "") else 0.0
    return rows


def graded_students(path: str | Path) -> set[str]:
    """Students that already have rows in the gradebook (what ``--resume`` skips)."""
    return {row["student"] for row in read_gradebook(path)}


def write_gradebook(path: str | Path, rows) -> None:
    """Write ``rows`` (dicts with :data:`COLUMNS`) atomically: temp file, fsync, ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                row = dict(row)
                for key in ("points", "max_points"):
                    row[key] = f"{float(row[key]):g}"
                writer.writerow(row)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def update_gradebook(path: str | Path, student: str, rows) -> list[dict]:
    """Replace ``student``'s rows in the gradebook by ``rows``; other students keep theirs."""
    kept = [r for r in read_gradebook(path) if r["student"] != student]
    new = kept + [dict(r) for r in rows]
    write_gradebook(path, new)
    return new


def totals(rows) -> dict[str, tuple[float, float]]:
    """``{student: (points, max_points)}`` summed over the rows."""
    out: dict[str, tuple[float, float]] = {}
    for r in rows:
        p, m = out.get(r["student"], (0.0, 0.0))
        out[r["student"]] = (p + float(r["points"]), m + float(r["max_points"]))
    return out

"""Per-student feedback: the score and each question's status and message, never test code.

The messages are what the checks raised (``AssertionError: double fails on negative
numbers``); any line of a hidden test that a message happened to quote has already been
replaced by ``[hidden test]`` when grading (:func:`dlcourse_instructor.grading.execute._error_text`).
A written answer that waits for grading by hand counts in neither the score nor its total: the
feedback says how many points still wait; once graded, its points and the instructor's comment
are shown like any other question's.
"""

from __future__ import annotations

import html
from pathlib import Path

from dlcourse_instructor.grading.gradebook import awaiting, pending


def _score(rows) -> tuple[float, float, str]:
    """``(points, out of, what still waits)`` over the rows judged so far."""
    judged = [r for r in rows if not pending(r)]
    answers, points = awaiting(rows)
    waits = (
        f"{points:g} more points ({answers} written answer{'s' * (answers != 1)}) "
        "await grading by hand"
        if answers
        else ""
    )
    return (
        sum(float(r["points"]) for r in judged),
        sum(float(r["max_points"]) for r in judged),
        waits,
    )


def _points(r) -> str:
    got = "–" if pending(r) else f"{float(r['points']):g}"
    return f"{got} / {float(r['max_points']):g}"


STATUS_WORDS = {
    "passed": "✓ passed",
    "failed": "✗ failed",
    "not implemented": "✗ not implemented yet",
    "timed out": "✗ ran too long (timeout)",
    "timeout": "✗ ran too long (timeout)",
    "kernel died": "✗ the kernel died",
    "memory limit": "✗ used too much memory",
    "system exit": "✗ called sys.exit / exit()",
    "unreadable": "✗ the file could not be read as a notebook",
    "output limit": "✗ printed too much",
    "sandbox denied": "✗ did something the grading sandbox does not allow",
    "not submitted": "✗ not handed in",
    "needs manual grading": "… to be graded by hand (not counted yet)",
    "graded by hand": "✓ graded by hand",
    "not answered": "✗ not answered",
    "grader error": "✗ did not run",
}


def _several_notebooks(rows) -> bool:
    return len({r.get("notebook", "") for r in rows}) > 1


def _question(r, notebook: bool) -> str:
    return f"{r['notebook']}: {r['question']}" if notebook else r["question"]


def feedback_markdown(student: str, rows, title: str = "") -> str:
    """Markdown feedback for one student from their gradebook rows (all notebooks)."""
    rows = list(rows)
    got, total, waits = _score(rows)
    several = _several_notebooks(rows)
    lines = [
        f"# Feedback for {student}" + (f" — {title}" if title else ""),
        "",
        f"**Score: {got:g} / {total:g}**" + (f" ({waits})" if waits else ""),
        "",
        "| question | points | result | message |",
        "|---|---|---|---|",
    ]
    for r in rows:
        msg = "" if pending(r) else str(r.get("message", ""))
        msg = msg.replace("|", "\\|").replace("\n", " ")
        lines.append(
            f"| {_question(r, several)} | "
            f"{_points(r)} | "
            f"{STATUS_WORDS.get(r['status'], r['status'])} | {msg} |"
        )
    return "\n".join(lines) + "\n"


def feedback_html(student: str, rows, title: str = "") -> str:
    """The same feedback as a standalone HTML page."""
    rows = list(rows)
    got, total, waits = _score(rows)
    e = html.escape
    several = _several_notebooks(rows)
    body = "".join(
        f"<tr><td>{e(_question(r, several))}</td><td>{_points(r)}</td>"
        f"<td>{e(STATUS_WORDS.get(r['status'], r['status']))}</td><td>{'' if pending(r) else e(str(r.get('message', '')))}</td></tr>"
        for r in rows
    )
    head = f"Feedback for {e(student)}" + (f" — {e(title)}" if title else "")
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{head}</title></head><body>"
        f"<h1>{head}</h1><p><strong>Score: {got:g} / {total:g}</strong>"
        f"{e(f' ({waits})') if waits else ''}</p>"
        "<table border='1'><tr><th>question</th><th>points</th><th>result</th><th>message</th></tr>"
        f"{body}</table></body></html>\n"
    )


def write_feedback(
    directory: str | Path, student: str, rows, title: str = "", fmt: str = "md"
) -> Path:
    """Write ``DIR/<student>.md`` (or ``.html``) and return its path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        path = directory / f"{student}.html"
        path.write_text(feedback_html(student, rows, title), encoding="utf-8")
    else:
        path = directory / f"{student}.md"
        path.write_text(feedback_markdown(student, rows, title), encoding="utf-8")
    return path

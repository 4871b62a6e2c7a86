"""The review file ``grades.review.md``: every written answer, for the instructor to grade.

Per notebook and question: the prompt, the model answer and the rubric (from the source:
the instructor's own Markdown, shown quoted), then one section per student with what is
entered so far and the student's text **verbatim and inert**: inside a fenced block whose
fence is longer than any run of backticks in the text, so no heading, HTML, link or fence
a student writes can leave it (the only change: NUL becomes U+FFFD, as CommonMark does).
Names, comments and paths are shown on one line with Markdown's and HTML's inline
punctuation backslash-escaped (:func:`inline`).
A text longer than :data:`~.manual.SHOWN_CHARS` characters is cut, and the file says so.

See chapter: For instructors (book/instructors.md).
"""

from __future__ import annotations

import re
from pathlib import Path

from dlcourse_instructor.grading.atomic import write_atomically
from dlcourse_instructor.grading.manual import (
    GRADED_BY_HAND,
    MANUAL,
    NOT_ANSWERED,
    SHOWN_CHARS,
    Entry,
    WrittenQuestion,
    submission_texts,
)

# what can start emphasis, code, links, HTML, entities or table cells inside a line (an
# inline text never starts a line, so list and heading markers there are harmless)
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]<>()#+!|~&])")


def inline(text) -> str:
    """``text`` on one line, with every character that Markdown or HTML could read inside a
    line backslash-escaped: plain text."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))


def fence(text: str) -> str:
    """``text`` in a fenced block it cannot close: the fence is longer than its longest run of
    backticks (at least three)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    body = text.replace("\x00", "\ufffd")
    return f"{ticks}text\n{body}{'' if body.endswith(chr(10)) else chr(10)}{ticks}"


def quoted(text: str) -> str:
    """The instructor's own Markdown as a block quote (its headings stay inside the quote)."""
    return "\n".join(f"> {line}".rstrip() for line in (text or "(none)").splitlines())


def _shown(text: str, where: str) -> str:
    if len(text) <= SHOWN_CHARS:
        return fence(text)
    return (
        f"*The answer has {len(text):,} characters; the first {SHOWN_CHARS:,} are shown "
        f"(cut here). The whole text is in {inline(where)}.*\n\n"
        + fence(text[:SHOWN_CHARS])
    )


def _answer(
    row: dict, entry: Entry | None, text, where: str, points_file: str
) -> list[str]:
    """One student's section."""
    status, most = row["status"], float(row["max_points"])
    if status == GRADED_BY_HAND and entry is not None and entry.points is not None:
        said = f"{entry.points:g} / {most:g} points, graded by hand ({points_file}, line {entry.line})"
        if entry.comment:
            said += f"; comment: {inline(entry.comment)}"
    elif status == MANUAL:
        line = f", line {entry.line}" if entry is not None else ""
        said = f"awaiting grading by hand (points blank in {points_file}{line})"
    elif status == NOT_ANSWERED:
        said = "not answered (0 points)"
    else:
        said = f"{inline(status)} ({float(row['points']):g} points)"
    lines = [f"#### {inline(row['student'])}: {said}", ""]
    if status in (MANUAL, GRADED_BY_HAND):
        if isinstance(text, str):
            lines += [_shown(text, where), ""]
        else:
            lines += [
                f"*{inline(text or 'the text of this answer cannot be found')}*",
                "",
            ]
    return lines


def review_markdown(
    rows,
    questions: list[WrittenQuestion],
    texts: dict[tuple[str, str], dict | str],
    where: dict[tuple[str, str], str],
    entries: dict[tuple[str, str, str], Entry],
    points_file: str,
    title: str = "",
) -> str:
    """The review file's text. ``texts[(student, notebook)]`` is ``{grade_id: text}`` or why
    there is none; ``where`` the submission's path."""
    points_file = inline(points_file)
    waiting = sum(r["status"] == MANUAL for r in rows)
    by_hand = sum(r["status"] == GRADED_BY_HAND for r in rows)
    lines = [
        f"# Written answers to grade by hand{f' — {inline(title)}' if title else ''}",
        "",
        f"{waiting} answer{'s' * (waiting != 1)} await{'s' * (waiting == 1)} grading by "
        f"hand, {by_hand} {'is' if by_hand == 1 else 'are'} graded. Type each answer's "
        f"points (and a comment, which the student gets as feedback) into {points_file}, "
        "then run the same `dlcourse grade` command again with `--resume`: the gradebook, "
        "the summary, the feedback and this file are brought up to date.",
        "",
    ]
    for q in questions:
        lines += [
            f"## {inline(q.notebook)} {inline(q.grade_id)} ({q.points:g} points)",
            "",
            "### The question",
            "",
            quoted(q.prompt),
            "",
            "### Model answer",
            "",
            quoted(q.model_answer),
            "",
            "### Rubric",
            "",
            quoted(q.rubric or "(the source gives no rubric line)"),
            "",
            "### Answers",
            "",
        ]
        mine = [
            r
            for r in rows
            if r.get("notebook", "") == q.notebook and r["question"] == q.grade_id
        ]
        if not mine:
            lines += ["*No submission yet.*", ""]
        for row in mine:
            key = (row["student"], q.notebook)
            found = texts.get(key)
            text = found.get(q.grade_id) if isinstance(found, dict) else found
            entry = entries.get((row["student"], q.notebook, q.grade_id))
            lines += _answer(
                row, entry, text, where.get(key, "the submission"), points_file
            )
    return "\n".join(lines).rstrip("\n") + "\n"


def write_review(
    path: str | Path,
    rows,
    questions: list[WrittenQuestion],
    sources: dict[str, object],
    submissions: dict[tuple[str, str], Path],
    entries: dict[tuple[str, str, str], Entry],
    points_file: str,
    title: str = "",
) -> Path:
    """Read the texts of the answers to show (never run them) and write the review file."""
    wanted = {
        (r["student"], r.get("notebook", ""))
        for r in rows
        if r["status"] in (MANUAL, GRADED_BY_HAND)
    }
    texts: dict[tuple[str, str], dict | str] = {}
    for key in wanted:
        if key in submissions and key[1] in sources:
            texts[key] = submission_texts(submissions[key], sources[key[1]])
        else:
            texts[key] = "the submission is not among the files given to this run"
    where = {k: str(p) for k, p in submissions.items()}
    text = review_markdown(rows, questions, texts, where, entries, points_file, title)
    path = Path(path)
    write_atomically(path, text)
    return path

"""Written answers, graded by hand: the students' texts, the points file and the review file.

A *written answer* is nbgrader's manually graded answer: a Markdown cell with ``grade`` and
``solution`` both true (grade_id ``qN_written``). In the instructor's source it holds the
model answer, then a line ``**Rubric:** …`` saying what earns the points; a student copy
says ``YOUR ANSWER HERE`` there. Next to the gradebook ``grades.csv`` the grader keeps

* ``grades.manual.csv``, the **points file** (:data:`COLUMNS`): one row per answer to grade,
  added with ``points`` blank; the instructor types ``points`` (and a ``comment``, which
  becomes the student's feedback). The grader only ever appends rows to it, atomically,
  and never changes one it finds;
* ``grades.review.md``, the **review file**, written again on every run: per question the
  prompt, the model answer and the rubric, then each student's text verbatim in a fence
  longer than any run of backticks in it (so nothing in it is Markdown or HTML), and the
  points entered so far.

Gradebook rows of a written answer: ``not answered`` (0 points: the cell still says
``YOUR ANSWER HERE``, is empty, or was deleted; as nbgrader scores an unchanged answer
cell 0), ``needs manual grading`` (0 points, awaiting the instructor: the summary and the
feedback count these points apart, never as lost) and ``graded by hand`` (the points of the
points file, its comment as the message). A student's text is only ever read, never run.

See chapter: For instructors (book/instructors.md).
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from dlcourse_instructor.grading.atomic import write_atomically
from dlcourse_instructor.grading.layout import GradingInputError
from dlcourse_instructor.grading.notebook import (
    BEGIN_SOLUTION,
    CODE_STUB,
    MARKDOWN_STUB,
    UnreadableNotebook,
    grade_id,
    is_grade,
    is_solution,
    nbgrader_meta,
    read_notebook,
    solution_code,
    strip_solutions,
)

MANUAL = "needs manual grading"
NOT_ANSWERED = "not answered"
GRADED_BY_HAND = "graded by hand"
NOT_ANSWERED_MESSAGE = (
    "no answer was written "
    "(the cell still says YOUR ANSWER HERE, is empty or was deleted)"
)
COLUMNS = ["student", "notebook", "question", "max_points", "points", "comment"]
# of a student's text in the review file; the rest is cut, and the file says so
SHOWN_CHARS = 20_000
# bytes: a bigger submission is not opened for its texts
LARGEST_SUBMISSION = 64 * 1024 * 1024
_RUBRIC = re.compile(r"^\s*(\*\*|__)?rubric\b", re.IGNORECASE | re.MULTILINE)
_QUESTION = re.compile(r"^(q\d+)(?:_|$)")


@dataclass(frozen=True)
class WrittenQuestion:
    notebook: str
    grade_id: str
    points: float
    prompt: str
    model_answer: str
    rubric: str


@dataclass(frozen=True)
class Entry:
    """What the instructor typed on one line of the points file (``points`` None: blank)."""

    line: int
    points: float | None
    comment: str


def is_written(cell) -> bool:
    """A manually graded answer (``grade`` and ``solution`` both true): in this course a
    Markdown cell; nbgrader also allows code."""
    return is_grade(cell) and is_solution(cell)


def split_model_answer(source: str) -> tuple[str, str]:
    """``(model answer, rubric)`` of a written answer's source: the rubric is the line that
    starts with ``**Rubric:**`` and what follows it ("" when there is none)."""
    text = solution_code(source)
    match = _RUBRIC.search(text)
    if match is None:
        return text.strip(), ""
    return text[: match.start()].strip(), text[match.start() :].strip()


def _prompt(cells, index: int, gid: str) -> str:
    """The question's prompt: the cell ``qN_prompt`` (or ``qN_question``), else the nearest
    Markdown cell above the answer."""
    match = _QUESTION.match(gid)
    if match:
        wanted = {f"{match.group(1)}_prompt", f"{match.group(1)}_question"}
        for cell in cells:
            if grade_id(cell) in wanted:
                return cell.source.strip()
    for cell in reversed(cells[:index]):
        if cell.cell_type == "markdown" and not is_solution(cell):
            return cell.source.strip()
    return ""


def written_questions(name: str, source_nb) -> list[WrittenQuestion]:
    """The written answers of the source notebook ``name``, in order (first of each grade_id)."""
    out, seen = [], set()
    for i, cell in enumerate(source_nb.cells):
        gid = grade_id(cell)
        if gid is None or gid in seen or not is_written(cell):
            continue
        seen.add(gid)
        try:
            points = float(nbgrader_meta(cell).get("points", 0) or 0)
        except (TypeError, ValueError):
            points = 0.0
        model, rubric = split_model_answer(cell.source)
        prompt = _prompt(source_nb.cells, i, gid)
        out.append(WrittenQuestion(name, gid, points, prompt, model, rubric))
    return out


def released(cell) -> str:
    """What a student copy holds in place of the answer cell (nbgrader's rule)."""
    if BEGIN_SOLUTION in cell.source:
        return strip_solutions(cell.source, cell.cell_type)
    return CODE_STUB if cell.cell_type == "code" else MARKDOWN_STUB


def answered(text: str | None, stub: str = MARKDOWN_STUB) -> bool:
    """Whether the student wrote something: not blank, not the release's ``stub``."""
    blank = ("", stub.strip(), MARKDOWN_STUB, CODE_STUB)
    return text is not None and text.strip() not in blank


def student_texts(source_nb, submission_nb) -> dict[str, str | None]:
    """``{grade_id: text}`` of each written answer in a submission: the first cell with that
    grade_id, whatever type the student gave it (``None`` where there is none)."""
    wanted = {grade_id(c) for c in source_nb.cells if is_written(c)}
    out: dict[str, str | None] = dict.fromkeys(wanted - {None})
    for cell in submission_nb.cells:
        gid = grade_id(cell)
        if gid in out and out[gid] is None:
            text = cell.get("source", "")
            out[gid] = text if isinstance(text, str) else ""
    return out


def submission_texts(path: str | Path, source_nb) -> dict[str, str | None] | str:
    """The written answers of the submission file ``path``, or why they cannot be shown."""
    try:
        size = Path(path).stat().st_size
        if size > LARGEST_SUBMISSION:
            return f"the submission is {size / 2**20:.0f} MiB; it is not opened here"
        return student_texts(source_nb, read_notebook(path))
    except (OSError, UnreadableNotebook) as exc:
        return f"the submission cannot be read ({exc})"


def paths(gradebook: str | Path) -> dict[str, Path]:
    """Where ``review`` (Markdown) and ``manual`` (the points file) go, next to the gradebook."""
    gradebook = Path(gradebook)
    stem = gradebook.with_suffix("") if gradebook.suffix == ".csv" else gradebook
    return {
        "review": stem.with_name(stem.name + ".review.md"),
        "manual": stem.with_name(stem.name + ".manual.csv"),
    }


# ------------------------------------------------------------------ the points file
def _number(text: str) -> float:
    value = float(text.replace(",", ".") if text.count(",") == 1 else text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def read_points(
    path: str | Path, questions: dict[tuple[str, str], float], students: set[str]
) -> dict[tuple[str, str, str], Entry]:
    """``{(student, notebook, question): Entry}`` of the points file (``{}`` if it does not
    exist). ``questions`` maps ``(notebook, grade_id)`` to the question's points. Anything
    wrong raises :class:`GradingInputError`: one sentence naming the file, line and problem."""
    path = Path(path)
    if not path.exists():
        return {}

    def bad(line: int, problem: str) -> GradingInputError:
        return GradingInputError(
            f"{path}, line {line}: {problem}; correct it and run the command again "
            "(nothing was graded, nothing in the file was changed)"
        )

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise GradingInputError(
            f"{path} cannot be read ({exc}); move it away"
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [
        c for c in ("student", "notebook", "question", "points") if c not in header
    ]
    if missing:
        raise bad(
            1,
            f"the columns {', '.join(missing)} are missing (want {','.join(COLUMNS)})",
        )
    entries: dict[tuple[str, str, str], Entry] = {}
    line = 1
    for row in reader:
        start, line = line + 1, reader.line_num
        values = {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)}
        if not any(values.values()):
            continue
        student, notebook, question = (
            values.get(k, "") for k in ("student", "notebook", "question")
        )
        what = f"{student}'s {notebook} {question}"
        if (notebook, question) not in questions:
            names = ", ".join(f"{n} {q}" for n, q in questions) or "none"
            raise bad(
                start,
                f"{notebook} {question} is not a written answer of this "
                f"assignment (its written answers: {names})",
            )
        if student not in students:
            raise bad(start, f"there is no student {student!r} in this assignment")
        key = (student, notebook, question)
        if key in entries:
            raise bad(
                start,
                f"a second row for {what} (the first is line "
                f"{entries[key].line}); keep one",
            )
        points, most = values.get("points", ""), questions[notebook, question]
        if points == "":
            entries[key] = Entry(start, None, values.get("comment", ""))
            continue
        try:
            value = _number(points)
        except ValueError:
            raise bad(
                start, f"the points {points!r} for {what} are not a number"
            ) from None
        if value < 0:
            raise bad(start, f"the points {points} for {what} are negative")
        if value > most:
            raise bad(
                start, f"the points {points} for {what} are more than its {most:g}"
            )
        entries[key] = Entry(start, value, values.get("comment", ""))
    return entries


def _key(row) -> tuple[str, str, str]:
    return row["student"], row.get("notebook", ""), row["question"]


def apply_points(rows, entries, points_file: str, questions) -> list[dict]:
    """The gradebook rows with the entered points merged: a written answer (its
    ``(notebook, grade_id)`` in ``questions``) with points becomes "graded by hand" (the
    comment is its message); one without goes back to waiting. Other rows are kept."""
    out = []
    for row in rows:
        if _key(row)[1:] not in questions:
            out.append(row)
            continue
        entry = entries.get(_key(row))
        status = row["status"]
        if (
            status in (MANUAL, GRADED_BY_HAND, NOT_ANSWERED)
            and entry
            and entry.points is not None
        ):
            message = (
                entry.comment or f"graded by hand ({points_file}, line {entry.line})"
            )
            row = {
                **row,
                "status": GRADED_BY_HAND,
                "points": entry.points,
                "message": message,
            }
        elif status in (MANUAL, GRADED_BY_HAND):
            message = f"awaiting grading by hand: enter the points in {points_file}"
            row = {**row, "status": MANUAL, "points": 0.0, "message": message}
        out.append(row)
    return out


def add_rows(path: str | Path, rows, questions) -> int:
    """Append to the points file a row (points blank) for each written answer (``questions``)
    that waits and has none; the file's own text is kept byte for byte. Creates it (header
    only if nothing waits). Returns how many rows were added."""
    path = Path(path)
    # bytes, not text mode: its line ends (a spreadsheet's \r\n) are kept as they are
    text = path.read_bytes().decode("utf-8") if path.exists() else ""
    header = (
        next(csv.reader([text.lstrip("\ufeff").splitlines()[0]]), []) if text else []
    )
    header = header or COLUMNS
    have = (
        {
            tuple((r.get(k) or "").strip() for k in ("student", "notebook", "question"))
            for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
        }
        if text
        else set()
    )
    new = [
        r
        for r in rows
        if r["status"] == MANUAL and _key(r)[1:] in questions and _key(r) not in have
    ]
    if text and not new:
        return 0
    end = "\r\n" if "\r\n" in text else "\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=header, restval="", extrasaction="ignore", lineterminator=end
    )
    if not text:
        writer.writeheader()
    elif not text.endswith(("\n", "\r")):
        buffer.write(end)
    for r in new:
        writer.writerow(
            {
                **r,
                "max_points": f"{float(r['max_points']):g}",
                "points": "",
                "comment": "",
            }
        )
    write_atomically(path, text + buffer.getvalue())
    return len(new)

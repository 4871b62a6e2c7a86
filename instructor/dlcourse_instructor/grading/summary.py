"""What a class did: a summary per question and a histogram of the students' totals.

Written next to the gradebook ``grades.csv``:

* ``grades.summary.csv``: one row per (notebook, question): ``notebook, question,
  max_points, students, mean_points, full_marks_share, most_common_failure,
  most_common_failure_count``, then one column per status (how many students got it);
* ``grades.summary.md``: the same table in Markdown, the class's totals and the histogram;
* ``grades.histogram.png``: the histogram of the students' totals over all notebooks.

A failure is a row with a message whose status says something about the answer: not
"passed", and none of :data:`NOT_ABOUT_THE_ANSWER` ("unreadable", "not submitted", "grader
error", "needs manual grading", "graded by hand": they say the same for every question of a
notebook, or are the instructor's comment). The most common failure is the message most
students got; on a tie, a "failed" one (a wrong answer) before the others, then the first in
gradebook order.

Written answers that wait for grading by hand ("needs manual grading") are neither earned nor
lost: the totals leave them out (out of the points judged so far) and say how many points
still wait; a question's mean and full-marks share are over the answers judged so far (empty
while none is).
"""

from __future__ import annotations

import csv
import statistics
from collections import Counter
from pathlib import Path

from dlcourse_instructor.grading.gradebook import awaiting, pending, totals

# the order statuses are listed in (any other status follows, alphabetically)
STATUS_ORDER = [
    "passed",
    "graded by hand",
    "failed",
    "not implemented",
    "not answered",
    "timed out",
    "memory limit",
    "kernel died",
    "output limit",
    "system exit",
    "unreadable",
    "sandbox denied",
    "not submitted",
    "needs manual grading",
    "grader error",
]
NOT_ABOUT_THE_ANSWER = {
    "graded by hand",  # its message is the instructor's comment
    "unreadable",
    "not submitted",
    "grader error",
    "needs manual grading",
}
FIXED = [
    "notebook",
    "question",
    "max_points",
    "students",
    "mean_points",
    "full_marks_share",
    "most_common_failure",
    "most_common_failure_count",
]


def statuses(rows) -> list[str]:
    """The statuses present in ``rows``, in :data:`STATUS_ORDER`."""
    present = {r["status"] for r in rows}
    known = [s for s in STATUS_ORDER if s in present]
    return known + sorted(present - set(STATUS_ORDER))


def summarize(rows) -> list[dict]:
    """One dict per (notebook, question), in gradebook order (see the module's docstring)."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r.get("notebook", ""), r["question"]), []).append(r)
    order = statuses(rows)
    out = []
    for (notebook, question), group in groups.items():
        max_points = max(float(r["max_points"]) for r in group)
        failures: Counter = Counter()
        wrong: set[str] = set()  # messages of "failed" rows
        for r in group:
            text = " ".join(str(r.get("message") or "").split())
            if (
                text
                and r["status"] != "passed"
                and r["status"] not in NOT_ABOUT_THE_ANSWER
            ):
                failures[text] += 1
                if r["status"] == "failed":
                    wrong.add(text)
        message, count = max(
            failures.items(), key=lambda mc: (mc[1], mc[0] in wrong), default=("", 0)
        )
        judged = [r for r in group if not pending(r)]
        full = sum(
            1 for r in judged if max_points > 0 and float(r["points"]) >= max_points
        )
        counts = Counter(r["status"] for r in group)
        out.append(
            {
                "notebook": notebook,
                "question": question,
                "max_points": max_points,
                "students": len(group),
                "mean_points": (
                    sum(float(r["points"]) for r in judged) / len(judged)
                    if judged
                    else None
                ),
                "full_marks_share": full / len(judged) if judged else None,
                "most_common_failure": message,
                "most_common_failure_count": count,
                **{s: counts.get(s, 0) for s in order},
            }
        )
    return out


def _waiting(cls: dict) -> str:
    """The sentence on the written answers that wait ("" when none does)."""
    n = cls["awaiting_answers"]
    if not n:
        return ""
    return (
        f" {cls['awaiting_points']:g} points ({n} written answer{'s' * (n != 1)}) "
        "await grading by hand, counted in no total yet."
    )


def _mean(q: dict) -> str:
    return "—" if q["mean_points"] is None else f"{q['mean_points']:.3g}"


def _share(q: dict) -> str:
    share = q["full_marks_share"]
    return "—" if share is None else f"{100 * share:.0f} %"


def _number(value) -> str:
    return "" if value is None else f"{value:.4g}"


def class_totals(rows) -> dict:
    """``students, max_total, mean, median, min, max`` of the students' totals (written
    answers awaiting grading by hand left out) and ``awaiting_answers``,
    ``awaiting_points``: how many answers and points of the class wait."""
    tot = totals(rows)
    points = [p for p, _ in tot.values()]
    answers, waiting = awaiting(rows)
    return {
        "awaiting_answers": answers,
        "awaiting_points": waiting,
        "students": len(tot),
        "max_total": max((m for _, m in tot.values()), default=0.0),
        "mean": statistics.fmean(points) if points else 0.0,
        "median": statistics.median(points) if points else 0.0,
        "min": min(points, default=0.0),
        "max": max(points, default=0.0),
    }


def markdown(rows, title: str = "", histogram: str | None = None) -> str:
    """The summary as Markdown: the class's totals, then one table row per question."""
    table = summarize(rows)
    cls = class_totals(rows)
    names = statuses(rows)
    lines = [
        f"# Summary{f' — {title}' if title else ''}",
        "",
        (
            f"{cls['students']} students; total out of {cls['max_total']:g}: mean "
            f"{cls['mean']:.3g}, median {cls['median']:g}, lowest {cls['min']:g}, "
            f"highest {cls['max']:g}.{_waiting(cls)}"
        ),
        "",
    ]
    if histogram:
        lines += [f"![Histogram of the students' totals]({histogram})", ""]
    head = ["notebook", "question", "mean", "full marks", *names, "most common failure"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for q in table:
        failure = q["most_common_failure"].replace("|", "\\|")
        if failure:
            failure = f"{failure} (×{q['most_common_failure_count']})"
        cells = [
            q["notebook"],
            q["question"],
            f"{_mean(q)} / {q['max_points']:g}",
            _share(q),
            *(str(q[s]) for s in names),
            failure,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def text(rows, width: int = 88) -> str:
    """The summary for a terminal, lines of at most ``width`` characters: per question its
    mean and share of full marks, its counts per status and its most common failure."""
    cls = class_totals(rows)
    out = [
        (
            f"{cls['students']} students, total out of {cls['max_total']:g}: mean "
            f"{cls['mean']:.3g}, median {cls['median']:g} (lowest {cls['min']:g}, "
            f"highest {cls['max']:g})"
        )
    ]
    if cls["awaiting_answers"]:
        out.append(" " + _waiting(cls).strip())
    names = statuses(rows)
    for q in summarize(rows):
        name = f"{q['notebook']}/{q['question']}".lstrip("/")
        out.append(
            f"  {name}: mean {_mean(q)}/{q['max_points']:g}, full marks {_share(q)}"
        )
        out.append("      " + ", ".join(f"{q[s]} {s}" for s in names if q.get(s)))
        if q["most_common_failure"]:
            line = (
                f"      most common failure (×{q['most_common_failure_count']}): "
                f"{q['most_common_failure']}"
            )
            out.append(line if len(line) <= width else line[: width - 1] + "…")
    return "\n".join(out)


def histogram(rows, path: str | Path, title: str = "") -> Path:
    """A PNG histogram of the students' totals (Agg, no pyplot: no global state touched)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    tot = totals(rows)
    points = sorted(p for p, _ in tot.values())
    cls = class_totals(rows)
    top = cls["max_total"] or max(points, default=1.0) or 1.0
    if all(float(p).is_integer() for p in points) and top <= 50:
        bins = [b - 0.5 for b in range(int(top) + 2)]  # one bar per possible total
    else:
        bins = [top * i / 20 for i in range(21)]
    fig = Figure(figsize=(6.4, 4.0), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.hist(points, bins=bins, color="#4878a8", edgecolor="white")
    if points:
        ax.axvline(
            cls["mean"],
            color="#c03030",
            linestyle="--",
            label=f"mean {cls['mean']:.3g}",
        )
        ax.legend(loc="best")
    ax.set_xlim(bins[0], bins[-1])
    ax.set_xlabel(f"total points (out of {top:g})")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    head = f"{title}: " if title else ""
    ax.set_title(
        f"{head}totals of n = {cls['students']} students, mean {cls['mean']:.3g}"
    )
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, format="png")
    return path


def paths(gradebook: str | Path) -> dict[str, Path]:
    """Where the summary files of ``gradebook`` go: ``csv``, ``md`` and ``png``."""
    gradebook = Path(gradebook)
    stem = gradebook.with_suffix("") if gradebook.suffix == ".csv" else gradebook
    return {
        "csv": stem.with_name(stem.name + ".summary.csv"),
        "md": stem.with_name(stem.name + ".summary.md"),
        "png": stem.with_name(stem.name + ".histogram.png"),
    }


def write_summary(gradebook: str | Path, rows, title: str = "") -> dict[str, Path]:
    """Write the summary CSV, the Markdown summary and the histogram next to ``gradebook``."""
    out = paths(gradebook)
    table = summarize(rows)
    with out["csv"].open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIXED + statuses(rows))
        writer.writeheader()
        for q in table:
            writer.writerow(
                {
                    **q,
                    "max_points": f"{q['max_points']:g}",
                    "mean_points": _number(q["mean_points"]),
                    "full_marks_share": _number(q["full_marks_share"]),
                }
            )
    histogram(rows, out["png"], title)
    out["md"].write_text(markdown(rows, title, out["png"].name), encoding="utf-8")
    return out

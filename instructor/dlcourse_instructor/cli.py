"""The ``dlcourse`` command: ``dlcourse release`` and ``dlcourse grade`` for instructors.

    dlcourse release exercises/01_neuron.ipynb --out release/ [--graded]
    dlcourse grade exercises/01_neuron.ipynb submissions/*.ipynb --out grades.csv \\
        --timeout 30 --jobs 2 --feedback feedback/ --memory-mb 2048
    dlcourse grade --source source/ps1/a.ipynb --source source/ps1/b.ipynb submitted/ \\
        --assignment ps1 --out ps1.csv

(``python -m dlcourse_instructor.cli`` works the same.) See chapter: For instructors (book/instructors.md).
"""

from __future__ import annotations

import argparse
import sys

GRADE_HELP = """\
Grade the submissions of an assignment: one row per (student, notebook, question) in the
gradebook CSV, a per-question summary and a histogram of the totals next to it
(CSV.summary.csv, CSV.summary.md, CSV.histogram.png).

The assignment's sources: the first argument (a notebook, or a folder of them), or every
--source (repeatable). Submissions are found in these forms (folders are searched
recursively; a notebook's name is its file name without .ipynb):

  submitted/<student>/<assignment>/<notebook>.ipynb   nbgrader's layout
  <student>/<notebook>.ipynb                           one folder per student
  <notebook>/<student>.ipynb                           one folder per notebook
  <student>.ipynb                                      one source notebook only

Written answers (graded by hand) wait with 0 points, counted in no total, until you type
their points into CSV.manual.csv (a row per answer; the review file CSV.review.md shows
each student's text with the model answer and rubric) and run the command again with
--resume: every run merges the points typed so far into the gradebook.

A student who handed in some notebooks but not others gets "not submitted" rows; a file that
is not a notebook gets "unreadable" rows. Each submission runs in a fresh process and kernel,
at most --jobs at once; one that crashes its grader gets "grader error" rows and the batch
goes on.

examples:
  dlcourse grade exercises/01_neuron.ipynb submissions/ --out grades.csv --jobs 2
  dlcourse grade --source source/ps1/a.ipynb --source source/ps1/b.ipynb \\
      submitted/ --assignment ps1 --out ps1.csv --feedback feedback/
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlcourse", description=__doc__.splitlines()[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)

    rel = sub.add_parser(
        "release",
        help="write student copies of source notebooks (practice copies by default)",
    )
    rel.add_argument("sources", nargs="+", metavar="SOURCE")
    rel.add_argument("--out", required=True, metavar="DIR")
    mode = rel.add_mutually_exclusive_group()
    mode.add_argument(
        "--practice",
        dest="graded",
        action="store_false",
        help="stubs, visible checks, hints and qN.solution() (the default)",
    )
    mode.add_argument(
        "--graded",
        dest="graded",
        action="store_true",
        help="for an assignment: no reference solution anywhere in the copy",
    )
    rel.set_defaults(graded=False)  # practice (both flags share `graded`: say it once)

    gr = sub.add_parser(
        "grade",
        help="autograde the submissions of an assignment (one or more notebooks)",
        usage=(
            "dlcourse grade SOURCE SUBMISSION [SUBMISSION ...] --out CSV [options]\n"
            "       dlcourse grade --source SOURCE [--source SOURCE ...] "
            "SUBMISSION [SUBMISSION ...] --out CSV [options]"
        ),
        description=GRADE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    gr.add_argument(
        "paths",
        nargs="+",
        metavar="SUBMISSION",
        help="submission files, or folders of them (searched recursively); without "
        "--source the first argument is the SOURCE: a source notebook, or a folder "
        "whose notebooks are the assignment's sources",
    )
    gr.add_argument(
        "--source",
        action="append",
        metavar="SOURCE",
        help="a source notebook (or a folder of them) of the assignment; repeat it for "
        "an assignment of several notebooks; then every positional argument is a "
        "submission",
    )
    gr.add_argument(
        "--assignment",
        metavar="NAME",
        help="in nbgrader's layout, grade only submitted/<student>/NAME/",
    )
    gr.add_argument(
        "--out", required=True, metavar="CSV", help="the gradebook to write/update"
    )
    gr.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="per-cell time limit in seconds (default 30)",
    )
    gr.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="submissions graded at once, each in its own process and kernel (default 1)",
    )
    gr.add_argument(
        "--feedback", metavar="DIR", help="write per-student feedback files here"
    )
    gr.add_argument("--feedback-format", choices=["md", "html"], default="md")
    gr.add_argument(
        "--memory-mb",
        type=float,
        default=2048,
        metavar="M",
        help="address-space limit of each submission's kernel in MiB (0: none)",
    )
    gr.add_argument(
        "--resume",
        action="store_true",
        help="skip (student, notebook) pairs already graded in the gradebook (not those "
        "whose rows all say 'not submitted' or 'grader error')",
    )
    gr.add_argument(
        "--unsandboxed",
        action="store_true",
        help="run submissions without the bubblewrap sandbox (no isolation: only where "
        "bubblewrap cannot be installed); the gradebook's sandbox column says 'off'",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from dlcourse_instructor import grading

    if args.command == "release":
        mode = "graded" if args.graded else "practice"
        for path in grading.release(args.sources, args.out, graded=args.graded):
            print(f"released {path} ({mode} copy)")
        return 0

    return _grade(args, grading)


def _grade(args, grading) -> int:
    from dlcourse_instructor.grading import manual, summary
    from dlcourse_instructor.grading.gradebook import awaiting, totals

    if args.source:
        sources, submissions = args.source, args.paths
    elif len(args.paths) < 2:
        return _error("give the SOURCE notebook and at least one SUBMISSION")
    else:
        sources, submissions = args.paths[:1], args.paths[1:]
    if not args.unsandboxed:
        from dlcourse_instructor.grading import sandbox

        why = sandbox.problem()
        if why is not None:
            fix = (
                "allow it"
                if sandbox.installed()
                else "install it (apt-get install bubblewrap)"
            )
            return _error(
                f"{why}, so the submissions cannot be isolated: {fix} "
                "or pass --unsandboxed to grade them without a sandbox"
            )
    else:
        print(
            "warning: grading without a sandbox (--unsandboxed): submissions run with "
            "your rights and can read, change or stop anything you can",
            file=sys.stderr,
        )
    count = 0

    def progress(student, rows):
        nonlocal count
        count += 1
        (got, total), (_, waiting) = totals(rows).get(student, (0, 0)), awaiting(rows)
        bad = sorted({r["status"] for r in rows} - {"passed"})
        print(
            f"[{count}] {student} {rows[0]['notebook'] if rows else ''}: "
            f"{got:g}/{total:g}"
            + (f" +{waiting:g} awaiting grading by hand" if waiting else "")
            + (f" ({', '.join(bad)})" if bad else ""),
            flush=True,
        )

    try:
        rows = grading.grade(
            sources,
            submissions,
            args.out,
            timeout=args.timeout,
            jobs=args.jobs,
            feedback=args.feedback,
            feedback_format=args.feedback_format,
            memory_mb=args.memory_mb or None,
            resume=args.resume,
            assignment=args.assignment,
            sandboxed=not args.unsandboxed,
            progress=progress,
            warn=lambda message: print(f"warning: {message}", file=sys.stderr),
        )
    except grading.GradingInputError as exc:
        return _error(str(exc))
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: {args.out} keeps the {count} submissions graded so far; "
            "run the same command with --resume to go on",
            file=sys.stderr,
        )
        return 130
    print(
        f"gradebook {args.out}: {len({r['student'] for r in rows})} students, "
        f"{len(rows)} rows"
    )
    if rows:
        print(summary.text(rows))
        files = summary.paths(args.out)
        print("summary: " + ", ".join(str(files[k]) for k in ("csv", "md", "png")))
    written = {manual.MANUAL, manual.GRADED_BY_HAND, manual.NOT_ANSWERED}
    if any(r["status"] in written for r in rows):
        by_hand, (count, points) = manual.paths(args.out), awaiting(rows)
        if count:
            print(
                f"{count} written answer{'s' * (count != 1)} ({points:g} points) "
                f"await{'s' * (count == 1)} grading by hand: review them in "
                f"{by_hand['review']}, enter the points in {by_hand['manual']}, then run "
                "the same command again with --resume"
            )
        else:
            print(
                "every written answer is graded (points from "
                f"{by_hand['manual']}; the answers are in {by_hand['review']})"
            )
    return 0


def _error(message: str) -> int:
    print(f"dlcourse grade: error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

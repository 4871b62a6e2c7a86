"""The ``dlcourse`` command: ``dlcourse release`` and ``dlcourse grade`` for instructors.

    dlcourse release exercises/01_neuron.ipynb --out release/
    dlcourse grade exercises/01_neuron.ipynb submissions/*.ipynb --out grades.csv \\
        --timeout 30 --jobs 2 --feedback feedback/ --memory-mb 2048

(``python -m dlcourse_instructor.cli`` works the same.) See chapter: For instructors (book/instructors.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _expand(paths) -> list[Path]:
    """Files as given; a folder stands for the notebooks inside it (recursively)."""
    out = []
    for p in map(Path, paths):
        out.extend(
            sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
            if p.is_dir()
            else [p]
        )
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlcourse", description=__doc__.splitlines()[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)

    rel = sub.add_parser("release", help="write student copies of source notebooks")
    rel.add_argument("sources", nargs="+", metavar="SOURCE")
    rel.add_argument("--out", required=True, metavar="DIR")

    gr = sub.add_parser("grade", help="autograde submissions against a source notebook")
    gr.add_argument("source", metavar="SOURCE")
    gr.add_argument(
        "submissions",
        nargs="+",
        metavar="SUBMISSION",
        help="notebook files, or folders of them",
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
        help="submissions graded in parallel",
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
        help="skip students who already have rows in the gradebook",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from dlcourse_instructor import grading

    if args.command == "release":
        for path in grading.release(args.sources, args.out):
            print(f"released {path}")
        return 0

    def progress(student, rows):
        got = sum(r["points"] for r in rows)
        total = sum(r["max_points"] for r in rows)
        bad = sorted({r["status"] for r in rows} - {"passed"})
        print(
            f"{student}: {got:g}/{total:g}" + (f" ({', '.join(bad)})" if bad else ""),
            flush=True,
        )

    rows = grading.grade(
        args.source,
        _expand(args.submissions),
        args.out,
        timeout=args.timeout,
        jobs=args.jobs,
        feedback=args.feedback,
        feedback_format=args.feedback_format,
        memory_mb=args.memory_mb or None,
        resume=args.resume,
        progress=progress,
    )
    print(
        f"gradebook {args.out}: {len({r['student'] for r in rows})} students, {len(rows)} rows"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

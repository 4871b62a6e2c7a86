"""Seconds per submission for `dlcourse grade` on a typical exercise notebook, and nbgrader's.

Grades N copies of a solved notebook (the committed source itself: full marks) with
`dlcourse_instructor.grading.grade`, sequentially and with `--jobs 2`, R times each, and reports
the median wall-clock seconds per submission (worker process, sandboxed kernel start, every
cell, the checks, the gradebook and the summary written). The student's own compute is the
notebook's run time in a warm kernel (every cell, the checks included), measured separately;
the grader's overhead is seconds per submission minus that compute. Then, if nbgrader is
importable, `nbgrader autograde` on the same copies in a course directory (after
`generate_assignment`), R times. Target: overhead ≤ 2 s per submission, sandbox included, on
2 cores. The sandbox is bubblewrap where it works here (else the run says so and grades
with `sandboxed=False`; `--unsandboxed` forces that).

    .venv/bin/python benchmarks/bench_grading.py [--n 6] [--repeats 3] [--jobs 1 2]
        [--source exercises/01_neuron.ipynb] [--unsandboxed] [--no-nbgrader] [--check]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlcourse_instructor.grading import grade, sandbox  # noqa: E402


def student_compute(source: Path, workdir: Path) -> float:
    """Seconds to run every cell of ``source`` in an already started kernel."""
    client = NotebookClient(
        nbformat.read(source, as_version=4),
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    )
    with client.setup_kernel():
        t0 = time.perf_counter()
        for i, cell in enumerate(client.nb.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, i)
        return time.perf_counter() - t0


def bench_dlcourse(
    source: Path, subs: list[Path], out: Path, jobs: int, sandboxed: bool
):
    """(seconds per submission, points, max points) of one `grade` run."""
    for f in out.parent.glob(out.stem + "*"):
        f.unlink()
    t0 = time.perf_counter()
    rows = grade(source, subs, out, timeout=60, jobs=jobs, sandboxed=sandboxed)
    wall = time.perf_counter() - t0
    return (
        wall / len(subs),
        sum(r["points"] for r in rows),
        sum(r["max_points"] for r in rows),
    )


def nbgrader_course(source: Path, subs: list[Path], course: Path) -> None:
    """nbgrader's course directory: source/ps1/, submitted/<student>/ps1/, the assignment generated."""
    (course / "source" / "ps1").mkdir(parents=True)
    shutil.copy(source, course / "source" / "ps1" / source.name)
    for sub in subs:
        dest = course / "submitted" / sub.stem / "ps1"
        dest.mkdir(parents=True)
        shutil.copy(sub, dest / source.name)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'bench'\n"
        "c.Exchange.root = " + repr(str(course / "exchange")) + "\n"
    )
    nbgrader(course, "generate_assignment", "ps1", "--force")


def nbgrader(course: Path, *args: str) -> None:
    # nbgrader runs `alembic` (its database migrations) from PATH: this Python's bin first
    env = dict(
        os.environ,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-2000:]}"
            f"{proc.stderr[-2000:]}"
        )


def bench_nbgrader(course: Path, n: int):
    """(seconds per submission, points, max points) of one `nbgrader autograde` run."""
    shutil.rmtree(course / "autograded", ignore_errors=True)
    t0 = time.perf_counter()
    nbgrader(course, "autograde", "ps1", "--force", "--create")
    wall = time.perf_counter() - t0
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        subs = [gb.find_submission("ps1", s.id) for s in gb.students]
        got = sum(s.score for s in subs)
        total = sum(s.max_score for s in subs)
    return wall / n, got, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=None)
    parser.add_argument("--n", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--unsandboxed", action="store_true")
    parser.add_argument("--no-nbgrader", action="store_true")
    parser.add_argument("--check", action="store_true", help="exit 1 if overhead > 2 s")
    args = parser.parse_args()
    sources = sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))
    source = Path(args.source) if args.source else (sources[0] if sources else None)
    if source is None:
        print("no exercise notebook found")
        return 1
    problem = sandbox.problem()
    sandboxed = not args.unsandboxed and problem is None
    if not args.unsandboxed and problem is not None:
        print(f"no sandbox here ({problem}): grading with sandboxed=False")
    nb = nbformat.read(source, as_version=4)
    name = source.relative_to(ROOT) if source.is_relative_to(ROOT) else source
    print(
        f"notebook: {name}, {args.n} solved copies, {args.repeats} repeats, "
        f"sandbox: {'bubblewrap' if sandboxed else 'off'}, {os.cpu_count()} CPUs"
    )
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subs = []
        for i in range(args.n):
            p = tmp / "subs" / f"student{i:02d}.ipynb"
            p.parent.mkdir(exist_ok=True)
            nbformat.write(nb, p)
            subs.append(p)
        compute = statistics.median(
            student_compute(source, tmp) for _ in range(args.repeats)
        )
        print(f"student's compute (warm kernel): {compute:.2f} s")
        for jobs in args.jobs:
            runs = [
                bench_dlcourse(
                    source, subs, tmp / "out" / "grades.csv", jobs, sandboxed
                )
                for _ in range(args.repeats)
            ]
            per = statistics.median(r[0] for r in runs)
            got, total = runs[-1][1], runs[-1][2]
            print(
                f"dlcourse grade --jobs {jobs}: {per:.2f} s per submission (runs: "
                f"{', '.join(f'{r[0]:.2f}' for r in runs)}), grader overhead "
                f"{per - compute:.2f} s, points {got:g}/{total:g}"
            )
            failed |= per - compute > 2.0 or any(r[1] != r[2] for r in runs)
        if args.no_nbgrader:
            pass
        elif not _have_nbgrader():
            print("nbgrader: not installed, skipped (pip install nbgrader)")
        else:
            course = tmp / "course"
            nbgrader_course(source, subs, course)
            runs = [bench_nbgrader(course, args.n) for _ in range(args.repeats)]
            per = statistics.median(r[0] for r in runs)
            print(
                f"nbgrader autograde (sequential, no sandbox): {per:.2f} s per submission "
                f"(runs: {', '.join(f'{r[0]:.2f}' for r in runs)}; the first also fills "
                f"its database), points {runs[-1][1]:g}/{runs[-1][2]:g}"
            )
    if failed:
        print("warning: over 2 s of overhead per submission, or not full marks")
    return 1 if args.check and failed else 0


def _have_nbgrader() -> bool:
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())

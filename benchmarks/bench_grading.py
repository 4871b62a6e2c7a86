"""Seconds per submission for `dlcourse grade` on a typical exercise notebook.

Grades N copies of a solved notebook (the committed source itself: full marks) sequentially
and reports wall-clock seconds per submission (kernel start, execution of every cell, CSV
write). The student's own compute is the notebook's run time in a warm kernel, measured
separately and subtracted to give the grader's overhead. Target: ≤ 2 s per submission on 2 cores.

    .venv/bin/python benchmarks/bench_grading.py [--n 6] [--source exercises/01_neuron.ipynb] [--check]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlcourse_instructor.grading import grade  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=None)
    parser.add_argument("--n", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="exit 1 if overhead > 2 s")
    args = parser.parse_args()
    sources = sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))
    source = Path(args.source) if args.source else (sources[0] if sources else None)
    if source is None:
        print("no exercise notebook found")
        return 1
    nb = nbformat.read(source, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subs = []
        for i in range(args.n):
            p = tmp / f"student{i:02d}.ipynb"
            nbformat.write(nb, p)
            subs.append(p)
        # the student's compute: the notebook run in an already started kernel
        client = NotebookClient(nbformat.read(source, as_version=4), timeout=120,
                                kernel_name="python3", resources={"metadata": {"path": str(tmp)}})
        with client.setup_kernel():
            t0 = time.perf_counter()
            for i, cell in enumerate(client.nb.cells):
                if cell.cell_type == "code":
                    client.execute_cell(cell, i)
            compute = time.perf_counter() - t0
        t0 = time.perf_counter()
        rows = grade(source, subs, tmp / "grades.csv", timeout=60, jobs=args.jobs)
        wall = time.perf_counter() - t0
    per = wall / args.n
    got = sum(r["points"] for r in rows)
    total = sum(r["max_points"] for r in rows)
    print(f"notebook: {source.relative_to(ROOT) if source.is_relative_to(ROOT) else source}")
    print(f"submissions: {args.n}, jobs: {args.jobs}, points {got:g}/{total:g}")
    print(f"seconds per submission: {per:.2f} (student's compute {compute:.2f} s, "
          f"grader overhead {per - compute:.2f} s)")
    if got != total:
        print("warning: the solved notebook did not get full marks")
    return 1 if args.check and (per - compute > 2.0 or got != total) else 0


if __name__ == "__main__":
    sys.exit(main())

"""A class of 200: time and memory of `dlcourse grade` over many solved submissions.

Runs `dlcourse grade` (as a separate process, `python -m dlcourse_instructor.cli`) on N copies
of a solved exercise notebook with `--jobs J`, and samples every `--every` seconds the resident
memory (RSS) of the grader process and of each of its descendants: the fork server, the worker
grading each submission, the sandbox (bubblewrap) and each kernel (told apart by its
connection file). The grader's progress lines date each submission, so the first and the last
50 submissions can be compared: memory is flat when the grader's RSS and the kernels' peaks
are no higher at the end than at the start. Not part of the test suite: it takes minutes.

    .venv/bin/python benchmarks/bench_class.py [--n 200] [--jobs 2] [--every 0.1]
        [--source exercises/01_neuron.ipynb] [--unsandboxed] [--keep DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024


def role(proc: psutil.Process) -> tuple[str, str | None]:
    """("kernel", connection file), ("sandbox", None), ("worker", None) or ("other", None)."""
    try:
        name, args = proc.name(), proc.cmdline()
    except psutil.Error:
        return "gone", None
    if name == "bwrap":
        return "sandbox", None
    conn = next(
        (b for a, b in itertools.pairwise(args) if a == "-f" and b.endswith(".json")),
        None,
    )
    if conn:
        return "kernel", conn
    if any("forkserver" in a for a in args):
        return (
            "worker",
            None,
        )  # the fork server and the workers it forks share its command
    return "other", None


class Sampler(threading.Thread):
    def __init__(self, pid: int, every: float):
        super().__init__(daemon=True)
        self.proc, self.every = psutil.Process(pid), every
        self.halt = threading.Event()
        self.samples = []  # (t, grader RSS, workers' RSS, largest worker RSS, total RSS, kernels)
        self.kernels: dict[
            str, dict
        ] = {}  # connection file -> first/last seen, peak RSS

    def run(self):
        while not self.halt.is_set():
            t = time.monotonic()
            try:
                grader = self.proc.memory_info().rss
                children = self.proc.children(recursive=True)
            except psutil.Error:
                break
            total, workers, biggest_worker, alive = grader, 0, 0, set()
            for child in children:
                kind, conn = role(child)
                try:
                    rss = child.memory_info().rss
                except psutil.Error:
                    continue
                total += rss
                if kind == "worker":
                    workers += rss
                    biggest_worker = max(biggest_worker, rss)
                elif kind == "kernel":  # a kernel's fork shares its connection file
                    alive.add(conn)
                    k = self.kernels.setdefault(conn, {"first": t, "peak": 0})
                    k["last"], k["peak"] = t, max(k["peak"], rss)
            self.samples.append((t, grader, workers, biggest_worker, total, len(alive)))
            time.sleep(self.every)


def window(samples, t0: float, t1: float, column: int) -> float:
    values = [s[column] for s in samples if t0 <= s[0] <= t1]
    return max(values, default=0) / MiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(ROOT / "exercises" / "01_neuron.ipynb"))
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--every", type=float, default=0.1, help="seconds between samples"
    )
    parser.add_argument("--unsandboxed", action="store_true")
    parser.add_argument(
        "--keep", metavar="DIR", help="copy the gradebook, summary and samples here"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-class-"))
    try:
        subs = tmp / "submissions"
        subs.mkdir()
        for i in range(args.n):
            shutil.copy(args.source, subs / f"student{i:03d}.ipynb")
        out = tmp / "out" / "grades.csv"
        cmd = [
            sys.executable,
            "-m",
            "dlcourse_instructor.cli",
            "grade",
            args.source,
            str(subs),
            "--out",
            str(out),
            "--jobs",
            str(args.jobs),
        ]
        if args.unsandboxed:
            cmd.append("--unsandboxed")
        t0 = time.monotonic()
        grader = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT
        )
        sampler = Sampler(grader.pid, args.every)
        sampler.start()
        done: list[float] = []  # when each submission's rows were written
        tail: list[str] = []
        for line in grader.stdout:
            if re.match(r"\[\d+\] ", line):
                done.append(time.monotonic())
            else:
                tail.append(line.rstrip())
        code = grader.wait()
        wall = time.monotonic() - t0
        sampler.halt.set()
        sampler.join()
        if code != 0 or len(done) != args.n:
            print("\n".join(tail[-20:]))
            print(
                f"dlcourse grade exited with {code} after {len(done)} of {args.n} submissions"
            )
            return 1
        from dlcourse_instructor.grading import read_gradebook

        rows = read_gradebook(out)
        got, total = sum(r["points"] for r in rows), sum(r["max_points"] for r in rows)
        s, kernels = (
            sampler.samples,
            sorted(sampler.kernels.values(), key=lambda k: k["first"]),
        )
        k = max(1, min(50, args.n // 2))  # the first and the last k submissions
        first, last = (t0, done[k - 1]), (done[-k - 1] if k < args.n else t0, done[-1])
        peaks = [k["peak"] / MiB for k in kernels]
        report = {
            "submissions": args.n,
            "jobs": args.jobs,
            "sandbox": "off" if args.unsandboxed else "bubblewrap",
            "points": f"{got:g}/{total:g}",
            "total_s": round(wall, 1),
            "per_submission_s": round(wall / args.n, 2),
            "kernels_seen": len(kernels),
            "most_kernels_at_once": max(x[5] for x in s),
            "peak_rss_mib": {
                "grader": round(max(x[1] for x in s) / MiB, 1),
                "largest_kernel": round(max(peaks), 1),
                "largest_worker": round(max(x[3] for x in s) / MiB, 1),
                "grader_and_all_children": round(max(x[4] for x in s) / MiB, 1),
            },
            f"first_{k}_vs_last_{k}_mib": {
                "grader_peak": [
                    round(window(s, *first, 1), 1),
                    round(window(s, *last, 1), 1),
                ],
                "all_processes_peak": [
                    round(window(s, *first, 4), 1),
                    round(window(s, *last, 4), 1),
                ],
                "kernel_peak_median": [
                    round(statistics.median(peaks[:k]), 1),
                    round(statistics.median(peaks[-k:]), 1),
                ],
                "kernel_peak_max": [
                    round(max(peaks[:k]), 1),
                    round(max(peaks[-k:]), 1),
                ],
            },
            f"seconds_first_{k}_vs_last_{k}": [
                round(first[1] - first[0], 1),
                round(last[1] - last[0], 1),
            ],
        }
        print("\n".join(tail[-3:]))
        for key, value in report.items():
            print(f"{key}: {json.dumps(value)}")
        if args.keep:
            keep = Path(args.keep)
            keep.mkdir(parents=True, exist_ok=True)
            for f in out.parent.iterdir():
                shutil.copy(f, keep / f.name)
            (keep / "samples.json").write_text(
                json.dumps(
                    {
                        "report": report,
                        "t0": t0,
                        "done": done,
                        "samples": s,
                        "kernels": kernels,
                    }
                )
            )
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""Execution time and peak memory of every notebook in the book (and exercises/).

Each notebook runs in a fresh kernel started by a fresh child process, so the peak resident
memory reported (``ru_maxrss`` of the finished kernel) belongs to that notebook alone.
Budgets (design.md): 45 s per notebook on 2 CPU cores, 2 GiB peak memory.

With ``--devices cpu cuda`` every notebook runs once per device (``DLCOURSE_DEVICE``) and the
table gains a CPU/GPU ratio per notebook: the per-chapter CPU-vs-GPU times of
benchmarks/README.md.

    .venv/bin/python benchmarks/chapters.py [NOTEBOOK ...] [--check] [--devices cpu cuda]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIME_BUDGET_S = 45.0
MEMORY_BUDGET_MIB = 2048.0


def run_one(path: Path) -> dict:
    """Execute one notebook (in this process's child kernel) and measure it."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    # Linux reports ru_maxrss in KiB; the kernel is this process's only (finished) child.
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "notebook": str(path.relative_to(ROOT)),
        "seconds": seconds,
        "peak_mib": peak_mib,
    }


def measure(path: Path, device: str | None = None) -> dict:
    env = dict(os.environ)
    if device is not None:
        env["DLCOURSE_DEVICE"] = (
            device  # read by dlcourse.device in the notebook's kernel
        )
    out = subprocess.run(
        [sys.executable, __file__, "--one", str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def device_table(paths: list[Path], devices: list[str]) -> None:
    """Each notebook's time on each device, and the first device's time over each other's."""
    times = {d: [measure(p, d)["seconds"] for p in paths] for d in devices}
    first = devices[0]
    heads = [f"{d} (s)" for d in devices] + [f"{first}/{d}" for d in devices[1:]]
    print("| notebook | " + " | ".join(heads) + " |")
    print("|---" * (len(heads) + 1) + "|")
    for i, p in enumerate(paths):
        cells = [f"{times[d][i]:.1f}" for d in devices]
        cells += [f"{times[first][i] / times[d][i]:.2f}" for d in devices[1:]]
        print(f"| {p.relative_to(ROOT)} | " + " | ".join(cells) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--devices",
        nargs="+",
        choices=["cpu", "cuda"],
        help="time every notebook on each device (DLCOURSE_DEVICE) and print a table",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a budget is exceeded"
    )
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one.resolve())))
        return 0
    paths = args.notebooks or sorted(ROOT.glob("book/*.ipynb")) + sorted(
        ROOT.glob("exercises/*.ipynb")
    )
    paths = [p.resolve() for p in paths]
    if args.devices:
        device_table(paths, args.devices)
        return 0
    rows = [measure(p) for p in paths]
    print(f"{'notebook':40s} {'time (s)':>9s} {'peak RSS (MiB)':>15s}  budget")
    over = 0
    for r in rows:
        ok = r["seconds"] <= TIME_BUDGET_S and r["peak_mib"] <= MEMORY_BUDGET_MIB
        over += not ok
        print(
            f"{r['notebook']:40s} {r['seconds']:9.1f} {r['peak_mib']:15.0f}  {'ok' if ok else 'OVER'}"
        )
    print(f"{'total':40s} {sum(r['seconds'] for r in rows):9.1f}")
    return 1 if (args.check and over) else 0


if __name__ == "__main__":
    sys.exit(main())

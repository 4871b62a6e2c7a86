"""Kernel launcher for grading: ``python -m dlcourse_instructor.grading.kernel [--memory-mb M] -f CONN``.

It caps the kernel process's address space (``RLIMIT_AS``) before starting an ordinary
IPython kernel, so a submission that allocates without bound gets a ``MemoryError`` (or,
at worst, a dead kernel) instead of exhausting the grading machine. ``--cpu-seconds`` caps
CPU time the same way (``RLIMIT_CPU``) as a backstop behind the per-cell timeout.
"""

from __future__ import annotations

import resource
import sys


def apply_limits(
    memory_mb: float | None = None, cpu_seconds: int | None = None
) -> None:
    """Set the address-space and CPU-time limits of the current process (and its children)."""
    if memory_mb:
        limit = int(memory_mb * 1024 * 1024)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if cpu_seconds:
        resource.setrlimit(
            resource.RLIMIT_CPU, (int(cpu_seconds), int(cpu_seconds) + 5)
        )


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    memory_mb = cpu_seconds = None
    rest = []
    it = iter(argv)
    for arg in it:
        if arg == "--memory-mb":
            memory_mb = float(next(it))
        elif arg == "--cpu-seconds":
            cpu_seconds = int(next(it))
        else:
            rest.append(arg)
    apply_limits(memory_mb, cpu_seconds)
    from ipykernel.kernelapp import launch_new_instance

    sys.argv = [sys.argv[0], *rest]
    launch_new_instance()


if __name__ == "__main__":
    main()

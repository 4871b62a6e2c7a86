"""Kernel launcher for grading: ``python kernel.py [limits] -f CONN [ipykernel options]``.

It sets the submission's limits on itself, then becomes an ordinary IPython kernel:

* ``--memory-mb M``: address space (``RLIMIT_AS``), so a hog gets a ``MemoryError`` (or, at
  worst, a dead kernel) instead of exhausting the grading machine;
* ``--cpu-seconds S``: CPU time (``RLIMIT_CPU``), a backstop behind the per-cell timeout;
* ``--max-processes N``: processes and threads (``RLIMIT_NPROC``), so a fork bomb stops at N;
* ``--max-file-mb F``: size of any one file written (``RLIMIT_FSIZE``: ``EFBIG`` past it);
* ``--uid U``: when started as root (the bubblewrap sandbox run by root), switch to the
  unprivileged uid/gid ``U`` first, because ``RLIMIT_NPROC`` does not apply to root.

The grader (:mod:`.sandbox`) starts a copy of this file, alone in its folder, as a script
(``python grading_kernel.py ...``), with or without the sandbox: inside the sandbox the
package ``dlcourse_instructor`` cannot be imported, so this file uses the standard library
and ipykernel only.
"""

from __future__ import annotations

import os
import resource
import sys

_MB = 1024 * 1024


def drop_privileges(uid: int) -> None:
    """Become ``uid``/``gid`` ``uid`` with no supplementary groups (only if root now)."""
    if os.getuid() == 0 or os.geteuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(
            uid
        )  # real, effective and saved: no way back; capabilities are cleared
        if os.getuid() != uid or os.geteuid() != uid:
            raise SystemExit(f"could not switch to uid {uid}")


def _set(which: int, soft: int, hard: int | None = None) -> None:
    resource.setrlimit(which, (soft, soft if hard is None else hard))


def apply_limits(
    memory_mb: float | None = None,
    cpu_seconds: int | None = None,
    max_processes: int | None = None,
    max_file_mb: float | None = None,
) -> None:
    """Set the limits of the current process (inherited by everything it starts)."""
    if memory_mb:
        _set(resource.RLIMIT_AS, int(memory_mb * _MB))
    if cpu_seconds:
        # soft: SIGXCPU (kills the kernel); hard, 5 s later: SIGKILL if SIGXCPU is caught
        _set(resource.RLIMIT_CPU, int(cpu_seconds), int(cpu_seconds) + 5)
    if max_processes:
        _set(resource.RLIMIT_NPROC, int(max_processes))
    if max_file_mb:
        _set(resource.RLIMIT_FSIZE, int(max_file_mb * _MB))
    _set(resource.RLIMIT_CORE, 0)  # no core dumps in the working directory


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    options = {
        "--memory-mb": float,
        "--cpu-seconds": int,
        "--max-processes": int,
        "--max-file-mb": float,
        "--uid": int,
    }
    given: dict[str, float | int] = {}
    rest = []
    it = iter(argv)
    for arg in it:
        if arg in options:
            given[arg[2:].replace("-", "_")] = options[arg](next(it))
        else:
            rest.append(arg)
    if "uid" in given:
        drop_privileges(int(given.pop("uid")))
    apply_limits(**given)  # type: ignore[arg-type]
    from ipykernel.kernelapp import launch_new_instance

    sys.argv = [sys.argv[0], *rest]
    launch_new_instance()


if __name__ == "__main__":
    main()

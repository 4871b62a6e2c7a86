"""The kernel a submission runs in (interface; the bubblewrap sandbox fills it in).

:func:`kernel_manager` returns a configured, not yet started ``AsyncKernelManager`` whose
kernel runs the submission with the given :class:`Limits`; :func:`stop` ends it and every
process it started. ``sandboxed=False`` is the explicit opt-out (no bubblewrap on the
machine), which the gradebook records.

See chapter: For instructors (book/instructors.md).
"""

from __future__ import annotations

import inspect
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

KERNEL_NAME = "dlcourse-grading"


@dataclass(frozen=True)
class Limits:
    """What one submission's kernel may use."""

    memory_mb: float | None = 2048
    cpu_seconds: int | None = None
    max_processes: int = 64
    max_file_mb: int = 64


def available() -> bool:
    """Whether bubblewrap is installed (``bwrap`` on PATH)."""
    return shutil.which("bwrap") is not None


def _write_kernelspec(directory: Path, limits: Limits) -> Path:
    argv = [sys.executable, "-m", "dlcourse_instructor.grading.kernel"]
    if limits.memory_mb:
        argv += ["--memory-mb", str(limits.memory_mb)]
    if limits.cpu_seconds:
        argv += ["--cpu-seconds", str(limits.cpu_seconds)]
    argv += ["-f", "{connection_file}"]
    spec_dir = directory / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": argv,
        "display_name": "dlcourse grading",
        "language": "python",
        "env": {
            "MALLOC_ARENA_MAX": "2",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "MPLBACKEND": "Agg",
            "PYTHONDONTWRITEBYTECODE": "1",
        },
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return directory / "kernels"


def kernel_manager(
    tmp: Path, workdir: Path, limits: Limits, sandboxed: bool = True
) -> AsyncKernelManager:
    """A kernel manager for one submission: connection files and IPC sockets under ``tmp``,
    the kernel's working directory ``workdir``."""
    ksm = KernelSpecManager(kernel_dirs=[str(_write_kernelspec(tmp, limits))])
    return AsyncKernelManager(
        kernel_name=KERNEL_NAME,
        kernel_spec_manager=ksm,
        transport="ipc",
        connection_file=str(tmp / "kernel.json"),
        ip=str(tmp / "ipc"),
    )


async def stop(km: AsyncKernelManager) -> None:
    """Shut the kernel down now, and everything it started."""
    try:
        if await km.is_alive():
            await km.shutdown_kernel(now=True)
    except Exception:
        pass
    cleanup = km.cleanup_resources()
    if inspect.isawaitable(cleanup):
        await cleanup

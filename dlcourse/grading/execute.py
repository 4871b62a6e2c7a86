"""Executing one submission, sandboxed as far as a process can be, and scoring its test cells.

Each submission runs

* in its own kernel, started by :mod:`dlcourse.grading.kernel` with an address-space limit;
* in a fresh, empty temporary working directory (never beside the source or other students);
* cell by cell with a per-cell timeout: a cell that runs too long is interrupted and grading
  goes on with the next cell (if the kernel ignores the interrupt it is restarted);
* with kernel death caught: the points earned before are kept, the remaining tests are marked.

This is *not* a security boundary: the student's code runs with the grader's user rights.
Run grading inside a container for isolation (see book/instructors.md).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbclient.util import run_sync

from dlcourse.grading.notebook import (
    FRESH_PACKAGES,
    UnreadableNotebook,
    assemble,
    grade_id,
    graded_cells,
    read_notebook,
)

KERNEL_NAME = "dlcourse-grading"
TIMEOUT_ENAME = "CellTimeout"

# statuses of a gradebook row
PASSED = "passed"
FAILED = "failed"
NOT_IMPLEMENTED = "not implemented"
TIMEOUT = "timeout"
KERNEL_DIED = "kernel died"
MEMORY = "memory limit"
SYSTEM_EXIT = "system exit"
UNREADABLE = "unreadable"
MANUAL = "needs manual grading"
GRADER_ERROR = "grader error"


@dataclass
class Result:
    """One gradebook row."""

    student: str
    question: str
    points: float
    max_points: float
    status: str
    message: str = ""

    def as_row(self) -> dict:
        return asdict(self)


def _write_kernelspec(
    directory: Path, memory_mb: float | None, cpu_seconds: int | None
) -> Path:
    argv = [sys.executable, "-m", "dlcourse.grading.kernel"]
    if memory_mb:
        argv += ["--memory-mb", str(memory_mb)]
    if cpu_seconds:
        argv += ["--cpu-seconds", str(cpu_seconds)]
    argv += ["-f", "{connection_file}"]
    spec_dir = directory / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": argv,
        "display_name": "dlcourse grading",
        "language": "python",
        # fewer malloc arenas and one BLAS thread: far less reserved address space under
        # RLIMIT_AS, and parallel jobs do not fight over the cores.
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


def _error_text(ename: str, evalue: str, hidden: tuple[str, ...]) -> str:
    text = f"{ename}: {evalue}".strip() if evalue else ename
    for line in hidden:  # never echo a hidden test's code back to the student
        if len(line) >= 6 and line in text:
            text = text.replace(line, "[hidden test]")
    return " ".join(text.split())[:500]


def _status_for(ename: str) -> str:
    if ename == TIMEOUT_ENAME:
        return TIMEOUT
    if ename == "NotImplementedError":
        return NOT_IMPLEMENTED
    if ename == "MemoryError":
        return MEMORY
    if ename == "SystemExit":
        return SYSTEM_EXIT
    return FAILED


def student_name(path: str | Path, source: str | Path) -> str:
    """The submission file's stem, or its folder's name if the file is named like the source."""
    path, source = Path(path), Path(source)
    if path.stem == source.stem and path.parent.name:
        return path.parent.name
    return path.stem


def grade_submission(
    source: str | Path,
    submission: str | Path,
    student: str | None = None,
    timeout: float = 30.0,
    memory_mb: float | None = 2048,
    fresh_packages=FRESH_PACKAGES,
    startup_timeout: float = 60.0,
    executed_path: str | Path | None = None,
) -> list[Result]:
    """Grade one submission against the instructor's source notebook.

    Returns one :class:`Result` per graded cell of the source (``grade: true``), in order.
    Nothing raises for a bad submission: every failure mode becomes a status.
    """
    source_nb = read_notebook(source)  # the instructor's file: errors here should raise
    questions = graded_cells(source_nb)
    student = student or student_name(submission, source)
    try:
        sub_nb = read_notebook(submission)
    except UnreadableNotebook as exc:
        return [
            Result(student, q.grade_id, 0.0, q.points, UNREADABLE, str(exc))
            for q in questions
        ]

    nb = assemble(source_nb, sub_nb, fresh_packages)
    outcome: dict[str, tuple[str, str]] = {}  # grade_id -> (status, message)
    wanted = {q.grade_id: q for q in questions}

    with tempfile.TemporaryDirectory(prefix="dlcourse-grade-") as tmp:
        tmp = Path(tmp)
        workdir = tmp / "work"
        workdir.mkdir()
        ksm = KernelSpecManager(
            kernel_dirs=[str(_write_kernelspec(tmp, memory_mb, None))]
        )
        km = AsyncKernelManager(
            kernel_name=KERNEL_NAME,
            kernel_spec_manager=ksm,
            transport="ipc",
            connection_file=str(tmp / "kernel.json"),
            ip=str(tmp / "ipc"),
        )
        client = NotebookClient(
            nb,
            km=km,
            timeout=timeout,
            startup_timeout=startup_timeout,
            interrupt_on_timeout=True,
            error_on_timeout={
                "ename": TIMEOUT_ENAME,
                "evalue": f"the cell ran longer than {timeout:g} s and was interrupted",
                "traceback": [],
            },
            allow_errors=False,
            raise_on_iopub_timeout=False,
            record_timing=False,
            shutdown_kernel="immediate",
            resources={"metadata": {"path": str(workdir)}},
        )
        died_at: str | None = None
        with client.setup_kernel(cwd=str(workdir)):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                gid = grade_id(cell)
                q = wanted.get(gid)
                try:
                    client.execute_cell(cell, index)
                    if q is not None:
                        outcome[gid] = (PASSED, "")
                except CellExecutionError as exc:
                    if exc.ename == TIMEOUT_ENAME:
                        _recover_after_timeout(client, timeout)
                    if q is not None:
                        outcome[gid] = (
                            _status_for(exc.ename),
                            _error_text(exc.ename, exc.evalue, q.hidden_lines),
                        )
                except (DeadKernelError, CellTimeoutError, RuntimeError):
                    # the kernel is gone (os._exit, a segfault, the memory limit hit in C code)
                    where = f"cell {index}" + (f" ({gid})" if gid else "")
                    died_at = f"the kernel died while running {where}"
                    if q is not None:
                        outcome[gid] = (KERNEL_DIED, died_at)
                    break
        if executed_path is not None:
            nbformat.write(nb, executed_path)

    results = []
    for q in questions:
        if not q.autograded:
            results.append(
                Result(
                    student,
                    q.grade_id,
                    0.0,
                    q.points,
                    MANUAL,
                    "this answer is graded by hand",
                )
            )
            continue
        if q.grade_id in outcome:
            status, message = outcome[q.grade_id]
        elif died_at is not None:
            status, message = KERNEL_DIED, died_at + "; this test did not run"
        else:
            status, message = GRADER_ERROR, "this test cell did not run"
        results.append(
            Result(
                student,
                q.grade_id,
                q.points if status == PASSED else 0.0,
                q.points,
                status,
                message,
            )
        )
    return results


def _recover_after_timeout(client: NotebookClient, timeout: float) -> None:
    """After an interrupted cell, make sure the kernel is idle again; restart it if not."""
    kc = client.kc
    try:
        msg_id = kc.execute("", silent=True, store_history=False)
        deadline = time.monotonic() + min(timeout, 5.0)
        while time.monotonic() < deadline:
            reply = run_sync(kc.get_shell_msg)(
                timeout=max(0.05, deadline - time.monotonic())
            )
            if reply["parent_header"].get("msg_id") == msg_id:
                return
    except Exception:
        pass
    # the interrupt did not stop it (signal ignored, long C call): a fresh kernel, same cwd
    run_sync(client.km.restart_kernel)(now=True)
    run_sync(kc.wait_for_ready)(timeout=60)


def cleanup_dir(path: str | Path) -> None:
    shutil.rmtree(path, ignore_errors=True)

"""Executing one submission in its sandbox and deciding each question's verdict.

Each submission runs

* in its own kernel inside the sandbox (:mod:`.sandbox`: bubblewrap, no network, its own
  PID namespace, limits on memory, CPU, processes and files), shut down right after it;
* in a fresh, empty working directory (never beside the source or other students);
* cell by cell with a per-cell timeout: a cell that runs too long is interrupted and grading
  goes on with the next cell (if the kernel ignores the interrupt it is restarted);
* with its output counted: past ``output_limit_mb`` the rest of the notebook is not run.

The test cells of the source are *not* run in the kernel. At each of them the grader asks the
kernel to observe the question's answer and judges the observations in its own process
(:mod:`.verdict`), so nothing a submission does in its kernel can forge a pass. Unlike
nbgrader, which gives zero to a test cell with any output on stderr (a warning is enough),
the verdict ignores stderr: a correct answer that warns gets its points (book/instructors.md,
"nbgrader compatibility").

Written answers (manually graded cells) are read, never run: their rows say "needs manual
grading" or, where the cell still says ``YOUR ANSWER HERE``, "not answered" (:mod:`.manual`).

See chapter: For instructors (book/instructors.md).
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbclient.util import run_sync

from dlcourse_instructor.answers import checks as question_checks
from dlcourse_instructor.grading import sandbox
from dlcourse_instructor.grading.manual import (
    MANUAL,
    NOT_ANSWERED,
    NOT_ANSWERED_MESSAGE,
    answered,
    is_written,
    released,
    student_texts,
)
from dlcourse_instructor.grading.notebook import (
    UnreadableNotebook,
    assemble,
    grade_id,
    graded_cells,
    read_notebook,
)
from dlcourse_instructor.grading.verdict import (
    Outcome,
    chapter_of,
    judge_question,
    question_of,
)

TIMEOUT_ENAME = "CellTimeout"

# statuses of a gradebook row
PASSED = "passed"
FAILED = "failed"
NOT_IMPLEMENTED = "not implemented"
TIMEOUT = "timed out"
KERNEL_DIED = "kernel died"
MEMORY = "memory limit"
OUTPUT_LIMIT = "output limit"
SYSTEM_EXIT = "system exit"
UNREADABLE = "unreadable"
SANDBOX_DENIED = "sandbox denied"
# set by the batch (.batch) for a notebook never handed in
NOT_SUBMITTED = "not submitted"
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
    sandbox: str = ""  # "bubblewrap", or "off" when graded with --unsandboxed

    def as_row(self) -> dict:
        return asdict(self)


def student_name(path: str | Path, source: str | Path) -> str:
    """The submission file's stem, or its folder's name if the file is named like the source."""
    path, source = Path(path), Path(source)
    if path.stem == source.stem and path.parent.name:
        return path.parent.name
    return path.stem


class _Client(NotebookClient):
    """nbclient's client with an output budget: past it, outputs are dropped, not kept."""

    output_budget: int = 0
    output_used: int = 0

    async def async_start_new_kernel_client(self):  # type: ignore[override]
        kc = await super().async_start_new_kernel_client()
        execute = kc.execute

        def execute_without_aborting(code, **options):
            # After an error ipykernel 7 aborts execute requests that reach it before its
            # "stop aborting" message: the grader's next cell, a race seen in CI. The grader
            # sends one request at a time, so it never needs queued requests aborted.
            options["stop_on_error"] = False
            return execute(code, **options)

        kc.execute = execute_without_aborting
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def output(self, outs, msg, display_id, cell_index):  # type: ignore[override]
        self.output_used += len(json.dumps(msg.get("content", {}), default=str))
        if self.output_used > self.output_budget:
            return None  # over budget: the grader keeps nothing more
        return super().output(outs, msg, display_id, cell_index)


def grade_submission(
    source: str | Path,
    submission: str | Path,
    student: str | None = None,
    timeout: float = 30.0,
    memory_mb: float | None = 2048,
    startup_timeout: float = 60.0,
    executed_path: str | Path | None = None,
    output_limit_mb: float = 8.0,
    sandboxed: bool = True,
    limits: sandbox.Limits | None = None,
) -> list[Result]:
    """Grade one submission against the instructor's source notebook.

    Returns one :class:`Result` per graded cell of the source (``grade: true``), in order.
    Nothing raises for a bad submission: every failure mode becomes a status.
    """
    source_nb = read_notebook(source)  # the instructor's file: errors here should raise
    questions = graded_cells(source_nb)
    chapter = chapter_of(source_nb)
    student = student or student_name(submission, source)
    mode = "bubblewrap" if sandboxed else "off"  # the gradebook's sandbox column
    try:
        sub_nb = read_notebook(submission)
    except UnreadableNotebook as exc:
        return [
            Result(student, q.grade_id, 0.0, q.points, UNREADABLE, str(exc), mode)
            for q in questions
        ]
    written = student_texts(source_nb, sub_nb)
    stubs = {grade_id(c): released(c) for c in source_nb.cells if is_written(c)}
    limits = limits or sandbox.Limits(memory_mb=memory_mb)
    nb = assemble(source_nb, sub_nb)
    source_tests = {
        grade_id(c): question_of(c)
        for c in source_nb.cells
        if c.cell_type == "code" and grade_id(c) is not None
    }
    outcome: dict[str, tuple[str, str]] = {}  # grade_id -> (status, message)
    wanted = {q.grade_id: q for q in questions if q.autograded}
    stopped: tuple[str, str] | None = None  # (status, message) for what did not run

    with tempfile.TemporaryDirectory(prefix="dlcourse-grade-") as tmp_name:
        tmp = Path(tmp_name)
        workdir = tmp / "work"
        workdir.mkdir()
        km = sandbox.kernel_manager(tmp, workdir, limits, sandboxed=sandboxed)
        client = _Client(
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
        client.output_budget = int(output_limit_mb * 1024 * 1024)
        try:
            with client.setup_kernel(cwd=str(workdir)):
                stopped = _run(
                    client, nb, chapter, source_tests, wanted, outcome, timeout
                )
        except Exception as exc:  # the kernel could not start: the sandbox refused it
            stopped = (
                SANDBOX_DENIED,
                f"the kernel did not start: {type(exc).__name__}: {exc}"[:300],
            )
        finally:
            run_sync(sandbox.stop)(
                km
            )  # this submission's kernel is gone before the next
        if executed_path is not None:
            nbformat.write(nb, executed_path)

    results = []
    for q in questions:
        if not q.autograded:  # a written answer: read, never run
            status, message = (
                (MANUAL, "awaiting grading by hand")
                if q.grade_id not in written
                or answered(written[q.grade_id], stubs[q.grade_id])
                else (NOT_ANSWERED, NOT_ANSWERED_MESSAGE)
            )
            results.append(
                Result(student, q.grade_id, 0.0, q.points, status, message, mode)
            )
            continue
        status, message = (
            outcome.get(q.grade_id)
            or stopped
            or (
                GRADER_ERROR,
                "this test cell did not run",
            )
        )
        points = q.points if status == PASSED else 0.0
        results.append(
            Result(student, q.grade_id, points, q.points, status, message, mode)
        )
    return results


def _run(client, nb, chapter, source_tests, wanted, outcome, timeout):
    """Run the notebook; judge each question at its test cell. Returns why it stopped early."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        gid = grade_id(cell)
        if (
            gid in wanted
        ):  # a test cell: the grader decides, the cell's code does not run
            outcome[gid] = _judge(
                client, index, chapter, source_tests.get(gid), timeout
            )
            if outcome[gid][0] == KERNEL_DIED:
                return KERNEL_DIED, outcome[gid][1] + "; this test did not run"
            continue
        try:
            client.execute_cell(cell, index)
        except CellExecutionError as exc:
            if exc.ename == TIMEOUT_ENAME:
                _recover_after_timeout(client, timeout)
        except (DeadKernelError, CellTimeoutError, RuntimeError):
            return (
                KERNEL_DIED,
                f"the kernel died while running cell {index}; this test did not run",
            )
        if client.output_used > client.output_budget:
            return (
                OUTPUT_LIMIT,
                "the notebook printed more than the output limit; the rest did not run",
            )
    return None


def _judge(client, index, chapter, question, timeout):
    """The (status, message) of one question, judged here on observations from the kernel."""
    if chapter is None or question is None:
        return (
            GRADER_ERROR,
            "this test cell does not name a dlcourse question (qN.check())",
        )
    q, checks = question_checks(chapter, question)

    def run_line(code: str):
        cell = nbformat.v4.new_code_cell(code)
        try:
            client.execute_cell(cell, index)
        except CellExecutionError as exc:
            if exc.ename == TIMEOUT_ENAME:
                _recover_after_timeout(client, timeout)
                raise Outcome(
                    TIMEOUT, f"`{q.variable}` ran longer than {timeout:g} s"
                ) from None
            if exc.ename == "SystemExit":
                raise Outcome(
                    SYSTEM_EXIT, f"`{q.variable}` called sys.exit()"
                ) from None
        except (DeadKernelError, CellTimeoutError, RuntimeError):
            raise Outcome(
                KERNEL_DIED, f"the kernel died while checking `{q.variable}`"
            ) from None
        if client.output_used > client.output_budget:
            raise Outcome(
                OUTPUT_LIMIT, f"`{q.variable}` printed more than the output limit"
            )
        return cell.outputs

    try:
        judge_question(q, checks, len(q.tests), run_line)
    except Outcome as out:
        return out.status, out.message
    except NotImplementedError as exc:
        return NOT_IMPLEMENTED, str(exc)
    except AssertionError as exc:
        return FAILED, " ".join(str(exc).split())[:500]
    return PASSED, ""


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

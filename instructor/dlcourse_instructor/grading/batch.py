"""Grading many submissions: one fresh worker process per submission, at most ``jobs`` at once.

Each submission is graded in its own short-lived process (forked from a ``forkserver`` that
has the grader imported already, so a start costs milliseconds): the worker's memory goes
back to the system after every submission, and at most ``jobs`` kernels are alive because
each worker runs one kernel and stops it before it exits. Nothing a worker does can stop the
batch: a worker that raises, is killed by a signal or is killed by the kernel's OOM killer
is reported to ``done`` with an error message, the processes it left behind (its kernel)
are killed before the next worker starts, and the batch goes on.

    run_batch(tasks, jobs=2, work=grade_rows, done=record)

``work(*args)`` runs in the worker and returns something picklable; ``done(key, result,
error)`` runs in the caller's process with ``error=None`` on success.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import signal
import sys
from collections import deque
from multiprocessing.connection import wait

import psutil  # type: ignore[import-untyped]

POLL_S = 0.2  # how often the workers' process trees are looked at
# set in each worker's environment, so whatever it starts carries the worker's pid
MARK = "DLCOURSE_GRADING_WORKER"

_PRELOAD = ["dlcourse_instructor.grading.execute"]


def _context():
    """A ``forkserver`` context that has the grader preloaded (``spawn`` where there is none)."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return mp.get_context("spawn")


def _die_with_parent() -> None:
    """Linux: this worker gets SIGKILL when its parent (the fork server) goes away."""
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _worker(conn, work, args) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the batch's to handle
    _die_with_parent()
    os.environ[MARK] = str(os.getpid())
    try:
        message = ("ok", work(*args))
    # a bug in grading one submission ends only that one
    except BaseException as exc:
        message = ("error", f"{type(exc).__name__}: {exc}"[:500])
    _kill(psutil.Process().children(recursive=True))  # nothing outlives the submission
    try:
        conn.send(message)
    finally:
        conn.close()


class _Job:
    def __init__(self, key, proc, conn):
        self.key, self.proc, self.conn = key, proc, conn
        self.message = None
        # the worker's descendants seen so far
        self.tree: dict[int, psutil.Process] = {}

    def look(self) -> None:
        try:
            for child in psutil.Process(self.proc.pid).children(recursive=True):
                self.tree.setdefault(child.pid, child)
        except psutil.Error:
            pass


def _death(exitcode) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the grading process was killed ({name}) while grading this submission"
    return f"the grading process ended (exit code {exitcode}) without a result"


def _leftovers(job: _Job) -> list[psutil.Process]:
    """Processes a finished worker left behind: its descendants seen while it ran and, if it
    died (a worker that ends kills its own), every process that carries its mark."""
    left = [p for p in job.tree.values() if _alive(p)]
    if job.proc.exitcode != 0:
        left += _marked({job.proc.pid}, skip={p.pid for p in left})
    return left


def _marked(workers: set[int], skip=()) -> list[psutil.Process]:
    """Live processes started by one of the ``workers`` (their environment says so)."""
    marks, out = {str(pid) for pid in workers}, []
    for p in psutil.process_iter():
        if p.pid in skip or p.pid == os.getpid():
            continue
        with contextlib.suppress(psutil.Error):
            if p.environ().get(MARK) in marks and _alive(p):
                out.append(p)
    return out


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _kill(procs) -> None:
    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(procs, timeout=5)


def run_batch(tasks, jobs: int, work, done, poll: float = POLL_S) -> None:
    """Run ``work(*args)`` for each ``(key, args)`` of ``tasks`` in fresh processes."""
    ctx = _context()
    pending = deque(tasks)
    running: dict[int, _Job] = {}  # sentinel -> job
    started: set[int] = set()  # every worker's pid
    try:
        while pending or running:
            while pending and len(running) < max(1, jobs):
                key, args = pending.popleft()
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_worker, args=(send, work, args))
                proc.start()
                started.add(proc.pid)
                send.close()
                running[proc.sentinel] = _Job(key, proc, recv)
            conns = {j.conn: j for j in running.values() if j.message is None}
            ready = wait(list(conns) + list(running), timeout=poll)
            for job in running.values():
                job.look()
            for obj in ready:
                reader = conns.get(obj)
                if reader is not None and reader.message is None:
                    try:
                        reader.message = reader.conn.recv()
                    except (EOFError, OSError):  # closed without a message
                        reader.message = ("dead", None)
            for sentinel in [s for s in ready if s in running]:
                job = running.pop(sentinel)
                if job.message is None and job.conn.poll():
                    with contextlib.suppress(EOFError, OSError):
                        job.message = job.conn.recv()
                job.proc.join()
                job.conn.close()
                _kill(_leftovers(job))  # before the next worker starts its kernel
                kind, value = job.message or ("dead", None)
                if kind == "ok":
                    done(job.key, value, None)
                elif kind == "error":
                    done(
                        job.key, None, f"the grader failed on this submission: {value}"
                    )
                else:
                    done(job.key, None, _death(job.proc.exitcode))
    finally:  # Ctrl-C or an error in `done`: no worker or kernel outlives the batch
        for job in running.values():
            job.look()
            job.proc.kill()
            job.proc.join()
            _kill(_leftovers(job))
        _kill(_marked(started))  # anything that slipped out of a worker's tree

"""The kernel a submission runs in: an IPython kernel inside a bubblewrap sandbox.

:func:`kernel_manager` returns a configured, not yet started ``AsyncKernelManager`` whose
kernel runs the submission with the given :class:`Limits`; :func:`stop` ends it and every
process it started. ``sandboxed=False`` is the explicit opt-out (no bubblewrap on the
machine: ``dlcourse grade --unsandboxed``), which the gradebook records.

Inside the sandbox (bubblewrap, ``bwrap``) the kernel has

* its own PID, network, IPC and UTS namespaces (and cgroup namespace where possible): it sees
  only its own processes in ``/proc``, can signal nothing outside, and has no network (a
  loopback of its own, with nothing listening);
* a read-only view of the system (``/usr`` and its ``/bin``, ``/lib*`` links, a few files of
  ``/etc``), of the Python installation and virtual environment, and of the learner package
  ``dlcourse``; nothing else of the machine: not the instructor's home, repository or
  exercises, not other submissions, and not the package ``dlcourse_instructor`` (which holds
  the hidden tests: masked where it is installed, not mounted where it is an editable install);
* two writable places: its working directory ``workdir`` and a private, size-limited ``/tmp``;
* the limits of :class:`Limits`, set by the launcher (a copy of :mod:`.kernel`) before the
  kernel starts. Run by root, bubblewrap makes no user namespace and the launcher switches
  to a uid of this sandbox's own (``UID_BASE`` + ...), because ``RLIMIT_NPROC`` never binds
  root; run by an ordinary user, the sandbox is an unprivileged user namespace, in which
  ``RLIMIT_NPROC`` counts the sandbox's processes only.

The grader talks to the kernel over ZeroMQ IPC sockets in a directory shared with the
sandbox (``tmp/kernel``); the kernel is interrupted by a message on its control channel
(a signal to bubblewrap would not reach it). When the kernel ends, bubblewrap's PID 1 dies
and the kernel takes every process of the namespace with it.

Not enforced: memory in total (``RLIMIT_AS`` is per process, so up to ``max_processes``
times ``memory_mb`` in principle; a cgroup would bound the sum), the disk used in
``workdir`` (only each file's size), and, run by root, a user namespace of the
submission's own inside (bubblewrap's ``--disable-userns`` needs the sandbox to be a user
namespace itself). ``/proc`` shows the machine's CPUs, memory and mount points.

See chapter: For instructors (book/instructors.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import inspect
import itertools
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

from dlcourse_instructor.grading.bwrap import (
    KERNEL_ENV,
    Limits,
    SandboxError,
    as_root,
    available,
    bwrap_args,
    installed,
    problem,
    write_launcher,
)

__all__ = [
    "KERNEL_NAME",
    "Limits",
    "SandboxError",
    "available",
    "installed",
    "kernel_manager",
    "problem",
    "stop",
]

KERNEL_NAME = "dlcourse-grading"
# As root, each sandbox runs as its own uid from here (never a real account's uid):
# RLIMIT_NPROC counts the processes of a uid, so no two sandboxes may share one.
UID_BASE = 1 << 30
_uid_counter = itertools.count()


def _launcher_args(
    limits: Limits, launcher: Path, sandboxed: bool, uid: int | None
) -> list[str]:
    """The kernel's command: the launcher (:mod:`.kernel`), its limits, ipykernel's options."""
    argv = [sys.executable, str(launcher)]
    if uid is not None:
        argv += ["--uid", str(uid)]
    if limits.memory_mb:
        argv += ["--memory-mb", str(limits.memory_mb)]
    if limits.cpu_seconds:
        argv += ["--cpu-seconds", str(limits.cpu_seconds)]
    if sandboxed:
        # Outside a sandbox RLIMIT_NPROC would count all the instructor's processes, and
        # the unsandboxed kernel keeps today's limits (address space and CPU time).
        if limits.max_processes:
            argv += ["--max-processes", str(limits.max_processes)]
        if limits.max_file_mb:
            argv += ["--max-file-mb", str(limits.max_file_mb)]
    argv += ["-f", "{connection_file}"]
    # no history database (nor the thread that writes it): grading never reads it back
    argv += ["--HistoryManager.enabled=False"]
    return argv


def _write_kernelspec(directory: Path, argv: list[str], sandboxed: bool) -> Path:
    spec_dir = directory / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": argv,
        "display_name": "dlcourse grading",
        "language": "python",
        "env": dict(KERNEL_ENV),
        # a signal to bubblewrap does not reach the kernel: interrupt by a control message
        "interrupt_mode": "message" if sandboxed else "signal",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return directory / "kernels"


# ------------------------------------------------------------------------ the kernel manager


class SandboxedKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose kernel starts inside bubblewrap (see the module)."""

    sandbox_error: Exception | None = None
    sandbox_uid: int | None = None
    sandbox_log: Path | None = None
    sandbox_dirs: tuple[Path, ...] = ()

    async def _async_pre_start_kernel(self, **kw):
        # The connection file lies in a folder the sandbox can write to: before a restart it
        # may have been replaced (by a link, say, which jupyter_client would resolve into the
        # kernel's command line). Remove whatever is there; jupyter_client writes it afresh
        # from what this manager knows.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.connection_file)
        self._connection_file_written = False
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        if self.sandbox_error is not None:
            error = self.sandbox_error
            if isinstance(error, SandboxError):
                raise SandboxError(str(error))
            raise SandboxError(f"the sandbox could not be prepared: {error}")
        if self.sandbox_uid is not None:
            # written 0600 by root: the kernel's uid must read it
            os.chown(
                self.connection_file,
                self.sandbox_uid,
                self.sandbox_uid,
                follow_symlinks=False,
            )
        _preflight(kernel_cmd)
        kw["env"] = _bwrap_env()
        if self.sandbox_log is not None and "stderr" not in kw:
            log = open(self.sandbox_log, "ab")  # noqa: SIM115 (the child keeps it)
            kw.update(stdout=log, stderr=subprocess.STDOUT)
            try:
                await super()._async_launch_kernel(kernel_cmd, **kw)
            finally:
                log.close()
        else:
            await super()._async_launch_kernel(kernel_cmd, **kw)


def _bwrap_env() -> dict[str, str]:
    """bubblewrap's own environment: none of the grader's (bubblewrap is PID 1 inside, and
    a sandbox run by an ordinary user could read its /proc/1/environ); the kernel's is set
    by ``--clearenv``/``--setenv``."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}


def _preflight(kernel_cmd: list[str]) -> None:
    """Set up the same sandbox around ``true``: if bubblewrap refuses, say why (a kernel that
    dies at once would only surface as "kernel died before replying")."""
    sep = kernel_cmd.index("--")
    try:
        run = subprocess.run(
            [*kernel_cmd[:sep], "--", "true"],
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise SandboxError(f"bubblewrap could not start the kernel: {exc}") from None
    if run.returncode != 0:
        why = " ".join(run.stderr.split()) or f"exit code {run.returncode}"
        raise SandboxError(f"bubblewrap refused to start the kernel: {why}")


def _new_uid() -> int:
    # unique among the sandboxes alive on this machine: pid (< 2**22) and a counter
    return UID_BASE + ((os.getpid() % (1 << 22)) << 8) + next(_uid_counter) % 256


def kernel_manager(
    tmp: Path, workdir: Path, limits: Limits, sandboxed: bool = True
) -> AsyncKernelManager:
    """A kernel manager for one submission: connection file and IPC sockets in ``tmp/kernel``
    (shared with the sandbox), the kernel's working directory ``workdir``. Not started."""
    tmp, workdir = Path(tmp).resolve(), Path(workdir).resolve()
    conn_dir = tmp / "kernel"
    conn_dir.mkdir(exist_ok=True)
    uid = _new_uid() if sandboxed and as_root() else None
    error = None
    launcher = tmp / "sandbox" / "launcher" / "grading_kernel.py"
    if sandboxed:
        try:
            if not installed():
                raise SandboxError("bubblewrap (bwrap) is not installed")
            args, launcher = bwrap_args(tmp, workdir, conn_dir, limits, uid)
            if uid is not None:
                for d in (conn_dir, workdir):
                    os.chown(d, uid, uid)
        except (OSError, SandboxError) as exc:
            # configured anyway: starting it raises this ("sandbox denied")
            args, error = ["bwrap"], exc
        argv = [*args, "--", *_launcher_args(limits, launcher, True, uid)]
    else:
        argv = _launcher_args(limits, write_launcher(tmp / "sandbox"), False, None)
    ksm = KernelSpecManager(kernel_dirs=[str(_write_kernelspec(tmp, argv, sandboxed))])
    cls = SandboxedKernelManager if sandboxed else AsyncKernelManager
    km = cls(
        kernel_name=KERNEL_NAME,
        kernel_spec_manager=ksm,
        transport="ipc",
        connection_file=str(conn_dir / "kernel.json"),
        ip=str(conn_dir / "ipc"),
    )
    if sandboxed:
        km.sandbox_error = error
        km.sandbox_uid = uid
        km.sandbox_log = tmp / "kernel.log"
        km.sandbox_dirs = (workdir, conn_dir)
    return km


# ------------------------------------------------------------------------------ stopping it


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(p) for p in text.split()]
    except OSError:
        pass
    out = []
    for entry in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(entry).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(entry.split("/")[2]))
    return out


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")  # a zombie: dead, waiting for its parent to collect it


def _namespace_init(km: AsyncKernelManager) -> list[int]:
    """The sandbox's PID 1 (bubblewrap's child), seen from here."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is None or process.poll() is not None:
        return []
    return _children(process.pid)


def _make_removable(dirs) -> None:
    """After the sandbox is gone: give every directory it made back u+rwx, so the grader can
    remove them (never following a link it left)."""

    def fix(path: str) -> None:
        try:
            st = os.lstat(path)
            if stat.S_ISDIR(st.st_mode) and st.st_mode & 0o700 != 0o700:
                os.chmod(path, stat.S_IMODE(st.st_mode) | 0o700)
        except OSError:
            pass

    for top in dirs:
        fix(str(top))
        for root, dirnames, _ in os.walk(top):  # never into links
            for name in dirnames:
                fix(os.path.join(root, name))  # before os.walk goes into it


async def stop(km: AsyncKernelManager) -> None:
    """Shut the kernel down now, and everything it started: killing the sandbox's PID 1 ends
    every process of its PID namespace; this returns once they are all gone."""
    inits = _namespace_init(km)
    try:
        if await km.is_alive():
            await km.shutdown_kernel(now=True)
    except Exception:
        pass
    for pid in inits:  # --die-with-parent has sent it SIGKILL already; be sure
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(not _gone(pid) for pid in inits) and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    cleanup = km.cleanup_resources()
    if inspect.isawaitable(cleanup):
        await cleanup
    if getattr(km, "sandbox_dirs", ()) and all(_gone(pid) for pid in inits):
        _make_removable(
            km.sandbox_dirs
        )  # nothing inside can swap a folder for a link now

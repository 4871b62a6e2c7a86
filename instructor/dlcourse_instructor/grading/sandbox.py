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
import functools
import glob
import importlib.util
import inspect
import itertools
import json
import os
import re
import shutil
import signal
import site
import stat
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

KERNEL_NAME = "dlcourse-grading"
LAUNCHER = Path(__file__).with_name("kernel.py")  # standard library only: see its doc
INSTRUCTOR_PACKAGE = "dlcourse_instructor"
LEARNER_PACKAGE = "dlcourse"

# The kernel's environment (sandboxed or not): one BLAS/OpenMP thread, no GUI backend.
KERNEL_ENV = {
    "MALLOC_ARENA_MAX": "2",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
    "PYTHONDONTWRITEBYTECODE": "1",
}
# Passed from the grader's environment into the sandbox (everything else is cleared).
PASS_ENV = ("PYTHONHASHSEED", "TZ")
# Files of /etc the kernel may read (those that exist): the dynamic linker, time zone,
# name service switch, MIME types, fonts, Debian's alternatives (links from /usr/bin).
ETC = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "nsswitch.conf",
    "mime.types",
    "fonts",
    "alternatives",
)
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# As root, each sandbox runs as its own uid from here (never a real account's uid):
# RLIMIT_NPROC counts the processes of a uid, so no two sandboxes may share one.
UID_BASE = 1 << 30
_uid_counter = itertools.count()


class SandboxError(RuntimeError):
    """The sandbox could not start the kernel (bubblewrap refused): "sandbox denied"."""


@dataclass(frozen=True)
class Limits:
    """What one submission's kernel may use."""

    memory_mb: float | None = 2048  # address space of each process (RLIMIT_AS)
    cpu_seconds: int | None = 600  # CPU time of each process (RLIMIT_CPU): a backstop
    max_processes: int = 64  # processes and threads of the sandbox (RLIMIT_NPROC)
    max_file_mb: int = 64  # size of any one file it writes (RLIMIT_FSIZE)
    tmp_mb: int = 256  # size of its private /tmp and /dev/shm (tmpfs)


# ---------------------------------------------------------------------------- availability


@functools.cache
def problem() -> str | None:
    """Why the sandbox cannot run here (``None`` if it can): bubblewrap missing or refused."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    if "--perms" not in _options():
        return "this bubblewrap is too old (0.5 or newer is needed)"
    args = [bwrap, *_namespace_args(), *_system_args(), *_tmpfs_args(Limits())]
    args += ["--", "true"]
    try:
        run = subprocess.run(
            args, check=False, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bubblewrap does not run: {exc}"
    if run.returncode != 0:
        why = " ".join(run.stderr.split()) or f"exit code {run.returncode}"
        return f"bubblewrap cannot create a sandbox on this machine ({why})"
    return None


@functools.cache
def _options() -> frozenset[str]:
    """The options this bubblewrap knows (``--size`` and ``--disable-userns`` need 0.8)."""
    try:
        text = subprocess.run(
            [shutil.which("bwrap") or "bwrap", "--help"],
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(re.findall(r"--[a-z][a-z0-9-]*", text))


def installed() -> bool:
    """Whether bubblewrap is installed (``bwrap`` on ``PATH``)."""
    return shutil.which("bwrap") is not None


def available() -> bool:
    """Whether the bubblewrap sandbox works here (``bwrap`` installed and allowed)."""
    return problem() is None


# ------------------------------------------------------------------------- the command line


def _as_root() -> bool:
    return os.geteuid() == 0


def _namespace_args() -> list[str]:
    """Namespaces, session and capabilities."""
    if _as_root():
        # No user namespace: the launcher needs real CAP_SETUID/CAP_SETGID to become the
        # sandbox's own uid (a uid mapped in a user namespace would still be root outside,
        # and RLIMIT_NPROC never binds root). Every other capability is dropped.
        ns = [
            "--unshare-pid",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--cap-drop",
            "ALL",
            "--cap-add",
            "CAP_SETUID",
            "--cap-add",
            "CAP_SETGID",
        ]
    else:
        # An unprivileged user namespace (the instructor's uid mapped to itself), in which
        # the launcher's RLIMIT_NPROC counts only the sandbox's own processes; no further
        # user namespaces inside.
        ns = ["--unshare-all", "--unshare-user"]
        if "--disable-userns" in _options():  # bubblewrap 0.8
            ns.append("--disable-userns")
    return [*ns, "--die-with-parent", "--new-session", "--hostname", "sandbox"]


def _system_args() -> list[str]:
    """The read-only system: /usr, its /bin, /lib* (links or mounts), parts of /etc."""
    args = ["--ro-bind", "/usr", "/usr"]
    for path in SYSTEM_LINKS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for name in ETC:
        if os.path.exists(f"/etc/{name}"):
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    return [*args, "--proc", "/proc", "--dev", "/dev"]


def _tmpfs_args(limits: Limits) -> list[str]:
    """A private /tmp and /dev/shm, writable by all, of ``limits.tmp_mb`` each (bubblewrap
    0.8's ``--size``; an older one mounts them without a size of their own)."""
    size = []
    if "--size" in _options():
        size = ["--size", str(int(limits.tmp_mb) * 1024 * 1024)]
    return [
        *["--perms", "1777", *size, "--tmpfs", "/tmp"],
        *["--perms", "1777", *size, "--tmpfs", "/dev/shm"],
    ]


def _inside(path: str, roots) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _python_dirs() -> list[str]:
    """The Python installation and environment the kernel runs in (read-only): the paths
    Python uses (``sys.prefix``, ``sys.base_prefix``) and, if links, where they lead."""
    candidates = [sys.base_prefix, sys.prefix]
    candidates += [os.path.realpath(d) for d in candidates]
    candidates.append(os.path.dirname(os.path.realpath(sys.executable)))
    out: list[str] = []
    for d in sorted(set(candidates), key=len):  # parents before what lies inside them
        if os.path.isdir(d) and not _inside(d, ["/usr", *out]):
            out.append(d)
    return out


def _package_dir(name: str) -> str | None:
    """Where package ``name`` is found by the grader's Python (its directory), if anywhere."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    if locations:
        return os.path.realpath(locations[0])
    return os.path.dirname(os.path.realpath(spec.origin)) if spec.origin else None


def _site_packages() -> list[str]:
    dirs = list(site.getsitepackages()) + [sysconfig.get_paths()["purelib"]]
    return list(dict.fromkeys(d for d in dirs if os.path.isdir(d)))


def _mkdirs(path: str, made: set[str], covered) -> list[str]:
    """``--dir`` for every missing ancestor of ``path`` (mode 0755: bubblewrap's default
    would be 0700, which the sandbox's unprivileged uid cannot cross)."""
    args: list[str] = []
    parts = Path(path).parts
    for i in range(2, len(parts)):
        anc = str(Path(*parts[:i]))
        if anc in made or _inside(anc, covered):
            continue
        made.add(anc)
        args += ["--perms", "0755", "--dir", anc]
    return args


def _write_support_files(support: Path, uid: int | None) -> dict[str, Path]:
    """Small read-only files the sandbox mounts: passwd/group naming its user, an empty file,
    and the stand-in for the instructor's package that refuses to import."""
    support.mkdir(parents=True, exist_ok=True)
    me = os.getuid() if uid is None else uid
    files = {
        "passwd": f"root:x:0:0:root:/root:/bin/false\nstudent:x:{me}:{me}::/tmp:/bin/false\n",
        "group": f"root:x:0:\nstudent:x:{me}:\n",
        "empty": "",
        "blocked.py": (
            f"raise ModuleNotFoundError({INSTRUCTOR_PACKAGE + ' is not available in the grading sandbox'!r},"
            f" name={INSTRUCTOR_PACKAGE!r})\n"
        ),
    }
    out = {}
    for name, text in files.items():
        (support / name).write_text(text)
        (support / name).chmod(0o644)
        out[name] = support / name
    out["launcher"] = _write_launcher(support)
    support.chmod(0o755)
    return out


def _write_launcher(support: Path) -> Path:
    """A copy of :mod:`.kernel` alone in its folder (a script's folder goes first on
    ``sys.path``): the kernel starts from it without importing ``dlcourse_instructor``."""
    launcher = support / "launcher" / "grading_kernel.py"
    launcher.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(LAUNCHER, launcher)
    launcher.chmod(0o644)
    launcher.parent.chmod(0o755)
    return launcher


def bwrap_args(
    tmp: Path, workdir: Path, conn_dir: Path, limits: Limits, uid: int | None
) -> tuple[list[str], Path]:
    """The bubblewrap command line (up to ``--``) for one submission's kernel, and the
    path of the kernel launcher inside."""
    support = _write_support_files(tmp / "sandbox", uid)
    args = [shutil.which("bwrap") or "bwrap", *_namespace_args(), *_system_args()]
    args += ["--ro-bind", str(support["passwd"]), "/etc/passwd"]
    args += ["--ro-bind", str(support["group"]), "/etc/group"]
    args += _tmpfs_args(limits)

    covered = ["/usr", "/proc", "/dev", "/etc", *SYSTEM_LINKS]
    made: set[str] = {"/tmp"}
    readonly = _python_dirs()
    learner = _package_dir(LEARNER_PACKAGE)
    if learner is None:
        raise SandboxError(f"the learner package {LEARNER_PACKAGE!r} is not installed")
    if not _inside(learner, readonly):
        # an editable install: that one directory, nothing around it
        readonly.append(learner)
    for d in readonly:
        args += _mkdirs(d, made, covered)
        args += ["--ro-bind", d, d]
        covered.append(d)

    # The instructor's package must not be importable inside.
    instructor = _package_dir(INSTRUCTOR_PACKAGE)
    if instructor is not None and _inside(instructor, covered):
        args += ["--tmpfs", instructor]  # installed: an empty directory over it ...
        # ... whose __init__ raises ModuleNotFoundError (not an empty namespace package)
        args += ["--ro-bind", str(support["blocked.py"]), f"{instructor}/__init__.py"]
    for sp in _site_packages():
        if not _inside(sp, covered):
            continue
        for f in sorted(glob.glob(os.path.join(sp, "*"))):
            name = os.path.basename(f).lower().replace("-", "_")
            if INSTRUCTOR_PACKAGE in name and (
                name.endswith((".pth", ".py", ".egg_link")) and os.path.isfile(f)
            ):
                # an editable install's hooks: emptied
                args += ["--ro-bind", str(support["empty"]), f]

    launcher = support["launcher"].parent
    args += _mkdirs(str(launcher), made, covered)
    args += ["--ro-bind", str(launcher), str(launcher)]
    for d in (conn_dir, workdir):  # the only writable places besides /tmp
        args += _mkdirs(str(d), made, covered)
        args += ["--bind", str(d), str(d)]
    # bubblewrap's own root (a tmpfs holding the mount points, /etc's files) read-only too
    args += ["--remount-ro", "/", "--chdir", str(workdir)]

    env = {
        "PATH": f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "USER": "student",
        "LOGNAME": "student",
        "LANG": "C.UTF-8",
        "PYTHONNOUSERSITE": "1",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        **KERNEL_ENV,
    }
    env.update({k: os.environ[k] for k in PASS_ENV if k in os.environ})
    args.append("--clearenv")
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args, support["launcher"]


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
        try:
            os.unlink(self.connection_file)
        except FileNotFoundError:
            pass
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
    uid = _new_uid() if sandboxed and _as_root() else None
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
        argv = _launcher_args(limits, _write_launcher(tmp / "sandbox"), False, None)
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
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
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

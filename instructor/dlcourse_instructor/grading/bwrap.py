"""The bubblewrap command line that confines one submission's kernel.

:func:`bwrap_args` builds it (namespaces, the read-only system and Python environment,
the learner package, the masked instructor package, the two writable places, a cleared
environment); :func:`problem` says whether bubblewrap can make a sandbox on this machine.
What the sandbox allows and what it does not enforce is described in :mod:`.sandbox`.

See chapter: For instructors (book/instructors.md).
"""

from __future__ import annotations

import functools
import glob
import importlib.util
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

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


def as_root() -> bool:
    return os.geteuid() == 0


def _namespace_args() -> list[str]:
    """Namespaces, session and capabilities."""
    if as_root():
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
    dirs = [*list(site.getsitepackages()), sysconfig.get_paths()["purelib"]]
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
    out["launcher"] = write_launcher(support)
    support.chmod(0o755)
    return out


def write_launcher(support: Path) -> Path:
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

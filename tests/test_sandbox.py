"""The grading sandbox (dlcourse_instructor.grading.sandbox), attacked from inside.

Every test starts real kernels the way the grader does (``sandbox.kernel_manager`` +
jupyter_client) and runs hostile code in them: no network, its own PID namespace, nothing of
the instructor visible, a read-only system, the limits, and nothing left once the kernel is
stopped. Needs bubblewrap (``bwrap``; ``make test`` installs it when run as root): without it
the module is skipped with the reason, and under ``CI=true`` that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from dlcourse_instructor.grading import bwrap, sandbox
from dlcourse_instructor.grading.sandbox import Limits, SandboxError
from jupyter_client.blocking import BlockingKernelClient
from jupyter_core.utils import run_sync

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SOURCE = next(iter(sorted((ROOT / "exercises").glob("01_*.ipynb"))), None)
SECRET_ENV = "DLCOURSE_SANDBOX_TEST_SECRET"


@pytest.fixture(scope="module")
def bubblewrap():
    why = sandbox.problem()
    if why is not None:
        reason = (
            f"{why}: the sandbox tests need bubblewrap (make test installs it as root)"
        )
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


class Box:
    """One submission's kernel, started as the grader starts it, and a client to it."""

    def __init__(self, tmp: Path, limits: Limits = Limits(), sandboxed: bool = True):
        self.tmp = tmp
        self.work = tmp / "work"
        self.work.mkdir()
        self.km = sandbox.kernel_manager(tmp, self.work, limits, sandboxed=sandboxed)
        run_sync(self.km.start_kernel)(cwd=str(self.work))
        # parent=km: "is it alive?" asks the kernel manager (not a heartbeat that may be
        # slow to start on a busy machine)
        self.kc = BlockingKernelClient(parent=self.km)
        self.kc.load_connection_info(self.km.get_connection_info())
        self.kc.start_channels()
        self.stopped = False
        try:
            self.kc.wait_for_ready(timeout=60)
        except BaseException:
            self.stop()
            raise

    def run(self, code: str, timeout: float = 60) -> dict:
        """Execute ``code``; its stdout, and the error's name and value if it raised."""
        out: list[str] = []
        error: dict = {}

        def hook(msg):
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream" and content["name"] == "stdout":
                out.append(content["text"])
            elif kind == "error":
                error.update(ename=content["ename"], evalue=content["evalue"])

        reply = self.kc.execute_interactive(
            textwrap.dedent(code), timeout=timeout, output_hook=hook
        )
        return {"status": reply["content"]["status"], "out": "".join(out), **error}

    def json(self, code: str, timeout: float = 60):
        """Run ``code``, which prints one JSON document last; that document."""
        result = self.run(code, timeout)
        assert result["status"] == "ok", result
        return json.loads(result["out"].strip().splitlines()[-1])

    def pid_namespace(self) -> str:
        return self.json(
            "import os, json; print(json.dumps(os.readlink('/proc/self/ns/pid')))"
        )

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.kc.stop_channels()
            run_sync(sandbox.stop)(self.km)


@pytest.fixture(scope="module")
def box(bubblewrap, tmp_path_factory):
    """A sandboxed kernel with the grader's default limits (for the checks that look)."""
    os.environ[SECRET_ENV] = "the grader's secret"
    try:
        b = Box(tmp_path_factory.mktemp("grade"))
    finally:
        del os.environ[SECRET_ENV]
    yield b
    b.stop()


@pytest.fixture
def boxes(tmp_path):
    """Start kernels of one's own (stopped at the end if still running)."""
    started: list[Box] = []

    def make(limits: Limits = Limits(), sandboxed: bool = True) -> Box:
        d = tmp_path / f"grade{len(started)}"
        d.mkdir()
        b = Box(d, limits, sandboxed)
        started.append(b)
        return b

    yield make
    for b in started:
        b.stop()


@pytest.fixture
def new_box(bubblewrap, boxes):
    """Start sandboxed kernels of one's own."""
    return boxes


# -------------------------------------------------------------------------- processes seen


def _pids_in_namespace(ns: str) -> list[int]:
    """Host pids of the processes whose PID namespace is ``ns`` (``pid:[inode]``)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/ns/pid") == ns and not _zombie(
                    int(entry)
                ):
                    out.append(int(entry))
            except OSError:
                pass
    return out


def _zombie(pid: int) -> bool:
    try:
        return (
            Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"
        )
    except (OSError, IndexError):
        return True


def _with_cmdline(*args: str) -> list[int]:
    want = "\0".join(args).encode()
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes().rstrip(b"\0")
            except OSError:
                continue
            if cmd == want and not _zombie(int(entry)):
                out.append(int(entry))
    return out


def _with_uid(uid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid and not _zombie(int(entry)):
                    out.append(int(entry))
            except OSError:
                pass
    return out


# ------------------------------------------------------------------------------- isolation


def test_no_network(box):
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    port = server.getsockname()[1]
    abstract = socket.socket(socket.AF_UNIX)
    name = f"\0dlcourse-sandbox-test-{os.getpid()}"
    abstract.bind(name)
    abstract.listen()
    try:
        got = box.json(
            f"""
            import json, socket
            tried = {{}}
            for family, address in [(socket.AF_INET, ("127.0.0.1", {port})),
                                    (socket.AF_INET, ("1.1.1.1", 53)),
                                    (socket.AF_UNIX, {name!r})]:
                s = socket.socket(family)
                s.settimeout(3)
                try:
                    s.connect(address)
                    tried[repr(address)] = "connected"
                except OSError as e:
                    tried[repr(address)] = type(e).__name__
            tried["interfaces"] = [n for _, n in socket.if_nameindex()]
            print(json.dumps(tried))
            """
        )
        with pytest.raises(TimeoutError):
            server.accept()  # nothing arrived from the sandbox
    finally:
        server.close()
        abstract.close()
    assert got.pop("interfaces") == ["lo"]
    assert "connected" not in got.values(), got


def test_own_pid_namespace_and_nothing_of_the_grader_to_signal(box):
    me = os.getpid()
    got = box.json(
        f"""
        import json, os, signal
        pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        cmdlines = []
        for p in pids:
            try:
                cmdlines.append(open(f"/proc/{{p}}/cmdline", "rb").read().decode(errors="replace"))
            except OSError as e:
                cmdlines.append(type(e).__name__)
        signals = {{}}
        for sig in (0, signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill({me}, sig)
                signals[int(sig)] = "sent"
            except OSError as e:
                signals[int(sig)] = type(e).__name__
        try:
            os.killpg(os.getpgid({me}), signal.SIGKILL)
            signals["group"] = "sent"
        except OSError as e:
            signals["group"] = type(e).__name__
        print(json.dumps(dict(pids=pids, cmdlines=cmdlines, signals=signals,
                              ns=os.readlink("/proc/self/ns/pid"))))
        """
    )
    assert got["ns"] != os.readlink("/proc/self/ns/pid")
    # bubblewrap's PID 1, the kernel, little else
    assert len(got["pids"]) <= 4, got["pids"]
    grader = Path("/proc/self/cmdline").read_bytes().decode(errors="replace")
    assert grader not in got["cmdlines"]  # the grader's process is not among them
    assert "sent" not in got["signals"].values(), got["signals"]
    assert os.getpid() == me  # still here


def test_no_instructor_files_visible(box, tmp_path_factory):
    other = tmp_path_factory.mktemp("another_student")
    (other / "their_answers.ipynb").write_text("{}")
    home = Path.home()
    bound = [*bwrap._python_dirs(), bwrap._package_dir("dlcourse")]
    hidden = [
        ROOT / "instructor",
        ROOT / "instructor" / "dlcourse_instructor" / "answers",
        ROOT / "exercises",
        ROOT / "tests",
        ROOT / "README.md",
        ROOT / "pyproject.toml",
        other / "their_answers.ipynb",
        box.tmp / "kernel.log",
        box.tmp / "sandbox" / "passwd",
    ]
    # everything in the instructor's home except the way to the Python installation
    hidden += [
        p for p in home.iterdir() if not any(str(d).startswith(str(p)) for d in bound)
    ]
    got = box.json(
        f"""
        import json, os
        paths = {[str(p) for p in hidden]!r}
        root = {str(ROOT)!r}
        print(json.dumps(dict(seen=[p for p in paths if os.path.lexists(p)],
                              repo=sorted(os.listdir(root)))))
        """
    )
    assert got["seen"] == []
    assert set(got["repo"]) <= {".venv", "dlcourse"}, got["repo"]


def test_learner_package_imports_and_instructor_package_does_not(box):
    got = box.json(
        """
        import json, importlib.util
        import dlcourse, numpy, torch
        from dlcourse.exercises import probe
        try:
            import dlcourse_instructor
            instructor = "imported from " + str(dlcourse_instructor.__path__)
        except ImportError as e:
            instructor = type(e).__name__
        try:
            from dlcourse_instructor.answers import check_hidden
            answers = "imported"
        except ImportError as e:
            answers = type(e).__name__
        print(json.dumps(dict(instructor=instructor, answers=answers,
                              numpy=numpy.__version__, torch=torch.__version__,
                              dlcourse=dlcourse.__file__)))
        """
    )
    assert got["instructor"] == "ModuleNotFoundError"
    assert got["answers"] == "ModuleNotFoundError"
    assert got["dlcourse"].startswith(bwrap._package_dir("dlcourse"))


def test_installed_instructor_package_is_masked(new_box, tmp_path, monkeypatch):
    """A non-editable install puts dlcourse_instructor beside dlcourse in site-packages: the
    sandbox shows an empty folder there whose __init__ refuses to import."""
    site = tmp_path / "site-packages"
    pkg = site / "dlcourse_instructor"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "answers.py").write_text("HIDDEN = 'the hidden tests'\n")
    python_dirs, package_dir = bwrap._python_dirs, bwrap._package_dir
    monkeypatch.setattr(bwrap, "_python_dirs", lambda: [*python_dirs(), str(site)])
    monkeypatch.setattr(
        bwrap,
        "_package_dir",
        lambda name: str(pkg) if name == "dlcourse_instructor" else package_dir(name),
    )
    b = new_box()
    got = b.json(
        f"""
        import json, os, sys
        sys.path.insert(0, {str(site)!r})
        try:
            import dlcourse_instructor.answers
            imported = dlcourse_instructor.answers.HIDDEN
        except ImportError as e:
            imported = type(e).__name__
        print(json.dumps(dict(imported=imported, files=sorted(os.listdir({str(pkg)!r})))))
        """
    )
    assert got == {"imported": "ModuleNotFoundError", "files": ["__init__.py"]}


def test_read_only_system_writable_workdir_and_private_tmp(box):
    import dlcourse

    marker = f"dlcourse-sandbox-test-{os.getpid()}"
    places = {
        "usr": "/usr",
        "etc": "/etc",
        "root": "/",
        "venv": sys.prefix,
        "python": sys.base_prefix,
        "site-packages": bwrap._site_packages()[0],
        "dlcourse": os.path.dirname(dlcourse.__file__),
        "workdir": str(box.work),
        "tmp": "/tmp",
        "shm": "/dev/shm",
    }
    got = box.json(
        f"""
        import json, os
        result = {{}}
        for name, place in {places!r}.items():
            try:
                with open(os.path.join(place, {marker!r}), "w") as f:
                    f.write("x")
                result[name] = "written"
            except OSError as e:
                result[name] = type(e).__name__
            # mounted read-only (not merely owned by another user)
            if os.statvfs(place).f_flag & os.ST_RDONLY:
                result[name] += ", read-only mount"
        print(json.dumps(result))
        """
    )
    writable = {"workdir", "tmp", "shm"}
    assert {k for k, v in got.items() if v == "written"} == writable, got
    assert [
        k for k in places if k not in writable and "read-only" not in got[k]
    ] == [], got
    assert (box.work / marker).exists()  # the workdir is the grader's folder
    assert not Path("/tmp", marker).exists()  # the sandbox's /tmp is its own
    for name, place in places.items():
        if name not in writable:
            assert not Path(place, marker).exists()


def test_environment_is_clean_and_privileges_gone(box):
    got = box.json(
        """
        import json, os
        status = dict(line.split(":", 1) for line in open("/proc/self/status"))
        environs = []  # what any process of the sandbox (bubblewrap's PID 1 too) was given
        for p in os.listdir("/proc"):
            try:
                environs.append(open(f"/proc/{p}/environ", "rb").read().decode())
            except OSError:
                pass
        print(json.dumps(dict(env=dict(os.environ), environs=environs,
                              uid=os.getuid(), gid=os.getgid(),
                              groups=os.getgroups(), cap_eff=status["CapEff"].strip(),
                              cap_prm=status["CapPrm"].strip(),
                              no_new_privs=status["NoNewPrivs"].strip())))
        """
    )
    env = got["env"]
    assert SECRET_ENV not in env
    assert not any(SECRET_ENV in e for e in got["environs"])
    assert env["MPLBACKEND"] == "Agg"
    assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == "1"
    assert env["HOME"] == "/tmp"
    assert int(got["cap_eff"], 16) == 0 and int(got["cap_prm"], 16) == 0
    assert got["no_new_privs"] == "1"
    if os.geteuid() == 0:
        assert got["uid"] == got["gid"] == box.km.sandbox_uid != 0
        assert got["groups"] in ([], [got["gid"]])


def test_interrupt_reaches_the_kernel(box):
    # stop_on_error=False as the grader sends it: with it, ipykernel 7 may abort the next
    # request (a race; see test_the_grader_never_asks_the_kernel_to_abort_the_next_cell)
    box.kc.execute("import time; time.sleep(60)", stop_on_error=False)
    time.sleep(0.5)
    start = time.monotonic()
    run_sync(box.km.interrupt_kernel)()
    while True:
        reply = box.kc.get_shell_msg(timeout=10)
        if reply["msg_type"] == "execute_reply":
            break
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    assert time.monotonic() - start < 5
    assert box.run("1 + 1")["status"] == "ok"


def test_restart_is_a_fresh_sandbox_and_follows_no_planted_link(new_box, tmp_path):
    """The grader restarts a kernel that ignores an interrupt. The connection file lies in
    the folder shared with the sandbox: a link planted there must not make the grader (root)
    hand a file of its own to the sandbox's uid."""
    victim = tmp_path / "victim"
    victim.write_text("the grader's file")
    victim.chmod(0o600)
    b = new_box()
    old = b.pid_namespace()
    conn = b.km.connection_file
    b.run(
        f"""
        import os
        os.unlink({conn!r})
        os.symlink({str(victim)!r}, {conn!r})
        """
    )
    run_sync(b.km.restart_kernel)(now=True)
    b.kc.wait_for_ready(timeout=60)
    assert b.run("x = 1 + 1")["status"] == "ok"
    assert b.pid_namespace() != old
    assert _pids_in_namespace(old) == []
    st = victim.stat()
    assert (st.st_uid, st.st_mode & 0o777) == (os.getuid(), 0o600)
    assert victim.read_text() == "the grader's file"
    assert not os.path.islink(conn)


# ---------------------------------------------------------------------------------- limits

SMALL = Limits(
    memory_mb=1024, cpu_seconds=None, max_processes=32, max_file_mb=1, tmp_mb=8
)


def test_memory_file_size_and_tmp_limits(new_box):
    b = new_box(SMALL)
    hog = b.run("x = bytearray(3 * 1024**3)")
    assert hog.get("ename") == "MemoryError"
    got = b.json(
        """
        import errno, json, os
        result = {}
        try:
            with open("big.bin", "wb") as f:
                f.write(b"x" * 2 * 1024**2)
            result["file"] = "written"
        except OSError as e:
            result["file"] = errno.errorcode[e.errno]
        n = 0
        try:
            for n in range(64):  # 64 files of 512 KiB: more than the 8 MiB /tmp
                with open(f"/tmp/part{n}", "wb") as f:
                    f.write(b"x" * 512 * 1024)
            result["tmp"] = "written"
        except OSError as e:
            result["tmp"] = errno.errorcode[e.errno]
        result["tmp_files"] = n
        print(json.dumps(result))
        """
    )
    assert got["file"] == "EFBIG"
    assert got["tmp"] == "ENOSPC" and got["tmp_files"] <= 16
    assert b.run("1 + 1")["status"] == "ok"  # the kernel survived all of it


def test_cpu_time_limit_ends_the_kernel(new_box):
    b = new_box(Limits(cpu_seconds=4))
    start = time.monotonic()
    b.kc.execute("while True: pass")
    while run_sync(b.km.is_alive)() and time.monotonic() - start < 60:
        time.sleep(0.1)
    assert not run_sync(b.km.is_alive)(), "the kernel kept burning CPU"
    assert time.monotonic() - start < 30


BOMB = """
import os, time
while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.05)
"""


def test_fork_bomb_is_contained_and_gone_after_stop(new_box):
    b = new_box(SMALL)
    ns = b.pid_namespace()
    b.run(
        f"import subprocess, sys; bomb = subprocess.Popen([sys.executable, '-c', {BOMB!r}])"
    )
    time.sleep(3)
    inside = _pids_in_namespace(ns)
    got = b.json(
        """
        import json, os
        try:
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            os.waitpid(pid, 0)
            forked = "forked"
        except OSError as e:
            forked = type(e).__name__
        print(json.dumps(dict(forked=forked)))
        """
    )
    assert got["forked"] == "BlockingIOError"  # the limit is reached: no more processes
    # processes (each with its threads) of the sandbox: at most max_processes tasks, plus PID 1
    assert SMALL.max_processes // 2 <= len(inside) <= SMALL.max_processes + 1, len(
        inside
    )
    b.stop()
    assert _pids_in_namespace(ns) == []


def test_nothing_survives_stop(new_box):
    b = new_box()
    ns = b.pid_namespace()
    b.run(
        """
        import os, subprocess
        subprocess.Popen(["sleep", "4242.5"], start_new_session=True)
        child = os.fork()
        if child == 0:  # double fork: the grandchild is orphaned, in a session of its own
            os.setsid()
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", "4243.5"])
            os._exit(0)
        os.waitpid(child, 0)
        """
    )
    deadline = time.monotonic() + 10
    while not _with_cmdline("sleep", "4243.5") and time.monotonic() < deadline:
        time.sleep(0.05)
    escaped = _with_cmdline("sleep", "4242.5") + _with_cmdline("sleep", "4243.5")
    assert len(escaped) == 2  # they run, and this test sees them ...
    assert set(escaped) <= set(_pids_in_namespace(ns))
    b.stop()
    # ... and once stop() returns, nothing of the sandbox is left
    assert _with_cmdline("sleep", "4242.5") + _with_cmdline("sleep", "4243.5") == []
    assert _pids_in_namespace(ns) == []
    if b.km.sandbox_uid is not None:
        assert _with_uid(b.km.sandbox_uid) == []


def test_what_the_sandbox_leaves_can_be_removed(new_box, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    victim.chmod(0o555)
    b = new_box()
    b.run(
        f"""
        import os
        os.makedirs("locked/deeper")
        open("locked/deeper/file", "w").write("x")
        os.chmod("locked/deeper", 0)
        os.chmod("locked", 0)
        os.symlink({str(victim)!r}, "link")
        os.mkfifo("fifo")
        """
    )
    b.stop()
    shutil.rmtree(b.tmp)  # what the grader does with its temporary folder
    assert not b.tmp.exists()
    assert (victim.stat().st_mode & 0o777) == 0o555  # a link was never followed


# ----------------------------------------------------------------- failures and the opt-out


def test_bubblewrap_error_is_a_clear_exception(new_box, monkeypatch):
    missing = "/nonexistent-dlcourse-sandbox-test"
    python_dirs = bwrap._python_dirs
    monkeypatch.setattr(bwrap, "_python_dirs", lambda: [*python_dirs(), missing])
    with pytest.raises(SandboxError, match=f"bubblewrap refused.*{missing}"):
        new_box()


@pytest.mark.skipif(SOURCE is None, reason="no exercise notebook")
@pytest.mark.parametrize("breakage", ["bwrap refuses", "bwrap missing"])
def test_sandbox_denied_in_the_gradebook(bubblewrap, monkeypatch, tmp_path, breakage):
    from dlcourse_instructor.grading.execute import SANDBOX_DENIED, grade_submission

    if breakage == "bwrap refuses":
        python_dirs = bwrap._python_dirs
        monkeypatch.setattr(
            bwrap, "_python_dirs", lambda: [*python_dirs(), "/nonexistent"]
        )
        why = "bubblewrap refused to start the kernel"
    else:
        monkeypatch.setattr(sandbox, "installed", lambda: False)
        why = "bubblewrap (bwrap) is not installed"
    rows = grade_submission(SOURCE, SOURCE, student="alice", timeout=30)
    assert rows and {r.status for r in rows} <= {SANDBOX_DENIED, "needs manual grading"}
    denied = [r for r in rows if r.status == SANDBOX_DENIED]
    assert denied and all(why in r.message and r.points == 0 for r in denied)
    assert {r.sandbox for r in rows} == {"bubblewrap"}


@pytest.mark.skipif(SOURCE is None, reason="no exercise notebook")
def test_the_grader_never_asks_the_kernel_to_abort_the_next_cell(monkeypatch):
    """After a cell fails, ipykernel 7 aborts execute requests that arrive before its own
    "stop aborting" message, unless the failed request said stop_on_error=False. The grader
    runs the next cell at once, so with the default a student's later answer (or the
    grader's own observation) could be aborted at random, which CI once saw."""
    from dlcourse_instructor.grading.execute import grade_submission
    from jupyter_client.asynchronous import AsyncKernelClient

    sent: list[bool] = []
    execute = AsyncKernelClient.execute

    def recording(self, code, *args, **options):
        sent.append(options.get("stop_on_error", True))
        return execute(self, code, *args, **options)

    monkeypatch.setattr(AsyncKernelClient, "execute", recording)
    rows = grade_submission(SOURCE, SOURCE, student="alice", sandboxed=False)
    assert {r.status for r in rows} == {"passed", "needs manual grading"}
    assert sent and not any(sent), sent


@pytest.mark.skipif(SOURCE is None, reason="no exercise notebook")
def test_gradebook_says_whether_a_sandbox_was_used(tmp_path):
    from dlcourse_instructor.grading.execute import grade_submission

    bad = tmp_path / "bob.ipynb"
    bad.write_text("not a notebook")  # unreadable: graded without starting a kernel
    assert {r.sandbox for r in grade_submission(SOURCE, bad)} == {"bubblewrap"}
    assert {r.sandbox for r in grade_submission(SOURCE, bad, sandboxed=False)} == {
        "off"
    }


@pytest.mark.skipif(SOURCE is None, reason="no exercise notebook")
def test_cli_refuses_without_bubblewrap_unless_unsandboxed(
    monkeypatch, tmp_path, capsys
):
    from dlcourse_instructor import cli, grading

    monkeypatch.setattr(
        sandbox, "problem", lambda: "bubblewrap (bwrap) is not installed"
    )
    monkeypatch.setattr(sandbox, "installed", lambda: False)
    calls = []
    monkeypatch.setattr(grading, "grade", lambda *a, **k: calls.append(k) or [])
    out = tmp_path / "grades.csv"
    argv = ["grade", str(SOURCE), str(SOURCE), "--out", str(out)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.count(". ") == 0
    assert "bubblewrap" in err and "--unsandboxed" in err
    assert calls == [] and not out.exists()
    assert cli.main([*argv, "--unsandboxed"]) == 0
    assert calls[-1]["sandboxed"] is False
    assert "without a sandbox" in capsys.readouterr().err


def test_unsandboxed_kernel_is_todays_plain_kernel(boxes):
    """--unsandboxed (a machine without bubblewrap): a plain kernel with RLIMIT_AS."""
    import resource

    b = boxes(Limits(memory_mb=1536), sandboxed=False)
    got = b.json(
        """
        import json, os, resource
        print(json.dumps(dict(uid=os.getuid(), ns=os.readlink("/proc/self/ns/pid"),
                              mem=resource.getrlimit(resource.RLIMIT_AS)[0],
                              nproc=resource.getrlimit(resource.RLIMIT_NPROC)[0])))
        """
    )
    assert got["uid"] == os.getuid()
    assert got["ns"] == os.readlink("/proc/self/ns/pid")
    assert got["mem"] == 1536 * 1024 * 1024
    assert got["nproc"] == resource.getrlimit(resource.RLIMIT_NPROC)[0]


# ---------------------------------------------------------------- an unprivileged instructor


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"),
    reason="needs root and setpriv to act as another user",
)
def test_unprivileged_sandbox_counts_only_its_own_processes(bubblewrap, monkeypatch):
    """Run by an ordinary user, the sandbox is a user namespace; RLIMIT_NPROC set inside it
    (as the launcher does) counts the sandbox's processes, not the user's others."""
    monkeypatch.setattr(bwrap, "as_root", lambda: False)
    uid = 4_000_000 + os.getpid() % 100_000
    user = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    others = [subprocess.Popen([*user, "sleep", "30"]) for _ in range(8)]
    try:
        # prlimit sets RLIMIT_NPROC inside the namespace, as the launcher does; dash does not
        # retry a failed fork (bash would, for seconds), it stops with "Cannot fork"
        spawn = "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 3 & echo started; done"
        command = [
            shutil.which("bwrap"),
            *bwrap._namespace_args(),
            *bwrap._system_args(),
            "--",
            "prlimit",
            "--nproc=6",
            "sh",
            "-c",
            spawn,
        ]
        run = subprocess.run(
            [*user, *command], capture_output=True, text=True, timeout=60
        )
        assert "Cannot fork" in run.stderr, run.stderr  # the limit was reached ...
        # ... after some processes started despite the user's 8 others: 6 in all with the
        # shell and bubblewrap's PID 1
        assert run.stdout.split().count("started") == 4, (run.stdout, run.stderr)
        host = subprocess.run(
            [*user, "prlimit", "--nproc=6", "sh", "-c", "(true) && echo forked"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        # outside a sandbox the same limit bites at once
        assert "forked" not in host.stdout
        if "--disable-userns" in bwrap._options():
            # and no user namespace of its own inside (where it would be "root" again)
            nested = [
                *command[: command.index("--")],
                "--",
                "unshare",
                "--user",
                "true",
            ]
            run = subprocess.run([*user, *nested], capture_output=True, text=True)
            assert run.returncode != 0, "a nested user namespace was allowed"
    finally:
        for p in others:
            p.kill()
            p.wait()


# --------------------------------------------------------------------------- start-up cost


def test_startup_cost(new_box, tmp_path, capsys):
    """The sandbox's own set-up is small beside a kernel's start (measured, printed)."""

    def start(sandboxed):
        t = time.perf_counter()
        b = new_box(sandboxed=sandboxed)
        took = time.perf_counter() - t
        b.stop()
        return took

    sandboxed = statistics.median(start(True) for _ in range(3))
    plain = statistics.median(start(False) for _ in range(3))
    (tmp_path / "spare" / "work").mkdir(parents=True)
    km = sandbox.kernel_manager(
        tmp_path / "spare", tmp_path / "spare" / "work", Limits()
    )
    argv = km.kernel_spec.argv
    setup = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run([*argv[: argv.index("--")], "--", "true"], check=True)
        setup.append(time.perf_counter() - t)
    with capsys.disabled():
        print(
            f"\nkernel start (median of 3): sandboxed {sandboxed:.2f} s, plain {plain:.2f} s;"
            f" bubblewrap set-up alone {statistics.median(setup) * 1000:.0f} ms"
        )
    assert statistics.median(setup) < 0.5
    assert sandboxed < plain + 1.0

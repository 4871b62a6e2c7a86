"""`pip install` of the package, non-editable, in a clean virtual environment, as a learner does.

The package is built from a copy of its sources (pyproject.toml, README.md, dlcourse/) into a
wheel, installed into a new virtualenv without system site-packages (torch==2.13.0 first, as
the README says), and used from an empty directory, far from the repository:

- without the extra, `dlcourse release` / `dlcourse grade` print the one-sentence install hint
  and exit non-zero (no traceback);
- with `dlcourse[instructor]`, a chapter (book/02_activations.ipynb) and a *solved* exercise
  (exercises/01_neuron.ipynb, reference solutions and hidden tests) run without error on that
  environment's kernel, importing the installed package; `dlcourse release` writes a student copy
  that holds no solution.

The versions installed are the pins of requirements/student.txt and instructor.txt (given to pip
as constraints), so the test is reproducible and pip's cache makes it quick: about 2 minutes
on an idle 2-core machine, 4 on a busy one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TORCH = "torch==2.13.0"  # the Makefile's pin
HINT = 'pip install "dlcourse[instructor]"'

# Executes notebooks with nbclient on the venv's own kernel; a last cell reports where the
# kernel's Python and dlcourse live.
RUNNER = """\
import sys
import nbformat
from nbclient import NotebookClient

for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import sys, dlcourse\\nprint(sys.prefix)\\nprint(dlcourse.__file__)"))
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": "."}}).execute()
    print(path, *nb.cells[-1].outputs[0]["text"].split())
"""


def _env(venv: Path, tmp: Path) -> dict[str, str]:
    """The environment of a learner's shell with the venv activated, and nothing of ours."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "MPLBACKEND"}
        and not k.startswith(("JUPYTER", "PYTEST", "COV_"))
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    # No kernel spec or config of this machine's user: the venv's own python3 kernel is used.
    env["JUPYTER_DATA_DIR"] = str(tmp / "jupyter-data")
    env["JUPYTER_CONFIG_DIR"] = str(tmp / "jupyter-config")
    return env


def _run(
    cmd, *, cwd: Path, env: dict[str, str], check: bool = True, timeout: float = 600
):
    proc = subprocess.run(
        [str(c) for c in cmd],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, cmd))} exited {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-6000:]}"
        )
    return proc


def _pip(venv: Path, *args, cwd: Path, env: dict[str, str]):
    # --no-compile: byte-compiling all of torch costs more than compiling what is imported.
    return _run(
        [
            venv / "bin" / "python",
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-compile",
            *args,
        ],
        cwd=cwd,
        env=env,
    )


def _scratch() -> Path:
    """A new temporary directory, in RAM (/dev/shm) where it can hold a venv with torch.

    A venv with torch is about 1.2 GB in 60,000 files: on a busy disk, writing and deleting
    them takes minutes, in RAM seconds. Elsewhere (no /dev/shm, mounted noexec, too little
    room) the usual temporary directory.
    """
    shm = Path("/dev/shm")
    try:
        usable = (
            shm.is_dir()
            and os.access(shm, os.W_OK)
            and not os.statvfs(shm).f_flag & getattr(os, "ST_NOEXEC", 0)
            and shutil.disk_usage(shm).free > 4 * 2**30
        )
    except OSError:
        usable = False
    return Path(
        tempfile.mkdtemp(prefix="dlcourse-install-", dir=shm if usable else None)
    )


@pytest.fixture(scope="module")
def install():
    """Build, install without the extra (and try the CLI), then add the extra.

    Yields a dict: the venv, the empty working directory, the environment, the wheel, the build
    log and the CLI's answers without the extra. Everything is removed afterwards (a venv with
    torch is about 1 GB).
    """
    tmp = _scratch()
    try:
        src, venv, work = tmp / "src", tmp / "venv", tmp / "empty"
        src.mkdir()
        work.mkdir()
        for name in [
            "pyproject.toml",
            "README.md",
            *(p.name for p in ROOT.glob("LICEN[CS]E*")),
        ]:
            shutil.copy2(ROOT / name, src / name)
        shutil.copytree(
            ROOT / "dlcourse",
            src / "dlcourse",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
        )
        subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], check=True, timeout=300
        )
        env = _env(venv, tmp)
        assert (
            "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()
        )

        build = _run(
            [
                venv / "bin" / "python",
                "-m",
                "pip",
                "wheel",
                "-v",
                "--no-deps",
                "-w",
                tmp / "dist",
                src,
            ],
            cwd=tmp,
            env=env,
        )
        (wheel,) = (tmp / "dist").glob("dlcourse-*.whl")

        _pip(venv, TORCH, cwd=work, env=env)
        _pip(
            venv, wheel, "-c", ROOT / "requirements" / "student.txt", cwd=work, env=env
        )
        cli = {
            "release": _run(
                [
                    venv / "bin" / "dlcourse",
                    "release",
                    ROOT / "exercises" / "01_neuron.ipynb",
                    "--out",
                    work / "release",
                ],
                cwd=work,
                env=env,
                check=False,
            ),
            "grade": _run(
                [
                    venv / "bin" / "dlcourse",
                    "grade",
                    ROOT / "exercises" / "01_neuron.ipynb",
                    ROOT / "student" / "01_neuron.ipynb",
                    "--out",
                    work / "grades.csv",
                ],
                cwd=work,
                env=env,
                check=False,
            ),
        }
        _pip(
            venv,
            f"dlcourse[instructor] @ {wheel.as_uri()}",
            "-c",
            ROOT / "requirements" / "student.txt",
            "-c",
            ROOT / "requirements" / "instructor.txt",
            cwd=work,
            env=env,
        )
        yield {
            "venv": venv,
            "work": work,
            "env": env,
            "wheel": wheel,
            "build_log": build.stdout + build.stderr,
            "cli_without_extra": cli,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


pytestmark = pytest.mark.slow


def test_wheel_builds_without_deprecation_warnings_and_declares_python(install):
    log = install["build_log"]
    warnings = [ln for ln in log.splitlines() if "Warning" in ln]
    assert not any("Deprecat" in ln for ln in warnings), "\n".join(warnings)
    with zipfile.ZipFile(install["wheel"]) as z:
        (meta_name,) = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
        meta = z.read(meta_name).decode()
    assert "Requires-Python: >=3.11" in meta
    assert "License-Expression: MIT" in meta
    assert "Provides-Extra: instructor" in meta


def test_without_the_extra_the_commands_say_how_to_install_it(install):
    for command, proc in install["cli_without_extra"].items():
        said = proc.stdout + proc.stderr
        assert proc.returncode != 0, (
            f"dlcourse {command} without the extra exited 0:\n{said}"
        )
        assert "Traceback" not in said, f"dlcourse {command}:\n{said}"
        assert HINT in said, f"dlcourse {command} does not say {HINT!r}:\n{said}"
        assert len(said.strip().splitlines()) == 1, f"dlcourse {command}:\n{said}"


def test_chapter_and_solved_exercise_run_on_the_installed_package(install):
    work, venv = install["work"], install["venv"]
    notebooks = [
        ROOT / "book" / "02_activations.ipynb",
        ROOT / "exercises" / "01_neuron.ipynb",
    ]
    for nb in notebooks:  # only the notebooks, nothing else of the repository
        shutil.copy2(nb, work / nb.name)
    (work.parent / "run_notebooks.py").write_text(RUNNER)
    proc = _run(
        [
            venv / "bin" / "python",
            work.parent / "run_notebooks.py",
            *(nb.name for nb in notebooks),
        ],
        cwd=work,
        env=install["env"],
    )
    lines = proc.stdout.strip().splitlines()[-len(notebooks) :]
    site = venv / "lib"
    for nb, line in zip(notebooks, lines):
        name, prefix, module = line.split()
        assert name == nb.name
        assert Path(prefix) == venv, f"{nb.name} ran on {prefix}, not the new venv"
        assert Path(module).is_relative_to(site), (
            f"{nb.name} imported dlcourse from {module}"
        )


def test_release_writes_a_student_copy_without_solutions(install):
    work = install["work"]
    _run(
        [
            install["venv"] / "bin" / "dlcourse",
            "release",
            ROOT / "exercises" / "01_neuron.ipynb",
            "--out",
            work / "release",
        ],
        cwd=work,
        env=install["env"],
    )
    out = work / "release" / "01_neuron.ipynb"
    assert out.is_file(), sorted(p.name for p in (work / "release").iterdir())
    text = out.read_text()
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text

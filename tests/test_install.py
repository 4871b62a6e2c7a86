"""`pip install` of the packages, non-editable, in a clean virtual environment, as users do.

The learner's package is built from a copy of its sources (pyproject.toml, README.md,
dlcourse/) into a wheel, installed into a new virtualenv without system site-packages
(torch==2.13.0 first, as the README says), and used from an empty directory, far from the
repository:

- a chapter (book/02_activations.ipynb) and a *solved* student notebook (the practice copy of
  exercise 1 with the reference answers typed in) run without error on that environment's
  kernel, importing the installed package;
- the learner's install has no instructor tools: no `dlcourse` command, no
  `dlcourse_instructor` (the hidden tests live there);
- the instructor's distribution (instructor/, also built into a wheel) installs beside it, and
  its `dlcourse release` writes a student copy that holds no solution.

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
        learner_only = {
            "command": (venv / "bin" / "dlcourse").exists(),
            "import": _run(
                [venv / "bin" / "python", "-c", "import dlcourse_instructor"],
                cwd=work,
                env=env,
                check=False,
            ),
        }
        shutil.copytree(
            ROOT / "instructor",
            src / "instructor",
            ignore=shutil.ignore_patterns(
                "__pycache__", "*.pyc", "*.egg-info", "build"
            ),
        )
        _run(
            [
                venv / "bin" / "python",
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "-w",
                tmp / "dist",
                src / "instructor",
            ],
            cwd=tmp,
            env=env,
        )
        (instructor_wheel,) = (tmp / "dist").glob("dlcourse_instructor-*.whl")
        yield {
            "venv": venv,
            "work": work,
            "env": env,
            "wheel": wheel,
            "instructor_wheel": instructor_wheel,
            "build_log": build.stdout + build.stderr,
            "learner_only": learner_only,
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


def test_the_learners_install_has_no_instructor_tools(install):
    learner = install["learner_only"]
    assert not learner["command"], "pip install dlcourse gave a `dlcourse` command"
    assert learner["import"].returncode != 0, "dlcourse_instructor is importable"
    assert "No module named 'dlcourse_instructor'" in learner["import"].stderr


def _solved_student_copy(target: Path) -> None:
    """The practice copy of exercise 1 with the reference answers typed in, as a student would."""
    import nbformat

    source = nbformat.read(ROOT / "exercises" / "01_neuron.ipynb", as_version=4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: "\n".join(
            ln for ln in c.source.splitlines() if "### " not in ln
        )
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    copy = nbformat.read(ROOT / "student" / "01_neuron.ipynb", as_version=4)
    for cell in copy.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    nbformat.write(copy, target)


def test_chapter_and_solved_student_notebook_run_on_the_installed_package(install):
    work, venv = install["work"], install["venv"]
    notebooks = [ROOT / "book" / "02_activations.ipynb", work / "01_neuron.ipynb"]
    # only the notebooks, nothing else of the repository
    shutil.copy2(notebooks[0], work / notebooks[0].name)
    _solved_student_copy(notebooks[1])
    # What runs the notebooks, as Jupyter would for the student (not part of dlcourse).
    _pip(
        venv,
        "nbclient",
        "nbformat",
        "ipykernel",
        "-c",
        ROOT / "requirements" / "instructor.txt",
        cwd=work,
        env=install["env"],
    )
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
    _pip(
        install["venv"],
        install["instructor_wheel"],
        "-c",
        ROOT / "requirements" / "student.txt",
        "-c",
        ROOT / "requirements" / "instructor.txt",
        cwd=work,
        env=install["env"],
    )
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

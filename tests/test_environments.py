"""Static checks of the environments the course is installed into (fast; no network).

- pyproject's `requires-python` is true to the pins: its lowest Python is the lowest one that
  every pinned package supports (each package's own Requires-Python, read from the installed
  metadata), and the README, the Makefile and Binder's runtime.txt say the same;
- requirements.txt includes every set in requirements/, the Makefile's install stamp depends on
  every one of them;
- binder/ is the students' environment: student runtime + Lab, CPU-only torch from the PyTorch
  CPU index, nothing of the book build, the tests or the instructor tools;
- every import of the package is declared: the learner's modules in pyproject's dependencies
  (or the standard library), the instructor tools' in the extra `instructor`, and the
  dependency ranges admit the pins.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata as md
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
REQ_DIR = ROOT / "requirements"
BINDER = ROOT / "binder"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
# The instructor tools are their own distribution (instructor/): students never install it.
INSTRUCTOR = tomllib.loads((ROOT / "instructor" / "pyproject.toml").read_text())[
    "project"
]
# Python minor versions considered: 3.8 .. 3.15.
MINORS = [Version(f"3.{m}") for m in range(8, 16)]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# Tools that must never reach a student's Binder.
TOOLING = {
    "jupyter-book", "myst-nb", "sphinx", "pytest", "pytest-xdist", "nbval", "nbstripout",
    "playwright", "ruff", "mypy", "nbformat", "nbclient", "nbgrader", "dlcourse-instructor",
}  # fmt: skip


# --- reading requirement files ------------------------------------------------------------


def read_requirements(path: Path, seen=None) -> list[tuple[str, object, Path]]:
    """The entries of a requirements file, `-r` includes followed (relative to the file).

    Each entry is (kind, value, file): ("req", Requirement), ("local", "." or ".[extra]"),
    ("editable", ".[extra]"), ("include", Path), ("index", url) for --index-url and
    --extra-index-url.
    """
    seen = set() if seen is None else seen
    path = path.resolve()
    assert path not in seen, f"{path} is included twice"
    seen.add(path)
    out = []
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if line.startswith(("-r ", "--requirement ")):
            target = (path.parent / line.split(None, 1)[1]).resolve()
            out.append(("include", target, path))
            out.extend(read_requirements(target, seen))
        elif line.startswith(("-e ", "--editable ")):
            out.append(("editable", line.split(None, 1)[1], path))
        elif line.startswith(("--extra-index-url", "--index-url", "-i ")):
            out.append(("index", re.split(r"[ =]", line, maxsplit=1)[1].strip(), path))
        elif line.startswith("-"):
            pytest.fail(f"{path.name}: option not understood by this test: {line!r}")
        elif line.startswith("."):
            out.append(("local", line, path))
        else:
            out.append(("req", Requirement(line), path))
    return out


def reqs(path: Path) -> list[Requirement]:
    return [v for kind, v, _ in read_requirements(path) if kind == "req"]


def pins(path: Path) -> dict[str, Version]:
    """{canonical name: pinned version} of a file and its includes; every entry must be ==."""
    out: dict[str, Version] = {}
    for r in reqs(path):
        (spec,) = r.specifier or [None]
        assert spec is not None and spec.operator == "==", f"{r} is not pinned (==)"
        name = canonicalize_name(r.name)
        version = Version(spec.version)
        assert out.setdefault(name, version) == version, (
            f"{name} pinned twice, differently"
        )
        out[name] = version
    return out


def requirement_sets() -> list[Path]:
    return sorted(REQ_DIR.glob("*.txt"))


def makefile_torch() -> Version:
    m = re.search(
        r"pip install --quiet torch==([\w.+]+)", (ROOT / "Makefile").read_text()
    )
    assert m, "the Makefile installs no torch==<version> first"
    return Version(m.group(1))


# --- Python versions ----------------------------------------------------------------------


def requires_python() -> SpecifierSet:
    return SpecifierSet(PROJECT["requires-python"])


def lowest_python(spec: SpecifierSet) -> Version:
    admitted = [v for v in MINORS if v in spec]
    assert admitted, f"{spec} admits none of {MINORS[0]}..{MINORS[-1]}"
    return admitted[0]


def binder_python() -> Version:
    text = (BINDER / "runtime.txt").read_text().strip()
    m = re.fullmatch(r"python-(3\.\d+)", text)
    assert m, f"binder/runtime.txt should read python-3.X (repo2docker), not {text!r}"
    return Version(m.group(1))


@functools.cache
def pinned_distributions() -> dict[str, tuple[Version, str]]:
    """{name: (pinned version, Requires-Python of that installed version)} for every pin."""
    wanted = pins(ROOT / "requirements.txt")
    wanted["torch"] = makefile_torch()
    out, stale = {}, []
    for name, version in sorted(wanted.items()):
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            stale.append(f"{name}=={version} (not installed)")
            continue
        installed = Version(dist.version)
        if Version(installed.public) != version and installed != version:
            stale.append(f"{name}=={version} (installed: {installed})")
            continue
        out[name] = (version, dist.metadata.get("Requires-Python") or "")
    assert not stale, (
        "this environment is not the pinned one, so the pins' Requires-Python cannot be read "
        "(run `make venv`): " + ", ".join(stale)
    )
    return out


def test_requires_python_is_true_to_the_pins():
    spec = requires_python()
    lowest = lowest_python(spec)
    needed = {}
    too_old = []
    for name, (version, rp) in pinned_distributions().items():
        supported = SpecifierSet(rp)
        needed[name] = lowest_python(supported)
        rejected = [str(v) for v in MINORS if v in spec and v not in supported]
        if rejected:
            too_old.append(f"{name}=={version} (Requires-Python {rp!r}) on {rejected}")
    assert not too_old, (
        f"requires-python {spec} admits Pythons that pinned packages do not: "
        + "; ".join(too_old)
    )
    highest = max(needed.values())
    assert lowest == highest, (
        f"requires-python {spec} starts at {lowest}, but the pins need only {highest} "
        f"({', '.join(n for n, v in needed.items() if v == highest)}): say >={highest}"
    )


def test_readme_makefile_and_binder_name_the_same_python():
    lowest = lowest_python(requires_python())
    readme = (ROOT / "README.md").read_text()
    said = set(re.findall(r"Python ≥ (3\.\d+)", readme))
    assert said == {str(lowest)}, (
        f"README says Python ≥ {said}; requires-python: {lowest}"
    )
    m = re.search(
        r"sys\.version_info >= \((\d+), (\d+)\)", (ROOT / "Makefile").read_text()
    )
    assert m and Version(f"{m[1]}.{m[2]}") == lowest, "the Makefile's Python check"
    py = binder_python()
    assert py in requires_python(), f"Binder's Python {py} is outside requires-python"
    for name, (version, rp) in pinned_distributions().items():
        assert py in SpecifierSet(rp), (
            f"Binder's Python {py}: {name}=={version} needs {rp}"
        )


# --- requirement sets -----------------------------------------------------------------------


def test_root_requirements_include_every_set():
    sets = requirement_sets()
    names = {p.stem for p in sets}
    assert {"student", "lab", "instructor", "book", "test"} <= names, names
    entries = read_requirements(ROOT / "requirements.txt")
    top = [(k, v) for k, v, f in entries if f == (ROOT / "requirements.txt").resolve()]
    included = sorted(v for k, v in top if k == "include")
    assert included == [p.resolve() for p in sets], "requirements.txt must -r every set"
    editable = [v for k, v in top if k == "editable"]
    assert editable == [".", "./instructor"], (
        "requirements.txt installs the learner's and the instructor's packages with -e"
    )
    for path in sets:
        pins(path)  # every entry pinned (==), no name pinned twice differently


def test_makefile_stamp_depends_on_every_requirement_file():
    if shutil.which("make") is None:
        pytest.skip("no make here")
    proc = subprocess.run(
        ["make", "-C", str(ROOT), "-pnq", "help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    (line,) = [
        ln for ln in proc.stdout.splitlines() if ln.startswith(".venv/.installed:")
    ]
    prerequisites = set(line.split(":", 1)[1].split())
    wanted = {"requirements.txt", "pyproject.toml"} | {
        str(p.relative_to(ROOT)) for p in requirement_sets()
    }
    assert wanted <= prerequisites, f"the stamp misses {sorted(wanted - prerequisites)}"


def test_binder_is_the_students_environment_only():
    assert not (BINDER / "environment.yml").exists(), (
        "it would make runtime.txt ignored"
    )
    assert not (ROOT / ".binder").exists(), (
        "repo2docker refuses binder/ and .binder/ together"
    )
    entries = read_requirements(BINDER / "requirements.txt")
    names = {canonicalize_name(v.name) for k, v, _ in entries if k == "req"}
    leaked = names & (
        TOOLING
        | set(pins(REQ_DIR / "book.txt"))
        | set(pins(REQ_DIR / "test.txt"))
        | (set(pins(REQ_DIR / "instructor.txt")) - set(pins(REQ_DIR / "student.txt")))
    )
    assert not leaked, (
        f"binder/ installs book, test or instructor tooling: {sorted(leaked)}"
    )
    # The student runtime and Lab (with jupyterlab-myst), and the repository itself, as a package
    # (repo2docker runs pip from the repository root).
    assert set(pins(REQ_DIR / "student.txt")) | set(pins(REQ_DIR / "lab.txt")) <= names
    assert "jupyterlab-myst" in names
    locals_ = [v for k, v, _ in entries if k in ("local", "editable")]
    assert locals_ == ["."], (
        f"binder/ installs the repository once, non-editable: {locals_}"
    )
    # CPU-only torch, the Makefile's version, from the PyTorch CPU index.
    torch = [
        v for k, v, _ in entries if k == "req" and canonicalize_name(v.name) == "torch"
    ]
    assert len(torch) == 1, "binder/ must ask for torch exactly once"
    (spec,) = torch[0].specifier
    assert spec.operator == "==" and spec.version.endswith("+cpu"), (
        f"not a CPU build: {spec}"
    )
    assert Version(spec.version).public == makefile_torch().public
    indexes = [v for k, v, _ in entries if k == "index"]
    assert indexes == [CPU_INDEX], (
        f"binder/ needs --extra-index-url {CPU_INDEX}: {indexes}"
    )
    assert "--extra-index-url" in (BINDER / "requirements.txt").read_text(), (
        "--index-url would replace PyPI, which the rest of the environment comes from"
    )


# --- the package's imports and declared dependencies --------------------------------------


def imported_modules(paths) -> dict[str, set[str]]:
    """{top-level module: {files}} of the absolute imports in these files (nested ones too)."""
    out: dict[str, set[str]] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                out.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return out


def third_party(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    skip = set(sys.stdlib_module_names) | {"__future__", "dlcourse"}
    return {m: f for m, f in modules.items() if m not in skip}


@functools.cache
def _packages_distributions() -> dict[str, list[str]]:
    return md.packages_distributions()


def distributions_of(module: str) -> set[str]:
    return {canonicalize_name(d) for d in _packages_distributions().get(module, [])}


def package_files():
    """The learner's package files and the instructor's (a separate distribution)."""
    learner = sorted((ROOT / "dlcourse").rglob("*.py"))
    instructor = sorted((ROOT / "instructor" / "dlcourse_instructor").rglob("*.py"))
    return learner, instructor


def declared(requirements) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def test_every_runtime_import_is_declared_in_pyproject():
    learner, _ = package_files()
    deps = declared(PROJECT["dependencies"])
    undeclared = {}
    for module, files in sorted(third_party(imported_modules(learner)).items()):
        dists = distributions_of(module)
        if not dists & deps:
            undeclared[module] = (sorted(dists) or "not installed", sorted(files))
    assert not undeclared, (
        "dlcourse imports these, but pyproject's dependencies do not declare them "
        f"(module: (distribution, files)): {undeclared}"
    )


def test_instructor_tools_imports_are_declared():
    """Everything dlcourse_instructor imports is declared by its own distribution (or comes
    with dlcourse, which it depends on)."""
    _, instructor = package_files()
    deps = declared(INSTRUCTOR["dependencies"])
    assert "dlcourse" in deps
    deps |= declared(PROJECT["dependencies"])
    modules = third_party(imported_modules(instructor))
    modules.pop("dlcourse_instructor", None)
    missing = {
        m: sorted(f) for m, f in modules.items() if not distributions_of(m) & deps
    }
    assert not missing, f"dlcourse_instructor imports, undeclared: {missing}"


def test_dependency_ranges_admit_the_pins():
    student = pins(REQ_DIR / "student.txt")
    instructor = pins(REQ_DIR / "instructor.txt")
    torch = makefile_torch()
    groups = [
        ("dependencies", PROJECT["dependencies"], student),
        (
            "dlcourse-instructor",
            [
                r
                for r in INSTRUCTOR["dependencies"]
                if Requirement(r).name != "dlcourse"
            ],
            {**student, **instructor},
        ),
    ]
    for group, requirements, pinned in groups:
        for text in requirements:
            r = Requirement(text)
            name = canonicalize_name(r.name)
            if name == "torch":
                assert r.specifier.contains(torch, prereleases=True), (
                    f"{r} vs torch=={torch}"
                )
                continue
            assert name in pinned, f"{group}: {r} has no pin in requirements/"
            assert pinned[name] in r.specifier, (
                f"{group}: {r} rejects the pin {pinned[name]}"
            )

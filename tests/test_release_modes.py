"""Practice and graded releases, and what a student can get hold of.

* A practice copy (``dlcourse release``, the copies in ``student/``) registers the reference
  solutions in one folded cell, so ``q1.solution()`` shows one.
* A graded copy (``dlcourse release --graded``) contains no solution region's code and no
  hidden test.
* The learner's package as a student installs it (a wheel, non-editable) contains no
  reference solution and no hidden test of any question.

How a leak is detected (the same rule everywhere): the code of each solution region of
``exercises/*.ipynb`` is split into lines and each line normalised (whitespace collapsed).
A line is *given* when the source shows it to the students outside its solution regions (a
prompt may spell out a step, e.g. ch08's shuffling line); given lines are no secret. Every
other line is looked for:

* in a released copy, among all the text the notebook file holds (sources, metadata,
  outputs): a leak if it is one of the copy's (normalised) lines, or, for lines of at least
  25 characters, part of one. A copy only holds text from its source, so any hit is real.
* in the wheel, in every file: a leak if it is part of any (normalised) line. Here short
  lines are skipped: a line of fewer than 25 characters (``z = x @ w + b``,
  ``mistakes = []``, ``return w, b``) and a ``return`` of plain names (``return weights,
  scores``) are idioms any numerical library contains, so finding them proves nothing; a
  longer line is specific enough that a verbatim occurrence means the solution was copied
  in. Comments count: an explanation of the answer gives it away as well.

Written answers (graded by hand): each sentence (25 characters or more) of a source's model
answer and rubric is looked for the same way; a practice copy shows them in its folded
model-answer cells, a graded copy and the wheel may not hold any.

Hidden tests: nothing of ``dlcourse_instructor`` (no module ``answers``, no ``check_hidden``,
no hidden-test region's code) may appear in a copy or in the wheel.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from dlcourse_instructor.grading.notebook import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    CODE_STUB,
    END_HIDDEN,
    END_SOLUTION,
    grade_id,
    is_solution,
    read_notebook,
    solution_code,
)
from dlcourse_instructor.grading.student_copy import SOLUTIONS_TITLE, release_notebook
from nbclient import NotebookClient
from written import sentences, with_written_answer

from dlcourse.exercises.question import Question

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))
MIN_LENGTH = 25
TRIVIAL_RETURN = re.compile(r"^return [\w\s,.\[\]()]*$")
HIDDEN_MARKS = ("dlcourse_instructor", "check_hidden")


def norm(line: str) -> str:
    return " ".join(line.split())


def regions(source: str, begin: str, end: str) -> tuple[list[str], list[str]]:
    """(lines inside the ``begin``…``end`` regions, lines outside), normalised, non-empty."""
    inside, outside, within = [], [], False
    for line in source.splitlines():
        s = line.strip()
        if s.startswith(begin):
            within = True
        elif s.startswith(end):
            within = False
        elif s:
            (inside if within else outside).append(norm(line))
    return inside, outside


def _given(nb) -> set[str]:
    """Lines outside the solution regions (a solution cell without markers, such as a
    written answer, is solution throughout)."""
    return {
        line
        for cell in nb.cells
        if not (is_solution(cell) and BEGIN_SOLUTION not in cell.source)
        for line in regions(cell.source, BEGIN_SOLUTION, END_SOLUTION)[1]
    }


def _hints() -> set[str]:
    """What ``qN.hint()`` prints, for every question of every chapter."""
    out = set()
    for src in SOURCES:
        module = importlib.import_module(f"dlcourse.exercises.ch{src.name[:2]}")
        for q in vars(module).values():
            if isinstance(q, Question):
                with contextlib.redirect_stdout(io.StringIO()) as printed:
                    q.hint()
                out.add(norm(printed.getvalue()))
    return out


@functools.cache
def given_lines() -> frozenset[str]:
    """The solution lines the course shows anyway: every source's text outside its solution
    regions, and every hint."""
    return frozenset().union(*(_given(read_notebook(p)) for p in SOURCES), _hints())


def secrets(source_nb) -> dict[str, list[str]]:
    """``{grade_id: [lines]}``: each solution region's lines that the course does not give
    away. Every student copy is public and every hint is printed by ``qN.hint()``, so a line
    shown outside the solution regions of any source (a prompt) or in a hint is no secret."""
    given = given_lines() | _given(source_nb)
    given_text = "\n".join(given)
    stubs = {norm(s) for s in CODE_STUB.splitlines()}
    found: dict[str, list[str]] = {}
    for cell in source_nb.cells:
        inside = regions(cell.source, BEGIN_SOLUTION, END_SOLUTION)[0]
        if is_solution(cell) and inside:
            found.setdefault(grade_id(cell) or "?", []).extend(inside)
    return {
        gid: [
            line
            for line in lines
            if line not in given
            and not (len(line) >= MIN_LENGTH and line in given_text)
            and line not in stubs
        ]
        for gid, lines in found.items()
    }


def model_answers(source_nb) -> list[str]:
    """The sentences of the source's written answers (model answer and rubric) that the
    course shows nowhere else."""
    given = "\n".join(given_lines() | _given(source_nb))
    return [
        sentence
        for cell in source_nb.cells
        if cell.cell_type == "markdown" and is_solution(cell)
        for sentence in sentences(solution_code(cell.source))
        if sentence not in given
    ]


def hidden_lines(source_nb) -> list[str]:
    return [
        line
        for cell in source_nb.cells
        for line in regions(cell.source, BEGIN_HIDDEN, END_HIDDEN)[0]
        if not line.startswith("#")
    ]


def texts(obj) -> list[str]:
    """Every string in a JSON-like object (a notebook: sources, metadata, outputs)."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [t for k, v in obj.items() for t in [k, *texts(v)]]
    if isinstance(obj, list):
        return [t for v in obj for t in texts(v)]
    return []


def copy_leaks(source_nb, copy_nb) -> list[str]:
    """The solution lines and hidden-test lines of the source that the copy contains."""
    written = json.loads(nbformat.writes(copy_nb))  # what the file on disk holds
    lines = {norm(line) for t in texts(written) for line in t.splitlines()}
    text = "\n".join(lines)
    leaks = [
        f"{gid}: {line}"
        for gid, found in secrets(source_nb).items()
        for line in found
        if line in lines or (len(line) >= MIN_LENGTH and line in text)
    ]
    leaks += [
        f"hidden test: {line}" for line in hidden_lines(source_nb) if line in text
    ]
    leaks += [f"hidden test: {mark}" for mark in HIDDEN_MARKS if mark in text]
    flat = " ".join(" ".join(texts(written)).split())
    leaks += [f"model answer: {s}" for s in model_answers(source_nb) if s in flat]
    return leaks


# ------------------------------------------------------------------ practice copies
def test_practice_copy_registers_the_solutions_after_the_checkers_import():
    src = read_notebook(ROOT / "exercises" / "01_neuron.ipynb")
    practice = release_notebook(src)
    assert practice.metadata.dlcourse.release == "practice"
    first_import = next(
        i
        for i, c in enumerate(practice.cells)
        if c.cell_type == "code" and "from dlcourse.exercises.ch01 import" in c.source
    )
    cell = practice.cells[first_import + 1]
    assert cell.source.splitlines()[0] == SOLUTIONS_TITLE
    assert cell.source.splitlines()[0].startswith("#@title Reference solutions")
    assert cell.metadata.jupyter.source_hidden is True
    assert "nbgrader" not in cell.metadata
    assert sum(c.metadata.get("dlcourse") == "solutions" for c in practice.cells) == 1
    # the registered code is each solution cell without its markers, keyed by question
    call = next(n for n in ast.walk(ast.parse(cell.source)) if isinstance(n, ast.Call))
    assert ast.unparse(call.func) == "solutions.register"
    chapter, registered = (ast.literal_eval(arg) for arg in call.args)
    expected = {
        grade_id(c).split("_")[0]: solution_code(c.source)
        for c in src.cells
        if is_solution(c) and c.cell_type == "code"  # a written answer is no code
    }
    assert chapter == "ch01"
    assert {q: code.strip("\n") for q, code in registered.items()} == expected
    assert (
        "def neuron_output(x, w, b):" in expected["q1"]
    )  # the whole cell: the signature
    assert BEGIN_SOLUTION not in cell.source and END_SOLUTION not in cell.source


TRICKY = [  # quotes, backslashes, both kinds of triple quotes
    'def f(s):\n    """Doc."""\n    return s.replace("\\n", "\\t")',
    "x = '''a'''\ny = \"\"\"b\"\"\"  # both",
    "path = r'C:\\temp\\'",
]


def test_practice_cell_registers_any_code_exactly():
    cells = [
        nbformat.v4.new_code_cell("from dlcourse.exercises.ch99 import q1, q2, q3")
    ]
    for i, code in enumerate(TRICKY, 1):
        meta = {"grade_id": f"q{i}_answer", "solution": True, "grade": False}
        source = f"{BEGIN_SOLUTION}\n{code}\n{END_SOLUTION}"
        cells.append(nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta}))
    practice = release_notebook(nbformat.v4.new_notebook(cells=cells))
    call = next(
        n
        for n in ast.walk(ast.parse(practice.cells[1].source))
        if isinstance(n, ast.Call)
    )
    chapter, registered = (ast.literal_eval(arg) for arg in call.args)
    assert chapter == "ch99"
    assert [registered[f"q{i}"].strip("\n") for i in (1, 2, 3)] == TRICKY


def _run(nb, tmp_path, extra: str):
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)  # a copy, as on disk
    nb.cells.append(nbformat.v4.new_code_cell(extra))
    NotebookClient(
        nb,
        timeout=60,
        allow_errors=True,  # the stubs raise NotImplementedError
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    return "\n".join(
        "".join(out.get("text", "")) + "".join(map(str, out.get("data", {}).values()))
        for out in nb.cells[-1].outputs
    )


def test_practice_copy_solution_shows_the_reference_graded_copy_none(tmp_path):
    src = read_notebook(ROOT / "exercises" / "01_neuron.ipynb")
    q1 = next(solution_code(c.source) for c in src.cells if grade_id(c) == "q1_answer")
    shown = _run(release_notebook(src), tmp_path, "q1.solution()")
    assert "Solution for q1" in shown and q1 in shown, shown
    shown = _run(release_notebook(src, graded=True), tmp_path, "q1.solution()")
    assert "No reference solution for q1" in shown and "neuron_output" not in shown, (
        shown
    )


# ------------------------------------------------------------------ graded copies
@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_graded_copy_gives_no_solution_and_no_hidden_test_away(source):
    src = read_notebook(source)
    assert any(secrets(src).values()), f"{source.name}: no solution lines to look for"
    graded = release_notebook(src, graded=True)
    assert graded.metadata.dlcourse.release == "graded"
    assert not any(c.metadata.get("dlcourse") == "solutions" for c in graded.cells)
    assert copy_leaks(src, graded) == []
    # the same check finds the solutions in a practice copy (so it can fail), and no
    # hidden test there either
    practice_leaks = copy_leaks(src, release_notebook(src))
    assert practice_leaks and not any(p.startswith("hidden") for p in practice_leaks)


def _with_written(source):
    return with_written_answer(read_notebook(source))


@pytest.mark.parametrize(
    "source", [*SOURCES, "fixture"], ids=lambda p: getattr(p, "stem", p)
)
def test_graded_copy_gives_no_model_answer_away(source):
    """No sentence of a model answer or rubric in a graded copy; a practice copy shows them
    (in its folded cells), so the check can fail. ``fixture``: 01_neuron with one more
    written answer (tests/written.py)."""
    src = (
        _with_written(ROOT / "exercises" / "01_neuron.ipynb")
        if source == "fixture"
        else read_notebook(source)
    )
    secret = model_answers(src)
    graded = release_notebook(src, graded=True)
    assert not [leak for leak in copy_leaks(src, graded) if leak.startswith("model")]
    practice = [
        leak
        for leak in copy_leaks(src, release_notebook(src))
        if leak.startswith("model")
    ]
    assert len(practice) == len(secret)
    assert secret or source != "fixture"


def test_copy_check_catches_a_solution_in_metadata_or_an_unmarked_cell():
    src = read_notebook(ROOT / "exercises" / "01_neuron.ipynb")
    graded = release_notebook(src, graded=True)
    q4 = next(c for c in src.cells if grade_id(c) == "q4_answer")
    graded.cells[0].metadata["note"] = q4.source
    assert any(leak.startswith("q4_answer") for leak in copy_leaks(src, graded))
    graded = release_notebook(src, graded=True)
    graded.cells.append(nbformat.v4.new_code_cell("check_hidden('ch01', 'q1')"))
    assert "hidden test: check_hidden" in copy_leaks(src, graded)


# ------------------------------------------------------------------ the installed package
def build_wheel(root: Path, work: Path) -> Path:
    """A wheel of the learner package ``dlcourse`` from a copy of ``root``'s sources (the
    checkout stays untouched: setuptools writes build/ and *.egg-info next to them)."""
    tree = work / "src"
    tree.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (root / name).exists():
            shutil.copy(root / name, tree / name)
    shutil.copytree(
        root / "dlcourse",
        tree / "dlcourse",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(work / "dist"),
            str(tree),
        ],
        capture_output=True,
        check=False,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = (work / "dist").glob("dlcourse-*.whl")
    return wheel


def wheel_files(wheel: Path) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as zf:
        return {
            name: "\n".join(
                norm(line)
                for line in zf.read(name).decode("utf-8", "replace").splitlines()
            )
            for name in zf.namelist()
        }


# Lines of a solution that the course's library (outside the checkers, dlcourse/exercises/)
# writes the same way, because the exercise asks the student to re-derive that library code.
# Each entry is one file and one line, with the reason; a checker module never qualifies, and
# the solution's other lines are still looked for everywhere.
LIBRARY_LINES = {
    (file, line): reason
    for file, line, reason in [
        (
            "dlcourse/attention.py",
            "return np.tril(np.ones((T, T), dtype=bool))",
            "attention.causal_mask is the mask ch13 q2 asks for",
        ),
        (
            "dlcourse/attention.py",
            "e = np.exp(scores - scores.max(axis=-1, keepdims=True))",
            "attention.attention_weights, the stable softmax of chapter 13 (ch13 q1)",
        ),
        (
            "dlcourse/attention.py",
            "weights = e / e.sum(axis=-1, keepdims=True)",
            "attention.attention_weights normalises the same way (ch13 q3)",
        ),
        (
            "dlcourse/attention.py",
            "return weights @ v, weights",
            "attention.scaled_dot_product_attention, shown in chapter 13 (ch13 q3)",
        ),
        (
            "dlcourse/attention.py",
            "pe[:, 0::2] = np.sin(angles)",
            "attention.positional_encoding, shown in chapter 13 (ch13 q4)",
        ),
        (
            "dlcourse/fairness.py",
            "return float(max(rates) - min(rates))",
            "fairness.demographic_parity_gap is the gap ch15 q2 asks for",
        ),
        (
            "dlcourse/models/cnn.py",
            "for start in range(0, len(X), batch_size):",
            "the library's minibatch loop (ch06 q5 and ch08 q4 write one)",
        ),
        (
            "dlcourse/models/deep.py",
            "for start in range(0, len(X), batch_size):",
            "chapter 10's recording trainer: the same minibatch loop (ch06 q5, ch08 q4)",
        ),
        (
            "dlcourse/models/cnn.py",
            "total += loss.item() * len(idx)",
            "the library's minibatch loop: an epoch's mean loss (ch08 q4)",
        ),
    ]
}


def wheel_solution_leaks(files: dict[str, str], source_nb) -> list[str]:
    return [
        f"{gid}: {line!r} in {name}"
        for gid, lines in secrets(source_nb).items()
        for line in lines
        if len(line) >= MIN_LENGTH and not TRIVIAL_RETURN.match(line)
        for name, text in files.items()
        if line in text and (name, line) not in LIBRARY_LINES
    ]


INSTRUCTOR_IMPORT = re.compile(r"^(from|import) dlcourse_instructor\b", re.MULTILINE)
HIDDEN_TABLE = re.compile(r"^HIDDEN\s*[:=]", re.MULTILINE)


def wheel_hidden_leaks(files: dict[str, str]) -> list[str]:
    """Modules named ``answers`` or from ``dlcourse_instructor``, code that imports it, a
    ``HIDDEN`` table, ``check_hidden``, or a line of a source's hidden-test regions."""
    leaks = [
        name
        for name in files
        if "answers" in Path(name).with_suffix("").parts
        or "dlcourse_instructor" in name
    ]
    for name, text in files.items():
        leaks += [f"check_hidden in {name}"] * ("check_hidden" in text)
        leaks += [f"imports dlcourse_instructor: {name}"] * bool(
            INSTRUCTOR_IMPORT.search(text)
        )
        leaks += [f"a HIDDEN table in {name}"] * bool(HIDDEN_TABLE.search(text))
    hidden = {line for src in SOURCES for line in hidden_lines(read_notebook(src))}
    leaks += [
        f"{line!r} in {name}"
        for name, text in files.items()
        for line in hidden
        if len(line) >= MIN_LENGTH and line in text
    ]
    return leaks


def test_library_lines_are_outside_the_checkers():
    assert not any(name.startswith("dlcourse/exercises/") for name, _ in LIBRARY_LINES)


@pytest.fixture(scope="module")
def learner_wheel(tmp_path_factory) -> dict[str, str]:
    return wheel_files(build_wheel(ROOT, tmp_path_factory.mktemp("wheel")))


def test_learner_wheel_is_the_learner_package(learner_wheel):
    names = set(learner_wheel)
    assert (
        "dlcourse/exercises/ch01.py" in names
        and "dlcourse/exercises/solutions.py" in names
    )
    assert all(n.startswith(("dlcourse/", "dlcourse-")) for n in names), sorted(names)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_learner_wheel_holds_no_reference_solution(learner_wheel, source):
    assert wheel_solution_leaks(learner_wheel, read_notebook(source)) == []


def wheel_model_answer_leaks(files: dict[str, str], source_nb) -> list[str]:
    flat = {name: " ".join(text.split()) for name, text in files.items()}
    return [
        f"model answer: {s!r} in {name}"
        for s in model_answers(source_nb)
        for name, text in flat.items()
        if s in text
    ]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_learner_wheel_holds_no_model_answer(learner_wheel, source):
    assert wheel_model_answer_leaks(learner_wheel, read_notebook(source)) == []


def test_learner_wheel_holds_no_hidden_test(learner_wheel):
    assert wheel_hidden_leaks(learner_wheel) == []


def test_wheel_checks_catch_a_planted_solution_and_hidden_test(tmp_path):
    """The checks above can fail: plant a solution and a hidden test in a copy of the
    sources, build that wheel, and both are found."""
    planted = tmp_path / "planted"
    planted.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, planted / name)
    shutil.copytree(
        ROOT / "dlcourse",
        planted / "dlcourse",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    src = read_notebook(ROOT / "exercises" / "01_neuron.ipynb")
    q4 = next(solution_code(c.source) for c in src.cells if grade_id(c) == "q4_answer")
    with open(planted / "dlcourse" / "exercises" / "ch01.py", "a") as f:
        f.write(
            f"\n_SOLUTION_Q4 = {q4!r}\n"
        )  # as the old Question(solution=...) held it
    (planted / "dlcourse" / "exercises" / "answers.py").write_text(
        "from dlcourse_instructor.answers import check_hidden\n"
    )
    written = _with_written(ROOT / "exercises" / "01_neuron.ipynb")
    sentence = model_answers(written)[-1]
    with open(planted / "dlcourse" / "exercises" / "ch02.py", "a") as f:
        f.write(f"\n# {sentence}\n")  # a model answer in a comment
    files = wheel_files(build_wheel(planted, tmp_path / "build"))
    assert wheel_model_answer_leaks(files, written) == [
        f"model answer: {sentence!r} in dlcourse/exercises/ch02.py"
    ]
    assert any(
        leak.startswith("q4_answer") for leak in wheel_solution_leaks(files, src)
    )
    leaks = wheel_hidden_leaks(files)
    assert "dlcourse/exercises/answers.py" in leaks
    assert "check_hidden in dlcourse/exercises/answers.py" in leaks
    assert "imports dlcourse_instructor: dlcourse/exercises/answers.py" in leaks

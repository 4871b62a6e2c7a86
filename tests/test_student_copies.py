"""The committed student copies (student/) are exactly what `dlcourse release` (practice mode,
`make release`) makes of the instructor sources (exercises/), metadata included (nbgrader's lock
flags and checksums), and every chapter links its own exercise notebook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dlcourse_instructor.grading.notebook import read_notebook
from dlcourse_instructor.grading.student_copy import release_notebook

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "exercises").glob("*.ipynb"))


def _cells(nb) -> list[tuple[str, str, dict]]:
    # everything but the cell ids, which nbstripout renumbers
    return [(c["cell_type"], "".join(c["source"]), c["metadata"]) for c in nb["cells"]]


def test_every_chapter_has_an_exercise_notebook():
    chapters = {p.stem for p in (ROOT / "book").glob("[0-9]*.ipynb")}
    assert chapters and chapters == {p.stem for p in SOURCES}


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_student_copy_is_the_release_of_the_source(source):
    copy = ROOT / "student" / source.name
    assert copy.is_file(), f"{copy.relative_to(ROOT)} is missing: run `make release`"
    expected = release_notebook(read_notebook(source))  # a practice copy
    committed = read_notebook(copy)
    assert _cells(committed) == _cells(expected), (
        f"{copy.relative_to(ROOT)} is out of date with {source.relative_to(ROOT)}: run `make release`"
    )
    assert committed.metadata.get("dlcourse") == {"release": "practice"}
    text = copy.read_text()
    assert "### BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "check_hidden" not in text and "dlcourse_instructor" not in text


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_chapter_links_its_exercises(source):
    chapter = json.loads((ROOT / "book" / source.name).read_text())
    markdown = "\n".join(
        "".join(c["source"]) for c in chapter["cells"] if c["cell_type"] == "markdown"
    )
    assert f"<../student/{source.name}>" in markdown  # the download link
    assert (
        "colab.research.google.com/github/" in markdown
        and f"/student/{source.name}" in markdown
    )

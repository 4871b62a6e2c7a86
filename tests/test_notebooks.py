"""The book's notebooks as files: committed stripped, listed in the table of contents, and
showing the package's real code rather than copies of it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def committed_notebooks() -> list[Path]:
    """Notebooks tracked by git (all notebooks on disk when this is not a git checkout)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        out = []
    paths = [ROOT / p for p in out if (ROOT / p).is_file()]
    return paths or sorted(ROOT.glob("book/*.ipynb")) + sorted(ROOT.glob("exercises/*.ipynb"))


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [c["file"] for part in toc["parts"] for c in part["chapters"]]


CHAPTERS = [ROOT / f"{f}.ipynb" for f in toc_files() if (ROOT / f"{f}.ipynb").is_file()]


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_there_are_notebooks():
    assert len(committed_notebooks()) >= 8


@pytest.mark.parametrize("path", committed_notebooks(), ids=_name)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"{_name(path)}: cells {dirty} hold outputs; run `make strip` (nbstripout)"


@pytest.mark.parametrize("path", committed_notebooks(), ids=_name)
def test_python_kernel(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"].get("kernelspec", {}).get("language") == "python", _name(path)


def test_toc_lists_existing_files_and_every_chapter():
    for file in toc_files():
        assert (ROOT / f"{file}.ipynb").is_file() or (ROOT / f"{file}.md").is_file(), file
    listed = {ROOT / f"{f}.ipynb" for f in toc_files()}
    unlisted = [p for p in sorted(ROOT.glob("book/*.ipynb")) if p not in listed]
    assert not unlisted, f"notebooks missing from _toc.yml (they would not be built): {unlisted}"


@pytest.mark.parametrize("path", CHAPTERS, ids=_name)
def test_chapter_shape(path):
    """One H1 title with a label, and the package's code shown by literalinclude/pyobject."""
    nb = json.loads(path.read_text())
    markdown = "\n".join(
        "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"
    )
    h1 = [line for line in markdown.splitlines() if re.match(r"^# \S", line)]
    assert len(h1) == 1, f"{_name(path)}: expected one H1 title, found {h1}"
    assert re.search(r"^\(chap-[a-z-]+\)=\s*$", markdown, re.M), f"{_name(path)}: no (chap-…)= label"
    includes = re.findall(r"```\{literalinclude\}\s+(\S+)\s*\n:pyobject:\s*(\S+)", markdown)
    assert includes, f"{_name(path)}: shows no package code with literalinclude :pyobject:"
    for target, pyobject in includes:
        source = (path.parent / target).resolve()
        assert source.is_file(), f"{_name(path)}: includes missing file {target}"
        last = pyobject.split(".")[-1]
        assert re.search(rf"^\s*(def|class)\s+{re.escape(last)}\b", source.read_text(), re.M), (
            f"{_name(path)}: {target} has no {pyobject}"
        )

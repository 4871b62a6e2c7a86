"""The book's notebooks as files: committed stripped, listed in the table of contents, and
showing the package's real code rather than copies of it."""

from __future__ import annotations

import importlib
import importlib.util
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
            ["git", "ls-files", "*.ipynb"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        out = []
    paths = [ROOT / p for p in out if (ROOT / p).is_file()]
    return paths or sorted(ROOT.glob("book/*.ipynb")) + sorted(
        ROOT.glob("exercises/*.ipynb")
    )


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
        if cell["cell_type"] == "code"
        and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, (
        f"{_name(path)}: cells {dirty} hold outputs; run `make strip` (nbstripout)"
    )


@pytest.mark.parametrize("path", committed_notebooks(), ids=_name)
def test_python_kernel(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"].get("kernelspec", {}).get("language") == "python", _name(path)


def test_toc_lists_existing_files_and_every_chapter():
    for file in toc_files():
        assert (ROOT / f"{file}.ipynb").is_file() or (ROOT / f"{file}.md").is_file(), (
            file
        )
    listed = {ROOT / f"{f}.ipynb" for f in toc_files()}
    unlisted = [p for p in sorted(ROOT.glob("book/*.ipynb")) if p not in listed]
    assert not unlisted, (
        f"notebooks missing from _toc.yml (they would not be built): {unlisted}"
    )


SHOW_SOURCE = re.compile(r"^from (\S+) import (\w+)\s+show_source\(([\w.]+)\)\s*$")


@pytest.mark.parametrize("path", CHAPTERS, ids=_name)
def test_chapter_shape(path):
    """One H1 title with a label, and the package's real code shown by show_source cells."""
    nb = json.loads(path.read_text())
    markdown = "\n".join(
        "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"
    )
    h1 = [line for line in markdown.splitlines() if re.match(r"^# \S", line)]
    assert len(h1) == 1, f"{_name(path)}: expected one H1 title, found {h1}"
    assert re.search(r"^\(chap-[a-z-]+\)=\s*$", markdown, re.M), (
        f"{_name(path)}: no (chap-…)= label"
    )
    # Jupyter and Colab show a {literalinclude} as its raw options: the code would be lost there.
    assert "{literalinclude}" not in markdown, (
        f"{_name(path)}: use a show_source cell instead"
    )
    shown = []
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or "show_source(" not in source:
            continue
        match = SHOW_SOURCE.match(source)
        assert match, (
            f"{_name(path)}: a show_source cell should be `from M import X` + `show_source(X...)`"
        )
        assert "remove-input" in cell["metadata"].get("tags", []), (
            f"{_name(path)}: the book shows the code, not the cell that fetches it (tag remove-input)"
        )
        module, name, target = match.groups()
        obj = importlib.import_module(module)
        for part in target.split("."):
            obj = getattr(
                obj, part
            )  # an AttributeError names a target that no longer exists
        shown.append(target)
    assert shown, f"{_name(path)}: shows none of the package's code"


def test_setup_cells_match_the_config():
    """Every chapter and exercise starts with the set-up cell made from _config.yml."""
    spec = importlib.util.spec_from_file_location(
        "sync_notebooks", ROOT / "scripts" / "sync_notebooks.py"
    )
    sync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sync)
    stale = sync.out_of_date()
    assert not stale, (
        f"run `python scripts/sync_notebooks.py`: {[_name(p) for p in stale]}"
    )
    setup = sync.setup_source()
    for path in sync.notebooks():
        first_code = next(
            c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"
        )
        assert "".join(first_code["source"]) == setup, (
            f"{_name(path)}: the set-up cell is not first"
        )
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert f"git+{url}" in setup

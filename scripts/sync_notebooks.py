"""Keep every notebook's set-up cell (and each exercise's chapter link) true to ``_config.yml``.

The repository's address lives in one place, ``_config.yml`` (``repository.url``, which the
book's launch buttons use too), and so does the published book's address (``html.baseurl``).
Every chapter (``book/``) and exercise source (``exercises/``, copied into ``student/`` by
``make release``) starts with the same set-up cell made from them: it installs ``dlcourse`` where
it is missing (Colab, a bare Python) and does nothing where it is installed. The cell is tagged
``remove-cell``, so the HTML book does not show it (it still runs when the book is built).

    python scripts/sync_notebooks.py           # rewrite the notebooks that are out of date
    python scripts/sync_notebooks.py --check   # list them and exit 1 (tests/test_notebooks.py)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SETUP_KEY = "setup"  # cell.metadata["dlcourse"] == "setup" marks the set-up cell
SETUP_TAGS = ["remove-cell"]

SETUP_TEMPLATE = """\
# Set-up: installs the course package where it is missing (Colab, a fresh Python);
# elsewhere it does nothing. Figures are drawn sharp for high-resolution screens.
import importlib.util

if importlib.util.find_spec("dlcourse") is None:
    %pip install --quiet "dlcourse @ git+{repository}"
%config InlineBackend.figure_formats = ["retina"]"""

# "[Gradient descent](<anything>/06_gradient_descent.<ipynb or html>)" in an exercise's intro.
CHAPTER_LINK = re.compile(r"\]\((?:\.\./book/|https?://\S+?/book/)(\d\d_[a-z_]+)\.(?:ipynb|html)\)")


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def setup_source(cfg: dict | None = None) -> str:
    cfg = cfg or config()
    return SETUP_TEMPLATE.format(repository=cfg["repository"]["url"].rstrip("/"))


def chapter_url(stem: str, cfg: dict | None = None) -> str:
    """The published page of chapter ``stem`` (e.g. ``06_gradient_descent``)."""
    cfg = cfg or config()
    return f"{cfg['html']['baseurl'].rstrip('/')}/book/{stem}.html"


def notebooks() -> list[Path]:
    return sorted((ROOT / "book").glob("*.ipynb")) + sorted((ROOT / "exercises").glob("*.ipynb"))


# In an exercise the set-up cell is a locked nbgrader cell: students cannot edit it, and
# nbgrader (and `dlcourse grade`) restore it from the source.
NBGRADER_LOCKED = {
    "grade": False,
    "grade_id": "course_setup",
    "locked": True,
    "schema_version": 3,
    "solution": False,
}


def _setup_cell(source: str, exercise: bool) -> dict:
    metadata: dict = {"dlcourse": SETUP_KEY, "tags": list(SETUP_TAGS)}
    if exercise:
        metadata["nbgrader"] = dict(NBGRADER_LOCKED)
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": "setup",
        "metadata": metadata,
        "outputs": [],
        "source": source.splitlines(keepends=True),
    }


def synced(nb: dict, cfg: dict) -> dict:
    """A copy of ``nb`` with its set-up cell (after the title cell) and chapter links up to date."""
    exercise = any("nbgrader" in c.get("metadata", {}) for c in nb["cells"])
    setup = _setup_cell(setup_source(cfg), exercise)
    cells = []
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("dlcourse") == SETUP_KEY:
            setup["id"] = cell.get("id", setup["id"])  # nbstripout renumbers ids: keep this one
            continue
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            linked = CHAPTER_LINK.sub(lambda m: f"]({chapter_url(m.group(1), cfg)})", text)
            if linked != text:
                cell = {**cell, "source": linked.splitlines(keepends=True)}
        cells.append(cell)
    cells.insert(1, setup)
    return {**nb, "cells": cells}


def _dump(nb: dict) -> str:
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def out_of_date(paths: list[Path] | None = None) -> list[Path]:
    cfg = config()
    stale = []
    for path in paths or notebooks():
        nb = json.loads(path.read_text())
        if synced(nb, cfg) != nb:
            stale.append(path)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only list stale notebooks")
    args = parser.parse_args(argv)
    stale = out_of_date()
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)}: set-up cell or chapter link out of date")
        return 1 if stale else 0
    cfg = config()
    for path in stale:
        path.write_text(_dump(synced(json.loads(path.read_text()), cfg)))
        print(f"updated {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

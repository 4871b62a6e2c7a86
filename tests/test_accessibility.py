"""Figures a colour-blind reader can read: every colour map the book or the package names is
perceptually uniform or a colour-blind-safe diverging map (no jet, rainbow, red-green)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAFE_COLORMAPS = {
    "viridis",
    "cividis",
    "magma",
    "inferno",
    "plasma",
    "gray",
    "grey",
    "Greys",
    "binary",
    "PuOr",
    "BrBG",
    "PRGn",  # diverging maps that avoid red-green (Brewer's colour-blind safe)
}
CMAP = re.compile(
    r"""(?:cmap\s*=\s*|get_cmap\(\s*|colormaps\[\s*)["']([A-Za-z_]+)["']"""
)


def _code(path: Path) -> str:
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text())
        return "\n".join(
            "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"
        )
    return path.read_text()


SOURCES = sorted(ROOT.glob("book/*.ipynb")) + sorted(ROOT.glob("dlcourse/**/*.py"))


def test_the_pattern_finds_colour_maps():
    assert CMAP.findall('plt.imshow(x, cmap="jet"); plt.get_cmap("PuOr_r")') == [
        "jet",
        "PuOr_r",
    ]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_colour_maps_are_colour_blind_safe(path):
    unsafe = [
        name
        for name in CMAP.findall(_code(path))
        if name.removesuffix("_r") not in SAFE_COLORMAPS
    ]
    assert not unsafe, (
        f"{path.relative_to(ROOT)} uses colour maps that are not colour-blind safe: {unsafe}"
    )

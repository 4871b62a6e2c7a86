"""Hidden tests of ``exercises/04_depth.ipynb`` (instructors only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlcourse.exercises.ch04 import reference_sawtooth
from dlcourse.exercises.checks import call
from dlcourse.regions import zaslavsky_bound

_GRID = np.linspace(0, 1, 2**12 + 1)


def reference_width(regions):
    """q4's answer: the fewest ReLUs one hidden layer needs before its bound reaches
    ``regions``."""
    n = 0
    while zaslavsky_bound(n) < regions:
        n += 1
    return n


def _thirty_two_pieces(y: Any) -> bool:
    """``y`` (a function's values on :data:`_GRID`) has 2⁵ = 32 linear pieces on [0, 1],
    counted from the slope changes."""
    try:
        y = np.asarray(y, dtype=float)
        if y.shape != _GRID.shape:
            return False
        slopes = np.round(np.diff(y) / np.diff(_GRID), 6)
        return int(1 + np.count_nonzero(np.diff(slopes))) == 2**5
    except Exception:
        return False


HIDDEN = {
    "q1": [
        call(
            [np.linspace(-2, 3, 101)],
            reference_sawtooth,
            name="tent (inputs outside [0, 1] too)",
        ),
        call(
            [np.linspace(0, 1, 12).reshape(3, 4)],
            reference_sawtooth,
            name="tent (a 2-D array of inputs)",
        ),
    ],
    "q2": [
        call(
            [np.linspace(0, 1, 257), 6],
            reference_sawtooth,
            name="sawtooth (more folds)",
        ),
        call(
            [_GRID, 5],
            check=_thirty_two_pieces,
            message="k = 5 folds must make 2⁵ = 32 linear pieces on [0, 1]",
        ),
    ],
    "q3": [
        call([2], zaslavsky_bound, name="max_regions (a few lines)"),
        call([10], zaslavsky_bound, name="max_regions (a few lines)"),
        call(
            [1000],
            zaslavsky_bound,
            name="max_regions (many lines: keep exact integer arithmetic)",
        ),
    ],
    "q4": [
        call(
            [4**k],
            reference_width,
            name="width_to_match (the regions of a deeper sawtooth, 4^k)",
        )
        for k in (3, 5, 6)
    ]
    + [call([2], reference_width, name="width_to_match (a small region count)")],
}

"""Hidden tests of ``exercises/04_depth.ipynb`` (instructors only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlcourse.exercises.ch04 import ZIGZAG_OPTIONS, reference_sawtooth
from dlcourse.exercises.checks import call
from dlcourse.exercises.choice import right_choice
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


def zigzag_pieces(layers: int) -> int:
    """q5's experiment, as the notebook runs it: compose the zigzag 3 relu(x) − 6 relu(x − ⅓)
    + 6 relu(x − ⅔) ``layers`` times and count the linear pieces on [0, 1]."""
    x = np.linspace(0, 1, 3**7 + 1)  # every kink i / 3^layers lies on the grid
    y = x
    for _ in range(layers):
        y = (
            3 * np.maximum(y, 0)
            - 6 * np.maximum(y - 1 / 3, 0)
            + 6 * np.maximum(y - 2 / 3, 0)
        )
    slope = np.diff(y) / np.diff(x)
    return 1 + int(np.sum(~np.isclose(slope[1:], slope[:-1])))


def reference_regions_1d(w, b, lo, hi):
    """q6's answer: one more region than distinct kinks −b/w strictly inside (lo, hi)."""
    w, b = np.asarray(w, dtype=float), np.asarray(b, dtype=float)
    switching = w != 0  # a neuron with w = 0 is always on or always off
    kinks = -b[switching] / w[switching]
    return int(np.unique(kinks[(kinks > lo) & (kinks < hi)]).size + 1)


_rng = np.random.default_rng(404)
_W6 = _rng.choice([-2.0, -1.0, 1.0, 2.0, 4.0], size=40)
# kinks on a coarse dyadic grid, so many neurons share one (exactly, in floating point)
_B6 = -_W6 * _rng.choice(np.arange(-8, 9) / 8, size=40)

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
    "q5": [
        right_choice(
            next(o for o, n in ZIGZAG_OPTIONS.items() if n == zigzag_pieces(4)),
            about="the number of pieces of four zigzag layers",
        )
    ],
    "q6": [
        call(
            [_W6, _B6, -1.0, 1.0],
            reference_regions_1d,
            name="count_regions_1d (40 neurons, many sharing kinks)",
        ),
        call(
            [np.array([0.0, 1.0, 0.0]), np.array([1.0, -0.5, -2.0]), 0.0, 1.0],
            reference_regions_1d,
            name="count_regions_1d (neurons with w = 0 never switch)",
        ),
        call(
            [np.array([1.0, -1.0]), np.array([-1.0, -1.0]), -1.0, 1.0],
            reference_regions_1d,
            name="count_regions_1d (kinks on the ends of the interval do not count)",
        ),
        call(
            [np.array([2.0, -4.0, 0.5]), np.array([-1.0, 1.0, 0.1]), -1.0, 1.0],
            reference_regions_1d,
            name="count_regions_1d (distinct kinks, negative weights)",
        ),
    ],
}

"""Checkers for ``exercises/04_depth.ipynb``: the tent map as a ReLU net, sawtooth pieces, Zaslavsky.

* q1 ``tent(x)``                          the tent map from two ReLUs
* q2 ``sawtooth(x, k)``                   the tent composed k times
* q3 ``max_regions(n)``                   Zaslavsky's bound for n lines in the plane
* q4 ``width_to_match(regions)``          the shallow width a region count needs
* q5 ``prediction``                       predict: layers of a three-piece zigzag
* q6 ``count_regions_1d(w, b, lo, hi)``   find the bug: regions of one hidden layer, 1-D input

Expected answers come from :mod:`dlcourse.regions` (the hand-built sawtooth layers and
Zaslavsky's bound ``Σ_{i≤d} C(n, i)``), and a few are written out. The hidden tests and the
reference solutions are not here: they stay with the instructor
(``dlcourse_instructor.answers.ch04``).

See chapter: Why depth (book/04_depth.ipynb)
"""

from __future__ import annotations

import numpy as np

from dlcourse.activations import relu
from dlcourse.regions import sawtooth_layers, zaslavsky_bound

from .checks import call
from .choice import choice
from .question import Question

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "reference_sawtooth", "ZIGZAG_OPTIONS"]


def reference_sawtooth(x, k=1):
    """Run the package's width-2 ReLU layers on inputs (x, 0) and read t = 2 h₀ − 4 h₁."""
    H = np.stack([np.asarray(x, dtype=float), np.zeros(np.shape(x))], axis=-1)
    for W, b in sawtooth_layers(k):
        H = relu(H @ W.T + b)
    return 2 * H[..., 0] - 4 * H[..., 1]


# ---------------------------------------------------------------- q1: the tent map from two ReLUs
_xs = np.array([-0.5, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5])
q1 = Question(
    "q1",
    "tent",
    tests=[
        # the tent 1 − |2x − 1| on [0, 1], written out
        call(
            [np.array([0.0, 0.25, 0.5, 0.75, 1.0])], np.array([0.0, 0.5, 1.0, 0.5, 0.0])
        ),
        call([_xs], reference_sawtooth),
    ],
    hint="relu(x) rises with slope 1 from 0; relu(x − ½) starts rising at ½. 2·relu(x) climbs to 1 at "
    "x = ½; from there subtracting 4·relu(x − ½) turns slope +2 into slope −2.",
)

# ---------------------------------------------------------------- q2: folding k times
q2 = Question(
    "q2",
    "sawtooth",
    tests=[
        call([np.linspace(0, 1, 9), 1], reference_sawtooth),
        call([np.linspace(0, 1, 17), 3], reference_sawtooth),
    ],
    hint="Each hidden layer of 2 ReLUs computes one tent map of the previous layer's output. "
    "Compose: apply your `tent` k times in a loop.",
)

# ---------------------------------------------------------------- q3: Zaslavsky's bound
q3 = Question(
    "q3",
    "max_regions",
    tests=[
        call([0], zaslavsky_bound),
        call([1], zaslavsky_bound),
        call([3], zaslavsky_bound),
        call([44], zaslavsky_bound),
    ],
    hint="Add lines one at a time. The k-th line in general position crosses the k − 1 earlier lines "
    "in k − 1 points, so it is cut into k pieces, and each piece splits one region in two: "
    "1 + (1 + 2 + … + n). Use integer division // to keep an int.",
)

# ---------------------------------------------------------------- q4: width for depth
q4 = Question(
    "q4",
    "width_to_match",
    # the expected widths, computed once: the smallest n with zaslavsky_bound(n) ≥ regions
    tests=[call([4**2], 5), call([4**4], 23), call([1], 0)],
    hint="A shallow network with n hidden ReLUs has at most max_regions(n) linear regions. Increase n "
    "from 0 until max_regions(n) ≥ the target (the deep folding network of k layers has 4^k).",
)

# ---------------------------------------------------------------- q5: predict, a zigzag folded k times
#: q5's options: the number of linear pieces on [0, 1] of 4 zigzag layers (3 ReLUs each).
ZIGZAG_OPTIONS = {"A": 12, "B": 16, "C": 64, "D": 81}

q5 = Question(
    "q5",
    "prediction",
    tests=[choice(sorted(ZIGZAG_OPTIONS))],
    hint="Follow one layer's output back: each linear piece of the first k layers is stretched over "
    "the whole of [0, 1], and the next zigzag goes up, down and up again over it. How many pieces "
    "does each old piece become?",
)

# ---------------------------------------------------------------- q6: find the bug
# The expected counts are written out (computed once by hand from the kinks -b/w).
q6 = Question(
    "q6",
    "count_regions_1d",
    tests=[
        # the notebook's example: kinks 0, 0.5 and 0.25, all different
        call([np.array([1.0, 1.0, -1.0]), np.array([0.0, -0.5, 0.25]), -1.0, 1.0], 4),
        call(  # three neurons that all switch at x = 0.5
            [np.array([1.0, 2.0, -1.0]), np.array([-0.5, -1.0, 0.5]), -1.0, 1.0],
            2,
            name="count_regions_1d (neurons sharing a kink)",
        ),
        call(  # kinks 0, 1/3, 1/3 inside (-2, 2) and -5 outside
            [
                np.array([1.0, 3.0, 6.0, 1.0]),
                np.array([0.0, -1.0, -2.0, 5.0]),
                -2.0,
                2.0,
            ],
            3,
            name="count_regions_1d (neurons sharing a kink)",
        ),
    ],
    points=2,
    hint="A region ends where some neuron switches on or off. What if two neurons switch at the "
    "same x? `np.unique` helps.",
)

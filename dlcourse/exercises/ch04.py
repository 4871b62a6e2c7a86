"""Checkers for ``exercises/04_depth.ipynb``: the tent map as a ReLU net, sawtooth pieces, Zaslavsky.

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
from .question import Question

__all__ = ["q1", "q2", "q3", "q4", "reference_sawtooth"]


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

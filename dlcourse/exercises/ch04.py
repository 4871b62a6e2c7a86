"""Checkers for ``exercises/04_depth.ipynb``: the tent map as a ReLU net, sawtooth pieces, Zaslavsky.

Expected answers come from :mod:`dlcourse.regions` (the hand-built sawtooth layers and
Zaslavsky's bound ``Σ_{i≤d} C(n, i)``) and from the closed form ``1 − |2x − 1|`` of the tent.

See chapter: Why depth
"""

from __future__ import annotations

import numpy as np

from dlcourse.activations import relu
from dlcourse.regions import sawtooth_layers, zaslavsky_bound

from .question import Question, call, holds

__all__ = ["q1", "q2", "q3", "q4"]


def _reference_sawtooth(x, k=1):
    """Run the package's width-2 ReLU layers on inputs (x, 0) and read t = 2 h₀ − 4 h₁."""
    H = np.stack([np.asarray(x, dtype=float), np.zeros(np.shape(x))], axis=-1)
    for W, b in sawtooth_layers(k):
        H = relu(H @ W.T + b)
    return 2 * H[..., 0] - 4 * H[..., 1]


def _pieces(f, k):
    """Count the linear pieces of f(x, k) on [0, 1] from the slope changes on a fine grid."""
    x = np.linspace(0, 1, 2**12 + 1)
    slopes = np.round(np.diff(f(x, k)) / np.diff(x), 6)
    return int(1 + np.count_nonzero(np.diff(slopes)))


# ---------------------------------------------------------------- q1: the tent map from two ReLUs
_Q1_SOLUTION = '''
def tent(x):
    """The tent map 2·relu(x) − 4·relu(x − ½): up from (0, 0) to (½, 1), down to (1, 0)."""
    return 2 * np.maximum(x, 0) - 4 * np.maximum(x - 0.5, 0)
'''

_xs = np.array([-0.5, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5])
q1 = Question(
    "q1",
    "tent",
    tests=[
        call([np.array([0.0, 0.25, 0.5, 0.75, 1.0])], lambda x: 1 - np.abs(2 * x - 1)),
        call([_xs], _reference_sawtooth),
    ],
    hidden_tests=[
        call([np.linspace(-2, 3, 101)], _reference_sawtooth),
        call([np.linspace(0, 1, 12).reshape(3, 4)], _reference_sawtooth),
    ],
    hint="relu(x) rises with slope 1 from 0; relu(x − ½) starts rising at ½. 2·relu(x) climbs to 1 at "
    "x = ½; from there subtracting 4·relu(x − ½) turns slope +2 into slope −2.",
    solution=_Q1_SOLUTION,
)

# ---------------------------------------------------------------- q2: folding k times
_Q2_SOLUTION = '''
def sawtooth(x, k):
    """The tent map applied k times: a ReLU network with k hidden layers of 2 neurons."""
    for _ in range(k):
        x = tent(x)
    return x
'''

q2 = Question(
    "q2",
    "sawtooth",
    tests=[
        call([np.linspace(0, 1, 9), 1], _reference_sawtooth),
        call([np.linspace(0, 1, 17), 3], _reference_sawtooth),
    ],
    hidden_tests=[
        call([np.linspace(0, 1, 257), 6], _reference_sawtooth),
        holds(
            lambda f: _pieces(f, 5) == 2**5,
            "k = 5 folds must make 2⁵ = 32 linear pieces on [0, 1]",
        ),
    ],
    hint="Each hidden layer of 2 ReLUs computes one tent map of the previous layer's output. "
    "Compose: apply your `tent` k times in a loop.",
    solution=_Q2_SOLUTION,
)

# ---------------------------------------------------------------- q3: Zaslavsky's bound
_Q3_SOLUTION = '''
def max_regions(n):
    """The most regions n lines can cut the plane into: 1 + n + n(n − 1)/2."""
    return 1 + n + n * (n - 1) // 2
'''

q3 = Question(
    "q3",
    "max_regions",
    tests=[
        call([0], zaslavsky_bound),
        call([1], zaslavsky_bound),
        call([3], zaslavsky_bound),
        call([44], zaslavsky_bound),
    ],
    hidden_tests=[call([n], zaslavsky_bound) for n in (2, 10, 1000)],
    hint="Add lines one at a time. The k-th line in general position crosses the k − 1 earlier lines "
    "in k − 1 points, so it is cut into k pieces, and each piece splits one region in two: "
    "1 + (1 + 2 + … + n). Use integer division // to keep an int.",
    solution=_Q3_SOLUTION,
)

# ---------------------------------------------------------------- q4: width for depth
_Q4_SOLUTION = '''
def width_to_match(regions):
    """Fewest ReLUs one hidden layer (2-D input) needs before its bound reaches `regions`."""
    n = 0
    while max_regions(n) < regions:
        n += 1
    return n
'''


def _reference_width(regions):
    n = 0
    while zaslavsky_bound(n) < regions:
        n += 1
    return n


q4 = Question(
    "q4",
    "width_to_match",
    tests=[
        call([4**2], _reference_width),
        call([4**4], _reference_width),
        call([1], _reference_width),
    ],
    hidden_tests=[call([4**k], _reference_width) for k in (3, 5, 6)]
    + [call([2], _reference_width)],
    hint="A shallow network with n hidden ReLUs has at most max_regions(n) linear regions. Increase n "
    "from 0 until max_regions(n) ≥ the target (the deep folding network of k layers has 4^k).",
    solution=_Q4_SOLUTION,
)

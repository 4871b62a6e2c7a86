"""How sure is a measured number? Intervals, a paired test and the spread over seeds.

A test accuracy is a count: ``k`` of ``n`` test examples right. Measured on another ``n``
examples from the same source it would come out a little different, so a single accuracy
comes with an interval, and "A beats B" needs more than A's number being larger:

* :func:`binomial_interval` and :func:`accuracy_interval`: the Wilson score interval
  [Wilson 1927] for a proportion. With :math:`\\hat p = k/n` and :math:`z` the standard
  normal quantile of the level (1.96 for 95 %),

  .. math::

      \\frac{\\hat p + \\frac{z^2}{2n}}{1 + \\frac{z^2}{n}} \\pm
      \\frac{z}{1 + \\frac{z^2}{n}} \\sqrt{\\frac{\\hat p(1-\\hat p)}{n} + \\frac{z^2}{4n^2}}.

  Unlike the textbook :math:`\\hat p \\pm z\\sqrt{\\hat p(1-\\hat p)/n}` it stays inside
  [0, 1] and does not shrink to a point at 100 % [Brown, Cai and DasGupta 2001].
* :func:`bootstrap_interval`: the percentile bootstrap [Efron and Tibshirani 1993] for any
  statistic (a mean squared error, a median): resample the values with replacement, compute
  the statistic each time, and take the middle ``level`` of those results.
* :func:`paired_test`: two classifiers on the *same* test set. Only the examples where
  exactly one of them is right carry information about which is better; if neither is
  better, each such example is a fair coin. The exact McNemar test [McNemar 1947] is the
  two-sided binomial test of ``b`` (A right, B wrong) among the ``b + c`` discordant
  examples: :math:`p = \\min\\bigl(1, 2 \\sum_{i \\le \\min(b, c)} \\binom{b+c}{i}
  2^{-(b+c)}\\bigr)`.
* :func:`seed_summary`: mean, sample standard deviation (divisor :math:`n-1`), minimum and
  maximum of one number measured with several seeds.

See chapter: Training a real network (book/08_training.ipynb)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from statistics import NormalDist
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "binomial_interval",
    "accuracy_interval",
    "bootstrap_interval",
    "paired_test",
    "PairedTest",
    "seed_summary",
    "SeedSummary",
]


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")


def binomial_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval ``(low, high)`` for a proportion of ``k`` successes in ``n``.

    Matches ``scipy.stats.binomtest(k, n).proportion_ci(level, method="wilson")``.
    """
    _check_level(level)
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"need n >= 1 and 0 <= k <= n, got k={k}, n={n}")
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p = k / n
    shrink = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / shrink
    half = z / shrink * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def accuracy_interval(correct: Any, level: float = 0.95) -> tuple[float, float, float]:
    """``(accuracy, low, high)`` of a boolean vector (one entry per test example)."""
    right = np.asarray(correct, dtype=bool).reshape(-1)
    low, high = binomial_interval(int(right.sum()), len(right), level)
    return float(right.mean()), low, high


def bootstrap_interval(
    values: Any,
    statistic: Callable[[np.ndarray], Any] = np.mean,
    level: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval ``(low, high)`` for ``statistic(values)``.

    ``values`` are resampled along their first axis (one row per test example), so a
    statistic of paired columns keeps its pairs. The same ``seed`` gives the same interval.
    """
    _check_level(level)
    data = np.asarray(values)
    if len(data) < 2 or n_resamples < 1:
        raise ValueError("bootstrap_interval needs at least 2 values and 1 resample")
    rng = np.random.default_rng(seed)
    stats = np.array(
        [
            statistic(data[rng.integers(0, len(data), len(data))])
            for _ in range(n_resamples)
        ],
        dtype=np.float64,
    )
    tail = (1 - level) / 2
    low, high = np.quantile(stats, [tail, 1 - tail])
    return float(low), float(high)


class PairedTest(NamedTuple):
    """Result of :func:`paired_test`: the p-value and the four counts."""

    p_value: float
    a_right_b_wrong: int
    a_wrong_b_right: int
    both_right: int
    both_wrong: int


def paired_test(correct_a: Any, correct_b: Any) -> PairedTest:
    """Exact McNemar test of two classifiers scored on the same examples.

    ``correct_a[i]`` and ``correct_b[i]`` say whether A and B got example ``i`` right.
    The p-value is the two-sided binomial test (probability 1/2) of the discordant
    counts; it equals ``scipy.stats.binomtest(b, b + c).pvalue`` (1.0 with no discordant
    example).
    """
    a = np.asarray(correct_a, dtype=bool).reshape(-1)
    b = np.asarray(correct_b, dtype=bool).reshape(-1)
    if a.shape != b.shape:
        raise ValueError(f"paired_test: {len(a)} results for A, {len(b)} for B")
    only_a, only_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
    discordant = only_a + only_b
    # Exact integer sums: no rounding until the one division.
    tail = sum(math.comb(discordant, i) for i in range(min(only_a, only_b) + 1))
    p_value = min(1.0, 2 * tail / 2**discordant)
    return PairedTest(p_value, only_a, only_b, int(np.sum(a & b)), int(np.sum(~a & ~b)))


class SeedSummary(NamedTuple):
    """One number measured with several seeds: its mean and its spread."""

    mean: float
    std: float
    min: float
    max: float
    n: int


def seed_summary(values: Sequence[float] | np.ndarray) -> SeedSummary:
    """Mean, sample standard deviation (``ddof=1``; NaN for one value), min, max, count."""
    data = np.asarray(values, dtype=np.float64).reshape(-1)
    if len(data) == 0:
        raise ValueError("seed_summary needs at least one value")
    std = float(data.std(ddof=1)) if len(data) > 1 else math.nan
    return SeedSummary(
        float(data.mean()), std, float(data.min()), float(data.max()), len(data)
    )

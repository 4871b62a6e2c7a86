"""dlcourse.stats against SciPy and against the coverage it promises."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sp

from dlcourse.stats import (
    accuracy_interval,
    binomial_interval,
    bootstrap_interval,
    paired_test,
    seed_summary,
)


@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
@pytest.mark.parametrize(
    "k,n", [(0, 1), (1, 1), (0, 10), (10, 10), (3, 10), (263, 270), (50, 100)]
)
def test_binomial_interval_is_scipys_wilson(k: int, n: int, level: float) -> None:
    ci = sp.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    assert binomial_interval(k, n, level) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_binomial_interval_rejects_nonsense() -> None:
    for k, n, level in [(3, 2, 0.95), (-1, 5, 0.95), (0, 0, 0.95), (1, 2, 1.0)]:
        with pytest.raises(ValueError):
            binomial_interval(k, n, level)


def test_accuracy_interval() -> None:
    correct = np.array([True] * 263 + [False] * 7)
    acc, low, high = accuracy_interval(correct)
    assert acc == pytest.approx(263 / 270)
    assert (low, high) == pytest.approx(binomial_interval(263, 270))
    assert low < acc < high


@pytest.mark.parametrize(
    "a_only,b_only,both", [(0, 0, 5), (4, 0, 10), (7, 3, 200), (12, 30, 0), (5, 5, 1)]
)
def test_paired_test_is_scipys_exact_binomial(
    a_only: int, b_only: int, both: int
) -> None:
    a = np.array([1] * a_only + [0] * b_only + [1] * both + [0] * 3, dtype=bool)
    b = np.array([0] * a_only + [1] * b_only + [1] * both + [0] * 3, dtype=bool)
    result = paired_test(a, b)
    expected = 1.0 if a_only + b_only == 0 else sp.binomtest(a_only, a_only + b_only)
    expected_p = expected if isinstance(expected, float) else expected.pvalue
    assert result.p_value == pytest.approx(expected_p, rel=1e-12)
    assert result.a_right_b_wrong == a_only and result.a_wrong_b_right == b_only
    assert result.both_right == both and result.both_wrong == 3


def test_paired_test_large_counts_stay_finite() -> None:
    a = np.r_[np.ones(900, bool), np.zeros(1100, bool)]
    result = paired_test(a, ~a)
    assert result.p_value == pytest.approx(sp.binomtest(900, 2000).pvalue, rel=1e-9)


def test_bootstrap_is_deterministic_and_covers_the_mean() -> None:
    rng = np.random.default_rng(1)
    covered = 0
    trials = 200
    for _ in range(trials):
        sample = rng.normal(3.0, 1.0, size=40)
        low, high = bootstrap_interval(sample, n_resamples=400, seed=0)
        covered += low <= 3.0 <= high
    # A 95 % interval; the percentile bootstrap under-covers slightly at n = 40.
    assert 0.88 <= covered / trials <= 0.99, covered
    sample = rng.normal(size=50)
    assert bootstrap_interval(sample, seed=3) == bootstrap_interval(sample, seed=3)
    assert bootstrap_interval(sample, seed=3) != bootstrap_interval(sample, seed=4)


def test_bootstrap_other_statistics_and_paired_rows() -> None:
    rng = np.random.default_rng(2)
    values = rng.exponential(size=(300, 2))
    low, high = bootstrap_interval(values, lambda v: np.mean(v[:, 0] - v[:, 1]))
    assert low < np.mean(values[:, 0] - values[:, 1]) < high
    low, high = bootstrap_interval(values[:, 0], np.median)
    assert low < np.median(values[:, 0]) < high


def test_seed_summary() -> None:
    summary = seed_summary([0.9, 0.92, 0.94])
    assert summary.mean == pytest.approx(0.92)
    assert summary.std == pytest.approx(0.02)  # sample std, divisor n - 1
    assert (summary.min, summary.max, summary.n) == (0.9, 0.94, 3)
    assert math.isnan(seed_summary([0.5]).std)

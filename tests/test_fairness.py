"""dlcourse.fairness against hand-computed values and scikit-learn."""

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, precision_recall_curve

from dlcourse import fairness as F

#            group 0 (4 people)  | group 1 (6 people)
Y_TRUE = np.array([1, 1, 0, 0, 1, 1, 1, 0, 0, 0])
Y_PRED = np.array([1, 1, 1, 0, 1, 0, 0, 0, 0, 1])
GROUP = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])


def test_confusion_precision_recall_by_hand():
    assert F.confusion_counts(Y_TRUE, Y_PRED) == {"tp": 3, "fp": 2, "fn": 2, "tn": 3}
    assert F.precision_recall(Y_TRUE, Y_PRED) == (3 / 5, 3 / 5)
    # "never fraud" on 1 % fraud: 99 % accurate, recall 0
    y = np.r_[np.ones(1), np.zeros(99)].astype(int)
    assert np.mean(np.zeros(100) == y) == 0.99
    assert F.precision_recall(y, np.zeros(100, dtype=int)) == (0.0, 0.0)
    with pytest.raises(ValueError):
        F.precision_recall([0, 2], [0, 1])


def test_group_rates_and_gaps_by_hand():
    # selection: group 0 3/4, group 1 2/6 -> DP gap 3/4 - 1/3 = 5/12
    assert F.selection_rates(Y_PRED, GROUP) == {0: 0.75, 1: 2 / 6}
    assert np.isclose(F.demographic_parity_gap(Y_PRED, GROUP), 5 / 12)
    # data's own gap: base rates 2/4 and 3/6 -> 0
    assert F.demographic_parity_gap(Y_TRUE, GROUP) == 0.0
    # TPR: group 0 2/2, group 1 1/3 -> EO gap 2/3
    assert F.true_positive_rates(Y_TRUE, Y_PRED, GROUP) == {0: 1.0, 1: 1 / 3}
    assert np.isclose(F.equal_opportunity_gap(Y_TRUE, Y_PRED, GROUP), 2 / 3)
    # three groups: max - min
    g3 = np.array(["a", "a", "b", "b", "c", "c"])
    assert np.isclose(F.demographic_parity_gap([1, 1, 1, 0, 0, 0], g3), 1.0)
    assert F.equal_opportunity_gap([1, 1, 1, 1, 0, 0], [1, 0, 1, 1, 1, 1], g3) == 0.5
    # a perfect classifier has no EO gap whatever the base rates
    assert F.equal_opportunity_gap(Y_TRUE, Y_TRUE, GROUP) == 0.0


def test_precision_recall_curve_and_average_precision_match_sklearn():
    rng = np.random.default_rng(0)
    y = (rng.random(300) < 0.1).astype(int)
    scores = np.round(rng.random(300) + 0.5 * y, 2)  # rounded: ties between scores
    p, r, t = F.precision_recall_curve(y, scores)
    sp, sr, st = precision_recall_curve(y, scores)
    # sklearn: increasing thresholds, plus a final (precision 1, recall 0) point
    n = len(t)
    np.testing.assert_allclose(t, st[::-1][:n])
    np.testing.assert_allclose(p, sp[:-1][::-1][:n])
    np.testing.assert_allclose(r, sr[:-1][::-1][:n])
    assert np.isclose(
        F.average_precision(y, scores), average_precision_score(y, scores)
    )
    # by hand: scores 0.9 (pos), 0.8 (neg), 0.7 (pos): AP = 1 * 1/2 + 2/3 * 1/2
    assert np.isclose(F.average_precision([1, 0, 1], [0.9, 0.8, 0.7]), 0.5 + 1 / 3)


def test_reweighting_makes_cells_weighted_as_if_independent():
    rng = np.random.default_rng(1)
    g = (rng.random(2000) < 0.3).astype(int)
    y = (rng.random(2000) < np.where(g == 1, 0.15, 0.55)).astype(int)
    w = F.reweighting_weights(y, g)
    n = len(y)
    assert np.isclose(w.mean(), 1.0)
    for gv in (0, 1):
        for yv in (0, 1):
            cell = (g == gv) & (y == yv)
            # total weight of the cell = n P(g) P(y): what independence would give
            assert np.isclose(w[cell].sum(), n * np.mean(g == gv) * np.mean(y == yv))
            assert np.allclose(w[cell], w[cell][0])  # one weight per cell
        # weighted base rate is the same in every group: the overall rate
        assert np.isclose(np.sum(w * y * (g == gv)) / np.sum(w * (g == gv)), y.mean())
    # in expectation over resampled data: weighted P(y=1|g) - P(y=1) averages to 0
    gaps = []
    for seed in range(50):
        r = np.random.default_rng(seed)
        gg = (r.random(300) < 0.3).astype(int)
        yy = (r.random(300) < np.where(gg == 1, 0.15, 0.55)).astype(int)
        ww = F.reweighting_weights(yy, gg)
        gaps.append(
            np.sum(ww * yy * gg) / np.sum(ww * gg)
            - np.sum(ww * yy * (1 - gg)) / np.sum(ww * (1 - gg))
        )
    assert np.allclose(gaps, 0)
    # hand value: g=[0,0,0,1], y=[1,1,0,0]: w(0,1) = (3/4)(2/4)/(2/4) = 3/4, w(0,0) = (3/4)(2/4)/(1/4) = 3/2,
    # w(1,0) = (1/4)(2/4)/(1/4) = 1/2
    np.testing.assert_allclose(
        F.reweighting_weights([1, 1, 0, 0], [0, 0, 0, 1]), [0.75, 0.75, 1.5, 0.5]
    )

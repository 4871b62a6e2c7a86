"""Checkers for ``exercises/13_applications.ipynb``: precision and recall, the demographic
parity gap, reweighting, integrated gradients with the trapezoid rule.

Every expected answer comes from ``dlcourse.fairness`` and ``dlcourse.interpret`` (tested
against scikit-learn, hand-computed values and PyTorch's autograd); never from the solutions below.

See chapter: Applications and challenges
"""

from __future__ import annotations

import numpy as np

from .compare import number
from .question import Question, call

__all__ = ["q1", "q2", "q3", "q4"]


# ----------------------------------------------------------------- q1: precision and recall
def _ref_pr(tp: int, fp: int, fn: int) -> tuple[float, float]:
    from dlcourse.fairness import precision_recall

    y_true = np.r_[np.ones(tp), np.zeros(fp), np.ones(fn)].astype(int)
    y_pred = np.r_[np.ones(tp), np.ones(fp), np.zeros(fn)].astype(int)
    return tuple(float(v) for v in precision_recall(y_true, y_pred))


q1 = Question(
    "q1",
    "precision_recall",
    tests=[
        call(a, _ref_pr, name="precision_recall")
        # (0, 0, 100): no alarm, precision 0.0; (0, 4, 0): no fraud, recall 0.0
        for a in [(3, 2, 2), (80, 20, 120), (0, 0, 100), (0, 4, 0)]
    ],
    hidden_tests=[
        call(a, _ref_pr, name="precision_recall")
        for a in [(1, 0, 0), (7, 93, 3), (0, 5, 5)]
    ],
    hint="precision = TP / (TP + FP): of the alarms, how many were real. recall = TP / (TP + FN): of "
    "the real cases, how many were caught. When there is no alarm at all (TP + FP = 0) return 0.0 "
    "for the precision; when there is no positive (TP + FN = 0), 0.0 for the recall.",
    solution="""
def precision_recall(tp, fp, fn):
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    return precision, recall
""",
)


# ----------------------------------------------------------------- q2: demographic parity gap
def _ref_dp(y_pred: np.ndarray, group: np.ndarray) -> float:
    from dlcourse.fairness import demographic_parity_gap

    return demographic_parity_gap(y_pred, group)


_rng = np.random.default_rng(13)
_P = np.array([1, 1, 1, 0, 1, 0, 0, 0, 0, 1])
_G = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
q2 = Question(
    "q2",
    "demographic_parity_gap",
    tests=[
        call((_P, _G), _ref_dp, name="demographic_parity_gap", compare=number()),
        call(
            (_rng.integers(0, 2, 50), _rng.integers(0, 2, 50)),
            _ref_dp,
            name="demographic_parity_gap",
            compare=number(),
        ),
        call(
            (np.array([1, 0, 1, 0]), np.array([5, 5, 7, 7])),
            _ref_dp,
            name="demographic_parity_gap",
            compare=number(),
        ),
        call(  # "possibly more than two groups"
            (
                np.array([1, 0, 1, 1, 0, 0, 1, 0, 0]),
                np.array([0, 0, 0, 1, 1, 1, 2, 2, 2]),
            ),
            _ref_dp,
            name="demographic_parity_gap",
            compare=number(),
        ),
    ],
    hidden_tests=[
        call(
            (_rng.integers(0, 2, 60), _rng.integers(0, 3, 60)),
            _ref_dp,
            name="demographic_parity_gap",
        ),
        call(
            (np.array([0, 0, 1, 1, 1]), np.array([1, 1, 0, 0, 0])),
            _ref_dp,
            name="demographic_parity_gap",
        ),
    ],
    hint="For every group g in np.unique(group), the selection rate is y_pred[group == g].mean(). "
    "The gap is the largest rate minus the smallest one (groups need not be 0 and 1, and there may "
    "be more than two).",
    solution="""
def demographic_parity_gap(y_pred, group):
    rates = [y_pred[group == g].mean() for g in np.unique(group)]
    return float(max(rates) - min(rates))
""",
)


# ----------------------------------------------------------------- q3: reweighting
def _ref_w(y: np.ndarray, group: np.ndarray) -> np.ndarray:
    from dlcourse.fairness import reweighting_weights

    return reweighting_weights(y, group)


q3 = Question(
    "q3",
    "reweighting_weights",
    points=2,
    tests=[
        call(
            (np.array([1, 1, 0, 0]), np.array([0, 0, 0, 1])),
            _ref_w,
            name="reweighting_weights",
        ),
        call((_P, _G), _ref_w, name="reweighting_weights"),
        call(
            (_rng.integers(0, 2, 40), _rng.integers(0, 2, 40)),
            _ref_w,
            name="reweighting_weights",
        ),
        call(  # any group labels, more than two groups
            (np.array([1, 1, 0, 0, 1, 0, 1, 1]), np.array([3, 3, 3, 5, 5, 9, 9, 9])),
            _ref_w,
            name="reweighting_weights",
        ),
    ],
    hidden_tests=[
        call(
            (_rng.integers(0, 2, 80), _rng.integers(0, 3, 80)),
            _ref_w,
            name="reweighting_weights",
        ),
        call(
            (np.array([1, 0, 1, 0, 1, 1]), np.array([0, 0, 1, 1, 2, 2])),
            _ref_w,
            name="reweighting_weights",
        ),
    ],
    hint="For the example i in cell (g, y): w_i = P(g) · P(y) / P(g, y), where P(g) = mean(group == g), "
    "P(y) = mean(labels == y) and P(g, y) = mean((group == g) & (labels == y)). Return a float "
    "array of the same length as y.",
    solution="""
def reweighting_weights(y, group):
    w = np.empty(len(y))
    for i in range(len(y)):
        in_g, in_y = group == group[i], y == y[i]
        w[i] = in_g.mean() * in_y.mean() / (in_g & in_y).mean()
    return w
""",
)


# ----------------------------------------------------------------- q4: integrated gradients
def _grad_sum_sin(x: np.ndarray) -> np.ndarray:
    """Gradient of f(x) = sum(sin(x)) + x[0] * x[-1]."""
    g = np.cos(x)
    g[0] += x[-1]
    g[-1] += x[0]
    return g


def _ref_ig(
    grad_f: object, x: np.ndarray, baseline: np.ndarray, steps: int
) -> np.ndarray:
    """The reference, always with the gradient of f(z) = Σ sin(z_i) + z_0 z_{-1}."""
    from dlcourse.interpret import riemann_weights

    alphas, weights = riemann_weights(steps, "trapezoid")
    avg = sum(
        w * _grad_sum_sin(baseline + a * (x - baseline))
        for a, w in zip(alphas, weights)
    )
    return (x - baseline) * avg


def _ig_test(args):
    return call((_grad_sum_sin, *args), _ref_ig, name="integrated_gradients")


_X4 = np.array([1.0, -2.0, 0.5])
q4 = Question(
    "q4",
    "integrated_gradients",
    points=3,
    tests=[
        _ig_test((_X4, np.zeros(3), 4)),
        _ig_test((_X4, np.zeros(3), 32)),
        _ig_test((_rng.normal(size=5), _rng.normal(size=5), 7)),
    ],
    hidden_tests=[
        _ig_test((_rng.normal(size=4), np.zeros(4), 1)),
        _ig_test((_rng.normal(size=6), _rng.normal(size=6), 50)),
    ],
    hint="Make steps + 1 points alpha = k / steps, k = 0..steps. At each, evaluate grad_f(baseline + alpha "
    "* (x - baseline)). Average those gradients with the trapezoid weights (1/steps each, but "
    "1/(2·steps) for the first and the last point), then multiply element-wise by (x - baseline).",
    solution="""
def integrated_gradients(grad_f, x, baseline, steps):
    total = np.zeros_like(x, dtype=float)
    for k in range(steps + 1):
        weight = (0.5 if k in (0, steps) else 1.0) / steps
        total += weight * grad_f(baseline + k / steps * (x - baseline))
    return (x - baseline) * total
""",
)

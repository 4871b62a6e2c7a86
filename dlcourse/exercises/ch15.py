"""Checkers for ``exercises/15_applications.ipynb``: precision and recall, the demographic
parity gap, reweighting, integrated gradients with the trapezoid rule; then understanding:
diagnose a leaked test set from four runs' reports (q5) and choose a fraud detector's
threshold under a constraint (q6, judged by computing what it catches and at what cost).

Every expected answer of questions 1 to 3 comes from ``dlcourse.fairness`` (tested against
scikit-learn and hand-computed values); those of question 4 are written out below, computed
once with ``dlcourse.interpret.integrated_gradients`` and PyTorch's autograd; q6 is judged
with ``dlcourse.fairness.precision_recall_curve``; q5 is a choice. The hidden
tests and the reference solutions are not here: they stay with the instructor
(``dlcourse_instructor.answers.ch15``).

See chapter: Applications and challenges (book/15_applications.ipynb)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .checks import call, value
from .choice import choice
from .compare import number
from .probe import Code
from .question import Question

__all__ = [
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "q6",
    "reference_pr",
    "reference_dp",
    "reference_w",
    "GRAD_SUM_SIN",
    "REPORTS",
    "MIN_RECALL",
    "fraud_scores",
    "meets_recall_cheaply",
]


# ----------------------------------------------------------------- q1: precision and recall
def reference_pr(tp: int, fp: int, fn: int) -> tuple[float, float]:
    from dlcourse.fairness import precision_recall

    y_true = np.r_[np.ones(tp), np.zeros(fp), np.ones(fn)].astype(int)
    y_pred = np.r_[np.ones(tp), np.ones(fp), np.zeros(fn)].astype(int)
    precision, recall = precision_recall(y_true, y_pred)
    return float(precision), float(recall)


q1 = Question(
    "q1",
    "precision_recall",
    tests=[
        call(a, reference_pr, name="precision_recall")
        # (0, 0, 100): no alarm, precision 0.0; (0, 4, 0): no fraud, recall 0.0
        for a in [(3, 2, 2), (80, 20, 120), (0, 0, 100), (0, 4, 0)]
    ],
    hint="precision = TP / (TP + FP): of the alarms, how many were real. recall = TP / (TP + FN): of "
    "the real cases, how many were caught. When there is no alarm at all (TP + FP = 0) return 0.0 "
    "for the precision; when there is no positive (TP + FN = 0), 0.0 for the recall.",
)


# ----------------------------------------------------------------- q2: demographic parity gap
def reference_dp(y_pred: np.ndarray, group: np.ndarray) -> float:
    from dlcourse.fairness import demographic_parity_gap

    return demographic_parity_gap(y_pred, group)


_rng = np.random.default_rng(13)
_P = np.array([1, 1, 1, 0, 1, 0, 0, 0, 0, 1])
_G = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
q2 = Question(
    "q2",
    "demographic_parity_gap",
    tests=[
        call((_P, _G), reference_dp, name="demographic_parity_gap", compare=number()),
        call(
            (_rng.integers(0, 2, 50), _rng.integers(0, 2, 50)),
            reference_dp,
            name="demographic_parity_gap",
            compare=number(),
        ),
        call(
            (np.array([1, 0, 1, 0]), np.array([5, 5, 7, 7])),
            reference_dp,
            name="demographic_parity_gap",
            compare=number(),
        ),
        call(  # "possibly more than two groups"
            (
                np.array([1, 0, 1, 1, 0, 0, 1, 0, 0]),
                np.array([0, 0, 0, 1, 1, 1, 2, 2, 2]),
            ),
            reference_dp,
            name="demographic_parity_gap",
            compare=number(),
        ),
    ],
    hint="For every group g in np.unique(group), the selection rate is y_pred[group == g].mean(). "
    "The gap is the largest rate minus the smallest one (groups need not be 0 and 1, and there may "
    "be more than two).",
)


# ----------------------------------------------------------------- q3: reweighting
def reference_w(y: np.ndarray, group: np.ndarray) -> np.ndarray:
    from dlcourse.fairness import reweighting_weights

    return reweighting_weights(y, group)


q3 = Question(
    "q3",
    "reweighting_weights",
    points=2,
    tests=[
        call(
            (np.array([1, 1, 0, 0]), np.array([0, 0, 0, 1])),
            reference_w,
            name="reweighting_weights",
        ),
        call((_P, _G), reference_w, name="reweighting_weights"),
        call(
            (_rng.integers(0, 2, 40), _rng.integers(0, 2, 40)),
            reference_w,
            name="reweighting_weights",
        ),
        call(  # any group labels, more than two groups
            (np.array([1, 1, 0, 0, 1, 0, 1, 1]), np.array([3, 3, 3, 5, 5, 9, 9, 9])),
            reference_w,
            name="reweighting_weights",
        ),
    ],
    hint="For the example i in cell (g, y): w_i = P(g) · P(y) / P(g, y), where P(g) = mean(group == g), "
    "P(y) = mean(labels == y) and P(g, y) = mean((group == g) & (labels == y)). Return a float "
    "array of the same length as y.",
)


# ----------------------------------------------------------------- q4: integrated gradients
class _Named(Code):
    """A :class:`~.probe.Code` input that messages call by a name (``grad_sum_sin``)."""

    def __init__(self, label: str, source: str, **env: Any) -> None:
        super().__init__(source, **env)
        self.label = label

    def __repr__(self) -> str:
        return str(self.label)


#: The gradient of f(z) = Σ sin(z_i) + z_0 z_{-1}, built where the answer runs.
GRAD_SUM_SIN = _Named(
    "grad_sum_sin",
    "lambda z: np.cos(z) + np.concatenate([[z[-1]], np.zeros(len(z) - 2), [z[0]]])",
)


def _ig_test(args, expected):
    return call((GRAD_SUM_SIN, *args), expected, name="integrated_gradients")


_X4 = np.array([1.0, -2.0, 0.5])
# The expected attributions are written out (a reference would be the answer to this
# question): computed once with dlcourse.interpret.integrated_gradients(model, x[None], 0,
# baseline, steps) for a float64 torch model scoring f, i.e. the trapezoid rule on PyTorch's
# gradients of f. The third input is a draw of np.random.default_rng(13), rounded, so that
# its expected value cannot drift.
q4 = Question(
    "q4",
    "integrated_gradients",
    points=3,
    tests=[
        _ig_test(
            (_X4, np.zeros(3), 4),
            np.array([1.0870837513522271, -0.890274325576322, 0.7288011239746843]),
        ),
        _ig_test(
            (_X4, np.zeros(3), 32),
            np.array([1.0914025046092521, -0.9090014122972365, 0.7294157846269608]),
        ),
        _ig_test(
            (
                np.array([1.83, -3.08, 0.96, 0.07, 1.32]),
                np.array([0.39, 1.83, 0.03, -0.52, 0.58]),
                7,
            ),
            np.array(
                [
                    1.9523365380529063,
                    -0.9856440959835933,
                    0.7880348834618593,
                    0.5664873823802589,
                    1.2416993038010193,
                ]
            ),
        ),
    ],
    hint="Make steps + 1 points alpha = k / steps, k = 0..steps. At each, evaluate grad_f(baseline + alpha "
    "* (x - baseline)). Average those gradients with the trapezoid weights (1/steps each, but "
    "1/(2·steps) for the first and the last point), then multiply element-wise by (x - baseline).",
)


# ----------------------------------------------------------------- q5: diagnose a leak
#: Four fraud detectors' reports: average precision on training, validation and test data,
#: and test accuracy (1 % fraud). Shown as a table in the notebook.
REPORTS = {
    "A": (0.62, 0.55, 0.54, 0.993),
    "B": (0.99, 0.31, 0.30, 0.991),
    "C": (0.97, 0.52, 0.96, 0.998),
    "D": (0.01, 0.01, 0.01, 0.990),
}

q5 = Question(
    "q5",
    "leaked_run",
    tests=[choice(sorted(REPORTS))],
    hint="A model scores well on the examples it was trained on and worse on examples it has "
    "never seen. Validation and test data are both unseen, so their scores should agree. "
    "Which run's test score behaves like a training score instead?",
)


# ----------------------------------------------------------------- q6: choose a threshold
#: The constraint of q6: the share of frauds that the alarms must catch.
MIN_RECALL = 0.9


def fraud_scores(seed: int = 140, n: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, labels)`` of a fraud detector on ``n`` transactions, 5 % of them fraud.

    Seed 140 is q6's validation set; other seeds are fresh transactions from the same source.
    A score is a sigmoid of a Gaussian (mean 1 for a fraud, -2.5 otherwise), rounded to 4
    decimals.
    """
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.05).astype(int)
    z = rng.normal(np.where(labels == 1, 1.0, -2.5), 1.0)
    return np.round(1.0 / (1.0 + np.exp(-z)), 4), labels


def meets_recall_cheaply(seed: int = 140) -> Any:
    """A ``compare`` for q6: flagging ``score >= threshold`` on ``fraud_scores(seed)`` catches
    at least :data:`MIN_RECALL` of the frauds, with the fewest false alarms that allows."""
    from dlcourse.fairness import confusion_counts, precision_recall_curve

    scores, labels = fraud_scores(seed)
    _, recall, thresholds = precision_recall_curve(labels, scores)
    # thresholds decrease along the curve: the first one that reaches the recall flags least
    fewest = confusion_counts(
        labels, scores >= thresholds[np.argmax(recall >= MIN_RECALL)]
    )["fp"]

    def compare(threshold: Any, _expected: Any, what: str) -> None:
        if type(threshold) not in (int, float) and not isinstance(
            threshold, np.floating
        ):
            raise AssertionError(
                f"{what} should be one number, not {type(threshold).__name__}"
            )
        counts = confusion_counts(labels, scores >= threshold)
        caught = counts["tp"] / labels.sum()
        if not caught >= MIN_RECALL:
            raise AssertionError(
                f"{what} = {threshold}: the alarms catch {caught:.1%} of the frauds "
                f"(the bank needs at least {MIN_RECALL:.0%})"
            )
        if counts["fp"] > fewest:
            raise AssertionError(
                f"{what} = {threshold}: catches {caught:.1%} of the frauds with "
                f"{counts['fp']} false alarms; another threshold meets the constraint "
                "with fewer"
            )

    return compare


q6 = Question(
    "q6",
    "threshold",
    points=2,
    tests=[value(None, compare=meets_recall_cheaply())],
    hint="Raising the threshold flags fewer transactions: fewer false alarms, but fewer frauds "
    "caught too. So you want the highest threshold that still catches 90 % of the frauds. "
    "Sort the fraud scores from high to low: which one must still be flagged? "
    "(dlcourse.fairness.precision_recall_curve, or your q1, can check your choice.)",
)

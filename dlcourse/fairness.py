"""Measuring decisions: precision and recall on rare events, fairness between groups.

**Rare events.** When 1 % of transactions are fraud, "never fraud" is 99 % accurate and
useless. With the confusion counts TP, FP, FN of the positive class,

.. math::

    \\text{precision} = \\frac{TP}{TP + FP}
    \\quad(\\text{how many alarms were real}),\\qquad
    \\text{recall} = \\frac{TP}{TP + FN}
    \\quad(\\text{how many frauds were caught}).

Moving the decision threshold trades one for the other: :func:`precision_recall_curve`
traces all thresholds, and :func:`average_precision` summarises the curve in one number
(the precision averaged over the recall levels of the positives, as scikit-learn
defines it).

**Group fairness.** For binary decisions :math:`\\hat y` and a group attribute
:math:`g`,

.. math::

    \\text{DP gap} = \\max_g P(\\hat y = 1 \\mid g) - \\min_g P(\\hat y = 1 \\mid g)
    \\qquad\\text{(demographic parity, Calders \\& Verwer 2010)},

.. math::

    \\text{EO gap} = \\max_g P(\\hat y = 1 \\mid y = 1, g)
    - \\min_g P(\\hat y = 1 \\mid y = 1, g)
    \\qquad\\text{(equal opportunity, Hardt, Price \\& Srebro 2016)}.

The first asks whether groups are selected at the same rate; the second whether the
members of each group with a positive label are (equal true-positive rates). Both can
hold at once. What cannot, when the groups' base rates :math:`P(y = 1 \\mid g)` differ,
is a score that is calibrated in every group and also gives the groups equal error
rates, unless it predicts perfectly (Kleinberg, Mullainathan & Raghavan 2016;
Chouldechova 2017).

**Reweighting** (Kamiran & Calders 2012). If group and label were independent, the cell
(g, y) would hold the fraction :math:`P(g)P(y)` of the data; it holds :math:`P(g, y)`.
Giving each example of the cell the weight

.. math::

    w(g, y) = \\frac{P(g)\\,P(y)}{P(g, y)}

makes the weighted data look independent: every cell's total weight is
:math:`n\\,P(g)P(y)`, so :math:`P_w(y = 1 \\mid g)` is the same for every group. Used as
per-example loss weights, it removes the group–label correlation from what the model
learns from, at some cost in accuracy measured against the original labels.

See chapter: Applications and challenges (book/15_applications.ipynb)
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "confusion_counts",
    "precision_recall",
    "precision_recall_curve",
    "average_precision",
    "selection_rates",
    "true_positive_rates",
    "demographic_parity_gap",
    "equal_opportunity_gap",
    "reweighting_weights",
]


def _binary(a: Any, name: str) -> np.ndarray:
    arr = np.asarray(a).reshape(-1)
    if arr.dtype == bool:
        return arr.astype(np.int64)
    if arr.size and not np.isin(arr, (0, 1)).all():
        raise ValueError(
            f"{name}: expected 0/1 (or boolean) values, got {np.unique(arr)[:5]}"
        )
    return arr.astype(np.int64)


def _same_length(*arrays: np.ndarray) -> None:
    if len({len(a) for a in arrays}) > 1:
        raise ValueError(f"arrays have different lengths: {[len(a) for a in arrays]}")


def confusion_counts(y_true: Any, y_pred: Any) -> dict[str, int]:
    """``{"tp", "fp", "fn", "tn"}`` for binary labels (1 = positive)."""
    t, p = _binary(y_true, "y_true"), _binary(y_pred, "y_pred")
    _same_length(t, p)
    return {
        "tp": int(np.sum((t == 1) & (p == 1))),
        "fp": int(np.sum((t == 0) & (p == 1))),
        "fn": int(np.sum((t == 1) & (p == 0))),
        "tn": int(np.sum((t == 0) & (p == 0))),
    }


def precision_recall(y_true: Any, y_pred: Any) -> tuple[float, float]:
    """``(precision, recall)`` of binary predictions. A classifier that never says 1 has
    precision 0 by convention (no alarm was right) and recall 0."""
    c = confusion_counts(y_true, y_pred)
    precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
    recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
    return precision, recall


def precision_recall_curve(
    y_true: Any, scores: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and recall of ``score >= threshold``, every distinct score a threshold.

    Returns ``(precision, recall, thresholds)``, thresholds in decreasing order (so
    recall grows along the arrays). Same values as
    ``sklearn.metrics.precision_recall_curve`` without its final (recall 0, precision 1)
    point, in the opposite order.
    """
    t = _binary(y_true, "y_true")
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    _same_length(t, s)
    if t.sum() == 0:
        raise ValueError(
            "precision_recall_curve: no positive example, recall is undefined"
        )
    order = np.argsort(-s, kind="mergesort")
    s_sorted, t_sorted = s[order], t[order]
    last = np.r_[
        s_sorted[1:] != s_sorted[:-1], True
    ]  # last example of each distinct score
    tp = np.cumsum(t_sorted)[last]
    predicted = (np.arange(len(s)) + 1)[last]
    return tp / predicted, tp / t.sum(), s_sorted[last]


def average_precision(y_true: Any, scores: Any) -> float:
    """``Σ_k (R_k − R_{k−1}) P_k`` over the thresholds: the area under the step-wise PR
    curve (scikit-learn's ``average_precision_score``). A random scorer gets about the
    positive rate."""
    precision, recall, _ = precision_recall_curve(y_true, scores)
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _groups(group: Any) -> np.ndarray:
    return np.asarray(group).reshape(-1)


def selection_rates(y_pred: Any, group: Any) -> dict[Any, float]:
    """``{g: P(ŷ = 1 | group = g)}`` for every group present."""
    p, g = _binary(y_pred, "y_pred"), _groups(group)
    _same_length(p, g)
    return {
        k.item() if hasattr(k, "item") else k: float(p[g == k].mean())
        for k in np.unique(g)
    }


def true_positive_rates(y_true: Any, y_pred: Any, group: Any) -> dict[Any, float]:
    """``{g: P(ŷ = 1 | y = 1, group = g)}`` for each group with a positive example."""
    t, p, g = _binary(y_true, "y_true"), _binary(y_pred, "y_pred"), _groups(group)
    _same_length(t, p, g)
    rates = {}
    for k in np.unique(g):
        pos = (g == k) & (t == 1)
        if pos.any():
            rates[k.item() if hasattr(k, "item") else k] = float(p[pos].mean())
    return rates


def demographic_parity_gap(y_pred: Any, group: Any) -> float:
    """Largest difference in selection rate ``P(ŷ = 1 | g)`` between groups (0: parity).

    Applied to the true labels instead of predictions, it measures the data's own gap.
    """
    rates = list(selection_rates(y_pred, group).values())
    if not rates:
        raise ValueError("demographic_parity_gap: empty input")
    return float(max(rates) - min(rates))


def equal_opportunity_gap(y_true: Any, y_pred: Any, group: Any) -> float:
    """Largest difference in true-positive rate ``P(ŷ = 1 | y = 1, g)`` between groups.

    The groups' rates of saying yes to the people whose label is 1.
    """
    rates = list(true_positive_rates(y_true, y_pred, group).values())
    if len(rates) < 1:
        raise ValueError("equal_opportunity_gap: no positive example in any group")
    return float(max(rates) - min(rates))


def reweighting_weights(y: Any, group: Any) -> np.ndarray:
    """Kamiran & Calders (2012) weights ``w_i = P(g_i) P(y_i) / P(g_i, y_i)``, (n,).

    Estimated by counting: ``w = (n_g · n_y) / (n · n_{g,y})``. Every (group, label)
    cell then carries total weight ``n P(g) P(y)``, the weights average to 1, and in the
    weighted data the label is independent of the group.
    """
    yy, g = np.asarray(y).reshape(-1), _groups(group)
    _same_length(yy, g)
    n = len(yy)
    w = np.empty(n, dtype=np.float64)
    for gv in np.unique(g):
        in_g = g == gv
        for yv in np.unique(yy):
            cell = in_g & (yy == yv)
            if cell.any():
                w[cell] = in_g.sum() * (yy == yv).sum() / (n * cell.sum())
    return w

"""Plausible wrong answers to the questions of ch15: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q1": """
def precision_recall(tp, fp, fn):
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    return precision, tp / (tp + fn)       # no fraud at all: ZeroDivisionError
""",
    "q2": """
def demographic_parity_gap(y_pred, group):
    a, b = np.unique(group)                # two groups only
    return float(abs(y_pred[group == a].mean() - y_pred[group == b].mean()))
""",
    "q3": """
def reweighting_weights(y, group):
    w = np.zeros(len(y))
    for g in (0, 1):                       # groups 0 and 1 only
        for label in (0, 1):
            cell = (group == g) & (y == label)
            if cell.any():
                w[cell] = (group == g).mean() * (y == label).mean() / cell.mean()
    return w
""",
    "q4": """
def integrated_gradients(grad_f, x, baseline, steps):
    total = np.zeros_like(x, dtype=float)
    for k in range(steps):                 # a left Riemann sum: the end point x is left out
        total += grad_f(baseline + k / steps * (x - baseline)) / steps
    return (x - baseline) * total
""",
    "q5": """
leaked_run = "B"                           # overfitting, not a leak: its test AP is as low as validation
""",
    "q6": """
threshold = 0.5                            # the default: catches too few frauds
""",
}

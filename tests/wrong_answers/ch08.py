"""Plausible wrong answers to the questions of ch08: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q1": """
def accuracy_from_logits(logits, y):
    return (torch.tensor(logits).argmax(1) == torch.tensor(y)).double().mean()  # a tensor
""",
    "q3": """
def adam_step(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    m = 0.9 * m + 0.1 * grad               # the default betas and eps, hard-coded
    v = 0.999 * v + 0.001 * grad ** 2
    return param - lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8), m, v
""",
    "q5": """
def confusion_matrix(y_true, y_pred, n_classes):
    n = max(y_true.max(), y_pred.max()) + 1     # n_classes ignored
    C = np.zeros((n, n), dtype=int)
    np.add.at(C, (y_true, y_pred), 1)
    return C
""",
}

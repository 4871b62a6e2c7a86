"""Plausible wrong answers to the questions of ch05: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q1": """
z = torch.tensor([2.0, 1.0, 0.5, -0.5], dtype=torch.float64)
rabbit_loss = -torch.log_softmax(z, dim=0)[2]   # a tensor, not a float
""",
    "q2": """
def mse(pred, target):
    return float(np.sum((pred - target) ** 2) / len(pred))    # divides by the rows only
""",
    "q3": """
def binary_cross_entropy(p, y):
    return float(-np.mean(np.log(np.where(y == 1, p, 1 - p))))   # hard targets only
""",
    "q4": """
def logsumexp(z):
    m = np.max(np.abs(z))                  # shifts very negative logits the wrong way
    return float(m + np.log(np.sum(np.exp(z - m))))
""",
    "q5": """
def cross_entropy_with_grad(logits, target):
    e = np.exp(logits)                     # the naive softmax
    loss = float(np.log(e.sum()) - logits[target])
    grad = e / e.sum()
    grad[target] -= 1.0
    return loss, grad
""",
    "q6": """
max_logit_float32 = float(np.log(np.finfo(float).max))   # float64's limit, about 709.78
""",
    "q7": """
diagnosis = "A"                            # the loss is still falling, so: more steps
""",
    "q8": """
def batch_cross_entropy(logits, targets):
    shifted = logits - logits.max(axis=1)  # each row's maximum, but shape (N,), not (N, 1)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(targets)), targets].mean())
""",
}

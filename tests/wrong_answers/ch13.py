"""Plausible wrong answers to the questions of ch13: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q3": """
def masked_attention(q, k, v, mask=None):
    kt = k.T if k.ndim == 2 else k.transpose(0, 2, 1)   # at most one batch axis
    scores = q @ kt / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1, keepdims=True)
    return weights @ v, weights
""",
}

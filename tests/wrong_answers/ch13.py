"""Plausible wrong answers to the questions of ch13: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q1": """
def attention_weights(q, k):
    scores = q @ k.T / q.shape[-1]         # scaled by d, not by its square root
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
""",
    "q2": """
def causal_mask(T):
    return np.tril(np.ones((T, T)))        # ones and zeros, not True and False
""",
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
    "q4": """
def positional_encoding(length, d_model):
    pos = np.arange(length)[:, None]
    angles = pos / 10000.0 ** (np.arange(0, d_model, 2) / d_model)
    # all the sines, then all the cosines (a common layout, but not the pairs asked for)
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)[:, :d_model]
""",
    "q5": """
def split_heads(x, num_heads):
    n, t, e = x.shape
    return x.reshape(n, num_heads, t, e // num_heads)   # the right shape, the features scrambled
""",
    "q6": """
W_q = np.zeros((10, 6))
W_q[4:] = np.eye(6)                        # the right direction, but a margin of 1/sqrt(6)
W_k = np.zeros((10, 6))
W_k[4:9, 1:] = np.eye(5)
previous_token_head = (W_q, W_k)
""",
    "q7": """
prediction = "A"
""",
    "q8": """
def causal_self_attention(x):
    T, d = x.shape
    scores = x @ x.T / np.sqrt(d)
    scores = scores * np.tril(np.ones((T, T)))   # a masked score of 0 still gets exp(0) = 1
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights = e / e.sum(axis=1, keepdims=True)
    return weights @ x
""",
}

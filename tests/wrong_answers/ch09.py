"""Plausible wrong answers to the questions of ch09: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q1": """
sigmoid_shrink_10 = 0.5 ** 10              # sigma(0) = 1/2 taken for the slope
""",
    "q2": """
def init_std(fan_in, fan_out, scheme):
    if scheme == "xavier":
        return 2.0 / (fan_in + fan_out)    # the variance, not the standard deviation
    return 2.0 / fan_in
""",
    "q3": """
def momentum_step(p, g, buf, lr, momentum):
    new_buf = momentum * buf + (1 - momentum) * g   # an average, not PyTorch's sum
    return p - lr * new_buf, new_buf
""",
    "q4": """
def rmsprop_step(p, g, v, lr, alpha=0.99, eps=1e-8):
    new_v = alpha * v + (1 - alpha) * g**2
    return p - lr * g / np.sqrt(new_v + eps), new_v   # eps inside the square root
""",
    "q5": """
def inverted_dropout(h, p, rng):
    keep = rng.random(h.shape) >= p
    return h * keep                        # dropped, but the survivors not scaled up
""",
    "q6": """
matmul_time = "B"                          # four times the entries, four times the time
""",
    "q7": """
valley_settings = {"lr": 0.02, "momentum": 0.9}   # the chapter's conventional momentum
""",
}

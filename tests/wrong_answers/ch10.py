"""Plausible wrong answers to the questions of ch10: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q1": """
def relu_second_moment(q0, fan_in, std, depth):
    var_relu = 0.5 - 1 / (2 * np.pi)       # Var(relu(z)) / E[z²], not E[relu(z)²] / E[z²]
    return q0 * (fan_in * std ** 2 * var_relu) ** depth
""",
    "q2": """
def batchnorm_train(x, gamma, beta, eps=1e-5):
    var = x.var(axis=0, ddof=1)            # the unbiased variance
    return gamma * (x - x.mean(axis=0)) / np.sqrt(var + eps) + beta
""",
    "q3": """
def update_running(running_mean, running_var, x, momentum=0.1):
    # Keras' convention: momentum is the weight of the OLD estimate
    new_mean = momentum * running_mean + (1 - momentum) * x.mean(axis=0)
    new_var = momentum * running_var + (1 - momentum) * x.var(axis=0, ddof=1)
    return new_mean, new_var
""",
    "q4": """
def residual_forward(x, W1, b1, W2, b2):
    branch = np.maximum(x @ W1.T + b1, 0) @ W2.T + b2
    return np.maximum(x + branch, 0)       # a ReLU after the sum
""",
    "q5": """
def warmup_cosine_lr(step, base_lr, warmup, total):
    if step < warmup:
        return base_lr * step / warmup     # starts at 0
    return base_lr * (1 + np.cos(np.pi * (step - warmup) / (total - warmup))) / 2
""",
    "q6": """
broken_runs = ["D"]                        # only a loss too high is a problem
""",
    "q7": """
flat_loss_cause = "B"                      # vanishing gradients, as in the chapter's plain net
""",
    "q8": """
depth_effect = "A"                         # ReLU's slope is 1, so nothing shrinks
""",
}

"""Plausible wrong answers to the questions of ch06: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q1": """
def gd_step(theta, grad, lr):
    theta -= lr * grad                     # in place: the caller's theta moves too
    return theta
""",
    "q2": """
def stable_lr_limit(H):
    return float(2.0 / np.max(np.diag(H)))     # right for a diagonal H only
""",
    "q3": """
def gradient_descent(grad_fn, theta0, lr, steps):
    theta = np.array(theta0, dtype=float)
    path = [theta]
    for _ in range(steps):
        theta -= lr * grad_fn(theta)       # in place: every row of the path is one array
        path.append(theta)
    return np.array(path)
""",
    "q4": """
def mse_gradient(theta, X, y):
    return X.T @ (X @ theta - y) / len(y)  # the 2 of the square forgotten
""",
    "q5": """
def minibatches(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    for k in range(len(X) // batch_size):  # the smaller last batch is dropped
        idx = order[k * batch_size:(k + 1) * batch_size]
        yield X[idx], y[idx]
""",
    "q6": """
chosen_lr = 0.1                             # the stability limit itself: y flips sign forever
""",
    "q7": """
prediction = "A"                            # ten times the rate, ten times the speed
""",
}

"""Plausible wrong answers to the questions of ch02: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q1": """
def sigmoid_derivative(z):
    s = 1 / (1 + np.exp(-z))               # exp(1000) overflows for z = -1000
    return s * (1 - s)
""",
    "q2": """
def central_difference(f, z, h=1e-3):
    return (f(z + h) - f(z - h)) / (2 * h)       # the chapter's estimate: error of order h², not h⁴
""",
    "q3": """
layers_to_vanish = int(np.log(1e-6) / np.log(0.25))   # 9.97 truncated: 9 layers, one too few
""",
    "q4": """
def collapse_linear(layers):
    def run(X):
        for W, b in layers:
            X = X @ W.T + b
        return X
    b = run(np.zeros((1, layers[0][0].shape[1])))   # shape (1, n_out), not (n_out,)
    W = (run(np.eye(layers[0][0].shape[1])) - b).T
    return W, b
""",
    "q5": """
dead_from_the_start = ["C", "D"]           # a very negative bias looks dead
""",
    "q6": """
def dead_fraction(Z):
    return float(np.mean(np.all(Z < 0, axis=0)))   # a pre-activation of exactly 0 counts as alive
""",
}

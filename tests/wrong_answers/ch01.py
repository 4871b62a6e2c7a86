"""Plausible wrong answers to the questions of ch01: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q3": """
def perceptron_update(w, b, x, y, lr=1.0):
    y_hat = float(x @ w + b >= 0)          # fires at exactly 0
    return w + lr * (y - y_hat) * x, b + lr * (y - y_hat)
""",
    "q4": """
def train_perceptron(X, y, epochs=20, lr=1.0):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        errors = 0
        for x_i, y_i in zip(X, y):
            y_hat = float(x_i @ w + b > 0)
            if y_hat != y_i:
                w, b = w + (y_i - y_hat) * x_i, b + (y_i - y_hat)   # lr forgotten
                errors += 1
        mistakes.append(errors)
        if errors == 0:
            break
    return w, b, mistakes
""",
    "q5": """
lr_prediction = "A"                        # bigger steps, fewer mistakes
""",
    "q6": """
run_diagnosis = "A"                        # a run that never stops: not separable
""",
}

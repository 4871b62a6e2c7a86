"""Plausible wrong answers to the questions of ch01: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q1": """
def neuron_output(x, w, b):
    return (x @ w + b > 0).astype(float)   # the chapter's 0/1 neuron: silent is 0, not -1
""",
    "q2": """
x1_and_not_x2 = (np.array([1.0, -1.0]), 0.5)   # a positive bias lets (0, 0) fire too
""",
    "q3": """
def perceptron_update(w, b, x, y, lr=1.0):
    y_hat = 1.0 if x @ w + b > 0 else -1.0
    delta = y - y_hat                      # the 0/1 formula as it stands: ±2 on a mistake
    return w + lr * delta * x, b + lr * delta
""",
    "q4": """
def train_perceptron(X, y, epochs=20, lr=1.0):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        errors = 0
        for x_i, y_i in zip(X, y):
            if y_i * (x_i @ w + b) <= 0:   # the textbook margin test: z = 0 counts as wrong
                w, b = w + lr * y_i * x_i, b + lr * y_i
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

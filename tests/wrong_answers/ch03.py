"""Plausible wrong answers to the questions of ch03: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q1": """
weight_shapes = [[32, 64], [16, 32], [10, 16]]   # lists, not tuples
""",
    "q2": """
def count_parameters(sizes):
    return sum(n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))   # biases forgotten
""",
    "q3": """
def forward(X, W1, b1, W2, b2):
    return np.array([np.maximum(W1 @ x + b1, 0) @ W2.T + b2 for x in X])   # a loop over rows
""",
    "q4": """
W_hidden = np.array([[1.0, 1.0], [-1.0, -1.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
b_hidden = np.array([-1.5, 0.5, 0.0, 0.0, 0.0])
w_out, b_out = np.array([1.0, 1.0, 0.0, 0.0, 0.0]), -0.5
xnor_net = (W_hidden, b_hidden, w_out, b_out)               # 5 hidden neurons
""",
    "q5": """
xor_settings = {"hidden": 4, "lr": 1.0}    # a large step to get there in 30 epochs
""",
    "q6": """
linear_hidden_prediction = "B"             # width makes up for the missing activation
""",
}

"""Plausible wrong answers to the questions of ch12: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q1": """
def lstm_param_count(input_size, hidden_size):
    return 4 * hidden_size * (input_size + hidden_size + 1)   # one bias per gate, as in the equations
""",
    "q2": """
def rnn_step(x, h, W_ih, W_hh, b_ih, b_hh):
    return np.tanh(x @ W_ih.T + h @ W_hh.T + b_ih)   # one bias, as in the textbook formula
""",
    "q3": """
def forget_gate(x, h, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[1]
    z = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    return 1 / (1 + np.exp(-z[:, :H]))   # "f comes first": the first block is the input gate
""",
    "q4": """
def gru_step(x, h, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[1]
    gi = x @ W_ih.T + b_ih
    gh = h @ W_hh.T + b_hh
    sigmoid = lambda a: 1 / (1 + np.exp(-a))
    r = sigmoid(gi[:, :H] + gh[:, :H])
    z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    return z * n + (1 - z) * h             # the papers' convention: z as the share of the candidate
""",
    "q5": """
def rnn_reverse(X, h0, W_ih, W_hh, b_ih, b_hh):
    h, states = h0, []
    for t in reversed(range(X.shape[1])):
        h = np.tanh(X[:, t] @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
        states.append(h)
    return np.stack(states, axis=1)        # in the order computed: position 0 holds x_{T-1}'s state
""",
    "q6": """
vanishing_runs = ["A", "C"]   # small weights shrink it; huge weights saturate tanh
""",
    "q7": """
def summaries(pieces, h0, W_ih, W_hh, b_ih, b_hh):
    # "fixed" by copying h0, as if the bug were an aliased array: still a reset per piece
    out = []
    for piece in pieces:
        h = h0.copy()
        for t in range(piece.shape[1]):
            h = np.tanh(piece[:, t] @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
        out.append(h)
    return np.stack(out)
""",
}

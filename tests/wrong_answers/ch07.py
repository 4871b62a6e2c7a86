"""Plausible wrong answers to the questions of ch07: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q1": """
def neuron_grads(x1, x2, w1, w2, b, t):
    a = 1.0 / (1.0 + np.exp(-(w1 * x1 + w2 * x2 + b)))
    dL_dz = 2 * (a - t) * (1 - a ** 2)     # the chapter's tanh slope, not the sigmoid's
    return dL_dz * x1, dL_dz * x2, dL_dz
""",
    "q2": """
def mul_backward(a, b, g):
    return g * a, g * b                    # each factor blamed with itself
""",
    "q3": """
def tanh_backward(x, g):
    t = (np.exp(2 * x) - 1) / (np.exp(2 * x) + 1)   # inf / inf = NaN for large x
    return g * (1 - t ** 2)
""",
    "q4": """
def div_backward(a, b, g):
    return g / b, g * a / b ** 2           # the minus sign of d(1/b)/db lost
""",
    "q5": """
def unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad                            # the input itself when nothing was summed
""",
    "q6": """
def numerical_gradient(f, x, h=1e-3):
    x = np.array(x, dtype=float)

    def central(idx, step):
        old = x[idx]
        x[idx] = old + step
        up = f(x)
        x[idx] = old - step
        down = f(x)
        x[idx] = old
        return (up - down) / (2 * step)

    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):        # the weights that cancel an error in h, not h²
        grad[idx] = 2 * central(idx, h) - central(idx, 2 * h)
    return grad
""",
    "q7": """
def mlp_backward(X, y, W1, b1, W2, b2):
    H = np.tanh(X @ W1.T + b1)
    Z2 = H @ W2.T + b2
    P = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    delta2 = P.copy()
    delta2[np.arange(len(X)), y] -= 1.0    # the gradient of the SUMMED loss: no / N
    delta1 = (delta2 @ W2) * (1.0 - H**2)
    return delta1.T @ X, delta1.sum(axis=0), delta2.T @ H, delta2.sum(axis=0)
""",
    "q8": """
def linear_backward(x, W, b, g):
    return g @ W, g.T @ x, g.mean(axis=0)  # the right shape, but an average of the blame
""",
    "q9": """
zero_init_gradients = "C"                  # biases always get a gradient
""",
}

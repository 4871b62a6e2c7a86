"""Plausible wrong answers to the questions of ch08: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q1": """
def accuracy_from_logits(logits, y):
    return (torch.tensor(logits).argmax(1) == torch.tensor(y)).double().mean()  # a tensor
""",
    "q2": """
def standardise(X_train, X):
    mean = X_train.mean(axis=0)            # the chapter's per-pixel statistics, not per channel
    return (X - mean) / (X_train.std(axis=0) + 0.1)
""",
    "q3": """
def adam_step(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    m = 0.9 * m + 0.1 * grad               # the default betas and eps, hard-coded
    v = 0.999 * v + 0.001 * grad ** 2
    return param - lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8), m, v
""",
    "q4": """
from dlcourse import losses
from dlcourse.autograd import Tensor


def train_epoch(model, optimizer, X, y, batch_size, accumulate, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    total = 0.0
    optimizer.zero_grad()
    for k, start in enumerate(range(0, len(X), batch_size)):
        idx = order[start:start + batch_size]
        loss = losses.cross_entropy(model(Tensor(X[idx])), y[idx])
        (loss / accumulate).backward()     # right only when every group is full
        total += loss.item() * len(idx)
        if (k + 1) % accumulate == 0 or start + batch_size >= len(X):
            optimizer.step()
            optimizer.zero_grad()
    return total / len(X)
""",
    "q5": """
def confusion_matrix(y_true, y_pred, n_classes):
    n = max(y_true.max(), y_pred.max()) + 1     # n_classes ignored
    C = np.zeros((n, n), dtype=int)
    np.add.at(C, (y_true, y_pred), 1)
    return C
""",
    "q6": """
run_3_cause = "B"                          # a loss that falls slowly blamed on the learning rate
""",
    "q7": """
untrustworthy_test_run = "4"               # the erratic run, whose numbers jump around
""",
    "q8": """
from dlcourse import losses
from dlcourse.autograd import Tensor


def train(model, optimizer, X, y, epochs, batch_size, seed):
    history = []
    for epoch in range(epochs):
        total = 0.0
        for start in range(0, len(X), batch_size):
            idx = np.arange(start, min(start + batch_size, len(X)))   # still not shuffled
            optimizer.zero_grad()
            loss = losses.cross_entropy(model(Tensor(X[idx])), y[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        history.append(total / len(X))
    return history
""",
}

"""References for the matrix-form questions of ``exercises/07_backpropagation.ipynb``.

The gradients of a two-layer MLP and of one linear layer, both with a batch of examples
as the *rows* of ``X`` and weights stored as PyTorch stores them (``W`` of shape
``(out_features, in_features)``, so a layer computes ``X @ W.T + b``). Every reference is
the package's autograd engine (:mod:`dlcourse.autograd`, tested against PyTorch): the
questions ask for the same numbers by hand, in matrix form.

See chapter: Backpropagation (book/07_backpropagation.ipynb)
"""

from __future__ import annotations

import numpy as np

from .compare import parts

__all__ = [
    "MLP_GRADS",
    "LINEAR",
    "mlp_inputs",
    "linear_inputs",
    "reference_mlp_grads",
    "reference_linear",
]

#: How the answers are compared: one named part per returned gradient.
MLP_GRADS = {
    "name": "mlp_backward",
    "compare": parts("dL/dW1", "dL/db1", "dL/dW2", "dL/db2", rtol=1e-7, atol=1e-10),
}
LINEAR = {
    "name": "linear_backward",
    "compare": parts("dL/dx", "dL/dW", "dL/db", rtol=1e-7, atol=1e-10),
}


def reference_mlp_grads(
    X: np.ndarray,
    y: np.ndarray,
    W1: np.ndarray,
    b1: np.ndarray,
    W2: np.ndarray,
    b2: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """The engine's (dL/dW1, dL/db1, dL/dW2, dL/db2) for
    ``L = cross_entropy(tanh(X @ W1.T + b1) @ W2.T + b2, y)`` (the mean over the rows)."""
    from dlcourse import losses
    from dlcourse.autograd import Tensor

    params = [
        Tensor(np.array(p, dtype=float), requires_grad=True) for p in (W1, b1, W2, b2)
    ]
    hidden = (Tensor(np.array(X, dtype=float)) @ params[0].T + params[1]).tanh()
    logits = hidden @ params[2].T + params[3]
    losses.cross_entropy(logits, np.asarray(y)).backward()
    grads = tuple(p.grad for p in params)
    assert all(g is not None for g in grads)
    return grads  # type: ignore[return-value]


def reference_linear(
    x: np.ndarray, W: np.ndarray, b: np.ndarray, g: np.ndarray
) -> tuple[np.ndarray, ...]:
    """The engine's (dL/dx, dL/dW, dL/db) of ``y = x @ W.T + b`` for the upstream ``g``."""
    from dlcourse.autograd import Tensor

    X, Wt, B = (Tensor(np.array(a, dtype=float), requires_grad=True) for a in (x, W, b))
    (X @ Wt.T + B).backward(np.array(g, dtype=float))
    grads = (X.grad, Wt.grad, B.grad)
    assert all(grad is not None for grad in grads)
    return grads  # type: ignore[return-value]


def mlp_inputs(
    seed: int, n: int, d: int, hidden: int, classes: int
) -> list[np.ndarray]:
    """``[X, y, W1, b1, W2, b2]``: a batch of ``n`` rows and a network's weights, seeded."""
    rng = np.random.default_rng(seed)
    return [
        rng.normal(size=(n, d)),
        rng.integers(0, classes, size=n),
        rng.normal(scale=0.7, size=(hidden, d)),
        rng.normal(scale=0.3, size=hidden),
        rng.normal(scale=0.7, size=(classes, hidden)),
        rng.normal(scale=0.3, size=classes),
    ]


def linear_inputs(seed: int, n: int, d_in: int, d_out: int) -> list[np.ndarray]:
    """``[x, W, b, g]`` for one linear layer and a batch of ``n`` rows, seeded."""
    rng = np.random.default_rng(seed)
    return [
        rng.normal(size=(n, d_in)),
        rng.normal(size=(d_out, d_in)),
        rng.normal(size=d_out),
        rng.normal(size=(n, d_out)),
    ]

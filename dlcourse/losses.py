"""Loss functions: how wrong is the network, as one number to minimise.

* Mean squared error, for regression:
      MSE = (1/n) Σᵢ (ŷᵢ - yᵢ)²
* Binary cross-entropy, for a probability p of class 1:
      BCE = -(1/n) Σᵢ [yᵢ log pᵢ + (1-yᵢ) log(1-pᵢ)]
* Cross-entropy over C classes, from raw scores (logits) z and the true class t:
      CE = -(1/N) Σₙ log softmax(zₙ)[tₙ] = (1/N) Σₙ (logsumexp(zₙ) - zₙ[tₙ])

Each is a single autograd node with a hand-written backward (fast, and the
derivative is worth reading), and each equals its ``torch.nn.functional``
namesake (mean reduction). A non-finite loss raises ``FloatingPointError``
naming the loss, because a NaN loss silently poisons every weight.

See chapter: Loss functions
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlcourse.autograd import Tensor, _accumulate, _lift, _result

__all__ = [
    "mse",
    "binary_cross_entropy",
    "cross_entropy",
    "cross_entropy_np",
    "softmax_np",
]


# PyTorch's BCE backward floors p(1-p) at the *float32* literal 1e-12 (as a double).
_BCE_EPS = float(np.float32(1e-12))


def _check_finite(name: str, value: np.ndarray) -> None:
    if not math.isfinite(value):
        raise FloatingPointError(
            f"{name}: the loss is {float(value)} (not finite); "
            "check the inputs and the learning rate"
        )


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def mse(pred: Tensor, target: Any) -> Tensor:
    """Mean squared error  L = (1/n) Σ (ŷ - y)²;  dL/dŷ = 2(ŷ - y)/n.

    ``pred`` and ``target`` must have the same shape (PyTorch only warns and
    broadcasts, which silently computes the wrong thing for (N, 1) vs (N,)).
    """
    pred = _as_tensor(pred)
    target = _lift(target, pred)
    if pred.shape != target.shape:
        raise ValueError(
            f"mse: prediction shape {pred.shape} and target shape {target.shape} "
            "differ; reshape one of them"
        )
    diff = pred.data - target.data
    value = np.asarray(np.mean(diff * diff))
    _check_finite("mse", value)
    out = _result(value, (pred, target), "mse")

    def _backward(g: np.ndarray) -> None:
        d = g * (2 / diff.size) * diff
        if pred.requires_grad:
            _accumulate(pred, d)
        if target.requires_grad:
            _accumulate(target, -d)

    out._backward = _backward
    return out


def binary_cross_entropy(prob: Tensor, target: Any) -> Tensor:
    """BCE  L = -(1/n) Σ [y log p + (1-y) log(1-p)]  for probabilities p ∈ [0, 1].

    As in PyTorch each log is clamped at -100, so p = 0 or 1 gives a large but
    finite loss; the gradient dL/dp = (p - y) / (p(1-p)) / n uses
    max(p(1-p), 1e-12) in the denominator, also like PyTorch.
    """
    prob = _as_tensor(prob)
    target = _lift(target, prob)
    if prob.shape != target.shape:
        raise ValueError(
            f"binary_cross_entropy: probability shape {prob.shape} and target shape "
            f"{target.shape} differ"
        )
    p, y = prob.data, target.data
    if np.any((p < 0) | (p > 1)):
        raise ValueError(
            "binary_cross_entropy: inputs must be probabilities in [0, 1] "
            "(apply sigmoid first)"
        )
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), -100)
        log_1mp = np.maximum(np.log1p(-p), -100)
    value = np.asarray(-np.mean(y * log_p + (1 - y) * log_1mp))
    _check_finite("binary_cross_entropy", value)
    out = _result(value, (prob, target), "bce")

    def _backward(g: np.ndarray) -> None:
        if prob.requires_grad:
            _accumulate(prob, g * (p - y) / np.maximum(p * (1 - p), _BCE_EPS) / p.size)
        if target.requires_grad:  # dL/dy = (log(1-p) - log p) / n
            _accumulate(target, g * (log_1mp - log_p) / p.size)

    out._backward = _backward
    return out


def cross_entropy(logits: Tensor, targets: Any) -> Tensor:
    """Softmax cross-entropy from logits (N, C) and class indices (N,), mean over N.

    Forward with the log-sum-exp trick (m = max z cancels, nothing overflows):
        CE = (1/N) Σₙ [m + log Σ_c e^(z_nc - m) - z_n,tₙ]
    Backward, remarkably simple:  dCE/dz = (softmax(z) - onehot(t)) / N.

    A single example may be given as logits (C,) and an integer target.
    Equals ``torch.nn.functional.cross_entropy``.
    """
    logits = _as_tensor(logits)
    z = logits.data
    t = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if t.dtype.kind not in "iu":
        if t.dtype.kind == "f" and t.size and np.all(t == np.round(t)):
            t = t.astype(np.int64)  # float labels that are whole numbers: accept
        else:
            raise TypeError(
                "cross_entropy: targets must be integer class indices, "
                f"got dtype {t.dtype}"
            )
    single = z.ndim == 1
    if single:
        z, t = z[None, :], t.reshape(1) if t.ndim == 0 else t
    if z.ndim != 2:
        raise ValueError(
            f"cross_entropy: logits must have shape (N, C) or (C,), got {logits.shape}"
        )
    n, c = z.shape
    if t.shape != (n,):
        raise ValueError(
            f"cross_entropy: logits shape {logits.shape} needs targets of shape "
            f"({n},) but targets have shape {np.shape(targets)}"
        )
    if n and not (0 <= np.minimum.reduce(t) and np.maximum.reduce(t) < c):
        raise IndexError(
            f"cross_entropy: target class indices must be in [0, {c - 1}] for "
            f"logits shape {logits.shape}; got values in [{t.min()}, {t.max()}]"
        )
    rows = np.arange(n)
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    value = np.log(total).sum() / n - shifted[rows, t].sum() / n
    value = np.asarray(value, dtype=z.dtype)
    _check_finite("cross_entropy", value)
    out = _result(value, (logits,), "cross_entropy")

    def _backward(g: np.ndarray) -> None:
        grad = e / total  # softmax
        grad[rows, t] -= 1
        grad *= g / n  # grad is our own fresh array, so in place is safe
        _accumulate(logits, grad[0] if single else grad)

    out._backward = _backward
    return out


# ----------------------------------------------------------- NumPy-only helpers
def softmax_np(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax of a NumPy array (subtract the max first)."""
    z = np.asarray(logits, dtype=float)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def cross_entropy_np(
    scores: np.ndarray, targets: Any, from_logits: bool = True
) -> float:
    """Mean cross-entropy with plain NumPy, for the Loss chapter.

    ``scores`` are logits (``from_logits=True``) or probabilities that sum to
    1 along the last axis. For a single example (C,) with target t this is
    -log p_t: a model that says "90 % cat" when it is a dog with 5 % pays -log 0.05.
    """
    s = np.atleast_2d(np.asarray(scores, dtype=float))
    t = np.atleast_1d(np.asarray(targets))
    if t.shape != (s.shape[0],):
        raise ValueError(
            f"cross_entropy_np: scores shape {np.shape(scores)} and targets shape "
            f"{np.shape(targets)} do not match"
        )
    if from_logits:
        shifted = s - s.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    else:
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(s), -100)
    return float(-log_p[np.arange(len(t)), t].mean())

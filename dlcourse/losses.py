"""Loss functions: how wrong is the network, as one number to minimise.

* Mean squared error, for regression:
      MSE = (1/n) Σᵢ (ŷᵢ - yᵢ)²
* Binary cross-entropy, for a probability p of class 1 (or from a logit x, p = σ(x)):
      BCE = -(1/n) Σᵢ [yᵢ log pᵢ + (1-yᵢ) log(1-pᵢ)]
* Cross-entropy over C classes, from raw scores (logits) z and the true class t:
      CE = -(1/N) Σₙ log softmax(zₙ)[tₙ] = (1/N) Σₙ (logsumexp(zₙ) - zₙ[tₙ])

Each is one autograd node (``make_node``) with a hand-written backward, and equals its
``torch.nn.functional`` namesake: argument names, defaults (``reduction="mean"``) and
results. A non-finite loss raises ``FloatingPointError`` naming the loss, because a NaN
loss silently poisons every weight.

See chapter: Loss functions (book/05_losses.ipynb)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlcourse.autograd import Tensor, accumulate, as_tensor, make_node

__all__ = [
    "mse",
    "mse_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
    "cross_entropy_np",
    "softmax_np",
]


# PyTorch's BCE backward floors p(1-p) at the *float32* literal 1e-12 (as a double).
_BCE_EPS = float(np.float32(1e-12))
_REDUCTIONS = ("mean", "sum", "none")


def _check_finite(name: str, value: np.ndarray) -> None:
    if not np.all(np.isfinite(value)):
        raise FloatingPointError(
            f"{name}: the loss is {value} (not finite); "
            "check the inputs and the learning rate"
        )


def _operand(x: Any, like: Tensor) -> Tensor:
    """A target or weight: a Tensor as it is, anything else a constant of like's dtype."""
    if isinstance(x, Tensor):
        return x
    return as_tensor(np.asarray(x, dtype=like.data.dtype))


def _pointwise(
    name: str,
    losses: np.ndarray,
    reduction: str,
    parents: tuple[Tensor, ...],
    slopes: tuple[Any, ...],
) -> Tensor:
    """The node for a loss computed element by element: ``losses`` reduced by
    ``reduction``; ``slopes[k]()`` is d(loss element)/d(parents[k]) elementwise."""
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}"
        )
    n = losses.size
    if reduction == "none":
        value = losses
    else:
        value = np.asarray(np.sum(losses) / (n if reduction == "mean" else 1))
    value = value.astype(parents[0].data.dtype)
    _check_finite(name, value)

    def backward(g: np.ndarray) -> None:
        scale = g / n if reduction == "mean" else g
        for parent, slope in zip(parents, slopes):
            if parent.requires_grad:
                accumulate(parent, scale * slope())

    return make_node(value, parents, name, backward)


def _same_shape(name: str, input: Tensor, target: Tensor) -> None:
    if input.shape != target.shape:
        raise ValueError(
            f"{name}: input shape {input.shape} and target shape {target.shape} differ"
        )


def mse(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error  L = (1/n) Σ (ŷ - y)²;  dL/dŷ = 2(ŷ - y)/n.

    ``input`` and ``target`` must have the same shape (PyTorch only warns and
    broadcasts, which silently computes the wrong thing for (N, 1) vs (N,)).
    """
    pred = as_tensor(input)
    y = _operand(target, pred)
    if pred.shape != y.shape:
        raise ValueError(
            f"mse: prediction shape {pred.shape} and target shape {y.shape} "
            "differ; reshape one of them"
        )
    diff = pred.data - y.data
    return _pointwise(
        "mse", diff * diff, reduction, (pred, y), (lambda: 2 * diff, lambda: -2 * diff)
    )


def binary_cross_entropy(
    input: Any, target: Any, weight: Any = None, reduction: str = "mean"
) -> Tensor:
    """BCE  L = -(1/n) Σ w [y log p + (1-y) log(1-p)]  for probabilities p ∈ [0, 1].

    As in PyTorch each log is clamped at -100, so p = 0 or 1 gives a large but finite
    loss; dL/dp = w (p - y) / max(p(1-p), 1e-12) / n, also like PyTorch.
    """
    prob = as_tensor(input)
    y = _operand(target, prob)
    _same_shape("binary_cross_entropy", prob, y)
    p = prob.data
    if np.any((p < 0) | (p > 1)):
        raise ValueError(
            "binary_cross_entropy: inputs must be probabilities in [0, 1] "
            "(apply sigmoid first, or use binary_cross_entropy_with_logits)"
        )
    w = 1.0 if weight is None else np.asarray(getattr(weight, "data", weight))
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), -100)
        log_1mp = np.maximum(np.log1p(-p), -100)
    losses = -w * (y.data * log_p + (1 - y.data) * log_1mp)
    return _pointwise(
        "binary_cross_entropy",
        np.broadcast_to(losses, p.shape),
        reduction,
        (prob, y),
        (
            lambda: w * (p - y.data) / np.maximum(p * (1 - p), _BCE_EPS),
            lambda: w * (log_1mp - log_p),
        ),
    )


def binary_cross_entropy_with_logits(
    input: Any,
    target: Any,
    weight: Any = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """BCE of p = σ(x) from the logit x, without computing p (stable for any x):

        L = w [ q·softplus(-x) + (1 - y)·softplus(x) ],  q = pos_weight·y,
        dL/dx = w [ σ(x)(q + 1 - y) - q ],  dL/dy = w [ pos_weight·softplus(-x) - softplus(x) ].

    softplus(x) = log(1 + eˣ) = -log(1 - σ(x)). Equals PyTorch's function.
    """
    x = as_tensor(input)
    y = _operand(target, x)
    _same_shape("binary_cross_entropy_with_logits", x, y)
    w = 1.0 if weight is None else np.asarray(getattr(weight, "data", weight))
    pw = (
        1.0
        if pos_weight is None
        else np.asarray(getattr(pos_weight, "data", pos_weight))
    )
    z = x.data
    softplus_pos = np.logaddexp(0, z)  # -log(1 - σ(x))
    softplus_neg = np.logaddexp(0, -z)  # -log σ(x)
    q = pw * y.data
    losses = w * (q * softplus_neg + (1 - y.data) * softplus_pos)
    sig = np.exp(-softplus_neg)
    return _pointwise(
        "binary_cross_entropy_with_logits",
        np.broadcast_to(losses, z.shape),
        reduction,
        (x, y),
        (
            lambda: w * (sig * (q + 1 - y.data) - q),
            lambda: w * (pw * softplus_neg - softplus_pos),
        ),
    )


# ------------------------------------------------------- losses over C classes
def _class_rows(name: str, input: Tensor) -> tuple[np.ndarray, tuple[int, ...], Any]:
    """Scores of shape (C,), (N, C) or (N, C, d1, ...) as rows (M, C), the batch shape,
    and the function that puts a gradient of the rows back into the input's shape."""
    z = input.data
    if z.ndim == 0:
        raise ValueError(f"{name}: input must have shape (N, C) or (C,), got ()")
    zc = z[None] if z.ndim == 1 else z
    moved = np.moveaxis(zc, 1, -1)
    rows = moved.reshape(-1, zc.shape[1])
    batch = () if z.ndim == 1 else moved.shape[:-1]

    def restore(grad_rows: np.ndarray) -> np.ndarray:
        grad = np.moveaxis(grad_rows.reshape(moved.shape), -1, 1)
        return grad[0] if z.ndim == 1 else grad

    return rows, batch, restore


def _class_indices(
    name: str, input: Tensor, target: Any, batch: tuple[int, ...], ignore_index: int
) -> tuple[np.ndarray, np.ndarray]:
    """Targets as class indices (M,) (0 where ignored) and the mask of the counted ones."""
    t = np.asarray(getattr(target, "data", target))
    if t.dtype.kind not in "iu":
        if t.dtype.kind == "f" and t.size and np.all(t == np.round(t)):
            t = t.astype(np.int64)  # float labels that are whole numbers: accept
        else:
            raise TypeError(
                f"{name}: targets must be integer class indices (or probabilities "
                f"of the input's shape), got dtype {t.dtype}"
            )
    if t.shape != batch:
        raise ValueError(
            f"{name}: input of shape (N, C) (or (C,), or (N, C, d1, ...)) — here "
            f"{input.shape} — needs targets of shape {batch}, but targets have "
            f"shape {t.shape}"
        )
    t = t.reshape(-1)
    counted = t != ignore_index
    c = input.shape[0] if input.ndim == 1 else input.shape[1]
    if np.any(counted & ((t < 0) | (t >= c))):
        bad = t[counted]
        raise IndexError(
            f"{name}: target class indices must be in [0, {c - 1}] for input shape "
            f"{input.shape}; got values in [{bad.min()}, {bad.max()}]"
        )
    return np.where(counted, t, 0), counted


def _class_loss(
    name: str,
    input: Tensor,
    rows_out: tuple[np.ndarray, Any],
    denominator: float,
    reduction: str,
    batch: tuple[int, ...],
    restore: Any,
) -> Tensor:
    """Reduce per-row losses; dL/d(rows) = scale · ``rows_out[1](coef)`` per row."""
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}"
        )
    row_loss, row_grad = rows_out
    if reduction == "none":
        value = row_loss.reshape(batch)
    else:
        total = row_loss.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.asarray(total / denominator if reduction == "mean" else total)
    value = value.astype(input.data.dtype)
    _check_finite(name, value)

    def backward(g: np.ndarray) -> None:
        if reduction == "none":
            scale = g.reshape(-1, 1)
        else:
            scale = g / denominator if reduction == "mean" else g
        accumulate(input, restore(scale * row_grad()))

    return make_node(value, (input,), name, backward)


def cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy from logits, like ``torch.nn.functional.cross_entropy``.

    ``input``: logits (N, C), (C,) or (N, C, d1, ...). ``target``: class indices of
    the batch shape, or class probabilities of the input's shape. With coefficients
    aₙ꜀ (the one-hot target, times ``weight[c]``, mixed with ε/C by
    ``label_smoothing`` ε; 0 for targets equal to ``ignore_index``):

        lossₙ = -Σ꜀ aₙ꜀ log softmax(zₙ)꜀,   dlossₙ/dzₙ = (Σ꜀ aₙ꜀)·softmax(zₙ) - aₙ,

    so without weights and smoothing the gradient is softmax(z) - onehot(t).
    ``reduction="mean"`` divides by Σₙ weight[tₙ] over counted targets (by N for
    probability targets), as PyTorch does.
    """
    logits = as_tensor(input)
    rows, batch, restore = _class_rows("cross_entropy", logits)
    m, c = rows.shape
    shifted = rows - rows.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    log_p = shifted - np.log(total)
    w = None if weight is None else np.asarray(getattr(weight, "data", weight))
    t = np.asarray(getattr(target, "data", target))
    eps = float(label_smoothing)
    if t.shape == logits.shape and t.dtype.kind == "f":  # class probabilities
        coef = np.moveaxis(t[None] if t.ndim == 1 else t, 1, -1).reshape(m, c)
        coef = coef * (1 - eps) + eps / c
        coef = coef if w is None else coef * w
        denominator = float(m)
    else:
        idx, counted = _class_indices(
            "cross_entropy", logits, target, batch, ignore_index
        )
        picked = counted * (1.0 if w is None else w[idx])
        denominator = float(picked.sum())
        if w is None and eps == 0:  # the common case, without a dense (M, C) matrix
            row_loss = -log_p[np.arange(m), idx] * counted

            def row_grad() -> np.ndarray:
                grad = e / total * counted[:, None]
                grad[np.arange(m), idx] -= counted
                return grad

            return _class_loss(
                "cross_entropy", logits, (row_loss, row_grad), denominator,
                reduction, batch, restore,
            )  # fmt: skip
        coef = np.zeros_like(rows)
        coef[np.arange(m), idx] = (1 - eps) * picked
        coef += counted[:, None] * (eps / c) * (1.0 if w is None else w)
    row_loss = -(coef * log_p).sum(axis=1)
    return _class_loss(
        "cross_entropy", logits,
        (row_loss, lambda: coef.sum(axis=1, keepdims=True) * e / total - coef),
        denominator, reduction, batch, restore,
    )  # fmt: skip


def nll_loss(
    input: Any,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities (``torch.nn.functional.nll_loss``):
    lossₙ = -weight[tₙ]·input[n, tₙ]; its gradient is -weight[tₙ] at tₙ, 0 elsewhere.
    ``cross_entropy(z, t)`` equals ``nll_loss(log_softmax(z), t)``."""
    log_p = as_tensor(input)
    rows, batch, restore = _class_rows("nll_loss", log_p)
    m = rows.shape[0]
    idx, counted = _class_indices("nll_loss", log_p, target, batch, ignore_index)
    w = None if weight is None else np.asarray(getattr(weight, "data", weight))
    picked = counted * (1.0 if w is None else w[idx])

    def row_grad() -> np.ndarray:
        grad = np.zeros_like(rows)
        grad[np.arange(m), idx] = -picked
        return grad

    row_loss = -rows[np.arange(m), idx] * picked
    return _class_loss(
        "nll_loss", log_p, (row_loss, row_grad), float(picked.sum()),
        reduction, batch, restore,
    )  # fmt: skip


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


mse_loss = mse  # PyTorch's name (torch.nn.functional.mse_loss)

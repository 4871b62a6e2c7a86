"""Why did the network say that? Gradient-based explanations, and a check for them.

**Saliency** (Simonyan, Vedaldi & Zisserman 2014). The score of class ``t`` is a
function :math:`f_t(x)` of the input. Its gradient says how much each input pixel would
change the score if it moved a little; the saliency map is its size,

.. math::

    S(x) = \\left|\\frac{\\partial f_t}{\\partial x}(x)\\right| .

**Integrated gradients** (Sundararajan, Taly & Yan 2017). A gradient is *local*: a pixel
whose effect has saturated (its ink already switched a ReLU off, say) gets zero
gradient, however much it moved the score on the way there. Integrated gradients walk
from a *baseline* :math:`x'` (by default the all-zero image) to :math:`x` along the
straight line :math:`x' + \\alpha (x - x')` and add up the gradients on the way:

.. math::

    \\operatorname{IG}_i(x) = (x_i - x'_i) \\int_0^1
        \\frac{\\partial f_t}{\\partial x_i}
        \\big(x' + \\alpha (x - x')\\big)\\, d\\alpha .

By the fundamental theorem of calculus for line integrals the attributions satisfy
**completeness**: :math:`\\sum_i \\operatorname{IG}_i(x) = f_t(x) - f_t(x')`, every bit
of the score's change is handed to some pixel. The integral is computed with the
trapezoid rule on ``steps`` equal intervals (:func:`riemann_weights`); the completeness
gap measures how well the rule did.

**Sanity check** (Adebayo et al. 2018). An explanation that looks the same for a trained
network and for one with random weights explains nothing about what was learned.
:func:`cascading_randomization` re-initialises the layers one by one from the top (the
output layer first), recomputes the explanation after each step, and
:func:`rank_correlation` measures, per image, the Spearman rank correlation between the
original and the new :math:`|\\text{attribution}|` map.

All functions take ``torch`` models that map a batch ``(N, ...)`` to class scores
``(N, K)``.

See chapter: Applications and challenges (book/15_applications.ipynb)
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = [
    "saliency",
    "integrated_gradients",
    "riemann_weights",
    "class_score",
    "rank_correlation",
    "randomizable_layers",
    "cascading_randomization",
]


def _as_input(model: nn.Module, x: Any) -> torch.Tensor:
    p = next(model.parameters())
    return torch.as_tensor(np.array(x) if not isinstance(x, torch.Tensor) else x).to(
        device=p.device, dtype=p.dtype
    )


def _targets(target: Any, n: int, device: torch.device) -> torch.Tensor:
    t = torch.as_tensor(
        np.asarray(target if not isinstance(target, torch.Tensor) else target.cpu()),
        dtype=torch.long,
    ).reshape(-1)
    if t.numel() == 1:
        t = t.expand(n)
    if t.numel() != n:
        raise ValueError(
            f"target: expected one class or {n} (one per example), got {t.numel()}"
        )
    return t.to(device)


def _score_grad(
    model: nn.Module, x: torch.Tensor, t: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Scores ``f_t(x)`` (N,) and their gradients with respect to ``x`` (N, ...)."""
    x = x.detach().requires_grad_(True)
    scores = model(x).gather(1, t[:, None])[:, 0]
    (grad,) = torch.autograd.grad(
        scores.sum(), x
    )  # examples are independent in eval mode
    return scores.detach(), grad


class _EvalMode:
    """Eval mode (no dropout) for the duration of a block, then the previous mode."""

    def __init__(self, model: nn.Module) -> None:
        self.model, self.was = model, model.training

    def __enter__(self) -> None:
        self.model.eval()

    def __exit__(self, *exc: Any) -> None:
        self.model.train(self.was)


def class_score(model: nn.Module, x: Any, target: Any) -> np.ndarray:
    """``f_target(x)``: the score (logit) of class ``target`` for each example, (N,)."""
    xt = _as_input(model, x)
    t = _targets(target, len(xt), xt.device)
    with _EvalMode(model), torch.no_grad():
        return model(xt).gather(1, t[:, None])[:, 0].double().cpu().numpy()


def saliency(
    model: nn.Module, x: Any, target: Any, absolute: bool = True
) -> np.ndarray:
    """Saliency map ``|∂ f_target / ∂ x|`` (Simonyan et al. 2014), same shape as ``x``.

    Args:
        model: a torch classifier, batch ``(N, ...)`` → scores ``(N, K)``; evaluated in
            eval mode.
        x: a batch of inputs ``(N, ...)`` (array or tensor).
        target: the class to explain: one int for all examples, or one per example.
        absolute: return the gradient's absolute value (the map); ``False`` keeps the
            sign.
    """
    xt = _as_input(model, x)
    t = _targets(target, len(xt), xt.device)
    with _EvalMode(model):
        _, grad = _score_grad(model, xt, t)
    saliency = grad.double().cpu().numpy()
    return np.abs(saliency) if absolute else saliency


def riemann_weights(
    steps: int, rule: str = "trapezoid"
) -> tuple[np.ndarray, np.ndarray]:
    """Points ``α_k`` in [0, 1] and weights ``w_k`` with ``Σ w_k g(α_k) ≈ ∫₀¹ g(α) dα``.

    ``"trapezoid"``: ``steps + 1`` points ``k/steps``, weights ``1/steps`` (halved at
    both ends), error O(1/steps²) for smooth g. ``"left"``, ``"right"``,
    ``"midpoint"``: ``steps`` points, weights ``1/steps`` (the Riemann sums of
    Sundararajan et al.; error O(1/steps) for left and right, O(1/steps²) for midpoint).
    """
    if steps < 1:
        raise ValueError(f"riemann_weights: steps must be >= 1, got {steps}")
    k = np.arange(steps, dtype=np.float64)
    if rule == "trapezoid":
        alphas = np.linspace(0.0, 1.0, steps + 1)
        weights = np.full(steps + 1, 1.0 / steps)
        weights[[0, -1]] /= 2
        return alphas, weights
    offsets = {"left": 0.0, "right": 1.0, "midpoint": 0.5}
    if rule not in offsets:
        raise ValueError(
            f"riemann_weights: unknown rule {rule!r}; "
            "choose trapezoid, left, right or midpoint"
        )
    return (k + offsets[rule]) / steps, np.full(steps, 1.0 / steps)


def integrated_gradients(
    model: nn.Module,
    x: Any,
    target: Any,
    baseline: Any = None,
    steps: int = 32,
    rule: str = "trapezoid",
    batch_size: int = 1024,
) -> np.ndarray:
    """Integrated gradients (Sundararajan et al. 2017), same shape as ``x``.

    ``IG(x) = (x − x') · ∫₀¹ ∇f_target(x' + α(x − x')) dα``, the integral by the
    ``rule`` of :func:`riemann_weights` with ``steps`` intervals. ``baseline`` ``x'``:
    ``None`` for the all-zero image, or an array shaped like one example or like ``x``.
    The attributions of each example add up to ``f(x) − f(x')`` up to the integration
    error (completeness); check it with :func:`class_score`.
    """
    xt = _as_input(model, x)
    n = len(xt)
    t = _targets(target, n, xt.device)
    if baseline is None:
        base = torch.zeros_like(xt)
    else:
        base = _as_input(model, baseline)
        if base.shape == xt.shape[1:]:
            base = base[None]
        base = base.expand_as(xt)
    alphas, weights = riemann_weights(steps, rule)
    m = len(alphas)
    a = torch.as_tensor(alphas, dtype=xt.dtype, device=xt.device).reshape(
        m, 1, *[1] * (xt.dim() - 1)
    )
    path = (base[None] + a * (xt - base)[None]).reshape(
        m * n, *xt.shape[1:]
    )  # (m·N, ...), α-major
    tt = t.repeat(m)
    grads = []
    with _EvalMode(model):
        for start in range(0, m * n, batch_size):
            grads.append(
                _score_grad(
                    model,
                    path[start : start + batch_size],
                    tt[start : start + batch_size],
                )[1]
            )
    g = torch.cat(grads).double().reshape(m, n, *xt.shape[1:])
    w = torch.as_tensor(weights, dtype=torch.float64, device=g.device).reshape(
        m, 1, *[1] * (xt.dim() - 1)
    )
    avg_grad = (w * g).sum(0)
    return ((xt - base).double() * avg_grad).cpu().numpy()


def _ranks(v: np.ndarray) -> np.ndarray:
    """Ranks 1..n of the entries of a 1-D array, ties sharing their average rank."""
    order = np.argsort(v, kind="mergesort")
    sorted_v = v[order]
    # start of each run of equal values, and the average rank of the run
    starts = np.r_[True, sorted_v[1:] != sorted_v[:-1]]
    run = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    counts = np.diff(np.r_[first, len(v)])
    avg = first + (counts + 1) / 2.0
    ranks = np.empty(len(v))
    ranks[order] = avg[run]
    return ranks


def rank_correlation(a: Any, b: Any) -> np.ndarray:
    """Spearman rank correlation between ``a[i]`` and ``b[i]`` for each example, (N,).

    Each example's map is flattened; ties get their average rank (as
    ``scipy.stats.spearmanr``).
    The correlation is the Pearson correlation of the ranks; NaN for a constant map.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rank_correlation: shapes differ, {a.shape} vs {b.shape}")
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    out = np.empty(len(a))
    for i in range(len(a)):
        ra, rb = _ranks(a[i]), _ranks(b[i])
        ra, rb = ra - ra.mean(), rb - rb.mean()
        denom = np.sqrt((ra @ ra) * (rb @ rb))
        out[i] = (ra @ rb) / denom if denom > 0 else np.nan
    return out


def randomizable_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``[(name, module), ...]``: the layers with weights and ``reset_parameters``.

    In registration order, which for ``nn.Sequential`` and LeNet is the forward order.
    """
    return [
        (name, m)
        for name, m in model.named_modules()
        if m is not model
        and hasattr(m, "reset_parameters")
        and any(True for _ in m.parameters(recurse=False))
    ]


def cascading_randomization(
    model: nn.Module,
    x: Any,
    target: Any,
    explain: Callable[[nn.Module, Any, Any], np.ndarray],
    seed: int = 0,
) -> list[tuple[str, np.ndarray]]:
    """Adebayo et al.'s (2018) cascading randomisation test.

    Re-initialises the layers of a *copy* of ``model`` one after the other, from the
    output layer down to the first (each with ``reset_parameters`` under
    ``torch.manual_seed(seed + k)``), and explains ``(x, target)`` with
    ``explain(model, x, target)`` after each step.

    Returns ``[("trained", maps), ("<layer name>", maps), ...]``: the original
    explanation, then the one with every layer from the top down to the named one
    randomised. The original ``model`` is not changed.
    """
    randomized = copy.deepcopy(model)
    out = [("trained", explain(randomized, x, target))]
    layers = randomizable_layers(randomized)
    for k, (name, layer) in enumerate(reversed(layers)):
        torch.manual_seed(seed + k)
        # nn.Module's __getattr__ is typed as returning a Tensor or a Module
        reset: Callable[[], None] = layer.reset_parameters  # type: ignore[assignment]
        reset()
        out.append((name, explain(randomized, x, target)))
    return out

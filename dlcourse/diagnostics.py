"""Looking inside a network before and during training: gradients and activations.

Two questions decide whether a deep network can learn at all.

**Do the gradients reach the first layers?** Backpropagation multiplies one factor per
layer. For a layer ``h_l = f(W_l h_{l-1} + b_l)`` the error signal going down is

.. math::  \\delta_{l-1} = W_l^\\top \\big(f'(z_l) \\odot \\delta_l\\big),

so its size changes by roughly ``|W_l| * f'`` at every layer. With the sigmoid
``f' <= 1/4``: leaving the weights aside, ten layers shrink the signal by a factor
of at least ``4^10 ≈ 10^6`` (the *vanishing gradient*); larger weights push the
sigmoids into their flat tails, where ``f'`` is smaller still.
:func:`layer_gradient_norms` measures ``||∂L/∂W_l||`` for every layer with one
backward pass.

**Do the activations keep a sensible scale?** If the scale of ``h_l`` (its second
moment ``E[h_l^2]``, which sets the variance of the next layer's input) grows or
shrinks by a constant factor per layer, deep activations explode, collapse to zero,
or saturate. Xavier (Glorot & Bengio 2010) and He (He et al. 2015) initialisation
choose the weight variance that keeps it constant; :func:`activation_stats` reports
the mean, standard deviation, fraction of exact zeros and fraction of saturated
units after every activation layer, and :func:`initialise` re-draws a model's
weights with a named scheme.

Everything works for ``dlcourse.nn`` models (our own autograd engine computes the
gradients) and for ``torch.nn`` models (PyTorch's autograd), which is how the tests
check one against the other.

See chapter: Why now: data, compute, algorithms (book/09_why_now.ipynb)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from dlcourse import init
from dlcourse.autograd import Tensor, no_grad
from dlcourse.interop import is_torch, to_numpy
from dlcourse.rng import SeedLike, as_generator

__all__ = [
    "layer_gradient_norms",
    "activation_stats",
    "ActivationStats",
    "initialise",
    "INIT_SCHEMES",
]

INIT_SCHEMES = ("normal", "xavier", "he", "default")


def _torch_input(model: Any, X: Any) -> Any:
    """``X`` as a torch tensor, with the dtype and device of the model's parameters."""
    import torch

    p = next(iter(model.parameters()))
    return torch.as_tensor(np.asarray(X) if not isinstance(X, torch.Tensor) else X).to(
        p.device, p.dtype
    )


def layer_gradient_norms(
    model: Any, X: Any, y: Any, loss_fn: Callable[[Any, Any], Any]
) -> dict[str, float]:
    """Frobenius norm ``||∂L/∂W||`` of every weight matrix, input layer first.

    One forward pass ``L = loss_fn(model(X), y)`` and one backward pass. Keys are the
    weight names of ``named_parameters()`` (``"0.weight"``, ``"2.weight"``, ... for a
    Sequential); biases and other 1-D parameters are left out. For a ``dlcourse`` model
    the gradients come from ``dlcourse.autograd``; for a ``torch.nn.Module`` from torch
    (``X``/``y`` may be NumPy arrays, converted to the model's dtype and device).
    The model's gradients are cleared before and after, so nothing leaks into training.
    """
    if is_torch(model):
        import torch

        model.zero_grad(set_to_none=True)
        Xt = _torch_input(model, X)
        yt = torch.as_tensor(
            np.asarray(y) if not isinstance(y, torch.Tensor) else y
        ).to(Xt.device)
        loss_fn(model(Xt), yt).backward()
        norms = {
            name: float(p.grad.norm())
            for name, p in model.named_parameters()
            if p.ndim >= 2 and p.grad is not None
        }
        model.zero_grad(set_to_none=True)
    else:
        model.zero_grad()
        loss = loss_fn(model(X if isinstance(X, Tensor) else Tensor(np.asarray(X))), y)
        loss.backward()
        norms = {
            name: float(np.linalg.norm(p.grad))
            for name, p in model.named_parameters()
            if p.ndim >= 2 and p.grad is not None
        }
        model.zero_grad()
    if not norms:
        raise ValueError(
            f"layer_gradient_norms: {type(model).__name__} has no weight matrix "
            "that received a gradient"
        )
    return norms


@dataclass
class ActivationStats:
    """Summary of one layer's outputs over a batch."""

    name: str  # e.g. "3 Tanh": position in the Sequential and layer type
    mean: float
    std: float
    zero_fraction: float  # exactly 0: dead ReLU units
    saturated_fraction: (
        float  # |h| > 0.99 for tanh, h < 0.01 or > 0.99 for sigmoid; else NaN
    )
    values: np.ndarray  # the outputs themselves (N, width), for histograms


_LINEAR_NAMES = ("Linear", "Dropout", "Identity")


def _saturated(kind: str, h: np.ndarray) -> float:
    if kind == "Tanh":
        return float(np.mean(np.abs(h) > 0.99))
    if kind == "Sigmoid":
        return float(np.mean((h < 0.01) | (h > 0.99)))
    return float("nan")


def activation_stats(
    model: Any, X: Any, every_layer: bool = False
) -> list[ActivationStats]:
    """Statistics of the output of every activation layer of a Sequential, in order.

    Runs ``X`` through the layers one by one without recording gradients. By default
    only the outputs of non-linearities (ReLU, Tanh, Sigmoid, ...) are reported;
    ``every_layer=True`` also reports Linear (pre-activation) outputs. Works for a
    ``dlcourse.nn.Sequential`` and a ``torch.nn.Sequential``.
    """
    layers = list(model)
    stats: list[ActivationStats] = []
    if is_torch(model):
        import torch

        h = _torch_input(model, X)
        to_np = lambda t: to_numpy(t, np.float64)  # noqa: E731
        grad_off: Any = torch.no_grad()
    else:
        h = X if isinstance(X, Tensor) else Tensor(np.asarray(X))
        to_np = lambda t: np.asarray(t.data, dtype=np.float64)  # noqa: E731
        grad_off = no_grad()
    with grad_off:
        for i, layer in enumerate(layers):
            h = layer(h)
            kind = type(layer).__name__
            if kind in _LINEAR_NAMES and not every_layer:
                continue
            v = to_np(h)
            stats.append(
                ActivationStats(
                    f"{i} {kind}",
                    float(v.mean()),
                    float(v.std()),
                    float(np.mean(v == 0.0)),
                    _saturated(kind, v),
                    v,
                )
            )
    return stats


def initialise(
    model: Any,
    scheme: str,
    nonlinearity: str = "relu",
    rng: SeedLike = 0,
) -> Any:
    """Re-draw every Linear weight of a ``dlcourse`` model with ``scheme``; biases 0.

    * ``"normal"``: ``W ~ N(0, 1)`` — the naive choice, ignores the layer width;
    * ``"xavier"``: ``W ~ N(0, 2 / (fan_in + fan_out))`` (Glorot & Bengio 2010);
    * ``"he"``:     ``W ~ N(0, 2 / fan_in)`` (He et al. 2015, for ReLU; ``nonlinearity``
      sets the gain, see :func:`dlcourse.init.calculate_gain`);
    * ``"default"``: PyTorch's ``nn.Linear`` default, ``U(±1/sqrt(fan_in))``.

    Returns the model (modified in place).
    """
    if scheme not in INIT_SCHEMES:
        raise ValueError(
            f"initialise: unknown scheme {scheme!r}; choose from {INIT_SCHEMES}"
        )
    gen = as_generator(rng)
    linears = [
        m for m in model.modules() if hasattr(m, "in_features") and hasattr(m, "weight")
    ]
    if not linears:
        raise ValueError(f"initialise: {type(model).__name__} has no Linear layer")
    for m in linears:
        if scheme == "normal":
            init.normal_(m.weight, 0.0, 1.0, rng=gen)
        elif scheme == "xavier":
            init.xavier_normal_(m.weight, rng=gen)
        elif scheme == "he":
            init.kaiming_normal_(m.weight, nonlinearity=nonlinearity, rng=gen)
        else:
            init.kaiming_uniform_(m.weight, a=np.sqrt(5.0), rng=gen)
        if m.bias is not None and scheme == "default":
            bound = 1.0 / np.sqrt(m.in_features)
            init.uniform_(m.bias, -bound, bound, rng=gen)
        elif m.bias is not None:
            init.zeros_(m.bias)
    return model

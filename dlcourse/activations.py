"""Activation functions and their derivatives, in plain NumPy.

A neuron computes ``z = w·x + b`` and then ``a = f(z)``. The activation ``f``
decides the neuron's shape of response; its derivative ``f'`` decides how much
gradient flows back through it during learning (saturation = ``f'`` near 0).

==========  ===============================  ==================================
name        f(z)                             f'(z)
==========  ===============================  ==================================
step        1 if z > 0 else 0                0 (undefined at 0; we return 0)
sigmoid     σ(z) = 1 / (1 + e^{-z})          σ(z) (1 - σ(z))
tanh        (e^z - e^{-z}) / (e^z + e^{-z})  1 - tanh²(z)
relu        max(0, z)                        1 if z > 0 else 0
leaky_relu  z if z > 0 else αz               1 if z > 0 else α
gelu        z Φ(z)                           Φ(z) + z φ(z)
==========  ===============================  ==================================

with Φ(z) = ½(1 + erf(z/√2)) and φ(z) = e^{-z²/2}/√(2π), the standard normal's
cumulative distribution and density.

At the kink ``z = 0`` we use the same one-sided choices as PyTorch's autograd
(``relu'(0) = 0``, ``leaky_relu'(0) = α``).

See chapter: Activation functions (book/02_activations.ipynb)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import erf

__all__ = [
    "step",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "gelu",
    "step_grad",
    "sigmoid_grad",
    "tanh_grad",
    "relu_grad",
    "leaky_relu_grad",
    "gelu_grad",
    "ACTIVATIONS",
]

_SQRT2 = np.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def _as_float(x: ArrayLike) -> np.ndarray:
    # Keep float32 as float32 (like torch), promote ints and Python numbers to float64.
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def step(x: ArrayLike) -> np.ndarray:
    """Heaviside step, the original perceptron's activation: ``1 if x > 0 else 0``."""
    x = _as_float(x)
    return (x > 0).astype(x.dtype)


def step_grad(x: ArrayLike) -> np.ndarray:
    """Derivative of the step: 0 everywhere (undefined at 0).

    This is why a step neuron cannot be trained by gradients.
    """
    return np.zeros_like(_as_float(x))


def sigmoid(x: ArrayLike) -> np.ndarray:
    """Logistic sigmoid ``σ(x) = 1 / (1 + e^{-x})``, no overflow at large ``|x|``."""
    x = _as_float(x)
    # e^{-|x|} never overflows; pick the algebraically equal form for each sign.
    with np.errstate(under="ignore"):  # e^{-1000} = 0 is the right answer, not an error
        e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype)


def sigmoid_grad(x: ArrayLike) -> np.ndarray:
    """``σ'(x) = σ(x)(1 - σ(x))``; at most 1/4, reached at x = 0.

    In backpropagation each sigmoid layer contributes a factor ``σ'(z)·w``; with
    σ' ≤ 1/4 and the usual initial weights these factors are well below 1, so the
    gradient vanishes in deep sigmoid nets.
    """
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x: ArrayLike) -> np.ndarray:
    """Hyperbolic tangent ``tanh(x) = 2σ(2x) - 1``, zero-centred, range (-1, 1)."""
    return np.tanh(_as_float(x))


def tanh_grad(x: ArrayLike) -> np.ndarray:
    """``tanh'(x) = 1 - tanh²(x)``; at most 1 (at x = 0)."""
    t = np.tanh(_as_float(x))
    return 1.0 - t * t


def relu(x: ArrayLike) -> np.ndarray:
    """Rectified linear unit ``max(0, x)``."""
    x = _as_float(x)
    return np.maximum(x, 0).astype(x.dtype)


def relu_grad(x: ArrayLike) -> np.ndarray:
    """``relu'(x) = 1 if x > 0 else 0`` (0 at the kink, like PyTorch)."""
    x = _as_float(x)
    return (x > 0).astype(x.dtype)


def leaky_relu(x: ArrayLike, negative_slope: float = 0.01) -> np.ndarray:
    """Leaky ReLU ``x if x > 0 else negative_slope * x`` (never fully 'dead')."""
    x = _as_float(x)
    return np.where(x > 0, x, negative_slope * x).astype(x.dtype)


def leaky_relu_grad(x: ArrayLike, negative_slope: float = 0.01) -> np.ndarray:
    """``1 if x > 0 else negative_slope`` (``negative_slope`` at the kink, as torch)."""
    x = _as_float(x)
    return np.where(x > 0, 1.0, negative_slope).astype(x.dtype)


def gelu(x: ArrayLike) -> np.ndarray:
    """Exact GELU ``x Φ(x)`` with ``Φ(x) = ½(1 + erf(x/√2))``.

    This is PyTorch's default, not its tanh approximation.
    """
    x = _as_float(x)
    return (0.5 * x * (1.0 + erf(x / _SQRT2))).astype(x.dtype)


def gelu_grad(x: ArrayLike) -> np.ndarray:
    """``gelu'(x) = Φ(x) + x φ(x)``, with the standard normal density ``φ``.

    ``φ(x) = e^{-x²/2} / √(2π)``.
    """
    x = _as_float(x)
    cdf = 0.5 * (1.0 + erf(x / _SQRT2))
    pdf = _INV_SQRT_2PI * np.exp(-0.5 * x * x)
    return (cdf + x * pdf).astype(x.dtype)


ACTIVATIONS: dict[str, tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]] = {
    "step": (step, step_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "gelu": (gelu, gelu_grad),
}
"""Name -> (function, derivative), so a chapter can loop over all of them."""

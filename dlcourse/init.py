"""Weight initialisation, with the formulas of ``torch.nn.init``.

A weight of shape ``(fan_out, fan_in)`` (PyTorch's layout: out_features first)
multiplies inputs summed over ``fan_in`` terms. With independent zero-mean weights,
an output ``z = W h`` has ``Var(z) = fan_in * Var(W) * E[h^2]``: what enters is the
second moment ``E[h^2]`` of the input, which equals its variance only when ``h``
has mean 0. To keep the scale of the activations (forward) and of the gradients
(backward) roughly constant from layer to layer, draw the weights with standard
deviation

* Xavier/Glorot (tanh, sigmoid):  ``std = gain * sqrt(2 / (fan_in + fan_out))``
* Kaiming/He (ReLU family):       ``std = gain / sqrt(fan)``, ``fan = fan_in``
  (or ``fan_out``)

A uniform distribution U(-a, a) has std ``a / sqrt(3)``, hence the ``_uniform_``
variants use ``a = sqrt(3) * std``. ``gain`` depends on the non-linearity (see
:func:`calculate_gain`); for ReLU it is ``sqrt(2)``: ReLU zeroes the negative half
of a symmetric input ``z`` and so halves its second moment,
``E[relu(z)^2] = Var(z) / 2``. (It does not halve the variance: for a normal ``z``,
``Var(relu(z)) = (1/2 - 1/(2 pi)) Var(z) ≈ 0.34 Var(z)``.)

All functions fill the array in place (a dlcourse Tensor's ``.data``, or a NumPy
array), return their argument, and take ``rng``: a ``numpy.random.Generator``, an
integer seed, or ``None`` for fresh entropy.

See chapter: Why now: data, compute, algorithms (book/09_why_now.ipynb)
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

import numpy as np

from dlcourse.rng import SeedLike, as_generator

__all__ = [
    "calculate_gain",
    "calculate_fan_in_and_fan_out",
    "uniform_",
    "normal_",
    "zeros_",
    "ones_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
]

T = TypeVar("T")


def _array(tensor: Any) -> np.ndarray:
    """The array to fill: ``tensor.data`` for a Tensor, the array itself otherwise."""
    arr = tensor if isinstance(tensor, np.ndarray) else getattr(tensor, "data", None)
    if not isinstance(arr, np.ndarray):
        raise TypeError(
            f"init: expected a Tensor or NumPy array, got {type(tensor).__name__}"
        )
    return arr


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Recommended gain for a non-linearity (``torch.nn.init.calculate_gain``).

    linear/identity/conv/sigmoid: 1;  tanh: 5/3;  relu: sqrt(2);
    leaky_relu with slope a (default 0.01): sqrt(2 / (1 + a^2));  selu: 3/4.
    """
    if nonlinearity in ("linear", "identity", "sigmoid") or nonlinearity.startswith(
        "conv"
    ):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def calculate_fan_in_and_fan_out(tensor: Any) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight in PyTorch's layout ``(out, in, *kernel)``.

    For a Linear weight (out, in): ``fan_in = in``, ``fan_out = out``. For a
    convolution weight (out, in, kh, kw) both are multiplied by ``kh * kw``.
    """
    shape = _array(tensor).shape
    if len(shape) < 2:
        raise ValueError(
            "fan in and fan out need a tensor with at least 2 dimensions, "
            f"got shape {shape}"
        )
    receptive_field = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive_field, shape[0] * receptive_field


def uniform_(
    tensor: T,
    a: float = 0.0,
    b: float = 1.0,
    rng: SeedLike = None,
) -> T:
    """Fill with U(a, b)."""
    arr = _array(tensor)
    arr[...] = as_generator(rng).uniform(a, b, size=arr.shape)
    return tensor


def normal_(
    tensor: T,
    mean: float = 0.0,
    std: float = 1.0,
    rng: SeedLike = None,
) -> T:
    """Fill with N(mean, std^2)."""
    arr = _array(tensor)
    arr[...] = as_generator(rng).normal(mean, std, size=arr.shape)
    return tensor


def zeros_(tensor: T) -> T:
    """Fill with 0."""
    _array(tensor)[...] = 0.0
    return tensor


def ones_(tensor: T) -> T:
    """Fill with 1."""
    _array(tensor)[...] = 1.0
    return tensor


def xavier_uniform_(tensor: T, gain: float = 1.0, rng: SeedLike = None) -> T:
    """Glorot uniform: U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, rng)


def xavier_normal_(tensor: T, gain: float = 1.0, rng: SeedLike = None) -> T:
    """Glorot normal: N(0, std^2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, rng)


def _kaiming_std(tensor: Any, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(
            f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}"
        )
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: T,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: SeedLike = None,
) -> T:
    """He uniform: U(-bound, bound) with ``bound = gain * sqrt(3 / fan)``.

    ``a`` is the negative slope of the leaky ReLU that follows (torch's default
    ``nonlinearity="leaky_relu"`` with ``a=0`` is exactly ReLU's gain sqrt(2)).
    ``nn.Linear`` uses ``a = sqrt(5)``, which gives ``bound = 1 / sqrt(fan_in)``.
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, rng)


def kaiming_normal_(
    tensor: T,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: SeedLike = None,
) -> T:
    """He normal: N(0, std^2), ``std = gain / sqrt(fan)``: sqrt(2 / fan_in) for ReLU."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), rng)

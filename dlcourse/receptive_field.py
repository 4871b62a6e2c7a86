"""Receptive fields: which input pixels one unit of a convolutional network can see.

A unit of layer :math:`l` reads a :math:`k_l \\times k_l` window of layer :math:`l-1`; each unit
of that layer reads a window of the layer below, and so on down to the image. The square of input
pixels that can change the unit is its **receptive field**. Going up one layer with kernel
:math:`k_l`, dilation :math:`d_l`, stride :math:`s_l` and padding :math:`p_l`, its width
:math:`r`, the distance :math:`j` ("jump") in input pixels between neighbouring units, and the
input coordinate :math:`a` of the first unit's top-left corner follow

.. math::

    r_l = r_{l-1} + \\big(d_l (k_l - 1)\\big)\\, j_{l-1},\\qquad
    j_l = j_{l-1}\\, s_l,\\qquad
    a_l = a_{l-1} - p_l\\, j_{l-1},

starting from the image itself, :math:`r_0 = j_0 = 1`, :math:`a_0 = 0`
(Araujo, Norris & Sim, 2019). Unit :math:`i` of layer :math:`l` then sees input pixels
:math:`a_l + i j_l` to :math:`a_l + i j_l + r_l - 1` along each axis (before clipping at the
border: padding zeros are not pixels). :func:`receptive_field` applies the recurrence to the
layers of a PyTorch model; :func:`gradient_region` measures the same thing with a backward pass,
so the two can be held against each other.

See chapter: Convolutional networks (book/11_cnn.ipynb)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["LayerField", "GradientRegion", "receptive_field", "gradient_region"]

# Layers that act on each position separately: the receptive field passes through unchanged.
_POINTWISE = (
    nn.ReLU,
    nn.LeakyReLU,
    nn.GELU,
    nn.Tanh,
    nn.Sigmoid,
    nn.ELU,
    nn.SiLU,
    nn.Identity,
    nn.Dropout,
    nn.Dropout2d,
    nn.BatchNorm2d,
)


@dataclass(frozen=True)
class LayerField:
    """The receptive field of the units of one layer's output, in input pixels.

    ``size``: width (= height) of one unit's field; ``jump``: input pixels between
    neighbouring units; ``start``: input coordinate of the top-left corner of unit (0, 0)'s
    field (negative where it reaches into the padding).
    """

    name: str
    size: int
    jump: int
    start: int

    def span(self, i: int) -> tuple[int, int]:
        """First and last input coordinate seen by unit ``i`` along one axis (unclipped)."""
        first = self.start + i * self.jump
        return first, first + self.size - 1


def _square(value: Any, what: str, layer: nn.Module) -> int:
    """One int from an int or a pair of equal ints; a clear error otherwise."""
    if isinstance(value, tuple):
        if len(set(value)) != 1:
            raise ValueError(
                f"receptive_field: {type(layer).__name__} has a non-square {what} {value}; "
                "only square kernels, strides, paddings and dilations are supported"
            )
        value = value[0]
    return int(value)


def _geometry(layer: nn.Module) -> tuple[int, int, int, int] | None:
    """(kernel, stride, padding, dilation) of a layer; None for a pointwise one."""
    if isinstance(layer, _POINTWISE):
        return None
    if isinstance(layer, nn.Conv2d):
        k = _square(layer.kernel_size, "kernel_size", layer)
        d = _square(layer.dilation, "dilation", layer)
        if isinstance(layer.padding, str):  # "same" (stride 1) or "valid"
            p = d * (k - 1) // 2 if layer.padding == "same" else 0
        else:
            p = _square(layer.padding, "padding", layer)
        return k, _square(layer.stride, "stride", layer), p, d
    if isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
        k = _square(layer.kernel_size, "kernel_size", layer)
        s = _square(layer.stride if layer.stride else k, "stride", layer)
        d = _square(getattr(layer, "dilation", 1), "dilation", layer)
        return k, s, _square(layer.padding, "padding", layer), d
    raise ValueError(
        f"receptive_field: cannot follow a {type(layer).__name__} layer; supported are "
        "Conv2d, MaxPool2d, AvgPool2d and pointwise layers (activations, dropout, "
        "BatchNorm2d). A Flatten or Linear layer sees the whole input: pass only the "
        "convolutional part (e.g. model[: model.n_feature_layers])"
    )


def receptive_field(layers: Iterable[nn.Module]) -> list[LayerField]:
    """The receptive field after each layer of ``layers`` (e.g. an ``nn.Sequential``).

    Returns one :class:`LayerField` per layer, in order, computed with the recurrence in this
    module's docstring. Raises ``ValueError`` for a layer it cannot follow (Flatten, Linear,
    non-square geometry) or an empty stack.
    """
    size, jump, start = 1, 1, 0
    fields = []
    for i, layer in enumerate(layers):
        geometry = _geometry(layer)
        if geometry is not None:
            k, s, p, d = geometry
            if min(k, s, d) < 1 or p < 0:
                raise ValueError(
                    f"receptive_field: layer {i} ({type(layer).__name__}) has kernel {k}, "
                    f"stride {s}, dilation {d} (need >= 1) and padding {p} (need >= 0)"
                )
            size, start, jump = size + d * (k - 1) * jump, start - p * jump, jump * s
        fields.append(LayerField(f"{i}: {type(layer).__name__}", size, jump, start))
    if not fields:
        raise ValueError("receptive_field: got no layers")
    return fields


@dataclass(frozen=True)
class GradientRegion:
    """Where the gradient of one output unit with respect to the input is non-zero.

    ``magnitude`` is the mean absolute gradient per input pixel, shape (H, W); ``rows`` and
    ``cols`` are the first and last row and column where it is non-zero (inclusive).
    """

    magnitude: np.ndarray
    rows: tuple[int, int]
    cols: tuple[int, int]


def gradient_region(
    model: nn.Module, inputs: Any, unit: tuple[int, int, int]
) -> GradientRegion:
    """Measure the receptive field of output ``unit`` = (channel, row, col) of ``model``.

    One backward pass from that unit of every image in ``inputs`` (N, C, H, W). An input pixel
    is in the measured region when its gradient is non-zero for at least one image: use
    several (random) images, because a ReLU that is off or a max-pooling window's losers pass
    no gradient for a given image. The model is run in eval mode; its weights do not change.
    """
    param = next(model.parameters(), None)
    dtype = param.dtype if param is not None else torch.float64
    dev = param.device if param is not None else torch.device("cpu")
    x = torch.as_tensor(np.asarray(inputs)).to(device=dev, dtype=dtype)
    if x.ndim != 4:
        raise ValueError(
            f"gradient_region: inputs must be (N, C, H, W), got shape {tuple(x.shape)}"
        )
    x.requires_grad_(True)
    was_training = model.training
    model.eval()
    try:
        out = model(x)
    finally:
        model.train(was_training)
    c, i, j = unit
    if out.ndim != 4 or not (
        0 <= c < out.shape[1] and 0 <= i < out.shape[2] and 0 <= j < out.shape[3]
    ):
        raise ValueError(
            f"gradient_region: unit {unit} is not inside the output of shape "
            f"{tuple(out.shape)} (N, C, H, W)"
        )
    out[:, c, i, j].sum().backward()
    assert x.grad is not None
    magnitude = x.grad.abs().mean(dim=(0, 1)).detach().cpu().numpy()
    rows, cols = np.nonzero(magnitude)
    if rows.size == 0:
        raise ValueError(
            "gradient_region: the gradient is zero everywhere (dead unit?); "
            "try other or more inputs"
        )
    return GradientRegion(
        magnitude,
        (int(rows.min()), int(rows.max())),
        (int(cols.min()), int(cols.max())),
    )

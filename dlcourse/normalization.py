"""Normalisation layers (PyTorch's ``torch.nn.modules.normalization``).

Layer normalisation (Ba et al. 2016) rescales each sample's features to zero mean
and unit variance, over the last ``len(normalized_shape)`` axes, then applies a
learned per-feature scale and shift:

.. math::

    y = \\frac{x - \\mathrm{E}[x]}{\\sqrt{\\mathrm{Var}[x] + \\epsilon}} \\odot w + b

with the *biased* variance (divide by n). Unlike batch normalisation it does not
depend on the other samples of the batch, so it behaves the same in training and
inference, and suits sequences of any length (every Transformer uses it).

See chapter: Attention and Transformers (book/13_attention.ipynb)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlcourse.autograd import Tensor, as_tensor
from dlcourse.interop import to_numpy, twin_of
from dlcourse.nn import Module

__all__ = ["LayerNorm"]


@twin_of("LayerNorm")
class LayerNorm(Module):
    """Layer normalisation (Ba et al. 2016; ``torch.nn.LayerNorm``).

    Over the last ``len(normalized_shape)`` axes:
    ``y = (x - mean) / sqrt(var + eps) * weight + bias``, with the *biased*
    variance (divide by n), ``weight`` initialised to 1 and ``bias`` to 0.
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        dtype: Any = np.float64,
    ) -> None:
        shape = (
            (normalized_shape,)
            if isinstance(normalized_shape, (int, np.integer))
            else normalized_shape
        )
        self.normalized_shape = tuple(int(s) for s in shape)
        self.eps = float(eps)
        self.weight: Tensor | None = None
        self.bias: Tensor | None = None
        if elementwise_affine:
            self.weight = Tensor(
                np.ones(self.normalized_shape, dtype=dtype), requires_grad=True
            )
            self.bias = Tensor(
                np.zeros(self.normalized_shape, dtype=dtype), requires_grad=True
            )

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        k = len(self.normalized_shape)
        if x.shape[x.ndim - k :] != self.normalized_shape or x.ndim < k:
            raise ValueError(
                f"LayerNorm: input of shape {x.shape} does not end with "
                f"normalized_shape {self.normalized_shape}"
            )
        axes = tuple(range(x.ndim - k, x.ndim))
        centred = x - x.mean(axis=axes, keepdims=True)
        var = (centred * centred).mean(axis=axes, keepdims=True)
        y = centred / (var + self.eps) ** 0.5
        if self.weight is not None:
            y = y * self.weight
        return y + self.bias if self.bias is not None else y

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}"

    @classmethod
    def from_torch(cls, layer: Any) -> LayerNorm:
        """Copy a ``torch.nn.LayerNorm`` (float64)."""
        affine = layer.weight is not None
        new = cls(tuple(layer.normalized_shape), layer.eps, elementwise_affine=affine)
        if new.weight is not None:
            new.weight.data[...] = to_numpy(layer.weight, np.float64)
        if new.bias is not None and layer.bias is not None:
            new.bias.data[...] = to_numpy(layer.bias, np.float64)
        else:
            new.bias = None
        return new

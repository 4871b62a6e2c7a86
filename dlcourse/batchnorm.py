"""Batch normalisation (Ioffe & Szegedy 2015; PyTorch's ``torch.nn.BatchNorm1d/2d``).

Each channel ``c`` is normalised with the mean and variance of its values over the
batch (and over the positions, for sequences and images), then rescaled and shifted
by learned parameters. With the ``m`` values ``x_i`` of one channel in a batch:

.. math::

    \\mu = \\frac{1}{m}\\sum_i x_i,\\qquad
    \\sigma^2 = \\frac{1}{m}\\sum_i (x_i - \\mu)^2,\\qquad
    \\hat x_i = \\frac{x_i - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}},\\qquad
    y_i = \\gamma\\, \\hat x_i + \\beta

(``gamma`` is ``weight``, ``beta`` is ``bias``; the *biased* variance). Training mode
uses the batch statistics and updates running estimates of them,

.. math::

    \\hat\\mu \\leftarrow (1-\\alpha)\\,\\hat\\mu + \\alpha\\,\\mu,\\qquad
    \\hat\\sigma^2 \\leftarrow (1-\\alpha)\\,\\hat\\sigma^2
        + \\alpha\\,\\frac{m}{m-1}\\,\\sigma^2

with ``alpha = momentum`` (PyTorch's convention: the weight of the *new* value), or
``alpha = 1/t`` at the t-th batch when ``momentum=None`` (the plain average of all
batches); the running variance is the *unbiased* one. Evaluation mode normalises with
the running estimates, so a prediction no longer depends on the rest of the batch.

The gradient, written by hand as one node: with ``g_i = dL/dy_i`` and
``h_i = gamma * g_i``, in training mode (mu and sigma depend on every x_i)

.. math::

    \\frac{\\partial L}{\\partial x_i} = \\frac{1}{m\\sqrt{\\sigma^2+\\epsilon}}
        \\Big(m\\, h_i - \\sum_j h_j - \\hat x_i \\sum_j h_j \\hat x_j\\Big),\\qquad
    \\frac{\\partial L}{\\partial \\gamma} = \\sum_i g_i \\hat x_i,\\qquad
    \\frac{\\partial L}{\\partial \\beta} = \\sum_i g_i

and in evaluation mode (constant statistics) simply
``dL/dx_i = h_i / sqrt(running_var + eps)``.

See chapter: Making deep networks trainable (book/10_trainable.ipynb)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlcourse.autograd import Tensor, accumulate, as_tensor, make_node
from dlcourse.interop import to_numpy, twin_of
from dlcourse.module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d"]


def _normalise(
    x: Tensor,
    mean: np.ndarray,
    var: np.ndarray,
    weight: Tensor | None,
    bias: Tensor | None,
    eps: float,
    batch_statistics: bool,
) -> Tensor:
    """``(x - mean) / sqrt(var + eps) * weight + bias`` per channel (axis 1), one node.

    ``mean`` and ``var`` have shape (C,). ``batch_statistics`` says that they were
    computed from ``x`` itself, so that the gradient flows through them too.
    """
    # Shape (1, C, 1, ...) so that per-channel values broadcast against x.
    channel_shape = (1, -1) + (1,) * (x.ndim - 2)
    reduce_axes = (0, *range(2, x.ndim))
    inv_std = (1.0 / np.sqrt(var + eps)).reshape(channel_shape)
    x_hat = (x.data - mean.reshape(channel_shape)) * inv_std
    gamma = weight.data.reshape(channel_shape) if weight is not None else 1.0
    out = x_hat * gamma
    if bias is not None:
        out = out + bias.data.reshape(channel_shape)

    def backward(g: np.ndarray) -> None:
        if weight is not None and weight.requires_grad:
            accumulate(weight, (g * x_hat).sum(axis=reduce_axes))
        if bias is not None and bias.requires_grad:
            accumulate(bias, g.sum(axis=reduce_axes))
        if not x.requires_grad:
            return
        h = g * gamma
        if not batch_statistics:
            accumulate(x, h * inv_std)
            return
        m = x.data.size // x.shape[1]
        sum_h = h.sum(axis=reduce_axes, keepdims=True)
        sum_h_xhat = (h * x_hat).sum(axis=reduce_axes, keepdims=True)
        accumulate(x, inv_std / m * (m * h - sum_h - x_hat * sum_h_xhat))

    parents = tuple(t for t in (x, weight, bias) if t is not None)
    return make_node(
        out.astype(x.data.dtype, copy=False), parents, "batch_norm", backward
    )


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the input dims."""

    input_dims: tuple[int, ...] = ()
    input_layout = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: Any = np.float64,
    ) -> None:
        if int(num_features) != num_features or num_features < 1:
            raise ValueError(
                f"{type(self).__name__}: num_features must be a positive int, "
                f"got {num_features!r}"
            )
        self.num_features = int(num_features)
        self.eps = float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        self.weight: Tensor | None = None
        self.bias: Tensor | None = None
        if self.affine:
            self.weight = Tensor(np.ones(num_features, dtype=dtype), requires_grad=True)
            self.bias = Tensor(np.zeros(num_features, dtype=dtype), requires_grad=True)
        # Buffers: state that is saved with the model but not trained by the optimiser.
        self.running_mean: np.ndarray | None = None
        self.running_var: np.ndarray | None = None
        self.num_batches_tracked: int | None = None
        if self.track_running_stats:
            self.running_mean = np.zeros(num_features, dtype=dtype)
            self.running_var = np.ones(num_features, dtype=dtype)
            self.num_batches_tracked = 0

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batch seen (``torch`` too)."""
        if self.running_mean is not None and self.running_var is not None:
            self.running_mean[...] = 0.0
            self.running_var[...] = 1.0
            self.num_batches_tracked = 0

    def _check_input(self, x: Tensor) -> None:
        name = type(self).__name__
        if x.ndim not in self.input_dims:
            dims = " or ".join(f"{d}-D" for d in self.input_dims)
            raise ValueError(
                f"{name}: expected a {dims} input {self.input_layout}, got shape {x.shape}"
            )
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{name}: input of shape {x.shape} has {x.shape[1]} channels on axis 1, "
                f"but the layer was built with num_features={self.num_features}"
            )

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        self._check_input(x)
        use_batch_stats = self.training or self.running_mean is None
        if not use_batch_stats:
            assert self.running_mean is not None and self.running_var is not None
            return _normalise(
                x,
                self.running_mean,
                self.running_var,
                self.weight,
                self.bias,
                self.eps,
                batch_statistics=False,
            )
        reduce_axes = (0, *range(2, x.ndim))
        m = x.data.size // self.num_features
        if m <= 1:
            raise ValueError(
                f"{type(self).__name__}: expected more than 1 value per channel when "
                f"training, got input of shape {x.shape}"
            )
        mean = x.data.mean(axis=reduce_axes)
        var = x.data.var(axis=reduce_axes)  # biased: divide by m
        if self.training and self.running_mean is not None:
            self._update_running_stats(mean, var * (m / (m - 1)))
        return _normalise(
            x, mean, var, self.weight, self.bias, self.eps, batch_statistics=True
        )

    def _update_running_stats(self, mean: np.ndarray, unbiased_var: np.ndarray) -> None:
        assert self.running_mean is not None and self.running_var is not None
        assert self.num_batches_tracked is not None
        self.num_batches_tracked += 1
        factor = (
            1.0 / self.num_batches_tracked if self.momentum is None else self.momentum
        )
        # In place: whoever holds these arrays (a snapshot, a plot) sees the update.
        self.running_mean *= 1.0 - factor
        self.running_mean += factor * mean
        self.running_var *= 1.0 - factor
        self.running_var += factor * unbiased_var

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )

    @classmethod
    def from_torch(cls, layer: Any) -> _BatchNorm:
        """Copy a ``torch.nn.BatchNorm1d/2d`` (float64): parameters, running statistics,
        ``num_batches_tracked``, ``eps``, ``momentum`` and the train/eval mode."""
        new = cls(
            layer.num_features,
            eps=layer.eps,
            momentum=layer.momentum,
            affine=layer.affine,
            track_running_stats=layer.track_running_stats,
        )
        if new.weight is not None and new.bias is not None:
            new.weight.data[...] = to_numpy(layer.weight, np.float64)
            new.bias.data[...] = to_numpy(layer.bias, np.float64)
        if layer.running_mean is not None:
            new.running_mean = to_numpy(layer.running_mean, np.float64).copy()
            new.running_var = to_numpy(layer.running_var, np.float64).copy()
            new.num_batches_tracked = int(layer.num_batches_tracked)
        new.train(layer.training)
        return new


@twin_of("BatchNorm1d")
class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) features or (N, C, L) sequences
    (``torch.nn.BatchNorm1d``): statistics per channel C over N (and L)."""

    input_dims = (2, 3)
    input_layout = "(N, C) or (N, C, L)"


@twin_of("BatchNorm2d")
class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) images (``torch.nn.BatchNorm2d``):
    statistics per channel C over N, H and W."""

    input_dims = (4,)
    input_layout = "(N, C, H, W)"

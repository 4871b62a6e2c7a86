"""Convolution and max-pooling from scratch, each one fused autograd node.

A 2-D convolution (strictly: cross-correlation, as in every DL library) of an
input ``x`` of shape ``(N, C, H, W)`` with a weight ``w`` of shape
``(O, C, kh, kw)`` (PyTorch's layout), stride ``s`` and zero padding ``p`` is

.. math::

    y_{n,o,h,w} = b_o + \\sum_{c=0}^{C-1} \\sum_{i=0}^{kh-1} \\sum_{j=0}^{kw-1}
                  w_{o,c,i,j}\\; x^{pad}_{n,c,\\,s h + i,\\,s w + j}

with output size ``H_out = (H + 2p - kh) // s + 1`` (same for W).

**im2col.** Every output pixel ``(n, h, w)`` sees one window of ``C * kh * kw``
input numbers. Lay each window out as a row of a matrix ``cols`` of shape
``(N * H_out * W_out, C * kh * kw)``; then the whole convolution is a single
matrix product ``cols @ W.reshape(O, -1).T`` — the fast BLAS routine that
Linear layers use. We fill ``cols`` (stored transposed) with one strided copy
per kernel offset ``(i, j)``: row ``(c, i, j)`` holds ``x^{pad}[:, c, i::s, j::s]``.

**Backward.** With ``g = dL/dy`` laid out as a matrix ``G`` of shape
``(N * H_out * W_out, O)``, the matrix product's rules give

* ``dL/dW = Gᵀ @ cols`` and ``dL/db = Σ_{n,h,w} g``;
* ``dL/dcols = G @ W`` — the gradient of every window element. Each input pixel
  sits in several windows, so its gradient is the *sum* over the windows that
  contain it (**col2im**). We do this with one strided slice-add per kernel
  offset ``(i, j)``: window element ``(i, j)`` of output ``(h, w)`` is input
  pixel ``(s h + i, s w + j)``, so ``kh * kw`` vectorised adds do it all.

Max-pooling takes the maximum of each ``k × k`` window; its gradient goes to
the position of the maximum (the first one on ties, like PyTorch), again
routed back with one strided add per kernel offset.

See chapter: Convolutional networks (book/11_cnn.ipynb)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlcourse import init
from dlcourse.autograd import Tensor, accumulate, as_tensor, make_node
from dlcourse.interop import to_numpy, twin_of
from dlcourse.nn import Module
from dlcourse.rng import as_generator

__all__ = ["conv2d", "max_pool2d", "Conv2d", "MaxPool2d", "Flatten"]

IntPair = int | tuple[int, int]


def _pair(value: IntPair, name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or any(int(v) != v for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def _out_size(size: int, k: int, s: int) -> int:
    return (size - k) // s + 1


def _offset_slice(
    i: int, j: int, ho: int, wo: int, sh: int, sw: int
) -> tuple[slice, ...]:
    """The input pixels that kernel offset (i, j) touches, one per output pixel."""
    return (
        slice(None),
        slice(None),
        slice(i, i + sh * (ho - 1) + 1, sh),
        slice(j, j + sw * (wo - 1) + 1, sw),
    )


def conv2d(
    x: Any,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
) -> Tensor:
    """2-D convolution (``torch.nn.functional.conv2d`` without dilation/groups).

    Args:
        x: input (N, C, H, W), Tensor or array.
        weight: (O, C, kh, kw).
        bias: (O,) or None.
        stride, padding: int or (height, width) pair; padding adds zeros.

    Returns:
        Tensor (N, O, H_out, W_out), ``H_out = (H + 2 p_h - kh) // s_h + 1``.
    """
    x, weight = as_tensor(x), as_tensor(weight)
    bias = None if bias is None else as_tensor(bias)
    sh, sw = _pair(stride, "conv2d: stride")
    ph, pw = _pair(padding, "conv2d: padding")
    if sh < 1 or sw < 1 or ph < 0 or pw < 0:
        raise ValueError(
            f"conv2d: stride must be >= 1 and padding >= 0, got stride {(sh, sw)}, "
            f"padding {(ph, pw)}"
        )
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(
            f"conv2d: input {x.shape} must be (N, C, H, W) and weight {weight.shape} "
            "must be (out_channels, in_channels, kh, kw)"
        )
    n, c, h, w = x.shape
    o, cw, kh, kw = weight.shape
    if c != cw:
        raise ValueError(
            f"conv2d: input of shape {x.shape} has {c} channels but weight of shape "
            f"{weight.shape} expects {cw}"
        )
    if bias is not None and bias.shape != (o,):
        raise ValueError(
            f"conv2d: bias of shape {bias.shape} does not match weight of shape "
            f"{weight.shape}: expected ({o},)"
        )
    hp, wp = h + 2 * ph, w + 2 * pw
    if kh > hp or kw > wp:
        raise ValueError(
            f"conv2d: kernel of weight shape {weight.shape} is larger than the padded "
            f"input: input {x.shape} with padding {(ph, pw)} is {hp}x{wp}"
        )

    # Channel-major padded copy (C, N, H_p, W_p): the rows of `cols` are then plain
    # strided slices of it, and so are the col2im adds below (no transposed access).
    xp = np.zeros((c, n, hp, wp), dtype=x.data.dtype)
    xp[:, :, ph : ph + h, pw : pw + w] = x.data.transpose(1, 0, 2, 3)
    ho, wo = _out_size(hp, kh, sh), _out_size(wp, kw, sw)
    # im2col, stored transposed: cols[(c, i, j), (n, h, w)] = xp[c, n, s*h + i, s*w + j].
    # One strided copy per kernel offset (i, j) moves whole (C, N, H_out, W_out) blocks,
    # which is much faster than copying tiny kh*kw windows one by one.
    cols = np.empty((c, kh, kw, n, ho, wo), dtype=xp.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = xp[_offset_slice(i, j, ho, wo, sh, sw)]
    cols = cols.reshape(c * kh * kw, n * ho * wo)
    w2 = weight.data.reshape(o, c * kh * kw)
    y = w2 @ cols  # (O, N*H_out*W_out): the whole convolution as one matrix product
    if bias is not None:
        y += bias.data[:, None]
    # (N, O, H_out, W_out) as a view: no copy, and the backward's reshape of g back to
    # (O, N*H_out*W_out) is then free too when g keeps this memory layout.
    data = y.reshape(o, n, ho, wo).transpose(1, 0, 2, 3)

    def backward(g: np.ndarray) -> None:
        g2 = g.transpose(1, 0, 2, 3).reshape(o, n * ho * wo)  # G, columns like cols
        if weight.requires_grad:
            # dW = G colsᵀ, computed as (cols Gᵀ)ᵀ: BLAS is faster with the long
            # axis inside.
            accumulate(weight, (cols @ g2.T).T.reshape(weight.shape))
        if bias is not None and bias.requires_grad:
            accumulate(bias, g2.sum(axis=1))
        if x.requires_grad:
            dcols = (w2.T @ g2).reshape(c, kh, kw, n, ho, wo)
            gxp = np.zeros((c, n, hp, wp), dtype=x.data.dtype)
            # col2im: each kernel offset adds into the pixels it read
            for i in range(kh):
                for j in range(kw):
                    gxp[_offset_slice(i, j, ho, wo, sh, sw)] += dcols[:, i, j]
            accumulate(x, gxp[:, :, ph : ph + h, pw : pw + w].transpose(1, 0, 2, 3))

    parents = (x, weight) if bias is None else (x, weight, bias)
    return make_node(data, parents, "conv2d", backward)


def max_pool2d(
    x: Any, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0
) -> Tensor:
    """Max-pooling (``torch.nn.functional.max_pool2d``): y = max over each window.

    ``stride`` defaults to ``kernel_size`` (non-overlapping windows). Padding
    adds ``-inf`` (never the maximum), at most half the kernel, as in PyTorch.
    The gradient of each output goes to the first maximum of its window
    (row-major order); NaN counts as the maximum, like PyTorch.
    """
    x = as_tensor(x)
    kh, kw = _pair(kernel_size, "max_pool2d: kernel_size")
    sh, sw = _pair(kernel_size if stride is None else stride, "max_pool2d: stride")
    ph, pw = _pair(padding, "max_pool2d: padding")
    if kh < 1 or kw < 1 or sh < 1 or sw < 1:
        raise ValueError(
            f"max_pool2d: kernel_size {(kh, kw)} and stride {(sh, sw)} must be >= 1"
        )
    if not (0 <= ph <= kh // 2 and 0 <= pw <= kw // 2):
        raise ValueError(
            f"max_pool2d: padding {(ph, pw)} must be between 0 and half the kernel "
            f"size {(kh, kw)}"
        )
    if x.ndim != 4:
        raise ValueError(f"max_pool2d: input of shape {x.shape} must be (N, C, H, W)")
    n, c, h, w = x.shape
    hp, wp = h + 2 * ph, w + 2 * pw
    if kh > hp or kw > wp:
        raise ValueError(
            f"max_pool2d: kernel {(kh, kw)} is larger than the padded input: input "
            f"{x.shape} with padding {(ph, pw)} is {hp}x{wp}"
        )
    xp = x.data
    if ph or pw:
        xp = np.pad(xp, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    ho, wo = _out_size(hp, kh, sh), _out_size(wp, kw, sw)

    # Running maximum over the kh*kw kernel offsets; `arg` remembers which offset won.
    best = xp[_offset_slice(0, 0, ho, wo, sh, sw)].copy()
    arg = np.zeros(best.shape, dtype=np.intp)
    for k in range(1, kh * kw):
        v = xp[_offset_slice(k // kw, k % kw, ho, wo, sh, sw)]
        # strict ">": the first maximum keeps the gradient
        better = (v > best) | np.isnan(v)
        np.copyto(best, v, where=better)
        arg[better] = k

    def backward(g: np.ndarray) -> None:
        gxp = np.zeros((n, c, hp, wp), dtype=x.data.dtype)
        for k in range(kh * kw):
            gxp[_offset_slice(k // kw, k % kw, ho, wo, sh, sw)] += np.where(
                arg == k, g, 0
            )
        accumulate(x, gxp[:, :, ph : ph + h, pw : pw + w])

    return make_node(best, (x,), "max_pool2d", backward)


@twin_of("Conv2d")
class Conv2d(Module):
    """2-D convolution layer (``torch.nn.Conv2d``, no dilation/groups).

    ``weight`` (out_channels, in_channels, kh, kw), ``bias`` (out_channels,).
    PyTorch's default initialisation: with ``fan_in = in_channels * kh * kw``,
    weight and bias are both uniform in ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]``
    (kaiming-uniform with a = sqrt(5)).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        stride: IntPair = 1,
        padding: IntPair = 0,
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _pair(kernel_size, "Conv2d: kernel_size")
        self.stride = _pair(stride, "Conv2d: stride")
        self.padding = _pair(padding, "Conv2d: padding")
        gen = as_generator(rng)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.weight = Tensor(np.empty(shape, dtype=dtype), requires_grad=True)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=gen)
        self.bias: Tensor | None = None
        if bias:
            fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
            bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            self.bias = Tensor(
                np.empty(self.out_channels, dtype=dtype), requires_grad=True
            )
            init.uniform_(self.bias, -bound, bound, rng=gen)

    def forward(self, x: Any) -> Tensor:
        return conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, "
            f"bias={self.bias is not None}"
        )

    @classmethod
    def from_torch(cls, layer: Any) -> Conv2d:
        """A Conv2d with a float64 copy of a ``torch.nn.Conv2d``'s weight and bias."""
        if (
            layer.groups != 1
            or tuple(layer.dilation) != (1, 1)
            or layer.padding_mode != "zeros"
            or isinstance(layer.padding, str)
        ):
            raise ValueError(
                "Conv2d.from_torch: only groups=1, dilation=1 and numeric zero padding "
                f"are supported, got {layer}"
            )
        new = cls(
            layer.in_channels,
            layer.out_channels,
            layer.kernel_size,
            layer.stride,
            layer.padding,
            bias=layer.bias is not None,
            rng=0,
        )
        new.weight.data[...] = to_numpy(layer.weight, np.float64)
        if new.bias is not None:
            new.bias.data[...] = to_numpy(layer.bias, np.float64)
        return new


@twin_of("MaxPool2d")
class MaxPool2d(Module):
    """Max-pooling layer (``torch.nn.MaxPool2d``); see :func:`max_pool2d`."""

    def __init__(
        self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0
    ) -> None:
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x: Any) -> Tensor:
        return max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}"
        )

    @classmethod
    def from_torch(cls, layer: Any) -> MaxPool2d:
        if layer.dilation not in (1, (1, 1)) or layer.ceil_mode or layer.return_indices:
            raise ValueError(
                f"MaxPool2d.from_torch: dilation, ceil_mode and return_indices are not "
                f"supported, got {layer}"
            )
        return cls(layer.kernel_size, layer.stride, layer.padding)


@twin_of("Flatten", settings=("start_dim", "end_dim"))
class Flatten(Module):
    """Merge dimensions ``start_dim..end_dim`` into one (``torch.nn.Flatten``).

    The default turns (N, C, H, W) feature maps into (N, C*H*W) rows for a Linear layer.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        start, end = self.start_dim % max(x.ndim, 1), self.end_dim % max(x.ndim, 1)
        if start > end:
            raise ValueError(
                f"Flatten: start_dim {self.start_dim} comes after end_dim "
                f"{self.end_dim} "
                f"for input of shape {x.shape}"
            )
        merged = int(np.prod(x.shape[start : end + 1]))
        return x.reshape(*x.shape[:start], merged, *x.shape[end + 1 :])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

"""Checkers for ``exercises/11_cnn.ipynb``: output sizes, parameter counts, convolution
and max-pooling from scratch.

Every expected answer comes from ``dlcourse.conv`` (``conv2d``, ``max_pool2d``, ``Conv2d``),
itself tested equal to PyTorch. The hidden tests and the reference solutions are not here:
they stay with the instructor (``dlcourse_instructor.answers.ch11``).

See chapter: Convolutional networks (book/11_cnn.ipynb)
"""

from __future__ import annotations

import numpy as np

from .checks import call
from .question import Question

__all__ = [
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "reference_out_size",
    "reference_params",
    "reference_conv_single",
    "reference_pool",
    "reference_conv",
]


# ----------------------------------------------------------------- q1: output size
def reference_out_size(n: int, k: int, padding: int = 0, stride: int = 1) -> int:
    from dlcourse.autograd import Tensor
    from dlcourse.conv import conv2d

    return int(
        conv2d(
            np.zeros((1, 1, n, n)),
            Tensor(np.zeros((1, 1, k, k))),
            stride=stride,
            padding=padding,
        ).shape[-1]
    )


_SIZE_CASES = [
    ((8, 3), {}),
    ((8, 3), {"padding": 1}),
    ((28, 5), {}),
    ((7, 3), {"padding": 1, "stride": 2}),
    ((224, 7), {"padding": 3, "stride": 2}),
    ((5, 2), {"stride": 2}),
]
q1 = Question(
    "q1",
    "conv_output_size",
    tests=[
        call(a, reference_out_size(*a, **kw), kwargs=kw, name="conv_output_size")
        for a, kw in _SIZE_CASES
    ],
    hint="Padding adds p pixels on BOTH sides, so the padded size is n + 2p. The kernel fits in "
    "n + 2p − k + 1 positions at stride 1; with stride s only every s-th of them is used. "
    "Use integer division `//` so the answer is an int.",
)


# ----------------------------------------------------------------- q2: parameter count
def reference_params(in_channels: int, out_channels: int, kernel_size: int) -> int:
    from dlcourse.conv import Conv2d

    return int(
        sum(
            p.data.size
            for p in Conv2d(in_channels, out_channels, kernel_size, rng=0).parameters()
        )
    )


q2 = Question(
    "q2",
    "conv_params",
    tests=[
        call(a, reference_params(*a), name="conv_params")
        for a in [(1, 6, 5), (6, 16, 5), (3, 64, 3)]
    ],
    hint="Each of the out_channels kernels has one weight per input channel and kernel position "
    "(in_channels · k · k) plus one bias. The image size does not enter.",
)


# ----------------------------------------------------------------- q3: one-channel convolution
def reference_conv_single(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    from dlcourse.autograd import Tensor
    from dlcourse.conv import conv2d

    return conv2d(
        np.asarray(image, dtype=float)[None, None],
        Tensor(np.asarray(kernel, dtype=float)[None, None]),
    ).data[0, 0]


_rng = np.random.default_rng(10)
_IMG = np.arange(25.0).reshape(5, 5) % 7
_K = np.array(
    [[1.0, 0.0, -1.0], [2.0, 0.5, -2.0], [1.0, 0.0, -3.0]]
)  # asymmetric: catches flipping
q3 = Question(
    "q3",
    "conv2d_single",
    points=2,
    tests=[
        call((_IMG, _K), reference_conv_single, name="conv2d_single"),
        call(
            (_rng.normal(size=(6, 4)), _rng.normal(size=(2, 3))),
            reference_conv_single,
            name="conv2d_single",
        ),
        call((_IMG[:3, :3], _K), reference_conv_single, name="conv2d_single"),
    ],
    hint="The output has shape (H − kh + 1, W − kw + 1). Output pixel (i, j) is "
    "np.sum(image[i:i + kh, j:j + kw] * kernel): the kernel is NOT flipped (deep learning's "
    "'convolution' is a cross-correlation). Two loops over i and j are fine.",
)


# ----------------------------------------------------------------- q4: max pooling
def reference_pool(x: np.ndarray, k: int) -> np.ndarray:
    from dlcourse.conv import max_pool2d

    return max_pool2d(np.asarray(x, dtype=float)[None, None], k).data[0, 0]


_BOOK = np.array([[1.0, 3, 2, 0], [4, 2, 1, 1], [0, 1, 5, 6], [2, 2, 7, 1]])
q4 = Question(
    "q4",
    "max_pool",
    points=2,
    tests=[
        call((_BOOK, 2), reference_pool, name="max_pool"),
        call((-np.abs(_rng.normal(size=(6, 6))), 2), reference_pool, name="max_pool"),
        call((_rng.normal(size=(7, 5)), 3), reference_pool, name="max_pool"),
    ],
    hint="The output has shape (H // k, W // k): rows or columns left over at the end are dropped. "
    "Output pixel (i, j) is the maximum of x[k*i:k*i + k, k*j:k*j + k]. Start from the window's "
    "values, not from 0 (all inputs may be negative).",
)


# ----------------------------------------------------------------- q5: a full convolution layer
def reference_conv(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray,
    stride: int = 1,
    padding: int = 0,
) -> np.ndarray:
    from dlcourse.autograd import Tensor
    from dlcourse.conv import conv2d

    return conv2d(
        np.asarray(x, dtype=float)[None],
        Tensor(weight),
        Tensor(bias),
        stride=stride,
        padding=padding,
    ).data[0]


_X = _rng.normal(size=(3, 7, 6))
_W = _rng.normal(size=(4, 3, 3, 2))
_B = _rng.normal(size=4)
q5 = Question(
    "q5",
    "conv_layer",
    points=3,
    tests=[
        call((_X, _W, _B), reference_conv, name="conv_layer"),
        call((_X, _W, _B), reference_conv, kwargs={"padding": 1}, name="conv_layer"),
        call((_X, _W, _B), reference_conv, kwargs={"stride": 2}, name="conv_layer"),
        call(
            (_X, _W, _B),
            reference_conv,
            kwargs={"stride": 2, "padding": 2},
            name="conv_layer",
        ),
    ],
    hint="Pad first: np.pad(x, ((0, 0), (padding, padding), (padding, padding))). The output has "
    "shape (O, H_out, W_out) with H_out = (H + 2·padding − kh) // stride + 1. Output (o, i, j) "
    "is bias[o] + np.sum(weight[o] * window), where the window is "
    "xp[:, stride*i:stride*i + kh, stride*j:stride*j + kw] and spans ALL input channels.",
)

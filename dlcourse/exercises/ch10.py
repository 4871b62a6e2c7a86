"""Checkers for ``exercises/10_cnn.ipynb``: output sizes, parameter counts, convolution
and max-pooling from scratch.

Every expected answer comes from ``dlcourse.conv`` (``conv2d``, ``max_pool2d``, ``Conv2d``),
itself tested equal to PyTorch; never from the solutions below.

See chapter: Convolutional networks
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .compare import to_array
from .question import Question, call, holds

__all__ = ["q1", "q2", "q3", "q4", "q5"]


# ----------------------------------------------------------------- q1: output size
def _ref_out_size(n: int, k: int, padding: int = 0, stride: int = 1) -> int:
    from dlcourse.conv import conv2d

    return int(
        conv2d(
            np.zeros((1, 1, n, n)),
            np.zeros((1, 1, k, k)),
            stride=stride,
            padding=padding,
        ).shape[-1]
    )


def _all_sizes(f: Any) -> bool:
    for n in (5, 8, 13):
        for k in (1, 2, 3, 5):
            for p in (0, 1, 2):
                for s in (1, 2, 3):
                    if k <= n + 2 * p:
                        got = to_array(f(n, k, padding=p, stride=s))
                        if (
                            got.dtype.kind not in "iu"
                            or got.shape != ()
                            or int(got) != _ref_out_size(n, k, p, s)
                        ):
                            return False
    return True


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
        call(a, _ref_out_size(*a, **kw), kwargs=kw, name="conv_output_size")
        for a, kw in _SIZE_CASES
    ],
    hidden_tests=[
        holds(
            _all_sizes,
            "conv_output_size is wrong (or not an int) for some combination of "
            "n in 5..13, k in 1..5, padding 0..2, stride 1..3",
        )
    ],
    hint="Padding adds p pixels on BOTH sides, so the padded size is n + 2p. The kernel fits in "
    "n + 2p − k + 1 positions at stride 1; with stride s only every s-th of them is used. "
    "Use integer division `//` so the answer is an int.",
    solution="""
def conv_output_size(n, k, padding=0, stride=1):
    return (n + 2 * padding - k) // stride + 1
""",
)


# ----------------------------------------------------------------- q2: parameter count
def _ref_params(in_channels: int, out_channels: int, kernel_size: int) -> int:
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
        call(a, _ref_params(*a), name="conv_params")
        for a in [(1, 6, 5), (6, 16, 5), (3, 64, 3)]
    ],
    hidden_tests=[
        call(a, _ref_params(*a), name="conv_params")
        for a in [(32, 64, 3), (1, 1, 1), (7, 2, 4)]
    ],
    hint="Each of the out_channels kernels has one weight per input channel and kernel position "
    "(in_channels · k · k) plus one bias. The image size does not enter.",
    solution="""
def conv_params(in_channels, out_channels, kernel_size):
    return out_channels * (in_channels * kernel_size**2 + 1)
""",
)


# ----------------------------------------------------------------- q3: one-channel convolution
def _ref_conv_single(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    from dlcourse.conv import conv2d

    return conv2d(
        np.asarray(image, dtype=float)[None, None],
        np.asarray(kernel, dtype=float)[None, None],
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
        call((_IMG, _K), _ref_conv_single, name="conv2d_single"),
        call(
            (_rng.normal(size=(6, 4)), _rng.normal(size=(2, 3))),
            _ref_conv_single,
            name="conv2d_single",
        ),
        call((_IMG[:3, :3], _K), _ref_conv_single, name="conv2d_single"),
    ],
    hidden_tests=[
        call(
            (_rng.normal(size=(9, 7)), _rng.normal(size=(4, 2))),
            _ref_conv_single,
            name="conv2d_single",
        ),
        call(
            (_rng.normal(size=(4, 6)), np.array([[2.5]])),
            _ref_conv_single,
            name="conv2d_single",
        ),
    ],
    hint="The output has shape (H − kh + 1, W − kw + 1). Output pixel (i, j) is "
    "np.sum(image[i:i + kh, j:j + kw] * kernel): the kernel is NOT flipped (deep learning's "
    "'convolution' is a cross-correlation). Two loops over i and j are fine.",
    solution="""
def conv2d_single(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out
""",
)


# ----------------------------------------------------------------- q4: max pooling
def _ref_pool(x: np.ndarray, k: int) -> np.ndarray:
    from dlcourse.conv import max_pool2d

    return max_pool2d(np.asarray(x, dtype=float)[None, None], k).data[0, 0]


_BOOK = np.array([[1.0, 3, 2, 0], [4, 2, 1, 1], [0, 1, 5, 6], [2, 2, 7, 1]])
q4 = Question(
    "q4",
    "max_pool",
    points=2,
    tests=[
        call((_BOOK, 2), _ref_pool, name="max_pool"),
        call((-np.abs(_rng.normal(size=(6, 6))), 2), _ref_pool, name="max_pool"),
        call((_rng.normal(size=(7, 5)), 3), _ref_pool, name="max_pool"),
    ],
    hidden_tests=[
        call((_rng.normal(size=(3, 4)), 1), _ref_pool, name="max_pool"),
        call((_rng.normal(size=(9, 8)), 4), _ref_pool, name="max_pool"),
    ],
    hint="The output has shape (H // k, W // k): rows or columns left over at the end are dropped. "
    "Output pixel (i, j) is the maximum of x[k*i:k*i + k, k*j:k*j + k]. Start from the window's "
    "values, not from 0 (all inputs may be negative).",
    solution="""
def max_pool(x, k):
    out = np.empty((x.shape[0] // k, x.shape[1] // k))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = x[k * i:k * i + k, k * j:k * j + k].max()
    return out
""",
)


# ----------------------------------------------------------------- q5: a full convolution layer
def _ref_conv(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray,
    stride: int = 1,
    padding: int = 0,
) -> np.ndarray:
    from dlcourse.conv import conv2d

    return conv2d(
        np.asarray(x, dtype=float)[None], weight, bias, stride=stride, padding=padding
    ).data[0]


_X = _rng.normal(size=(3, 7, 6))
_W = _rng.normal(size=(4, 3, 3, 2))
_B = _rng.normal(size=4)
q5 = Question(
    "q5",
    "conv_layer",
    points=3,
    tests=[
        call((_X, _W, _B), _ref_conv, name="conv_layer"),
        call((_X, _W, _B), _ref_conv, kwargs={"padding": 1}, name="conv_layer"),
        call((_X, _W, _B), _ref_conv, kwargs={"stride": 2}, name="conv_layer"),
        call(
            (_X, _W, _B),
            _ref_conv,
            kwargs={"stride": 2, "padding": 2},
            name="conv_layer",
        ),
    ],
    hidden_tests=[
        call(
            (_rng.normal(size=(1, 8, 8)), _rng.normal(size=(2, 1, 5, 5)), np.zeros(2)),
            _ref_conv,
            kwargs={"stride": 3, "padding": 1},
            name="conv_layer",
        ),
        call(
            (
                _rng.normal(size=(5, 4, 9)),
                _rng.normal(size=(1, 5, 1, 3)),
                np.array([-1.5]),
            ),
            _ref_conv,
            kwargs={"stride": 1, "padding": 0},
            name="conv_layer",
        ),
    ],
    hint="Pad first: np.pad(x, ((0, 0), (padding, padding), (padding, padding))). The output has "
    "shape (O, H_out, W_out) with H_out = (H + 2·padding − kh) // stride + 1. Output (o, i, j) "
    "is bias[o] + np.sum(weight[o] * window), where the window is "
    "xp[:, stride*i:stride*i + kh, stride*j:stride*j + kw] and spans ALL input channels.",
    solution="""
def conv_layer(x, weight, bias, stride=1, padding=0):
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    n_out, _, kh, kw = weight.shape
    h_out = (xp.shape[1] - kh) // stride + 1
    w_out = (xp.shape[2] - kw) // stride + 1
    out = np.empty((n_out, h_out, w_out))
    for o in range(n_out):
        for i in range(h_out):
            for j in range(w_out):
                window = xp[:, stride * i:stride * i + kh, stride * j:stride * j + kw]
                out[o, i, j] = bias[o] + np.sum(weight[o] * window)
    return out
""",
)

"""Checkers for ``exercises/11_cnn.ipynb``: dilated output sizes, parameter counts, convolution
and max-pooling from scratch; then a receptive field predicted before it is measured (q6), a
convolution with a bug to find (q7) and settings to choose for a tiny CNN (q8).

Every expected answer comes from ``dlcourse.conv`` (``conv2d``, ``max_pool2d``, ``Conv2d``),
itself tested equal to PyTorch, from PyTorch's ``conv2d`` where ours lacks the option (the
dilation of q1), or from running an experiment with it (the receptive field
measured by backpropagation, the accuracy a training run reaches). The hidden tests and the
reference solutions are not here: they stay with the instructor
(``dlcourse_instructor.answers.ch11``); a choice's right option is not here either.

See chapter: Convolutional networks (book/11_cnn.ipynb)
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .checks import call, value
from .choice import choice
from .question import Question

__all__ = [
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "q6",
    "q7",
    "q8",
    "RF_OPTIONS",
    "RF_STACK",
    "measured_receptive_field",
    "tiny_cnn_accuracy",
    "settings_check",
    "reference_out_size",
    "reference_params",
    "reference_conv_single",
    "reference_pool",
    "reference_conv",
]


# ----------------------------------------------------------------- q1: output size
def reference_out_size(
    n: int, k: int, padding: int = 0, stride: int = 1, dilation: int = 1
) -> int:
    """The output height PyTorch's ``conv2d`` gives (``dlcourse.conv`` has no dilation)."""
    import torch

    return int(
        torch.nn.functional.conv2d(
            torch.zeros(1, 1, n, n),
            torch.zeros(1, 1, k, k),
            stride=stride,
            padding=padding,
            dilation=dilation,
        ).shape[-1]
    )


# Ordinary convolutions (dilation 1) and dilated ones: a span of d·k instead of d·(k − 1) + 1,
# dilation ignored, the dilation applied to the padding, or ceil for floor fails some of them.
_SIZE_CASES = [
    ((8, 3), {}),
    ((7, 3), {"padding": 1, "stride": 2}),
    ((8, 3), {"dilation": 2}),
    ((28, 5), {"padding": 4, "dilation": 2}),
    ((15, 3), {"padding": 2, "stride": 2, "dilation": 3}),
    ((10, 2), {"stride": 2, "dilation": 4}),
]
q1 = Question(
    "q1",
    "conv_output_size",
    tests=[
        call(a, reference_out_size(*a, **kw), kwargs=kw, name="conv_output_size")
        for a, kw in _SIZE_CASES
    ],
    hint="Start from the ordinary rule (dilation 1), which the chapter measures in *Padding and "
    "stride*. Then count how many input pixels a dilated kernel spans from its first tap to its "
    "last: k taps with d − 1 skipped pixels between neighbours. That span takes the place of k "
    "in the ordinary rule. Use integer division `//` so the answer is an int.",
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


# ----------------------------------------------------------------- q6: predict a receptive field
#: The stack of q6, first layer first: ("conv", k) is a k x k convolution (stride 1, no
#: padding), ("pool", k) a k x k max-pooling (stride k).
RF_STACK = (("conv", 3), ("conv", 3), ("conv", 3), ("pool", 2), ("conv", 3))
#: The options of q6: the width (= height) in input pixels of one output pixel's receptive field.
RF_OPTIONS = {"A": 7, "B": 10, "C": 12, "D": 16}


def measured_receptive_field(
    stack: tuple[tuple[str, int], ...] = RF_STACK, trials: int = 8, seed: int = 0
) -> int:
    """The width of the input patch that can move the centre pixel of the stack's output.

    An experiment, not a formula: random weights and inputs, one backward pass from that
    output pixel; an input pixel is in the receptive field when its gradient is non-zero for
    some input. (Several inputs, because max-pooling sends the gradient to one winner only.)
    """
    from dlcourse.autograd import Tensor
    from dlcourse.conv import conv2d, max_pool2d

    rng = np.random.default_rng(seed)
    size = (
        4 * sum(k for _, k in stack) + 8
    )  # room for the whole field around the centre
    reached = np.zeros((size, size), dtype=bool)
    for _ in range(trials):
        x = Tensor(rng.normal(size=(1, 1, size, size)), requires_grad=True)
        z = x
        for kind, k in stack:
            if kind == "conv":
                z = conv2d(z, Tensor(rng.normal(size=(1, 1, k, k))))
            else:
                z = max_pool2d(z, k)
        centre = z.shape[-1] // 2
        z[0, 0, centre, centre].backward()
        assert x.grad is not None
        reached |= x.grad[0, 0] != 0
    columns = np.flatnonzero(reached.any(axis=0))
    return int(columns[-1] - columns[0] + 1)


q6 = Question(
    "q6",
    "receptive_field",
    tests=[choice(sorted(RF_OPTIONS))],
    hint="Follow one output pixel backwards, layer by layer. A 3 x 3 convolution widens the "
    "patch by 2 of ITS input's pixels. Below a 2 x 2 pooling, one step of the layer above is "
    "2 input pixels, so every widening above the pooling counts twice; the pooling itself "
    "widens the patch by one step of its input.",
)


# ----------------------------------------------------------------- q7: find the bug
_X7 = _rng.normal(size=(2, 6, 7))
_W7 = _rng.normal(size=(3, 2, 3, 3))  # asymmetric kernels: the bug shows
_SYMMETRIC = _W7 + np.swapaxes(_W7, 2, 3)  # every kernel equals its transpose: it hides


def reference_conv_channels(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Valid, stride-1 convolution of one image (C, H, W) with (O, C, k, k), no bias."""
    return reference_conv(x, weight, np.zeros(len(weight)))


q7 = Question(
    "q7",
    "conv_channels",
    points=2,
    tests=[
        call((_X7, _W7), reference_conv_channels, name="conv_channels"),
        call(
            (_X7, _SYMMETRIC),
            reference_conv_channels,
            name="conv_channels (symmetric kernels)",
        ),
        call(
            (_X7[:1], _W7[:1, :1, :2, :2]),
            reference_conv_channels,
            name="conv_channels (a 2 x 2 kernel)",
        ),
    ],
    hint="The function agrees with the library for the box blur and the Laplacian and "
    "disagrees for Sobel G_x. What do the first two kernels have that G_x lacks? Then look at "
    "which kernel weight multiplies `patch`: the patch is the input shifted by a rows and b "
    "columns.",
)


# ----------------------------------------------------------------- q8: choose settings
#: The budget of q8: full-batch SGD steps on 300 training digits, and at most this many
#: channels; the target is this validation accuracy.
STEPS, MAX_CHANNELS, TARGET = 40, 8, 0.75


@functools.cache
def _digit_images() -> Any:
    """The digits as 8 x 8 images, loaded once (a check trains several times)."""
    from dlcourse.data import digits

    return digits(seed=0, flatten=False)


def tiny_cnn_accuracy(channels: int, lr: float, seed: int = 0) -> float:
    """Validation accuracy of a tiny CNN after ``STEPS`` steps of plain SGD with ``lr``.

    Conv2d(1, channels, 3) -> ReLU -> MaxPool2d(2) -> Linear(9 channels, 10) on the 8 x 8
    digits, cross-entropy, full batches of 300 training images drawn with ``seed`` (which
    also seeds the initial weights). A run whose loss stops being finite scores 0.
    """
    from dlcourse import nn, optim
    from dlcourse.conv import Conv2d, Flatten, MaxPool2d
    from dlcourse.losses import cross_entropy

    split = _digit_images()
    rows = np.random.default_rng(seed).permutation(len(split.y_train))[:300]
    X, y = split.X_train[rows][:, None], split.y_train[rows]
    net = nn.Sequential(
        Conv2d(1, channels, 3, rng=seed),
        nn.ReLU(),
        MaxPool2d(2),
        Flatten(),
        nn.Linear(channels * 9, 10, rng=seed + 1),
    )
    opt = optim.SGD(net.parameters(), lr=lr)
    with np.errstate(all="ignore"):  # a diverging run overflows on its way to NaN
        for _ in range(STEPS):
            loss = cross_entropy(net(X), y)
            if not np.isfinite(loss.item()):
                return 0.0
            opt.zero_grad()
            loss.backward()
            opt.step()
        predicted = net(split.X_val[:, None]).data.argmax(axis=1)
    return float(np.mean(predicted == split.y_val))


def _settings_problem(settings: Any) -> str:
    """What is wrong with the form of ``settings`` ("" when nothing)."""
    if not isinstance(settings, dict) or set(settings) != {"channels", "lr"}:
        return 'should be a dict with exactly the keys "channels" and "lr"'
    channels, lr = settings["channels"], settings["lr"]
    if type(channels) is not int or not 1 <= channels <= MAX_CHANNELS:
        return f'"channels" should be an int from 1 to {MAX_CHANNELS}, not {channels!r}'
    if type(lr) not in (int, float) or not 0 < lr < 1e3:
        return f'"lr" should be a positive number, not {lr!r}'
    return ""


def settings_check(seed: int) -> Any:
    """``compare`` for q8: train with the settings (and ``seed``); fail below the target."""

    def compare(settings: Any, expected: Any, label: str) -> None:
        problem = _settings_problem(settings)
        if problem:
            raise AssertionError(f"{label} {problem}")
        reached = tiny_cnn_accuracy(settings["channels"], float(settings["lr"]), seed)
        if reached < TARGET:
            raise AssertionError(
                f"{label} = {settings}: {STEPS} steps reach {reached:.1%} validation "
                f"accuracy (seed {seed}); the target is {TARGET:.0%}"
            )

    return compare


q8 = Question(
    "q8",
    "cnn_settings",
    points=2,
    tests=[value(None, compare=settings_check(seed=0))],
    hint=f"Try a few learning rates a factor of 3 apart (0.01, 0.03, 0.1, 0.3, 1, 3) with "
    f"{MAX_CHANNELS} channels: too small and {STEPS} steps barely move the weights, too large "
    "and the loss jumps around or blows up. Then check your choice with seeds 1 to 4: the "
    "grader trains with other seeds, so pick settings that pass for all of them, not a lucky one.",
)

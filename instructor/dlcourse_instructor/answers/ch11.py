"""Hidden tests of ``exercises/11_cnn.ipynb`` (instructors only)."""

from __future__ import annotations

import numpy as np

from dlcourse.exercises.ch11 import (
    RF_OPTIONS,
    measured_receptive_field,
    reference_conv,
    reference_conv_channels,
    reference_conv_single,
    reference_out_size,
    reference_params,
    reference_pool,
    settings_check,
)
from dlcourse.exercises.checks import call, value
from dlcourse.exercises.choice import right_choice

_rng = np.random.default_rng(1010)

# Each call is one round trip to the student's kernel (about 14 ms), so a dozen cases stand
# for the whole grid: every n, k, padding, stride and dilation (1..3), remainders of the
# division by the stride, a dilated kernel exactly as wide as the padded input, and padding
# with stride and dilation together. Each wrong formula tried (a span of d·k, d·(k − 1), the
# dilation ignored or applied to the padding, `/`, ceil, no +1, padding once, ...) fails some.
# The expected size is an int, so a float answer fails too.
_SIZES = [  # (n, k, padding, stride, dilation)
    (5, 5, 0, 3, 1),
    (5, 1, 2, 3, 3),
    (8, 2, 1, 3, 2),
    (8, 3, 2, 2, 3),
    (13, 5, 1, 2, 2),
    (13, 2, 0, 3, 3),
    (8, 5, 2, 3, 1),
    (13, 3, 1, 3, 2),
    (5, 2, 1, 1, 3),
    (13, 5, 0, 1, 3),
    (8, 1, 0, 2, 2),
    (5, 3, 2, 2, 2),
    (9, 3, 0, 1, 4),
]

HIDDEN = {
    "q1": [
        call(
            (n, k),
            reference_out_size(n, k, p, s, d),
            kwargs={"padding": p, "stride": s, "dilation": d},
            name="conv_output_size (an int, right for combinations of n in 5..13, "
            "k in 1..5, padding 0..2, stride 1..3 and dilation 1..4)",
        )
        for n, k, p, s, d in _SIZES
    ],
    "q2": [
        call(a, reference_params(*a), name=f"conv_params ({what})")
        for a, what in [
            ((32, 64, 3), "a wide layer"),
            ((1, 1, 1), "a 1 x 1 kernel on one channel"),
            ((7, 2, 4), "an even kernel size"),
        ]
    ],
    "q3": [
        call(
            (_rng.normal(size=(9, 7)), _rng.normal(size=(4, 2))),
            reference_conv_single,
            name="conv2d_single (a non-square kernel on a larger image)",
        ),
        call(
            (_rng.normal(size=(4, 6)), np.array([[2.5]])),
            reference_conv_single,
            name="conv2d_single (a 1 x 1 kernel)",
        ),
    ],
    "q4": [
        call(
            (_rng.normal(size=(3, 4)), 1),
            reference_pool,
            name="max_pool (k = 1 gives a new array equal to the input)",
        ),
        call(
            (_rng.normal(size=(9, 8)), 4),
            reference_pool,
            name="max_pool (k = 4: the leftover row is dropped)",
        ),
    ],
    "q5": [
        call(
            (_rng.normal(size=(1, 8, 8)), _rng.normal(size=(2, 1, 5, 5)), np.zeros(2)),
            reference_conv,
            kwargs={"stride": 3, "padding": 1},
            name="conv_layer (stride 3 with padding 1, one input channel)",
        ),
        call(
            (
                _rng.normal(size=(5, 4, 9)),
                _rng.normal(size=(1, 5, 1, 3)),
                np.array([-1.5]),
            ),
            reference_conv,
            kwargs={"stride": 1, "padding": 0},
            name="conv_layer (five input channels, one output channel, a 1 x 3 kernel)",
        ),
    ],
    # The right option is the one the notebook's experiment measures (a few ms).
    "q6": [
        right_choice(
            next(k for k, v in RF_OPTIONS.items() if v == measured_receptive_field()),
            "the receptive field of one pixel after three convolutions, a pooling and "
            "a fourth convolution",
        )
    ],
    "q7": [
        call(
            (_rng.normal(size=(3, 9, 8)), _rng.normal(size=(2, 3, 4, 4))),
            reference_conv_channels,
            name="conv_channels (an even, asymmetric 4 x 4 kernel on three channels)",
        ),
        call(
            (_rng.normal(size=(1, 5, 5)), _rng.normal(size=(4, 1, 5, 5))),
            reference_conv_channels,
            name="conv_channels (a kernel as large as the image)",
        ),
        call(
            (_rng.normal(size=(4, 3, 6)), _rng.normal(size=(2, 4, 1, 1))),
            reference_conv_channels,
            name="conv_channels (a 1 x 1 kernel mixing four channels)",
        ),
    ],
    # Other seeds: other training images and other initial weights.
    "q8": [
        value(
            None,
            compare=settings_check(seed=seed),
            message="reaching the target accuracy with other seeds (other "
            "training images and initial weights)",
        )
        for seed in (1, 2)
    ],
}

"""Hidden tests of ``exercises/10_trainable.ipynb`` (instructors only)."""

from __future__ import annotations

import math

import numpy as np

from dlcourse.exercises.ch10 import (
    RUNNING,
    moment_check,
    reference_batchnorm,
    reference_residual,
    reference_running,
    schedule_check,
)
from dlcourse.exercises.checks import Call, call
from dlcourse.exercises.choice import right_choice
from dlcourse.exercises.compare import number

_rng = np.random.default_rng(10_001)


def running_steps(batches: int = 5, momentum: float = 0.2) -> list[Call]:
    """``batches`` checks along one run of training-mode batch norm: check ``k`` starts from
    the running statistics PyTorch has before batch ``k`` and expects what it has after, so an
    answer that passes them all tracks PyTorch's buffers when fed back its own."""
    mean, var = np.zeros(4), np.ones(4)
    checks = []
    for k in range(1, batches + 1):
        x = _rng.normal(loc=k, scale=1.0 + k, size=(6, 4))
        after = reference_running(mean, var, x, momentum)
        checks.append(
            call(
                [mean, var, x],
                after,
                kwargs={"momentum": momentum},
                **dict(
                    RUNNING,
                    name=f"update_running (batch {k} of {batches}, momentum={momentum}: "
                    "the running statistics should follow torch.nn.BatchNorm1d's buffers)",
                ),
            )
        )
        mean, var = after
    return checks


# ``(step, base_lr, warmup, total): lr`` read off torch.optim.lr_scheduler once
# (tests/test_exercises_ch10.py reruns PyTorch on every entry).
HIDDEN_SCHEDULE = {
    (0, 0.5, 1, 10): 0.25,
    (1, 0.5, 1, 10): 0.5,
    (5, 0.5, 1, 10): 0.29341204441673263,
    (10, 0.5, 1, 10): 0.0,
    (0, 3e-3, 100, 1000): 2.9702970297029706e-05,
    (50, 3e-3, 100, 1000): 0.0015148514851485138,
    (99, 3e-3, 100, 1000): 0.0029702970297029673,
    (100, 3e-3, 100, 1000): 0.003,
    (550, 3e-3, 100, 1000): 0.0015000000000000007,
    (999, 3e-3, 100, 1000): 9.138513314410635e-09,
    (1000, 3e-3, 100, 1000): 0.0,
    (9, 1.0, 10, 11): 0.9090909090909088,
    (10, 1.0, 10, 11): 1.0,
    (11, 1.0, 10, 11): 0.0,
}

_X_WIDE = _rng.normal(loc=-3.0, scale=0.5, size=(64, 20))
_G_WIDE, _B_WIDE = _rng.normal(size=20), _rng.normal(size=20)
_X_CONST = np.column_stack([_rng.normal(size=5), np.full(5, 7.0)])
_X_PAIR = _rng.normal(size=(2, 3))

HIDDEN = {
    "q1": [
        call(
            [2.0, 50, 0.2, 0],
            2.0,
            name="relu_second_moment (depth 0: nothing changes)",
            compare=number(),
        ),
        call(
            [1.0, 64, 0.25, 3],
            8.0,
            name="relu_second_moment (a factor of 2 per layer)",
            compare=number(),
        ),
        call(
            [0.7, 512, math.sqrt(2 / 512), 40],
            0.7,
            name="relu_second_moment (He's std keeps E[z²] through 40 layers)",
            compare=number(),
        ),
        call(
            [1.0, 300, 1 / math.sqrt(3 * 300), 10],
            6.0**-10,
            name="relu_second_moment (PyTorch's default nn.Linear init, "
            "std 1/√(3 fan_in): a factor 1/6 per layer)",
            compare=number(),
        ),
        moment_check(0.5, 200, 0.12, 4),
    ],
    "q2": [
        call(
            [_X_PAIR, np.ones(3), np.zeros(3)],
            reference_batchnorm,
            name="batchnorm_train (a batch of two examples)",
        ),
        call(
            [_X_WIDE, _G_WIDE, _B_WIDE],
            reference_batchnorm,
            kwargs={"eps": 1e-3},
            name="batchnorm_train (64 examples, 20 features, the eps given)",
        ),
        call(
            [_X_CONST, np.array([2.0, 3.0]), np.array([0.5, -1.0])],
            reference_batchnorm,
            name="batchnorm_train (a constant feature becomes beta)",
        ),
    ],
    "q3": [
        call(
            [np.zeros(3), np.ones(3), _X_PAIR],
            reference_running,
            kwargs={"momentum": 1.0},
            **dict(
                RUNNING,
                name="update_running (momentum 1: the batch statistics replace the "
                "running ones; the variance unbiased, here of two examples)",
            ),
        ),
        *running_steps(),
    ],
    "q4": [
        call(
            [
                _rng.normal(size=(1, 6)),
                _rng.normal(size=(6, 6)),
                np.zeros(6),
                _rng.normal(size=(6, 6)),
                _rng.normal(size=6),
            ],
            reference_residual,
            name="residual_forward (one example, a square block)",
        ),
        call(
            [
                _rng.normal(size=(32, 16)),
                _rng.normal(size=(64, 16)),
                _rng.normal(size=64),
                _rng.normal(size=(16, 64)),
                _rng.normal(size=16),
            ],
            reference_residual,
            name="residual_forward (32 examples of 16 features, a hidden layer of 64)",
        ),
    ],
    "q5": [
        schedule_check(
            args, lr, note=f"step {args[0]} of warm-up {args[2]} and {args[3]} steps"
        )
        for args, lr in HIDDEN_SCHEDULE.items()
    ],
    "q6": [
        right_choice(
            ["B", "D"], "the runs whose initial loss is far from ln 10, on either side"
        )
    ],
    "q7": [
        right_choice("C", "the cause of the flat loss, read off the layer statistics")
    ],
    "q8": [
        right_choice(
            "C", "how the first layer's gradient changes as plain layers are added"
        )
    ],
}

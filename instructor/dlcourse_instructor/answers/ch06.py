"""Hidden tests of ``exercises/06_gradient_descent.ipynb`` (instructors only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlcourse.exercises.ch06 import (
    PREDICT_LR,
    STEP_BUDGET,
    VALLEY_GRAD,
    minibatch_checks,
    reaches_target,
    reference_gd_step,
    reference_mse_gradient,
    reference_trajectory,
    valley_loss_after,
)
from dlcourse.exercises.checks import call, value
from dlcourse.exercises.choice import right_choice
from dlcourse.exercises.probe import Code

# The same generator and draws as before the hidden tests moved here: the same inputs.
_rng = np.random.default_rng(606)


def reference_limit(H: np.ndarray) -> float:
    """2 / λ_max(H): the answer to q2."""
    return float(2.0 / np.linalg.eigvalsh(np.asarray(H, dtype=float)).max())


def _random_spd(n: int, seed: int = 0) -> np.ndarray:
    A = np.random.default_rng(seed).normal(size=(n, n))
    return A @ A.T + 0.1 * np.eye(n)


_SHARP_H = _random_spd(3, seed=1)


def _limit_is_sharp(limit: Any) -> bool:
    """Gradient descent on ½ θᵀHθ converges just below ``limit`` and diverges just above."""
    try:
        limit = float(np.asarray(limit, dtype=float).reshape(()))
    except (TypeError, ValueError):
        return False
    if not np.isfinite(limit) or limit <= 0:
        return False

    def final(lr: float) -> float:
        theta = np.ones(3)
        for _ in range(3000):
            theta = theta - lr * (_SHARP_H @ theta)
        return float(np.linalg.norm(theta))

    with np.errstate(over="ignore", invalid="ignore"):
        return final(0.97 * limit) < 1e-3 and not final(1.03 * limit) < 1e3


def _fd_mse_gradient(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The gradient of mean((X θ - y)²) by central finite differences."""
    h, out = 1e-6, np.zeros_like(theta)
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = h
        out[i] = (
            np.mean((X @ (theta + e) - y) ** 2) - np.mean((X @ (theta - e) - y) ** 2)
        ) / (2 * h)
    return out


_ROSENBROCK_GRAD = Code(
    "lambda th: __import__('dlcourse.landscapes', fromlist=['rosenbrock'])"
    ".rosenbrock.grad(th)"
)

_q1_theta, _q1_grad = _rng.normal(size=(3, 4)), _rng.normal(size=(3, 4))
_X2 = _rng.normal(size=(40, 3))
_y2 = _rng.normal(size=40)
_t2 = _rng.normal(size=3)


def ten_times_outcome() -> str:
    """q7's answer, from the notebook's own experiment: the valley's loss after
    ``STEP_BUDGET`` steps with ``10 × PREDICT_LR`` — "C" (it diverges) when it ends above
    where it started, "A" (faster) when it ends below the run at ``PREDICT_LR``."""
    start = (-3.5, 1.5)
    initial = valley_loss_after(PREDICT_LR, start, 0)
    slow = valley_loss_after(PREDICT_LR, start, STEP_BUDGET)
    fast = valley_loss_after(10 * PREDICT_LR, start, STEP_BUDGET)
    if not fast < initial:
        return "C"
    return "A" if fast < slow else "D"


#: q6's other starting points: the same budget must work from anywhere in the window.
_Q6_STARTS = [(3.0, -2.0), (-4.0, -1.0)] + [
    (round(float(x), 3), round(float(y), 3))
    for x, y in np.random.default_rng(66).uniform([-4, -2], [4, 2], size=(2, 2))
]

HIDDEN = {
    "q1": [
        call(
            [_q1_theta, _q1_grad, 0.01],
            reference_gd_step,
            name="gd_step (a 2-D parameter array)",
        ),
        call(
            [np.array([2.0, 2.0]), np.array([1.0, -1.0]), 0.0],
            reference_gd_step,
            name="gd_step (lr = 0: a new array equal to theta)",
        ),
    ],
    "q2": [
        call(
            [_random_spd(4)],
            reference_limit,
            name="stable_lr_limit (a non-diagonal H)",
        ),
        call([np.array([[5.0]])], reference_limit, name="stable_lr_limit (1 × 1)"),
        call(
            [_SHARP_H],
            check=_limit_is_sharp,
            message="gradient descent on ½ θᵀHθ should converge for lr just below "
            "your limit and diverge just above it",
        ),
    ],
    "q3": [
        call(
            [_ROSENBROCK_GRAD, np.array([-1.5, 2.0]), 0.001, 200],
            reference_trajectory("rosenbrock"),
            name="gradient_descent (200 steps on the Rosenbrock valley)",
        ),
        call(
            [VALLEY_GRAD, np.array([1.0, 1.0]), 0.05, 0],
            reference_trajectory("valley"),
            name="gradient_descent (steps = 0: just the start)",
        ),
        call(
            [VALLEY_GRAD, np.array([-3.5, 1.5]), 0.095, 40],
            reference_trajectory("valley"),
            name="gradient_descent (lr near the limit)",
        ),
    ],
    "q4": [
        call(
            [_t2, _X2, _y2],
            reference_mse_gradient,
            name="mse_gradient (3 parameters)",
        ),
        call(
            [_t2, _X2, _y2],
            _fd_mse_gradient,
            name="mse_gradient (vs central finite differences)",
            rtol=1e-5,
            atol=1e-7,
        ),
    ],
    "q5": [
        *minibatch_checks(101, 16, 7, notes=True),
        *minibatch_checks(3, 10, 0, notes=True),
        *minibatch_checks(64, 1, 2, notes=True),
    ],
    "q6": [
        value(
            compare=reaches_target(start),
            message="the chosen learning rate from another starting point in the valley",
        )
        for start in _Q6_STARTS
    ],
    "q7": [
        right_choice(
            ten_times_outcome(),
            about="what ten times the learning rate does on the valley",
        )
    ],
}

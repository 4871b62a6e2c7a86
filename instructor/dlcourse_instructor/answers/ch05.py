"""Hidden tests of ``exercises/05_losses.ipynb`` (instructors only)."""

from __future__ import annotations

import numpy as np

from dlcourse.exercises.ch05 import (
    PHOTO_LOGITS,
    pair,
    reference_batch_ce,
    reference_bce,
    reference_ce_with_grad,
    reference_logsumexp,
    reference_mse,
)
from dlcourse.exercises.checks import call, value
from dlcourse.exercises.choice import right_choice

_rng = np.random.default_rng(505)

#: q6's answer: the largest z whose exp is finite in float32, log(float32 max) = 88.7228...
LIMIT32 = float(np.log(np.finfo(np.float32).max))


def _exp32_finite(z: float) -> bool:
    with np.errstate(over="ignore"):
        return bool(np.isfinite(np.exp(np.float32(z))))


_CE = {"compare": pair("loss", "gradient")}

#: q1's answer: logsumexp(z) - z[rabbit], in float64.
_RABBIT_LOSS = float(np.log(np.exp(PHOTO_LOGITS).sum()) - PHOTO_LOGITS[2])

#: q8's inputs, from their own generator (the draws of ``_rng`` stay those of q2–q5).
_rng8 = np.random.default_rng(508)
#: a batch whose rows sit at very different offsets (thousands apart)
_SPREAD = _rng8.normal(scale=2.0, size=(5, 4)) + np.array(
    [[3000.0], [0.0], [-2000.0], [500.0], [-40.0]]
)

HIDDEN = {
    "q1": [
        value(
            check=lambda a: (
                isinstance(a, (float, np.floating))
                and abs(float(a) - _RABBIT_LOSS) < 1e-9
            ),
            message="rabbit_loss should be the loss of the rabbit photo, as a float, "
            "to 9 decimals",
        )
    ],
    "q2": [
        call(
            [_rng.normal(size=50), _rng.normal(size=50)],
            reference_mse,
            name="mse (longer random arrays)",
        ),
        call(
            [_rng.normal(size=(4, 3)), _rng.normal(size=(4, 3))],
            reference_mse,
            name="mse (2-D arrays: the mean over all elements)",
        ),
        call(
            [np.zeros(5), np.zeros(5)],
            reference_mse,
            name="mse (equal arrays: the loss is 0)",
        ),
    ],
    "q3": [
        call(
            [
                _rng.uniform(0.01, 0.99, size=40),
                (_rng.uniform(size=40) > 0.5).astype(float),
            ],
            reference_bce,
            name="binary_cross_entropy (random probabilities and 0/1 targets)",
        ),
        call(
            [np.array([1e-6, 1 - 1e-6]), np.array([1.0, 0.0])],
            reference_bce,
            name="binary_cross_entropy (confident wrong predictions, p near 0 and 1)",
        ),
        call(
            [np.array([0.3, 0.7]), np.array([0.25, 0.5])],
            reference_bce,
            name="binary_cross_entropy (soft targets)",
        ),
    ],
    "q4": [
        call(
            [np.array([-1000.0, -1001.0, -1010.0])],
            reference_logsumexp,
            name="logsumexp (very negative logits)",
        ),
        call([np.array([42.0])], reference_logsumexp, name="logsumexp (one element)"),
        call(
            [_rng.normal(scale=300.0, size=20)],
            reference_logsumexp,
            name="logsumexp (logits in the hundreds, of either sign)",
        ),
        call(
            [np.array([-np.inf, 0.0, 1.0])],
            reference_logsumexp,
            name="logsumexp (a -inf logit, i.e. a zero probability)",
        ),
    ],
    "q5": [
        call(
            [_rng.normal(scale=3.0, size=10), 7],
            reference_ce_with_grad,
            name="cross_entropy_with_grad (ten classes)",
            **_CE,
        ),
        call(
            [np.array([1000.0, 0.0, -1000.0]), 2],
            reference_ce_with_grad,
            name="cross_entropy_with_grad (huge logits: use the log-sum-exp trick)",
            **_CE,
        ),
        call(
            [np.array([5.0, 5.0]), 0],
            reference_ce_with_grad,
            name="cross_entropy_with_grad (tied logits)",
            **_CE,
        ),
    ],
    "q6": [
        value(
            check=lambda a: float(a) > 80 and _exp32_finite(float(a) - 0.01),
            message="exp(max_logit_float32 - 0.01) should still be finite in float32",
        ),
        value(
            check=lambda a: float(a) + 0.02 > LIMIT32,
            message="exp(max_logit_float32 + 0.02) should overflow to inf in float32",
        ),
    ],
    "q7": [
        right_choice(
            "B", about="the cause of run 2's loss stalling while its accuracy is 100 %"
        )
    ],
    "q8": [
        call(
            [_rng8.normal(scale=3.0, size=(16, 5)), _rng8.integers(0, 5, size=16)],
            reference_batch_ce,
            name="batch_cross_entropy (an ordinary random batch)",
        ),
        call(
            [_SPREAD, np.array([0, 1, 2, 3, 0])],
            reference_batch_ce,
            name="batch_cross_entropy (rows at offsets thousands apart)",
        ),
        call(
            [np.array([[-1000.0, -1001.0, -1010.0]]), np.array([1])],
            reference_batch_ce,
            name="batch_cross_entropy (a batch of one, very negative logits)",
        ),
        call(
            [np.array([[0.0, -800.0], [900.0, 0.0]]), np.array([1, 1])],
            reference_batch_ce,
            name="batch_cross_entropy (sure but wrong: a large but finite loss)",
        ),
    ],
}

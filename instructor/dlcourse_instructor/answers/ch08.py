"""Hidden tests of ``exercises/08_training.ipynb`` (instructors only)."""

from __future__ import annotations

import numpy as np

from dlcourse.exercises.ch08 import (
    ADAM,
    LABELS,
    LOGITS,
    XTR,
    adam_steps,
    reference_accuracy,
    reference_adam,
    reference_confusion,
)
from dlcourse.exercises.checks import call
from dlcourse.exercises.compare import number
from dlcourse.exercises.train_epoch_check import TrainEpochCheck


def reference_standardise(X_train: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The answer to q2: X scaled with X_train's per-feature mean and std (+ 0.1)."""
    return (X - X_train.mean(axis=0)) / (X_train.std(axis=0) + 0.1)


# The learner module's generator (seed 808), replayed up to the test set it drew for q2.
_rng = np.random.default_rng(808)
_rng.normal(size=(50, 10)), _rng.integers(0, 10, size=50)  # LOGITS, LABELS
_rng.normal(loc=3.0, scale=2.0, size=(30, 4))  # XTR
_Xte = _rng.normal(loc=3.0, scale=2.0, size=(7, 4))
_p, _g, _m = (_rng.normal(size=(3, 2)) for _ in range(3))
_v = _rng.uniform(0.1, 1.0, size=(3, 2))
_yt = _rng.integers(0, 4, size=60)
_yp = np.where(_rng.uniform(size=60) < 0.7, _yt, _rng.integers(0, 4, size=60))

HIDDEN = {
    "q1": [
        call(
            [LOGITS, LABELS],
            reference_accuracy,
            name="accuracy_from_logits (50 examples, 10 classes)",
            compare=number(),
        ),
        call(
            [LOGITS, LOGITS.argmax(axis=1)],
            reference_accuracy,
            name="accuracy_from_logits (all correct)",
            compare=number(),
        ),
    ],
    "q2": [
        call(
            [XTR, _Xte],
            reference_standardise,
            name="standardise (a test set: use the TRAINING statistics)",
        )
    ],
    "q3": [
        call(
            [_p, _g, _m, _v, 3],
            reference_adam,
            kwargs={"lr": 0.1, "betas": (0.5, 0.9), "eps": 1e-3},
            **dict(ADAM, name="adam_step (lr, betas and eps all given)"),
        ),
        *adam_steps(seed=4),
    ],
    "q4": [
        TrainEpochCheck(
            101,
            12,
            25,
            5,
            "Adam",
            note="101 examples in batches of 25, the last one smaller: every weight "
            "and the mean loss must match one epoch of dlcourse.train.fit",
        )
    ],
    "q5": [
        call(
            [np.array([0, 0, 1]), np.array([0, 0, 1]), 5],
            reference_confusion,
            name="confusion_matrix (classes that never occur still get a row and a column)",
        ),
        call(
            [np.array([1, 1, 1, 1]), np.array([0, 0, 0, 0]), 2],
            reference_confusion,
            name="confusion_matrix (every prediction wrong: all off the diagonal)",
        ),
        call(
            [_yp, _yt, 4],
            reference_confusion,
            name="confusion_matrix (rows are TRUE classes)",
        ),
    ],
}

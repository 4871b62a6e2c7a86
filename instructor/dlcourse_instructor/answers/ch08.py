"""Hidden tests of ``exercises/08_training.ipynb`` (instructors only)."""

from __future__ import annotations

import numpy as np

from dlcourse.exercises.ch08 import (
    ADAM,
    LABELS,
    LOGITS,
    adam_steps,
    reference_accuracy,
    reference_adam,
    reference_confusion,
)
from dlcourse.exercises.ch08_runs import RepairCheck
from dlcourse.exercises.checks import call
from dlcourse.exercises.choice import right_choice
from dlcourse.exercises.compare import number
from dlcourse.exercises.train_epoch_check import TrainEpochCheck


def reference_standardise(X_train: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The answer to q2: images X (N, C, H, W) scaled with X_train's per-channel mean and
    std (+ 0.1)."""
    mean = X_train.mean(axis=(0, 2, 3), keepdims=True)
    return (X - mean) / (X_train.std(axis=(0, 2, 3), keepdims=True) + 0.1)


# The learner module's generator (seed 808), replayed up to the test set it drew for q2.
_rng = np.random.default_rng(808)
_rng.normal(size=(50, 10)), _rng.integers(0, 10, size=50)  # LOGITS, LABELS
_rng.normal(loc=3.0, scale=2.0, size=(30, 4))  # drawn for an earlier q2
_rng.normal(loc=3.0, scale=2.0, size=(7, 4))
_p, _g, _m = (_rng.normal(size=(3, 2)) for _ in range(3))
_v = _rng.uniform(0.1, 1.0, size=(3, 2))
_yt = _rng.integers(0, 4, size=60)
_yp = np.where(_rng.uniform(size=60) < 0.7, _yt, _rng.integers(0, 4, size=60))

# q2's hidden images (N, C, H, W): 3 colour channels of different means and spreads,
# and a constant fourth channel; a generator of their own keeps the draws above unchanged.
_images = np.random.default_rng(8082)
_IMAGES_TRAIN = _images.normal(
    loc=[[[1.0]], [[-2.0]], [[5.0]], [[0.0]]],
    scale=[[[0.5]], [[2.0]], [[1.0]], [[0.0]]],
    size=(6, 4, 3, 4),
)
_IMAGES_TEST = _images.normal(loc=1.0, scale=3.0, size=(2, 4, 3, 4))

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
            [_IMAGES_TRAIN, _IMAGES_TEST],
            reference_standardise,
            name="standardise (3-channel test images: use the TRAINING statistics)",
        ),
        call(
            [_IMAGES_TRAIN, _IMAGES_TRAIN],
            reference_standardise,
            name="standardise (the training images themselves)",
        ),
        call(
            [_IMAGES_TRAIN[:, :3, :, :3], _IMAGES_TEST[:, :3, :, :3]],
            reference_standardise,
            name="standardise (3 channels and 3 columns)",
        ),
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
            10,
            5,
            "SGD",
            accumulate=3,
            note="101 examples, pieces of 10, a step every 3 pieces: the last group is "
            "one piece of 1 example; every weight and the mean loss must match one epoch "
            "of dlcourse.train.fit with minibatches of 30",
        ),
        TrainEpochCheck(
            90,
            12,
            7,
            2,
            "Adam",
            accumulate=5,
            note="90 examples, pieces of 7, a step every 5 pieces (Adam): groups of 35, "
            "the last one of 20 = 7 + 7 + 6",
        ),
        TrainEpochCheck(
            64,
            8,
            16,
            1,
            "SGD",
            accumulate=1,
            note="accumulate = 1: one step per piece, as fit takes them",
        ),
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
    # The logs of dlcourse.exercises.ch08_runs.RUN_LOGS, produced by `broken_runs()` below:
    # run 1 never zeroed its gradients, run 2 was healthy, run 3 fed softmax into
    # cross_entropy, run 4 had a learning rate 10x too high, run 5 trained on the test set
    # too, run 6 was not shuffled (sorted by class).
    "q6": [right_choice("C", about="the cause of run 3's loss")],
    "q7": [
        right_choice("5", about="the run whose test accuracy is not an honest estimate")
    ],
    "q8": [
        RepairCheck(model_seed=3, seed=11, note="another initialisation and shuffling"),
        RepairCheck(
            model_seed=4,
            seed=1,
            batch_size=16,
            note="minibatches of 16 and another initialisation",
        ),
    ],
}


def broken_runs(epochs: int = 8) -> dict[str, dict[str, object]]:
    """Recompute ``RUN_LOGS`` (about a second): MLP 64-32-10, SGD lr 0.3, batches of 32."""
    from dlcourse import losses, nn, optim
    from dlcourse.autograd import Tensor
    from dlcourse.data import digits

    d = digits(seed=0)
    mean, scale = d.X_train.mean(axis=0), d.X_train.std(axis=0) + 0.1
    Xtr, Xva, Xte = ((A - mean) / scale for A in (d.X_train, d.X_val, d.X_test))

    def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
        return round(float(np.mean(model(Tensor(X)).data.argmax(axis=1) == y)), 3)

    def run(
        lr: float = 0.3,
        zero: bool = True,
        shuffle: bool = True,
        softmax: bool = False,
        leak: bool = False,
    ) -> dict[str, object]:
        X, y = Xtr, d.y_train
        if leak:
            X, y = np.concatenate([Xtr, Xte]), np.concatenate([d.y_train, d.y_test])
        if not shuffle:
            order = np.argsort(y, kind="stable")
            X, y = X[order], y[order]
        model = nn.MLP([64, 32, 10], seed=0)
        opt = optim.SGD(model.parameters(), lr=lr)
        rng = np.random.default_rng(0)
        loss_log, acc_log = [], []
        for _ in range(epochs):
            order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
            total = 0.0
            for start in range(0, len(X), 32):
                idx = order[start : start + 32]
                if zero:
                    opt.zero_grad()
                out = model(Tensor(X[idx]))
                loss = losses.cross_entropy(
                    out.softmax(dim=1) if softmax else out, y[idx]
                )
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            loss_log.append(float(f"{total / len(X):.4g}"))
            acc_log.append(accuracy(model, Xva, d.y_val))
        return {
            "train_loss": loss_log,
            "val_acc": acc_log,
            "test_acc": accuracy(model, Xte, d.y_test),
        }

    return {
        "1": run(zero=False),
        "2": run(),
        "3": run(softmax=True),
        "4": run(lr=3.0),
        "5": run(leak=True),
        "6": run(shuffle=False),
    }

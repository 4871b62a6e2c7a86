"""Broken training runs for ``exercises/08_training.ipynb``: their logs, and the check of a
repaired training loop.

* :data:`RUN_LOGS`: what six runs of one small MLP on the digits logged (training loss and
  validation accuracy per epoch, test accuracy at the end). Most have a bug; which, and
  where, is the question, so the code that produced them is not here (it is kept with the
  instructor). The numbers were computed once and are written out.
* :class:`RepairCheck`: trains a fresh model with the student's repaired loop on the
  digits' training set *sorted by class* (as a careless loader might hand it over) and
  judges the result by what training should achieve: the validation accuracy of the trained
  model and the losses the loop reports.

See chapter: Training a real network (book/08_training.ipynb)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .checks import Call
from .probe import Code, TensorData, decode
from .train_epoch_check import EpochModel

__all__ = [
    "RUN_LOGS",
    "RepairCheck",
    "repair_model",
    "repair_optimizer",
    "plot_run_logs",
]

# MLP 64-32-10 (ReLU), SGD, minibatches of 32, 8 epochs on the standardised digits.
# fmt: off
RUN_LOGS: dict[str, dict[str, Any]] = {
    "1": {"train_loss": [2.087, 94.76, 2576.0, 40780.0, 1641000.0, 60180000.0, 1166000000.0, 39540000000.0],
          "val_acc": [0.893, 0.726, 0.793, 0.837, 0.841, 0.844, 0.767, 0.778], "test_acc": 0.789},
    "2": {"train_loss": [1.278, 0.2782, 0.1467, 0.1027, 0.07983, 0.06454, 0.05347, 0.04533],
          "val_acc": [0.885, 0.941, 0.952, 0.956, 0.959, 0.952, 0.952, 0.956], "test_acc": 0.959},
    "3": {"train_loss": [2.296, 2.244, 2.105, 1.947, 1.769, 1.697, 1.647, 1.622],
          "val_acc": [0.17, 0.407, 0.496, 0.711, 0.77, 0.819, 0.844, 0.859], "test_acc": 0.844},
    "4": {"train_loss": [11.32, 16.23, 22.31, 4.989, 5.86, 10.08, 1.649, 3.015],
          "val_acc": [0.585, 0.596, 0.844, 0.896, 0.626, 0.889, 0.885, 0.874], "test_acc": 0.87},
    "5": {"train_loss": [1.135, 0.2365, 0.1311, 0.09378, 0.07167, 0.05681, 0.04697, 0.04038],
          "val_acc": [0.893, 0.952, 0.944, 0.948, 0.956, 0.948, 0.963, 0.956], "test_acc": 1.0},
    "6": {"train_loss": [1.559, 0.5755, 0.3013, 0.177, 0.1223, 0.09462, 0.07632, 0.06288],
          "val_acc": [0.448, 0.656, 0.804, 0.9, 0.922, 0.93, 0.944, 0.948], "test_acc": 0.956},
}
# fmt: on


def plot_run_logs(logs: Mapping[str, Mapping[str, Any]] = RUN_LOGS) -> Any:
    """Training loss (log scale) and validation accuracy per epoch, one line per run."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
    for run, log in logs.items():
        epochs = np.arange(1, len(log["train_loss"]) + 1)
        left.semilogy(epochs, log["train_loss"], "o-", ms=3, label=f"run {run}")
        right.plot(epochs, log["val_acc"], "o-", ms=3, label=f"run {run}")
    left.axhline(math.log(10), color="0.6", ls=":", lw=1)
    left.set(xlabel="epoch", ylabel="training loss", title="training loss (log scale)")
    right.set(xlabel="epoch", ylabel="validation accuracy", title="validation accuracy")
    right.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------- the repaired loop
_HIDDEN, _LR = 32, 0.3
_PENDING: list[Any] = []


def repair_model(seed: int) -> EpochModel:
    """A fresh ``EpochModel([64, 32, 10], seed=seed)`` (its ``data`` is all its parameters);
    the next :func:`repair_optimizer` returns its SGD optimiser (learning rate 0.3)."""
    from dlcourse import optim

    model = EpochModel([64, _HIDDEN, 10], seed=seed)
    _PENDING[:] = [optim.SGD(model.parameters(), lr=_LR)]
    return model


def repair_optimizer() -> Any:
    """The optimiser of the model the last :func:`repair_model` built."""
    return _PENDING.pop()


@functools.cache
def _sorted_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The standardised digits: training set sorted by class, and the validation set."""
    from dlcourse.data import digits

    d = digits(seed=0)
    mean, scale = d.X_train.mean(axis=0), d.X_train.std(axis=0) + 0.1
    order = np.argsort(d.y_train, kind="stable")
    X, X_val = (d.X_train[order] - mean) / scale, (d.X_val - mean) / scale
    return X, d.y_train[order].copy(), X_val, d.y_val.copy()


class RepairCheck(Call):
    """Train with ``train(model, optimizer, X, y, epochs, batch_size, seed)`` and judge it.

    Passes when the trained model reaches ``min_val_acc`` on the validation set and the loop
    returns one finite mean training loss per epoch, the last below ``max_last_loss`` (a
    true cross-entropy; a loss taken on probabilities cannot get that low).
    """

    def __init__(
        self,
        model_seed: int,
        seed: int,
        epochs: int = 3,
        batch_size: int = 32,
        min_val_acc: float = 0.9,
        max_last_loss: float = 0.5,
        note: str = "",
    ) -> None:
        lib = "__import__('dlcourse.exercises.ch08_runs', fromlist=['repair_model'])"
        self._model = Code(
            f"{lib}.repair_model({model_seed})", label=f"MLP([64, {_HIDDEN}, 10])"
        )
        self._opt = Code(f"{lib}.repair_optimizer()", label=f"SGD(lr={_LR})")
        self.epochs, self.batch_size, self.seed = epochs, batch_size, seed
        self.min_val_acc, self.max_last_loss = min_val_acc, max_last_loss
        self._after: Any = None
        super().__init__(
            [],
            name=f"train ({note})" if note else "train",
            check=None,
            compare=self._compare,
            new_array=False,
        )

    @property
    def args(self) -> list[Any]:
        X, y, _, _ = _sorted_digits()
        return [self._model, self._opt, X, y, self.epochs, self.batch_size, self.seed]

    @args.setter
    def args(self, value: Any) -> None:  # fixed by the check's parameters
        pass

    def reference(self) -> Any:
        return None

    def _judge(self, observation: Mapping[str, Any], fname: str) -> None:
        after = observation.get("args_after") or [None]
        self._after = after[0]
        super()._judge(observation, fname)

    def _compare(self, actual: Any, _expected: Any, _what: str) -> None:
        from dlcourse import nn
        from dlcourse.autograd import Tensor

        what = (
            f"train(MLP([64, {_HIDDEN}, 10]), SGD(lr={_LR}), the digits sorted by class, "
            f"epochs={self.epochs}, batch_size={self.batch_size}, seed={self.seed})"
        )
        losses = actual if isinstance(actual, (list, tuple)) else None
        if losses is None or len(losses) != self.epochs:
            raise AssertionError(
                f"{what} should return a list of {self.epochs} mean training losses, one "
                f"per epoch, not {type(actual).__name__}"
                + (
                    f" of length {len(actual)}"
                    if isinstance(actual, (list, tuple))
                    else ""
                )
            )
        values = [
            float(v) if isinstance(v, (int, float, np.floating)) else math.nan
            for v in losses
        ]
        if not all(math.isfinite(v) and v >= 0 for v in values):
            raise AssertionError(
                f"{what} returned losses {losses!r}: not all finite numbers ≥ 0"
            )
        model = nn.MLP([64, _HIDDEN, 10])
        flat = decode(self._after)
        size = sum(p.data.size for p in model.parameters())
        if not (isinstance(flat, TensorData) and flat.array.shape == (size,)):
            raise AssertionError(
                f"{what}: the model's parameters could not be read after training"
            )
        start = 0
        for p in model.parameters():
            p.data[...] = flat.array[start : start + p.data.size].reshape(p.data.shape)
            start += p.data.size
        _, _, X_val, y_val = _sorted_digits()
        with np.errstate(all="ignore"):
            scores = model(Tensor(X_val)).data
        val_acc = float(
            np.mean(np.argmax(np.nan_to_num(scores, nan=0.0), axis=1) == y_val)
        )
        if not val_acc >= self.min_val_acc:
            raise AssertionError(
                f"{what}: the trained model reaches {val_acc:.1%} validation accuracy; a "
                f"working loop reaches at least {self.min_val_acc:.0%}"
            )
        if not values[-1] < self.max_last_loss:
            raise AssertionError(
                f"{what}: the last epoch's mean training loss is {values[-1]:.3g}; with a "
                f"model at {val_acc:.1%} validation accuracy the cross-entropy should be "
                f"below {self.max_last_loss}"
            )

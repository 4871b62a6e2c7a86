"""The check of ch08 q4, ``train_epoch(model, optimizer, X, y, batch_size, accumulate,
seed)``: one epoch with gradient accumulation (pieces of ``batch_size`` examples, one step
per ``accumulate`` pieces) must leave every parameter where :func:`dlcourse.train.fit` (one
epoch, same shuffling, minibatches of ``batch_size * accumulate``) leaves its twin, and
return the same mean training loss.

The model and its optimiser are built in the student's kernel (:func:`epoch_model`,
:func:`epoch_optimizer`); the reference epoch runs where the check is judged.

See chapter: Training a real network (book/08_training.ipynb)
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Mapping
from types import FrameType
from typing import Any

import numpy as np

from dlcourse import nn

from .checks import Call
from .compare import assert_close
from .probe import Code, TensorData, decode

__all__ = ["EpochModel", "TrainEpochCheck", "epoch_model", "epoch_optimizer"]


# The model and optimiser `train_epoch` is checked with, built where the answer runs. The
# check reads the parameters after the epoch through `data` (what an observation records
# of a dlcourse Tensor), and `dlcourse.train.fit` cannot do the student's work.
class EpochModel(nn.MLP):
    """An :class:`~dlcourse.nn.MLP` whose ``data`` is all its parameters, flattened, and
    whose forward pass refuses to run inside :func:`dlcourse.train.fit`."""

    @property
    def data(self) -> np.ndarray:
        return np.concatenate([p.data.ravel() for p in self.parameters()])

    def forward(self, x: Any) -> Any:
        from dlcourse.train import fit

        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            if frame.f_code is fit.__code__:
                raise AssertionError(
                    "train_epoch should write the loop itself, not call "
                    "dlcourse.train.fit"
                )
            frame = frame.f_back
        return super().forward(x)


def _twin(hidden: int, optimizer: str, cls: type = nn.MLP) -> tuple[Any, Any]:
    from dlcourse import optim

    model = cls([64, hidden, 10], seed=1)
    opt = (
        optim.Adam(model.parameters(), lr=0.01)
        if optimizer == "Adam"
        else optim.SGD(model.parameters(), lr=0.1)
    )
    return model, opt


_PENDING: list[Any] = []


def epoch_model(hidden: int, optimizer: str) -> EpochModel:
    """A fresh ``EpochModel([64, hidden, 10], seed=1)``; its optimiser (``"SGD"``, lr 0.1,
    or ``"Adam"``, lr 0.01) is what the next :func:`epoch_optimizer` returns."""
    model, opt = _twin(hidden, optimizer, EpochModel)
    _PENDING[:] = [opt]
    return model


def epoch_optimizer() -> Any:
    """The optimiser of the model the last :func:`epoch_model` built."""
    return _PENDING.pop()


@functools.cache
def _small_digits(n: int) -> tuple[np.ndarray, np.ndarray]:
    from dlcourse.data import digits

    d = digits(seed=0)
    return d.X_train[:n].copy(), d.y_train[:n].copy()


class TrainEpochCheck(Call):
    """Run ``train_epoch`` on an :class:`EpochModel`, and :func:`dlcourse.train.fit` (one
    epoch, minibatches of ``batch_size * accumulate``) on its twin; compare every parameter
    after the epoch and the returned loss.

    The digits (``X`` of shape ``(n, 64)``) are loaded when the check is first used.
    """

    def __init__(
        self,
        n: int,
        hidden: int,
        batch_size: int,
        seed: int,
        optimizer: str,
        note: str = "",
        accumulate: int = 1,
    ) -> None:
        self.n, self.hidden, self.optimizer = n, hidden, optimizer
        self.accumulate = accumulate
        self.batch_size, self.seed = batch_size, seed
        lib = "__import__('dlcourse.exercises.train_epoch_check', fromlist=['epoch_model'])"
        self._model = Code(
            f"{lib}.epoch_model({hidden}, {optimizer!r})",
            label=f"MLP([64, {hidden}, 10])",
        )
        self._opt = Code(f"{lib}.epoch_optimizer()", label=optimizer)
        self._after: Any = None
        super().__init__(
            [],
            name=f"train_epoch ({note})" if note else "train_epoch",
            compare=self._compare,
        )

    @property
    def args(self) -> list[Any]:
        X, y = _small_digits(self.n)
        return [
            self._model,
            self._opt,
            X,
            y,
            self.batch_size,
            self.accumulate,
            self.seed,
        ]

    @args.setter
    def args(self, value: Any) -> None:  # fixed by the check's parameters
        pass

    @functools.cached_property
    def _expected(self) -> tuple[float, list[tuple[str, np.ndarray]]]:
        from dlcourse import losses
        from dlcourse.train import fit

        X, y = _small_digits(self.n)
        model, opt = _twin(self.hidden, self.optimizer)
        history = fit(
            model,
            losses.cross_entropy,
            opt,
            (X.copy(), y.copy()),
            epochs=1,
            batch_size=self.batch_size * self.accumulate,
            seed=self.seed,
            progress=False,
        )
        return history.train_loss[0], [
            (name, p.data.copy()) for name, p in model.named_parameters()
        ]

    def reference(self) -> Any:
        return self._expected

    def _judge(self, observation: Mapping[str, Any], fname: str) -> None:
        after = observation.get("args_after") or [None]
        self._after = after[0]
        super()._judge(observation, fname)

    def _compare(self, actual: Any, expected: Any, _: str) -> None:
        what = (
            f"train_epoch(MLP([64, {self.hidden}, 10]), {self.optimizer}, "
            f"X ({self.n}, 64), y, batch_size={self.batch_size}, "
            f"accumulate={self.accumulate}, seed={self.seed}) should step like fit with "
            f"batch_size={self.batch_size * self.accumulate}"
        )
        loss, params = expected
        flat = decode(self._after)
        size = sum(p.size for _, p in params)
        if not (isinstance(flat, TensorData) and flat.array.shape == (size,)):
            raise AssertionError(
                f"{what}: the model's parameters could not be read after the epoch"
            )
        start = 0
        for name, q in params:
            p = flat.array[start : start + q.size].reshape(q.shape)
            start += q.size
            assert_close(
                p,
                q,
                f"{what}: the parameter {name} after the epoch",
                rtol=1e-7,
                atol=1e-10,
            )
        assert_close(
            actual,
            loss,
            f"{what}: the returned mean training loss",
            rtol=1e-7,
            atol=1e-10,
        )

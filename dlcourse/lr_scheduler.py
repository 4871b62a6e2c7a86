"""Learning-rate schedules (PyTorch's ``torch.optim.lr_scheduler``).

A scheduler changes an optimiser's learning rate as training goes on; call its
``step()`` once per epoch (or per batch), *after* ``optimizer.step()``. With
``eta_0`` the optimiser's learning rate when the first scheduler was attached
(its ``initial_lr``) and ``t`` the number of ``step()`` calls so far:

* ``LambdaLR``          ``eta_t = eta_0 * f(t)``, any function ``f``
* ``StepLR``            ``eta_t = eta_0 * gamma ** (t // step_size)``: drop by ``gamma``
                        every ``step_size`` epochs
* ``LinearLR``          ``eta_t = eta_0 * (s + (e - s) * min(t, T) / T)``: from
                        ``start_factor`` s to ``end_factor`` e in ``total_iters`` T
                        steps, then constant — a *warm-up* when s is small
* ``CosineAnnealingLR`` ``eta_t = eta_min + (eta_0 - eta_min) (1 + cos(pi t / T_max)) / 2``:
                        from eta_0 down to ``eta_min`` along half a cosine
                        (Loshchilov & Hutter 2017, without restarts)
* ``SequentialLR``      one schedule after the other: ``schedulers[i]`` runs from
                        ``milestones[i-1]``, with its own ``t`` restarted at 0
                        (warm-up then cosine is the common pair)

The rates are computed in closed form from ``eta_0``, which is what PyTorch's
schedulers compute when each optimiser has one scheduler (or one SequentialLR);
PyTorch's step-by-step ("chainable") form only differs when two schedulers act on
the same optimiser at once, which these do not support. They drive ``dlcourse.optim``
optimisers (through their ``lr``) and ``torch.optim`` ones (through ``param_groups``).

See chapter: Making deep networks trainable (book/10_trainable.ipynb)
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "StepLR",
    "LinearLR",
    "CosineAnnealingLR",
    "SequentialLR",
]


def _current_lrs(optimizer: Any) -> list[float]:
    """The learning rate of each parameter group (a dlcourse optimiser has one)."""
    if hasattr(optimizer, "param_groups"):
        return [float(group["lr"]) for group in optimizer.param_groups]
    return [float(optimizer.lr)]


def _set_lrs(optimizer: Any, lrs: Sequence[float]) -> None:
    if hasattr(optimizer, "param_groups"):
        for group, lr in zip(optimizer.param_groups, lrs):
            group["lr"] = lr
    else:
        optimizer.lr = lrs[0]


def _initial_lrs(optimizer: Any) -> list[float]:
    """The rates before any scheduler touched them, remembered on the optimiser as
    ``initial_lr`` (as PyTorch does), so that a second scheduler starts from them too."""
    if hasattr(optimizer, "param_groups"):
        return [
            float(group.setdefault("initial_lr", group["lr"]))
            for group in optimizer.param_groups
        ]
    if getattr(optimizer, "initial_lr", None) is None:
        optimizer.initial_lr = float(optimizer.lr)
    return [float(optimizer.initial_lr)]


class LRScheduler:
    """Base class: ``step()`` advances ``last_epoch`` and sets the rates of
    :meth:`lr_at`; subclasses implement ``lr_at(base_lr, epoch)``.

    Creating a scheduler sets the rate for epoch 0 (as PyTorch does), so the first
    ``optimizer.step()`` already uses the schedule.
    """

    def __init__(self, optimizer: Any) -> None:
        self.optimizer = optimizer
        self.base_lrs = _initial_lrs(optimizer)
        self.last_epoch = -1
        self._last_lr = _current_lrs(optimizer)
        self.step()

    def lr_at(self, base_lr: float, epoch: int) -> float:
        """The learning rate after ``epoch`` steps, starting from ``base_lr``."""
        raise NotImplementedError

    def _lrs_at(self, epoch: int) -> list[float]:
        return [self.lr_at(base, epoch) for base in self.base_lrs]

    def step(self) -> None:
        """One epoch (or batch) further: set the optimiser's learning rate(s)."""
        self.last_epoch += 1
        self._last_lr = self._lrs_at(self.last_epoch)
        _set_lrs(self.optimizer, self._last_lr)

    def get_last_lr(self) -> list[float]:
        """The learning rate(s) set by the last ``step()``, one per parameter group."""
        return list(self._last_lr)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch})"


class LambdaLR(LRScheduler):
    """``lr = initial_lr * lr_lambda(epoch)`` (``torch.optim.lr_scheduler.LambdaLR``);
    ``lr_lambda`` is one function, or a list of one per parameter group."""

    def __init__(
        self,
        optimizer: Any,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
    ) -> None:
        groups = len(_current_lrs(optimizer))
        if callable(lr_lambda):
            self.lr_lambdas = [lr_lambda] * groups
        else:
            self.lr_lambdas = list(lr_lambda)
            if len(self.lr_lambdas) != groups:
                raise ValueError(
                    f"LambdaLR: expected {groups} lr_lambdas (one per parameter "
                    f"group), got {len(self.lr_lambdas)}"
                )
        super().__init__(optimizer)

    def _lrs_at(self, epoch: int) -> list[float]:
        return [base * f(epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)]

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.lr_lambdas[0](epoch)


class StepLR(LRScheduler):
    """``lr = initial_lr * gamma ** (epoch // step_size)``
    (``torch.optim.lr_scheduler.StepLR``)."""

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1) -> None:
        if int(step_size) != step_size or step_size < 1:
            raise ValueError(
                f"StepLR: step_size must be a positive int, got {step_size}"
            )
        self.step_size, self.gamma = int(step_size), float(gamma)
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class LinearLR(LRScheduler):
    """Linear change of the factor from ``start_factor`` to ``end_factor`` over
    ``total_iters`` steps, then constant (``torch.optim.lr_scheduler.LinearLR``):
    ``lr = initial_lr * (s + (e - s) * min(epoch, T) / T)``. A small ``start_factor``
    makes it a warm-up: tiny first steps while Adam's statistics, or a network's
    normalisation, are still unreliable."""

    def __init__(
        self,
        optimizer: Any,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        if not 0.0 < start_factor <= 1.0:
            raise ValueError(
                f"LinearLR: start_factor must be in (0, 1], got {start_factor}"
            )
        if not 0.0 <= end_factor <= 1.0:
            raise ValueError(
                f"LinearLR: end_factor must be in [0, 1], got {end_factor}"
            )
        if int(total_iters) != total_iters or total_iters < 1:
            raise ValueError(
                f"LinearLR: total_iters must be a positive int, got {total_iters}"
            )
        self.start_factor, self.end_factor = float(start_factor), float(end_factor)
        self.total_iters = int(total_iters)
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        progress = min(self.total_iters, epoch) / self.total_iters
        return base_lr * (
            self.start_factor + (self.end_factor - self.start_factor) * progress
        )


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from ``initial_lr`` down to ``eta_min`` in ``T_max`` steps
    (``torch.optim.lr_scheduler.CosineAnnealingLR``):
    ``lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``.
    Past ``T_max`` the cosine goes on (the rate rises again), as in PyTorch: set
    ``T_max`` to the number of steps you will take."""

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0) -> None:
        if not T_max > 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be > 0, got {T_max}")
        self.T_max, self.eta_min = T_max, float(eta_min)
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        cosine = (1.0 + math.cos(math.pi * epoch / self.T_max)) / 2.0
        return self.eta_min + (base_lr - self.eta_min) * cosine


class SequentialLR(LRScheduler):
    """Schedules one after the other (``torch.optim.lr_scheduler.SequentialLR``):
    ``schedulers[i]`` is in charge from step ``milestones[i-1]`` on, counting its own
    steps from 0 there. ``SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5),
    CosineAnnealingLR(opt, T_max=45)], milestones=[5])``: five warm-up steps, then a
    cosine decay.
    """

    def __init__(
        self,
        optimizer: Any,
        schedulers: Sequence[LRScheduler],
        milestones: Sequence[int],
    ) -> None:
        if len(schedulers) < 1:
            raise ValueError("SequentialLR: expected at least one scheduler")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"SequentialLR: {len(schedulers)} schedulers need "
                f"{len(schedulers) - 1} milestones, got {len(milestones)}"
            )
        if list(milestones) != sorted(milestones):
            raise ValueError(f"SequentialLR: milestones {milestones} must increase")
        for i, scheduler in enumerate(schedulers):
            if scheduler.optimizer is not optimizer:
                raise ValueError(
                    f"SequentialLR: schedulers[{i}] acts on another optimizer than "
                    "the one given"
                )
        self._schedulers = list(schedulers)
        self._milestones = [int(m) for m in milestones]
        super().__init__(optimizer)

    def _active(self, epoch: int) -> tuple[LRScheduler, int]:
        """The scheduler in charge at ``epoch`` and its own step count there."""
        index = bisect.bisect_right(self._milestones, epoch)
        start = self._milestones[index - 1] if index > 0 else 0
        return self._schedulers[index], epoch - start

    def _lrs_at(self, epoch: int) -> list[float]:
        scheduler, local_epoch = self._active(epoch)
        scheduler.last_epoch = local_epoch
        scheduler._last_lr = scheduler._lrs_at(local_epoch)
        return scheduler.get_last_lr()

    def lr_at(self, base_lr: float, epoch: int) -> float:
        scheduler, local_epoch = self._active(epoch)
        return scheduler.lr_at(base_lr, local_epoch)

"""One training loop for the PyTorch models, with hooks.

Every model in :mod:`dlcourse.models` trains with the same step::

    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    clip_grad_norm_(parameters, max_norm)     # optional: ‖g‖ ≤ max_norm
    optimizer.step()
    schedule.step()                           # optional: the next learning rate

:func:`train_torch` runs it over the minibatches that ``batches`` yields, ``epochs``
times. What differs between models is passed in: how batches are drawn (shuffled
epochs, random windows of a text, ...), ``on_batch`` to change a batch before the
step (data augmentation), ``schedule`` for the learning rate, ``clip_grad_norm``
for gradient clipping and ``on_step`` to watch training (validation every few
steps). Gradient clipping rescales all gradients together when their joint norm
exceeds ``max_norm``: :math:`g \\leftarrow g \\cdot \\min(1, \\text{max\\_norm} /
\\lVert g \\rVert_2)`.

See chapter: Training a real network (book/08_training.ipynb); Convolutional networks (book/11_cnn.ipynb)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

__all__ = ["Batch", "train_torch"]

Batch = tuple[Any, Any]


def train_torch(
    model: nn.Module,
    loss_fn: Callable[[Any, Any], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    batches: Iterable[Batch] | Callable[[], Iterable[Batch]],
    epochs: int = 1,
    *,
    on_batch: Callable[[Any, Any], Batch] | None = None,
    schedule: Any = None,
    clip_grad_norm: float | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Train ``model`` and return the loss of every step (``loss.item()``).

    Args:
        loss_fn: ``loss_fn(model(inputs), targets)``, a scalar torch tensor.
        batches: ``(inputs, targets)`` pairs; a callable is called once per epoch
            for a fresh iterable (e.g. a new shuffle). Batches are drawn lazily, one
            step at a time, so random draws keep their order. ``inputs`` is a tensor,
            or a tuple of them passed as separate arguments (``model(*inputs)``).
        epochs: passes over ``batches``.
        on_batch: ``(inputs, targets) -> (inputs, targets)`` before each step, e.g.
            random shifts of the images.
        schedule: a ``torch.optim.lr_scheduler``, stepped after every optimizer step.
        clip_grad_norm: if given, gradients are clipped to this joint 2-norm
            (``torch.nn.utils.clip_grad_norm_``) before each step.
        on_step: ``on_step(step, loss)`` after each step (steps count from 1).

    The model is put in training mode; it is left in it.
    """
    if epochs < 0:
        raise ValueError(f"train_torch: epochs must be >= 0, got {epochs}")
    model.train()
    losses: list[float] = []
    for _ in range(epochs):
        for inputs, targets in batches() if callable(batches) else batches:
            if on_batch is not None:
                inputs, targets = on_batch(inputs, targets)
            optimizer.zero_grad()
            # A tuple of inputs is several arguments: model(source, target_so_far).
            output = model(*inputs) if isinstance(inputs, tuple) else model(inputs)
            loss = loss_fn(output, targets)
            loss.backward()
            if clip_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
            optimizer.step()
            if schedule is not None:
                schedule.step()
            losses.append(loss.item())
            if on_step is not None:
                on_step(len(losses), losses[-1])
    return losses

"""Deep PyTorch networks with the three fixes as switches, and a recorder of training.

A deep MLP is a stack of ``depth`` hidden blocks of equal ``width``. Each block is

.. math::

    \\text{plain:}\\quad h_{\\ell} = \\operatorname{relu}(\\mathrm{N}(W_\\ell h_{\\ell-1} + b_\\ell)),
    \\qquad
    \\text{residual:}\\quad h_{\\ell} = h_{\\ell-1} + W_\\ell\\,\\operatorname{relu}(\\mathrm{N}(h_{\\ell-1})) + b_\\ell,

where :math:`\\mathrm{N}` is batch normalisation (``norm="batch"``) or the identity. The
residual block is the "pre-activation" form of He et al. (2016): the identity path
carries :math:`h_{\\ell-1}` unchanged, so :math:`\\partial h_\\ell / \\partial h_{\\ell-1}
= I + \\ldots` and the gradient reaches the first layer even when the branches are small.
``init="he"`` draws every hidden weight from :math:`\\mathcal N(0, 2/n_\\text{in})`
(``torch.nn.init.kaiming_normal_``), which keeps the second moment :math:`E[h^2]` of a
ReLU stack constant; ``init="default"`` keeps PyTorch's uniform
:math:`\\pm 1/\\sqrt{n_\\text{in}}`, whose variance :math:`1/(3 n_\\text{in})` shrinks
:math:`E[h^2]` six-fold per layer.

:class:`DeepCNN` is the same stack with ``3 × 3`` convolutions of ``channels`` channels
(padding 1, so every layer keeps the image size) and ``BatchNorm2d``, closed by one
linear layer on the flattened feature maps.

:func:`train_recording` trains such a model with minibatch SGD and records, every epoch,
the training loss, the validation loss and accuracy, and the gradient norm
:math:`\\lVert \\partial L / \\partial W_\\ell \\rVert` of every hidden layer (averaged
over the epoch's steps).

See chapter: Making deep networks trainable (book/10_trainable.ipynb)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler

__all__ = ["DeepCNN", "DeepMLP", "DeepHistory", "train_recording"]

Init = Literal["default", "he"]
Norm = Literal["none", "batch"]
Layer = nn.Linear | nn.Conv2d


class _Block(nn.Module):
    """One hidden block around ``layer`` (a Linear or a same-size Conv2d): plain
    ``relu(N(layer(h)))`` or residual ``h + layer(relu(N(h)))``."""

    def __init__(self, layer: Layer, norm: nn.Module, residual: bool) -> None:
        super().__init__()
        self.layer, self.norm, self.residual = layer, norm, residual

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if self.residual:
            return h + self.layer(torch.relu(self.norm(h)))
        return torch.relu(self.norm(self.layer(h)))


def _check(name: str, depth: int, size: int, init: str, norm: str) -> None:
    if depth < 0 or size < 1:
        raise ValueError(
            f"{name}: need depth >= 0 and a size >= 1, got {depth}, {size}"
        )
    if init not in ("default", "he") or norm not in ("none", "batch"):
        raise ValueError(f"{name}: unknown init {init!r} or norm {norm!r}")


class _DeepStack(nn.Module):
    """``relu(stem(x))``, the blocks, then ``head`` on the flattened features; with
    ``init="he"`` every layer before a ReLU (stem and blocks) gets ``kaiming_normal_``."""

    def __init__(
        self, stem: Layer, blocks: list[_Block], head: nn.Linear, init: Init
    ) -> None:
        super().__init__()
        self.stem, self.blocks, self.head = stem, nn.ModuleList(blocks), head
        self.layers: list[Layer] = [stem, *(block.layer for block in blocks)]
        if init == "he":
            for layer in self.layers:
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.stem(x))
        for block in self.blocks:
            h = block(h)
        return self.head(h.flatten(1))

    def layer_weights(self) -> list[torch.Tensor]:
        """The weights from the input to the output, one per layer."""
        return [layer.weight for layer in self.layers] + [self.head.weight]


class DeepMLP(_DeepStack):
    """``in_features → width`` (ReLU), ``depth`` hidden blocks, then ``width → out_features``.

    Args:
        depth: number of hidden ``width × width`` blocks (the input and output layers
            come on top).
        init: ``"default"`` (PyTorch's) or ``"he"`` for every weight before a ReLU.
        norm: ``"batch"`` puts a ``BatchNorm1d`` in every hidden block.
        residual: hidden blocks add their output to their input.
        seed: seeds the initial weights.
    """

    def __init__(
        self,
        in_features: int,
        width: int,
        depth: int,
        out_features: int,
        *,
        init: Init = "default",
        norm: Norm = "none",
        residual: bool = False,
        seed: int = 0,
    ) -> None:
        _check("DeepMLP", depth, width, init, norm)
        torch.manual_seed(seed)
        stem = nn.Linear(in_features, width)
        blocks = [
            _Block(
                nn.Linear(width, width),
                nn.BatchNorm1d(width) if norm == "batch" else nn.Identity(),
                residual,
            )
            for _ in range(depth)
        ]
        super().__init__(stem, blocks, nn.Linear(width, out_features), init)


class DeepCNN(_DeepStack):
    """``in_channels → channels`` 3 × 3 conv (ReLU), ``depth`` conv blocks, linear.

    Input ``(N, in_channels, image_size, image_size)``. Padding 1 keeps the image size in
    every layer; the head flattens the last ``channels × image_size²`` features and maps
    them to ``out_features`` logits.

    Args:
        depth: number of hidden ``channels → channels`` 3 × 3 convolution blocks.
        init: ``"default"`` (PyTorch's) or ``"he"`` (``kaiming_normal_``, fan-in
            ``9 · channels``) for every convolution.
        norm: ``"batch"`` puts a ``BatchNorm2d`` in every block.
        residual: blocks add their output to their input.
        seed: seeds the initial weights.
    """

    def __init__(
        self,
        depth: int,
        channels: int,
        *,
        in_channels: int = 1,
        image_size: int = 8,
        out_features: int = 10,
        init: Init = "default",
        norm: Norm = "none",
        residual: bool = False,
        seed: int = 0,
    ) -> None:
        _check("DeepCNN", depth, channels, init, norm)
        torch.manual_seed(seed)
        stem = nn.Conv2d(in_channels, channels, 3, padding=1)
        blocks = [
            _Block(
                nn.Conv2d(channels, channels, 3, padding=1),
                nn.BatchNorm2d(channels) if norm == "batch" else nn.Identity(),
                residual,
            )
            for _ in range(depth)
        ]
        head = nn.Linear(channels * image_size**2, out_features)
        super().__init__(stem, blocks, head, init)


@dataclass
class DeepHistory:
    """Per-epoch records of :func:`train_recording`.

    ``grad_norms[e, l]`` is the mean over epoch ``e``'s steps of the gradient norm of
    layer ``l`` (0 = next to the input).
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    grad_norms: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))


def _evaluate(
    model: nn.Module, X: torch.Tensor, y: torch.Tensor
) -> tuple[float, float]:
    model.eval()
    with torch.no_grad():
        logits = model(X)
        loss = nn.functional.cross_entropy(logits, y).item()
        acc = (logits.argmax(1) == y).float().mean().item()
    model.train()
    return loss, acc


def train_recording(
    model: DeepMLP | DeepCNN,
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
    *,
    epochs: int,
    lr: float,
    batch_size: int = 64,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    schedule: Callable[[torch.optim.Optimizer], LRScheduler] | None = None,
    seed: int = 0,
) -> DeepHistory:
    """Train ``model`` with SGD (cross-entropy), recording loss, accuracy and gradients.

    ``schedule(optimizer)`` builds a ``torch.optim.lr_scheduler`` that is stepped after
    every optimizer step (so warm-up and decay count steps, not epochs);
    ``weight_decay`` is SGD's L2 term. ``seed`` fixes the minibatch order. The training loss of an epoch is the mean
    over its minibatches (in training mode); the validation numbers are measured in
    evaluation mode after the epoch.
    """
    X = torch.as_tensor(train[0], dtype=torch.float32)
    y = torch.as_tensor(train[1], dtype=torch.long)
    Xv = torch.as_tensor(val[0], dtype=torch.float32)
    yv = torch.as_tensor(val[1], dtype=torch.long)
    optimizer = torch.optim.SGD(
        model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay
    )
    scheduler = schedule(optimizer) if schedule is not None else None
    order_rng = np.random.default_rng(seed)
    weights = model.layer_weights()
    history = DeepHistory()
    norms: list[np.ndarray] = []
    model.train()
    for _ in range(epochs):
        perm = torch.as_tensor(order_rng.permutation(len(X)))
        losses: list[float] = []
        norm_sum = torch.zeros(len(weights))
        for start in range(0, len(X), batch_size):
            idx = perm[start : start + batch_size]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(X[idx]), y[idx])
            loss.backward()
            # Summed as one tensor: a .item() per layer and step would cost more than the step.
            norm_sum += torch.stack(
                [w.grad.norm() for w in weights if w.grad is not None]
            )
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            losses.append(loss.item())
        history.train_loss.append(float(np.mean(losses)))
        norms.append(norm_sum.numpy() / len(losses))
        val_loss, val_acc = _evaluate(model, Xv, yv)
        history.val_loss.append(val_loss)
        history.val_acc.append(val_acc)
    history.grad_norms = np.array(norms)
    return history

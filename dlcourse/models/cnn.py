"""A LeNet-style convolutional network in PyTorch, and its from-scratch twin.

LeCun, Bottou, Bengio & Haffner (1998) stacked two blocks of

.. math::

    \\text{conv}_{k\\times k} \\;\\to\\; \\text{non-linearity}
    \\;\\to\\; \\text{pool}_{2\\times 2}

and finished with fully connected layers. Each block finds local patterns in
its input and halves the resolution, so the second block sees patterns of
patterns over a wider patch of the image. :class:`LeNet` keeps that layout
with today's choices (ReLU, max-pooling, "same" padding):

* ``image_size=28``: 5×5 kernels, 6 then 16 channels, 120-84-classes head —
  the classic LeNet-5 sizes;
* ``image_size=8`` (scikit-learn's digits): 3×3 kernels, wider (32, 64)
  channels and a 128-unit head: the image is tiny, so the network must look closely.

:func:`dlcourse.nn.from_torch` rebuilds the very same network from
``dlcourse.conv`` layers with the trained weights, so the chapter can check that
the NumPy convolution and PyTorch's agree.

:func:`transfer` reuses a trained network for a new task (**transfer learning**): it keeps the
convolutional layers, frozen (their weights fixed) or to be fine-tuned (trained further), and
puts a freshly initialised head with the new number of classes on top.

See chapter: Convolutional networks (book/11_cnn.ipynb)
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dlcourse.device import device
from dlcourse.interop import to_numpy
from dlcourse.models.training import Batch, train_torch

__all__ = ["LeNet", "feature_maps", "train_classifier", "shift_augment", "transfer"]


class LeNet(nn.Sequential):
    """conv-ReLU-pool, conv-ReLU-pool, flatten, Linear-ReLU(-Linear-ReLU), Linear.

    A ``torch.nn.Sequential`` so that ``model[i]`` and slicing work; the first
    ``model.n_feature_layers`` modules are the convolutional feature extractor.

    Args:
        in_channels: image channels (1 for grayscale).
        n_classes: number of outputs (logits).
        image_size: height = width of the input; must be divisible by 4 (two 2×2
            pools).
        channels: output channels of the two convolutions (default by image size).
        hidden: sizes of the hidden fully connected layers (default by image size).
        kernel_size: convolution kernel (default 5 for images >= 16 pixels, else 3).
        dropout: probability of the Dropout layer before each fully connected layer
            (0: none).
        seed: ``torch.manual_seed`` for the initial weights.

    The model is moved to :func:`dlcourse.device.device`.
    """

    def __init__(
        self,
        in_channels: int = 1,
        n_classes: int = 10,
        image_size: int = 28,
        channels: tuple[int, int] | None = None,
        hidden: tuple[int, ...] | None = None,
        kernel_size: int | None = None,
        dropout: float = 0.0,
        seed: int = 0,
    ) -> None:
        if image_size < 4 or image_size % 4:
            raise ValueError(
                "LeNet: image_size must be a positive multiple of 4 "
                f"(two 2x2 poolings), got {image_size}"
            )
        small = image_size < 16
        k = kernel_size if kernel_size is not None else (3 if small else 5)
        if k % 2 == 0:
            raise ValueError(
                f"LeNet: kernel_size must be odd (for 'same' padding), got {k}"
            )
        c1, c2 = channels if channels is not None else ((32, 64) if small else (6, 16))
        hidden = (
            tuple(hidden) if hidden is not None else ((128,) if small else (120, 84))
        )
        torch.manual_seed(seed)
        features = [
            nn.Conv2d(in_channels, c1, k, padding=k // 2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, k, padding=k // 2),
            nn.ReLU(),
            nn.MaxPool2d(2),
        ]
        sizes = (c2 * (image_size // 4) ** 2, *hidden)
        head: list[nn.Module] = [nn.Flatten()]
        drop = [nn.Dropout(dropout)] if dropout > 0 else []
        for n_in, n_out in itertools.pairwise(sizes):
            head += [*drop, nn.Linear(n_in, n_out), nn.ReLU()]
        head += [*drop, nn.Linear(sizes[-1], n_classes)]
        super().__init__(*features, *head)
        self.n_feature_layers = len(features)
        self.image_size = image_size
        self.to(device())

    def __getitem__(self, idx: Any) -> Any:
        """``model[i]``: a layer; ``model[a:b]``: a plain ``nn.Sequential`` of those layers
        (sharing their weights), e.g. ``model[: model.n_feature_layers]``."""
        if isinstance(idx, slice):
            return nn.Sequential(*list(self)[idx])
        return super().__getitem__(idx)


def transfer(model: LeNet, n_classes: int, freeze: bool = True, seed: int = 0) -> LeNet:
    """A copy of a trained ``model`` for a new task with ``n_classes`` classes.

    The copy keeps the convolutional layers (the first ``model.n_feature_layers``) with their
    trained weights; with ``freeze=True`` they get ``requires_grad=False``, so training changes
    only the head (otherwise they are fine-tuned with it). The head keeps its layout (the same
    hidden sizes) with fresh weights (``torch.manual_seed(seed)``), its last Linear layer
    resized to ``n_classes`` outputs. ``model`` itself is not changed.
    """
    if n_classes < 1:
        raise ValueError(f"transfer: n_classes must be >= 1, got {n_classes}")
    new = copy.deepcopy(model)
    n_features = model.n_feature_layers
    linears = [i for i in range(n_features, len(new)) if isinstance(new[i], nn.Linear)]
    if not linears:
        raise ValueError("transfer: the model has no Linear layer after its features")
    torch.manual_seed(seed)
    for i in linears:
        old = new[i]
        n_out = n_classes if i == linears[-1] else old.out_features
        new[i] = nn.Linear(old.in_features, n_out).to(
            old.weight.device, old.weight.dtype
        )
    for layer in list(new)[:n_features]:
        layer.requires_grad_(not freeze)
    return new


def feature_maps(model: nn.Sequential, x: Any) -> list[tuple[str, np.ndarray]]:
    """Run ``x`` (N, C, H, W) through a Sequential model in eval mode and return
    ``[(layer name, output as a NumPy array), ...]`` for every layer, in order."""
    dev = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    h = torch.as_tensor(np.asarray(x)).to(device=dev, dtype=dtype)
    out = []
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for i, layer in enumerate(model):
                h = layer(h)
                out.append((f"{i}: {type(layer).__name__}", to_numpy(h)))
    finally:
        model.train(was_training)
    return out


def shift_augment(
    X: torch.Tensor, max_shift: int, generator: torch.Generator
) -> torch.Tensor:
    """Translate each image (N, C, H, W) by a random whole number of pixels in
    ``[-max_shift, max_shift]`` along each axis, filling with zeros.

    A shifted digit is still the same digit: this shows the network more
    positions than the data set has, for free.
    """
    if max_shift <= 0:
        return X
    n, _, h, w = X.shape
    pad = torch.nn.functional.pad(X, (max_shift,) * 4)
    shifts = torch.randint(0, 2 * max_shift + 1, (n, 2), generator=generator)
    rows = (shifts[:, 0, None] + torch.arange(h)[None, :]).to(X.device)  # (N, H)
    cols = (shifts[:, 1, None] + torch.arange(w)[None, :]).to(X.device)  # (N, W)
    idx_n = torch.arange(n, device=X.device)[:, None, None]
    # pad[n, :, rows[n, i], cols[n, j]] for every image n and pixel (i, j)
    return pad.permute(0, 2, 3, 1)[idx_n, rows[:, :, None], cols[:, None, :]].permute(
        0, 3, 1, 2
    )


def train_classifier(
    model: nn.Module,
    X: Any,
    y: Any,
    epochs: int,
    lr: float = 3e-3,
    batch_size: int = 64,
    weight_decay: float = 0.0,
    max_shift: int = 0,
    label_smoothing: float = 0.0,
    seed: int = 0,
) -> list[float]:
    """Adam + cross-entropy on ``(X, y)`` with optional random shifts; returns the mean
    training loss of every epoch.

    Like :func:`dlcourse.train.fit`, plus data augmentation (``max_shift``) and a
    cosine learning-rate schedule (large steps early, small steps to settle).
    Parameters with ``requires_grad=False`` (frozen layers) are left untouched.
    Seeded: the same ``seed`` and a freshly built model give the same weights on the
    CPU.
    """
    dev = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    X = torch.as_tensor(np.asarray(X)).to(device=dev, dtype=dtype)
    y = torch.as_tensor(np.asarray(y)).to(device=dev, dtype=torch.long)
    if len(X) != len(y):
        raise ValueError(
            f"train_classifier: X and y have different lengths: {len(X)} != {len(y)}"
        )
    gen = torch.Generator().manual_seed(seed)
    trainable = [p for p in model.parameters() if p.requires_grad]  # not frozen ones
    opt = torch.optim.Adam(trainable, lr=lr, weight_decay=weight_decay)
    sizes = [min(batch_size, len(X) - start) for start in range(0, len(X), batch_size)]
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=max(epochs * len(sizes), 1)
    )

    def shuffled() -> Iterator[Batch]:
        order = torch.randperm(len(X), generator=gen).to(dev)
        for start in range(0, len(X), batch_size):
            idx = order[start : start + batch_size]
            yield X[idx], y[idx]

    step_losses = train_torch(
        model,
        lambda scores, labels: F.cross_entropy(
            scores, labels, label_smoothing=label_smoothing
        ),
        opt,
        shuffled,
        epochs,
        on_batch=lambda images, labels: (shift_augment(images, max_shift, gen), labels),
        schedule=sched,
    )
    losses = []
    for epoch in range(epochs):
        total = 0.0  # the epoch's mean loss, each batch weighted by its size
        for loss, size in zip(step_losses[epoch * len(sizes) :], sizes):
            total += loss * size
        losses.append(total / len(X))
    model.eval()
    return losses

"""Fine-tuning a pretrained GPT: on new text, or with a new head for a labelled task.

Pretraining teaches a language model (:class:`dlcourse.models.gpt.GPT`) to predict the
next token of unlabelled text. Its last layer's features then describe the text read so
far; a downstream task with few labels starts from them instead of from random weights
(Radford et al. 2018; Howard and Ruder 2018).

:func:`fine_tune_lm` continues next-token training on a small text of a new domain, on a
*copy* of the pretrained model (usually with a smaller learning rate and few steps, so
that it adapts without forgetting), leaving the pretrained model untouched.

For a labelled task, :class:`GPTClassifier` keeps a *copy* of the
pretrained network's embeddings and blocks, drops its next-token head, and puts a new
linear head on the features of the *last* position (``pool="last"``, GPT's choice: under the
causal mask it is the only position that has seen the whole input), or on their mean over the
positions (``pool="mean"``):

.. math::

    \\text{logits} = W\\, \\bar{\\mathbf{h}} + \\mathbf{b}, \\qquad
    \\bar{\\mathbf{h}} = \\mathbf{h}_T \\ \\text{or}\\ \\tfrac{1}{T}\\textstyle\\sum_t \\mathbf{h}_t,
    \\qquad \\mathbf{h} = \\mathrm{GPT.features}(x) .

:func:`fine_tune` trains all of it (the new head and the copied body) with AdamW on
seeded minibatches. Given a freshly initialised GPT, the same code trains the same
network from scratch, so the two differ only in where the weights start.

See chapter: Language models: tokens, pretraining and fine-tuning (book/14_language_models.ipynb)
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dlcourse.models.gpt import GPT, train_lm
from dlcourse.models.training import Batch, train_torch

__all__ = ["fine_tune_lm", "GPTClassifier", "fine_tune", "classifier_accuracy"]


def fine_tune_lm(
    pretrained: GPT,
    tokens: np.ndarray,
    steps: int,
    batch_size: int = 16,
    lr: float = 5e-4,
    seed: int = 0,
) -> GPT:
    """A copy of ``pretrained`` trained ``steps`` more steps on the 1-D ``tokens`` with
    :func:`dlcourse.models.gpt.train_lm` (AdamW, cosine decay). ``pretrained`` is unchanged."""
    model = copy.deepcopy(pretrained)
    train_lm(model, tokens, steps=steps, batch_size=batch_size, lr=lr, seed=seed)
    return model


class GPTClassifier(nn.Module):
    """A copy of ``gpt`` without its next-token head, plus a new head to ``n_classes``.

    ``forward(idx (N, T) int64) -> logits (N, n_classes)``. The original ``gpt`` is left
    untouched, so one pretrained model can be fine-tuned many times. ``seed`` (if not
    None) seeds torch's global generator before the head is drawn.
    """

    def __init__(
        self, gpt: GPT, n_classes: int, pool: str = "last", seed: int | None = 0
    ) -> None:
        super().__init__()
        if pool not in ("last", "mean"):
            raise ValueError(
                f"GPTClassifier: pool must be 'last' or 'mean', got {pool!r}"
            )
        if n_classes < 2:
            raise ValueError(f"GPTClassifier: n_classes must be >= 2, got {n_classes}")
        if seed is not None:
            torch.manual_seed(seed)
        body = copy.deepcopy(gpt)
        d_model = body.head.in_features
        body.head = nn.Identity()  # type: ignore[assignment]  # next-token head: unused
        self.body, self.pool = body, pool
        self.head = nn.Linear(d_model, n_classes).to(next(gpt.parameters()).device)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        h = self.body.features(idx)  # (N, T, d_model)
        return self.head(h[:, -1] if self.pool == "last" else h.mean(dim=1))


def fine_tune(
    model: GPTClassifier,
    X: np.ndarray,
    y: np.ndarray,
    steps: int,
    batch_size: int = 32,
    lr: float = 1e-3,
    seed: int = 0,
) -> list[float]:
    """AdamW on the cross-entropy for ``steps`` minibatches drawn (seeded, with
    replacement) from ``(X (N, T), y (N,))``. Returns the training loss of every step."""
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or y.shape != (len(X),):
        raise ValueError(
            f"fine_tune: expected X of shape (N, T) and y of shape (N,), got "
            f"{X.shape} and {y.shape}"
        )
    dev = next(model.parameters()).device
    X_t = torch.as_tensor(X, dtype=torch.long, device=dev)
    y_t = torch.as_tensor(y, dtype=torch.long, device=dev)
    rng = np.random.default_rng(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)

    def random_batches() -> Iterator[Batch]:
        for _ in range(steps):
            idx = torch.as_tensor(
                rng.integers(0, len(X_t), size=batch_size), device=dev
            )
            yield X_t[idx], y_t[idx]

    return train_torch(model, F.cross_entropy, opt, random_batches())


@torch.no_grad()
def classifier_accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    """Share of ``X``'s rows that ``model`` classifies as ``y`` (evaluation mode)."""
    dev = next(model.parameters()).device
    was_training = model.training
    model.eval()
    logits = model(torch.as_tensor(np.asarray(X), dtype=torch.long, device=dev))
    model.train(was_training)
    pred = logits.argmax(dim=-1).cpu().numpy()
    return float((pred == np.asarray(y)).mean())

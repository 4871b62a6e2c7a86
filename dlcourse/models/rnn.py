"""Recurrent models in PyTorch: a sequence regressor and a character language model.

The from-scratch layers of :mod:`dlcourse.rnn` show how an RNN works; these are the same
layers from ``torch.nn`` (fast, GPU-ready), wrapped as complete models:

* :class:`SequenceRegressor` reads a sequence ``x_1 … x_T`` with an RNN, LSTM or GRU
  and maps the last hidden state to a number, ``ŷ = w·h_T + b`` (the adding problem).
* :class:`CharLM` embeds characters, runs an LSTM/GRU and predicts the next character:
  ``p(x_{t+1} | x_{≤t}) = softmax(W h_t + b)``, trained with cross-entropy.
  :meth:`CharLM.generate` samples from ``softmax(logits / temperature)``.

:func:`train_regressor` and :func:`train_char_lm` are short training loops (Adam with
gradient-norm clipping, Pascanu et al. 2013) with seeded minibatches. Everything runs on
:func:`dlcourse.device.device`.

See chapter: Recurrent networks, LSTMs and GRUs (book/12_rnn.ipynb)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from dlcourse.device import device
from dlcourse.models.training import Batch, train_torch

__all__ = [
    "SequenceRegressor",
    "CharLM",
    "train_regressor",
    "train_char_lm",
    "mse",
    "char_lm_loss",
    "CELLS",
]

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _cell(cell: str, input_size: int, hidden: int) -> nn.Module:
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
    return CELLS[cell](input_size, hidden, batch_first=True)


class SequenceRegressor(nn.Module):
    """Regression on a sequence: a recurrent layer, then a linear read-out of ``h_T``.

    ``forward(x (N, T, input_size)) -> ŷ (N,)``. ``cell`` is ``"rnn"`` (tanh Elman),
    ``"lstm"`` or ``"gru"``; the layer is ``self.rnn`` (``batch_first=True``, one layer)
    so :meth:`dlcourse.rnn.LSTM.from_torch` can copy it.
    ``seed`` (if not None) seeds torch's global generator before the weights are drawn.
    """

    def __init__(
        self,
        input_size: int = 2,
        hidden: int = 32,
        cell: str = "lstm",
        seed: int | None = 0,
    ) -> None:
        super().__init__()
        if seed is not None:
            torch.manual_seed(seed)
        self.cell = cell
        self.rnn = _cell(cell, input_size, hidden)
        self.head = nn.Linear(hidden, 1)
        self.to(device())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs, _ = self.rnn(x)
        return self.head(outputs[:, -1]).squeeze(-1)


class CharLM(nn.Module):
    """Character-level language model: embedding -> LSTM/GRU -> linear to V logits.

    ``forward(ids (N, T), state=None) -> (logits (N, T, V), state)`` with
    V = ``vocab_size``. Give ``vocab`` (a :class:`dlcourse.data.text.CharVocab`) to let
    :meth:`generate` take and return strings.
    ``seed`` (if not None) seeds torch's global generator before the weights are drawn.
    """

    def __init__(
        self,
        vocab_size: int,
        hidden: int = 128,
        cell: str = "lstm",
        embed: int = 32,
        vocab: Any = None,
        seed: int | None = 0,
    ) -> None:
        super().__init__()
        if cell not in ("lstm", "gru"):
            raise ValueError(f"CharLM: cell must be 'lstm' or 'gru', got {cell!r}")
        if vocab is not None and len(vocab) != vocab_size:
            raise ValueError(
                f"CharLM: vocab has {len(vocab)} tokens but vocab_size={vocab_size}"
            )
        if seed is not None:
            torch.manual_seed(seed)
        self.vocab_size, self.vocab = vocab_size, vocab
        self.embedding = nn.Embedding(vocab_size, embed)
        self.rnn = _cell(cell, embed, hidden)
        self.head = nn.Linear(hidden, vocab_size)
        self.to(device())

    def forward(self, ids: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        outputs, state = self.rnn(self.embedding(ids), state)
        return self.head(outputs), state

    @torch.no_grad()
    def generate(
        self,
        prompt: str | Sequence[int],
        n: int,
        temperature: float = 1.0,
        seed: int = 0,
    ) -> Any:
        """Continue ``prompt`` by ``n`` sampled tokens.

        As ``temperature`` goes to 0 this approaches greedy decoding.

        Returns the prompt plus its continuation, as a string when ``prompt`` is a
        string (needs ``vocab``), else as a list of ids. The sampling generator is
        seeded.
        """
        if temperature <= 0:
            raise ValueError(f"generate: temperature must be > 0, got {temperature}")
        as_text = isinstance(prompt, str)
        if as_text:
            if self.vocab is None:
                raise ValueError(
                    "generate: a string prompt needs CharLM(..., vocab=CharVocab)"
                )
            ids = [int(i) for i in self.vocab.encode(prompt)]
        else:
            ids = [int(i) for i in prompt]
        if not ids:
            raise ValueError("generate: the prompt must contain at least one token")
        was_training = self.training
        self.eval()
        dev = next(self.parameters()).device
        gen = torch.Generator(device="cpu").manual_seed(seed)
        logits, state = self(torch.tensor([ids], device=dev))
        out = list(ids)
        for _ in range(n):
            probs = torch.softmax(logits[0, -1].double().cpu() / temperature, dim=-1)
            nxt = int(torch.multinomial(probs, 1, generator=gen))
            out.append(nxt)  # the model's own sample is its next input
            logits, state = self(torch.tensor([[nxt]], device=dev), state)
        self.train(was_training)
        return self.vocab.decode(out) if as_text else out


def train_regressor(
    model: nn.Module,
    X: np.ndarray,
    y: np.ndarray,
    steps: int,
    batch_size: int = 64,
    lr: float = 1e-2,
    clip: float | None = 1.0,
    seed: int = 0,
) -> list[float]:
    """Adam on the MSE for ``steps`` minibatches drawn (seeded) from ``(X, y)``.

    Returns the training loss of every step.
    """
    dev = next(model.parameters()).device
    X_t = torch.as_tensor(X, dtype=torch.float32, device=dev)
    y_t = torch.as_tensor(y, dtype=torch.float32, device=dev)
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def random_batches() -> Iterator[Batch]:
        for _ in range(steps):
            idx = rng.integers(0, len(X_t), size=batch_size)
            idx_t = torch.as_tensor(idx, device=dev)
            yield X_t[idx_t], y_t[idx_t]

    return train_torch(
        model,
        lambda pred, target: ((pred - target) ** 2).mean(),
        opt,
        random_batches(),
        clip_grad_norm=clip,
    )


@torch.no_grad()
def mse(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error of ``model`` on ``(X, y)`` (evaluation mode)."""
    dev = next(model.parameters()).device
    model.eval()
    pred = model(torch.as_tensor(X, dtype=torch.float32, device=dev))
    model.train()
    return float(
        ((pred - torch.as_tensor(y, dtype=torch.float32, device=dev)) ** 2).mean()
    )


def train_char_lm(
    model: CharLM,
    ids: np.ndarray,
    steps: int,
    seq_len: int = 64,
    batch_size: int = 32,
    lr: float = 5e-3,
    clip: float | None = 1.0,
    seed: int = 0,
) -> list[float]:
    """Adam on next-character cross-entropy over random windows of ``ids``.

    Each window of ``seq_len`` characters starts from a zero state (nothing is carried
    from window to window), so the gradient reaches back at most ``seq_len`` steps:
    truncated backpropagation through time. The inputs are the true characters of the
    text, not the model's predictions: teacher forcing.

    Returns the training loss (nats) of every step.
    """
    dev = next(model.parameters()).device
    ids_t = torch.as_tensor(np.asarray(ids, dtype=np.int64), device=dev)
    if len(ids_t) <= seq_len:
        raise ValueError(
            f"train_char_lm: {len(ids_t)} tokens are too few for seq_len={seq_len}"
        )
    rng = np.random.default_rng(seed)
    offsets = torch.arange(seq_len + 1, device=dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def random_windows() -> Iterator[Batch]:
        for _ in range(steps):
            starts = torch.as_tensor(
                rng.integers(0, len(ids_t) - seq_len, size=batch_size), device=dev
            )
            windows = ids_t[starts[:, None] + offsets]
            # teacher forcing: the inputs are the true characters; predict each next one
            yield windows[:, :-1], windows[:, 1:]

    def next_char_loss(output: Any, targets: torch.Tensor) -> torch.Tensor:
        logits, _ = output  # (logits, final state)
        return nn.functional.cross_entropy(
            logits.reshape(-1, model.vocab_size), targets.reshape(-1)
        )

    return train_torch(
        model, next_char_loss, opt, random_windows(), clip_grad_norm=clip
    )


@torch.no_grad()
def char_lm_loss(model: CharLM, ids: np.ndarray, seq_len: int = 64) -> float:
    """Mean next-character cross-entropy (nats) over consecutive windows of ``ids``."""
    dev = next(model.parameters()).device
    ids = np.asarray(ids, dtype=np.int64)
    n = (len(ids) - 1) // seq_len
    if n < 1:
        raise ValueError(
            f"char_lm_loss: {len(ids)} tokens are too few for seq_len={seq_len}"
        )
    x = torch.as_tensor(ids[: n * seq_len].reshape(n, seq_len), device=dev)
    y = torch.as_tensor(ids[1 : n * seq_len + 1].reshape(n, seq_len), device=dev)
    model.eval()
    logits, _ = model(x)
    model.train()
    return float(
        nn.functional.cross_entropy(logits.reshape(-1, model.vocab_size), y.reshape(-1))
    )

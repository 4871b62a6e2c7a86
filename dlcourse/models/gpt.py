"""A small decoder-only Transformer (GPT) in PyTorch.

The model of Radford et al. (2018, 2019) in its pre-norm (GPT-2) layout:

.. math::

    h_0 &= E_{\\text{tok}}[x] + E_{\\text{pos}}[0..T-1] \\\\
    h &\\leftarrow h + \\mathrm{MHA}(\\mathrm{LN}(h), \\text{causal mask}) \\\\
    h &\\leftarrow h + W_2\\, \\mathrm{GELU}(W_1 \\mathrm{LN}(h))
        \\qquad (\\times\\ n\\_layers) \\\\
    \\text{logits} &= \\mathrm{LN}(h)\\, W_{\\text{out}}

The attention is causal self-attention: queries, keys and values all come from ``h``,
and the causal mask lets position ``t`` attend only to positions ``≤ t``, so the
logits at ``t`` are a prediction of token ``t + 1`` from the tokens so far
(Vaswani et al. 2017, §3.2.3). The block is the same computation as
:class:`dlcourse.attention.TransformerBlock`, written with ``torch.nn`` so it
is fast and runs on :func:`dlcourse.device.device`.

:class:`TransformerClassifier` reuses the blocks to read a whole sequence and
classify it from its last position (the long-range recall task).

See chapter: Attention and Transformers (book/13_attention.ipynb); Language models: tokens,
pretraining and fine-tuning (book/14_language_models.ipynb)
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dlcourse.device import device
from dlcourse.models.training import train_torch

if TYPE_CHECKING:
    from dlcourse.attention import TransformerBlock

__all__ = [
    "Block",
    "GPT",
    "TransformerClassifier",
    "block_to_scratch",
    "lm_loss",
    "evaluate_lm",
    "train_lm",
]


class Block(nn.Module):
    """Pre-norm Transformer block: ``x + MHA(LN(x))`` then ``x + MLP(LN(x))``.

    ``last_weights`` keeps the attention weights of the last forward pass,
    (N, heads, T, T), for heat maps.
    """

    def __init__(
        self, d_model: int, n_heads: int, dropout: float = 0.0, d_ff: int | None = None
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(
            d_model, n_heads, dropout=dropout, batch_first=True
        )
        self.norm2 = nn.LayerNorm(d_model)
        d_ff = 4 * d_model if d_ff is None else d_ff
        self.mlp: nn.Sequential = nn.Sequential(
            nn.Linear(d_model, d_ff),
            nn.GELU(),
            nn.Linear(d_ff, d_model),
            nn.Dropout(dropout),
        )
        self.dropout = nn.Dropout(dropout)
        self.last_weights: torch.Tensor | None = None

    def forward(
        self, x: torch.Tensor, blocked: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``blocked``: boolean (T, T), ``True`` where attention is *not* allowed.

        (torch's convention; :func:`dlcourse.attention.causal_mask` is the opposite.)
        """
        h = self.norm1(x)
        attended, weights = self.attn(
            h, h, h, attn_mask=blocked, need_weights=True, average_attn_weights=False
        )
        self.last_weights = weights.detach()
        x = x + self.dropout(attended)
        return x + self.mlp(self.norm2(x))


def block_to_scratch(block: Block) -> TransformerBlock:
    """The same block as a from-scratch :class:`dlcourse.attention.TransformerBlock`.

    In float64. Our ``attn``, ``mlp[0]``, ``mlp[2]``, ``norm1``, ``norm2`` become its
    ``self_attn``, ``linear1``, ``linear2``, ``norm1``, ``norm2``. Remember the mask
    conventions differ: pass ``causal_mask(T)`` (``True`` = attend) to it where this
    block gets ``blocked``.
    """
    from dlcourse import nn as dnn
    from dlcourse.attention import MultiHeadAttention, TransformerBlock
    from dlcourse.normalization import LayerNorm

    expand = block.mlp[0]
    assert isinstance(expand, nn.Linear)
    d_model, d_ff = expand.in_features, expand.out_features
    new = TransformerBlock(
        d_model, block.attn.num_heads, d_ff, activation="gelu", rng=0
    )
    new.self_attn = MultiHeadAttention.from_torch(block.attn)
    new.linear1, new.linear2 = (
        dnn.Linear.from_torch(block.mlp[0]),
        dnn.Linear.from_torch(block.mlp[2]),
    )
    new.norm1, new.norm2 = (
        LayerNorm.from_torch(block.norm1),
        LayerNorm.from_torch(block.norm2),
    )
    return new


class _Trunk(nn.Module):
    """Token + learned position embeddings, a stack of blocks and a final LayerNorm."""

    blocked: torch.Tensor  # a buffer: (context, context), True above the diagonal

    def __init__(
        self,
        vocab_size: int,
        d_model: int,
        n_heads: int,
        n_layers: int,
        context: int,
        dropout: float,
        causal: bool,
    ) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(
                f"d_model {d_model} must be divisible by n_heads {n_heads}"
            )
        self.vocab_size, self.context, self.causal = vocab_size, context, causal
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(context, d_model)
        self.drop = nn.Dropout(dropout)
        self.blocks: nn.ModuleList = nn.ModuleList(
            Block(d_model, n_heads, dropout) for _ in range(n_layers)
        )
        self.norm = nn.LayerNorm(d_model)
        # "Future" positions are blocked: True above the diagonal (torch's convention).
        self.register_buffer(
            "blocked",
            torch.triu(torch.ones(context, context, dtype=torch.bool), 1),
            persistent=False,
        )

    def features(self, idx: torch.Tensor) -> torch.Tensor:
        if idx.ndim != 2:
            raise ValueError(
                f"expected token ids of shape (N, T), got {tuple(idx.shape)}"
            )
        # dlcourse.train.fit hands over inputs in the model's float dtype
        idx = idx.long()
        T = idx.shape[1]
        if self.context < T:
            raise ValueError(f"sequence length {T} exceeds the context {self.context}")
        pos = torch.arange(T, device=idx.device)
        h = self.drop(self.tok_emb(idx) + self.pos_emb(pos))
        blocked = self.blocked[:T, :T] if self.causal else None
        for block in self.blocks:
            h = block(h, blocked)
        return self.norm(h)


class GPT(_Trunk):
    """Decoder-only Transformer language model.

    ``GPT(vocab_size, d_model, n_heads, n_layers, context, dropout)``;
    ``forward(idx (N, T) int64) -> logits (N, T, vocab_size)``, where
    ``logits[:, t]`` predicts token ``t + 1``. Built on :func:`dlcourse.device.device`.
    """

    def __init__(
        self,
        vocab_size: int,
        d_model: int = 32,
        n_heads: int = 2,
        n_layers: int = 2,
        context: int = 32,
        dropout: float = 0.0,
    ) -> None:
        super().__init__(
            vocab_size, d_model, n_heads, n_layers, context, dropout, causal=True
        )
        self.head = nn.Linear(d_model, vocab_size)
        self.to(device())

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(idx))

    @torch.no_grad()
    def generate(
        self,
        idx: torch.Tensor | np.ndarray,
        max_new_tokens: int,
        temperature: float = 1.0,
        seed: int | None = 0,
    ) -> torch.Tensor:
        """Append ``max_new_tokens`` tokens to ``idx`` (N, T), sampling each from
        ``softmax(logits / temperature)`` given the last ``context`` tokens.
        ``temperature=0`` takes the arg-max (greedy decoding)."""
        dev = next(self.parameters()).device
        idx = torch.as_tensor(idx, dtype=torch.long, device=dev)
        if idx.ndim == 1:
            idx = idx[None]
        gen = torch.Generator(device=dev)
        if seed is not None:
            gen.manual_seed(seed)
        was_training = self.training
        self.eval()
        for _ in range(max_new_tokens):
            logits = self(idx[:, -self.context :])[:, -1]
            if temperature == 0:
                nxt = logits.argmax(dim=-1, keepdim=True)
            else:
                probs = F.softmax(logits / temperature, dim=-1)
                nxt = torch.multinomial(probs, 1, generator=gen)
            idx = torch.cat([idx, nxt], dim=1)
        self.train(was_training)
        return idx


class TransformerClassifier(_Trunk):
    """Transformer encoder (no causal mask) that classifies a sequence.

    It reads the sequence with self-attention and classifies it from its last position:
    ``forward(idx (N, T)) -> logits (N, n_classes)``. Built on
    :func:`dlcourse.device.device`.
    """

    def __init__(
        self,
        vocab_size: int,
        n_classes: int,
        d_model: int = 32,
        n_heads: int = 2,
        n_layers: int = 1,
        context: int = 64,
        dropout: float = 0.0,
    ) -> None:
        super().__init__(
            vocab_size, d_model, n_heads, n_layers, context, dropout, causal=False
        )
        self.head = nn.Linear(d_model, n_classes)
        self.to(device())

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(idx)[:, -1])


def lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy (nats/token): logits (N, T, V), targets (N, T)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def _windows(
    tokens: torch.Tensor, starts: torch.Tensor, T: int
) -> tuple[torch.Tensor, torch.Tensor]:
    offsets = starts[:, None] + torch.arange(T + 1, device=tokens.device)
    chunk = tokens[offsets]
    return chunk[:, :-1], chunk[:, 1:]


@torch.no_grad()
def evaluate_lm(model: GPT, tokens: np.ndarray, skip: int = 0) -> float:
    """Mean next-token loss over non-overlapping windows of ``tokens``.

    The first ``skip`` predictions of each window are ignored (too little context to be
    fair).
    """
    dev = next(model.parameters()).device
    T = model.context
    data = torch.as_tensor(np.asarray(tokens), dtype=torch.long, device=dev)
    starts = torch.arange(0, len(data) - T - 1, T, device=dev)
    x, y = _windows(data, starts, T)
    was_training = model.training
    model.eval()
    logits = model(x)
    model.train(was_training)
    return float(lm_loss(logits[:, skip:], y[:, skip:]))


def train_lm(
    model: GPT,
    tokens: np.ndarray,
    steps: int,
    batch_size: int = 32,
    lr: float = 3e-3,
    val_tokens: np.ndarray | None = None,
    eval_every: int = 50,
    skip: int = 0,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Train ``model`` on random windows of the 1-D ``tokens`` stream with AdamW.

    Returns ``{"step": [...], "train_loss": [...], "val_loss": [...]}`` (losses in
    nats/token; validation every ``eval_every`` steps and after the last). The
    learning rate decays with a cosine schedule to 10 % of ``lr``.
    """
    torch.manual_seed(seed)
    dev = next(model.parameters()).device
    data = torch.as_tensor(np.asarray(tokens), dtype=torch.long, device=dev)
    T = model.context
    if len(data) <= T + 1:
        raise ValueError(
            f"train_lm: {len(data)} tokens are too few for windows of {T} + 1"
        )
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps))
    )
    gen = torch.Generator(device="cpu").manual_seed(seed)
    log: dict[str, list[float]] = {"step": [], "train_loss": [], "val_loss": []}

    def random_windows() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for _ in range(steps):
            starts = torch.randint(0, len(data) - T - 1, (batch_size,), generator=gen)
            yield _windows(data, starts.to(dev), T)

    def validate(step: int, loss: float) -> None:
        if val_tokens is not None and (step % eval_every == 0 or step == steps):
            log["step"].append(step)
            log["train_loss"].append(loss)
            log["val_loss"].append(evaluate_lm(model, val_tokens, skip))

    train_torch(model, lm_loss, opt, random_windows(), schedule=sched, on_step=validate)
    return log

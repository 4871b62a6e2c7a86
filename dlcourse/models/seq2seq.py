"""An encoder-decoder with attention (number → words) and an LSTM classifier.

Both in PyTorch.


**Translation with attention** (Bahdanau, Cho & Bengio 2015; the dot-product
score of Luong, Pham & Manning 2015). The encoder, a bidirectional GRU, turns
the source ``x_1 … x_S`` into one vector per position, ``h_1 … h_S`` (the
*keys* and *values*). The decoder, a GRU over the target so far, produces a
state ``s_t`` (the *query*) per output step and looks the source up. Queries from
one sequence, keys and values from another: this is *cross-attention*.

.. math::

    \\alpha_{t,j}
    = \\mathrm{softmax}_j\\Big(\\frac{(W_q s_t)^\\top h_j}{\\sqrt{d}}\\Big),\\qquad
    c_t = \\sum_j \\alpha_{t,j}\\, h_j,\\qquad
    \\text{logits}_t = W_o\\,[s_t; c_t].

The weights ``α`` (one row per output character) are exposed for heat maps:
reading "342" as "three hundred forty two", the rows of "three" should look
at the "3".

:class:`LSTMClassifier` is the recurrent baseline for the long-range recall
task: it reads a token sequence and classifies it from its last hidden state.

See chapter: Attention and Transformers (book/13_attention.ipynb)
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dlcourse.device import device

__all__ = ["Seq2Seq", "LSTMClassifier"]


class Seq2Seq(nn.Module):
    """GRU encoder-decoder with scaled dot-product attention over the encoder states.

    ``forward(src (N, S), tgt_in (N, T)) -> logits (N, T, tgt_vocab)`` with teacher
    forcing (``tgt_in`` is the target shifted right, starting with ``<bos>``);
    ``last_weights`` keeps the attention weights (N, T, S). Padding in ``src``
    (id ``pad_id``) is masked out of the attention. Built on
    :func:`dlcourse.device.device`.
    """

    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        hidden: int = 64,
        embed: int = 32,
        pad_id: int = 0,
    ) -> None:
        super().__init__()
        if hidden % 2:
            raise ValueError(
                f"Seq2Seq: hidden must be even (two encoder directions), got {hidden}"
            )
        self.pad_id, self.hidden = pad_id, hidden
        self.src_emb = nn.Embedding(src_vocab, embed)
        self.tgt_emb = nn.Embedding(tgt_vocab, embed)
        self.encoder = nn.GRU(embed, hidden // 2, batch_first=True, bidirectional=True)
        # encoder summary -> initial decoder state
        self.bridge = nn.Linear(hidden, hidden)
        self.decoder = nn.GRU(embed, hidden, batch_first=True)
        self.query = nn.Linear(hidden, hidden, bias=False)
        self.out = nn.Linear(2 * hidden, tgt_vocab)
        self.last_weights: torch.Tensor | None = None
        self.to(device())

    def encode(
        self, src: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encoder states (N, S, hidden), first decoder state (1, N, hidden), keep mask.

        The keep mask (N, S) is ``True`` at the source positions that are not padding.
        """
        keep = src != self.pad_id
        states, _ = self.encoder(self.src_emb(src))
        summary = (states * keep[..., None]).sum(1) / keep.sum(1, keepdim=True).clamp(
            min=1
        )
        return states, torch.tanh(self.bridge(summary))[None], keep

    def attend(
        self, s: torch.Tensor, states: torch.Tensor, keep: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Cross-attention: decoder states (N, T, hidden) query the encoder states.

        Returns contexts (N, T, hidden) and weights (N, T, S).
        """
        scores = self.query(s) @ states.transpose(1, 2) / math.sqrt(self.hidden)
        weights = F.softmax(
            scores.masked_fill(~keep[:, None, :], float("-inf")), dim=-1
        )
        return weights @ states, weights

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        states, h0, keep = self.encode(src)
        s, _ = self.decoder(self.tgt_emb(tgt_in), h0)
        context, weights = self.attend(s, states, keep)
        self.last_weights = weights.detach()
        return self.out(torch.cat([s, context], dim=-1))

    @torch.no_grad()
    def translate(
        self, src: torch.Tensor | np.ndarray, bos_id: int, eos_id: int, max_len: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Greedy decoding.

        Returns ids (N, max_len) (without ``<bos>``) and the attention weights
        (N, max_len, S) as NumPy arrays; decoding stops once every row has emitted
        ``eos_id``.
        """
        dev = next(self.parameters()).device
        src = torch.as_tensor(src, dtype=torch.long, device=dev)
        was_training = self.training
        self.eval()
        states, h, keep = self.encode(src)
        prev = torch.full((len(src), 1), bos_id, dtype=torch.long, device=dev)
        ids, weights = [], []
        done = torch.zeros(len(src), dtype=torch.bool, device=dev)
        for _ in range(max_len):
            s, h = self.decoder(self.tgt_emb(prev), h)
            context, w = self.attend(s, states, keep)
            prev = self.out(torch.cat([s, context], dim=-1)).argmax(-1)
            ids.append(prev)
            weights.append(w)
            done |= prev[:, 0] == eos_id
            if bool(done.all()):
                break
        self.train(was_training)
        return torch.cat(ids, 1).cpu().numpy(), torch.cat(weights, 1).cpu().numpy()


class LSTMClassifier(nn.Module):
    """Embedding → ``torch.nn.LSTM`` → linear head on the last hidden state.

    ``forward(idx (N, T)) -> logits (N, n_classes)``. Built on
    :func:`dlcourse.device.device`.
    """

    def __init__(
        self,
        vocab_size: int,
        n_classes: int,
        embed: int = 32,
        hidden: int = 64,
        num_layers: int = 1,
    ) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden, n_classes)
        self.to(device())

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.emb(idx.long()))  # fit() passes inputs as floats
        return self.head(out[:, -1])

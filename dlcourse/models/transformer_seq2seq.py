"""An encoder–decoder Transformer for translation (number → words), in PyTorch.

The architecture of Vaswani et al. (2017, §3.1), small and pre-norm. The
**encoder** reads the source with *self-attention* (every digit looks at every
digit) and leaves one vector per source position, the *memory*. The **decoder**
writes the target one symbol at a time; each of its layers has masked
self-attention over the symbols written so far, then *cross-attention*: the
queries come from the decoder, the keys and values from the memory, so the
weights form a (T × S) matrix, one row per output symbol, one column per source
position. Positions enter as the sinusoidal encodings of
:func:`dlcourse.attention.positional_encoding`:

.. math::

    \\text{memory} &= \\mathrm{Encoder}(E_{\\text{src}}[x] \\sqrt{d} + PE) \\\\
    \\text{logits} &= W_o\\, \\mathrm{LN}(\\mathrm{Decoder}(E_{\\text{tgt}}[y_{<t}]
        \\sqrt{d} + PE,\\ \\text{memory}))

The layers are ``torch.nn.TransformerEncoderLayer`` and
``torch.nn.TransformerDecoderLayer``; :func:`dlcourse.interop.from_torch` turns a
decoder layer into the from-scratch :class:`dlcourse.decoder.TransformerDecoderLayer`.
:meth:`TransformerSeq2Seq.translate` decodes greedily, with the same interface as
:meth:`dlcourse.models.seq2seq.Seq2Seq.translate`.

See chapter: Attention and Transformers (book/13_attention.ipynb)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from dlcourse.attention import positional_encoding
from dlcourse.device import device

__all__ = ["TransformerSeq2Seq"]


class TransformerSeq2Seq(nn.Module):
    """Encoder–decoder Transformer: ``forward(src (N, S), tgt_in (N, T))`` → logits.

    Logits are (N, T, tgt_vocab), with teacher forcing (``tgt_in`` is the target
    shifted right, starting with ``<bos>``). Padding (id ``pad_id``) in ``src`` is
    masked out of the attention. Pre-norm layers (``norm_first=True``), batch first,
    ReLU feed-forward. Built on :func:`dlcourse.device.device`.
    """

    pe: torch.Tensor  # the positional encodings (max_len, d_model), a buffer

    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        d_model: int = 32,
        nhead: int = 2,
        num_encoder_layers: int = 1,
        num_decoder_layers: int = 1,
        dim_feedforward: int = 64,
        dropout: float = 0.0,
        max_len: int = 64,
        pad_id: int = 0,
    ) -> None:
        super().__init__()
        self.pad_id, self.d_model = pad_id, d_model
        self.src_emb = nn.Embedding(src_vocab, d_model)
        self.tgt_emb = nn.Embedding(tgt_vocab, d_model)
        pe = torch.tensor(positional_encoding(max_len, d_model), dtype=torch.float32)
        self.register_buffer("pe", pe, persistent=False)
        settings: dict[str, Any] = {
            "d_model": d_model,
            "nhead": nhead,
            "dim_feedforward": dim_feedforward,
            "dropout": dropout,
            "batch_first": True,
            "norm_first": True,
        }
        self.encoder = nn.ModuleList(
            nn.TransformerEncoderLayer(**settings) for _ in range(num_encoder_layers)
        )
        self.decoder = nn.ModuleList(
            nn.TransformerDecoderLayer(**settings) for _ in range(num_decoder_layers)
        )
        self.enc_norm, self.dec_norm = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.out = nn.Linear(d_model, tgt_vocab)
        self.to(device())

    def _embed(self, emb: nn.Embedding, ids: torch.Tensor) -> torch.Tensor:
        if ids.shape[1] > len(self.pe):
            raise ValueError(
                f"TransformerSeq2Seq: sequence of shape {tuple(ids.shape)} is longer "
                f"than max_len = {len(self.pe)}"
            )
        return emb(ids) + self.pe[: ids.shape[1]]

    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The memory (N, S, d_model) and the padding mask (N, S), ``True`` = padding."""
        pad = src == self.pad_id
        x = self._embed(self.src_emb, src)
        for layer in self.encoder:
            x = layer(x, src_key_padding_mask=pad)
        return self.enc_norm(x), pad

    def decode(
        self, tgt_in: torch.Tensor, memory: torch.Tensor, pad: torch.Tensor
    ) -> torch.Tensor:
        """Logits (N, T, tgt_vocab) for the target so far, under a causal mask."""
        T = tgt_in.shape[1]
        causal = torch.triu(
            torch.ones(T, T, dtype=torch.bool, device=tgt_in.device), 1
        )  # True = blocked (torch's convention)
        x = self._embed(self.tgt_emb, tgt_in)
        for layer in self.decoder:
            x = layer(x, memory, tgt_mask=causal, memory_key_padding_mask=pad)
        return self.out(self.dec_norm(x))

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        if src.ndim != 2 or tgt_in.ndim != 2 or len(src) != len(tgt_in):
            raise ValueError(
                f"TransformerSeq2Seq: src of shape {tuple(src.shape)} and tgt_in of "
                f"shape {tuple(tgt_in.shape)} must be (N, S) and (N, T) id arrays"
            )
        memory, pad = self.encode(src)
        return self.decode(tgt_in, memory, pad)

    @torch.no_grad()
    def cross_weights(
        self, src: torch.Tensor, tgt_in: torch.Tensor, layer: int = -1
    ) -> torch.Tensor:
        """Cross-attention weights (N, heads, T, S) of one decoder layer (the last)."""
        memory, pad = self.encode(src)
        stop = layer % len(self.decoder)
        T = tgt_in.shape[1]
        causal = torch.triu(torch.ones(T, T, dtype=torch.bool, device=src.device), 1)
        x = self._embed(self.tgt_emb, tgt_in)
        for k, dec in enumerate(self.decoder):
            assert isinstance(dec, nn.TransformerDecoderLayer)
            if k == stop:  # the layer's first two sub-layers, as norm_first does them
                h = dec.norm1(x)
                x = x + dec.self_attn(h, h, h, attn_mask=causal, need_weights=False)[0]
                h = dec.norm2(x)
                _, w = dec.multihead_attn(
                    h, memory, memory, key_padding_mask=pad, average_attn_weights=False
                )
                return w
            x = dec(x, memory, tgt_mask=causal, memory_key_padding_mask=pad)
        raise AssertionError("unreachable")

    @torch.no_grad()
    def translate(
        self, src: torch.Tensor | np.ndarray, bos_id: int, eos_id: int, max_len: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Greedy decoding: ids (N, ≤ max_len) without ``<bos>``, and the last decoder
        layer's cross-attention weights averaged over heads (N, ≤ max_len, S).

        Stops once every row has emitted ``eos_id``.
        """
        dev = next(self.parameters()).device
        src = torch.as_tensor(src, dtype=torch.long, device=dev)
        was_training = self.training
        self.eval()
        memory, pad = self.encode(src)
        ys = torch.full((len(src), 1), bos_id, dtype=torch.long, device=dev)
        done = torch.zeros(len(src), dtype=torch.bool, device=dev)
        for _ in range(max_len):
            nxt = self.decode(ys, memory, pad)[:, -1].argmax(-1, keepdim=True)
            ys = torch.cat([ys, nxt], 1)
            done |= nxt[:, 0] == eos_id
            if bool(done.all()):
                break
        weights = self.cross_weights(src, ys[:, :-1]).mean(1)
        self.train(was_training)
        return ys[:, 1:].cpu().numpy(), weights.cpu().numpy()

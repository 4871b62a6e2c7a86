"""The Transformer's decoder layer, from scratch: self-attention, cross-attention, MLP.

In the encoder–decoder Transformer (Vaswani et al. 2017, §3.1) the decoder writes
the output one token at a time. Each decoder layer has three sub-layers:

1. **masked self-attention**: queries, keys and values all come from the output
   written so far (``tgt``); a causal mask hides the positions not yet written;
2. **cross-attention**: the queries come from the decoder, the keys and values
   from the encoder's outputs (``memory``), so each output position looks the
   source up (the attention weights are a (T_q × T_k) = (T × S) matrix);
3. a position-wise **feed-forward** network ``W_2 act(W_1 x + b_1) + b_2``.

Each sub-layer is wrapped in a residual connection and a layer norm, after it
(``norm_first=False``, the original post-norm layout) or in front of it
(``norm_first=True``, pre-norm)::

    pre-norm:  x = x + SA(LN1(x));  x = x + CA(LN2(x), memory);  x = x + FF(LN3(x))
    post-norm: x = LN1(x + SA(x));  x = LN2(x + CA(x, memory));  x = LN3(x + FF(x))

:class:`TransformerDecoderLayer` is the twin of ``torch.nn.TransformerDecoderLayer``:
the same constructor arguments, attribute names and forward arguments, and the
same masks as PyTorch's (a boolean ``tgt_mask``/``memory_mask`` marks the
*blocked* pairs, a float one is added to the scores; a key-padding mask is
``True`` at padding). Unlike :func:`dlcourse.attention.scaled_dot_product_attention`,
where ``True`` means *attend*. Dropout is applied where torch applies it except
on the attention weights, so the two agree with ``dropout=0`` or in eval mode.

See chapter: Attention and Transformers (book/13_attention.ipynb)
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from dlcourse import nn
from dlcourse.attention import MultiHeadAttention, activation_of
from dlcourse.autograd import Tensor, as_tensor
from dlcourse.interop import twin_of
from dlcourse.nn import Module
from dlcourse.normalization import LayerNorm
from dlcourse.rng import as_generator

__all__ = ["TransformerDecoderLayer", "merge_masks"]


def merge_masks(
    attn_mask: Any, key_padding_mask: Any, n: int, t_q: int, t_k: int, where: str
) -> np.ndarray | None:
    """PyTorch-style masks as one float mask (N or 1, 1, T_q, T_k) of 0 and -inf.

    ``attn_mask`` (T_q, T_k): boolean ``True`` = blocked, or float (added);
    ``key_padding_mask`` (N, T_k): ``True`` = padding (never attended to). Returns
    None when both are None. ``where`` names the masks in error messages.
    """
    total: np.ndarray | None = None
    for name, mask, shape in (
        (f"{where} mask", attn_mask, (t_q, t_k)),
        (f"{where} key_padding_mask", key_padding_mask, (n, t_k)),
    ):
        if mask is None:
            continue
        m = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
        if m.shape != shape:
            raise ValueError(
                f"TransformerDecoderLayer: {name} of shape {m.shape} must have shape "
                f"{shape}"
            )
        m = np.where(m, -np.inf, 0.0) if m.dtype == bool else m.astype(np.float64)
        m = m[:, None, None, :] if "padding" in name else m[None, None]
        total = m if total is None else total + m
    return total


@twin_of("TransformerDecoderLayer")
class TransformerDecoderLayer(Module):
    """``torch.nn.TransformerDecoderLayer``: masked self-attention, cross-attention, MLP.

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None)`` takes ``tgt`` (N, T, d_model) and ``memory``
    (N, S, d_model) (``batch_first=True``; (T, N, d_model) and (S, N, d_model)
    otherwise) and returns the new ``tgt``. ``last_self_weights`` (N, heads, T, T)
    and ``last_cross_weights`` (N, heads, T, S) keep the attention weights.
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        if activation not in ("relu", "gelu"):
            raise ValueError(
                "TransformerDecoderLayer: activation must be 'relu' or 'gelu', "
                f"got {activation!r}"
            )
        gen = as_generator(rng)
        self.d_model, self.nhead = int(d_model), int(nhead)
        self.batch_first, self.norm_first = bool(batch_first), bool(norm_first)
        self.self_attn = MultiHeadAttention(d_model, nhead, rng=gen, dtype=dtype)
        self.multihead_attn = MultiHeadAttention(d_model, nhead, rng=gen, dtype=dtype)
        self.linear1 = nn.Linear(d_model, dim_feedforward, rng=gen, dtype=dtype)
        self.dropout = nn.Dropout(dropout, rng=gen)
        self.linear2 = nn.Linear(dim_feedforward, d_model, rng=gen, dtype=dtype)
        self.norm1, self.norm2, self.norm3 = (
            LayerNorm(d_model, layer_norm_eps, dtype=dtype) for _ in range(3)
        )
        self.dropout1, self.dropout2, self.dropout3 = (
            nn.Dropout(dropout, rng=gen) for _ in range(3)
        )
        self.activation = nn.GELU() if activation == "gelu" else nn.ReLU()

    def _check(self, tgt: Tensor, memory: Tensor) -> None:
        layout = "(N, T, d_model)" if self.batch_first else "(T, N, d_model)"
        for name, x in (("tgt", tgt), ("memory", memory)):
            if x.ndim != 3 or x.shape[-1] != self.d_model:
                raise ValueError(
                    f"TransformerDecoderLayer: {name} of shape {x.shape} must be "
                    f"{layout} with d_model = {self.d_model}"
                )
        if tgt.shape[0] != memory.shape[0]:
            raise ValueError(
                f"TransformerDecoderLayer: tgt of shape {tgt.shape} and memory of "
                f"shape {memory.shape} must have the same batch size (dimension 0)"
            )

    def _self_block(self, x: Tensor, mask: Any) -> Tensor:
        out, _ = self.self_attn(x, mask=mask)
        self.last_self_weights = self.self_attn.last_weights
        return self.dropout1(out)

    def _cross_block(self, x: Tensor, memory: Tensor, mask: Any) -> Tensor:
        out, _ = self.multihead_attn(x, memory, memory, mask=mask)
        self.last_cross_weights = self.multihead_attn.last_weights
        return self.dropout2(out)

    def _ff_block(self, x: Tensor) -> Tensor:
        hidden = self.dropout(self.activation(self.linear1(x)))
        return self.dropout3(self.linear2(hidden))

    def forward(
        self,
        tgt: Any,
        memory: Any,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
    ) -> Tensor:
        x, memory = as_tensor(tgt), as_tensor(memory)
        if not self.batch_first and x.ndim == 3 and memory.ndim == 3:
            x, memory = (
                x.permute(1, 0, 2),
                memory.permute(1, 0, 2),
            )  # (T, N, E) -> (N, T, E)
        self._check(x, memory)
        n, t, s = x.shape[0], x.shape[1], memory.shape[1]
        self_mask = merge_masks(tgt_mask, tgt_key_padding_mask, n, t, t, "tgt")
        cross_mask = merge_masks(
            memory_mask, memory_key_padding_mask, n, t, s, "memory"
        )
        if self.norm_first:
            x = x + self._self_block(self.norm1(x), self_mask)
            x = x + self._cross_block(self.norm2(x), memory, cross_mask)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._self_block(x, self_mask))
            x = self.norm2(x + self._cross_block(x, memory, cross_mask))
            x = self.norm3(x + self._ff_block(x))
        return x if self.batch_first else x.permute(1, 0, 2)

    def extra_repr(self) -> str:
        return (
            f"d_model={self.d_model}, nhead={self.nhead}, "
            f"batch_first={self.batch_first}, norm_first={self.norm_first}"
        )

    @classmethod
    def from_torch(cls, layer: Any) -> TransformerDecoderLayer:
        """Copy a ``torch.nn.TransformerDecoderLayer`` (float64), ReLU or GELU."""
        name, activation = activation_of(layer, "TransformerDecoderLayer.from_torch")
        new = cls(
            layer.linear1.in_features,
            layer.self_attn.num_heads,
            layer.linear1.out_features,
            layer.dropout.p,
            name,
            layer.norm1.eps,
            batch_first=layer.self_attn.batch_first,
            norm_first=layer.norm_first,
            rng=0,
        )
        if layer.linear1.bias is None:
            raise ValueError(
                "TransformerDecoderLayer.from_torch: layers without biases "
                "(bias=False) are not supported"
            )
        for name_ in ("self_attn", "multihead_attn"):
            mha = copy.copy(getattr(layer, name_))  # shares the weights
            mha.batch_first = True  # our layer transposes (T, N, E) inputs itself
            setattr(new, name_, MultiHeadAttention.from_torch(mha))
        new.linear1 = nn.Linear.from_torch(layer.linear1)
        new.linear2 = nn.Linear.from_torch(layer.linear2)
        new.norm1, new.norm2, new.norm3 = (
            LayerNorm.from_torch(norm)
            for norm in (layer.norm1, layer.norm2, layer.norm3)
        )
        if activation is not None:
            new.activation = activation
        return new

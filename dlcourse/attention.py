"""Attention and the Transformer block, from scratch.

**Attention as a soft lookup.** Each query asks "which keys look like me?", and
gets back an average of the values, weighted by the answer. Vaswani et al.
(2017), eq. 1:

.. math::

    \\mathrm{Attention}(Q, K, V)
    = \\mathrm{softmax}\\!\\left(\\frac{Q K^T}{\\sqrt{d_k}}\\right) V

The ``1/√d_k`` keeps the dot products at unit variance (for unit-variance
entries they would grow like ``√d_k`` and saturate the softmax).

**Masks.** A boolean mask says which (query, key) pairs *take part*
(``True`` = attend), the convention of
``torch.nn.functional.scaled_dot_product_attention``; masked-out scores become
``-inf`` before the softmax, so they get weight exactly 0. A float mask is
added to the scores. :func:`causal_mask` lets position ``t`` see only
positions ``≤ t`` (a language model must not peek at the future).
*Careful:* ``torch.nn.MultiheadAttention``'s boolean ``attn_mask`` uses the
opposite convention (``True`` = blocked); pass ``~mask`` there.

**Multi-head attention** projects the input into ``h`` smaller query/key/value
spaces (``d = embed_dim / h`` each), attends in each head independently, and
mixes the concatenated heads with an output projection:
``MultiHead(Q, K, V) = Concat(head_1 … head_h) W^O``.

**Positional encoding.** Attention ignores order, so position is added to the
input as sinusoids of geometrically spaced wavelengths (§3.5):
``PE[pos, 2i] = sin(pos / 10000^(2i/d))``, ``PE[pos, 2i+1] = cos(pos / 10000^(2i/d))``.

**Transformer block** (pre-norm, as in GPT-2 and
``torch.nn.TransformerEncoderLayer(norm_first=True)``), with self-attention (queries,
keys and values all come from ``x``):
``x = x + Attention(LayerNorm(x))``;  ``x = x + MLP(LayerNorm(x))``.

The attention weights ``softmax(q kᵀ/√d_k + mask)`` are one fused graph node
(:func:`attention_weights`, backward written by hand); the rest is built from
:class:`~dlcourse.autograd.Tensor` operations. Layer normalisation lives in
:mod:`dlcourse.normalization`.

See chapter: Attention and Transformers (book/13_attention.ipynb)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlcourse import init, nn
from dlcourse.autograd import Tensor, accumulate, as_tensor, make_node
from dlcourse.interop import to_numpy, twin_of
from dlcourse.nn import Module
from dlcourse.normalization import LayerNorm
from dlcourse.rng import as_generator

__all__ = [
    "attention_weights",
    "scaled_dot_product_attention",
    "causal_mask",
    "positional_encoding",
    "MultiHeadAttention",
    "TransformerBlock",
    "activation_of",
]


def attention_weights(
    q: Tensor, k: Tensor, mask: Any = None, scale: float = 1.0
) -> Tensor:
    """``softmax(q kᵀ · scale + mask)`` over the last axis, as one graph node.

    With ``S`` the masked, scaled scores and ``A = softmax(S)``, the backward pass
    is the softmax Jacobian followed by the matrix product's rules:
    ``dS = A ⊙ (dA - Σ_j dA ⊙ A)``, ``dq = scale · dS k``, ``dk = scale · dSᵀ q``,
    and a float mask added to the scores gets ``dS`` (summed over broadcast axes).
    """
    scores = (q.data @ np.swapaxes(k.data, -1, -2)) * scale
    # a float mask Tensor that requires grad is a learned bias: it gets dS
    learned = mask if isinstance(mask, Tensor) and mask.requires_grad else None
    if mask is not None:
        m = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
        # booleans: 0 where attending, -inf where blocked; floats are added as they are
        m = np.where(m, 0.0, -np.inf) if m.dtype == bool else m
        try:
            scores = scores + m.astype(scores.dtype, copy=False)
        except ValueError:
            raise ValueError(
                f"scaled_dot_product_attention: mask of shape {m.shape} does not "
                f"broadcast to the attention scores of shape {scores.shape}"
            ) from None
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1, keepdims=True)

    def backward(g: np.ndarray) -> None:
        ds = weights * (g - (g * weights).sum(axis=-1, keepdims=True))
        if q.requires_grad:
            accumulate(q, (ds @ k.data) * scale)
        if k.requires_grad:
            accumulate(k, (np.swapaxes(ds, -1, -2) @ q.data) * scale)
        if learned is not None:
            accumulate(learned, ds)

    parents = (q, k) if learned is None else (q, k, learned)
    return make_node(weights, parents, "attention_weights", backward)


def scaled_dot_product_attention(
    q: Any, k: Any, v: Any, mask: Any = None, scale: float | None = None
) -> tuple[Tensor, Tensor]:
    """``softmax(q kᵀ / √d_k + mask) v`` over the last two axes.

    Vaswani et al. (2017), equation 1.

    Args:
        q: queries (..., T_q, d_k); k: keys (..., T_k, d_k); v: values (..., T_k, d_v).
        mask: None; boolean, ``True`` = attend (like
            ``torch.nn.functional.scaled_dot_product_attention``); or float, added
            to the scores (a float Tensor that requires grad gets its gradient).
            Must broadcast to (..., T_q, T_k). A query whose keys are all masked
            gets NaN weights.
        scale: defaults to ``1 / sqrt(d_k)``.

    Returns:
        ``(output (..., T_q, d_v), weights (..., T_q, T_k))``; each row of weights
        sums to 1.
    """
    q, k, v = as_tensor(q), as_tensor(k), as_tensor(v)
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ValueError(
            f"scaled_dot_product_attention: query {q.shape}, key {k.shape} and value "
            f"{v.shape} need at least 2 dimensions (..., T, d)"
        )
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"scaled_dot_product_attention: query of shape {q.shape} and key of shape "
            f"{k.shape} must have the same last dimension d_k"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"scaled_dot_product_attention: key of shape {k.shape} and value of shape "
            f"{v.shape} must have the same length T_k"
        )
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    weights = attention_weights(q, k, mask, scale)
    return weights @ v, weights


def causal_mask(T: int) -> np.ndarray:
    """Boolean (T, T) lower-triangular mask: query t may attend to keys 0..t.

    ``True`` = attend, as in :func:`scaled_dot_product_attention`.
    """
    return np.tril(np.ones((T, T), dtype=bool))


def positional_encoding(length: int, d_model: int) -> np.ndarray:
    """Sinusoidal positional encodings (length, d_model), Vaswani et al. 2017 §3.5.

    ``PE[pos, 2i] = sin(pos / 10000^(2i / d_model))`` and
    ``PE[pos, 2i+1] = cos(pos / 10000^(2i / d_model))``: column pair i is a
    rotation at frequency ``1/10000^(2i/d)``, so ``PE[pos + k]`` is a linear
    function of ``PE[pos]``. (For odd ``d_model`` the last column is a sine.)
    """
    pos = np.arange(length, dtype=np.float64)[:, None]
    two_i = np.arange(0, d_model, 2, dtype=np.float64)
    angles = pos / np.power(10000.0, two_i / d_model)  # (length, ceil(d/2))
    pe = np.empty((length, d_model))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles[:, : d_model // 2])
    return pe


@twin_of("MultiheadAttention")
class MultiHeadAttention(Module):
    """Multi-head attention (``torch.nn.MultiheadAttention`` with ``batch_first=True``).

    ``q_proj``, ``k_proj``, ``v_proj`` and ``out_proj`` are Linear layers
    (embed_dim → embed_dim); torch's ``in_proj_weight`` (3E, E) is their weights
    stacked. Initialisation as torch: the three input projections Xavier-uniform
    over the stacked (3E, E) matrix, ``out_proj`` weight like a Linear, all biases 0.

    ``forward(query, key=None, value=None, mask=None)`` (key and value default to
    ``query``: self-attention) on (N, T, E) inputs returns ``(output (N, T_q, E),
    weights (N, T_q, T_k))``, the weights averaged over heads (torch's
    ``need_weights=True, average_attn_weights=True``). ``mask`` follows
    :func:`scaled_dot_product_attention` (boolean ``True`` = attend), shape
    (T_q, T_k) or broadcastable to (N, heads, T_q, T_k). ``last_weights`` keeps
    the per-head weights (N, heads, T_q, T_k) for heat maps.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        if num_heads < 1 or embed_dim % num_heads:
            raise ValueError(
                f"MultiHeadAttention: embed_dim {embed_dim} must be divisible by "
                f"num_heads {num_heads}"
            )
        self.embed_dim, self.num_heads = int(embed_dim), int(num_heads)
        self.head_dim = self.embed_dim // self.num_heads
        gen = as_generator(rng)
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (
            nn.Linear(embed_dim, embed_dim, bias=bias, rng=gen, dtype=dtype)
            for _ in range(4)
        )
        in_proj = np.empty((3 * embed_dim, embed_dim), dtype=dtype)
        init.xavier_uniform_(in_proj, rng=gen)
        for k, proj in enumerate((self.q_proj, self.k_proj, self.v_proj)):
            proj.weight.data[...] = in_proj[k * embed_dim : (k + 1) * embed_dim]
        for proj in (self.q_proj, self.k_proj, self.v_proj, self.out_proj):
            if proj.bias is not None:
                proj.bias.data[...] = 0.0

    def _heads(self, x: Tensor) -> Tensor:
        """(N, T, E) -> (N, heads, T, head_dim)."""
        n, t, _ = x.shape
        return x.reshape(n, t, self.num_heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(
        self, query: Any, key: Any = None, value: Any = None, mask: Any = None
    ) -> tuple[Tensor, Tensor]:
        query = as_tensor(query)
        key = query if key is None else as_tensor(key)
        value = key if value is None else as_tensor(value)
        for name, x in (("query", query), ("key", key), ("value", value)):
            if x.ndim != 3 or x.shape[-1] != self.embed_dim:
                raise ValueError(
                    f"MultiHeadAttention: {name} of shape {x.shape} must be "
                    f"(N, T, {self.embed_dim}) (batch_first=True)"
                )
        if key.shape[:2] != value.shape[:2] or key.shape[0] != query.shape[0]:
            raise ValueError(
                f"MultiHeadAttention: query {query.shape}, key {key.shape} and value "
                f"{value.shape} must share the batch size, and key and value the length"
            )
        q, k, v = (
            self._heads(self.q_proj(query)),
            self._heads(self.k_proj(key)),
            self._heads(self.v_proj(value)),
        )
        out, weights = scaled_dot_product_attention(q, k, v, mask)
        n, t_q = query.shape[:2]
        out = out.permute(0, 2, 1, 3).reshape(
            n, t_q, self.embed_dim
        )  # concatenate the heads
        self.last_weights = weights.data
        return self.out_proj(out), weights.mean(axis=1)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"

    @classmethod
    def from_torch(cls, mha: Any) -> MultiHeadAttention:
        """Copy a ``torch.nn.MultiheadAttention(batch_first=True)`` (float64)."""
        if not mha.batch_first or not mha._qkv_same_embed_dim or mha.bias_k is not None:
            raise ValueError(
                "MultiHeadAttention.from_torch: needs batch_first=True, kdim = vdim = "
                f"embed_dim and add_bias_kv=False, got {mha}"
            )
        new = cls(
            mha.embed_dim, mha.num_heads, bias=mha.in_proj_bias is not None, rng=0
        )
        w = to_numpy(mha.in_proj_weight, np.float64)
        b = None if mha.in_proj_bias is None else to_numpy(mha.in_proj_bias, np.float64)
        E = mha.embed_dim
        for k, proj in enumerate((new.q_proj, new.k_proj, new.v_proj)):
            proj.weight.data[...] = w[k * E : (k + 1) * E]
            if b is not None and proj.bias is not None:
                proj.bias.data[...] = b[k * E : (k + 1) * E]
        new.out_proj = nn.Linear.from_torch(mha.out_proj)
        return new


class TransformerBlock(Module):
    """Pre-norm Transformer block (the GPT-2 layout).

    .. math::

        x &\\leftarrow x + \\mathrm{Dropout}(\\mathrm{MHA}(\\mathrm{LN}_1(x)))\\\\
        x &\\leftarrow x + \\mathrm{Dropout}(W_2\\,
              \\mathrm{Dropout}(\\mathrm{act}(W_1 \\mathrm{LN}_2(x) + b_1)) + b_2)

    The attribute names and order are those of
    ``torch.nn.TransformerEncoderLayer(norm_first=True, batch_first=True)``
    (``self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2``),
    and :meth:`from_torch` copies such a layer. Differences: torch also applies
    dropout to the attention weights (we do not), and torch's boolean ``src_mask``
    means "blocked" while our ``mask`` means "attend". ``forward(x, mask=None)``
    takes (N, T, d_model); ``last_weights`` keeps the per-head attention weights.
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        d_ff: int,
        dropout: float = 0.0,
        activation: str = "gelu",
        eps: float = 1e-5,
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        gen = as_generator(rng)
        if activation not in ("gelu", "relu"):
            raise ValueError(
                "TransformerBlock: activation must be 'gelu' or 'relu', "
                f"got {activation!r}"
            )
        self.self_attn = MultiHeadAttention(d_model, num_heads, rng=gen, dtype=dtype)
        self.linear1 = nn.Linear(d_model, d_ff, rng=gen, dtype=dtype)
        self.dropout = nn.Dropout(dropout, rng=gen)
        self.linear2 = nn.Linear(d_ff, d_model, rng=gen, dtype=dtype)
        self.norm1 = LayerNorm(d_model, eps, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps, dtype=dtype)
        self.dropout1 = nn.Dropout(dropout, rng=gen)
        self.dropout2 = nn.Dropout(dropout, rng=gen)
        self.activation = nn.GELU() if activation == "gelu" else nn.ReLU()

    def forward(self, x: Any, mask: Any = None) -> Tensor:
        x = as_tensor(x)
        attended, _ = self.self_attn(self.norm1(x), mask=mask)
        self.last_weights = self.self_attn.last_weights
        x = x + self.dropout1(attended)
        hidden = self.dropout(self.activation(self.linear1(self.norm2(x))))
        return x + self.dropout2(self.linear2(hidden))

    @classmethod
    def from_torch(cls, layer: Any) -> TransformerBlock:
        """Copy a pre-norm ``torch.nn.TransformerEncoderLayer`` (float64).

        The layer needs ``norm_first=True, batch_first=True`` and a ReLU or GELU
        activation.
        """
        if not layer.norm_first:
            raise ValueError(
                "TransformerBlock.from_torch: needs norm_first=True (a pre-norm layer)"
            )
        name, activation = activation_of(layer, "TransformerBlock.from_torch")
        d_model, d_ff = layer.linear1.in_features, layer.linear1.out_features
        new = cls(
            d_model,
            layer.self_attn.num_heads,
            d_ff,
            layer.dropout.p,
            name,
            layer.norm1.eps,
            rng=0,
        )
        new.self_attn = MultiHeadAttention.from_torch(layer.self_attn)
        new.linear1, new.linear2 = (
            nn.Linear.from_torch(layer.linear1),
            nn.Linear.from_torch(layer.linear2),
        )
        new.norm1, new.norm2 = (
            LayerNorm.from_torch(layer.norm1),
            LayerNorm.from_torch(layer.norm2),
        )
        if activation is not None:
            new.activation = activation
        return new


def activation_of(layer: Any, who: str) -> tuple[str, nn.GELU | None]:
    """A torch Transformer layer's activation: its name ("relu" or "gelu") and, for a
    ``torch.nn.GELU`` module, our ``nn.GELU`` with the same ``approximate``."""
    import torch.nn as tnn
    import torch.nn.functional as F

    act = layer.activation
    if act is F.relu or isinstance(act, tnn.ReLU):
        return "relu", None
    if isinstance(act, tnn.GELU):
        return "gelu", nn.GELU(act.approximate)
    if act is F.gelu:
        return "gelu", None
    raise ValueError(f"{who}: unsupported activation {act}")

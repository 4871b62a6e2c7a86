"""Comparing language models that read different tokens, at a stated compute budget.

A character model and a byte-pair-encoding (BPE) model cannot be compared by their losses
per *token*: a BPE token covers several characters, so each of its predictions carries
more information (and more surprise). Both predict the same *text*, though, so compare
the loss per character. If a text of :math:`C` characters is :math:`N` tokens and the
model's mean loss is :math:`\\ell` nats per token, the whole text costs
:math:`N\\ell` nats, that is

.. math::

    \\ell_{\\text{char}} = \\ell \\cdot \\frac{N}{C} \\quad \\text{nats per character},
    \\qquad \\text{bits per character} = \\ell_{\\text{char}} / \\ln 2 .

**Equal compute.** Training a network costs about 6 floating-point operations per
parameter per token seen: 2 for the forward pass (a multiply and an add per weight) and
4 for the backward pass (gradients with respect to the inputs and the weights), so

.. math::

    \\text{FLOPs} \\approx 6\\, P\\, D

for :math:`P` parameters and :math:`D` training tokens (Kaplan et al. 2020).
Embedding tables are looked up, not multiplied, so :math:`P` counts the parameters
*outside* them (:func:`non_embedding_parameters`). The estimate leaves out the attention
scores (:math:`O(T\\,d)` per token, small for short contexts) and the gates'
element-wise operations.

See chapter: Language models: tokens, pretraining and fine-tuning (book/14_language_models.ipynb)
"""

from __future__ import annotations

import math
from typing import Protocol

from torch import nn

__all__ = [
    "tokens_per_char",
    "nats_per_char",
    "bits_per_char",
    "non_embedding_parameters",
    "training_flops",
    "tokens_for_flops",
]


class _Encoder(Protocol):
    def encode(self, text: str) -> list[int]: ...


def tokens_per_char(tokenizer: _Encoder, text: str) -> float:
    """How many tokens ``tokenizer`` makes of ``text``, per character of it."""
    if not text:
        raise ValueError("tokens_per_char: the text is empty")
    return len(tokenizer.encode(text)) / len(text)


def nats_per_char(loss_per_token: float, tokens_per_character: float) -> float:
    """A loss in nats per token, as nats per character: ``loss × tokens / characters``."""
    if tokens_per_character <= 0:
        raise ValueError(
            f"nats_per_char: tokens per character must be > 0, got {tokens_per_character}"
        )
    return loss_per_token * tokens_per_character


def bits_per_char(loss_per_token: float, tokens_per_character: float) -> float:
    """A loss in nats per token, as bits per character."""
    return nats_per_char(loss_per_token, tokens_per_character) / math.log(2)


def non_embedding_parameters(model: nn.Module) -> int:
    """Parameters of ``model`` outside its ``nn.Embedding`` tables (the ones multiplied)."""
    embedded = {
        id(p)
        for m in model.modules()
        if isinstance(m, nn.Embedding)
        for p in m.parameters()
    }
    return sum(p.numel() for p in model.parameters() if id(p) not in embedded)


def training_flops(n_params: int, n_tokens: int) -> float:
    """``6 × n_params × n_tokens``: the floating-point operations of training."""
    if n_params < 0 or n_tokens < 0:
        raise ValueError(
            f"training_flops: need n_params, n_tokens >= 0, got {n_params}, {n_tokens}"
        )
    return 6.0 * n_params * n_tokens


def tokens_for_flops(flops: float, n_params: int) -> int:
    """Training tokens a model of ``n_params`` parameters sees for ``flops`` FLOPs."""
    if n_params <= 0:
        raise ValueError(f"tokens_for_flops: n_params must be > 0, got {n_params}")
    return round(flops / (6.0 * n_params))

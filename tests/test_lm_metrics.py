"""dlcourse.lm_metrics: loss per character across tokenizers, and the 6·P·D compute budget."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from dlcourse.bpe import BPETokenizer
from dlcourse.lm_metrics import (
    bits_per_char,
    nats_per_char,
    non_embedding_parameters,
    tokens_for_flops,
    tokens_per_char,
    training_flops,
)
from dlcourse.models.gpt import GPT
from dlcourse.models.rnn import CharLM

TEXT = "the cat sat on the mat; the cat ate the rat. " * 20


def test_tokens_per_char_of_bytes_is_utf8_length_per_character():
    bytes_only = BPETokenizer()  # no merges: one token per UTF-8 byte
    assert tokens_per_char(bytes_only, "plain ascii") == 1.0
    text = "naïve café π"  # ï, é: 2 bytes each; π: 2 bytes
    assert tokens_per_char(bytes_only, text) == len(text.encode("utf-8")) / len(text)
    assert tokens_per_char(bytes_only, text) == 15 / 12


def test_tokens_per_char_counted_two_ways():
    tok = BPETokenizer.train(TEXT, vocab_size=280)
    # way 1: the function; way 2: the characters each token stands for, summed
    per_token_chars = [len(tok.decode([i])) for i in tok.encode(TEXT)]
    assert sum(per_token_chars) == len(TEXT)
    assert tokens_per_char(tok, TEXT) == pytest.approx(
        len(per_token_chars) / sum(per_token_chars)
    )
    assert tokens_per_char(tok, TEXT) < 0.5  # the merges shorten this repetitive text


def test_loss_per_char_of_a_uniform_model_closed_form():
    # a model that guesses uniformly among V tokens loses log V nats on every token,
    # so the text costs N log V nats: per character N log V / C
    tok = BPETokenizer.train(TEXT, vocab_size=280)
    N, C = len(tok.encode(TEXT)), len(TEXT)
    V = tok.vocab_size
    total = N * math.log(V)
    assert nats_per_char(math.log(V), N / C) == pytest.approx(total / C)
    assert bits_per_char(math.log(V), N / C) == pytest.approx(total / C / math.log(2))
    # with one token per character the loss per character is the loss per token
    assert nats_per_char(1.7, 1.0) == 1.7
    with pytest.raises(ValueError, match="tokens per character"):
        nats_per_char(1.0, 0.0)
    with pytest.raises(ValueError, match="empty"):
        tokens_per_char(tok, "")


def test_non_embedding_parameters_counted_by_hand():
    torch.manual_seed(0)
    gpt = GPT(vocab_size=50, d_model=16, n_heads=2, n_layers=1, context=8)
    total = sum(p.numel() for p in gpt.parameters())
    assert non_embedding_parameters(gpt) == total - 50 * 16 - 8 * 16
    lm = CharLM(30, hidden=8, embed=4, seed=0)
    lstm = 4 * 8 * (4 + 8) + 2 * 4 * 8  # W_ih, W_hh and the two bias vectors
    assert non_embedding_parameters(lm) == lstm + 8 * 30 + 30
    assert non_embedding_parameters(nn.Embedding(10, 3)) == 0


def test_flops_budget_round_trip():
    assert training_flops(1000, 500) == 6 * 1000 * 500
    assert tokens_for_flops(training_flops(1234, 98_765), 1234) == 98_765
    # the same budget buys fewer tokens for a bigger model
    assert tokens_for_flops(6e9, 2000) == 2 * tokens_for_flops(6e9, 4000)
    with pytest.raises(ValueError, match="n_params"):
        tokens_for_flops(1e9, 0)
    with pytest.raises(ValueError, match="n_params, n_tokens"):
        training_flops(-1, 5)
    assert np.isfinite(training_flops(10**6, 10**9))

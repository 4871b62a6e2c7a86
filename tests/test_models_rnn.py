"""dlcourse.models.rnn: shapes, agreement with the from-scratch layers, learning, generation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlcourse import rnn
from dlcourse.data.sequences import adding_problem
from dlcourse.data.text import CharVocab
from dlcourse.models.rnn import (
    CharLM,
    SequenceRegressor,
    char_lm_loss,
    mse,
    train_char_lm,
    train_regressor,
)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_sequence_regressor_shapes(cell):
    m = SequenceRegressor(2, 8, cell, seed=0)
    X, _ = adding_problem(5, 7, seed=0)
    out = m(torch.as_tensor(X, dtype=torch.float32, device=next(m.parameters()).device))
    assert out.shape == (5,)
    with pytest.raises(ValueError, match="cell must be one of"):
        SequenceRegressor(2, 8, "transformer")


@pytest.mark.parametrize("cell, ours", [("rnn", rnn.RNN), ("lstm", rnn.LSTM)])
def test_regressor_agrees_with_from_scratch_layer(cell, ours):
    m = SequenceRegressor(2, 6, cell, seed=1).cpu().double()
    X, _ = adding_problem(4, 9, seed=2)
    ref = m(torch.tensor(X)).detach().numpy()
    layer = ours.from_torch(m.rnn)
    outputs, _ = layer(X)
    W, b = m.head.weight.detach().numpy(), m.head.bias.detach().numpy()
    np.testing.assert_allclose(
        outputs.data[:, -1] @ W.T[:, 0] + b[0], ref, rtol=1e-10, atol=1e-12
    )


def test_lstm_learns_short_adding_problem_and_beats_baseline():
    torch.manual_seed(0)
    Xtr, ytr = adding_problem(4000, 10, seed=0)
    Xte, yte = adding_problem(500, 10, seed=1)
    m = SequenceRegressor(2, 16, "lstm", seed=0)
    before = mse(m, Xte, yte)
    losses = train_regressor(m, Xtr, ytr, steps=300, batch_size=64, lr=1e-2, seed=0)
    after = mse(m, Xte, yte)
    assert len(losses) == 300
    assert before > 0.1 and after < 0.02, (before, after)


def test_train_regressor_is_deterministic():
    X, y = adding_problem(200, 6, seed=0)
    runs = []
    for _ in range(2):
        m = SequenceRegressor(2, 4, "gru", seed=3)
        runs.append(train_regressor(m, X, y, steps=5, seed=4))
    assert runs[0] == runs[1]


def test_char_lm_learns_and_generates():
    text = "abcabcabcabd " * 60
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    m = CharLM(len(vocab), hidden=32, cell="gru", embed=8, vocab=vocab, seed=0)
    start = char_lm_loss(m, ids, seq_len=20)
    assert start == pytest.approx(
        np.log(len(vocab)), rel=0.2
    )  # near-uniform at initialisation
    train_char_lm(m, ids, steps=150, seq_len=20, batch_size=16, lr=1e-2, seed=0)
    assert char_lm_loss(m, ids, seq_len=20) < 0.3
    # a nearly greedy sample continues the pattern; sampling is seeded
    sample = m.generate("abca", 8, temperature=0.05, seed=0)
    assert sample.startswith("abca") and sample[4:7] == "bca"
    assert m.generate("ab", 30, 1.0, seed=1) == m.generate("ab", 30, 1.0, seed=1)
    ids_out = m.generate([0, 1], 3, seed=0)
    assert isinstance(ids_out, list) and len(ids_out) == 5


def test_char_lm_forward_shapes_and_errors():
    m = CharLM(11, hidden=8, cell="lstm", embed=4, seed=0)
    logits, (h, c) = m(
        torch.zeros(3, 5, dtype=torch.long, device=next(m.parameters()).device)
    )
    assert logits.shape == (3, 5, 11) and h.shape == (1, 3, 8)
    with pytest.raises(ValueError, match="needs CharLM"):
        m.generate("a", 3)
    with pytest.raises(ValueError, match="temperature"):
        m.generate([1], 3, temperature=0)
    with pytest.raises(ValueError, match="vocab has 2 tokens"):
        CharLM(5, vocab=CharVocab("ab"))

"""Encoder-decoder with attention (number -> words) and the LSTM classifier baseline."""

import numpy as np
import torch
import torch.nn.functional as F

from dlcourse.data.language import long_range_task, recall_vocab_size
from dlcourse.data.sequences import number_to_words
from dlcourse.models.seq2seq import LSTMClassifier, Seq2Seq


def _model(data, hidden=32):
    torch.manual_seed(0)
    return Seq2Seq(len(data.src_vocab), len(data.tgt_vocab), hidden=hidden, embed=16)


def test_attention_weights_are_distributions_that_ignore_padding():
    data = number_to_words(20, seed=0)
    model = _model(data)
    src, tgt = torch.as_tensor(data.src), torch.as_tensor(data.tgt)
    logits = model(src, tgt[:, :-1])
    assert logits.shape == (20, tgt.shape[1] - 1, len(data.tgt_vocab))
    w = model.last_weights
    assert w.shape == (20, tgt.shape[1] - 1, src.shape[1])
    torch.testing.assert_close(w.sum(-1), torch.ones(w.shape[:2]))
    pad = (src == 0)[:, None, :].expand_as(w)
    assert pad.any() and (w[pad] == 0).all()


def test_attention_context_is_the_weighted_average_of_encoder_states():
    data = number_to_words(5, seed=1)
    model = _model(data).double()
    src = torch.as_tensor(data.src)
    states, _, keep = model.encode(src)
    s = torch.randn(5, 3, model.hidden, dtype=torch.float64)
    context, w = model.attend(s, states, keep)
    q = model.query(s)
    for n in range(5):  # one example at a time, by the formula
        S = int(keep[n].sum())
        scores = q[n] @ states[n, :S].T / np.sqrt(model.hidden)
        ref = F.softmax(scores, dim=-1)
        torch.testing.assert_close(w[n, :, :S], ref)
        torch.testing.assert_close(context[n], ref @ states[n, :S])


def test_greedy_translation_agrees_with_teacher_forcing_on_its_own_output():
    data = number_to_words(8, seed=2)
    model = _model(data)
    V = data.tgt_vocab
    ids, weights = model.translate(data.src, V.bos_id, V.eos_id, max_len=6)
    fed = torch.cat([torch.full((8, 1), V.bos_id), torch.as_tensor(ids)], 1)
    logits = model(torch.as_tensor(data.src), fed[:, :-1])
    np.testing.assert_array_equal(logits.argmax(-1).numpy(), ids)
    np.testing.assert_allclose(weights, model.last_weights.numpy(), atol=1e-6)


def test_seq2seq_learns_number_words():
    train = number_to_words(1500, seed=0, max_number=99)
    model = _model(train, hidden=64)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    src, tgt = torch.as_tensor(train.src), torch.as_tensor(train.tgt)
    for _ in range(4):
        for i in range(0, len(src), 64):
            logits = model(src[i : i + 64], tgt[i : i + 64, :-1])
            loss = F.cross_entropy(
                logits.transpose(1, 2), tgt[i : i + 64, 1:], ignore_index=0
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
    V = train.tgt_vocab
    small = number_to_words(200, seed=3, max_number=99)
    ids, _ = model.translate(small.src, V.bos_id, V.eos_id, max_len=small.tgt.shape[1])
    acc = np.mean([V.decode(r) == w for r, w in zip(ids, small.words)])
    assert acc > 0.9, acc


def test_lstm_classifier_shapes_and_learns_a_short_recall():
    torch.manual_seed(0)
    X, y = long_range_task(1500, length=2, seed=0, n_keys=4, n_values=4)
    model = LSTMClassifier(recall_vocab_size(4, 4), 4, embed=16, hidden=32)
    assert model(torch.as_tensor(X[:3])).shape == (3, 4)
    assert model(torch.as_tensor(X[:3]).double()).shape == (
        3,
        4,
    )  # float ids (as fit passes them)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    for _ in range(15):
        for i in range(0, len(X), 64):
            loss = F.cross_entropy(model(X[i : i + 64]), y[i : i + 64])
            opt.zero_grad()
            loss.backward()
            opt.step()
    Xt, yt = long_range_task(300, length=2, seed=1, n_keys=4, n_values=4)
    assert (model(torch.as_tensor(Xt)).argmax(-1).numpy() == yt).mean() > 0.9

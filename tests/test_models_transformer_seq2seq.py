"""The encoder-decoder Transformer (number -> words): masks, greedy decoding, training,
and its decoder layers against the from-scratch twin."""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcourse.data.sequences import number_to_words
from dlcourse.decoder import TransformerDecoderLayer
from dlcourse.interop import from_torch
from dlcourse.models.transformer_seq2seq import TransformerSeq2Seq


def _model(data, **kw):
    torch.manual_seed(0)
    return TransformerSeq2Seq(len(data.src_vocab), len(data.tgt_vocab), **kw)


def test_the_decoder_is_causal_and_padding_in_the_source_does_not_matter():
    data = number_to_words(6, seed=0)
    model = _model(data).eval()
    src, tgt = torch.as_tensor(data.src), torch.as_tensor(data.tgt[:, :-1])
    logits = model(src, tgt)
    assert logits.shape == (6, tgt.shape[1], len(data.tgt_vocab))
    changed = tgt.clone()
    changed[:, 5:] = 3  # later symbols must not change the logits at positions < 5
    torch.testing.assert_close(model(src, changed)[:, :5], logits[:, :5])
    wider = torch.cat([src, torch.zeros(6, 3, dtype=torch.long)], 1)  # more padding
    torch.testing.assert_close(model(wider, tgt), logits, atol=1e-5, rtol=1e-5)


def test_cross_weights_equal_the_from_scratch_decoder_layer_and_skip_padding():
    data = number_to_words(20, seed=2)
    model = _model(data, num_decoder_layers=2).double().eval()
    src, tgt = torch.as_tensor(data.src), torch.as_tensor(data.tgt[:, :-1])
    w = model.cross_weights(src, tgt, layer=1)
    assert w.shape == (20, 2, tgt.shape[1], src.shape[1])
    pad = (src == 0)[:, None, None, :].expand_as(w)
    assert pad.any() and (w[pad] == 0).all()
    # reference: the from-scratch twin of decoder layer 1 on the same inputs
    with torch.no_grad():
        memory, pad_mask = model.encode(src)
        T = tgt.shape[1]
        causal = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
        x = model.decoder[0](
            model._embed(model.tgt_emb, tgt),
            memory,
            tgt_mask=causal,
            memory_key_padding_mask=pad_mask,
        )
    twin = from_torch(model.decoder[1])
    assert isinstance(twin, TransformerDecoderLayer)
    out = twin(
        x.numpy(),
        memory.numpy(),
        tgt_mask=causal.numpy(),
        memory_key_padding_mask=pad_mask.numpy(),
    )
    np.testing.assert_allclose(twin.last_cross_weights, w.numpy(), atol=1e-12)
    ref = model.decoder[1](x, memory, tgt_mask=causal, memory_key_padding_mask=pad_mask)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), atol=1e-12)


def test_a_short_training_run_learns_and_greedy_decoding_stops_at_eos():
    data = number_to_words(400, seed=0, max_number=99)
    tv = data.tgt_vocab
    model = _model(data)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    src, tgt = torch.as_tensor(data.src), torch.as_tensor(data.tgt)
    losses = []
    for step in range(60):
        batch = torch.arange(64) + (step * 64) % 320
        logits = model(src[batch], tgt[batch, :-1])
        loss = F.cross_entropy(
            logits.transpose(1, 2), tgt[batch, 1:], ignore_index=tv.pad_id
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    ids, weights = model.translate(src[:50], tv.bos_id, tv.eos_id, max_len=30)
    assert ids.shape[0] == 50 and weights.shape[:2] == ids.shape
    assert weights.shape[2] == src.shape[1]
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    assert (ids == tv.eos_id).any(axis=1).all()  # every row finished
    assert ids.shape[1] < 30  # and decoding stopped early
    assert model.training  # translate restores the mode


def test_bad_inputs_give_clear_errors():
    data = number_to_words(4, seed=0)
    model = _model(data, max_len=8)
    src = torch.as_tensor(data.src)
    with pytest.raises(ValueError, match=r"src of shape \(4, 4\) and tgt_in of shape"):
        model(src, torch.zeros(3, 5, dtype=torch.long))
    with pytest.raises(ValueError, match=r"shape \(4, 9\) is longer than max_len = 8"):
        model(src, torch.zeros(4, 9, dtype=torch.long))


def test_the_decoder_layer_of_a_trained_model_converts_in_float64():
    data = number_to_words(4, seed=0)
    layer = copy.deepcopy(_model(data).decoder[0]).double().eval()
    twin = from_torch(layer)
    rng = np.random.default_rng(0)
    y, m = rng.standard_normal((2, 5, 32)), rng.standard_normal((2, 3, 32))
    ref = layer(torch.tensor(y), torch.tensor(m)).detach().numpy()
    np.testing.assert_allclose(twin(y, m).data, ref, rtol=1e-10, atol=1e-12)

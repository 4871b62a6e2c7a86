"""The PyTorch GPT: agreement with the from-scratch block, causality, generation, learning to the floor."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcourse.attention import causal_mask
from dlcourse.data.language import MarkovLanguage, long_range_task, recall_vocab_size
from dlcourse.models.gpt import (
    GPT,
    Block,
    TransformerClassifier,
    block_to_scratch,
    evaluate_lm,
    train_lm,
)


def test_block_equals_from_scratch_transformer_block_float64():
    torch.manual_seed(0)
    block = Block(16, 4).double().eval()
    x = torch.randn(3, 7, 16, dtype=torch.float64)
    blocked = torch.triu(torch.ones(7, 7, dtype=torch.bool), 1)
    ours = block(x, blocked).detach().numpy()
    scratch = block_to_scratch(block)
    theirs = scratch(x.numpy(), mask=causal_mask(7)).data
    np.testing.assert_allclose(ours, theirs, atol=1e-12)
    # the stored attention weights are the per-head weights of the scratch layer
    np.testing.assert_allclose(
        block.last_weights.numpy(), scratch.last_weights, atol=1e-12
    )
    assert np.allclose(
        np.triu(block.last_weights.numpy()[0, 0], 1), 0
    )  # nothing from the future


def test_gpt_is_causal_and_shapes():
    torch.manual_seed(0)
    model = GPT(11, d_model=16, n_heads=2, n_layers=2, context=10).eval()
    idx = torch.randint(0, 11, (2, 10))
    logits = model(idx)
    assert logits.shape == (2, 10, 11)
    changed = idx.clone()
    changed[:, 6] = (changed[:, 6] + 1) % 11
    out = model(changed)
    torch.testing.assert_close(
        out[:, :6], logits[:, :6]
    )  # the past does not see the future
    assert not torch.allclose(out[:, 6:], logits[:, 6:])
    with pytest.raises(ValueError, match="context"):
        model(torch.zeros(1, 11, dtype=torch.long))
    with pytest.raises(ValueError, match="divisible"):
        GPT(5, d_model=10, n_heads=3)


def test_generate_is_seeded_and_greedy_matches_argmax():
    torch.manual_seed(0)
    model = GPT(7, d_model=16, n_heads=2, n_layers=1, context=5)
    start = np.array([[1, 2, 3]])
    a = model.generate(start, 8, seed=1)
    assert a.shape == (1, 11) and (a[:, :3] == torch.as_tensor(start)).all()
    assert torch.equal(a, model.generate(start, 8, seed=1))
    greedy = model.generate(start, 4, temperature=0)
    for t in range(3, 7):  # every greedy token is the arg-max given the previous ones
        ctx = greedy[:, max(0, t - 5) : t]
        assert greedy[0, t] == model(ctx)[0, -1].argmax()


def test_gpt_learns_a_markov_language_close_to_its_entropy_floor():
    torch.manual_seed(0)
    lang = MarkovLanguage(6, 1, seed=0)
    floor = lang.entropy_rate()
    train, val = lang.sample(20_000, seed=1), lang.sample(4_000, seed=2)
    model = GPT(6, d_model=16, n_heads=2, n_layers=1, context=8)
    before = evaluate_lm(model, val, skip=1)
    log = train_lm(
        model,
        train,
        steps=150,
        batch_size=32,
        lr=1e-2,
        val_tokens=val,
        eval_every=50,
        skip=1,
    )
    assert before > 1.3 * floor
    assert log["val_loss"][-1] < 1.05 * floor  # 1.05: a few percent above the floor
    assert log["val_loss"][-1] > 0.97 * floor  # and not (meaningfully) below it


def test_transformer_classifier_solves_small_recall_task():
    torch.manual_seed(0)
    X, y = long_range_task(2000, length=6, seed=0, n_keys=8, n_values=4)
    Xt, yt = long_range_task(500, length=6, seed=1, n_keys=8, n_values=4)
    model = TransformerClassifier(
        recall_vocab_size(8, 4), 4, d_model=32, n_heads=2, n_layers=1, context=7
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    for _ in range(10):
        for i in range(0, len(X), 64):
            loss = F.cross_entropy(model(X[i : i + 64]), y[i : i + 64])
            opt.zero_grad()
            loss.backward()
            opt.step()
    acc = (model(torch.as_tensor(Xt)).argmax(-1).numpy() == yt).mean()
    assert acc > 0.8, acc

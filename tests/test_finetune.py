"""dlcourse.models.finetune: copies of a pretrained GPT, fine-tuned as a language model or with
a new classification head."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from dlcourse.models.finetune import (
    GPTClassifier,
    classifier_accuracy,
    fine_tune,
    fine_tune_lm,
)
from dlcourse.models.gpt import GPT, evaluate_lm


def _gpt(seed: int = 0) -> GPT:
    torch.manual_seed(seed)
    return GPT(vocab_size=12, d_model=16, n_heads=2, n_layers=1, context=8)


def _state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_fine_tune_lm_trains_a_copy_and_leaves_the_checkpoint_alone():
    gpt = _gpt()
    before = _state(gpt)
    tokens = np.tile(np.arange(12), 40)  # 0 1 2 ... 11 0 1 ...: perfectly predictable
    tuned = fine_tune_lm(gpt, tokens, steps=40, batch_size=8, lr=1e-2, seed=0)
    for k, v in gpt.state_dict().items():
        torch.testing.assert_close(v, before[k], rtol=0, atol=0)
    assert evaluate_lm(tuned, tokens) < 0.5 * evaluate_lm(gpt, tokens)
    again = fine_tune_lm(gpt, tokens, steps=40, batch_size=8, lr=1e-2, seed=0)
    for k, v in tuned.state_dict().items():
        torch.testing.assert_close(v, again.state_dict()[k], rtol=0, atol=0)


@pytest.mark.parametrize("pool", ["last", "mean"])
def test_classifier_head_shapes_and_output_from_the_copied_features(pool):
    gpt = _gpt()
    clf = GPTClassifier(gpt, n_classes=3, pool=pool, seed=1)
    x = torch.randint(0, 12, (5, 8))
    logits = clf(x)
    assert logits.shape == (5, 3)
    assert clf.head.weight.shape == (3, 16) and clf.head.bias.shape == (3,)
    # reference: the pretrained network's own final features, pooled, through the head
    with torch.no_grad():
        h = gpt.features(x)
        pooled = h[:, -1] if pool == "last" else h.mean(dim=1)
        expected = F.linear(pooled, clf.head.weight, clf.head.bias)
    torch.testing.assert_close(logits.detach(), expected)
    assert clf.body is not gpt and not hasattr(clf.body.head, "weight")


def test_fine_tune_learns_a_labelled_task_and_rejects_bad_shapes():
    gpt = _gpt()
    before = _state(gpt)
    rng = np.random.default_rng(0)
    X = rng.integers(0, 12, size=(200, 8))
    y = (X[:, -1] >= 6).astype(np.int64)  # the class is visible in the last token
    clf = GPTClassifier(gpt, n_classes=2, seed=0)
    start = classifier_accuracy(clf, X, y)
    fine_tune(clf, X, y, steps=80, batch_size=32, lr=3e-3, seed=0)
    assert classifier_accuracy(clf, X, y) > max(0.95, start)
    for k, v in gpt.state_dict().items():
        torch.testing.assert_close(v, before[k], rtol=0, atol=0)
    with pytest.raises(ValueError, match=r"\(200, 8\) and \(199,\)"):
        fine_tune(clf, X, y[:-1], steps=1)
    with pytest.raises(ValueError, match="pool"):
        GPTClassifier(gpt, 2, pool="max")
    with pytest.raises(ValueError, match="n_classes"):
        GPTClassifier(gpt, 1)

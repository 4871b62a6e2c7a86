"""The losses' PyTorch options against torch.nn.functional in float64 (issue 11)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcourse import losses
from dlcourse.autograd import Tensor

RNG = np.random.default_rng(5)


def _compare(ours, theirs, x, *rest, **options):
    """Value and gradient w.r.t. x, ours vs torch, for a random upstream gradient."""
    t = Tensor(x.copy(), requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    out = ours(t, *rest, **options)
    ref = theirs(tx, *[torch.as_tensor(r) for r in rest], **{
        k: torch.as_tensor(v) if isinstance(v, np.ndarray) else v for k, v in options.items()
    })  # fmt: skip
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = RNG.standard_normal(ref.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(t.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_options(reduction, smoothing, weighted):
    z = RNG.standard_normal((6, 4))
    t = np.array([0, 3, -100, 1, 1, 2])
    w = RNG.uniform(0.5, 2, 4) if weighted else None
    _compare(
        losses.cross_entropy, F.cross_entropy, z, t,
        weight=w, reduction=reduction, label_smoothing=smoothing,
    )  # fmt: skip
    _compare(
        losses.cross_entropy,
        F.cross_entropy,
        z,
        np.array([0, 3, 2, 1, 1, 2]),
        ignore_index=2,
        weight=w,
        reduction=reduction,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_probability_targets(reduction, smoothing):
    z = RNG.standard_normal((5, 3))
    p = RNG.dirichlet(np.ones(3), size=5)
    w = RNG.uniform(0.5, 2, 3)
    _compare(
        losses.cross_entropy,
        F.cross_entropy,
        z,
        p,
        reduction=reduction,
        label_smoothing=smoothing,
    )
    _compare(losses.cross_entropy, F.cross_entropy, z, p, weight=w, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_extra_dimensions_and_single_example(reduction):
    z = RNG.standard_normal((2, 4, 3))  # (N, C, T): a sequence model's logits
    t = RNG.integers(0, 4, (2, 3))
    _compare(losses.cross_entropy, F.cross_entropy, z, t, reduction=reduction)
    _compare(
        losses.cross_entropy,
        F.cross_entropy,
        z[0, :, 0].copy(),
        np.array(2),
        reduction=reduction,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(reduction, weighted):
    lp = np.log(RNG.dirichlet(np.ones(4), size=5))
    t = np.array([0, 3, -100, 1, 1])
    w = RNG.uniform(0.5, 2, 4) if weighted else None
    _compare(losses.nll_loss, F.nll_loss, lp, t, weight=w, reduction=reduction)
    z = Tensor(RNG.standard_normal((5, 4)))
    a = losses.nll_loss(z.log_softmax(1), np.array([0, 3, 2, 1, 1]))
    b = losses.cross_entropy(z, np.array([0, 3, 2, 1, 1]))
    assert a.item() == pytest.approx(b.item(), rel=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(reduction):
    x = np.array([-800.0, -3.0, 0.0, 2.0, 40.0, 800.0])
    y = np.array([1.0, 0.0, 1.0, 0.3, 0.0, 1.0])
    w = RNG.uniform(0.5, 2, 6)
    pw = RNG.uniform(0.5, 2, 6)
    f, g = losses.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits
    _compare(f, g, x, y, reduction=reduction)
    _compare(f, g, x, y, weight=w, pos_weight=pw, reduction=reduction)
    yt = Tensor(y, requires_grad=True)  # the target's gradient too
    ty = torch.tensor(y, requires_grad=True)
    f(Tensor(x), yt, pos_weight=pw).backward()
    g(torch.tensor(x), ty, pos_weight=torch.tensor(pw)).backward()
    np.testing.assert_allclose(yt.grad, ty.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_and_bce_reductions(reduction):
    a, b = RNG.standard_normal((3, 2)), RNG.standard_normal((3, 2))
    _compare(losses.mse, F.mse_loss, a, b, reduction=reduction)
    _compare(losses.mse_loss, F.mse_loss, a, b, reduction=reduction)
    p, y = RNG.uniform(0.01, 0.99, (3, 2)), RNG.uniform(0, 1, (3, 2))
    _compare(
        losses.binary_cross_entropy, F.binary_cross_entropy, p, y, reduction=reduction
    )
    w = RNG.uniform(0.5, 2, (3, 2))
    _compare(
        losses.binary_cross_entropy,
        F.binary_cross_entropy,
        p,
        y,
        weight=w,
        reduction=reduction,
    )
    with pytest.raises(ValueError, match="reduction"):
        losses.mse(Tensor(a), b, reduction="average")

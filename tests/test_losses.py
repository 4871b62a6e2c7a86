"""Losses against torch.nn.functional (float64) and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcourse.autograd import Tensor
from dlcourse.losses import (
    binary_cross_entropy,
    cross_entropy,
    cross_entropy_np,
    mse,
    softmax_np,
)

RNG = np.random.default_rng(7)


def _fd(loss_of_array, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        plus = loss_of_array(x)
        x[i] = old - eps
        minus = loss_of_array(x)
        x[i] = old
        g[i] = (plus - minus) / (2 * eps)
    return g


def _compare(ours, theirs, x, *rest, fd=True):
    """Loss value and gradient w.r.t. the first argument, ours vs torch (and vs finite differences)."""
    t = Tensor(x.copy(), requires_grad=True)
    loss = ours(t, *rest)
    tx = torch.tensor(x, requires_grad=True)
    ref = theirs(tx, *[torch.as_tensor(r) for r in rest])
    assert loss.shape == ()
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-12, atol=1e-12)
    loss.backward()
    ref.backward()
    np.testing.assert_allclose(t.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    if fd:
        numeric = _fd(lambda a: ours(Tensor(a), *rest).item(), x.copy())
        np.testing.assert_allclose(t.grad, numeric, rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------- mse
@pytest.mark.parametrize("shape", [(5,), (4, 3), ()], ids=str)
def test_mse_matches_torch(shape):
    _compare(mse, F.mse_loss, RNG.standard_normal(shape), RNG.standard_normal(shape))


def test_mse_gradient_flows_to_a_target_that_requires_grad():
    p, y = (
        Tensor([1.0, 2.0], requires_grad=True),
        Tensor([0.0, 4.0], requires_grad=True),
    )
    mse(p, y).backward()
    np.testing.assert_allclose(p.grad, [1.0, -2.0])
    np.testing.assert_allclose(y.grad, [-1.0, 2.0])


def test_mse_refuses_silent_broadcasting():
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\)"):
        mse(Tensor(np.ones((4, 1))), np.ones(4))


# -------------------------------------------------------------------------- bce
def test_bce_matches_torch():
    p = 1 / (1 + np.exp(-RNG.standard_normal((6, 2))))
    y = RNG.integers(0, 2, (6, 2)).astype(float)
    _compare(binary_cross_entropy, F.binary_cross_entropy, p, y)
    soft = RNG.uniform(0, 1, (6, 2))  # soft labels too
    _compare(binary_cross_entropy, F.binary_cross_entropy, p, soft)


def test_bce_clamps_log_at_minus_100_like_torch():
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-50])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    _compare(binary_cross_entropy, F.binary_cross_entropy, p, y, fd=False)
    assert binary_cross_entropy(Tensor([0.0]), [1.0]).item() == 100.0


def test_bce_errors():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        binary_cross_entropy(Tensor([1.5, 0.2]), [1.0, 0.0])
    with pytest.raises(ValueError, match=r"\(2,\).*\(2, 1\)"):
        binary_cross_entropy(Tensor([0.5, 0.2]), np.ones((2, 1)))


# ----------------------------------------------------------------- cross-entropy
@pytest.mark.parametrize("n,c", [(1, 2), (5, 3), (16, 10)])
def test_cross_entropy_matches_torch(n, c):
    logits = RNG.standard_normal((n, c)) * 3
    targets = RNG.integers(0, c, n)
    _compare(cross_entropy, F.cross_entropy, logits, targets)


def test_cross_entropy_single_example_and_tensor_targets():
    logits = RNG.standard_normal(4)
    _compare(cross_entropy, F.cross_entropy, logits, np.array(2))
    a = cross_entropy(
        Tensor(np.ones((2, 3))), Tensor([0, 2])
    )  # float Tensor holding class ids
    assert a.item() == pytest.approx(math.log(3))


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    z = RNG.standard_normal((4, 3))
    t = np.array([0, 2, 1, 1])
    x = Tensor(z, requires_grad=True)
    cross_entropy(x, t).backward()
    expected = (softmax_np(z) - np.eye(3)[t]) / 4
    np.testing.assert_allclose(x.grad, expected, rtol=1e-12)


def test_cross_entropy_is_stable_for_huge_logits():
    z = np.array([[1000.0, -1000.0, 0.0], [-5000.0, 5000.0, 1.0]])
    t = np.array([1, 1])
    _compare(cross_entropy, F.cross_entropy, z, t, fd=False)
    assert cross_entropy(Tensor(z), t).item() == pytest.approx(1000.0)


def test_cross_entropy_is_one_fused_node_and_keeps_float32():
    z = Tensor(np.ones((3, 4), dtype=np.float32), requires_grad=True)
    loss = cross_entropy(z, [0, 1, 2])
    assert loss.op == "cross_entropy" and loss.parents == (z,)
    assert loss.dtype == np.float32
    loss.backward()
    assert z.grad.dtype == np.float32


def test_cross_entropy_errors_are_clear():
    z = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(3,\).*\(2,\)"):
        cross_entropy(z, [0, 1])
    with pytest.raises(IndexError, match=r"\[0, 3\].*\(3, 4\)"):
        cross_entropy(z, [0, 1, 4])
    with pytest.raises(IndexError, match=r"\[0, 3\]"):
        cross_entropy(z, [0, -1, 2])
    with pytest.raises(TypeError, match="integer class indices"):
        cross_entropy(z, [0.5, 1.0, 2.0])
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        cross_entropy(Tensor(np.zeros((2, 3, 4))), [0, 1])


@pytest.mark.parametrize(
    "loss_fn,args,name",
    [
        (mse, (Tensor([np.inf, 1.0]), [0.0, 0.0]), "mse"),
        (binary_cross_entropy, (Tensor([np.nan]), [1.0]), "binary_cross_entropy"),
        (cross_entropy, (Tensor([[np.nan, 0.0]]), [0]), "cross_entropy"),
    ],
)
def test_non_finite_loss_raises_naming_the_loss(loss_fn, args, name):
    with pytest.raises(FloatingPointError, match=name):
        loss_fn(*args)


# ------------------------------------------------------------------ NumPy helpers
def test_numpy_cross_entropy_helpers():
    z = RNG.standard_normal((5, 3))
    t = RNG.integers(0, 3, 5)
    ref = F.cross_entropy(torch.tensor(z), torch.tensor(t)).item()
    assert cross_entropy_np(z, t) == pytest.approx(ref, rel=1e-12)
    assert cross_entropy_np(softmax_np(z), t, from_logits=False) == pytest.approx(
        ref, rel=1e-12
    )
    # "90 % cat, but it is a dog (5 %)": the loss is -log 0.05
    probs = np.array([0.90, 0.05, 0.05])  # cat, dog, bird
    assert cross_entropy_np(probs, 1, from_logits=False) == pytest.approx(
        -math.log(0.05)
    )
    with pytest.raises(ValueError, match=r"\(5, 3\).*\(4,\)"):
        cross_entropy_np(z, t[:4])

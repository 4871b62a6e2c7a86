"""dlcourse.conv against torch.nn.functional (float64) and central finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcourse import conv, nn
from dlcourse.autograd import Tensor
from gradcheck import finite_diff

RNG = np.random.default_rng(7)
TOL = dict(rtol=1e-9, atol=1e-9)  # far tighter than the 1e-6 the course promises


# (input shape, weight shape, stride, padding)
CONV_CASES = [
    ((2, 3, 7, 8), (4, 3, 3, 3), 1, 0),
    ((2, 3, 7, 8), (4, 3, 3, 3), 1, 1),
    ((2, 3, 9, 9), (5, 3, 3, 3), 2, 1),
    ((1, 2, 8, 7), (3, 2, 3, 2), (2, 1), (0, 2)),
    ((3, 1, 6, 6), (2, 1, 6, 6), 1, 0),  # kernel as large as the input
    ((2, 4, 5, 5), (3, 4, 1, 1), 1, 0),  # 1x1 convolution
    ((2, 2, 10, 10), (3, 2, 4, 4), 3, 2),  # stride that skips input pixels
]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_shape,w_shape,stride,padding", CONV_CASES, ids=str)
def test_conv2d_matches_torch_output_and_all_gradients(
    x_shape, w_shape, stride, padding, bias
):
    x, w = RNG.standard_normal(x_shape), RNG.standard_normal(w_shape)
    b = RNG.standard_normal(w_shape[0])
    X, W, B = (Tensor(a.copy(), requires_grad=True) for a in (x, w, b))
    out = conv.conv2d(X, W, B if bias else None, stride, padding)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ref = F.conv2d(tx, tw, tb if bias else None, stride, padding)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **TOL)
    upstream = RNG.standard_normal(out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(X.grad, tx.grad.numpy(), **TOL)
    np.testing.assert_allclose(W.grad, tw.grad.numpy(), **TOL)
    if bias:
        np.testing.assert_allclose(B.grad, tb.grad.numpy(), **TOL)
    else:
        assert B.grad is None


def test_conv2d_gradients_match_finite_differences():
    x, w, b = (
        RNG.standard_normal((2, 2, 5, 4)),
        RNG.standard_normal((3, 2, 2, 3)),
        RNG.standard_normal(3),
    )
    X, W, B = (Tensor(a.copy(), requires_grad=True) for a in (x, w, b))
    out = conv.conv2d(X, W, B, stride=(2, 1), padding=1)
    upstream = RNG.standard_normal(out.shape)
    out.backward(upstream)
    numeric = finite_diff(
        lambda *a: conv.conv2d(*a, stride=(2, 1), padding=1).data, [x, w, b], upstream
    )
    for analytic, num in zip((X.grad, W.grad, B.grad), numeric):
        np.testing.assert_allclose(analytic, num, rtol=1e-6, atol=1e-7)


def test_conv2d_sobel_filter_on_a_step_edge():
    """A published filter on a known image: Sobel-x responds only at the vertical edge."""
    img = np.zeros((1, 1, 5, 6))
    img[..., 3:] = 1.0
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)[None, None]
    out = conv.conv2d(img, Tensor(sobel_x)).data[0, 0]
    # Output column j covers input columns j..j+2; the edge (0 -> 1 between 2 and 3)
    # gives 1+2+1 = 4 for windows that straddle it (j = 1, 2) and 0 elsewhere.
    np.testing.assert_array_equal(out, np.tile([0.0, 4.0, 4.0, 0.0], (3, 1)))


def test_conv2d_keeps_float32_and_skips_input_gradient_when_not_needed():
    x = RNG.standard_normal((2, 1, 6, 6)).astype(np.float32)
    w = Tensor(RNG.standard_normal((2, 1, 3, 3)).astype(np.float32), requires_grad=True)
    X = Tensor(x)
    out = conv.conv2d(X, w, padding=1)
    assert out.dtype == np.float32
    out.sum().backward()
    assert X.grad is None and w.grad.dtype == np.float32


def test_conv2d_errors_name_both_shapes():
    x, w = Tensor(np.zeros((1, 3, 5, 5))), Tensor(np.zeros((2, 4, 3, 3)))
    with pytest.raises(
        ValueError, match=r"\(1, 3, 5, 5\).*3 channels.*\(2, 4, 3, 3\).*expects 4"
    ):
        conv.conv2d(x, w)
    with pytest.raises(
        ValueError,
        match=r"kernel of weight shape \(2, 3, 7, 7\) is larger.*\(1, 3, 5, 5\).*5x5",
    ):
        conv.conv2d(x, Tensor(np.zeros((2, 3, 7, 7))))
    conv.conv2d(x, Tensor(np.zeros((2, 3, 7, 7))), padding=1)  # fits once padded: 7x7
    with pytest.raises(ValueError, match=r"input \(3, 5, 5\) must be \(N, C, H, W\)"):
        conv.conv2d(np.zeros((3, 5, 5)), w)
    with pytest.raises(ValueError, match=r"bias of shape \(3,\).*\(2, 3, 3, 3\)"):
        conv.conv2d(x, Tensor(np.zeros((2, 3, 3, 3))), Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match="stride must be >= 1"):
        conv.conv2d(x, Tensor(np.zeros((2, 3, 3, 3))), stride=0)


# ------------------------------------------------------------------------ pooling
POOL_CASES = [
    ((2, 3, 8, 8), 2, None, 0),
    ((2, 3, 7, 9), 3, 2, 1),  # overlapping windows: one pixel can win twice
    ((1, 2, 6, 7), (2, 3), (1, 2), (1, 1)),
    ((2, 2, 5, 5), 2, None, 0),  # odd size: the last row/column is dropped
]


@pytest.mark.parametrize("x_shape,kernel,stride,padding", POOL_CASES, ids=str)
def test_max_pool2d_matches_torch(x_shape, kernel, stride, padding):
    x = RNG.standard_normal(x_shape)
    X = Tensor(x.copy(), requires_grad=True)
    out = conv.max_pool2d(X, kernel, stride, padding)
    tx = torch.tensor(x, requires_grad=True)
    ref = F.max_pool2d(tx, kernel, stride, padding)
    np.testing.assert_array_equal(out.data, ref.detach().numpy())
    upstream = RNG.standard_normal(out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(X.grad, tx.grad.numpy(), **TOL)


def test_max_pool2d_ties_send_the_gradient_to_the_first_maximum_like_torch():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 2:, 2:] = [[5, 5], [5, 1]]
    X, tx = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    conv.max_pool2d(X, 2).sum().backward()
    F.max_pool2d(tx, 2).sum().backward()
    np.testing.assert_array_equal(X.grad, tx.grad.numpy())
    assert X.grad.sum() == 4  # one winner per window, not split among ties


def test_max_pool2d_gradient_matches_finite_differences():
    x = (
        RNG.permutation(60).reshape(1, 3, 4, 5) / 7.0
    )  # distinct values: max is differentiable
    X = Tensor(x.copy(), requires_grad=True)
    out = conv.max_pool2d(X, 2, 1)
    upstream = RNG.standard_normal(out.shape)
    out.backward(upstream)
    (numeric,) = finite_diff(lambda a: conv.max_pool2d(a, 2, 1).data, [x], upstream)
    np.testing.assert_allclose(X.grad, numeric, rtol=1e-6, atol=1e-7)


def test_max_pool2d_errors():
    with pytest.raises(ValueError, match=r"kernel \(5, 5\) is larger.*\(1, 1, 4, 4\)"):
        conv.max_pool2d(np.zeros((1, 1, 4, 4)), 5)
    with pytest.raises(ValueError, match="padding"):
        conv.max_pool2d(np.zeros((1, 1, 4, 4)), 2, padding=2)
    with pytest.raises(ValueError, match=r"\(4, 4\) must be \(N, C, H, W\)"):
        conv.max_pool2d(np.zeros((4, 4)), 2)


# ------------------------------------------------------------------------ modules
def test_conv2d_module_default_init_is_torch_default():
    layer = conv.Conv2d(3, 64, 5, rng=0)
    assert layer.weight.shape == (64, 3, 5, 5) and layer.bias.shape == (64,)
    bound = 1 / math.sqrt(3 * 5 * 5)
    for p in (layer.weight.data, layer.bias.data):
        assert np.abs(p).max() <= bound
    # uniform on [-b, b]: standard deviation b / sqrt(3)
    assert layer.weight.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    torch.manual_seed(0)
    twin = torch.nn.Conv2d(3, 64, 5)
    assert twin.weight.abs().max().item() <= bound
    assert twin.weight.std().item() == pytest.approx(layer.weight.data.std(), rel=0.05)
    assert (
        conv.Conv2d(3, 4, 3, rng=1).weight.data.tolist()
        == conv.Conv2d(3, 4, 3, rng=1).weight.data.tolist()
    )


def test_small_cnn_from_torch_matches_outputs_and_every_parameter_gradient():
    torch.manual_seed(0)
    twin = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, bias=False),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(6 * 2 * 2, 3),
    ).double()
    ours = nn.from_torch(twin)
    assert isinstance(ours, nn.Sequential) and isinstance(ours[5], conv.Flatten)
    x = RNG.standard_normal((5, 1, 8, 8))
    X, tx = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours(X), twin(tx)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **TOL)
    upstream = RNG.standard_normal(out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(X.grad, tx.grad.numpy(), **TOL)
    names = [n for n, _ in ours.named_parameters()]
    assert names == [n for n, _ in twin.named_parameters()]
    for (name, p), (_, tp) in zip(ours.named_parameters(), twin.named_parameters()):
        np.testing.assert_allclose(
            p.data, tp.detach().numpy(), rtol=0, atol=0, err_msg=name
        )
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), **TOL, err_msg=name)


def test_flatten_matches_torch_and_from_torch_rejects_unsupported():
    x = RNG.standard_normal((2, 3, 4, 5))
    for args in [(), (0, -1), (1, 2), (2, 3)]:
        assert conv.Flatten(*args)(x).shape == tuple(
            torch.nn.Flatten(*args)(torch.tensor(x)).shape
        )
    with pytest.raises(ValueError, match="dilation"):
        conv.Conv2d.from_torch(torch.nn.Conv2d(1, 1, 3, dilation=2))
    with pytest.raises(ValueError, match="groups"):
        conv.Conv2d.from_torch(torch.nn.Conv2d(2, 2, 3, groups=2))

"""dlcourse.batchnorm against torch.nn.BatchNorm1d/2d in float64 and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gradcheck import finite_diff

from dlcourse.autograd import Tensor
from dlcourse.batchnorm import BatchNorm1d, BatchNorm2d
from dlcourse.interop import from_torch
from dlcourse.nn import Module

SHAPES = {
    "1d-NC": (BatchNorm1d, torch.nn.BatchNorm1d, (6, 4)),
    "1d-NCL": (BatchNorm1d, torch.nn.BatchNorm1d, (5, 4, 3)),
    "2d-NCHW": (BatchNorm2d, torch.nn.BatchNorm2d, (3, 4, 2, 5)),
}


def _pair(key: str, **kwargs):
    """Our layer and torch's, torch's with random weights, ours copied by hand."""
    ours_cls, torch_cls, shape = SHAPES[key]
    torch.manual_seed(0)
    ref = torch_cls(shape[1], **kwargs).double()
    ours = ours_cls(shape[1], **kwargs)
    if ref.affine:
        with torch.no_grad():
            ref.weight.normal_()
            ref.bias.normal_()
        ours.weight.data[...] = ref.weight.detach().numpy()
        ours.bias.data[...] = ref.bias.detach().numpy()
    return ours, ref, shape


def _batch(shape, seed):
    rng = np.random.default_rng(seed)
    # Channels with different means and scales, so normalisation has work to do.
    scale = np.arange(1, shape[1] + 1).reshape((1, -1) + (1,) * (len(shape) - 2))
    return rng.standard_normal(shape) * scale + 3.0 * scale


def _compare_step(ours, ref, x, seed):
    """One forward and backward of a random linear loss; outputs and all gradients."""
    xt = torch.tensor(x, requires_grad=True)
    xo = Tensor(x.copy(), requires_grad=True)
    yt, yo = ref(xt), ours(xo)
    np.testing.assert_allclose(yo.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = np.random.default_rng(seed).standard_normal(x.shape)
    (yt * torch.tensor(w)).sum().backward()
    (yo * w).sum().backward()
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    if ref.affine:
        for name in ("weight", "bias"):
            np.testing.assert_allclose(
                getattr(ours, name).grad,
                getattr(ref, name).grad.numpy(),
                rtol=1e-9,
                atol=1e-11,
                err_msg=name,
            )
            getattr(ours, name).grad = None
            getattr(ref, name).grad = None


def _compare_running_stats(ours, ref):
    np.testing.assert_allclose(ours.running_mean, ref.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var, ref.running_var.numpy(), rtol=1e-12)
    assert ours.num_batches_tracked == int(ref.num_batches_tracked)


@pytest.mark.parametrize("key", list(SHAPES))
@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
def test_train_steps_then_eval_match_torch(key, momentum):
    """Several training steps (outputs, gradients, running stats), then eval mode."""
    ours, ref, shape = _pair(key, momentum=momentum)
    for step in range(4):
        _compare_step(ours, ref, _batch(shape, step), seed=10 + step)
        _compare_running_stats(ours, ref)
    assert ours.num_batches_tracked == 4
    # The running statistics moved away from their (0, 1) start.
    assert np.abs(ours.running_mean).min() > 0.1
    ours.eval()
    ref.eval()
    _compare_step(ours, ref, _batch(shape, 99), seed=5)
    _compare_running_stats(ours, ref)  # eval mode updates nothing
    assert ours.num_batches_tracked == 4


@pytest.mark.parametrize("key", list(SHAPES))
def test_affine_false_matches_torch_and_has_no_parameters(key):
    ours, ref, shape = _pair(key, affine=False)
    assert ours.parameters() == [] and ours.weight is None
    for step in range(2):
        _compare_step(ours, ref, _batch(shape, step), seed=step)
    ours.eval()
    ref.eval()
    _compare_step(ours, ref, _batch(shape, 7), seed=7)


@pytest.mark.parametrize("key", list(SHAPES))
def test_without_running_stats_always_uses_the_batch(key):
    ours, ref, shape = _pair(key, track_running_stats=False)
    assert ours.running_mean is None and ours.num_batches_tracked is None
    _compare_step(ours, ref, _batch(shape, 0), seed=0)
    ours.eval()
    ref.eval()
    _compare_step(ours, ref, _batch(shape, 1), seed=1)  # eval: still batch stats
    y = ours(_batch(shape, 1)).data
    axes = (0, *range(2, len(shape)))
    normalised = (y - ours.bias.data.reshape((1, -1) + (1,) * (len(shape) - 2))) / (
        ours.weight.data.reshape((1, -1) + (1,) * (len(shape) - 2))
    )
    np.testing.assert_allclose(normalised.mean(axis=axes), 0.0, atol=1e-12)


@pytest.mark.parametrize("key", list(SHAPES))
def test_from_torch_copies_weights_stats_and_mode(key):
    _, torch_cls, shape = SHAPES[key]
    torch.manual_seed(1)
    ref = torch_cls(shape[1], eps=1e-3, momentum=0.2).double()
    with torch.no_grad():
        ref.weight.normal_()
        ref.bias.normal_()
    for step in range(3):
        ref(torch.tensor(_batch(shape, step)))
    ref.eval()
    ours = from_torch(ref)
    assert type(ours).__name__ == torch_cls.__name__
    assert (ours.eps, ours.momentum, ours.training) == (1e-3, 0.2, False)
    _compare_running_stats(ours, ref)
    _compare_step(ours, ref, _batch(shape, 5), seed=3)
    # Copies, not views: training ours leaves torch's buffers alone.
    ours.train()
    ours(_batch(shape, 6))
    assert int(ref.num_batches_tracked) == 3
    assert not np.allclose(ours.running_mean, ref.running_mean.numpy())


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("key", ["1d-NC", "2d-NCHW"])
def test_gradients_equal_finite_differences(key, training):
    ours, _, shape = _pair(key)
    ours.running_mean[...] = np.linspace(-1, 1, shape[1])
    ours.running_var[...] = np.linspace(0.5, 2, shape[1])
    ours.train(training)
    x = _batch(shape, 3)
    upstream = np.random.default_rng(4).standard_normal(shape)
    weight, bias = ours.weight.data, ours.bias.data
    saved = (ours.running_mean.copy(), ours.running_var.copy())

    def f(x_, w_, b_):
        # Finite differences must not move the running statistics.
        ours.running_mean[...], ours.running_var[...] = saved
        return ours(x_).data

    expected = finite_diff(f, [x.copy(), weight, bias], upstream)
    xo = Tensor(x, requires_grad=True)
    ours.weight.grad = ours.bias.grad = None
    (ours(xo) * upstream).sum().backward()
    for got, want in zip([xo.grad, ours.weight.grad, ours.bias.grad], expected):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_is_a_module_with_weight_and_bias_parameters():
    layer = BatchNorm2d(3)
    assert isinstance(layer, Module)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert "BatchNorm2d(3, eps=1e-05, momentum=0.1" in repr(layer)


@pytest.mark.parametrize(
    "layer, shape, message",
    [
        (BatchNorm1d(4), (2, 4, 3, 3), r"2-D or 3-D.*\(2, 4, 3, 3\)"),
        (BatchNorm1d(4), (4,), r"2-D or 3-D.*\(4,\)"),
        (BatchNorm2d(4), (2, 4, 3), r"4-D.*\(2, 4, 3\)"),
        (BatchNorm1d(4), (5, 3), r"\(5, 3\) has 3 channels.*num_features=4"),
        (BatchNorm2d(4), (2, 5, 3, 3), r"\(2, 5, 3, 3\) has 5 channels"),
        (BatchNorm1d(4), (1, 4), "more than 1 value per channel"),
    ],
)
def test_wrong_inputs_raise_errors_naming_the_shapes(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer(np.ones(shape))


def test_deep_batchnorm_network_converts_and_matches_torch_in_training():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(5, 8),
        torch.nn.BatchNorm1d(8),
        torch.nn.ReLU(),
        torch.nn.Linear(8, 3),
    ).double()
    ours = from_torch(net)
    x = np.random.default_rng(0).standard_normal((16, 5))
    np.testing.assert_allclose(
        ours(x).data, net(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(
        ours[1].running_mean, net[1].running_mean.numpy(), rtol=1e-12
    )

"""dlcourse.diagnostics against PyTorch float64 on twin networks, and the facts the chapter relies on."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcourse import nn
from dlcourse.diagnostics import activation_stats, initialise, layer_gradient_norms
from dlcourse.losses import cross_entropy


def _torch_deep(act, depth=6, width=16, n_in=8, n_out=3, seed=0):
    torch.manual_seed(seed)
    layers, d = [], n_in
    for _ in range(depth):
        layers += [torch.nn.Linear(d, width), act()]
        d = width
    layers.append(torch.nn.Linear(d, n_out))
    return torch.nn.Sequential(*layers).double()


@pytest.mark.parametrize("act", [torch.nn.Sigmoid, torch.nn.ReLU, torch.nn.Tanh])
def test_gradient_norms_match_torch_autograd(act):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 8)), rng.integers(0, 3, 20)
    tmodel = _torch_deep(act)
    ours = layer_gradient_norms(nn.from_torch(tmodel), X, y, cross_entropy)
    # The reference, written out by hand with torch autograd.
    loss = F.cross_entropy(tmodel(torch.from_numpy(X)), torch.from_numpy(y))
    grads = torch.autograd.grad(
        loss, [m.weight for m in tmodel if isinstance(m, torch.nn.Linear)]
    )
    expected = [float(g.norm()) for g in grads]
    assert list(ours) == [f"{i}.weight" for i in range(0, 2 * 6 + 1, 2)]
    np.testing.assert_allclose(list(ours.values()), expected, rtol=1e-10, atol=0)
    # The torch path of the same function gives the same numbers and leaves no gradients behind.
    theirs = layer_gradient_norms(tmodel, X, y, F.cross_entropy)
    np.testing.assert_allclose(list(theirs.values()), expected, rtol=1e-10)
    assert all(p.grad is None for p in tmodel.parameters())


def test_gradient_norms_do_not_accumulate_or_leak():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((10, 4)), rng.integers(0, 2, 10)
    model = nn.MLP([4, 5, 2], seed=0)
    first = layer_gradient_norms(model, X, y, cross_entropy)
    second = layer_gradient_norms(model, X, y, cross_entropy)
    assert first == second  # would double if gradients accumulated
    assert all(p.grad is None for p in model.parameters())


def test_sigmoid_gradients_vanish_relu_gradients_do_not():
    """At He initialisation the first layer of a 10-layer sigmoid net gets a far smaller gradient."""
    from dlcourse.data import digits

    d = digits(seed=0)
    X, y = d.X_train[:256], d.y_train[:256]
    norms = {}
    for act in ("sigmoid", "relu"):
        model = initialise(
            nn.MLP([64] + [64] * 10 + [10], activation=act, seed=0), "he", rng=0
        )
        norms[act] = list(layer_gradient_norms(model, X, y, cross_entropy).values())
    assert norms["sigmoid"][0] < norms["relu"][0] / 100
    # and in the sigmoid net the signal shrinks from the output layer to the input layer
    assert norms["sigmoid"][0] < norms["sigmoid"][-1] / 1000


def test_initialise_variances_match_formulas():
    model = nn.MLP([400, 300, 300, 10], activation="tanh", seed=0)
    for scheme, var in [
        ("normal", lambda i, o: 1.0),
        ("xavier", lambda i, o: 2 / (i + o)),
        ("he", lambda i, o: 2 / i),
    ]:
        initialise(model, scheme, rng=0)
        for layer in (model[0], model[2]):
            fan_out, fan_in = layer.weight.shape
            assert layer.weight.data.var() == pytest.approx(
                var(fan_in, fan_out), rel=0.05
            )
            assert np.all(layer.bias.data == 0)
    initialise(model, "default", rng=0)
    assert np.abs(model[0].weight.data).max() <= 1 / np.sqrt(400)
    with pytest.raises(ValueError, match="unknown scheme"):
        initialise(model, "zeros")


def test_activation_stats_match_manual_forward_and_torch():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 8))
    tmodel = _torch_deep(torch.nn.Tanh, depth=3)
    ours = activation_stats(nn.from_torch(tmodel), X)
    theirs = activation_stats(tmodel, X)
    assert (
        [s.name for s in ours]
        == ["1 Tanh", "3 Tanh", "5 Tanh"]
        == [s.name for s in theirs]
    )
    with torch.no_grad():
        h1 = torch.tanh(tmodel[0](torch.from_numpy(X))).numpy()
    assert ours[0].mean == pytest.approx(h1.mean(), abs=1e-12)
    assert ours[0].std == pytest.approx(h1.std(), abs=1e-12)
    assert ours[0].saturated_fraction == pytest.approx(np.mean(np.abs(h1) > 0.99))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.values, b.values, atol=1e-12)
    assert len(activation_stats(tmodel, X, every_layer=True)) == 7


def test_init_schemes_keep_or_lose_the_activation_scale():
    """The chapter's point: N(0,1) saturates tanh; Xavier keeps tanh alive; He keeps ReLU's scale."""
    X = np.random.default_rng(0).standard_normal((500, 256))
    tanh_net = nn.MLP([256] + [256] * 8 + [10], activation="tanh", seed=0)
    sat = activation_stats(initialise(tanh_net, "normal", rng=0), X)[
        -1
    ].saturated_fraction
    assert sat > 0.8
    xav = activation_stats(initialise(tanh_net, "xavier", rng=0), X)
    assert xav[-1].saturated_fraction < 0.01 and xav[-1].std > 0.1
    relu_net = nn.MLP([256] + [256] * 8 + [10], activation="relu", seed=0)
    he = [s.std for s in activation_stats(initialise(relu_net, "he", rng=0), X)]
    xr = [s.std for s in activation_stats(initialise(relu_net, "xavier", rng=0), X)]
    assert 0.3 < he[-1] / he[0] < 3  # He: the scale is kept
    assert xr[-1] / xr[0] < 0.1  # Xavier under ReLU: halves the second moment per layer

"""dlcourse.nn and dlcourse.init against their PyTorch twins (float64) and published formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dlcourse import init, nn
from dlcourse.autograd import Tensor, no_grad

ATOL = 1e-12


def run_ours(module, x: np.ndarray, upstream: np.ndarray):
    """Forward + backward with a given upstream gradient; returns output and input grad."""
    xt = Tensor(x.copy(), requires_grad=True)
    out = module(xt)
    out.backward(upstream)
    return out.data, xt.grad


def run_torch(module, x: np.ndarray, upstream: np.ndarray):
    xt = torch.tensor(x, requires_grad=True)
    out = module(xt)
    out.backward(torch.tensor(upstream))
    return out.detach().numpy(), xt.grad.numpy()


def assert_params_and_grads_equal(ours: nn.Module, twin: torch.nn.Module) -> None:
    ours_named = ours.named_parameters()
    twin_named = list(twin.named_parameters())
    assert [n for n, _ in ours_named] == [n for n, _ in twin_named]
    for (name, p), (_, tp) in zip(ours_named, twin_named):
        assert p.shape == tuple(tp.shape), name
        np.testing.assert_allclose(
            p.data, tp.detach().numpy(), atol=ATOL, rtol=0, err_msg=name
        )
        np.testing.assert_allclose(
            p.grad, tp.grad.numpy(), atol=ATOL, rtol=1e-10, err_msg=name
        )


# ----------------------------------------------------------------------------- Linear
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_shape", [(7, 5), (2, 3, 5), (5,)])
def test_linear_matches_torch_outputs_and_gradients(bias, x_shape):
    torch.manual_seed(0)
    twin = torch.nn.Linear(5, 4, bias=bias).double()
    ours = nn.Linear.from_torch(twin)
    assert ours.weight.shape == (4, 5)  # PyTorch's (out_features, in_features) layout
    assert (ours.bias is None) == (not bias)
    rng = np.random.default_rng(0)
    x = rng.normal(size=x_shape)
    upstream = rng.normal(size=x_shape[:-1] + (4,))
    out, gx = run_ours(ours, x, upstream)
    t_out, t_gx = run_torch(twin, x, upstream)
    np.testing.assert_allclose(out, t_out, atol=ATOL, rtol=0)
    np.testing.assert_allclose(gx, t_gx, atol=ATOL, rtol=0)
    assert_params_and_grads_equal(ours, twin)


def test_linear_from_float32_torch_copies_as_float64():
    twin = torch.nn.Linear(3, 2)
    ours = nn.Linear.from_torch(twin)
    assert ours.weight.dtype == np.float64
    np.testing.assert_array_equal(
        ours.weight.data, twin.weight.detach().double().numpy()
    )
    ours.weight.data[0, 0] = 123.0  # a copy: torch's weight is untouched
    assert twin.weight[0, 0].item() != 123.0


def test_linear_wrong_in_features_names_both_shapes():
    layer = nn.Linear(3, 4, rng=0)
    with pytest.raises(ValueError, match=r"\(2, 5\).*\(4, 3\)"):
        layer(np.zeros((2, 5)))


def test_linear_default_init_is_torch_default():
    """U(-1/sqrt(in), 1/sqrt(in)) for weight and bias, like torch.nn.Linear."""
    n_in, n_out = 400, 500
    ours = nn.Linear(n_in, n_out, rng=0)
    bound = 1 / math.sqrt(n_in)
    twin = torch.nn.Linear(n_in, n_out)
    for w in (ours.weight.data, twin.weight.detach().numpy()):
        assert np.abs(w).max() <= bound
        assert np.abs(w).max() > 0.999 * bound
        assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound / math.sqrt(3)
    assert np.abs(ours.bias.data).max() <= bound
    # Seeded: same seed, same weights; another seed, other weights.
    np.testing.assert_array_equal(
        nn.Linear(4, 3, rng=7).weight.data, nn.Linear(4, 3, rng=7).weight.data
    )
    assert not np.array_equal(
        nn.Linear(4, 3, rng=7).weight.data, nn.Linear(4, 3, rng=8).weight.data
    )


def test_linear_accepts_plain_arrays_and_keeps_float32():
    layer = nn.Linear(2, 3, rng=0, dtype=np.float32)
    out = layer(np.ones((4, 2), dtype=np.float32))
    assert out.shape == (4, 3) and out.dtype == np.float32


# ------------------------------------------------------------------ activations / Sequential
TORCH_ACTS = [
    torch.nn.ReLU(),
    torch.nn.Sigmoid(),
    torch.nn.Tanh(),
    torch.nn.LeakyReLU(),
    torch.nn.LeakyReLU(0.2),
    torch.nn.GELU(),
    torch.nn.GELU(approximate="tanh"),
    torch.nn.Identity(),
]


@pytest.mark.parametrize("twin", TORCH_ACTS, ids=repr)
def test_activation_modules_match_torch(twin):
    ours = nn.from_torch(twin)
    assert type(ours).__name__ == type(twin).__name__
    # Include exact zeros: the kink's one-sided derivative must match torch's choice.
    x = np.concatenate(
        [np.linspace(-6, 6, 97), [0.0, -0.0, 1e-9, -1e-9, 30.0, -30.0]]
    ).reshape(-1, 1)
    upstream = np.random.default_rng(0).normal(size=x.shape)
    out, gx = run_ours(ours, x, upstream)
    t_out, t_gx = run_torch(twin, x, upstream)
    np.testing.assert_allclose(out, t_out, atol=ATOL, rtol=1e-12)
    np.testing.assert_allclose(gx, t_gx, atol=ATOL, rtol=1e-12)


def test_sequential_from_torch_matches_outputs_and_all_gradients():
    torch.manual_seed(1)
    twin = torch.nn.Sequential(
        torch.nn.Linear(6, 16),
        torch.nn.ReLU(),
        torch.nn.Linear(16, 16),
        torch.nn.Tanh(),
        torch.nn.Linear(16, 12),
        torch.nn.GELU(),
        torch.nn.Linear(12, 8),
        torch.nn.LeakyReLU(0.1),
        torch.nn.Linear(8, 8),
        torch.nn.Sigmoid(),
        torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.Identity()),
    ).double()
    ours = nn.Sequential.from_torch(twin)
    assert len(ours) == len(twin) and isinstance(ours[-1], nn.Sequential)
    rng = np.random.default_rng(2)
    x, upstream = rng.normal(size=(10, 6)), rng.normal(size=(10, 4))
    out, gx = run_ours(ours, x, upstream)
    t_out, t_gx = run_torch(twin, x, upstream)
    np.testing.assert_allclose(out, t_out, atol=ATOL, rtol=0)
    np.testing.assert_allclose(gx, t_gx, atol=ATOL, rtol=0)
    assert_params_and_grads_equal(ours, twin)  # names "0.weight", ..., "10.0.bias" too


def test_from_torch_rejects_unknown_modules():
    with pytest.raises(
        TypeError, match="PixelShuffle; supported: .*BatchNorm2d, Conv2d, .*Linear"
    ):
        nn.Sequential.from_torch(torch.nn.Sequential(torch.nn.PixelShuffle(2)))


def test_sequential_indexing_and_iteration():
    layers = [nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 1, rng=1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and list(seq) == layers and seq[2] is layers[2]
    assert isinstance(seq[:2], nn.Sequential) and list(seq[:2]) == layers[:2]
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)


# ---------------------------------------------------------------------------- Module
def test_parameters_have_no_duplicates_when_layers_are_shared():
    shared = nn.Linear(4, 4, rng=0)
    model = nn.Sequential(shared, nn.ReLU(), shared, nn.Sequential(shared))
    params = model.parameters()
    assert len(params) == 2
    assert params[0] is shared.weight and params[1] is shared.bias
    assert model.num_parameters() == 4 * 4 + 4
    # Tied weights: two distinct layers holding the same Tensor.
    other = nn.Linear(4, 4, rng=1)
    other.weight = shared.weight
    tied = nn.Sequential(shared, other)
    assert [n for n, _ in tied.named_parameters()] == ["0.weight", "0.bias", "1.bias"]


def test_parameters_found_in_attributes_and_lists():
    class Net(nn.Module):
        def __init__(self):
            self.blocks = [nn.Linear(3, 3, rng=i) for i in range(2)]
            self.head = nn.Linear(3, 1, rng=5)
            self.scale = Tensor(np.ones(1), requires_grad=True)
            self.constant = Tensor(np.ones(3))  # no requires_grad: not a parameter

        def forward(self, x):
            for b in self.blocks:
                x = b(x).relu()
            return self.head(x) * self.scale

    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == [
        "scale",
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.1.weight",
        "blocks.1.bias",
        "head.weight",
        "head.bias",
    ]
    out = net(np.ones((2, 3))).sum()
    out.backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_train_eval_propagate_to_nested_modules():
    model = nn.Sequential(
        nn.Linear(2, 2, rng=0), nn.Sequential(nn.Dropout(0.5), nn.ReLU())
    )
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert len(model.modules()) == 5 and not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.train(False)
    assert not model[1][0].training


# ---------------------------------------------------------------------------- Dropout
def test_dropout_inverted_scaling_and_mean_preserved():
    p, n = 0.3, 1_000_000
    drop = nn.Dropout(p, rng=0)
    x = Tensor(np.full(n, 2.0), requires_grad=True)
    out = drop(x)
    values = set(np.unique(out.data).tolist())
    assert values == {0.0, 2.0 / (1 - p)}  # survivors scaled by 1/(1-p)
    dropped = np.mean(out.data == 0)
    sigma = math.sqrt(p * (1 - p) / n)
    assert abs(dropped - p) < 5 * sigma
    # E[out] = x: mean within 5 standard errors of 2.
    assert abs(out.data.mean() - 2.0) < 5 * out.data.std() / math.sqrt(n)
    # Gradient is the same mask and scale.
    out.backward(np.ones(n))
    np.testing.assert_allclose(x.grad, out.data / 2.0)


def test_dropout_eval_is_identity_and_seeded():
    x = np.random.default_rng(0).normal(size=(50, 20))
    drop = nn.Dropout(0.5, rng=3)
    drop.eval()
    np.testing.assert_array_equal(drop(x).data, x)
    a, b = nn.Dropout(0.5, rng=3)(x).data, nn.Dropout(0.5, rng=3)(x).data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, nn.Dropout(0.5, rng=4)(x).data)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).data, x)
    np.testing.assert_array_equal(nn.Dropout(1.0)(x).data, np.zeros_like(x))
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout(1.5)


# -------------------------------------------------------------------------------- MLP
def test_mlp_structure_seed_and_torch_parameter_count():
    mlp = nn.MLP([64, 128, 32, 10], activation="tanh", dropout=0.1, seed=0)
    kinds = [type(m).__name__ for m in mlp]
    assert kinds == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    twin = torch.nn.Sequential(
        torch.nn.Linear(64, 128), torch.nn.Linear(128, 32), torch.nn.Linear(32, 10)
    )
    assert mlp.num_parameters() == sum(p.numel() for p in twin.parameters())
    again = nn.MLP([64, 128, 32, 10], activation="tanh", dropout=0.1, seed=0)
    for p, q in zip(mlp.parameters(), again.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    x = np.random.default_rng(0).normal(size=(8, 64))
    mlp.eval()
    no_dropout = nn.MLP([64, 128, 32, 10], activation="tanh", seed=0)
    np.testing.assert_allclose(mlp(x).data, no_dropout(x).data, atol=ATOL)
    with pytest.raises(ValueError, match="unknown activation"):
        nn.MLP([2, 2], activation="swish")


def test_mlp_forward_under_no_grad_records_nothing():
    mlp = nn.MLP([3, 4, 2], seed=0)
    with no_grad():
        out = mlp(np.ones((1, 3)))
    assert not out.requires_grad


# ------------------------------------------------------------------------------- init
SHAPE = (600, 1000)  # fan_out = 600, fan_in = 1000: 600 000 samples


def empirical_std_close(arr: np.ndarray, std: float) -> bool:
    # The std estimate of 6e5 samples has relative error ~ 1e-3; allow 1 %.
    return abs(arr.std() - std) < 0.01 * std and abs(arr.mean()) < 0.01 * std


def test_fans_and_gains_match_torch():
    for shape in [(3, 7), (16, 3, 5, 5), (8, 4, 3)]:
        expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        assert init.calculate_fan_in_and_fan_out(np.empty(shape)) == expected
    for name, param in [
        ("linear", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", math.sqrt(5)),
        ("selu", None),
        ("conv2d", None),
    ]:
        assert init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param), rel=1e-12
        )
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(np.zeros(5))


@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_xavier_formulas(gain):
    fan_in, fan_out = SHAPE[1], SHAPE[0]
    std = gain * math.sqrt(2 / (fan_in + fan_out))
    w = init.xavier_uniform_(np.empty(SHAPE), gain=gain, rng=0)
    bound = math.sqrt(3) * std
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    assert empirical_std_close(w, std)
    assert empirical_std_close(
        init.xavier_normal_(np.empty(SHAPE), gain=gain, rng=0), std
    )
    # torch's own draws obey the same formula
    assert empirical_std_close(
        torch.nn.init.xavier_normal_(torch.empty(SHAPE), gain=gain).numpy(), std
    )


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize(
    "nonlinearity, a", [("relu", 0.0), ("leaky_relu", 0.0), ("leaky_relu", 0.2)]
)
def test_kaiming_formulas(mode, nonlinearity, a):
    fan = SHAPE[1] if mode == "fan_in" else SHAPE[0]
    std = math.sqrt(2 / (1 + a**2)) / math.sqrt(fan)  # He et al. (2015)
    w = init.kaiming_uniform_(
        Tensor(np.empty(SHAPE)), a=a, mode=mode, nonlinearity=nonlinearity, rng=0
    )
    bound = math.sqrt(3) * std
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.999 * bound
    assert empirical_std_close(w.data, std)
    wn = init.kaiming_normal_(
        np.empty(SHAPE), a=a, mode=mode, nonlinearity=nonlinearity, rng=0
    )
    assert empirical_std_close(wn, std)
    tw = torch.nn.init.kaiming_normal_(
        torch.empty(SHAPE), a=a, mode=mode, nonlinearity=nonlinearity
    )
    assert empirical_std_close(tw.numpy(), std)


def test_init_fills_in_place_seeded_and_keeps_dtype():
    t = Tensor(np.zeros((30, 20), dtype=np.float32), requires_grad=True)
    arr = t.data
    assert init.kaiming_uniform_(t, rng=1) is t
    assert t.data is arr and t.data.dtype == np.float32 and np.abs(arr).max() > 0
    again = init.kaiming_uniform_(np.zeros((30, 20), dtype=np.float32), rng=1)
    np.testing.assert_array_equal(arr, again)
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(np.zeros((3, 3)), mode="fan_avg")

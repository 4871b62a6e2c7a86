"""dlcourse.gru against torch.nn.GRUCell / torch.nn.GRU (float64), the published equations
and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from gradcheck import finite_diff

from dlcourse import gru
from dlcourse.autograd import Tensor
from dlcourse.interop import from_torch

RNG = np.random.default_rng(14)
TOL = {"rtol": 1e-9, "atol": 1e-10}
WEIGHTS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _params_equal(cell: gru.GRUCell, twin: torch.nn.Module, suffix: str = "") -> None:
    """Our cell's weights equal the twin's, and so do their gradients."""
    for name in WEIGHTS:
        ours = getattr(cell, name)
        if ours is None:
            assert getattr(twin, name + suffix, None) is None, name
            continue
        theirs = getattr(twin, name + suffix)
        np.testing.assert_array_equal(ours.data, theirs.detach().numpy(), err_msg=name)
        np.testing.assert_allclose(
            ours.grad, theirs.grad.numpy(), **TOL, err_msg=name + suffix
        )


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


@pytest.mark.parametrize("with_state", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_gru_cell_matches_torch(bias, with_state):
    torch.manual_seed(0)
    twin = torch.nn.GRUCell(3, 5, bias=bias).double()
    ours = gru.GRUCell.from_torch(twin)
    x, h = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 5))
    X, tx = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    Hh, th = Tensor(h.copy(), requires_grad=True), torch.tensor(h, requires_grad=True)
    out = ours(X, Hh if with_state else None)
    ref = twin(tx, th if with_state else None)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **TOL)
    upstream = RNG.standard_normal(out.shape)
    (out * upstream).sum().backward()
    (ref * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(X.grad, tx.grad.numpy(), **TOL)
    if with_state:
        np.testing.assert_allclose(Hh.grad, th.grad.numpy(), **TOL)
    _params_equal(ours, twin)


def test_gru_cell_follows_the_published_equations_in_gate_order_r_z_n():
    """The equations of the module docstring written out in NumPy, with the row blocks
    of weight_ih / weight_hh read in PyTorch's order r, z, n."""
    cell = gru.GRUCell(3, 4, rng=7)
    x, h = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 4))
    out = cell(x, h)
    W_ih, W_hh = cell.weight_ih.data, cell.weight_hh.data
    b_ih, b_hh = cell.bias_ih.data, cell.bias_hh.data
    gi, gh = x @ W_ih.T + b_ih, h @ W_hh.T + b_hh
    r = _sigmoid(gi[:, 0:4] + gh[:, 0:4])
    z = _sigmoid(gi[:, 4:8] + gh[:, 4:8])
    n = np.tanh(gi[:, 8:12] + r * gh[:, 8:12])
    np.testing.assert_allclose(out.data, (1 - z) * n + z * h, **TOL)
    for name, value in zip("rzn", (r, z, n)):
        np.testing.assert_allclose(cell.last_gates[name], value, **TOL, err_msg=name)


def _run_both(ours, twin, x, h0):
    """Forward both on x (and h0 or None), backprop a random linear loss of every
    output and of h_n; returns our input Tensor, our h0 Tensor and torch's."""
    X, tx = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    H0 = th0 = None
    if h0 is not None:
        H0, th0 = (
            Tensor(h0.copy(), requires_grad=True),
            torch.tensor(h0, requires_grad=True),
        )
    out, h_n = ours(X, H0)
    ref, th_n = twin(tx, th0)
    assert out.shape == tuple(ref.shape) and h_n.shape == tuple(th_n.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **TOL)
    np.testing.assert_allclose(h_n.data, th_n.detach().numpy(), **TOL)
    up_out, up_h = RNG.standard_normal(out.shape), RNG.standard_normal(h_n.shape)
    ((out * up_out).sum() + (h_n * up_h).sum()).backward()
    ((ref * torch.tensor(up_out)).sum() + (th_n * torch.tensor(up_h)).sum()).backward()
    np.testing.assert_allclose(X.grad, tx.grad.numpy(), **TOL)
    if h0 is not None:
        np.testing.assert_allclose(H0.grad, th0.grad.numpy(), **TOL)
    return X, H0


@pytest.mark.parametrize("steps", [1, 7])
@pytest.mark.parametrize("with_state", [True, False])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_gru_layer_matches_torch(bias, batch_first, with_state, steps):
    torch.manual_seed(1)
    twin = torch.nn.GRU(3, 5, bias=bias, batch_first=batch_first).double()
    ours = gru.GRU.from_torch(twin)
    assert ours.batch_first == batch_first
    shape = (4, steps, 3) if batch_first else (steps, 4, 3)
    x = RNG.standard_normal(shape)
    h0 = RNG.standard_normal((1, 4, 5)) if with_state else None
    _run_both(ours, twin, x, h0)
    _params_equal(ours.cells[0], twin, "_l0")
    # what the chapter plots: the last layer's states and gates, batch first
    assert len(ours.hidden_states) == steps and ours.last_hidden.shape == (4, steps, 5)
    assert all(v.shape == (4, steps, 5) for v in ours.last_gates.values())


@pytest.mark.parametrize("batch_first", [True, False])
def test_stacked_gru_matches_torch(batch_first):
    torch.manual_seed(2)
    twin = torch.nn.GRU(3, 4, num_layers=3, batch_first=batch_first).double()
    ours = from_torch(twin)  # through the one registry
    assert isinstance(ours, gru.GRU) and len(ours.cells) == 3
    x = RNG.standard_normal((2, 6, 3) if batch_first else (6, 2, 3))
    _run_both(ours, twin, x, RNG.standard_normal((3, 2, 4)))
    for k, cell in enumerate(ours.cells):
        _params_equal(cell, twin, f"_l{k}")


def test_a_single_layer_also_takes_h0_as_n_by_h():
    layer = gru.GRU(3, 5, rng=0)
    x, h0 = RNG.standard_normal((4, 6, 3)), RNG.standard_normal((1, 4, 5))
    np.testing.assert_array_equal(layer(x, h0[0])[0].data, layer(x, h0)[0].data)


def test_the_registry_converts_both_twins():
    assert isinstance(from_torch(torch.nn.GRUCell(2, 3)), gru.GRUCell)
    assert isinstance(from_torch(torch.nn.GRU(2, 3)), gru.GRU)


def test_gru_gradients_match_finite_differences():
    layer = gru.GRU(2, 3, rng=0)
    x, h0 = RNG.standard_normal((2, 4, 2)), RNG.standard_normal((1, 2, 3))
    up_out, up_h = RNG.standard_normal((2, 4, 3)), RNG.standard_normal((1, 2, 3))
    X, H0 = Tensor(x.copy(), requires_grad=True), Tensor(h0.copy(), requires_grad=True)
    out, h_n = layer(X, H0)
    ((out * up_out).sum() + (h_n * up_h).sum()).backward()
    params = [p.data for p in layer.parameters()]
    analytic = [X.grad, H0.grad] + [p.grad for p in layer.parameters()]

    def loss_terms(*_: np.ndarray) -> np.ndarray:
        # the parameters are read in place from their arrays, so perturbing them
        # perturbs the layer; one flat vector so one upstream weighs both outputs
        out, h_n = layer(x, h0)
        return np.concatenate([out.data.ravel(), h_n.data.ravel()])

    upstream = np.concatenate([up_out.ravel(), up_h.ravel()])
    numeric = finite_diff(loss_terms, [x, h0, *params], upstream)
    for grad, expected in zip(analytic, numeric):
        np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-8)


def test_default_init_is_torch_default_and_seeded():
    layer = gru.GRU(10, 16, num_layers=2, rng=0)
    first, second = layer.cells
    assert first.weight_ih.shape == (48, 10) and first.weight_hh.shape == (48, 16)
    assert second.weight_ih.shape == (48, 16) and first.bias_ih.shape == (48,)
    bound = 1 / math.sqrt(16)
    for p in layer.parameters():
        assert np.abs(p.data).max() <= bound
    assert first.weight_hh.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert len(gru.GRUCell(2, 3, bias=False).parameters()) == 2
    np.testing.assert_array_equal(
        gru.GRU(2, 3, rng=5).cells[0].weight_hh.data,
        gru.GRU(2, 3, rng=5).cells[0].weight_hh.data,
    )


def test_errors_name_the_shapes():
    with pytest.raises(
        ValueError, match=r"input of shape \(4, 2\).*weight_ih of shape \(15, 3\)"
    ):
        gru.GRUCell(3, 5)(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"hx of shape \(4, 6\).*expected \(4, 5\)"):
        gru.GRUCell(3, 5)(np.zeros((4, 3)), np.zeros((4, 6)))
    with pytest.raises(
        ValueError,
        match=r"input of shape \(4, 7, 2\).*weight_ih_l0 of shape \(15, 3\).*"
        r"\(N, T, 3\)",
    ):
        gru.GRU(3, 5)(np.zeros((4, 7, 2)))
    with pytest.raises(ValueError, match=r"input of shape \(4, 3\).*\(T, N, 3\)"):
        gru.GRU(3, 5, batch_first=False)(np.zeros((4, 3)))
    with pytest.raises(
        ValueError, match=r"h0 of shape \(1, 4, 5\).*expected \(2, 4, 5\)"
    ):
        gru.GRU(3, 5, num_layers=2)(np.zeros((4, 7, 3)), np.zeros((1, 4, 5)))
    with pytest.raises(ValueError, match="num_layers must be at least 1"):
        gru.GRU(3, 5, num_layers=0)
    with pytest.raises(ValueError, match="unidirectional"):
        gru.GRU.from_torch(torch.nn.GRU(3, 5, bidirectional=True))
    with pytest.raises(ValueError, match="dropout=0"):
        gru.GRU.from_torch(torch.nn.GRU(3, 5, num_layers=2, dropout=0.5))

"""dlcourse.rnn against torch.nn RNN/LSTM (float64), the LSTM equations and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from gradcheck import finite_diff

from dlcourse import rnn
from dlcourse.autograd import Tensor, stack

RNG = np.random.default_rng(11)
TOL = dict(rtol=1e-9, atol=1e-10)


def _named_grads_equal(ours_params: dict, twin) -> None:
    """ours_params: torch parameter name -> our Tensor; values and gradients must agree."""
    for name, p in ours_params.items():
        tp = getattr(twin, name)
        np.testing.assert_array_equal(p.data, tp.detach().numpy(), err_msg=name)
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), **TOL, err_msg=name)


def _cell_params(cell, suffix=""):
    names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    return {n + suffix: getattr(cell, n) for n in names if getattr(cell, n) is not None}


def test_stack_matches_torch_and_checks_shapes():
    arrays = [RNG.standard_normal((2, 3)) for _ in range(4)]
    for axis in (0, 1, 2, -1):
        ours = [Tensor(a.copy(), requires_grad=True) for a in arrays]
        theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
        out, ref = stack(ours, dim=axis), torch.stack(theirs, axis)
        np.testing.assert_array_equal(out.data, ref.detach().numpy())
        upstream = RNG.standard_normal(out.shape)
        out.backward(upstream)
        ref.backward(torch.tensor(upstream))
        for a, t in zip(ours, theirs):
            np.testing.assert_array_equal(a.grad, t.grad.numpy())
    with pytest.raises(
        RuntimeError, match=r"tensor 1 has shape \(3,\) and tensor 0 has shape \(2,\)"
    ):
        stack([np.zeros(2), np.zeros(3)])


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bias", [True, False])
def test_rnn_cell_matches_torch(nonlinearity, bias):
    torch.manual_seed(0)
    twin = torch.nn.RNNCell(3, 5, bias=bias, nonlinearity=nonlinearity).double()
    ours = rnn.RNNCell.from_torch(twin)
    x, h = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 5))
    X, Hh = Tensor(x.copy(), requires_grad=True), Tensor(h.copy(), requires_grad=True)
    tx, th = torch.tensor(x, requires_grad=True), torch.tensor(h, requires_grad=True)
    out, ref = ours(X, Hh), twin(tx, th)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **TOL)
    upstream = RNG.standard_normal(out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(X.grad, tx.grad.numpy(), **TOL)
    np.testing.assert_allclose(Hh.grad, th.grad.numpy(), **TOL)
    _named_grads_equal(_cell_params(ours), twin)


def test_lstm_cell_matches_torch_and_the_published_equations():
    torch.manual_seed(1)
    twin = torch.nn.LSTMCell(3, 4).double()
    ours = rnn.LSTMCell.from_torch(twin)
    x, h, c = (
        RNG.standard_normal((5, 3)),
        RNG.standard_normal((5, 4)),
        RNG.standard_normal((5, 4)),
    )
    ins = [Tensor(a.copy(), requires_grad=True) for a in (x, h, c)]
    tins = [torch.tensor(a, requires_grad=True) for a in (x, h, c)]
    h1, c1 = ours(ins[0], (ins[1], ins[2]))
    th1, tc1 = twin(tins[0], (tins[1], tins[2]))
    np.testing.assert_allclose(h1.data, th1.detach().numpy(), **TOL)
    np.testing.assert_allclose(c1.data, tc1.detach().numpy(), **TOL)
    # The equations written out in NumPy, gate order i, f, g, o.
    z = (
        x @ ours.weight_ih.data.T
        + ours.bias_ih.data
        + h @ ours.weight_hh.data.T
        + ours.bias_hh.data
    )
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    i, f, g, o = sig(z[:, :4]), sig(z[:, 4:8]), np.tanh(z[:, 8:12]), sig(z[:, 12:])
    np.testing.assert_allclose(c1.data, f * c + i * g, **TOL)
    np.testing.assert_allclose(h1.data, o * np.tanh(f * c + i * g), **TOL)
    for name, value in zip("ifgo", (i, f, g, o)):
        np.testing.assert_allclose(ours.last_gates[name], value, **TOL)
    up_h, up_c = RNG.standard_normal(h1.shape), RNG.standard_normal(c1.shape)
    ((h1 * up_h).sum() + (c1 * up_c).sum()).backward()
    ((th1 * torch.tensor(up_h)).sum() + (tc1 * torch.tensor(up_c)).sum()).backward()
    for a, t in zip(ins, tins):
        np.testing.assert_allclose(a.grad, t.grad.numpy(), **TOL)
    _named_grads_equal(_cell_params(ours), twin)


def _run_layer(ours, twin, x, state, lstm):
    """Forward both, backprop a random function of outputs and final state."""
    X, tx = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    out, final = ours(X, state[0] if not lstm else state[0])
    ref, tfinal = twin(tx, state[1])
    finals = final if lstm else (final,)
    tfinals = tfinal if lstm else (tfinal,)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **TOL)
    loss, tloss = (
        (out * (up := RNG.standard_normal(out.shape))).sum(),
        (ref * torch.tensor(up)).sum(),
    )
    for f, tf in zip(finals, tfinals):
        assert f.shape == tuple(tf.shape)  # PyTorch's (num_layers=1, N, H)
        np.testing.assert_allclose(f.data, tf.detach().numpy(), **TOL)
        up = RNG.standard_normal(f.shape)
        loss, tloss = loss + (f * up).sum(), tloss + (tf * torch.tensor(up)).sum()
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(X.grad, tx.grad.numpy(), **TOL)
    return out


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_layer_over_a_sequence_matches_torch(nonlinearity, with_state):
    torch.manual_seed(2)
    twin = torch.nn.RNN(3, 6, nonlinearity=nonlinearity, batch_first=True).double()
    ours = rnn.RNN.from_torch(twin)
    x = RNG.standard_normal((4, 7, 3))
    h0 = RNG.standard_normal((1, 4, 6)) if with_state else None
    state = (
        Tensor(h0, requires_grad=True) if with_state else None,
        torch.tensor(h0, requires_grad=True) if with_state else None,
    )
    out = _run_layer(ours, twin, x, state, lstm=False)
    if with_state:
        np.testing.assert_allclose(state[0].grad, state[1].grad.numpy(), **TOL)
    _named_grads_equal(_cell_params(ours.cell, "_l0"), twin)
    assert ours.last_hidden.shape == (4, 7, 6) and len(ours.hidden_states) == 7
    np.testing.assert_array_equal(ours.last_hidden, out.data)


@pytest.mark.parametrize("with_state", [False, True])
def test_lstm_layer_over_a_sequence_matches_torch_and_records_gates(with_state):
    torch.manual_seed(3)
    twin = torch.nn.LSTM(3, 5, batch_first=True).double()
    ours = rnn.LSTM.from_torch(twin)
    x = RNG.standard_normal((2, 9, 3))
    if with_state:
        h0, c0 = RNG.standard_normal((1, 2, 5)), RNG.standard_normal((1, 2, 5))
        ours_state = (Tensor(h0, requires_grad=True), Tensor(c0, requires_grad=True))
        torch_state = (
            torch.tensor(h0, requires_grad=True),
            torch.tensor(c0, requires_grad=True),
        )
    else:
        ours_state = torch_state = None
    _run_layer(ours, twin, x, (ours_state, torch_state), lstm=True)
    if with_state:
        for a, t in zip(ours_state, torch_state):
            np.testing.assert_allclose(a.grad, t.grad.numpy(), **TOL)
    _named_grads_equal(_cell_params(ours.cell, "_l0"), twin)
    # Recorded gates reproduce the cell states: c_t = f_t c_{t-1} + i_t g_t.
    g = ours.last_gates
    assert set(g) == {"i", "f", "g", "o"} and all(
        v.shape == (2, 9, 5) for v in g.values()
    )
    c_prev = ours_state[1].data[0] if with_state else np.zeros((2, 5))
    for t in range(9):
        c_t = g["f"][:, t] * c_prev + g["i"][:, t] * g["g"][:, t]
        np.testing.assert_allclose(ours.last_cell[:, t], c_t, **TOL)
        np.testing.assert_allclose(
            ours.last_hidden[:, t], g["o"][:, t] * np.tanh(c_t), **TOL
        )
        c_prev = c_t


def test_lstm_gradients_match_finite_differences():
    ours = rnn.LSTM(2, 3, rng=0)
    x = RNG.standard_normal((2, 4, 2))
    upstream = RNG.standard_normal((2, 4, 3))
    X = Tensor(x.copy(), requires_grad=True)
    out, _ = ours(X)
    out.backward(upstream)
    params = [p.data for p in ours.parameters()]
    analytic = [X.grad] + [p.grad for p in ours.parameters()]

    # the parameters are read in place from their arrays, so perturbing them perturbs the layer
    numeric = finite_diff(lambda *_: ours(x)[0].data, [x] + params, upstream)
    for grad, expected in zip(analytic, numeric):
        np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-8)


def test_default_init_is_torch_default_and_seeded():
    cell = rnn.LSTMCell(10, 16, rng=0)
    assert cell.weight_ih.shape == (64, 10) and cell.weight_hh.shape == (64, 16)
    bound = 1 / math.sqrt(16)
    for p in cell.parameters():
        assert np.abs(p.data).max() <= bound
    assert cell.weight_hh.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    torch.manual_seed(0)
    assert torch.nn.LSTMCell(10, 16).weight_hh.abs().max().item() <= bound
    np.testing.assert_array_equal(
        rnn.RNN(2, 3, rng=5).cell.weight_hh.data,
        rnn.RNN(2, 3, rng=5).cell.weight_hh.data,
    )


def test_gradient_through_time_is_recorded_per_step():
    """hidden_states[t].grad after backward: what the chapter plots (vanishing gradients)."""
    layer = rnn.RNN(1, 8, rng=0)
    out, _ = layer(RNG.standard_normal((3, 20, 1)))
    out[:, -1].sum().backward()
    norms = [np.linalg.norm(h.grad) for h in layer.hidden_states]
    assert all(np.isfinite(norms)) and norms[-1] > 0


def test_errors_name_the_shapes():
    with pytest.raises(
        ValueError, match=r"input of shape \(4, 2\).*weight_ih of shape \(5, 3\)"
    ):
        rnn.RNNCell(3, 5)(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"hx of shape \(4, 6\).*expected \(4, 5\)"):
        rnn.RNNCell(3, 5)(np.zeros((4, 3)), np.zeros((4, 6)))
    with pytest.raises(
        ValueError, match=r"input of shape \(4, 3\) must be \(N, T, 3\)"
    ):
        rnn.LSTM(3, 5)(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"initial state of shape \(2, 4, 5\)"):
        rnn.RNN(3, 5)(np.zeros((4, 2, 3)), np.zeros((2, 4, 5)))
    with pytest.raises(ValueError, match="num_layers=1"):
        rnn.LSTM.from_torch(torch.nn.LSTM(3, 5, num_layers=2, batch_first=True))
    with pytest.raises(ValueError, match="batch_first"):
        rnn.RNN.from_torch(torch.nn.RNN(3, 5))


@pytest.mark.parametrize("bias", [True, False])
def test_fused_lstm_hidden_state_gradients_match_torch(bias):
    """The fused LSTM node's backward: dL/dh_t of every step (hidden_states[t].grad),
    h_n, c_n and all weights against PyTorch run step by step (float64)."""
    torch.manual_seed(4)
    twin = torch.nn.LSTM(3, 5, bias=bias, batch_first=True).double()
    ours = rnn.LSTM.from_torch(twin)
    cell = torch.nn.LSTMCell(3, 5, bias=bias).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh") + (
            ("bias_ih", "bias_hh") if bias else ()
        ):
            getattr(cell, name).copy_(getattr(twin, name + "_l0"))
    x = RNG.standard_normal((3, 6, 3))
    up_out, up_h, up_c = (
        RNG.standard_normal((3, 6, 5)),
        RNG.standard_normal((1, 3, 5)),
        RNG.standard_normal((1, 3, 5)),
    )
    out, (h_n, c_n) = ours(Tensor(x))
    ((out * up_out).sum() + (h_n * up_h).sum() + (c_n * up_c).sum()).backward()
    h = c = torch.zeros(3, 5, dtype=torch.float64)
    hs = []
    for t in range(6):
        h, c = cell(torch.tensor(x[:, t]), (h, c))
        h.retain_grad()
        hs.append(h)
    ref = torch.stack(hs, 1)
    (
        (ref * torch.tensor(up_out)).sum()
        + (h * torch.tensor(up_h[0])).sum()
        + (c * torch.tensor(up_c[0])).sum()
    ).backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **TOL)
    np.testing.assert_allclose(c_n.data[0], c.detach().numpy(), **TOL)
    for t in range(6):
        np.testing.assert_allclose(
            ours.hidden_states[t].grad, hs[t].grad.numpy(), **TOL, err_msg=f"dL/dh_{t}"
        )
    for name, p in _cell_params(ours.cell).items():
        np.testing.assert_allclose(
            p.grad, getattr(cell, name).grad.numpy(), **TOL, err_msg=name
        )

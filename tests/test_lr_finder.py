"""dlcourse.lr_finder: the range test's curve falls then rises, it restores the model and
the optimiser, and its suggestion is usable — for dlcourse and for PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlcourse import losses, nn, optim
from dlcourse.batchnorm import BatchNorm1d
from dlcourse.lr_finder import lr_range_test, suggest_lr


def _blobs(n: int = 320, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three overlapping Gaussian classes in 2-D."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    centres = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    return centres[y] + rng.standard_normal((n, 2)), y


def _batches(batch_size: int = 32) -> list[tuple[np.ndarray, np.ndarray]]:
    X, y = _blobs()
    return [
        (X[i : i + batch_size], y[i : i + batch_size])
        for i in range(0, len(X), batch_size)
    ]


def _check_curve(lrs, curve, num_steps):
    lrs, curve = np.asarray(lrs), np.asarray(curve)
    assert np.all(np.diff(lrs) > 0)
    np.testing.assert_allclose(lrs[0], 1e-4)
    # Exponential: constant ratio between consecutive rates.
    np.testing.assert_allclose(
        lrs[1:] / lrs[:-1], (10.0 / 1e-4) ** (1 / (num_steps - 1))
    )
    lowest = int(np.nanargmin(curve))
    assert curve[lowest] < 0.6 * curve[0]  # it falls ...
    assert lowest > 5
    # ... then rises: stopped at divergence, or ends well above its minimum.
    assert len(curve) < num_steps or curve[-1] > 1.5 * curve[lowest]
    for method in ("steepest", "tenth_of_minimum"):
        lr = suggest_lr(lrs, curve, method=method)
        assert np.isfinite(lr) and lrs[0] / 10 <= lr < lrs[lowest]


def test_dlcourse_model_curve_and_state_restored():
    model = nn.Sequential(
        nn.Linear(2, 32, rng=0),
        BatchNorm1d(32),
        nn.ReLU(),
        nn.Dropout(0.1, rng=1),
        nn.Linear(32, 3, rng=2),
    )
    model.eval()
    opt = optim.Adam(model.parameters(), lr=3e-3)
    # Some optimiser state and running statistics worth restoring.
    X, y = _blobs(64, seed=1)
    model.train()
    for _ in range(3):
        opt.zero_grad()
        losses.cross_entropy(model(X), y).backward()
        opt.step()
    model.eval()
    before_params = [p.data.copy() for p in model.parameters()]
    param_arrays = [p.data for p in model.parameters()]
    before_stats = (model[1].running_mean.copy(), model[1].num_batches_tracked)
    before_state = [{k: np.copy(v) for k, v in s.items()} for s in opt.state]
    dropout_draw = np.random.default_rng(0)
    dropout_draw.bit_generator.state = model[3].rng.bit_generator.state

    lrs, curve = lr_range_test(
        model,
        losses.cross_entropy,
        opt,
        _batches(),
        start_lr=1e-4,
        end_lr=10.0,
        num_steps=80,
    )
    _check_curve(lrs, curve, 80)

    assert opt.lr == 3e-3 and not model.training and not model[1].training
    for p, arr, saved in zip(model.parameters(), param_arrays, before_params):
        assert p.data is arr  # the optimiser still holds the model's arrays
        np.testing.assert_array_equal(p.data, saved)
        assert p.grad is None
    np.testing.assert_array_equal(model[1].running_mean, before_stats[0])
    assert model[1].num_batches_tracked == before_stats[1]
    for state, saved in zip(opt.state, before_state):
        assert state["step"] == saved["step"] == 3
        np.testing.assert_array_equal(state["exp_avg"], saved["exp_avg"])
    assert model[3].rng.random() == dropout_draw.random()


def test_torch_model_curve_and_state_restored():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(2, 32),
        torch.nn.BatchNorm1d(32),
        torch.nn.ReLU(),
        torch.nn.Linear(32, 3),
    ).double()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    X, y = _blobs(64, seed=1)
    for _ in range(3):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(
            model(torch.tensor(X)), torch.tensor(y)
        ).backward()
        opt.step()
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    buffers = [opt.state[p]["momentum_buffer"].clone() for p in model.parameters()]

    lrs, curve = lr_range_test(
        model,
        torch.nn.functional.cross_entropy,
        opt,
        _batches(),
        start_lr=1e-4,
        end_lr=10.0,
        num_steps=80,
    )
    _check_curve(lrs, curve, 80)

    assert opt.param_groups[0]["lr"] == 0.05 and not model.training
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    for p, saved in zip(model.parameters(), buffers):
        assert torch.equal(opt.state[p]["momentum_buffer"], saved)
        assert p.grad is None


def test_same_curve_for_the_dlcourse_model_and_its_torch_twin():
    torch.manual_seed(0)
    twin = torch.nn.Sequential(
        torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3)
    ).double()
    model = nn.from_torch(twin)
    kwargs = {"start_lr": 1e-3, "end_lr": 1.0, "num_steps": 30}
    ours = lr_range_test(
        model, losses.cross_entropy, optim.SGD(model.parameters()), _batches(), **kwargs
    )
    ref = lr_range_test(
        twin,
        torch.nn.functional.cross_entropy,
        torch.optim.SGD(twin.parameters()),
        _batches(),
        **kwargs,
    )
    np.testing.assert_allclose(ours[0], ref[0], rtol=1e-12)
    np.testing.assert_allclose(ours[1], ref[1], rtol=1e-9)


def test_stops_at_divergence_and_checks_its_arguments():
    model = nn.Linear(2, 3, rng=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    lrs, curve = lr_range_test(
        model,
        losses.cross_entropy,
        opt,
        _batches(),
        start_lr=1.0,
        end_lr=1e4,
        num_steps=100,
    )
    assert len(lrs) < 100 and curve[-1] > 4.0 * min(curve)
    with pytest.raises(ValueError, match="start_lr < end_lr"):
        lr_range_test(
            model, losses.cross_entropy, opt, _batches(), start_lr=1.0, end_lr=0.1
        )
    with pytest.raises(ValueError, match="method"):
        suggest_lr([1e-3, 1e-2, 1e-1], [1.0, 0.5, 2.0], method="valley")


def test_suggestions_on_a_known_curve():
    lrs = np.logspace(-4, 0, 41)
    # Falls fastest at lr = 1e-2 (a tanh step in log lr), lowest at 1e-1, then rises.
    curve = (
        2.0
        - np.tanh(2 * (np.log10(lrs) + 2))
        + np.where(lrs > 0.1, 30 * (lrs - 0.1), 0)
    )
    assert suggest_lr(lrs, curve) == pytest.approx(1e-2, rel=1e-9)
    lowest = lrs[np.argmin(curve)]
    assert suggest_lr(lrs, curve, method="tenth_of_minimum") == pytest.approx(
        lowest / 10
    )

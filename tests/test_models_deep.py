"""The deep MLP and CNN of the chapter 'Making deep networks trainable': its switches and recorder."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlcourse.models.deep import DeepCNN, DeepMLP, train_recording


def _data(n: int = 96, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 6)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.int64) + 2 * (X[:, 1] > 0)


def test_blocks_compute_the_documented_formulas() -> None:
    """Plain relu(N(Wh + b)) and residual h + W relu(N(h)) + b, written out by hand."""
    x = torch.randn(5, 4)
    for residual in (False, True):
        model = DeepMLP(4, 4, 2, 3, residual=residual, seed=1).eval()
        h = torch.relu(x @ model.stem.weight.T + model.stem.bias)
        for block in model.blocks:
            W, b = block.layer.weight, block.layer.bias
            h = h + torch.relu(h) @ W.T + b if residual else torch.relu(h @ W.T + b)
        expected = h @ model.head.weight.T + model.head.bias
        torch.testing.assert_close(model(x), expected)


def test_he_init_has_variance_two_over_fan_in_and_keeps_the_second_moment() -> None:
    model = DeepMLP(256, 256, 10, 10, init="he", seed=0)
    for w in model.layer_weights()[:-1]:
        assert w.var().item() == pytest.approx(2 / w.shape[1], rel=0.05)
    h = torch.relu(model.stem(torch.randn(2000, 256)))
    first = h.pow(2).mean().item()
    with torch.no_grad():
        for block in model.blocks:
            h = block(h)
    # E[h^2] stays within a factor 2 over 10 He layers; PyTorch's default shrinks it ~6x each.
    assert 0.5 < h.pow(2).mean().item() / first < 2
    default = DeepMLP(256, 256, 10, 10, seed=0)
    h = torch.relu(default.stem(torch.randn(2000, 256)))
    with torch.no_grad():
        for block in default.blocks:
            h = block(h)
    assert h.pow(2).mean().item() < 0.01 * first  # only the biases keep it above 0


def test_batch_norm_switch_normalises_each_block() -> None:
    model = DeepMLP(6, 8, 3, 4, norm="batch", seed=0)
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in model.modules()) == 3
    assert not any(
        isinstance(m, torch.nn.BatchNorm1d) for m in DeepMLP(6, 8, 3, 4).modules()
    )


def test_recorded_gradient_norms_equal_autograd_on_a_single_step() -> None:
    X, y = _data(32)
    model = DeepMLP(6, 8, 3, 4, seed=0)
    reference = DeepMLP(6, 8, 3, 4, seed=0)
    loss = torch.nn.functional.cross_entropy(
        reference(torch.tensor(X)), torch.tensor(y)
    )
    loss.backward()
    expected = [w.grad.norm().item() for w in reference.layer_weights()]  # type: ignore[union-attr]
    history = train_recording(model, (X, y), (X, y), epochs=1, lr=0.0, batch_size=32)
    np.testing.assert_allclose(history.grad_norms[0], expected, rtol=1e-5)
    assert history.grad_norms.shape == (1, 5)
    assert history.train_loss[0] == pytest.approx(loss.item(), rel=1e-6)


def test_training_learns_and_is_reproducible() -> None:
    X, y = _data()
    runs = [
        train_recording(
            DeepMLP(6, 16, 4, 4, residual=True, seed=3),
            (X, y),
            (X, y),
            epochs=15,
            lr=0.05,
            batch_size=16,
            seed=3,
        )
        for _ in range(2)
    ]
    assert runs[0].train_loss == runs[1].train_loss
    assert runs[0].train_loss[-1] < 0.5 * runs[0].train_loss[0]
    assert runs[0].val_acc[-1] > 0.8


def test_schedule_is_stepped_every_step() -> None:
    X, y = _data(64)
    model = DeepMLP(6, 8, 1, 4, seed=0)
    seen: list[float] = []

    def schedule(
        optimizer: torch.optim.Optimizer,
    ) -> torch.optim.lr_scheduler.LRScheduler:
        return torch.optim.lr_scheduler.LambdaLR(
            optimizer,
            lambda step: seen.append(step) or 1.0,  # type: ignore[func-returns-value]
        )

    train_recording(
        model, (X, y), (X, y), epochs=2, lr=0.1, batch_size=16, schedule=schedule
    )
    assert len(seen) == 1 + 2 * 4  # once at construction, then once per step


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError):
        DeepMLP(4, 4, 2, 3, init="xavier")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        DeepMLP(4, 0, 2, 3)


def test_cnn_blocks_compute_the_documented_formulas() -> None:
    """Plain relu(N(conv h)) and residual h + conv(relu(N(h))), checked with F.conv2d."""
    conv2d = torch.nn.functional.conv2d
    x = torch.randn(3, 1, 8, 8)
    for residual in (False, True):
        model = DeepCNN(2, 4, residual=residual, seed=1).eval()
        h = torch.relu(conv2d(x, model.stem.weight, model.stem.bias, padding=1))
        for conv in model.layers[1:]:  # the blocks' convolutions, in order
            W, b = conv.weight, conv.bias
            if residual:
                h = h + conv2d(torch.relu(h), W, b, padding=1)
            else:
                h = torch.relu(conv2d(h, W, b, padding=1))
        expected = h.flatten(1) @ model.head.weight.T + model.head.bias
        torch.testing.assert_close(model(x), expected)


def test_cnn_switches_he_init_and_batch_norm_2d() -> None:
    model = DeepCNN(6, 16, init="he", norm="batch", seed=0)
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules()) == 6
    assert not any(
        isinstance(m, torch.nn.BatchNorm2d) for m in DeepCNN(6, 16).modules()
    )
    for w in model.layer_weights()[1:-1]:  # fan-in 9 * 16 = 144: variance 2 / 144
        assert w.var().item() == pytest.approx(2 / (9 * w.shape[1]), rel=0.1)
    assert len(model.layer_weights()) == 6 + 2
    with pytest.raises(ValueError):
        DeepCNN(2, 4, norm="layer")  # type: ignore[arg-type]


def test_cnn_recorded_gradient_norms_equal_autograd_on_a_single_step() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 10, 16)
    model, reference = DeepCNN(3, 4, seed=0), DeepCNN(3, 4, seed=0)
    torch.nn.functional.cross_entropy(
        reference(torch.tensor(X)), torch.tensor(y)
    ).backward()
    expected = [w.grad.norm().item() for w in reference.layer_weights()]  # type: ignore[union-attr]
    history = train_recording(model, (X, y), (X, y), epochs=1, lr=0.0, batch_size=16)
    np.testing.assert_allclose(history.grad_norms[0], expected, rtol=1e-5)
    assert history.grad_norms.shape == (1, 5)

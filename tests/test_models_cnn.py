"""dlcourse.models.cnn: LeNet against PyTorch's own counts, the from-scratch twin, training."""

import numpy as np
import pytest
import torch

from dlcourse.data import digits
from dlcourse.models.cnn import (
    LeNet,
    feature_maps,
    shift_augment,
    train_classifier,
    transfer,
)
from dlcourse.nn import from_torch
from dlcourse.train import accuracy


def conv_params(c_in, c_out, k):
    return c_out * (c_in * k * k + 1)


def linear_params(n_in, n_out):
    return n_out * (n_in + 1)


def test_lenet5_sizes_and_parameter_count():
    model = LeNet(in_channels=1, n_classes=10, image_size=28)
    out = model(torch.zeros(2, 1, 28, 28))
    assert out.shape == (2, 10)
    expected = (
        conv_params(1, 6, 5)
        + conv_params(6, 16, 5)
        + linear_params(16 * 7 * 7, 120)
        + linear_params(120, 84)
        + linear_params(84, 10)
    )
    assert sum(p.numel() for p in model.parameters()) == expected == 107_786


def test_small_lenet_for_8x8_digits():
    model = LeNet(in_channels=3, n_classes=4, image_size=8, dropout=0.5)
    assert model(torch.zeros(5, 3, 8, 8)).shape == (5, 4)
    expected = (
        conv_params(3, 32, 3)
        + conv_params(32, 64, 3)
        + linear_params(64 * 2 * 2, 128)
        + linear_params(128, 4)
    )
    assert sum(p.numel() for p in model.parameters()) == expected
    assert sum(isinstance(m, torch.nn.Dropout) for m in model) == 2
    with pytest.raises(ValueError, match="multiple of 4"):
        LeNet(image_size=10)


def test_seeded_initialisation():
    a, b = LeNet(image_size=8, seed=3), LeNet(image_size=8, seed=3)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    assert not torch.equal(a[0].weight, LeNet(image_size=8, seed=4)[0].weight)


@pytest.mark.parametrize("image_size", [8, 28])
def test_from_scratch_twin_agrees_with_pytorch_in_float64(image_size):
    model = LeNet(image_size=image_size, dropout=0.3, seed=1).double().eval()
    twin = from_torch(model).eval()
    x = np.random.default_rng(0).random((4, 1, image_size, image_size))
    ours = twin(x).data
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)
    assert sum(p.data.size for p in twin.parameters()) == sum(
        p.numel() for p in model.parameters()
    )


def test_from_scratch_twin_gradients_agree_with_pytorch():
    from dlcourse.losses import cross_entropy

    model = LeNet(image_size=8, seed=2).double()
    twin = from_torch(model)
    rng = np.random.default_rng(1)
    x, y = rng.random((3, 1, 8, 8)), np.array([1, 7, 3])
    cross_entropy(twin(x), y).backward()
    torch.nn.functional.cross_entropy(
        model(torch.from_numpy(x)), torch.from_numpy(y)
    ).backward()
    for ours, ref in zip(twin.parameters(), model.parameters()):
        np.testing.assert_allclose(ours.grad, ref.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_feature_maps_shapes_follow_the_layers():
    model = LeNet(image_size=28)
    maps = feature_maps(model, np.zeros((2, 1, 28, 28)))
    assert [m.shape for _, m in maps[:6]] == [
        (2, 6, 28, 28),
        (2, 6, 28, 28),
        (2, 6, 14, 14),
        (2, 16, 14, 14),
        (2, 16, 14, 14),
        (2, 16, 7, 7),
    ]
    assert maps[0][0] == "0: Conv2d" and maps[-1][1].shape == (2, 10)
    assert (maps[1][1] >= 0).all()


def test_shift_augment_is_a_zero_filled_translation():
    gen = torch.Generator().manual_seed(0)
    X = torch.rand(50, 2, 6, 7, dtype=torch.float64)
    out = shift_augment(X, 2, gen)
    assert out.shape == X.shape
    padded = np.pad(X.numpy(), ((0, 0), (0, 0), (2, 2), (2, 2)))
    seen = set()
    for k in range(50):
        matches = [
            (dr, dc)
            for dr in range(5)
            for dc in range(5)
            if np.array_equal(out[k].numpy(), padded[k, :, dr : dr + 6, dc : dc + 7])
        ]
        assert matches, f"image {k} is not a shifted copy"
        seen.update(matches)
    assert len(seen) > 10  # many different shifts were drawn
    assert shift_augment(X, 0, gen) is X


def test_training_on_digits_is_seeded_and_learns():
    split = digits(seed=0, flatten=False)
    X, y = split.X_train[:, None], split.y_train
    m1, m2 = LeNet(image_size=8, seed=0), LeNet(image_size=8, seed=0)
    l1 = train_classifier(m1, X, y, epochs=8, seed=0)
    l2 = train_classifier(m2, X, y, epochs=8, seed=0)
    assert l1 == l2  # deterministic on the CPU
    assert l1[-1] < 0.25 * l1[0]
    assert accuracy(m1, split.X_test[:, None], split.y_test) >= 0.95


def test_slices_are_plain_sequentials_sharing_the_weights():
    net = LeNet(1, 4, image_size=28)
    features = net[: net.n_feature_layers]
    assert type(features) is torch.nn.Sequential and len(features) == 6
    assert features[0].weight is net[0].weight
    assert features(torch.zeros(1, 1, 28, 28)).shape == (1, 16, 7, 7)


@pytest.mark.parametrize("freeze", [True, False])
def test_transfer_keeps_or_fine_tunes_the_features_with_a_new_head(freeze):
    source = LeNet(1, 4, image_size=8, seed=0)
    source_state = {k: v.clone() for k, v in source.state_dict().items()}
    new = transfer(source, n_classes=10, freeze=freeze, seed=1)
    n = new.n_feature_layers
    assert new(torch.zeros(3, 1, 8, 8)).shape == (3, 10)
    assert new[-1].weight.shape == (10, 128) and new[-3].weight.shape == (128, 256)
    assert not torch.equal(new[-3].weight, source[-3].weight)  # a fresh head
    features_before = [p.detach().clone() for p in new[:n].parameters()]
    head_before = [p.detach().clone() for p in new[n:].parameters()]
    assert all(
        torch.equal(a, b) for a, b in zip(features_before, source[:n].parameters())
    )
    split = digits(seed=0, flatten=False)
    train_classifier(
        new, split.X_train[:64, None], split.y_train[:64], epochs=1, seed=0
    )
    features_same = [
        torch.equal(a, b) for a, b in zip(features_before, new[:n].parameters())
    ]
    assert all(features_same) if freeze else not any(features_same)
    assert not any(torch.equal(a, b) for a, b in zip(head_before, new[n:].parameters()))
    for key, value in source.state_dict().items():  # the source is untouched
        assert torch.equal(value, source_state[key])


def test_transfer_errors():
    with pytest.raises(ValueError, match="n_classes must be >= 1, got 0"):
        transfer(LeNet(1, 4, image_size=8), n_classes=0)

"""Data generators: shapes, dtypes, balance, reproducibility, and the properties each set promises."""

import numpy as np
import pytest
import torch

from dlcourse import data
from dlcourse.neuron import Perceptron

GENERATORS = {
    "xor": lambda seed: data.xor(100, noise=0.1, seed=seed),
    "moons": lambda seed: data.moons(100, noise=0.1, seed=seed),
    "circles": lambda seed: data.circles(100, noise=0.05, factor=0.5, seed=seed),
    "spirals": lambda seed: data.spirals(100, n_classes=2, noise=0.2, seed=seed),
    "toy_spam": lambda seed: data.toy_spam(100, seed=seed)[:2],
}


@pytest.mark.parametrize("name", list(GENERATORS))
def test_shapes_dtypes_reproducible(name):
    X, y = GENERATORS[name](0)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.shape[0] == y.shape[0] == 100 and X.ndim == 2 and y.ndim == 1
    X2, y2 = GENERATORS[name](0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = GENERATORS[name](1)
    assert not np.array_equal(X, X3)


@pytest.mark.parametrize("name", ["xor", "moons", "circles", "spirals"])
def test_balanced_binary(name):
    _, y = GENERATORS[name](0)
    np.testing.assert_array_equal(np.bincount(y), [50, 50])


def test_xor_truth_table_and_noisy_labels():
    X, y = data.xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    X, y = data.xor(400, noise=0.0, seed=3)
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0] > 0.5, X[:, 1] > 0.5))
    X, y = data.xor(400, noise=0.1, seed=3)
    assert (np.logical_xor(X[:, 0] > 0.5, X[:, 1] > 0.5) == y).mean() > 0.95


def test_circles_radii():
    X, y = data.circles(400, noise=0.0, factor=0.3, seed=0)
    r = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)


def test_spirals_multiclass_and_geometry():
    X, y = data.spirals(301, n_classes=3, noise=0.0, seed=0)
    assert sorted(np.bincount(y)) == [100, 100, 101]
    assert np.linalg.norm(X, axis=1).max() <= 1.0 + 1e-12
    with pytest.raises(ValueError, match="n_classes"):
        data.spirals(10, n_classes=1)


def test_toy_spam_follows_rule_and_is_learnable():
    X, y, names = data.toy_spam(500, seed=0)
    assert X.shape == (500, len(names)) == (500, 7)
    w = np.array([data.TOY_SPAM_RULE[k] for k in names])
    score = X @ w + data.TOY_SPAM_RULE["bias"]
    np.testing.assert_array_equal(y, (score > 0).astype(int))
    assert np.abs(score).min() >= 0.5  # the promised margin
    assert 0.2 < y.mean() < 0.45
    p = Perceptron(epochs=200).fit(X, y)
    assert p.converged  # separable, so Novikoff guarantees it
    # weights read as importance: the signs of the strong features are recovered
    learned = dict(zip(names, p.weights))
    assert learned['contains "free"'] > 0 and learned["sender known"] < 0
    assert learned["mentions a meeting"] < 0
    _, y_noisy, _ = data.toy_spam(500, seed=0, label_noise=0.1)
    assert 0.05 < (y_noisy != y).mean() < 0.15


def test_digits_split():
    s = data.digits(seed=0)
    n = len(s.y_train) + len(s.y_val) + len(s.y_test)
    assert n == 1797
    assert (
        s.X_train.shape[1] == 64
        and s.X_train.dtype == np.float64
        and s.y_train.dtype == np.int64
    )
    assert 0.0 <= s.X_train.min() and s.X_train.max() == 1.0
    assert abs(len(s.y_test) / n - 0.15) < 0.01 and abs(len(s.y_val) / n - 0.15) < 0.01
    # stratified: each class keeps its share in every split (within 2 samples, two rounding steps;
    # a random split would be off by ~sqrt(125 * 0.3) ~ 6)
    for part in (s.y_train, s.y_val, s.y_test):
        counts = np.bincount(part, minlength=10)
        full = (
            np.bincount(np.concatenate([s.y_train, s.y_val, s.y_test])) * len(part) / n
        )
        assert np.all(np.abs(counts - full) <= 2.0)
    # disjoint: no image appears in two splits (the bundled set has no exact duplicates across them)
    rows = lambda A: {a.tobytes() for a in A}
    assert not rows(s.X_train) & rows(s.X_test)
    img = data.digits(flatten=False, scale=False, val_size=0.0)
    assert (
        img.X_train.shape[1:] == (8, 8)
        and img.X_train.max() == 16.0
        and len(img.y_val) == 0
    )
    assert np.array_equal(data.digits(seed=1).y_test, data.digits(seed=1).y_test)
    with pytest.raises(ValueError):
        data.digits(val_size=0.5, test_size=0.5)


@pytest.mark.parametrize("n,bs", [(10, 3), (12, 4), (5, 10), (1, 1)])
@pytest.mark.parametrize("shuffle", [True, False])
def test_batches_cover_every_sample_once(n, bs, shuffle):
    X, y = np.arange(2 * n, dtype=float).reshape(n, 2), np.arange(n)
    out = list(data.batches(X, y, bs, shuffle=shuffle, seed=0))
    sizes = [len(b[1]) for b in out]
    assert sizes == [bs] * (n // bs) + ([n % bs] if n % bs else [])
    seen = np.concatenate([b[1] for b in out])
    assert sorted(seen) == list(range(n))
    for xb, yb in out:
        np.testing.assert_array_equal(xb[:, 0], 2 * yb)  # X and y stay paired
    if not shuffle:
        np.testing.assert_array_equal(seen, np.arange(n))


def test_batches_shuffle_is_seeded_and_works_on_torch():
    X, y = np.arange(100.0)[:, None], np.arange(100)
    a = np.concatenate([b for _, b in data.batches(X, y, 7, seed=1)])
    b = np.concatenate([b for _, b in data.batches(X, y, 7, seed=1)])
    c = np.concatenate([b for _, b in data.batches(X, y, 7, seed=2)])
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and not np.array_equal(a, y)
    tb = list(data.batches(torch.tensor(X), torch.tensor(y), 32))
    assert [len(t[1]) for t in tb] == [32, 32, 32, 4] and isinstance(
        tb[0][0], torch.Tensor
    )
    with pytest.raises(ValueError, match="100 != 99"):
        next(data.batches(X, y[:99], 4))

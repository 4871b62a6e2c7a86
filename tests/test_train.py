"""dlcourse.train.fit for dlcourse and torch models, checked against each other and torch."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcourse import losses, nn, optim, train
from dlcourse.autograd import Tensor


@pytest.fixture(autouse=True)
def cpu_only(monkeypatch):
    # Exact comparisons with numpy need torch on the CPU, whatever the machine has.
    monkeypatch.setenv("DLCOURSE_DEVICE", "cpu")


def blobs(n: int = 240, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three Gaussian blobs in 2-D, classes 0, 1, 2 (int64)."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    y = rng.integers(0, 3, size=n)
    return centres[y] + 0.7 * rng.normal(size=(n, 2)), y.astype(np.int64)


def torch_mlp(seed: int = 0, dropout: float = 0.0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(2, 16),
        torch.nn.ReLU(),
        torch.nn.Dropout(dropout),
        torch.nn.Linear(16, 3),
    ).double()


def test_fit_reduces_loss_dlcourse_model():
    X, y = blobs()
    model = nn.MLP([2, 16, 3], seed=0)
    hist = train.fit(
        model,
        losses.cross_entropy,
        optim.Adam(model.parameters(), lr=0.01),
        (X, y),
        epochs=15,
        batch_size=32,
        progress=False,
    )
    assert hist.train_loss[-1] < 0.5 * hist.train_loss[0]
    assert hist.train_acc[-1] > 0.9
    assert train.accuracy(model, X, y) > 0.9


def test_fit_reduces_loss_torch_model():
    X, y = blobs()
    model = torch_mlp()
    hist = train.fit(
        model,
        F.cross_entropy,
        torch.optim.Adam(model.parameters(), lr=0.01),
        (X, y),
        epochs=15,
        batch_size=32,
        progress=False,
    )
    assert hist.train_loss[-1] < 0.5 * hist.train_loss[0]
    assert hist.train_acc[-1] > 0.9
    assert train.accuracy(model, X, y) > 0.9


def test_fit_dlcourse_and_torch_twins_give_the_same_history():
    """Same initial weights, same shuffling, same SGD maths => same numbers to rounding."""
    X, y = blobs()
    Xv, yv = blobs(60, seed=1)
    twin = torch_mlp()
    ours = nn.Sequential.from_torch(twin)
    kwargs = dict(epochs=4, batch_size=24, val_data=(Xv, yv), seed=3, progress=False)
    h_ours = train.fit(
        ours,
        losses.cross_entropy,
        optim.SGD(ours.parameters(), lr=0.1, momentum=0.9),
        (X, y),
        **kwargs,
    )
    h_torch = train.fit(
        twin,
        F.cross_entropy,
        torch.optim.SGD(twin.parameters(), lr=0.1, momentum=0.9),
        (X, y),
        **kwargs,
    )
    for name in ("train_loss", "train_acc", "val_loss", "val_acc"):
        np.testing.assert_allclose(
            getattr(h_ours, name), getattr(h_torch, name), rtol=1e-9, err_msg=name
        )
    for p, tp in zip(ours.parameters(), twin.parameters()):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), atol=1e-9)


def test_history_lengths():
    X, y = blobs(50)
    model = nn.MLP([2, 4, 3], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    hist = train.fit(
        model,
        losses.cross_entropy,
        opt,
        (X, y),
        epochs=3,
        batch_size=16,
        val_data=(X[:10], y[:10]),
        progress=False,
    )
    assert hist.epochs == 3
    for name in ("train_loss", "train_acc", "val_loss", "val_acc", "epoch_time"):
        assert len(getattr(hist, name)) == 3, name
    assert all(t > 0 for t in hist.epoch_time)
    no_val = train.fit(
        model, losses.cross_entropy, opt, (X, y), epochs=2, progress=False
    )
    assert (
        len(no_val.train_loss) == 2 and no_val.val_loss == [] and no_val.val_acc == []
    )


@pytest.mark.parametrize("kind", ["dlcourse", "torch"])
def test_same_seed_same_history_other_seed_other_history(kind):
    """Dropout included: its masks must be seeded too."""
    X, y = blobs()

    def run(seed: int) -> train.History:
        if kind == "dlcourse":
            model = nn.MLP([2, 16, 3], dropout=0.3, seed=0)
            opt = optim.Adam(model.parameters(), lr=0.01)
            loss_fn = losses.cross_entropy
        else:
            model = torch_mlp(dropout=0.3)
            opt = torch.optim.Adam(model.parameters(), lr=0.01)
            loss_fn = F.cross_entropy
        return train.fit(
            model,
            loss_fn,
            opt,
            (X, y),
            epochs=3,
            batch_size=32,
            val_data=(X, y),
            seed=seed,
            progress=False,
        )

    first, again, other = run(0), run(0), run(1)
    for name in ("train_loss", "train_acc", "val_loss", "val_acc"):  # not epoch_time
        assert getattr(first, name) == getattr(again, name), name  # bit-identical
    assert first.train_loss != other.train_loss


@pytest.mark.parametrize("kind", ["dlcourse", "torch"])
def test_non_finite_loss_names_epoch_and_step(kind):
    """32 samples, batch 8 => 4 steps per epoch; the 7th loss is NaN => epoch 2, step 3."""
    X, y = blobs(32)
    calls = {"n": 0}

    if kind == "dlcourse":
        model = nn.MLP([2, 4, 3], seed=0)
        opt = optim.SGD(model.parameters(), lr=0.01)

        def loss_fn(out, target):
            calls["n"] += 1
            loss = losses.cross_entropy(out, target)
            return loss * float("nan") if calls["n"] == 7 else loss
    else:
        model = torch_mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.01)

        def loss_fn(out, target):
            calls["n"] += 1
            loss = F.cross_entropy(out, target)
            return loss * float("nan") if calls["n"] == 7 else loss

    with pytest.raises(FloatingPointError, match="epoch 2, step 3"):
        train.fit(model, loss_fn, opt, (X, y), epochs=3, batch_size=8, progress=False)
    assert model.training  # mode restored even on error


def test_divergence_is_reported_not_silently_trained_on():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    y = X @ np.array([[1.0], [-2.0], [0.5]])
    model = nn.MLP([3, 8, 1], seed=0)
    with (
        np.errstate(all="ignore"),
        pytest.raises(FloatingPointError, match=r"epoch \d+, step \d+"),
    ):
        train.fit(
            model,
            losses.mse,
            optim.SGD(model.parameters(), lr=50.0),
            (X, y),
            epochs=20,
            batch_size=16,
            progress=False,
        )


def test_regression_targets_give_nan_accuracy_and_loss_goes_down():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(128, 3))
    y = np.tanh(X @ np.array([[1.0], [-2.0], [0.5]]))
    model = nn.MLP([3, 16, 1], activation="tanh", seed=0)
    hist = train.fit(
        model,
        losses.mse,
        optim.Adam(model.parameters(), lr=0.01),
        (X, y),
        epochs=20,
        batch_size=32,
        progress=False,
    )
    assert hist.train_loss[-1] < 0.2 * hist.train_loss[0]
    assert all(math.isnan(a) for a in hist.train_acc)


def test_evaluate_predict_accuracy_match_torch():
    X, y = blobs(100)
    twin = torch_mlp(seed=4)
    ours = nn.Sequential.from_torch(twin)
    with torch.no_grad():
        logits = twin(torch.tensor(X))
        ref_loss = F.cross_entropy(logits, torch.tensor(y)).item()
        ref_pred = logits.argmax(1).numpy()
    for model, loss_fn in ((ours, losses.cross_entropy), (twin, F.cross_entropy)):
        loss, acc = train.evaluate(model, loss_fn, X, y)
        assert loss == pytest.approx(ref_loss, rel=1e-12)
        np.testing.assert_array_equal(train.predict(model, X), ref_pred)
        assert acc == pytest.approx(np.mean(ref_pred == y))
        assert train.accuracy(model, X, y) == pytest.approx(np.mean(ref_pred == y))


def test_single_output_is_read_as_probability():
    model = nn.Sequential(nn.Linear(1, 1, rng=0), nn.Sigmoid())
    model[0].weight.data[...] = 1.0
    model[0].bias.data[...] = 0.0
    X = np.array([[-2.0], [-0.1], [0.1], [3.0]])
    np.testing.assert_array_equal(train.predict(model, X), [0, 0, 1, 1])
    assert train.accuracy(model, X, np.array([0.0, 1.0, 1.0, 1.0])) == 0.75


def test_training_mode_restored_and_progress_bar_quiet(capsys):
    X, y = blobs(64)
    model = nn.MLP([2, 8, 3], dropout=0.2, seed=0)
    model.eval()
    train.fit(
        model,
        losses.cross_entropy,
        optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        epochs=3,
        batch_size=16,
        val_data=(X, y),
        progress=True,
    )
    assert not model.training and not any(m.training for m in model.modules())
    err = capsys.readouterr().err
    assert err.count("\n") <= 1  # leave=False: no line per epoch left behind


def test_fit_rejects_bad_arguments():
    X, y = blobs(10)
    model = nn.MLP([2, 4, 3], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="different lengths"):
        train.fit(
            model, losses.cross_entropy, opt, (X, y[:5]), epochs=1, progress=False
        )
    with pytest.raises(ValueError, match="batch_size"):
        train.fit(
            model,
            losses.cross_entropy,
            opt,
            (X, y),
            epochs=1,
            batch_size=0,
            progress=False,
        )


def test_digits_mlp_reaches_95_percent_in_seconds():
    try:
        from dlcourse.data import digits

        split = digits(seed=0)
        X_train, y_train, X_test, y_test = (
            split.X_train,
            split.y_train,
            split.X_test,
            split.y_test,
        )
    except (
        ImportError
    ):  # data module not there: the same data straight from scikit-learn
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        d = load_digits()
        X_train, X_test, y_train, y_test = train_test_split(
            d.data / 16.0, d.target, test_size=0.15, stratify=d.target, random_state=0
        )
    model = nn.MLP([64, 128, 10], seed=0)
    start = time.perf_counter()
    hist = train.fit(
        model,
        losses.cross_entropy,
        optim.Adam(model.parameters(), lr=1e-3),
        (X_train, y_train),
        epochs=40,
        batch_size=32,
        progress=False,
    )
    elapsed = time.perf_counter() - start
    acc = train.accuracy(model, X_test, y_test)
    print(f"digits: test accuracy {acc:.3f} in {elapsed:.2f} s")
    assert acc >= 0.95
    assert hist.train_loss[-1] < 0.1
    assert elapsed < 60  # ~0.3-0.5 s on an idle laptop core; generous for loaded CI


def test_fit_keeps_integer_token_ids_for_torch_embeddings():
    torch = pytest.importorskip("torch")
    from dlcourse.train import fit

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Embedding(5, 4), torch.nn.Flatten(), torch.nn.Linear(12, 5)
    )
    rng = np.random.default_rng(0)
    X = rng.integers(0, 5, size=(64, 3))
    y = X[:, 0].copy()  # the label is the first token
    hist = fit(
        model,
        torch.nn.functional.cross_entropy,
        torch.optim.Adam(model.parameters(), lr=0.05),
        (X, y),
        epochs=15,
        batch_size=16,
        progress=False,
    )
    assert hist.train_acc[-1] > 0.9

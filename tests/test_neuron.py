"""The perceptron rule: a hand-computed trace, convergence (Novikoff's bound) and XOR's failure."""

import numpy as np
import pytest

from dlcourse.activations import sigmoid
from dlcourse.neuron import Perceptron, neuron

TRUTH = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
AND, OR, XOR = np.array([0, 0, 0, 1]), np.array([0, 1, 1, 1]), np.array([0, 1, 1, 0])


def test_neuron_weighted_sum():
    # 0.5*1 + (-2)*3 + 0.25 = -5.25 -> step 0; sigmoid(-5.25) by formula.
    x, w = np.array([1.0, 3.0]), np.array([0.5, -2.0])
    assert neuron(x, w, 0.25) == 0.0
    assert neuron(x, w, 6.0) == 1.0
    assert neuron(x, w, 0.25, activation=sigmoid) == pytest.approx(
        1 / (1 + np.exp(5.25))
    )
    np.testing.assert_array_equal(neuron(TRUTH, [1.0, 1.0], -1.5), AND)
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        neuron(np.ones(3), np.ones(2), 0.0)


def test_and_trace_matches_hand_computation():
    # Worked by hand with w=0, b=0, lr=1, examples in table order (see the chapter):
    # mistakes per epoch 1,3,3,2,1,0 and final w=(2,1), b=-2.
    p = Perceptron(lr=1.0, epochs=20, shuffle=False).fit(TRUTH, AND)
    assert [e for _, _, e in p.history] == [1, 3, 3, 2, 1, 0]
    np.testing.assert_array_equal(p.weights, [2.0, 1.0])
    assert p.bias == -2.0 and p.converged
    np.testing.assert_array_equal(p.history[0][0], [1.0, 1.0])


@pytest.mark.parametrize("y", [AND, OR], ids=["AND", "OR"])
@pytest.mark.parametrize("seed", range(5))
def test_converges_on_and_or(y, seed):
    p = Perceptron(epochs=50, seed=seed).fit(TRUTH, y)
    assert p.converged and p.history[-1][2] == 0
    np.testing.assert_array_equal(p.predict(TRUTH), y)


def _separable(n, seed, margin=0.3):
    rng = np.random.default_rng(seed)
    u = np.array([0.6, -0.8, 0.5])  # true (w1, w2, b)
    X = rng.uniform(-3, 3, size=(4 * n, 2))
    s = (X @ u[:2] + u[2]) / np.linalg.norm(u)
    keep = np.abs(s) > margin
    return X[keep][:n], (s[keep][:n] > 0).astype(np.int64), u / np.linalg.norm(u)


@pytest.mark.parametrize("seed", range(3))
def test_novikoff_mistake_bound_on_blobs(seed):
    X, y, u = _separable(200, seed)
    Xa = np.c_[X, np.ones(len(X))]  # bias as a weight on a constant input
    gamma = np.min((2 * y - 1) * (Xa @ u))
    R = np.max(np.linalg.norm(Xa, axis=1))
    p = Perceptron(epochs=1000, seed=seed).fit(X, y)
    assert p.converged
    assert (p.predict(X) == y).all()
    mistakes = sum(e for _, _, e in p.history)
    assert 0 < mistakes <= (R / gamma) ** 2


def test_never_converges_on_xor():
    for seed in range(5):
        p = Perceptron(epochs=200, seed=seed).fit(TRUTH, XOR)
        assert not p.converged
        assert len(p.history) == 200
        assert min(e for _, _, e in p.history) >= 1
        assert (p.predict(TRUTH) != XOR).any()


def test_history_and_lr_scaling():
    # From zero weights the learning rate only rescales w and b: same boundary, same mistakes.
    a = Perceptron(lr=1.0, seed=3).fit(TRUTH, OR)
    b = Perceptron(lr=0.1, seed=3).fit(TRUTH, OR)
    assert [h[2] for h in a.history] == [h[2] for h in b.history]
    np.testing.assert_allclose(b.weights, 0.1 * a.weights)
    w_last, b_last, _ = a.history[-1]
    np.testing.assert_array_equal(w_last, a.weights)
    assert b_last == a.bias
    assert (
        a.history[0][0] is not a.weights
    )  # snapshots, not aliases of the live weights


def test_input_validation():
    with pytest.raises(ValueError, match="labels"):
        Perceptron().fit(TRUTH, np.array([0, 1, 2, 1]))
    with pytest.raises(ValueError, match=r"\(4, 2\).*3"):
        Perceptron(n_inputs=3).fit(TRUTH, AND)
    with pytest.raises(ValueError, match=r"\(3,\)"):
        Perceptron().fit(TRUTH, AND[:3])
    with pytest.raises(RuntimeError):
        Perceptron().predict(TRUTH)
    assert Perceptron(n_inputs=2).predict(TRUTH).dtype == np.int64

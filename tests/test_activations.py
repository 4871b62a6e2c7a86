"""Activations vs PyTorch float64 and their derivatives vs finite differences and autograd."""

import numpy as np
import pytest
import torch

from dlcourse import activations as A

# Avoid the kink at 0 for finite differences (step/relu are not differentiable there).
X = np.concatenate(
    [np.linspace(-6, -0.05, 60), np.linspace(0.05, 6, 60), [-30.0, 30.0, 1e-3, -1e-3]]
)

TORCH = {
    "step": lambda t: (t > 0).double(),
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda t: torch.nn.functional.leaky_relu(t, 0.01),
    "gelu": lambda t: torch.nn.functional.gelu(t),  # exact erf form by default
}


@pytest.mark.parametrize("name", list(A.ACTIVATIONS))
def test_forward_matches_torch(name):
    f, _ = A.ACTIVATIONS[name]
    ref = TORCH[name](torch.tensor(X, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(f(X), ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", [n for n in A.ACTIVATIONS if n != "step"])
def test_grad_matches_autograd(name):
    _, g = A.ACTIVATIONS[name]
    t = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    TORCH[name](t).sum().backward()
    np.testing.assert_allclose(g(X), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(A.ACTIVATIONS))
def test_grad_matches_finite_differences(name):
    f, g = A.ACTIVATIONS[name]
    h = 1e-6
    x = X[np.abs(X) > 1e-2]  # central differences must not straddle the kink
    fd = (f(x + h) - f(x - h)) / (2 * h)
    np.testing.assert_allclose(g(x), fd, rtol=1e-6, atol=1e-8)


def test_kink_conventions_match_torch():
    for name in ["relu", "leaky_relu"]:
        t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        TORCH[name](t).sum().backward()
        assert A.ACTIVATIONS[name][1](np.zeros(1))[0] == t.grad.item()


def test_gelu_is_exact_not_tanh_approximation():
    x = np.linspace(-4, 4, 81)
    t = torch.tensor(x, dtype=torch.float64)
    exact = torch.nn.functional.gelu(t).numpy()
    approx = torch.nn.functional.gelu(t, approximate="tanh").numpy()
    assert np.max(np.abs(approx - exact)) > 1e-5  # the two forms really differ
    np.testing.assert_allclose(A.gelu(x), exact, rtol=0, atol=1e-14)


def test_sigmoid_is_stable_for_large_inputs():
    with np.errstate(all="raise"):
        s = A.sigmoid(np.array([-1000.0, 1000.0]))
    np.testing.assert_array_equal(s, [0.0, 1.0])


def test_saturation_bounds():
    x = np.linspace(-10, 10, 2001)
    assert A.sigmoid_grad(x).max() == pytest.approx(0.25)
    assert A.tanh_grad(x).max() == pytest.approx(1.0)
    assert A.sigmoid_grad(np.array([10.0]))[0] < 1e-4


def test_leaky_slope_parameter():
    np.testing.assert_allclose(A.leaky_relu(np.array([-2.0, 3.0]), 0.2), [-0.4, 3.0])
    np.testing.assert_allclose(
        A.leaky_relu_grad(np.array([-2.0, 3.0]), 0.2), [0.2, 1.0]
    )


def test_dtype_and_int_input():
    assert A.relu(np.ones(3, dtype=np.float32)).dtype == np.float32
    assert A.gelu(np.ones(3, dtype=np.float32)).dtype == np.float32
    assert A.sigmoid([0, 1]).dtype == np.float64
    assert A.step(0) == 0.0 and A.step(2) == 1.0

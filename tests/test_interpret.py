"""dlcourse.interpret: saliency against torch.autograd, integrated gradients' completeness,
the quadrature rules, Spearman against scipy, cascading randomisation."""

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from dlcourse import interpret


def _smooth_net(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(12, 8),
        torch.nn.Tanh(),
        torch.nn.Linear(8, 3),
    ).double()


def _x(n=5, seed=1):
    return np.random.default_rng(seed).normal(size=(n, 3, 4))


def test_saliency_equals_torch_autograd():
    model, x = _smooth_net(), _x()
    target = np.array([0, 2, 1, 1, 0])
    got = interpret.saliency(model, x, target, absolute=False)
    for i in range(len(x)):
        xi = torch.tensor(x[i : i + 1], requires_grad=True)
        model(xi)[0, target[i]].backward()
        np.testing.assert_allclose(got[i], xi.grad[0].numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(interpret.saliency(model, x, target), np.abs(got))


def test_saliency_single_target_and_eval_mode_restored():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 6), torch.nn.Dropout(0.5), torch.nn.Linear(6, 2)
    ).double()
    model.train()
    x = _x(3).reshape(3, -1)[:, :4]
    a = interpret.saliency(model, x, 1)
    b = interpret.saliency(model, x, [1, 1, 1])
    np.testing.assert_array_equal(a, b)  # no dropout noise: evaluated in eval mode
    assert model.training
    with pytest.raises(ValueError):
        interpret.saliency(model, x, [0, 1])


def test_integrated_gradients_of_a_linear_model_is_exact():
    torch.manual_seed(0)
    model = torch.nn.Linear(5, 2).double()
    x = _x(4).reshape(4, -1)[:, :5]
    ig = interpret.integrated_gradients(model, x, 1, steps=1)
    w = model.weight.detach().numpy()[1]
    np.testing.assert_allclose(
        ig, x * w, rtol=1e-12
    )  # IG = (x - 0) * gradient, exactly


@pytest.mark.parametrize("baseline", [None, "one", "batch"])
def test_integrated_gradients_completeness(baseline):
    """Sundararajan et al.'s axiom: attributions sum to f(x) - f(x'), within 1 % at 32 steps."""
    model, x = _smooth_net(), 2 * _x(6)
    base = {None: None, "one": np.full((3, 4), 0.3), "batch": _x(6, seed=7)}[baseline]
    target = np.array([0, 1, 2, 0, 1, 2])
    ig = interpret.integrated_gradients(model, x, target, baseline=base, steps=32)
    x0 = np.zeros_like(x) if base is None else np.broadcast_to(base, x.shape)
    diff = interpret.class_score(model, x, target) - interpret.class_score(
        model, x0, target
    )
    total = ig.reshape(len(x), -1).sum(1)
    assert np.all(np.abs(total - diff) <= 0.01 * np.abs(diff))
    # and the error shrinks like 1/steps^2 (trapezoid rule), so it is really an integral
    ig8 = interpret.integrated_gradients(model, x, target, baseline=base, steps=8)
    err8 = np.abs(ig8.reshape(len(x), -1).sum(1) - diff)
    err32 = np.abs(total - diff)
    assert np.all(err32 <= err8 / 8 + 1e-12)


def test_integrated_gradients_matches_closed_form():
    """f(x) = sum(x^3) with baseline 0: IG_i = x_i * int_0^1 3 (a x_i)^2 da = x_i^3."""

    class Cube(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.dummy = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))

        def forward(self, x):
            return torch.stack([(x**3).sum(1), -(x**3).sum(1)], 1) + self.dummy

    x = _x(3).reshape(3, -1)
    ig = interpret.integrated_gradients(Cube(), x, 0, steps=400)
    np.testing.assert_allclose(ig, x**3, rtol=1e-4, atol=1e-6)
    ig_mid = interpret.integrated_gradients(Cube(), x, 0, steps=400, rule="midpoint")
    np.testing.assert_allclose(ig_mid, x**3, rtol=1e-4, atol=1e-6)


def test_riemann_weights():
    a, w = interpret.riemann_weights(4)
    np.testing.assert_allclose(a, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(w, [0.125, 0.25, 0.25, 0.25, 0.125])
    for rule, first in [("left", 0.0), ("right", 0.25), ("midpoint", 0.125)]:
        a, w = interpret.riemann_weights(4, rule)
        assert a[0] == first and len(a) == 4 and np.isclose(w.sum(), 1)
    # trapezoid integrates x^2 on [0, 1] with error 1/(6 n^2)
    a, w = interpret.riemann_weights(10)
    assert abs(np.sum(w * a**2) - 1 / 3 - 1 / 600) < 1e-12
    with pytest.raises(ValueError):
        interpret.riemann_weights(0)
    with pytest.raises(ValueError):
        interpret.riemann_weights(3, "simpson")


def test_rank_correlation_matches_scipy_with_ties():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, size=(5, 30)).astype(float)  # many ties
    b = a + rng.integers(0, 3, size=(5, 30))
    got = interpret.rank_correlation(a, b)
    for i in range(5):
        assert np.isclose(got[i], spearmanr(a[i], b[i]).statistic)
    assert np.allclose(interpret.rank_correlation(a, a), 1)
    assert np.allclose(interpret.rank_correlation(a, -a), -1)
    assert np.isnan(interpret.rank_correlation(np.ones((1, 4)), a[:1, :4]))[0]


def test_cascading_randomization_changes_layers_top_down_and_keeps_model():
    model, x = _smooth_net(), _x()
    before = [p.detach().clone() for p in model.parameters()]
    seen = []

    def explain(m, xx, t):
        seen.append([p.detach().clone() for p in m.parameters()])
        return interpret.saliency(m, xx, t)

    out = interpret.cascading_randomization(model, x, 0, explain, seed=3)
    assert [name for name, _ in out] == ["trained", "3", "1"]  # the output layer first
    for p, q in zip(before, model.parameters()):
        assert torch.equal(p, q)  # the original model is untouched
    # after step 1 only the last Linear changed; after step 2 both
    assert torch.equal(seen[1][0], before[0]) and not torch.equal(seen[1][2], before[2])
    assert not torch.equal(seen[2][0], before[0])
    np.testing.assert_array_equal(out[0][1], interpret.saliency(model, x, 0))
    rho = interpret.rank_correlation(out[0][1], out[-1][1])
    assert np.nanmean(rho) < 0.9  # a random network explains differently

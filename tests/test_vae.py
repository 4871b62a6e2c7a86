"""The variational autoencoder against references: torch.distributions, Monte Carlo, an exact
log-likelihood (a linear Gaussian model), finite differences, and training on the digits."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dlcourse.data import digits
from dlcourse.models.vae import (
    VAE,
    evaluate_vae,
    gaussian_kl,
    negative_elbo,
    reconstruction_nll,
    reparameterize,
    train_vae,
)

D64 = torch.float64


def _posterior(n: int = 5, d: int = 3, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    mu = torch.randn(n, d, generator=gen, dtype=D64)
    logvar = torch.randn(n, d, generator=gen, dtype=D64)
    return mu, logvar


def test_kl_equals_torch_distributions():
    mu, logvar = _posterior()
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    expected = torch.distributions.kl_divergence(q, p).sum(-1)
    torch.testing.assert_close(
        gaussian_kl(mu, logvar), expected, rtol=1e-12, atol=1e-12
    )


def test_kl_equals_a_monte_carlo_estimate():
    mu, logvar = _posterior(n=3)
    gen = torch.Generator().manual_seed(1)
    n = 200_000
    z = reparameterize(mu.expand(n, -1, -1), logvar.expand(n, -1, -1), gen)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    log_ratio = (
        q.log_prob(z).sum(-1) + 0.5 * (z**2).sum(-1) + 1.5 * math.log(2 * math.pi)
    )
    estimate, stderr = log_ratio.mean(0), log_ratio.std(0) / math.sqrt(n)
    assert torch.all((estimate - gaussian_kl(mu, logvar)).abs() < 4 * stderr)


def test_kl_is_zero_only_at_the_prior():
    zero = torch.zeros(1, 4, dtype=D64)
    assert gaussian_kl(zero, zero).item() == 0.0
    mu, logvar = _posterior(n=50, d=4)
    assert torch.all(gaussian_kl(mu, logvar) > 0)
    assert gaussian_kl(zero + 1e-3, zero).item() > 0
    assert gaussian_kl(zero, zero + 1e-3).item() > 0


def test_likelihoods_equal_torch_distributions():
    gen = torch.Generator().manual_seed(2)
    logits = torch.randn(4, 6, generator=gen, dtype=D64)
    k = torch.randint(0, 17, (4, 6), generator=gen).to(D64)
    binom = torch.distributions.Binomial(16, logits=logits).log_prob(k).sum(1)
    torch.testing.assert_close(
        reconstruction_nll(logits, k / 16, "binomial", trials=16), -binom
    )
    bits = (k > 8).to(D64)
    bern = torch.distributions.Bernoulli(logits=logits).log_prob(bits).sum(1)
    torch.testing.assert_close(reconstruction_nll(logits, bits, "bernoulli"), -bern)
    normal = torch.distributions.Normal(logits, 0.3).log_prob(k / 16).sum(1)
    torch.testing.assert_close(
        reconstruction_nll(logits, k / 16, "gaussian", sigma=0.3), -normal
    )


def _linear_gaussian(sigma: float = 0.5, exact_posterior: bool = True) -> VAE:
    """z ~ N(0, I), x | z ~ N(Wz + b, sigma^2 I) with orthogonal columns of W, so the true
    posterior is a diagonal Gaussian, linear in x, that the encoder can represent exactly."""
    n_in, d = 5, 3
    model = VAE(n_in, d, hidden=(), likelihood="gaussian", sigma=sigma).double().cpu()
    gen = torch.Generator().manual_seed(3)
    q, _ = torch.linalg.qr(torch.randn(n_in, d, generator=gen, dtype=D64))
    W = q * torch.tensor([2.0, 1.0, 0.5], dtype=D64)
    b = torch.randn(n_in, generator=gen, dtype=D64)
    cov = 1.0 / (1.0 + (W**2).sum(0) / sigma**2)  # diag of (I + W^T W / sigma^2)^-1
    A = cov[:, None] * W.T / sigma**2  # posterior mean = A (x - b)
    with torch.no_grad():
        model.decoder[0].weight.copy_(W)
        model.decoder[0].bias.copy_(b)
        enc = model.encoder[0]
        enc.weight.zero_()
        enc.weight[:d] = A
        enc.bias[:d] = -A @ b
        enc.bias[d:] = cov.log()
        if not exact_posterior:
            enc.weight[:d] *= 0.7
            enc.bias[d:] += 0.5
    marginal = torch.distributions.MultivariateNormal(
        b, W @ W.T + sigma**2 * torch.eye(n_in, dtype=D64)
    )
    model.marginal = marginal  # type: ignore[assignment]
    return model


@pytest.mark.parametrize("exact", [True, False])
def test_elbo_bounds_the_exact_log_likelihood(exact):
    model = _linear_gaussian(exact_posterior=exact)
    x = torch.tensor([[0.3, -1.0, 2.0, 0.5, -0.2]], dtype=D64)
    log_px = model.marginal.log_prob(x)[0].item()
    torch.manual_seed(4)
    n = 40_000
    per_draw = -negative_elbo(
        model(x.expand(n, -1)), x.expand(n, -1), "gaussian", 0.5, reduction="none"
    )
    elbo, stderr = per_draw.mean().item(), per_draw.std().item() / math.sqrt(n)
    if exact:  # the encoder is the true posterior: the bound is tight
        assert abs(elbo - log_px) < 4 * stderr + 1e-9
    else:  # a wrong posterior: strictly below, by more than the noise
        assert elbo < log_px - 10 * stderr


def test_gradients_flow_through_the_reparameterisation():
    """d(-ELBO)/d(mu, logvar) with the noise held fixed, against finite differences."""
    model = VAE(6, 2, hidden=(5,), likelihood="bernoulli", seed=0).double().cpu()
    x = torch.rand(3, 6, generator=torch.Generator().manual_seed(5), dtype=D64)
    mu, logvar = _posterior(n=3, d=2)
    mu.requires_grad_(True)
    logvar.requires_grad_(True)

    def loss(m: torch.Tensor, lv: torch.Tensor) -> torch.Tensor:
        z = reparameterize(m, lv, torch.Generator().manual_seed(6))
        return negative_elbo((model.decode(z), m, lv), x)

    assert torch.autograd.gradcheck(loss, (mu, logvar), eps=1e-6, atol=1e-7)
    out = model(x)
    negative_elbo(out, x).backward()
    assert all(
        p.grad is not None and p.grad.abs().sum() > 0
        for p in model.encoder.parameters()
    )


def test_training_lowers_the_validation_loss_and_is_seeded():
    split = digits(seed=0)
    runs = []
    for _ in range(2):
        model = VAE(64, 4, hidden=(32,), likelihood="binomial", trials=16, seed=0).cpu()
        runs.append(
            train_vae(model, split.X_train[:300], split.X_val, epochs=3, seed=0)
        )
    history = runs[0]
    assert history.shape == (4, 2)
    assert history[-1, 1] < 0.8 * history[0, 1]
    np.testing.assert_array_equal(runs[0], runs[1])
    loss, rec, kl = evaluate_vae(model, split.X_val)
    assert loss == pytest.approx(rec + kl) and kl > 0
    images = model.sample(5, torch.Generator().manual_seed(0))
    assert images.shape == (5, 64) and 0 <= images.min() and images.max() <= 1


def test_bad_inputs_are_named():
    mu = torch.zeros(2, 3)
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(2, 4\)"):
        gaussian_kl(mu, torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(2, 5\)"):
        reconstruction_nll(mu, torch.zeros(2, 5))
    with pytest.raises(ValueError, match="multiples of 1/16"):
        reconstruction_nll(mu, torch.full((2, 3), 0.3), "binomial", trials=16)
    with pytest.raises(ValueError, match="likelihood must be one of"):
        VAE(likelihood="poisson")
    with pytest.raises(ValueError, match="expected 64 pixels per image, got 10"):
        VAE().encode(torch.zeros(2, 10))
    with pytest.raises(ValueError, match="reduction"):
        negative_elbo((mu, mu, mu), mu, reduction="max")

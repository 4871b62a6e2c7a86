"""A variational autoencoder (VAE): a generative model that encodes to a distribution.

Kingma & Welling (2014). A latent vector :math:`z \\in \\mathbb{R}^d` is drawn from the
prior :math:`p(z) = \\mathcal{N}(0, I)` and a decoder network turns it into the
parameters of a distribution over images, :math:`p_\\theta(x \\mid z)`: independent
Bernoulli pixels (the decoder gives their logits) or Gaussian pixels of fixed standard
deviation :math:`\\sigma` (the decoder gives their means). The likelihood of an image,
:math:`p_\\theta(x) = \\int p_\\theta(x \\mid z)\\, p(z)\\, dz`, is an integral nobody can
compute for a neural decoder, so an encoder network guesses, for each image, where its
latent vectors lie: a diagonal Gaussian
:math:`q_\\phi(z \\mid x) = \\mathcal{N}(\\mu, \\operatorname{diag}\\sigma_q^2)`, with
:math:`\\mu` and :math:`\\log \\sigma_q^2` read off the encoder's output. Then

.. math::

    \\log p_\\theta(x) \\;\\ge\\; \\operatorname{ELBO}(x)
    = \\mathbb{E}_{q_\\phi(z \\mid x)}\\big[\\log p_\\theta(x \\mid z)\\big]
      - \\operatorname{KL}\\big(q_\\phi(z \\mid x)\\,\\big\\|\\,p(z)\\big),

the evidence lower bound; the gap is
:math:`\\operatorname{KL}(q_\\phi(z \\mid x) \\,\\|\\, p_\\theta(z \\mid x)) \\ge 0`, zero when the
encoder finds the true posterior. Training minimises the negative ELBO: a reconstruction
error plus a KL term that keeps the codes near the prior, so that decoding a draw from the
prior gives a plausible image. For diagonal Gaussians against :math:`\\mathcal{N}(0, I)`
the KL is exact (:func:`gaussian_kl`):

.. math::

    \\operatorname{KL} = \\tfrac12 \\sum_{j=1}^{d}
    \\big(\\mu_j^2 + \\sigma_{q,j}^2 - 1 - \\log \\sigma_{q,j}^2\\big).

The expectation is estimated with one draw per image, written with the
**reparameterisation trick** :math:`z = \\mu + \\sigma_q \\odot \\varepsilon`,
:math:`\\varepsilon \\sim \\mathcal{N}(0, I)`: the randomness is an input, so gradients flow
through :math:`\\mu` and :math:`\\sigma_q` into the encoder.

See chapter: Applications and challenges (book/15_applications.ipynb)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dlcourse.device import device
from dlcourse.models.training import train_torch

__all__ = [
    "VAE",
    "gaussian_kl",
    "reparameterize",
    "reconstruction_nll",
    "negative_elbo",
    "evaluate_vae",
    "train_vae",
]

LIKELIHOODS = ("bernoulli", "binomial", "gaussian")


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag exp(logvar)) || N(0, I)) per example: a tensor of shape (N,).

    ``mu`` and ``logvar`` have shape (N, d); the sum runs over the last dimension.
    """
    if mu.shape != logvar.shape:
        raise ValueError(
            f"gaussian_kl: mu and logvar must have the same shape, "
            f"got {tuple(mu.shape)} and {tuple(logvar.shape)}"
        )
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)


def reparameterize(
    mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """z = mu + exp(logvar / 2) * eps with eps ~ N(0, I): a draw that gradients pass through."""
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device="cpu").to(
        mu.device
    )
    return mu + (0.5 * logvar).exp() * eps


def reconstruction_nll(
    decoded: torch.Tensor,
    x: torch.Tensor,
    likelihood: str = "bernoulli",
    sigma: float = 1.0,
    trials: int = 1,
) -> torch.Tensor:
    """-log p(x | z) per example, summed over pixels: a tensor of shape (N,).

    ``decoded`` is the decoder's output: logits for ``"bernoulli"`` (x in [0, 1]) and
    ``"binomial"`` (each pixel x = k / trials counts k successes of ``trials``
    coin flips of probability sigmoid(logit), the binomial coefficient included), or
    Gaussian means of standard deviation ``sigma`` (the normalising constant included).
    """
    if decoded.shape != x.shape:
        raise ValueError(
            f"reconstruction_nll: decoded and x must have the same shape, "
            f"got {tuple(decoded.shape)} and {tuple(x.shape)}"
        )
    if likelihood == "bernoulli":
        nll = F.binary_cross_entropy_with_logits(decoded, x, reduction="none")
    elif likelihood == "binomial":
        k = x * trials
        if (k - k.round()).abs().max() > 1e-4:
            raise ValueError(
                f"reconstruction_nll: binomial pixels must be multiples of 1/{trials}"
            )
        k = k.round()
        log_choose = (
            math.lgamma(trials + 1) - torch.lgamma(k + 1) - torch.lgamma(trials - k + 1)
        )
        nll = (
            trials * F.binary_cross_entropy_with_logits(decoded, x, reduction="none")
            - log_choose
        )
    elif likelihood == "gaussian":
        nll = 0.5 * ((x - decoded) / sigma) ** 2 + math.log(
            sigma * math.sqrt(2 * math.pi)
        )
    else:
        raise ValueError(
            f"reconstruction_nll: likelihood must be one of {LIKELIHOODS}, "
            f"got {likelihood!r}"
        )
    return nll.flatten(1).sum(1)


class VAE(nn.Module):
    """An MLP encoder to (mu, log sigma^2) and an MLP decoder back to pixels.

    Args:
        n_in: pixels per image (inputs are flattened to (N, n_in)).
        latent_dim: d, the size of the latent vector z.
        hidden: sizes of the hidden ReLU layers of the encoder; the decoder mirrors them.
            ``()`` makes both linear.
        likelihood: ``"bernoulli"`` or ``"binomial"`` (the decoder gives logits) or
            ``"gaussian"`` (the decoder gives means; standard deviation ``sigma``).
        sigma: the Gaussian likelihood's fixed standard deviation.
        trials: the binomial likelihood's number of trials (16 for scikit-learn's
            digits, whose pixels count the inked dots of a 4x4 block).
        seed: ``torch.manual_seed`` for the initial weights.

    ``forward(x)`` returns ``(decoded, mu, logvar)`` with one reparameterised draw of z.
    The model is moved to :func:`dlcourse.device.device`.
    """

    def __init__(
        self,
        n_in: int = 64,
        latent_dim: int = 2,
        hidden: tuple[int, ...] = (128,),
        likelihood: str = "bernoulli",
        sigma: float = 1.0,
        trials: int = 1,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if likelihood not in LIKELIHOODS:
            raise ValueError(
                f"VAE: likelihood must be one of {LIKELIHOODS}, got {likelihood!r}"
            )
        if latent_dim < 1 or n_in < 1 or sigma <= 0 or trials < 1:
            raise ValueError(
                f"VAE: need n_in >= 1, latent_dim >= 1, sigma > 0 and trials >= 1, got "
                f"n_in={n_in}, latent_dim={latent_dim}, sigma={sigma}, trials={trials}"
            )
        torch.manual_seed(seed)
        self.n_in, self.latent_dim = n_in, latent_dim
        self.likelihood, self.sigma, self.trials = likelihood, sigma, trials
        self.encoder = _mlp((n_in, *hidden, 2 * latent_dim))
        self.decoder = _mlp((latent_dim, *reversed(hidden), n_in))
        self.to(device())

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, logvar) of q(z | x), each of shape (N, latent_dim)."""
        x = x.flatten(1)
        if x.shape[1] != self.n_in:
            raise ValueError(
                f"VAE.encode: expected {self.n_in} pixels per image, got {x.shape[1]}"
            )
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder's output for latent vectors z: logits or means, (N, n_in)."""
        return self.decoder(z)

    def mean_image(self, z: torch.Tensor) -> torch.Tensor:
        """E[x | z]: pixel probabilities (Bernoulli, binomial) or means (Gaussian)."""
        out = self.decode(z)
        return out if self.likelihood == "gaussian" else torch.sigmoid(out)

    def forward(
        self, x: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar)
        return self.decode(z), mu, logvar

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images from the model: z ~ N(0, I), decoded to E[x | z], shape (n, n_in)."""
        p = next(self.parameters())
        z = torch.randn((n, self.latent_dim), generator=generator, dtype=p.dtype)
        return self.mean_image(z.to(p.device))


def _mlp(sizes: tuple[int, ...]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        if i:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
    return nn.Sequential(*layers)


def negative_elbo(
    output: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    x: torch.Tensor,
    likelihood: str = "bernoulli",
    sigma: float = 1.0,
    trials: int = 1,
    reduction: str = "mean",
) -> torch.Tensor:
    """-ELBO = reconstruction NLL + KL, from ``output = model(x)`` (nats per image).

    ``reduction``: ``"mean"`` over the batch (a scalar), ``"sum"``, or ``"none"``
    (shape (N,)). With one draw of z this is an unbiased estimate of the negative ELBO.
    """
    decoded, mu, logvar = output
    per_image = reconstruction_nll(
        decoded, x.flatten(1), likelihood, sigma, trials
    ) + gaussian_kl(mu, logvar)
    if reduction == "mean":
        return per_image.mean()
    if reduction == "sum":
        return per_image.sum()
    if reduction == "none":
        return per_image
    raise ValueError(
        f"negative_elbo: reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
    )


@torch.no_grad()
def evaluate_vae(
    model: VAE, X: Any, n_samples: int = 1, seed: int = 0
) -> tuple[float, float, float]:
    """Mean (negative ELBO, reconstruction NLL, KL) per image on ``X``, in nats.

    The expectation over z uses ``n_samples`` draws per image from a generator seeded
    with ``seed``: the same numbers every call.
    """
    p = next(model.parameters())
    x = torch.as_tensor(np.asarray(X)).to(device=p.device, dtype=p.dtype).flatten(1)
    was_training = model.training
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    mu, logvar = model.encode(x)
    kl = gaussian_kl(mu, logvar).mean()
    rec = torch.zeros((), dtype=p.dtype, device=p.device)
    for _ in range(n_samples):
        z = reparameterize(mu, logvar, gen)
        rec += reconstruction_nll(
            model.decode(z), x, model.likelihood, model.sigma, model.trials
        ).mean()
    rec = rec / n_samples
    model.train(was_training)
    return float(rec + kl), float(rec), float(kl)


def train_vae(
    model: VAE,
    X_train: Any,
    X_val: Any,
    epochs: int,
    lr: float = 3e-3,
    batch_size: int = 64,
    seed: int = 0,
) -> np.ndarray:
    """Adam on the negative ELBO; returns an (epochs + 1, 2) array of the (train,
    validation) negative ELBO per image, before training and after every epoch.

    Seeded: shuffles and the draws of z depend on ``seed`` only (on the CPU).
    """
    p = next(model.parameters())
    X = torch.as_tensor(np.asarray(X_train)).to(device=p.device, dtype=p.dtype)
    X = X.flatten(1)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def loss_fn(output: Any, x: torch.Tensor) -> torch.Tensor:
        return negative_elbo(output, x, model.likelihood, model.sigma, model.trials)

    def shuffled() -> Any:
        order = torch.randperm(len(X), generator=gen).to(p.device)
        for start in range(0, len(X), batch_size):
            batch = X[order[start : start + batch_size]]
            yield batch, batch

    history = [(evaluate_vae(model, X)[0], evaluate_vae(model, X_val)[0])]
    torch.manual_seed(seed)  # the draws of z inside forward
    for _ in range(epochs):
        train_torch(model, loss_fn, opt, shuffled, 1)
        history.append((evaluate_vae(model, X)[0], evaluate_vae(model, X_val)[0]))
    model.eval()
    return np.array(history)

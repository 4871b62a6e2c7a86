"""Linear regions of ReLU networks: why depth buys expressiveness.

A ReLU network is piecewise linear. Each hidden neuron ``relu(wᵢ·h + bᵢ)`` is either
on or off; the tuple of on/off bits of all hidden neurons — the *activation pattern* —
is constant on convex pieces of the input space, and on each piece the network is one
affine map. Counting distinct patterns counts these *linear regions*.

* One hidden layer of ``n`` ReLUs on a 2-D input cuts the plane with ``n`` lines; by
  Zaslavsky's theorem at most ``1 + n + n(n-1)/2`` regions (equality for lines in
  general position): only polynomially many in ``n``.
* Depth composes the folds: the sawtooth network of :func:`sawtooth_layers`, with only
  2 ReLUs per layer, has ``2^depth`` regions (Montúfar et al., 2014; Telgarsky, 2016;
  Serra et al., 2018 give bounds for general architectures).
* That is a statement about the best weights. Randomly initialised deep networks have
  far fewer regions than this maximum — roughly proportional to the number of neurons
  squared in 2-D, whatever the depth (Hanin & Rolnick, 2019).

Counting here is done on a grid, so regions smaller than a grid cell can be missed:
the count is a lower bound that converges as ``resolution`` grows.

See chapter: Why depth (book/04_depth.ipynb)
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from .viz import linear_layers

__all__ = [
    "activation_patterns",
    "count_linear_regions",
    "plot_linear_regions",
    "sawtooth_layers",
    "zaslavsky_bound",
]

_PIECEWISE_LINEAR = {"ReLU", "LeakyReLU"}  # kink at 0: the on/off bit is z > 0


def _hidden_layers(model: Any) -> list[tuple[np.ndarray, np.ndarray | None, str]]:
    layers = linear_layers(model)
    if layers[0][0].shape[1] != 2:
        raise ValueError(
            f"linear regions: the model must take 2-D inputs, its first weight has "
            f"shape {layers[0][0].shape}: {layers[0][0].shape[1]} != 2"
        )
    for *_, act in layers:
        if act and act not in _PIECEWISE_LINEAR:
            raise ValueError(
                f"linear regions: {act} is not piecewise linear; use ReLU or LeakyReLU"
            )
    # The last affine layer (no activation) does not cut the input space.
    return [layer for layer in layers if layer[2]]


def activation_patterns(model: Any, points: np.ndarray) -> np.ndarray:
    """Boolean ``(N, hidden_units)``: which hidden ReLUs are on at each of the points.

    ``points`` has shape ``(N, 2)``.

    ``model`` is a dlcourse or torch MLP of Linear + ReLU/LeakyReLU layers, or a list of
    ``(W, b)`` pairs, ``W`` of shape ``(out, in)``, each followed by a ReLU.
    """
    h = np.asarray(points, dtype=np.float64)
    bits = []
    for W, b, act in _hidden_layers(model):
        z = h @ W.T + (0.0 if b is None else b)
        on = z > 0
        bits.append(on)
        h = np.where(on, z, 0.01 * z if act == "LeakyReLU" else 0.0)
    if not bits:
        return np.zeros((len(h), 0), dtype=bool)
    return np.concatenate(bits, axis=1)


def _grid(
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    resolution: int | tuple[int, int],
):
    nx, ny = (
        (resolution, resolution)
        if isinstance(resolution, (int, np.integer))
        else resolution
    )
    gx, gy = np.meshgrid(np.linspace(*xlim, int(nx)), np.linspace(*ylim, int(ny)))
    return gx, gy, np.c_[gx.ravel(), gy.ravel()]


def _region_ids(model: Any, points: np.ndarray) -> np.ndarray:
    packed = np.ascontiguousarray(
        np.packbits(activation_patterns(model, points), axis=1)
    )
    if packed.shape[1] == 0:  # no hidden ReLU: the whole plane is one region
        return np.zeros(len(packed), dtype=np.intp)
    # One opaque bytes value per row: a 1-D unique is much faster than unique(axis=0).
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, ids = np.unique(keys, return_inverse=True)
    return ids.ravel()


def count_linear_regions(
    model: Any,
    xlim: tuple[float, float] = (-1.0, 1.0),
    ylim: tuple[float, float] = (-1.0, 1.0),
    resolution: int | tuple[int, int] = 400,
) -> int:
    """Number of distinct activation patterns on a ``resolution × resolution`` grid
    (or ``nx × ny`` for a pair).

    A lower bound on the number of linear regions meeting the window (tiny regions can
    fall between grid points); LeakyReLU's negative slope does not change the regions.
    """
    _, _, pts = _grid(xlim, ylim, resolution)
    return int(_region_ids(model, pts).max()) + 1


def plot_linear_regions(
    model: Any,
    xlim: tuple[float, float] = (-1.0, 1.0),
    ylim: tuple[float, float] = (-1.0, 1.0),
    resolution: int | tuple[int, int] = 400,
    ax: plt.Axes | None = None,
    title: str | None = None,
) -> plt.Axes:
    """Colour each linear region of the model in the window; the title says how many."""
    gx, gy, pts = _grid(xlim, ylim, resolution)
    ids = _region_ids(model, pts)
    n = int(ids.max()) + 1
    # Shuffle the colours so neighbouring regions rarely look alike.
    colour = np.random.default_rng(0).permutation(n)[ids].reshape(gx.shape)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    ax.pcolormesh(gx, gy, colour, cmap="viridis", shading="auto", rasterized=True)
    ax.set(
        xlim=xlim,
        ylim=ylim,
        xlabel="$x_1$",
        ylabel="$x_2$",
        aspect="equal",
        title=title if title is not None else f"{n} linear regions",
    )
    return ax


def zaslavsky_bound(n: int, dim: int = 2) -> int:
    """Most regions ``n`` hyperplanes cut ``ℝ^dim`` into: ``Σ_{i=0..dim} C(n, i)``.

    For ``dim = 2``: ``1 + n + n(n-1)/2``, the most for one hidden layer of ``n`` ReLUs.
    """
    from math import comb

    return sum(comb(n, i) for i in range(dim + 1))


def sawtooth_layers(depth: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Hidden layers ``(W, b)`` of a width-2 ReLU net with ``2^depth`` regions.

    The regions are those on ``(0, 1) × ℝ``. Each layer computes ``relu(t)`` and
    ``relu(t - ½)`` of the previous tent value ``t``, and the next layer reads
    ``t' = 2 relu(t) - 4 relu(t - ½)``, the tent map, which folds ``[0, 1]`` onto
    itself. ``depth`` folds make ``2^depth`` pieces along ``x₁`` (the
    input ``x₂`` is ignored): ``6 · depth`` parameters, exponentially many regions.
    """
    if depth < 1:
        raise ValueError(f"sawtooth_layers: depth must be at least 1, got {depth}")
    first = (np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([0.0, -0.5]))
    fold = (np.array([[2.0, -4.0], [2.0, -4.0]]), np.array([0.0, -0.5]))
    return [first] + [fold] * (depth - 1)

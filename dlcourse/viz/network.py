"""The classic neuron diagram of a network: circles per layer, weighted edges between.

See chapter: From neurons to networks (book/03_networks.ipynb)
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from .layers import linear_layers
from .style import OKABE_ITO

__all__ = ["draw_network"]


def draw_network(
    model_or_sizes: Any,
    ax: plt.Axes | None = None,
    max_neurons: int = 8,
    show_weights: bool = True,
    layer_names: Sequence[str] | None = None,
) -> plt.Axes:
    """Draw the classic neuron diagram: one column of circles per layer, edges between.

    ``model_or_sizes`` is a list of layer sizes (``[2, 3, 1]``), a dlcourse model, a
    torch ``nn.Sequential``, or a list of ``(W, b)``. Layers wider than ``max_neurons``
    show their first and last few neurons around a "⋮ N" ellipsis. Each layer is labelled
    with its name, size, activation and parameter count ``n_in · n_out + n_out``. With a
    model and ``show_weights``, edge colour is the weight's sign and width its magnitude.
    """
    if isinstance(model_or_sizes, (list, tuple)) and all(
        isinstance(s, (int, np.integer)) for s in model_or_sizes
    ):
        sizes, layers = [int(s) for s in model_or_sizes], None
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(
                f"draw_network: need at least two positive layer sizes, got {sizes}"
            )
        acts = [""] * (len(sizes) - 1)
        params = [a * b + b for a, b in pairwise(sizes)]
    else:
        layers = linear_layers(model_or_sizes)
        sizes = [layers[0][0].shape[1]] + [W.shape[0] for W, _, _ in layers]
        acts = [a for _, _, a in layers]
        params = [W.size + (0 if b is None else b.size) for W, b, _ in layers]
    n_layers = len(sizes)
    names = (
        list(layer_names)
        if layer_names is not None
        else (["input"] + [f"hidden {i}" for i in range(1, n_layers - 1)] + ["output"])
    )
    if len(names) != n_layers:
        raise ValueError(
            f"draw_network: {len(names)} layer names for {n_layers} layers"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(1.8 + 1.9 * n_layers, 4.6))

    # which neurons are drawn, and their heights
    half = max(max_neurons // 2, 1)
    max_neurons = (
        max(max_neurons, 2 * half) + 2
    )  # eliding only two neurons would not save room
    shown = [
        list(range(n))
        if n <= max_neurons
        else list(range(half)) + list(range(n - half, n))
        for n in sizes
    ]
    slots = max(len(s) + (1 if n > max_neurons else 0) for s, n in zip(shown, sizes))

    def heights(n: int, idx: list[int]) -> list[float]:
        k = len(idx) + (1 if n > max_neurons else 0)
        ys = list(np.linspace((k - 1) / 2, -(k - 1) / 2, k)) if k > 1 else [0.0]
        return ys if n <= max_neurons else ys[:half] + ys[half + 1 :]

    pos = [heights(n, s) for n, s in zip(sizes, shown)]
    colors = [OKABE_ITO[0]] + [OKABE_ITO[2]] * (n_layers - 2) + [OKABE_ITO[1]]
    # Markers are sized in points (not data units) so circles stay round at any aspect ratio.
    axes_height_pt = 72 * ax.get_window_extent().height / ax.figure.dpi
    diameter = min(
        28.0, 0.55 * axes_height_pt / (slots + 3)
    )  # +3: room for the labels on top

    # edges first, so circles cover their ends
    cmap = plt.get_cmap("PuOr")
    for i in range(n_layers - 1):
        W = layers[i][0] if layers is not None and show_weights else None
        wmax = np.abs(W).max() if W is not None and W.size else 1.0
        for a, ya in zip(shown[i], pos[i]):
            for b, yb in zip(shown[i + 1], pos[i + 1]):
                if W is None:
                    ax.plot([i, i + 1], [ya, yb], color="0.7", lw=0.6, zorder=1)
                else:
                    w = W[b, a] / (wmax or 1.0)
                    ax.plot(
                        [i, i + 1],
                        [ya, yb],
                        color=cmap(0.5 + 0.5 * w),
                        lw=0.3 + 2.2 * abs(w),
                        zorder=1,
                    )
    top = max(max(p) for p in pos)
    for i, (n, ys) in enumerate(zip(sizes, pos)):
        ax.scatter(
            np.full(len(ys), i),
            ys,
            s=diameter**2,
            color=colors[i],
            edgecolor="black",
            lw=0.8,
            zorder=3,
        )
        if n > max_neurons:
            mid = (ys[half - 1] + ys[half]) / 2
            ax.text(
                i,
                mid,
                f"⋮ {n - 2 * half} more",
                ha="center",
                va="center",
                fontsize=8,
                zorder=4,
                bbox={
                    "facecolor": "white",
                    "edgecolor": "none",
                    "alpha": 0.85,
                    "pad": 1,
                },
            )
        label = f"{names[i]}\n{n} unit{'s' if n != 1 else ''}"
        if i > 0:
            label += (
                f" · {acts[i - 1]}" if acts[i - 1] else ""
            ) + f"\n{params[i - 1]:,} params"
        ax.text(i, top + 0.8, label, ha="center", va="bottom", fontsize=8)
    ax.set_title(
        f"{' → '.join(map(str, sizes))}   ({sum(params):,} parameters)", fontsize=10
    )
    ax.set_xlim(-0.5, n_layers - 0.5)
    ax.set_ylim(-top - 0.8, top + 2.6)
    ax.axis("off")
    return ax

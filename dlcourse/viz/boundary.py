"""Decision boundaries: shade the plane by what a classifier answers.

See chapter: From neurons to networks (book/03_networks.ipynb)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

from .layers import to_numpy
from .style import BLUE_WHITE_ORANGE, MARKERS, OKABE_ITO

__all__ = ["plot_decision_boundary"]


def plot_decision_boundary(
    predict_fn: Callable[[np.ndarray], Any],
    X: Any,
    y: Any = None,
    ax: plt.Axes | None = None,
    resolution: int = 200,
    padding: float = 0.5,
    title: str | None = None,
) -> plt.Axes:
    """Shade the plane by what ``predict_fn`` answers and scatter the data on top.

    ``predict_fn`` maps an ``(M, 2)`` float64 array to one of: labels ``(M,)`` (ints),
    probabilities of class 1 ``(M,)`` / ``(M, 1)`` (floats in [0, 1]), scores ``(M,)``
    (other floats; the boundary is at 0), or per-class scores/probabilities ``(M, K)``
    (label = argmax). It may return NumPy, torch or dlcourse tensors; a torch ``nn.Module``
    can be passed directly. The decision boundary is drawn as a black line.
    """
    X = to_numpy(X).astype(np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"plot_decision_boundary: X must have shape (n, 2), got {X.shape}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    (x0, y0), (x1, y1) = X.min(0) - padding, X.max(0) + padding
    gx, gy = np.meshgrid(
        np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    )
    grid = np.c_[gx.ravel(), gy.ravel()]
    out = to_numpy(_call(predict_fn, grid)).astype(np.float64)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.shape[0] != len(grid) or out.ndim > 2:
        raise ValueError(
            f"plot_decision_boundary: predict_fn returned shape {out.shape} "
            f"for input shape {grid.shape}; expected ({len(grid)},) or ({len(grid)}, K)"
        )
    if out.ndim == 1 and not np.all(out == np.round(out)):
        p = (
            out
            if out.min() >= 0 and out.max() <= 1
            else 1 / (1 + np.exp(-np.clip(out, -50, 50)))
        )
        P = p.reshape(gx.shape)
        ax.contourf(
            gx,
            gy,
            P,
            levels=np.linspace(0, 1, 11),
            cmap=BLUE_WHITE_ORANGE,
            alpha=0.6,
            vmin=0,
            vmax=1,
        )
        ax.contour(gx, gy, P, levels=[0.5], colors="black", linewidths=1.5)
    else:
        labels = (out.argmax(1) if out.ndim == 2 else out).astype(int).reshape(gx.shape)
        k = max(int(labels.max()) + 1, 2 if y is None else int(to_numpy(y).max()) + 1)
        cmap = ListedColormap((OKABE_ITO * 2)[:k])
        ax.contourf(gx, gy, labels, levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.3)
        ax.contour(
            gx, gy, labels, levels=np.arange(k) + 0.5, colors="black", linewidths=1.0
        )
    if y is not None:
        y = to_numpy(y).astype(int)
        for c in np.unique(y):
            x1s, x2s = X[y == c].T
            ax.scatter(
                x1s,
                x2s,
                s=18,
                color=OKABE_ITO[c % 8],
                marker=MARKERS[c % 8],
                edgecolor="black",
                linewidth=0.5,
                label=f"class {c}",
            )
        ax.legend(loc="best", fontsize=8)
    else:
        ax.scatter(
            X[:, 0], X[:, 1], s=18, color="grey", edgecolor="black", linewidth=0.5
        )
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="$x_1$", ylabel="$x_2$")
    if title:
        ax.set_title(title)
    return ax


def _call(fn: Any, X: np.ndarray) -> Any:
    import torch

    if isinstance(fn, torch.nn.Module):
        p = next(fn.parameters(), None)
        with torch.no_grad():
            return fn(
                torch.as_tensor(
                    X,
                    dtype=p.dtype if p is not None else torch.float32,
                    device=p.device if p is not None else "cpu",
                )
            )
    return fn(X)

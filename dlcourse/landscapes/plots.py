"""Pictures of a landscape: contour map, 3-D surface, and paths walked on it, animated.

See chapter: Gradient descent (book/06_gradient_descent.ipynb)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation

from ..animation import to_html
from ..viz import OKABE_ITO
from .surfaces import Landscape, get_landscape

__all__ = ["COLORS", "plot_contour", "plot_surface", "animate_descent"]

COLORS = OKABE_ITO[1:] + OKABE_ITO[:1]
"""The paths' colours: Okabe–Ito, orange first (it stands out on viridis)."""


def _paths(trajectories: Any) -> dict[str, np.ndarray]:
    if trajectories is None:
        return {}
    if isinstance(trajectories, Mapping):
        return {str(k): np.asarray(v, dtype=float) for k, v in trajectories.items()}
    arr = (
        np.asarray(trajectories, dtype=float)
        if not isinstance(trajectories, (list, tuple))
        else None
    )
    if arr is not None and arr.ndim == 2:
        return {"": arr}
    return {
        f"path {i + 1}": np.asarray(t, dtype=float) for i, t in enumerate(trajectories)
    }


def _levels(land: Landscape, Z: np.ndarray, n: int) -> np.ndarray:
    if land.log_levels:
        lo = max(Z.min(), 1e-3)
        return np.geomspace(lo, Z.max(), n)
    return np.unique(
        np.quantile(Z, np.linspace(0, 1, n))
    )  # evenly many lines everywhere


def plot_contour(
    landscape: Landscape | str,
    trajectories: Any = None,
    ax: plt.Axes | None = None,
    levels: int = 30,
    resolution: int = 200,
    title: str | None = None,
    filled: bool = False,
) -> plt.Axes:
    """Contour map of the landscape, its minima (★) and saddles (×), and optional paths.

    ``trajectories``: one ``(T, 2)`` array, a list of them, or ``{label: array}``.
    ``filled`` shades the bands between levels instead of drawing lines (flat colours
    also compress far better, which keeps animations small).
    """
    land = get_landscape(landscape)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    X, Y, Z = land.grid(resolution)
    if filled:
        ax.contourf(X, Y, Z, levels=_levels(land, Z, levels), cmap="viridis", alpha=0.5)
    else:
        ax.contour(
            X, Y, Z, levels=_levels(land, Z, levels), cmap="viridis", linewidths=0.8
        )
    for m in land.minima:
        ax.plot(*m, "*", color="black", ms=12, mfc="white", zorder=5)
    for s in land.saddles:
        ax.plot(*s, "x", color="black", ms=10, mew=2, zorder=5)
    for (label, path), color in zip(_paths(trajectories).items(), COLORS * 4):
        ax.plot(
            path[:, 0], path[:, 1], "o-", color=color, ms=3, lw=1.5, label=label or None
        )
    if any(_paths(trajectories)):
        ax.legend(loc="best", fontsize=8)
    ax.set(
        xlim=land.xlim,
        ylim=land.ylim,
        xlabel="$x$",
        ylabel="$y$",
        aspect="auto",
        title=title if title is not None else f"{land.name}: {land.formula}",
    )
    return ax


def plot_surface(
    landscape: Landscape | str, ax: Any = None, resolution: int = 80
) -> Any:
    """3-D surface plot (viridis); returns the 3-D axes."""
    land = get_landscape(landscape)
    if ax is None:
        ax = plt.figure(figsize=(5, 4)).add_subplot(projection="3d")
    X, Y, Z = land.grid(resolution)
    ax.plot_surface(X, Y, Z, cmap="viridis", linewidth=0, antialiased=True, alpha=0.9)
    ax.set(
        xlabel="$x$", ylabel="$y$", zlabel="$f$", title=f"{land.name}: {land.formula}"
    )
    return ax


def animate_descent(
    landscape: Landscape | str,
    trajectories: Any,
    frames: int = 30,
    interval: int = 150,
    dpi: int = 72,
    alt: str | None = None,
) -> str:
    """HTML (``FuncAnimation.to_jshtml``) of the paths being walked, step by step.

    At most 40 frames and dpi ≤ 80 keep the page light: long paths are subsampled.
    ``alt`` describes the animation for screen readers (by default: which paths, on
    which landscape).
    """
    paths = _paths(trajectories)
    if not paths:
        raise ValueError("animate_descent: no trajectories given")
    frames, dpi = min(int(frames), 40), min(int(dpi), 80)
    length = max(len(p) for p in paths.values())
    stops = np.unique(np.linspace(1, length, min(frames, length)).round().astype(int))
    fig, ax = plt.subplots(figsize=(5, 4), dpi=dpi)
    plot_contour(landscape, ax=ax, levels=15, resolution=120, filled=True)
    lines = [
        ax.plot([], [], "o-", color=c, ms=3, lw=1.5, label=k or None)[0]
        for k, c in zip(paths, COLORS * 4)
    ]
    if any(paths):
        ax.legend(loc="upper right", fontsize=8)
    title = ax.get_title()

    def draw(i: int):
        for line, path in zip(lines, paths.values()):
            line.set_data(path[: stops[i], 0], path[: stops[i], 1])
        ax.set_title(f"{title}  (step {stops[i] - 1})", fontsize=9)
        return lines

    anim = FuncAnimation(fig, draw, frames=len(stops), interval=interval, blit=False)
    if alt is None:
        names = ", ".join(map(str, paths))
        alt = (
            f"Animation: {len(paths)} optimisation path(s) ({names}) walking downhill "
            f"on the contour map of the {get_landscape(landscape).name} landscape, step by step"
        )
    html = to_html(anim, alt=alt)
    plt.close(fig)
    return html

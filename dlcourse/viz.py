"""Pictures used throughout the course: decision boundaries, network diagrams,
training curves and confusion matrices.

Every function draws on ``ax`` when given (or a new figure) and returns the axes, so
figures compose. Colours are colour-blind safe: the Okabe–Ito palette for classes
(with a different marker per class, so colour is never the only cue), ``cividis`` /
``viridis`` for magnitudes and the ColorBrewer ``PuOr`` diverging map for signed weights.

See chapter: From neurons to networks
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LinearSegmentedColormap, ListedColormap

from dlcourse.interop import to_numpy

__all__ = [
    "OKABE_ITO",
    "MARKERS",
    "to_numpy",
    "linear_layers",
    "plot_decision_boundary",
    "draw_network",
    "plot_history",
    "confusion_matrix",
    "plot_confusion_matrix",
]

OKABE_ITO = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
_BINARY = LinearSegmentedColormap.from_list(
    "blue_white_orange", [OKABE_ITO[0], "#FFFFFF", OKABE_ITO[1]]
)


def _leaves(model: Any) -> list[Any]:
    children = list(model.children()) if hasattr(model, "children") else []
    return [leaf for c in children for leaf in _leaves(c)] if children else [model]


def linear_layers(model: Any) -> list[tuple[np.ndarray, np.ndarray | None, str]]:
    """``[(W, b, activation), ...]`` for each affine layer of ``model``, in order.

    ``model`` is a dlcourse ``Sequential``/``MLP``/``Linear``, a torch module made of
    ``nn.Linear`` and activations (searched depth-first), or a list of ``(W, b)`` pairs with
    ``W`` of shape ``(out, in)`` (then every layer is taken to be followed by a ReLU).
    ``activation`` is the class name of the activation right after the layer ('' if none).
    """
    if (
        isinstance(model, (list, tuple))
        and model
        and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in model)
    ):
        out = [
            (
                np.asarray(W, dtype=np.float64),
                None if b is None else np.asarray(b, dtype=np.float64),
                "ReLU",
            )
            for W, b in model
        ]
    else:
        out = []
        for leaf in _leaves(model):
            name = type(leaf).__name__
            if name == "Linear":
                bias = getattr(leaf, "bias", None)
                out.append(
                    (
                        np.asarray(to_numpy(leaf.weight), dtype=np.float64),
                        None
                        if bias is None
                        else np.asarray(to_numpy(bias), dtype=np.float64),
                        "",
                    )
                )
            elif name in ("Dropout", "Identity", "Flatten"):
                continue  # do not change the function at inference time
            elif out and not out[-1][2]:
                out[-1] = (*out[-1][:2], name)
            else:
                raise TypeError(
                    f"linear_layers: cannot place a {name} layer here: expected Linear "
                    f"layers each followed by at most one activation"
                )
    for (W1, *_), (W2, *_) in itertools.pairwise(out):
        if W1.shape[0] != W2.shape[1]:
            raise ValueError(
                f"linear_layers: consecutive weights {W1.shape} and {W2.shape} do not chain: "
                f"{W1.shape[0]} != {W2.shape[1]}"
            )
    if not out:
        raise TypeError(
            f"linear_layers: found no Linear layer in {type(model).__name__}"
        )
    return out


# ---------------------------------------------------------------------------- decision boundary
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
            cmap=_BINARY,
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
            ax.scatter(
                *X[y == c].T,
                s=18,
                color=OKABE_ITO[c % 8],
                marker=MARKERS[c % 8],
                edgecolor="black",
                linewidth=0.5,
                label=f"class {c}",
            )
        ax.legend(loc="best", fontsize=8)
    else:
        ax.scatter(*X.T, s=18, color="grey", edgecolor="black", linewidth=0.5)
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="$x_1$", ylabel="$x_2$")
    if title:
        ax.set_title(title)
    return ax


def _call(fn: Any, X: np.ndarray) -> Any:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        torch = None
    if torch is not None and isinstance(fn, torch.nn.Module):
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


# ---------------------------------------------------------------------------- network diagram
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
        params = [a * b + b for a, b in itertools.pairwise(sizes)]
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
    axes_height_pt = 72 * ax.figure.get_figheight() * ax.get_position().height
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


# ---------------------------------------------------------------------------- training curves
def plot_history(
    history: Any, ax: Any = None, title: str | None = None
) -> tuple[plt.Axes, plt.Axes | None]:
    """Loss (left) and accuracy (right) per epoch, training solid and validation dashed.

    ``history`` is a ``dlcourse.train.History`` or a mapping with keys ``train_loss``,
    ``val_loss``, ``train_acc``, ``val_acc`` (missing/empty ones are skipped). ``ax`` may be
    two axes; with one axes, accuracy goes on a twin y-axis. Returns ``(loss_ax, acc_ax)``.
    """
    h = dict(history) if isinstance(history, Mapping) else vars(history)
    curves = {
        k: list(h.get(k) or [])
        for k in ("train_loss", "val_loss", "train_acc", "val_acc")
    }
    if not curves["train_loss"] and not curves["val_loss"]:
        raise ValueError(
            "plot_history: the history has no train_loss or val_loss values"
        )
    has_acc = bool(curves["train_acc"] or curves["val_acc"])
    if ax is None:
        _, axes = plt.subplots(
            1, 2 if has_acc else 1, figsize=(9 if has_acc else 4.5, 3.4), squeeze=False
        )
        loss_ax, acc_ax = axes[0][0], (axes[0][1] if has_acc else None)
    elif isinstance(ax, (list, tuple, np.ndarray)):
        loss_ax, acc_ax = ax[0], ax[1]
    else:
        loss_ax, acc_ax = ax, (ax.twinx() if has_acc else None)
    for key, a, color in [
        ("train_loss", loss_ax, OKABE_ITO[0]),
        ("val_loss", loss_ax, OKABE_ITO[1]),
        ("train_acc", acc_ax, OKABE_ITO[0]),
        ("val_acc", acc_ax, OKABE_ITO[1]),
    ]:
        if curves[key] and a is not None:
            v = curves[key]
            a.plot(
                np.arange(1, len(v) + 1),
                v,
                "-" if key.startswith("train") else "--",
                color=color,
                marker="o" if len(v) <= 30 else None,
                ms=3,
                label=key.replace("_", " "),
            )
    loss_ax.set(xlabel="epoch", ylabel="loss", title=title or "")
    loss_ax.legend(fontsize=8, loc="upper right")
    if acc_ax is not None:
        acc_ax.set(xlabel="epoch", ylabel="accuracy")
        acc_ax.legend(fontsize=8, loc="lower right")
    return loss_ax, acc_ax


# ---------------------------------------------------------------------------- confusion matrix
def confusion_matrix(
    y_true: Any, y_pred: Any, n_classes: int | None = None
) -> np.ndarray:
    """``C[i, j]`` = number of samples of true class ``i`` predicted as class ``j``."""
    t, p = to_numpy(y_true).astype(int).ravel(), to_numpy(y_pred).astype(int).ravel()
    if t.shape != p.shape:
        raise ValueError(
            f"confusion_matrix: y_true has shape {t.shape} but y_pred has shape {p.shape}"
        )
    k = (
        n_classes
        if n_classes is not None
        else int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    )
    C = np.zeros((k, k), dtype=np.int64)
    np.add.at(C, (t, p), 1)
    return C


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    ax: plt.Axes | None = None,
    labels: Sequence[str] | None = None,
    normalize: bool = False,
    cmap: str = "cividis",
) -> plt.Axes:
    """Heat map of the confusion matrix with the count (or row fraction) in each cell."""
    C = confusion_matrix(y_true, y_pred, None if labels is None else len(labels))
    M = C / np.maximum(C.sum(1, keepdims=True), 1) if normalize else C
    k = len(C)
    if ax is None:
        _, ax = plt.subplots(
            figsize=(1.2 + 0.45 * k, 1.0 + 0.45 * k) if k > 6 else (4, 3.5)
        )
    im = ax.imshow(M, cmap=cmap, vmin=0)
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    names = list(labels) if labels is not None else [str(i) for i in range(k)]
    ax.set(
        xticks=range(k),
        yticks=range(k),
        xticklabels=names,
        yticklabels=names,
        xlabel="predicted",
        ylabel="true",
        title=f"accuracy {np.trace(C) / max(C.sum(), 1):.1%}",
    )
    threshold = M.max() / 2
    for i in range(k):
        for j in range(k):
            ax.text(
                j,
                i,
                f"{M[i, j]:.2f}" if normalize else f"{M[i, j]:d}",
                ha="center",
                va="center",
                fontsize=8,
                color="black" if M[i, j] > threshold else "white",
            )
    return ax

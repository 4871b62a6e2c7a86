"""Pictures of a training run: loss and accuracy curves, and the confusion matrix.

See chapter: Training a real network (book/08_training.ipynb)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from .layers import to_numpy
from .style import OKABE_ITO

__all__ = ["plot_history", "confusion_matrix", "plot_confusion_matrix"]


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

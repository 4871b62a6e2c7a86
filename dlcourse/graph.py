"""Draw a computation graph, with values and gradients, using matplotlib only.

Each tensor is a box labelled with the operation that produced it, its value
(the number itself for a one-element tensor, else its shape) and its gradient.
Data flows left to right; backpropagation walks the same arrows right to left,
each node passing its share of the blame to the nodes it was computed from.

Layout: a node's column is the length of the longest path from the inputs
(inputs themselves sit one column left of their first use); rows inside a
column are ordered by the barycentre of their neighbours to limit crossings.

See chapter: Backpropagation (book/07_backpropagation.ipynb)
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from dlcourse.autograd import Tensor

__all__ = ["draw_graph", "graph_layout"]

# Okabe–Ito colours (colour-blind safe), used as light fills.
_COLOURS = {"param": "#E69F00", "const": "#BBBBBB", "op": "#56B4E9", "root": "#009E73"}


class _Waypoint:
    """A bend point of an arrow spanning several columns (keeps it out of the boxes)."""

    __slots__ = ()


def _layout(root: Tensor) -> tuple[dict[Any, tuple[int, float]], list[list[Any]]]:
    """Positions of tensors and waypoints; arrows as [parent, waypoints..., child]."""
    nodes = root.topological_order(leaves=True)  # parents before children
    consumers: dict[Tensor, list[Tensor]] = {n: [] for n in nodes}
    column: dict[Any, int] = {}
    for n in nodes:
        for p in n.parents:
            consumers[p].append(n)
        if n.parents:
            column[n] = 1 + max(column.get(p, 0) for p in n.parents)
    for n in nodes:  # inputs: just left of their first consumer
        if not n.parents:
            column[n] = min((column[c] for c in consumers[n]), default=1) - 1
    shift = min(column.values())
    for n in nodes:
        column[n] -= shift

    # Split arrows longer than one column at waypoints, one per column crossed.
    paths: list[list[Any]] = []
    left: dict[Any, list[Any]] = {n: [] for n in nodes}  # neighbours one column left
    right: dict[Any, list[Any]] = {n: [] for n in nodes}  # neighbours one column right
    for child in nodes:
        for parent in dict.fromkeys(child.parents):  # x * x: one arrow
            path: list[Any] = [parent]
            for col in range(column[parent] + 1, column[child]):
                w = _Waypoint()
                column[w], left[w], right[w] = col, [], []
                path.append(w)
            path.append(child)
            for a, b in itertools.pairwise(path):
                right[a].append(b)
                left[b].append(a)
            paths.append(path)

    n_cols = max(column.values()) + 1
    layers: list[list[Any]] = [[] for _ in range(n_cols)]
    for item in column:
        layers[column[item]].append(item)
    row = {item: float(i) for layer in layers for i, item in enumerate(layer)}

    def reorder(layer: list[Any], neighbours: dict[Any, list[Any]]) -> None:
        key = {
            m: (np.mean([row[k] for k in neighbours[m]]) if neighbours[m] else row[m])
            for m in layer
        }
        layer.sort(key=lambda m: key[m])
        for i, m in enumerate(layer):
            row[m] = float(i)

    for _ in range(4):  # barycentre sweeps: right-to-left, then left-to-right
        for layer in reversed(layers[:-1]):
            reorder(layer, right)
        for layer in layers[1:]:
            reorder(layer, left)
    height = max(len(layer) for layer in layers)
    for layer in layers:  # centre each column vertically
        offset = (height - len(layer)) / 2
        for item in layer:
            row[item] += offset
    return {item: (column[item], row[item]) for item in column}, paths


def graph_layout(root: Tensor) -> dict[Tensor, tuple[int, float]]:
    """Column and row of every tensor in ``root``'s graph: ``{tensor: (column, row)}``.

    Columns grow from inputs (left) to ``root`` (right); every arrow goes from a
    lower column to a higher one.
    """
    pos, _ = _layout(root)
    return {t: cr for t, cr in pos.items() if isinstance(t, Tensor)}


def _fmt(a: np.ndarray | None, precision: int) -> str:
    if a is None:
        return "None"
    if a.size == 1:
        return f"{a.item():.{precision}g}"
    return f"shape {tuple(a.shape)}"


def _node_text(t: Tensor, precision: int, show_grad: bool) -> str:
    if t.parents:
        kind = t.op
    elif t.requires_grad:
        kind = "leaf"
    else:
        kind = "input"
    head = f"{t.label}  [{kind}]" if t.label else kind
    lines = [head, f"data {_fmt(t.data, precision)}"]
    if show_grad:
        if t.grad is not None and t.grad.size > 1:
            lines.append(f"grad ‖·‖={np.linalg.norm(t.grad):.{precision}g}")
        elif t.requires_grad:
            lines.append(f"grad {_fmt(t.grad, precision)}")
    return "\n".join(lines)


def draw_graph(
    root: Tensor,
    ax: Any = None,
    show_grad: bool = True,
    precision: int = 4,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
    fontsize: float = 9,
) -> Any:
    """Draw the graph that computed ``root``; return the matplotlib Figure.

    Args:
        root: the final tensor (typically the loss).
        ax: an Axes to draw into (a new figure is made if None).
        show_grad: print each tensor's ``.grad`` (call ``root.backward()`` first).
        precision: significant digits for numbers.
        figsize: figure size in inches (default: grows with the graph).
        title: optional title.

    Boxes: green = ``root``, orange = leaves that require grad (parameters),
    grey = constants/inputs, blue = intermediate results. For tensors with more
    than one element the box shows the shape and the gradient's norm.
    """
    import matplotlib.pyplot as plt

    pos, paths = _layout(root)
    n_cols = 1 + max(c for c, _ in pos.values())
    n_rows = 1 + max(r for _, r in pos.values())
    if ax is None:
        size = figsize or (min(2.3 * n_cols + 0.5, 22), min(1.0 * n_rows + 0.8, 14))
        fig, ax = plt.subplots(figsize=size)
    else:
        fig = ax.figure

    from matplotlib.colors import to_rgb

    def light(colour: str, amount: float) -> tuple[float, float, float]:
        # opaque pastel, so arrows never show through a box
        r, g, b = to_rgb(colour)
        return (1 - amount * (1 - r), 1 - amount * (1 - g), 1 - amount * (1 - b))

    boxes = {}
    for t, (c, r) in pos.items():
        if not isinstance(t, Tensor):
            continue
        if t is root:
            colour = _COLOURS["root"]
        elif t.parents:
            colour = _COLOURS["op"]
        else:
            colour = _COLOURS["param"] if t.requires_grad else _COLOURS["const"]
        boxes[t] = ax.text(
            c,
            -r,
            _node_text(t, precision, show_grad),
            ha="center",
            va="center",
            fontsize=fontsize,
            family="monospace",
            zorder=3,
            bbox={
                "boxstyle": "round,pad=0.4",
                "fc": light(colour, 0.5 if t is root else 0.35),
                "ec": "black",
                "lw": 1.5 if t is root else 0.8,
            },
        )
    for path in paths:
        for a, b in itertools.pairwise(path):
            # Drawn after the boxes (zorder 4) so their outlines, already placed,
            # clip the ends.
            ax.annotate(
                "",
                xy=(pos[b][0], -pos[b][1]),
                xytext=(pos[a][0], -pos[a][1]),
                arrowprops={
                    "arrowstyle": "-|>" if b is path[-1] else "-",
                    "color": "0.3",
                    "lw": 0.9,
                    "shrinkA": 0,
                    "shrinkB": 0,
                    "patchA": boxes.get(a) and boxes[a].get_bbox_patch(),
                    "patchB": boxes.get(b) and boxes[b].get_bbox_patch(),
                },
                zorder=4,
            )
    ax.set_xlim(-0.6, n_cols - 0.4)
    ax.set_ylim(-(n_rows - 1) - 0.6, 0.6)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig

"""A model's affine layers as NumPy arrays, whatever framework built it.

The pictures read weights the same way from a dlcourse model, a PyTorch module or plain
``(W, b)`` pairs: :func:`dlcourse.interop.to_numpy` turns any tensor into an array and :func:`linear_layers`
lists ``(W, b, activation)`` for each ``y = W x + b`` in order.

See chapter: From neurons to networks (book/03_networks.ipynb)
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np

from dlcourse.interop import to_numpy

__all__ = ["to_numpy", "linear_layers"]


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
    for (W1, *_), (W2, *_) in pairwise(out):
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

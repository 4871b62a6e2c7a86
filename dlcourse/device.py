"""Where PyTorch code runs: the CPU, or a GPU when one is visible.

The environment variable ``DLCOURSE_DEVICE`` chooses:

* ``auto`` (default) — ``cuda`` if ``torch.cuda.is_available()``, else ``cpu``;
* ``cpu`` — always the CPU (for reproducible numbers on any machine);
* ``cuda`` — the GPU, and an error if there is none (rather than silently slow runs).

Every chapter runs on the CPU; a GPU only makes the "compute" experiments faster.

See chapter: Why now: data, compute, algorithms (book/09_why_now.ipynb)
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

__all__ = ["device", "to_device", "ENV_VAR"]

ENV_VAR = "DLCOURSE_DEVICE"
_CHOICES = ("auto", "cpu", "cuda")


def device() -> torch.device:
    """The ``torch.device`` selected by ``DLCOURSE_DEVICE`` (``auto`` | ``cpu`` | ``cuda``)."""
    choice = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
    if choice not in _CHOICES:
        raise ValueError(
            f"{ENV_VAR}={os.environ[ENV_VAR]!r} is not a valid device: "
            f"use one of {', '.join(_CHOICES)}"
        )
    if choice == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if choice == "cuda":
        raise RuntimeError(
            f"{ENV_VAR}=cuda but no GPU is visible to PyTorch "
            f"(torch.cuda.is_available() is False; torch {torch.__version__}). "
            f"Unset it or use {ENV_VAR}=auto to fall back to the CPU."
        )
    return torch.device("cpu")


def to_device(obj: Any, dev: torch.device | str | None = None) -> Any:
    """Move ``obj`` to ``dev`` (default: :func:`device`).

    Tensors and modules are moved with ``.to``; NumPy arrays become tensors on the device
    (keeping their dtype); lists, tuples and dicts are handled element by element;
    anything else is returned unchanged.
    """
    dev = device() if dev is None else torch.device(dev)
    if isinstance(obj, (torch.Tensor, torch.nn.Module)):
        return obj.to(dev)
    if isinstance(obj, np.ndarray):
        return torch.as_tensor(obj, device=dev)
    if isinstance(obj, dict):
        return {k: to_device(v, dev) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        moved = [to_device(v, dev) for v in obj]
        return type(obj)(*moved) if hasattr(obj, "_fields") else type(obj)(moved)
    return obj

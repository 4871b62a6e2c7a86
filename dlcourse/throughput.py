"""How fast is a matrix product? Measuring GFLOP/s on the CPU and, when present, a GPU.

Nearly all the arithmetic of a neural network is matrix products. Multiplying two
``n × n`` matrices takes ``n`` multiplications and ``n`` additions for each of the
``n²`` entries of the result, i.e.

.. math::  \\text{FLOPs}(n) = 2 n^3,

and the throughput is ``2 n³ / t`` floating-point operations per second (reported in
GFLOP/s = 10⁹ FLOP/s). Small products are dominated by fixed overheads (Python,
kernel launch), large ones by the arithmetic units, so the throughput grows with
``n`` until the hardware is saturated — and a GPU, with thousands of arithmetic
units, saturates far higher than a CPU. That gap is the "compute" in "data,
compute, algorithms".

A GPU runs asynchronously: ``a @ b`` only *queues* the work and returns at once, so
the timer must wait for the device to finish (``torch.cuda.synchronize()``) before
reading the clock, otherwise it measures the queueing, not the product.

See chapter: Why now: data, compute, algorithms (book/09_why_now.ipynb)
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

__all__ = ["matmul_gflops", "matmul_flops"]


def matmul_flops(n: int) -> int:
    """Floating-point operations of an ``n × n`` by ``n × n`` product: ``2 n³``."""
    return 2 * int(n) ** 3


def _dtype(dtype: Any) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        return dtype
    resolved = getattr(torch, str(dtype), None)
    if not isinstance(resolved, torch.dtype):
        raise ValueError(
            f"matmul_gflops: unknown dtype {dtype!r} (try 'float32' or 'float64')"
        )
    return resolved


def _device(device: Any) -> torch.device:
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"matmul_gflops: device={str(device)!r} asked for a GPU, but no CUDA GPU "
            f"is visible to PyTorch (torch {torch.__version__}, "
            "torch.cuda.is_available() is False); use device='cpu'"
        )
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(
            f"matmul_gflops: device must be 'cpu' or 'cuda', got {device!r}"
        )
    return dev


def matmul_gflops(
    sizes: Sequence[int],
    device: str | torch.device = "cpu",
    dtype: Any = torch.float32,
    repeats: int = 3,
    seed: int = 0,
) -> np.ndarray:
    """Measured throughput (GFLOP/s) of ``n × n`` matrix products, one per ``n``.

    For each size: two random matrices on ``device``, one untimed warm-up product (it
    pays for memory allocation and, on a GPU, kernel selection), then ``repeats`` timed
    products. The *fastest* repeat is kept: noise (other programs, the OS) only ever
    adds time, so the minimum is the best estimate of what the hardware can do (the
    advice of Python's ``timeit``). On CUDA the clock is read only after
    ``torch.cuda.synchronize()``.

    Raises ``RuntimeError`` for ``device="cuda"`` when no GPU is available.
    """
    dev = _device(device)
    dt = _dtype(dtype)
    if repeats < 1:
        raise ValueError(f"matmul_gflops: repeats must be >= 1, got {repeats}")
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    gen = torch.Generator().manual_seed(seed)
    out = []
    for n in sizes:
        if int(n) < 1:
            raise ValueError(f"matmul_gflops: sizes must be positive integers, got {n}")
        a = torch.randn(int(n), int(n), generator=gen, dtype=dt).to(dev)
        b = torch.randn(int(n), int(n), generator=gen, dtype=dt).to(dev)
        a @ b  # warm-up
        sync()
        best = math.inf
        for _ in range(repeats):
            start = time.perf_counter()
            a @ b
            sync()
            best = min(best, time.perf_counter() - start)
        # A product can finish within the clock's resolution; never divide by zero.
        out.append(matmul_flops(n) / max(best, 1e-9) / 1e9)
    return np.array(out)

"""dlcourse.throughput: the measurement is sane and a missing GPU is reported, never faked."""

import numpy as np
import pytest
import torch

from dlcourse.throughput import matmul_flops, matmul_gflops


def test_flop_count():
    # 2 n^3: n multiplications and n additions (counting the first) per output entry
    assert matmul_flops(1) == 2 and matmul_flops(10) == 2000


@pytest.mark.parametrize("dtype", [torch.float32, "float64"])
def test_cpu_gflops_positive_finite(dtype):
    g = matmul_gflops([8, 64, 128], device="cpu", dtype=dtype, repeats=2)
    assert g.shape == (3,) and np.all(np.isfinite(g)) and np.all(g > 0)
    # a 2-core machine cannot do more than about 1e4 GFLOP/s; a units mix-up (FLOP vs GFLOP) would
    assert np.all(g < 1e4)


def test_cuda_without_gpu_raises_clearly(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        matmul_gflops([8], device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU on this machine")
def test_cuda_gflops_positive_finite():
    g = matmul_gflops([64, 512], device="cuda", repeats=2)
    assert np.all(np.isfinite(g)) and np.all(g > 0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="repeats"):
        matmul_gflops([8], repeats=0)
    with pytest.raises(ValueError, match="dtype"):
        matmul_gflops([8], dtype="float77")
    with pytest.raises(ValueError, match="positive"):
        matmul_gflops([0])

"""Time forward + backward of the from-scratch layers against PyTorch on the CPU.

Three workloads, float32, same weights and inputs for both implementations:

* **conv**: two 3x3 convolutions (padding 1) with ReLU, 1 -> 8 -> 16 channels, on a
  batch of 64 28x28 images; target: dlcourse / torch <= 2.0;
* **lstm**: ``dlcourse.rnn.LSTM`` vs ``torch.nn.LSTM``, batch 32, T = 50, I = H = 64;
  target <= 2.0;
* **mha**: ``dlcourse.attention.MultiHeadAttention`` vs ``torch.nn.MultiheadAttention``,
  batch 32, T = 64, d = 64, 4 heads, self-attention; target <= 1.2.

``--check`` exits 1 if a target is missed. ``--clock process`` times CPU seconds of
this process instead of wall time: steadier on a machine that other jobs share
(both implementations run on one thread, so the comparison stays fair).

Each step is forward, ``sum`` of the outputs, backward. Repeats are interleaved
(ours, torch, ours, torch, ...) and the medians are compared. Before timing, the
outputs of both implementations are checked equal (float32 tolerance).

Usage::

    python benchmarks/bench_layers.py                # print the table (1 thread)
    python benchmarks/bench_layers.py --check        # exit 1 if a target is missed
    python benchmarks/bench_layers.py --clock process --repeats 21
    python benchmarks/bench_layers.py --threads 2 --repeats 21

See chapter: CNNs
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from dlcourse.attention import MultiHeadAttention
from dlcourse.autograd import Tensor
from dlcourse.conv import Conv2d, conv2d
from dlcourse.rnn import LSTM

TARGETS = {"conv": 2.0, "lstm": 2.0, "mha": 1.2}
CLOCKS = {"wall": time.perf_counter, "process": time.process_time}
Step = Callable[[], np.ndarray]


def conv_pair(rng: np.random.Generator) -> tuple[Step, Step]:
    x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    c1, c2 = (
        Conv2d(1, 8, 3, padding=1, rng=rng, dtype=np.float32),
        Conv2d(8, 16, 3, padding=1, rng=rng, dtype=np.float32),
    )
    tw = [
        torch.tensor(p.data, requires_grad=True)
        for p in (c1.weight, c1.bias, c2.weight, c2.bias)
    ]
    tx = torch.from_numpy(x)

    def ours() -> np.ndarray:
        out = conv2d(
            conv2d(x, c1.weight, c1.bias, 1, 1).relu(), c2.weight, c2.bias, 1, 1
        )
        out.sum().backward()
        return out.data

    def theirs() -> np.ndarray:
        out = F.conv2d(F.conv2d(tx, tw[0], tw[1], 1, 1).relu(), tw[2], tw[3], 1, 1)
        out.sum().backward()
        return out.detach().numpy()

    return ours, theirs


def lstm_pair(rng: np.random.Generator) -> tuple[Step, Step]:
    twin = torch.nn.LSTM(64, 64, batch_first=True)
    layer = LSTM.from_torch(twin)
    for p in layer.parameters():
        p.data = p.data.astype(np.float32)
    x = rng.standard_normal((32, 50, 64)).astype(np.float32)
    tx = torch.from_numpy(x)

    def ours() -> np.ndarray:
        out, _ = layer(x)
        out.sum().backward()
        return out.data

    def theirs() -> np.ndarray:
        out, _ = twin(tx)
        out.sum().backward()
        return out.detach().numpy()

    return ours, theirs


def mha_pair(rng: np.random.Generator) -> tuple[Step, Step]:
    twin = torch.nn.MultiheadAttention(64, 4, batch_first=True)
    layer = MultiHeadAttention.from_torch(twin)
    for p in layer.parameters():
        p.data = p.data.astype(np.float32)
    x = rng.standard_normal((32, 64, 64)).astype(np.float32)
    tx = torch.from_numpy(x)

    def ours() -> np.ndarray:
        out, _ = layer(Tensor(x))
        out.sum().backward()
        return out.data

    def theirs() -> np.ndarray:
        out, _ = twin(tx, tx, tx, need_weights=True)
        out.sum().backward()
        return out.detach().numpy()

    return ours, theirs


def time_interleaved(
    ours: Step,
    theirs: Step,
    repeats: int,
    inner: int,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[float, float]:
    """Median seconds per step of each, over ``repeats`` interleaved blocks of ``inner`` steps."""
    for f in (ours, theirs):  # warm up
        f()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for f, s in zip((ours, theirs), samples):
            t0 = clock()
            for _ in range(inner):
                f()
            s.append((clock() - t0) / inner)
    return statistics.median(samples[0]), statistics.median(samples[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a target ratio is missed"
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall time (default) or CPU time of this process",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS and torch threads (default 1)"
    )
    parser.add_argument(
        "--repeats", type=int, default=11, help="interleaved timing blocks (median)"
    )
    parser.add_argument("--inner", type=int, default=3, help="steps per block")
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=args.threads, user_api="blas")
    torch.set_num_threads(args.threads)
    print(
        f"float32, forward + backward, {args.threads} thread(s), numpy {np.__version__}, "
        f"torch {torch.__version__}, median of {args.repeats} interleaved blocks, {args.clock} clock"
    )
    header = f"{'layer':<44}{'dlcourse':>11}{'torch':>11}{'ratio':>8}{'target':>8}"
    print(header)
    print("-" * len(header))
    ok = True
    workloads = [
        ("conv 1->8->16, 3x3, batch 64, 28x28", conv_pair, TARGETS["conv"]),
        ("LSTM batch 32, T=50, H=64", lstm_pair, TARGETS["lstm"]),
        ("MultiHeadAttention batch 32, T=64, d=64, 4h", mha_pair, TARGETS["mha"]),
    ]
    for name, make, target in workloads:
        torch.manual_seed(0)
        ours, theirs = make(np.random.default_rng(0))
        np.testing.assert_allclose(
            ours(),
            theirs(),
            rtol=1e-3,
            atol=1e-4,
            err_msg=f"{name}: outputs differ, timing would be meaningless",
        )
        t_ours, t_torch = time_interleaved(
            ours, theirs, args.repeats, args.inner, CLOCKS[args.clock]
        )
        ratio = t_ours / t_torch
        if target is not None:
            ok &= ratio <= target
        print(
            f"{name:<44}{t_ours * 1e3:>9.2f}ms{t_torch * 1e3:>9.2f}ms{ratio:>8.2f}"
            f"{'<=' + str(target) if target else '-':>8}"
        )
    if args.check and not ok:
        print(f"FAIL: a layer missed its target {TARGETS}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

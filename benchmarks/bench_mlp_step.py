"""Time one training step of a ReLU MLP: dlcourse vs hand-written NumPy vs PyTorch CPU.

One step = forward, softmax cross-entropy, backward, plain SGD update (lr 0.1),
float32, same initial weights and batch for all three. Repeats are interleaved
(A, B, C, A, B, C, ...) so that a slow patch of the machine hits all three alike;
the table shows medians per step and the ratios against the targets:

* dlcourse / torch  <= 1.0  for 64-128-10,      batch 64
* dlcourse / torch  <= 1.0  for 784-256-256-10, batch 128 (issue 11)
* dlcourse / numpy  <= 2.0  for both

Before timing it checks that the three implementations agree: after one step
from the same weights, the loss on the batch is the same (float32 tolerance).

Usage::

    python benchmarks/bench_mlp_step.py            # print the table
    python benchmarks/bench_mlp_step.py --check    # exit 1 if a target is missed
    python benchmarks/bench_mlp_step.py --repeats 31 --steps 50
    python benchmarks/bench_mlp_step.py --threads 1   # steadier on a busy machine

See chapter: Training a real network
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

from dlcourse.autograd import Tensor
from dlcourse.losses import cross_entropy
from dlcourse.nn import MLP
from dlcourse.optim import SGD

LR = 0.1
# (sizes, batch, max dlcourse/torch, max dlcourse/numpy)
CONFIGS = [
    ((64, 128, 10), 64, 1.0, 2.0),
    ((784, 256, 256, 10), 128, 1.0, 2.0),
]


def numpy_threads() -> int:
    """Threads NumPy's BLAS uses (torch gets the same number, for fairness)."""
    try:
        from threadpoolctl import threadpool_info

        blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        if blas:
            return int(blas[0])
    except ImportError:
        pass
    return torch.get_num_threads()


# ------------------------------------------------------------------ the three steps
def make_dlcourse(
    sizes, x: np.ndarray, y: np.ndarray
) -> tuple[Callable[[], float], list[np.ndarray]]:
    model = MLP(list(sizes), activation="relu", seed=0, dtype=np.float32)
    opt = SGD(model.parameters(), lr=LR)
    xt = Tensor(x)

    def step() -> float:
        opt.zero_grad()
        loss = cross_entropy(model(xt), y)
        loss.backward()
        opt.step()
        return loss.item()

    weights = [p.data.copy() for p in model.parameters()]  # W1, b1, W2, b2, ...
    return step, weights


def make_numpy(
    weights: list[np.ndarray], x: np.ndarray, y: np.ndarray
) -> Callable[[], float]:
    params = [w.copy() for w in weights]
    Ws, bs = params[0::2], params[1::2]
    n = x.shape[0]
    rows = np.arange(n)

    def step() -> float:
        # forward: h_{l+1} = relu(h_l W_lᵀ + b_l), logits without relu
        hs = [x]
        for W, b in zip(Ws[:-1], bs[:-1]):
            hs.append(np.maximum(hs[-1] @ W.T + b, 0))
        z = hs[-1] @ Ws[-1].T + bs[-1]
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = np.log(s).mean() - z[rows, y].mean()
        # backward: dz = (softmax - onehot)/n, dW = dzᵀ h, db = Σ dz, dh = dz W
        dz = e / s
        dz[rows, y] -= 1
        dz /= n
        for layer in range(len(Ws) - 1, -1, -1):
            W, b, h = Ws[layer], bs[layer], hs[layer]
            dW, db = dz.T @ h, dz.sum(axis=0)
            if layer > 0:
                dz = (dz @ W) * (h > 0)
            W -= LR * dW
            b -= LR * db
        return float(loss)

    return step


def make_torch(
    weights: list[np.ndarray], x: np.ndarray, y: np.ndarray
) -> Callable[[], float]:
    layers: list[torch.nn.Module] = []
    for i in range(0, len(weights), 2):
        out_f, in_f = weights[i].shape
        lin = torch.nn.Linear(in_f, out_f)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(weights[i]))
            lin.bias.copy_(torch.from_numpy(weights[i + 1]))
        layers += [lin, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step() -> float:
        opt.zero_grad()
        loss = F.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
        return loss.item()

    return step


# -------------------------------------------------------------------------- timing
def check_same_loss(steps: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Two steps each from the same start: the second loss (after one update) must agree."""
    losses = {}
    for name, step in steps.items():
        step()
        losses[name] = step()
    ref = losses["torch"]
    for name, value in losses.items():
        if not np.isclose(value, ref, rtol=1e-4, atol=1e-5):
            raise AssertionError(
                f"sanity check failed: loss after one step {name}={value} vs torch={ref}"
            )
    return losses


def time_interleaved(
    steps: dict[str, Callable[[], float]], repeats: int, inner: int
) -> dict[str, float]:
    """Median seconds per step over ``repeats`` interleaved blocks of ``inner`` steps."""
    for step in steps.values():  # warm up caches and allocators
        for _ in range(max(3, inner // 5)):
            step()
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            t0 = time.perf_counter()
            for _ in range(inner):
                step()
            samples[name].append((time.perf_counter() - t0) / inner)
    return {name: statistics.median(s) for name, s in samples.items()}


def run(repeats: int, inner: int | None, seed: int = 0) -> list[dict]:
    rows = []
    for sizes, batch, max_torch, max_numpy in CONFIGS:
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
        y = rng.integers(0, sizes[-1], size=batch).astype(np.int64)

        def fresh() -> dict[str, Callable[[], float]]:
            dl_step, weights = make_dlcourse(sizes, x, y)
            return {
                "dlcourse": dl_step,
                "numpy": make_numpy(weights, x, y),
                "torch": make_torch(weights, x, y),
            }

        losses = check_same_loss(fresh())
        n_inner = inner or (50 if sizes[0] < 256 else 10)
        med = time_interleaved(fresh(), repeats, n_inner)
        rows.append(
            {
                "config": "-".join(map(str, sizes)) + f" @ batch {batch}",
                "losses": losses,
                "median_s": med,
                "ratio_torch": med["dlcourse"] / med["torch"],
                "ratio_numpy": med["dlcourse"] / med["numpy"],
                "max_torch": max_torch,
                "max_numpy": max_numpy,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a target ratio is missed"
    )
    parser.add_argument(
        "--repeats", type=int, default=21, help="interleaved timing blocks (median)"
    )
    parser.add_argument(
        "--steps", type=int, default=None, help="steps per block (default 50 / 10)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="BLAS/torch threads for both (default: NumPy's current number); "
        "1 gives steadier numbers on a busy machine",
    )
    args = parser.parse_args(argv)

    threads = args.threads or numpy_threads()
    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads, user_api="blas")
    torch.set_num_threads(threads)
    print(
        f"float32, SGD lr={LR}, {threads} thread(s) for NumPy BLAS and torch, "
        f"numpy {np.__version__}, torch {torch.__version__}"
    )
    rows = run(args.repeats, args.steps)

    header = (
        f"{'config':<28}{'dlcourse':>11}{'numpy':>11}{'torch':>11}"
        f"{'dl/torch':>10}{'target':>8}{'dl/numpy':>10}{'target':>8}  ok"
    )
    print(header)
    print("-" * len(header))
    all_ok = True
    for r in rows:
        m = r["median_s"]
        ok = r["ratio_torch"] <= r["max_torch"] and r["ratio_numpy"] <= r["max_numpy"]
        all_ok &= ok
        print(
            f"{r['config']:<28}{m['dlcourse'] * 1e6:>9.0f}us{m['numpy'] * 1e6:>9.0f}us"
            f"{m['torch'] * 1e6:>9.0f}us{r['ratio_torch']:>10.2f}{'<=' + str(r['max_torch']):>8}"
            f"{r['ratio_numpy']:>10.2f}{'<=' + str(r['max_numpy']):>8}  {'yes' if ok else 'NO'}"
        )
    print(
        "sanity: loss after one step "
        + "; ".join(
            f"{r['config'].split(' ')[0]}: "
            + ", ".join(f"{k} {v:.6f}" for k, v in r["losses"].items())
            for r in rows
        )
    )
    if args.check and not all_ok:
        print("FAIL: a target was missed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

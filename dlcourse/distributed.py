r"""Data-parallel training: several processes, one model, the same step as one process.

Data parallelism keeps a full copy (*replica*) of the model in each of ``P`` worker
processes and splits every global batch of ``B`` examples into ``P`` equal shards of
``B / P``. Worker ``p`` computes the gradient of the mean loss over its own shard
:math:`S_p`,

.. math::  g_p = \nabla_\theta \frac{1}{|S_p|} \sum_{i \in S_p} \ell_i(\theta),

and a **gradient all-reduce** sums the ``P`` gradients and divides by ``P``: every worker holds

.. math::  \bar g = \frac{1}{P} \sum_{p=1}^{P} g_p
          = \nabla_\theta \frac{1}{B} \sum_{i=1}^{B} \ell_i(\theta)
          \qquad (|S_p| = B / P),

which is exactly the gradient one process computes on the combined batch. Every replica
then takes the same optimiser step from the same weights, so the replicas never drift
apart and the run is, up to floating-point rounding, the one-process run. (Unequal
shards would weight the examples unequally: ``P`` must divide ``B``.)

The cost is communication: one all-reduce of *all* the parameters' gradients per step.
The usual *ring* all-reduce passes chunks around a ring of the ``P`` workers, first
summing (reduce-scatter) then sharing the sums (all-gather); each worker sends

.. math::  2 \, \frac{P - 1}{P} \times \text{(bytes of the parameters)}

per step: the model's size for ``P = 2``, nearly twice it for many workers.
A step is only faster when the arithmetic saved by the smaller shard outweighs that
transfer; ``DistributedDataParallel`` hides part of it by all-reducing a bucket of
gradients while backpropagation still computes the others.

Here rank ``r``'s shard is the ``r``-th *contiguous block* of the global batch
(:func:`shard`), the model a small float64 MLP on a synthetic classification task, the
optimiser plain SGD. :func:`train_data_parallel` starts ``P`` processes from Python
(``gloo`` works on CPUs); :func:`train_single_process` trains on the combined batches in
one process. The file is also a script for ``torchrun``, which starts one process per
GPU (or CPU worker) on one or several machines::

    # one machine, 2 CPU processes
    torchrun --standalone --nproc_per_node 2 -m dlcourse.distributed --steps 30
    # one machine, every GPU (one process each, NCCL moves the gradients)
    torchrun --standalone --nproc_per_node gpu -m dlcourse.distributed --backend nccl
    # two machines with 8 GPUs each: run this on both, HOST being the first one
    torchrun --nnodes 2 --nproc_per_node 8 --rdzv_backend c10d \
        --rdzv_endpoint HOST:29500 -m dlcourse.distributed --backend nccl

``torchrun`` sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and
``MASTER_PORT`` for each process; without them the script starts ``--world-size``
processes itself. ``--out FILE`` saves rank 0's result.

See chapter: Why now (book/09_why_now.ipynb)
"""

from __future__ import annotations

import argparse
import datetime
import os
import socket
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.nn.parallel import DistributedDataParallel

__all__ = [
    "RunSettings",
    "TrainingResult",
    "make_model",
    "training_data",
    "global_batch",
    "shard",
    "ring_allreduce_bytes",
    "max_weight_difference",
    "run_worker",
    "train_steps",
    "train_data_parallel",
    "train_single_process",
]


@dataclass(frozen=True)
class RunSettings:
    """What both runs share: steps, global batch size, learning rate, seed, width."""

    steps: int = 30
    batch_size: int = 64
    lr: float = 0.5
    seed: int = 0
    hidden: int = 32


@dataclass
class TrainingResult:
    """Final weights (on the CPU), the global-batch loss of every step, and timings.

    ``train_seconds`` is rank 0's training loop; ``total_seconds`` adds starting the
    processes and setting up the process group (what the caller waits for).
    """

    weights: dict[str, torch.Tensor]
    losses: list[float]
    train_seconds: float
    total_seconds: float
    world_size: int


def make_model(settings: RunSettings) -> nn.Module:
    """The seeded float64 MLP 16 → ``hidden`` → 4 (tanh); the same on every rank."""
    torch.manual_seed(settings.seed)
    return nn.Sequential(
        nn.Linear(16, settings.hidden), nn.Tanh(), nn.Linear(settings.hidden, 4)
    ).double()


def training_data(
    n: int = 1024, features: int = 16, classes: int = 4
) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed synthetic task: float64 Gaussian points labelled by a random linear map.

    Drawn from a fixed seed: the same on every rank, and no dataset to load.
    """
    generator = torch.Generator().manual_seed(1234)
    X = torch.randn(n, features, generator=generator, dtype=torch.float64)
    teacher = torch.randn(features, classes, generator=generator, dtype=torch.float64)
    return X, (X @ teacher).argmax(dim=1)


def global_batch(step: int, batch_size: int, n: int, seed: int) -> torch.Tensor:
    """Row indices of the global batch of ``step``: a seeded reshuffle every epoch.

    Every rank calls this with the same arguments and gets the same indices, so no
    rank has to send the others its batch; the last incomplete batch of an epoch is
    dropped so every batch has exactly ``batch_size`` rows.
    """
    per_epoch = n // batch_size
    if per_epoch == 0:
        raise ValueError(f"batch_size={batch_size} is larger than the {n} examples")
    epoch, position = divmod(step, per_epoch)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch))
    return order[position * batch_size : (position + 1) * batch_size]


def shard(indices: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """The ``rank``-th of ``world_size`` equal contiguous blocks of a global batch."""
    if len(indices) % world_size:
        raise ValueError(
            f"a global batch of {len(indices)} does not split into {world_size} equal "
            "shards; equal shards are what make the averaged gradient the batch's"
        )
    size = len(indices) // world_size
    return indices[rank * size : (rank + 1) * size]


def ring_allreduce_bytes(parameter_bytes: int, world_size: int) -> float:
    """Bytes each worker sends in a ring all-reduce: ``2 (P - 1) / P`` × the model's."""
    return 2 * (world_size - 1) / world_size * parameter_bytes


def max_weight_difference(
    a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]
) -> float:
    """The largest absolute difference between two state dicts with the same keys."""
    if a.keys() != b.keys():
        raise ValueError(f"different parameters: {sorted(a)} vs {sorted(b)}")
    return max(float((a[k].cpu() - b[k].cpu()).abs().max()) for k in a)


def _warm_up(data: tuple[torch.Tensor, torch.Tensor], device: torch.device) -> None:
    """A throwaway forward, backward and SGD step: the timings then leave out PyTorch's
    first-call set-up (seconds on a busy machine) and compare the steps themselves."""
    X, y = data
    scratch = nn.Linear(X.shape[1], 4).double().to(device)
    nn.functional.cross_entropy(scratch(X[:2]), y[:2]).backward()
    torch.optim.SGD(scratch.parameters(), lr=0.0).step()


def train_steps(
    model: nn.Module,
    data: tuple[torch.Tensor, torch.Tensor],
    settings: RunSettings,
    rank: int,
    world_size: int,
    crash_rank: int | None = None,
) -> list[float]:
    """SGD on this rank's shards; returns the loss of each global batch."""
    X, y = data
    optimiser = torch.optim.SGD(model.parameters(), lr=settings.lr)
    losses = []
    for step in range(settings.steps):
        batch = global_batch(step, settings.batch_size, len(X), settings.seed)
        rows = shard(batch, rank, world_size)
        # The mean over the shard: DDP's all-reduce averages these gradients over the
        # ranks, and the mean of equal shards' means is the global batch's mean.
        loss = nn.functional.cross_entropy(model(X[rows]), y[rows])
        optimiser.zero_grad()
        loss.backward()  # under DDP the gradient all-reduce happens in here
        optimiser.step()
        logged = loss.detach().clone()
        if world_size > 1:  # one scalar all-reduce, only to report the batch's loss
            dist.all_reduce(logged)
            logged /= world_size
        losses.append(float(logged))
        if rank == crash_rank:
            raise RuntimeError(f"rank {rank} crashes on purpose after step {step}")
    return losses


def run_worker(
    rank: int,
    world_size: int,
    settings: RunSettings,
    backend: str = "gloo",
    init_method: str = "env://",
    local_rank: int | None = None,
    out: str | None = None,
    timeout: float = 60.0,
    crash_rank: int | None = None,
) -> TrainingResult:
    """One data-parallel worker: join the group, train with DDP; rank 0 saves ``out``.

    ``backend="nccl"`` puts the replica on GPU ``local_rank`` (one GPU per process);
    ``gloo`` keeps it on the CPU. A collective that waits longer than ``timeout``
    seconds for the other ranks raises instead of hanging. ``crash_rank`` makes that
    rank raise after its first step (to see what a failed worker does to the run).
    Each process computes with one thread: the MLP is too small to gain from more, and
    ``P`` processes with several threads each would fight over the cores.
    """
    torch.set_num_threads(1)
    local_rank = rank if local_rank is None else local_rank
    on_gpu = backend == "nccl"
    device = torch.device("cuda", local_rank) if on_gpu else torch.device("cpu")
    if on_gpu:
        torch.cuda.set_device(device)
    dist.init_process_group(
        backend,
        init_method=init_method,
        rank=rank,
        world_size=world_size,
        timeout=datetime.timedelta(seconds=timeout),
    )
    try:
        X, y = training_data()
        data = (X.to(device), y.to(device))
        _warm_up(data, device)
        model = make_model(settings).to(device)
        ids = [local_rank] if device.type == "cuda" else None
        replica = DistributedDataParallel(model, device_ids=ids)
        start = time.perf_counter()
        losses = train_steps(replica, data, settings, rank, world_size, crash_rank)
        seconds = time.perf_counter() - start
        weights = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        result = TrainingResult(weights, losses, seconds, seconds, world_size)
        if rank == 0 and out is not None:
            torch.save(asdict(result), out)
        return result
    finally:
        dist.destroy_process_group()


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))  # port 0: the system picks a free one
        return int(probe.getsockname()[1])


def train_data_parallel(
    world_size: int = 2,
    steps: int = 30,
    *,
    batch_size: int = 64,
    lr: float = 0.5,
    seed: int = 0,
    hidden: int = 32,
    backend: str = "gloo",
    timeout: float = 120.0,
    crash_rank: int | None = None,
) -> TrainingResult:
    """Train with ``world_size`` processes started here; rank 0's result.

    The workers meet at a free port on 127.0.0.1. The whole run must finish within
    ``timeout`` seconds; a worker that fails stops the others and raises here a
    ``RuntimeError`` carrying its traceback, a run that takes too long a
    ``TimeoutError`` — never a hang.
    """
    if backend == "nccl" and world_size > torch.cuda.device_count():
        raise ValueError(
            f"backend='nccl' needs one GPU per process: world_size={world_size}, "
            f"{torch.cuda.device_count()} GPU(s) visible"
        )
    settings = RunSettings(steps, batch_size, lr, seed, hidden)
    shard(torch.arange(batch_size), 0, world_size)  # equal shards, checked up front
    init_method = f"tcp://127.0.0.1:{_free_loopback_port()}"
    start = time.perf_counter()
    deadline = start + timeout
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "rank0.pt")
        # start_processes calls run_worker(rank, *args) in each new process.
        args = (
            world_size,
            settings,
            backend,
            init_method,
            None,
            out,
            timeout,
            crash_rank,
        )
        context = mp.start_processes(
            run_worker, args=args, nprocs=world_size, join=False
        )
        try:
            while not context.join(
                timeout=max(0.0, deadline - time.perf_counter()), grace_period=2.0
            ):
                if time.perf_counter() >= deadline:
                    raise TimeoutError(
                        f"data-parallel training did not finish within {timeout} s"
                    )
        except (mp.ProcessRaisedException, mp.ProcessExitedException) as error:
            raise RuntimeError(
                f"data-parallel training failed: worker rank {error.error_index} "
                f"(pid {error.error_pid}) stopped, so the run was stopped.\n{error}"
            ) from error
        finally:
            for process in context.processes:
                if process.is_alive():
                    process.kill()
                    process.join(5)
        saved = torch.load(out)
    saved["total_seconds"] = time.perf_counter() - start
    return TrainingResult(**saved)


def train_single_process(
    steps: int = 30,
    *,
    batch_size: int = 64,
    lr: float = 0.5,
    seed: int = 0,
    hidden: int = 32,
) -> TrainingResult:
    """The same model, data, seed and steps, each global batch whole, in one process."""
    settings = RunSettings(steps, batch_size, lr, seed, hidden)
    data = training_data()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each worker: one thread is fastest for this small MLP
    try:
        _warm_up(data, torch.device("cpu"))
        model = make_model(settings)
        start = time.perf_counter()
        losses = train_steps(model, data, settings, 0, 1)
        seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return TrainingResult(weights, losses, seconds, seconds, 1)


def main(argv: Sequence[str] | None = None) -> TrainingResult | None:
    """The script: a ``torchrun`` worker when RANK is set, otherwise the launcher."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=RunSettings.steps)
    parser.add_argument("--batch-size", type=int, default=RunSettings.batch_size)
    parser.add_argument("--lr", type=float, default=RunSettings.lr)
    parser.add_argument("--seed", type=int, default=RunSettings.seed)
    parser.add_argument("--hidden", type=int, default=RunSettings.hidden)
    parser.add_argument("--backend", choices=["gloo", "nccl"], default="gloo")
    parser.add_argument("--world-size", type=int, default=2, help="without torchrun")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--out", help="save rank 0's weights, losses and timings here")
    args = parser.parse_args(argv)
    settings = RunSettings(args.steps, args.batch_size, args.lr, args.seed, args.hidden)
    if "RANK" in os.environ:  # started by torchrun: one worker of the group
        rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        local_rank = int(os.environ.get("LOCAL_RANK", rank))
        worker = (args.backend, "env://", local_rank, args.out, args.timeout)
        result = run_worker(rank, world_size, settings, *worker)
        if rank != 0:
            return None
    else:
        launch = {"backend": args.backend, "timeout": args.timeout, **asdict(settings)}
        result = train_data_parallel(args.world_size, **launch)
        if args.out:
            torch.save(asdict(result), args.out)
    print(
        f"{result.world_size} processes, {settings.steps} steps: final loss "
        f"{result.losses[-1]:.6f}, training {result.train_seconds:.2f} s"
    )
    return result


if __name__ == "__main__":
    main()

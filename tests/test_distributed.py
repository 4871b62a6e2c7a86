"""dlcourse.distributed: two data-parallel processes take one process's steps.

Each run starts real processes (gloo on the CPU); every wait has a timeout, so a broken
run fails the test instead of hanging it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from dlcourse.distributed import (
    RunSettings,
    TrainingResult,
    global_batch,
    make_model,
    max_weight_difference,
    ring_allreduce_bytes,
    shard,
    train_data_parallel,
    train_single_process,
)

ROOT = Path(__file__).resolve().parents[1]
STEPS = 20


@pytest.fixture(scope="module")
def single() -> TrainingResult:
    return train_single_process(STEPS)


@pytest.fixture(scope="module")
def two_processes() -> TrainingResult:
    return train_data_parallel(2, STEPS, timeout=120)


def test_two_processes_take_the_single_process_steps(single, two_processes):
    assert two_processes.world_size == 2 and len(two_processes.losses) == STEPS
    difference = max_weight_difference(two_processes.weights, single.weights)
    assert difference < 1e-6, f"weights differ by {difference:.3g}"
    assert two_processes.losses == pytest.approx(single.losses, abs=1e-9)


def test_the_run_trains(single):
    start = make_model(RunSettings()).state_dict()
    assert max_weight_difference(single.weights, start) > 1e-2
    assert single.losses[-1] < 0.7 * single.losses[0]


@pytest.mark.parametrize(("batch_size", "world_size"), [(64, 2), (64, 4), (30, 3)])
def test_shards_cover_the_batch_exactly_once(batch_size, world_size):
    batch = global_batch(step=3, batch_size=batch_size, n=1024, seed=0)
    parts = [shard(batch, rank, world_size) for rank in range(world_size)]
    assert {len(part) for part in parts} == {batch_size // world_size}
    assert torch.equal(torch.cat(parts), batch)
    assert len(set(batch.tolist())) == batch_size  # no example twice in a batch


def test_an_epoch_sees_every_example_at_most_once():
    epoch = torch.cat([global_batch(step, 64, 1000, seed=0) for step in range(15)])
    assert len(set(epoch.tolist())) == len(epoch) == 960  # the last 40 are dropped
    assert not torch.equal(global_batch(15, 64, 1000, 0), global_batch(0, 64, 1000, 0))


def test_unequal_shards_are_refused():
    with pytest.raises(ValueError, match="equal"):
        shard(torch.arange(10), 0, 3)
    with pytest.raises(ValueError, match="equal"):
        train_data_parallel(3, 2, batch_size=64)


def test_ring_allreduce_cost():
    assert ring_allreduce_bytes(1000, 1) == 0
    assert ring_allreduce_bytes(1000, 2) == 1000
    assert ring_allreduce_bytes(1000, 8) == 1750


def test_a_crashing_worker_stops_the_run_with_a_clear_error():
    start = time.perf_counter()
    with pytest.raises(RuntimeError, match="worker rank 1") as caught:
        train_data_parallel(2, 5, timeout=60, crash_rank=1)
    assert "crashes on purpose" in str(caught.value)  # the worker's own traceback
    assert time.perf_counter() - start < 60


def test_a_run_past_its_timeout_is_stopped():
    start = time.perf_counter()
    with pytest.raises(TimeoutError, match=r"within 3\.0 s"):
        train_data_parallel(2, 10**7, timeout=3.0)  # hours of steps: it must be cut
    assert time.perf_counter() - start < 15


def _torchrun() -> list[str]:
    script = Path(sys.executable).with_name("torchrun")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "torch.distributed.run"]


def test_the_script_runs_under_torchrun(tmp_path, single):
    out = tmp_path / "rank0.pt"
    command = [*_torchrun(), "--standalone", "--nproc_per_node", "2"]
    command += ["-m", "dlcourse.distributed", "--steps", str(STEPS), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"2 processes, {STEPS} steps" in done.stdout
    saved = TrainingResult(**torch.load(out))
    assert saved.world_size == 2
    assert max_weight_difference(saved.weights, single.weights) < 1e-6


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a real GPU")
def test_nccl_on_every_gpu_takes_the_single_process_steps():
    gpus = torch.cuda.device_count()
    batch_size = 16 * gpus  # equal shards on any number of GPUs
    result = train_data_parallel(
        gpus, STEPS, batch_size=batch_size, backend="nccl", timeout=300
    )
    assert result.world_size == gpus
    single = train_single_process(STEPS, batch_size=batch_size)
    assert max_weight_difference(result.weights, single.weights) < 1e-6

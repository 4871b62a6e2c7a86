"""device(): the DLCOURSE_DEVICE switch, with and without a (simulated) GPU."""

import numpy as np
import pytest
import torch

from dlcourse.device import device, to_device


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.fixture
def fake_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)


@pytest.mark.parametrize("value", [None, "auto", "AUTO", " auto ", ""])
def test_auto_without_gpu_is_cpu(monkeypatch, no_gpu, value):
    if value is None:
        monkeypatch.delenv("DLCOURSE_DEVICE", raising=False)
    else:
        monkeypatch.setenv("DLCOURSE_DEVICE", value)
    assert device() == torch.device("cpu")


def test_auto_with_gpu_is_cuda(monkeypatch, fake_gpu):
    monkeypatch.delenv("DLCOURSE_DEVICE", raising=False)
    assert device().type == "cuda"
    monkeypatch.setenv("DLCOURSE_DEVICE", "cuda")
    assert device().type == "cuda"


def test_cpu_forced_even_with_gpu(monkeypatch, fake_gpu):
    monkeypatch.setenv("DLCOURSE_DEVICE", "cpu")
    assert device() == torch.device("cpu")


def test_cuda_without_gpu_raises(monkeypatch, no_gpu):
    monkeypatch.setenv("DLCOURSE_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="no GPU is visible"):
        device()


def test_invalid_value_named(monkeypatch):
    monkeypatch.setenv("DLCOURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match="'tpu'"):
        device()


def test_to_device_structures(monkeypatch, no_gpu):
    monkeypatch.setenv("DLCOURSE_DEVICE", "cpu")
    arr = np.arange(3, dtype=np.float32)
    out = to_device(
        {"a": [torch.ones(2), arr], "b": (1, "x"), "m": torch.nn.Linear(2, 1)}
    )
    assert isinstance(out["a"][1], torch.Tensor) and out["a"][1].dtype == torch.float32
    assert out["a"][0].device.type == "cpu" and out["b"] == (1, "x")
    assert isinstance(out["m"], torch.nn.Linear)
    assert to_device(torch.ones(1), "cpu").device.type == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a real GPU")
def test_real_gpu_roundtrip(monkeypatch):
    monkeypatch.setenv("DLCOURSE_DEVICE", "auto")
    x = to_device(np.ones((4, 4)))
    assert x.device.type == "cuda" and float((x @ x).sum().cpu()) == 64.0

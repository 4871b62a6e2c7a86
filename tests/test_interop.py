"""dlcourse.interop and dlcourse.rng: is_torch, to_numpy, as_generator, and the
from_torch registry — every registered twin against PyTorch in float64."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn as tnn

from dlcourse import nn
from dlcourse.autograd import Tensor
from dlcourse.interop import from_torch, is_torch, registered_twins, to_numpy
from dlcourse.rng import as_generator


# ----------------------------------------------------------------- is_torch, to_numpy
def test_is_torch_recognises_modules_and_tensors_only():
    assert is_torch(tnn.Linear(2, 3)) and is_torch(torch.zeros(2))
    assert not is_torch(nn.Linear(2, 3, rng=0))
    assert not is_torch(Tensor(np.zeros(2))) and not is_torch(np.zeros(2))


def test_is_torch_does_not_import_torch():
    code = (
        "import sys; from dlcourse.interop import is_torch; "
        "assert not is_torch(1); assert 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_to_numpy_from_every_kind_of_array():
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3).requires_grad_(True)
    arr = to_numpy(t)
    assert arr.dtype == np.float32 and arr.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert to_numpy(t, np.float64).dtype == np.float64
    assert to_numpy(t.bfloat16(), np.float64).tolist() == arr.tolist()
    ours = Tensor(np.ones(3))
    assert to_numpy(ours) is ours.data
    assert to_numpy([1, 2]).tolist() == [1, 2]


def test_as_generator_passes_generators_through_and_seeds_ints():
    gen = np.random.default_rng(1)
    assert as_generator(gen) is gen
    assert as_generator(7).random() == np.random.default_rng(7).random()
    assert isinstance(as_generator(None), np.random.Generator)


# ------------------------------------------------------------------ from_torch registry
def _trained_batchnorm(layer: tnn.Module, shape: tuple[int, ...]) -> tnn.Module:
    """A batch-norm layer with non-trivial weights and running statistics."""
    with torch.no_grad():
        layer.weight.normal_()
        layer.bias.normal_()
        for _ in range(3):
            layer(torch.randn(shape) * 2 + 1)
    return layer


def _case(name: str) -> tuple[tnn.Module, tuple[int, ...]]:
    """A torch module of class ``name`` and the shape of an input for it."""
    torch.manual_seed(0)
    cases: dict[str, tuple[tnn.Module, tuple[int, ...]]] = {
        "Linear": (tnn.Linear(4, 3), (5, 4)),
        "Sequential": (
            tnn.Sequential(tnn.Linear(4, 6), tnn.Tanh(), tnn.Linear(6, 2)),
            (5, 4),
        ),
        "ReLU": (tnn.ReLU(), (5, 4)),
        "Sigmoid": (tnn.Sigmoid(), (5, 4)),
        "Tanh": (tnn.Tanh(), (5, 4)),
        "Identity": (tnn.Identity(), (5, 4)),
        "LeakyReLU": (tnn.LeakyReLU(0.2), (5, 4)),
        "GELU": (tnn.GELU(approximate="tanh"), (5, 4)),
        "Dropout": (tnn.Dropout(0.3), (5, 4)),  # compared in eval mode
        "Conv2d": (tnn.Conv2d(2, 3, 3, stride=2, padding=1), (2, 2, 7, 7)),
        "MaxPool2d": (tnn.MaxPool2d(2), (2, 3, 6, 6)),
        "Flatten": (tnn.Flatten(2, 3), (2, 3, 4, 5)),
        "RNNCell": (tnn.RNNCell(3, 5, nonlinearity="relu"), (4, 3)),
        "LSTMCell": (tnn.LSTMCell(3, 5), (4, 3)),
        "RNN": (tnn.RNN(3, 5, batch_first=True), (4, 6, 3)),
        "LSTM": (tnn.LSTM(3, 5, batch_first=True), (4, 6, 3)),
        "GRUCell": (tnn.GRUCell(3, 5), (4, 3)),
        # two layers, time first (PyTorch's default batch_first=False)
        "GRU": (tnn.GRU(3, 5, num_layers=2), (6, 4, 3)),
        "MultiheadAttention": (
            tnn.MultiheadAttention(8, 2, batch_first=True),
            (2, 5, 8),
        ),
        "LayerNorm": (tnn.LayerNorm(8), (2, 5, 8)),
        "BatchNorm1d": (_trained_batchnorm(tnn.BatchNorm1d(3), (6, 3, 4)), (5, 3, 4)),
        "BatchNorm2d": (
            _trained_batchnorm(tnn.BatchNorm2d(3), (4, 3, 5, 5)),
            (2, 3, 4, 4),
        ),
        "TransformerDecoderLayer": (  # called with memory = the same input
            tnn.TransformerDecoderLayer(
                8, 2, 16, dropout=0.0, batch_first=True, norm_first=True
            ),
            (2, 5, 8),
        ),
        "TransformerEncoderLayer": (
            tnn.TransformerEncoderLayer(
                8, 2, 16, dropout=0.0, batch_first=True, norm_first=True
            ),
            (2, 5, 8),
        ),
    }
    return cases[name]


def _flat(out: object) -> list:
    """The output tensors in order (layers return tensors or nested tuples of them)."""
    return [t for o in out for t in _flat(o)] if isinstance(out, tuple) else [out]


def _torch_layout(ours: nn.Module) -> dict[str, np.ndarray]:
    """Our parameter gradients under PyTorch's parameter names (q/k/v projections
    stacked into ``in_proj_*``, ``cell.weight_ih`` -> ``weight_ih_l0``)."""
    grads = {name: p.grad for name, p in ours.named_parameters()}
    out: dict[str, np.ndarray] = {}
    for name, g in grads.items():
        if "q_proj." in name:  # q_proj.weight, with k_proj and v_proj: in_proj_weight
            prefix, _, leaf = name.rpartition("q_proj.")
            out[f"{prefix}in_proj_{leaf}"] = np.concatenate(
                [grads[f"{prefix}{p}_proj.{leaf}"] for p in "qkv"]
            )
        elif "k_proj." not in name and "v_proj." not in name:
            out[name] = g
    if hasattr(ours, "cell"):  # RNN, LSTM: torch names the one layer's weights *_l0
        out = {k.replace("cell.", "") + "_l0": v for k, v in out.items()}
    if hasattr(ours, "cells"):  # GRU: layer k's cells.k.weight_ih is weight_ih_lk
        out = {
            f"{leaf}_l{layer}": v
            for k, v in out.items()
            for _, layer, leaf in [k.split(".")]
        }
    return out


@pytest.mark.parametrize("name", registered_twins())
def test_every_registered_twin_equals_torch_forward_and_backward(name):
    torch_module, shape = _case(name)
    torch_module = torch_module.double().eval()
    ours = from_torch(torch_module).eval()
    x = np.random.default_rng(1).standard_normal(shape)
    xt = torch.tensor(x, requires_grad=True)
    x_ours = Tensor(x, requires_grad=True)
    if name == "MultiheadAttention":
        expected, got = _flat(torch_module(xt, xt, xt)), _flat(ours(x_ours))
    elif name == "TransformerDecoderLayer":  # tgt and memory both x
        expected, got = _flat(torch_module(xt, xt)), _flat(ours(x_ours, x_ours))
    else:
        expected, got = _flat(torch_module(xt)), _flat(ours(x_ours))
    assert len(got) == len(expected)
    weights = np.random.default_rng(2)
    loss_t, loss_ours = 0.0, 0.0
    for e, g in zip(expected, got):
        assert g.shape == tuple(e.shape)
        np.testing.assert_allclose(g.data, e.detach().numpy(), rtol=1e-10, atol=1e-12)
        w = weights.standard_normal(g.shape)  # a random linear loss of every output
        loss_t = loss_t + (e * torch.tensor(w)).sum()
        loss_ours = loss_ours + (g * w).sum()
    loss_t.backward()
    loss_ours.backward()
    np.testing.assert_allclose(x_ours.grad, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    ours_grads = _torch_layout(ours)
    torch_grads = dict(torch_module.named_parameters())
    assert sorted(ours_grads) == sorted(torch_grads)
    for pname, p in torch_grads.items():
        np.testing.assert_allclose(
            ours_grads[pname], p.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=pname
        )


def test_nested_cnn_converts_and_matches():
    torch.manual_seed(0)
    cnn = tnn.Sequential(
        tnn.Sequential(tnn.Conv2d(1, 4, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2)),
        tnn.Flatten(),
        tnn.Linear(4 * 4 * 4, 3),
    ).double()
    ours = nn.from_torch(cnn)
    assert isinstance(ours[0], nn.Sequential) and len(ours[0]) == 3
    x = np.random.default_rng(0).standard_normal((2, 1, 8, 8))
    np.testing.assert_allclose(
        ours(x).data, cnn(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12
    )


def test_unknown_module_error_names_class_and_supported_ones():
    with pytest.raises(TypeError) as err:
        from_torch(tnn.Sequential(tnn.Linear(2, 2), tnn.PixelShuffle(2)))
    message = str(err.value)
    assert "PixelShuffle" in message and all(n in message for n in registered_twins())


def test_subclass_of_a_torch_layer_uses_the_nearest_registered_base():
    class Wide(tnn.Sequential):
        pass

    twin = from_torch(Wide(tnn.Linear(2, 2), tnn.ReLU()))
    assert isinstance(twin, nn.Sequential) and len(twin) == 2

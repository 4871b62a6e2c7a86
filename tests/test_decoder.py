"""The from-scratch decoder layer against torch.nn.TransformerDecoderLayer (float64)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlcourse.autograd import Tensor
from dlcourse.decoder import TransformerDecoderLayer
from dlcourse.interop import from_torch

TOL = {"rtol": 1e-9, "atol": 1e-11}


def _twin(norm_first: bool, batch_first: bool, activation: str = "relu"):
    torch.manual_seed(3)
    twin = torch.nn.TransformerDecoderLayer(
        d_model=8,
        nhead=2,
        dim_feedforward=16,
        dropout=0.0,
        activation=activation,
        batch_first=batch_first,
        norm_first=norm_first,
    ).double()
    with torch.no_grad():  # make biases and norm weights non-trivial
        for name, p in twin.named_parameters():
            if "bias" in name or "norm" in name:
                p.normal_(0, 0.5)
    return twin


def _our_grads(ours: TransformerDecoderLayer) -> dict[str, np.ndarray]:
    """Our gradients under torch's names (q, k, v stacked into in_proj_*)."""
    grads = {name: p.grad for name, p in ours.named_parameters()}
    out = {}
    for name, g in grads.items():
        if "q_proj." in name:
            prefix, _, leaf = name.rpartition("q_proj.")
            out[f"{prefix}in_proj_{leaf}"] = np.concatenate(
                [grads[f"{prefix}{p}_proj.{leaf}"] for p in "qkv"]
            )
        elif "k_proj." not in name and "v_proj." not in name:
            out[name] = g
    return out


@pytest.mark.parametrize("norm_first", [True, False])
@pytest.mark.parametrize("masks", ["none", "causal", "causal+padding", "float"])
@pytest.mark.parametrize("batch_first", [True, False])
def test_decoder_layer_equals_torch_outputs_and_gradients(
    norm_first, masks, batch_first
):
    twin = _twin(norm_first, batch_first, "gelu" if norm_first else "relu")
    ours = from_torch(twin)
    assert isinstance(ours, TransformerDecoderLayer)
    rng = np.random.default_rng(0)
    N, T, S = 3, 5, 4
    tgt, mem = rng.standard_normal((N, T, 8)), rng.standard_normal((N, S, 8))
    if not batch_first:
        tgt, mem = tgt.transpose(1, 0, 2).copy(), mem.transpose(1, 0, 2).copy()
    kwargs: dict[str, np.ndarray] = {}
    if masks.startswith("causal"):
        kwargs["tgt_mask"] = np.triu(np.ones((T, T), bool), 1)  # True = blocked
    if masks == "causal+padding":
        pad = np.zeros((N, S), bool)
        pad[0, -2:] = True  # the last two source positions of sequence 0 are padding
        kwargs["memory_key_padding_mask"] = pad
        tpad = np.zeros((N, T), bool)
        tpad[1, -1] = True
        kwargs["tgt_key_padding_mask"] = tpad
    if masks == "float":
        kwargs["memory_mask"] = rng.standard_normal((T, S))
    X, M = Tensor(tgt, requires_grad=True), Tensor(mem, requires_grad=True)
    tx = torch.tensor(tgt, requires_grad=True)
    tm = torch.tensor(mem, requires_grad=True)
    out = ours(X, M, **kwargs)
    ref = twin(tx, tm, **{k: torch.tensor(v) for k, v in kwargs.items()})
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **TOL)
    up = rng.standard_normal(out.shape)
    out.backward(up)
    ref.backward(torch.tensor(up))
    np.testing.assert_allclose(X.grad, tx.grad.numpy(), **TOL)
    np.testing.assert_allclose(M.grad, tm.grad.numpy(), **TOL)
    ours_grads, torch_params = _our_grads(ours), dict(twin.named_parameters())
    assert sorted(ours_grads) == sorted(torch_params)
    for name, p in torch_params.items():
        np.testing.assert_allclose(
            ours_grads[name], p.grad.numpy(), **TOL, err_msg=name
        )


def test_cross_attention_weights_rows_sum_to_one_and_skip_padding():
    layer = TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True, rng=0)
    rng = np.random.default_rng(1)
    pad = np.zeros((2, 6), bool)
    pad[1, 4:] = True
    layer(
        rng.standard_normal((2, 3, 8)),
        rng.standard_normal((2, 6, 8)),
        memory_key_padding_mask=pad,
    )
    w = layer.last_cross_weights
    assert w.shape == (2, 2, 3, 6)  # (N, heads, T_q, T_k)
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-12)
    assert np.all(w[1, :, :, 4:] == 0.0)


def test_bad_shapes_and_masks_give_clear_errors():
    layer = TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True, rng=0)
    tgt, mem = np.zeros((2, 3, 8)), np.zeros((2, 5, 8))
    with pytest.raises(ValueError, match=r"memory of shape \(2, 5, 6\).*d_model = 8"):
        layer(tgt, np.zeros((2, 5, 6)))
    with pytest.raises(
        ValueError, match=r"tgt of shape \(2, 3, 8\) and memory of shape \(4, 5, 8\)"
    ):
        layer(tgt, np.zeros((4, 5, 8)))
    with pytest.raises(ValueError, match=r"tgt mask of shape \(4, 4\).*\(3, 3\)"):
        layer(tgt, mem, tgt_mask=np.zeros((4, 4), bool))
    with pytest.raises(
        ValueError, match=r"memory key_padding_mask of shape \(2, 3\).*\(2, 5\)"
    ):
        layer(tgt, mem, memory_key_padding_mask=np.zeros((2, 3), bool))
    with pytest.raises(ValueError, match="activation must be 'relu' or 'gelu'"):
        TransformerDecoderLayer(8, 2, activation="tanh")


def test_dropout_is_off_in_eval_and_on_in_training():
    layer = TransformerDecoderLayer(8, 2, 16, dropout=0.5, batch_first=True, rng=0)
    x, m = np.ones((2, 3, 8)), np.ones((2, 4, 8))
    x[:, :, ::2] = -1
    layer.eval()
    np.testing.assert_array_equal(layer(x, m).data, layer(x, m).data)
    layer.train()
    assert not np.allclose(layer(x, m).data, layer(x, m).data)

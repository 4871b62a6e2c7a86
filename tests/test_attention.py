"""dlcourse.attention against PyTorch (float64), Vaswani et al. 2017 and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from gradcheck import finite_diff

from dlcourse import attention as att
from dlcourse import normalization
from dlcourse.autograd import Tensor

RNG = np.random.default_rng(5)
TOL = dict(rtol=1e-9, atol=1e-10)


def _grads_match(pairs):
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **TOL)


def _padding_mask():
    m = RNG.random((2, 1, 5, 7)) > 0.3
    m[..., 0] = True  # every query keeps at least one key
    return m


@pytest.mark.parametrize("mask_kind", ["none", "bool", "causal", "float", "padding"])
def test_sdpa_matches_torch_output_weights_and_gradients(mask_kind):
    tq = 6 if mask_kind == "causal" else 5
    tk = 6 if mask_kind == "causal" else 7
    q, k, v = (
        RNG.standard_normal((2, 3, tq, 4)),
        RNG.standard_normal((2, 3, tk, 4)),
        RNG.standard_normal((2, 3, tk, 3)),
    )
    mask = {
        "none": None,
        "causal": att.causal_mask(tq),
        "float": RNG.standard_normal((tq, tk)),
        "padding": _padding_mask() if mask_kind == "padding" else None,
    }.get(mask_kind)
    if mask_kind == "bool":
        mask = RNG.random((tq, tk)) > 0.4
        mask[:, 0] = True
    ours = [Tensor(a.copy(), requires_grad=True) for a in (q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    out, weights = att.scaled_dot_product_attention(*ours, mask=mask)
    ref = F.scaled_dot_product_attention(
        *theirs, attn_mask=None if mask is None else torch.tensor(mask)
    )
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **TOL)
    # The weights by eq. 1 written out in torch: softmax(q kᵀ / sqrt(d_k) + mask).
    scores = theirs[0] @ theirs[1].transpose(-2, -1) / math.sqrt(4)
    if mask is not None:
        add = torch.tensor(mask).double()
        if mask.dtype == bool:
            add = torch.zeros(mask.shape, dtype=torch.float64).masked_fill(
                ~torch.tensor(mask), -math.inf
            )
        scores = scores + add
    np.testing.assert_allclose(
        weights.data, torch.softmax(scores, -1).detach().numpy(), **TOL
    )
    np.testing.assert_allclose(weights.data.sum(-1), 1.0, rtol=1e-12)
    if mask is not None and mask.dtype == bool:  # blocked pairs get weight exactly 0
        assert np.all(weights.data[~np.broadcast_to(mask, weights.shape)] == 0)
    upstream = RNG.standard_normal(out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    _grads_match(zip(ours, theirs))


def test_causal_mask_is_lower_triangular_and_matches_torch_is_causal():
    m = att.causal_mask(4)
    assert m.dtype == bool
    np.testing.assert_array_equal(
        m, [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]
    )
    q = RNG.standard_normal((1, 4, 2))
    out, w = att.scaled_dot_product_attention(q, q, q, m)
    ref = F.scaled_dot_product_attention(*(torch.tensor(q),) * 3, is_causal=True)
    np.testing.assert_allclose(out.data, ref.numpy(), **TOL)
    assert w.data[0, 0, 0] == 1.0 and np.all(np.triu(w.data[0], 1) == 0)


def test_sdpa_gradients_match_finite_differences():
    q, k, v = (
        RNG.standard_normal((2, 3, 2)),
        RNG.standard_normal((2, 4, 2)),
        RNG.standard_normal((2, 4, 3)),
    )
    mask = np.array([[1, 1, 0, 1], [1, 0, 1, 1], [1, 1, 1, 0]], dtype=bool)
    ours = [Tensor(a.copy(), requires_grad=True) for a in (q, k, v)]
    out, _ = att.scaled_dot_product_attention(*ours, mask=mask)
    upstream = RNG.standard_normal(out.shape)
    out.backward(upstream)
    numeric = finite_diff(
        lambda *a: att.scaled_dot_product_attention(*a, mask=mask)[0].data,
        [q, k, v],
        upstream,
    )
    for t, expected in zip(ours, numeric):
        np.testing.assert_allclose(t.grad, expected, rtol=1e-6, atol=1e-8)


def test_sdpa_errors_name_both_shapes():
    with pytest.raises(
        ValueError, match=r"query of shape \(3, 4\) and key of shape \(5, 2\)"
    ):
        att.scaled_dot_product_attention(
            np.zeros((3, 4)), np.zeros((5, 2)), np.zeros((5, 2))
        )
    with pytest.raises(
        ValueError, match=r"key of shape \(5, 4\) and value of shape \(6, 2\)"
    ):
        att.scaled_dot_product_attention(
            np.zeros((3, 4)), np.zeros((5, 4)), np.zeros((6, 2))
        )
    with pytest.raises(
        ValueError, match=r"mask of shape \(3, 4\).*scores of shape \(3, 5\)"
    ):
        att.scaled_dot_product_attention(
            np.zeros((3, 4)),
            np.zeros((5, 4)),
            np.zeros((5, 2)),
            mask=np.ones((3, 4), dtype=bool),
        )


# ------------------------------------------------------------------ multi-head attention
@pytest.mark.parametrize("num_heads", [1, 2, 4])
@pytest.mark.parametrize("mask_kind", ["none", "causal", "bool"])
@pytest.mark.parametrize("cross", [False, True])
def test_multihead_attention_matches_torch(num_heads, mask_kind, cross):
    torch.manual_seed(num_heads)
    E, tq = 8, 5
    tk = 7 if cross else tq
    twin = torch.nn.MultiheadAttention(E, num_heads, batch_first=True).double()
    with torch.no_grad():  # torch initialises biases to 0; make them count
        twin.in_proj_bias.normal_()
        twin.out_proj.bias.normal_()
    ours = att.MultiHeadAttention.from_torch(twin)
    mask = None
    if mask_kind == "causal":
        mask = (
            att.causal_mask(tq)[:, :tk]
            if not cross
            else np.tril(np.ones((tq, tk), dtype=bool))
        )
    elif mask_kind == "bool":
        mask = RNG.random((tq, tk)) > 0.5
        mask[:, 0] = True
    xq = RNG.standard_normal((3, tq, E))
    xk = RNG.standard_normal((3, tk, E)) if cross else xq
    xv = RNG.standard_normal((3, tk, E)) if cross else xq
    ours_in = [Tensor(a.copy(), requires_grad=True) for a in (xq, xk, xv)]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in (xq, xk, xv)]
    out, w = ours(*ours_in, mask=mask)
    # torch's MultiheadAttention: boolean attn_mask True means *blocked*, so invert ours.
    ref, tw = twin(
        *theirs_in,
        attn_mask=None if mask is None else torch.tensor(~mask),
        need_weights=True,
        average_attn_weights=True,
    )
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **TOL)
    np.testing.assert_allclose(w.data, tw.detach().numpy(), **TOL)
    assert ours.last_weights.shape == (3, num_heads, tq, tk)
    up, up_w = RNG.standard_normal(out.shape), RNG.standard_normal(w.shape)
    ((out * up).sum() + (w * up_w).sum()).backward()
    ((ref * torch.tensor(up)).sum() + (tw * torch.tensor(up_w)).sum()).backward()
    _grads_match(zip(ours_in, theirs_in))
    gw = np.concatenate(
        [p.weight.grad for p in (ours.q_proj, ours.k_proj, ours.v_proj)]
    )
    gb = np.concatenate([p.bias.grad for p in (ours.q_proj, ours.k_proj, ours.v_proj)])
    np.testing.assert_allclose(gw, twin.in_proj_weight.grad.numpy(), **TOL)
    np.testing.assert_allclose(gb, twin.in_proj_bias.grad.numpy(), **TOL)
    np.testing.assert_allclose(
        ours.out_proj.weight.grad, twin.out_proj.weight.grad.numpy(), **TOL
    )
    np.testing.assert_allclose(
        ours.out_proj.bias.grad, twin.out_proj.bias.grad.numpy(), **TOL
    )


def test_multihead_attention_init_like_torch_and_errors():
    mha = att.MultiHeadAttention(16, 4, rng=0)
    bound = math.sqrt(6 / (16 + 48))  # xavier over the stacked (3E, E) in_proj_weight
    w = np.concatenate([p.weight.data for p in (mha.q_proj, mha.k_proj, mha.v_proj)])
    assert np.abs(w).max() <= bound and w.std() == pytest.approx(
        bound / math.sqrt(3), rel=0.1
    )
    assert all(
        np.all(p.bias.data == 0)
        for p in (mha.q_proj, mha.k_proj, mha.v_proj, mha.out_proj)
    )
    assert len(mha.parameters()) == 8
    with pytest.raises(
        ValueError, match="embed_dim 10 must be divisible by num_heads 4"
    ):
        att.MultiHeadAttention(10, 4)
    with pytest.raises(
        ValueError, match=r"query of shape \(2, 3, 8\) must be \(N, T, 16\)"
    ):
        mha(np.zeros((2, 3, 8)))


# ------------------------------------------------------------------ positional encoding
@pytest.mark.parametrize("length,d_model", [(50, 16), (7, 5), (1, 2)])
def test_positional_encoding_is_the_published_formula(length, d_model):
    pe = att.positional_encoding(length, d_model)
    assert pe.shape == (length, d_model)
    for pos in range(length):
        for dim in range(d_model):
            i = (
                dim // 2
            )  # PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(same angle)
            angle = pos / 10000 ** (2 * i / d_model)
            expected = math.sin(angle) if dim % 2 == 0 else math.cos(angle)
            assert pe[pos, dim] == pytest.approx(expected, abs=1e-12)


def test_positional_encoding_shift_is_a_rotation():
    """§3.5's motivation: PE[pos + k] is a fixed linear map (a rotation per pair) of PE[pos]."""
    pe, k, d = att.positional_encoding(30, 8), 3, 8
    for i in range(d // 2):
        w = 1 / 10000 ** (2 * i / d)
        rot = np.array(
            [[math.cos(k * w), -math.sin(k * w)], [math.sin(k * w), math.cos(k * w)]]
        )
        np.testing.assert_allclose(
            pe[k:, 2 * i : 2 * i + 2], pe[:-k, 2 * i : 2 * i + 2] @ rot, atol=1e-12
        )


# ------------------------------------------------------------------ LayerNorm and block
@pytest.mark.parametrize("shape", [(6,), (3, 6)])
def test_layer_norm_matches_torch(shape):
    torch.manual_seed(0)
    twin = torch.nn.LayerNorm(shape, eps=1e-5).double()
    with torch.no_grad():
        twin.weight.normal_()
        twin.bias.normal_()
    ours = normalization.LayerNorm.from_torch(twin)
    x = RNG.standard_normal((4, 3, 6)) * 3 + 1
    X, tx = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours(X), twin(tx)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **TOL)
    up = RNG.standard_normal(out.shape)
    out.backward(up)
    ref.backward(torch.tensor(up))
    np.testing.assert_allclose(X.grad, tx.grad.numpy(), **TOL)
    np.testing.assert_allclose(ours.weight.grad, twin.weight.grad.numpy(), **TOL)
    np.testing.assert_allclose(ours.bias.grad, twin.bias.grad.numpy(), **TOL)
    with pytest.raises(
        ValueError, match=r"input of shape \(4, 5\) does not end with normalized_shape"
    ):
        ours(np.zeros((4, 5)))


@pytest.mark.parametrize("activation", ["gelu", "relu"])
@pytest.mark.parametrize("causal", [False, True])
def test_transformer_block_matches_torch_pre_norm_encoder_layer(activation, causal):
    torch.manual_seed(4)
    d, heads, d_ff, T = 8, 2, 16, 6
    twin = torch.nn.TransformerEncoderLayer(
        d,
        heads,
        d_ff,
        dropout=0.0,
        activation=activation,
        batch_first=True,
        norm_first=True,
    ).double()
    with torch.no_grad():
        for name, p in twin.named_parameters():
            if "bias" in name or "norm" in name:
                p.normal_(0, 0.5)
    ours = att.TransformerBlock.from_torch(twin)
    x = RNG.standard_normal((3, T, d))
    mask = att.causal_mask(T) if causal else None
    X, tx = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    out = ours(X, mask=mask)
    ref = twin(
        tx, src_mask=None if mask is None else torch.tensor(~mask)
    )  # torch: True = blocked
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **TOL)
    up = RNG.standard_normal(out.shape)
    out.backward(up)
    ref.backward(torch.tensor(up))
    np.testing.assert_allclose(X.grad, tx.grad.numpy(), **TOL)
    tp = dict(twin.named_parameters())
    E = d
    mha = ours.self_attn
    pairs = {
        "linear1.weight": ours.linear1.weight,
        "linear1.bias": ours.linear1.bias,
        "linear2.weight": ours.linear2.weight,
        "linear2.bias": ours.linear2.bias,
        "norm1.weight": ours.norm1.weight,
        "norm1.bias": ours.norm1.bias,
        "norm2.weight": ours.norm2.weight,
        "norm2.bias": ours.norm2.bias,
        "self_attn.out_proj.weight": mha.out_proj.weight,
        "self_attn.out_proj.bias": mha.out_proj.bias,
    }
    for name, p in pairs.items():
        np.testing.assert_allclose(p.grad, tp[name].grad.numpy(), **TOL, err_msg=name)
    for k, proj in enumerate((mha.q_proj, mha.k_proj, mha.v_proj)):
        rows = slice(k * E, (k + 1) * E)
        np.testing.assert_allclose(
            proj.weight.grad, tp["self_attn.in_proj_weight"].grad.numpy()[rows], **TOL
        )
        np.testing.assert_allclose(
            proj.bias.grad, tp["self_attn.in_proj_bias"].grad.numpy()[rows], **TOL
        )
    assert (
        len(ours.parameters()) == len(tp) + 4
    )  # in_proj weight and bias are three tensors each here


def test_transformer_block_dropout_is_off_in_eval_and_shapes_check():
    block = att.TransformerBlock(8, 2, 16, dropout=0.5, rng=0)
    x = RNG.standard_normal((2, 4, 8))
    block.eval()
    np.testing.assert_array_equal(block(x).data, block(x).data)
    block.train()
    assert not np.allclose(block(x).data, block(x).data)
    with pytest.raises(ValueError, match="norm_first=True"):
        att.TransformerBlock.from_torch(
            torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
        )


@pytest.mark.parametrize("mask_shape", [(5, 7), (2, 1, 5, 7)])
def test_sdpa_learned_float_mask_gets_its_gradient_like_torch(mask_shape):
    """A float mask that requires grad (a learned additive bias) gets dL/dmask, summed
    over the axes it was broadcast along; q, k, v gradients too (float64)."""
    q, k, v = (
        RNG.standard_normal((2, 3, 5, 4)),
        RNG.standard_normal((2, 3, 7, 4)),
        RNG.standard_normal((2, 3, 7, 6)),
    )
    bias = RNG.standard_normal(mask_shape)
    ours = [Tensor(a.copy(), requires_grad=True) for a in (q, k, v, bias)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v, bias)]
    out, _ = att.scaled_dot_product_attention(*ours[:3], mask=ours[3])
    ref = F.scaled_dot_product_attention(*theirs[:3], attn_mask=theirs[3])
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    up = RNG.standard_normal(out.shape)
    out.backward(up)
    ref.backward(torch.tensor(up))
    for name, a, t in zip("qkv", ours, theirs):
        np.testing.assert_allclose(
            a.grad, t.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=name
        )
    assert ours[3].grad is not None and ours[3].grad.shape == mask_shape
    np.testing.assert_allclose(
        ours[3].grad, theirs[3].grad.numpy(), rtol=1e-9, atol=1e-11
    )

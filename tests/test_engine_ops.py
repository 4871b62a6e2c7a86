"""Every engine operation against PyTorch in float64 (values and gradients), edge cases,
and finite differences (issue 11)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gradcheck import finite_diff

from dlcourse.autograd import Tensor, cat, gelu, leaky_relu, stack, where

RNG = np.random.default_rng(11)


def _rand(shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, size=shape)


def check(ours, theirs, *arrays, fd=False, atol=1e-12):
    """Same values and same gradients (for a random upstream gradient) as PyTorch."""
    ts = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    rs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = ours(*ts), theirs(*rs)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=atol)
    upstream = RNG.standard_normal(ref.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for t, r in zip(ts, rs):
        expected = np.zeros(t.shape) if r.grad is None else r.grad.numpy()
        got = np.zeros(t.shape) if t.grad is None else t.grad
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=atol)
    if fd:
        numeric = finite_diff(
            lambda *a: ours(*map(Tensor, a)).data, list(arrays), upstream
        )
        for t, n in zip(ts, numeric):
            np.testing.assert_allclose(t.grad, n, rtol=1e-5, atol=1e-6)


# -------------------------------------------------------------------- elementwise
UNARY = {
    "exp": (lambda t: t.exp(), torch.exp),
    "log": (lambda t: t.log(), torch.log),
    "sqrt": (lambda t: t.sqrt(), torch.sqrt),
    "abs": (lambda t: t.abs(), torch.abs),
    "tanh": (lambda t: t.tanh(), torch.tanh),
    "sigmoid": (lambda t: t.sigmoid(), torch.sigmoid),
    "relu": (lambda t: t.relu(), torch.relu),
    "neg": (lambda t: -t, torch.neg),
    "clamp": (lambda t: t.clamp(-0.5, 1.0), lambda t: t.clamp(-0.5, 1.0)),
    "clamp_min": (lambda t: t.clamp(min=0.0), lambda t: t.clamp(min=0.0)),
    "leaky_relu": (
        lambda t: leaky_relu(t, 0.1),
        lambda t: torch.nn.functional.leaky_relu(t, 0.1),
    ),
    "gelu": (gelu, torch.nn.functional.gelu),
    "gelu_tanh": (
        lambda t: gelu(t, approximate="tanh"),
        lambda t: torch.nn.functional.gelu(t, approximate="tanh"),
    ),
}


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_with_finite_differences(name):
    low = 0.1 if name in ("log", "sqrt") else -2.0
    check(*UNARY[name], _rand((3, 4), low=low), fd=True)


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_at_edge_points(name):
    """0, ±inf, the kinks of relu/abs/clamp (PyTorch's subgradients), empty tensors."""
    with np.errstate(all="ignore"):
        check(*UNARY[name], np.array([0.0, -0.5, 1.0, 2.0, -3.0]))
        if name not in ("gelu", "gelu_tanh"):  # torch: inf·0 = nan in its backward
            check(*UNARY[name], np.array([np.inf, -np.inf, 0.0]))
        check(*UNARY[name], np.zeros((0, 3)))


BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}


@pytest.mark.parametrize(
    "shapes",
    [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1), (1, 3)), ((4,), (2, 3, 4)), ((), (2,))],
    ids=str,
)
@pytest.mark.parametrize("op", BINARY)
def test_binary_ops_broadcasting_both_ways(op, shapes):
    a = _rand(shapes[0], 0.5, 2.0)
    b = _rand(shapes[1], 0.5, 2.0)
    check(BINARY[op], BINARY[op], a, b, fd=True)
    check(BINARY[op], BINARY[op], b, a)


def test_pow_edge_cases_match_torch():
    base = np.array([0.0, 0.0, -2.0, -2.0, 3.0, 0.0, -1.5])
    exponent = np.array([0.0, 2.0, 2.0, 3.0, 0.0, 0.5, 0.5])
    with np.errstate(all="ignore"):
        check(lambda a, b: a**b, lambda a, b: a**b, base, exponent)
        for p in (0, 1, 2, 0.5, -1, 3):
            check(lambda a, p=p: a**p, lambda a, p=p: a**p, base)
    # the gradient of x ** 0 at x = 0 is 0, as in PyTorch (it was NaN)
    x = Tensor([0.0], requires_grad=True)
    (x**0).backward()
    assert x.grad[0] == 0.0


@pytest.mark.parametrize("base", [2.0, 0.5, 0.0, -2.0])
def test_number_to_the_power_of_a_tensor(base):
    x = np.array([0.0, 1.0, 2.5, -1.0])
    with np.errstate(all="ignore"):
        check(lambda t: base**t, lambda t: base**t, x)


def test_comparisons_return_boolean_tensors_without_gradient():
    a, b = Tensor([1.0, 2.0, 3.0], requires_grad=True), Tensor([3.0, 2.0, 1.0])
    ta, tb = torch.tensor(a.data), torch.tensor(b.data)
    for ours, theirs in [
        (a == b, ta == tb), (a != b, ta != tb), (a < b, ta < tb), (a <= b, ta <= tb),
        (a > b, ta > tb), (a >= b, ta >= tb), (a == 2, ta == 2), (a > np.float64(1), ta > 1),
    ]:  # fmt: skip
        assert (
            isinstance(ours, Tensor) and ours.dtype == bool and not ours.requires_grad
        )
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert (
        len({a, b, a}) == 2
    )  # still hashable by identity: graphs keep tensors in sets
    assert (a == None) is False  # noqa: E711


def test_where_and_masked_fill():
    cond = np.array([[True, False, True], [False, False, True]])
    check(
        lambda x, y: where(cond, x, y),
        lambda x, y: torch.where(torch.tensor(cond), x, y),
        _rand((2, 3)),
        _rand((3,)),
    )
    check(
        lambda x, y: x.where(cond, y),
        lambda x, y: x.where(torch.tensor(cond), y),
        _rand((2, 3)),
        _rand((2, 3)),
    )
    check(
        lambda x: x.masked_fill(cond, -np.inf).softmax(-1),
        lambda x: x.masked_fill(torch.tensor(cond), -torch.inf).softmax(-1),
        _rand((2, 3)),
    )
    with pytest.raises(TypeError, match="boolean"):
        Tensor([1.0]).masked_fill(np.array([1.0]), 0.0)


# --------------------------------------------------------------------- reductions
DIMS = [None, 0, 1, -1, (0, 2), ()]


@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize(
    "op", ["sum", "mean", "var", "std", "amax", "amin", "logsumexp"]
)
def test_reductions_match_torch(op, dim, keepdim):
    x = _rand((3, 4, 2))
    x[0, 0, 0] = x[0, 1, 0]  # a tie
    if op == "logsumexp" and dim is None:
        dim = (0, 1, 2)

    def call(t):
        if dim is None:
            return (
                getattr(t, op)()
                if not keepdim
                else getattr(t, op)(dim=(0, 1, 2), keepdim=True)
            )
        return getattr(t, op)(dim, keepdim=keepdim)

    theirs = call
    if dim == () and op in ("var", "std", "logsumexp"):
        # torch 2.13: var(()) reduces everything but its backward gives ±inf, and
        # logsumexp(()) raises; ours means "all dims" throughout, so compare with that.
        def theirs(t):
            return getattr(t, op)((0, 1, 2), keepdim=keepdim)

    check(call, theirs, x)
    check(call, theirs, x.copy(), fd=op in ("sum", "var", "logsumexp") and dim == 1)


def test_numpy_aliases_axis_and_keepdims():
    x = _rand((3, 4))
    check(
        lambda t: t.sum(axis=1, keepdims=True),
        lambda t: t.sum(axis=1, keepdims=True),
        x,
    )
    check(lambda t: t.mean(axis=0), lambda t: t.mean(axis=0), x)
    check(lambda t: t.softmax(axis=0), lambda t: t.softmax(dim=0), x)
    with pytest.raises(TypeError, match="not both"):
        Tensor(x).sum(0, axis=1)


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_with_dim_return_values_and_indices(op, dim, keepdim):
    x = np.array([[1.0, 3.0, 3.0, -2.0], [5.0, 5.0, 0.0, 0.0], [-1.0, 2.0, 2.0, -1.0]])
    _, indices = getattr(Tensor(x), op)(dim, keepdim)
    ref = getattr(torch.tensor(x), op)(dim, keepdim)
    np.testing.assert_array_equal(indices.data, ref.indices.numpy())
    assert indices.dtype == np.int64
    check(
        lambda t: getattr(t, op)(dim, keepdim).values,
        lambda t: getattr(t, op)(dim, keepdim).values,
        x,
    )
    # x.max(1)[0] is the values, as in PyTorch (it used to pick a row)
    assert getattr(Tensor(x), op)(dim=1)[0].shape == (3,)


def test_max_without_dim_shares_ties_and_argmax():
    x = np.array([[1.0, 5.0, 5.0], [5.0, 0.0, -1.0]])
    check(lambda t: t.max(), lambda t: t.max(), x)
    check(lambda t: t.min(), lambda t: t.min(), x)
    assert Tensor(x).max().shape == ()
    for d in (None, 0, 1):
        np.testing.assert_array_equal(
            Tensor(x).argmax(d).data, torch.tensor(x).argmax(d).numpy()
        )
        np.testing.assert_array_equal(
            Tensor(x).argmin(d).data, torch.tensor(x).argmin(d).numpy()
        )
    np.testing.assert_array_equal(Tensor(x).argmax(1, keepdim=True).data, [[1], [0]])


def test_reductions_of_empty_dimensions_and_infinities():
    e = np.zeros((0, 3))
    check(lambda t: t.sum(0), lambda t: t.sum(0), e)
    check(lambda t: t.sum(), lambda t: t.sum(), e)
    with np.errstate(all="ignore"):
        check(lambda t: t.mean(0), lambda t: t.mean(0), e)
        check(lambda t: t.logsumexp(0), lambda t: t.logsumexp(0), e)
        inf = np.array([[-np.inf, -np.inf], [0.0, -np.inf]])
        check(lambda t: t.logsumexp(1), lambda t: t.logsumexp(1), inf)


# ------------------------------------------------------------ shape and indexing
def test_transpose_swaps_two_dims_like_torch():
    x = _rand((2, 3, 4))
    for d0, d1 in [(0, 1), (1, 2), (-2, -1), (0, -1), (1, 1)]:
        check(
            lambda t, a=d0, b=d1: t.transpose(a, b),
            lambda t, a=d0, b=d1: t.transpose(a, b),
            x,
        )
    m = _rand((3, 5))
    check(lambda t: t.transpose(0, 1), lambda t: t.transpose(0, 1), m)
    check(lambda t: t.T, lambda t: t.T, m)
    with pytest.raises(IndexError, match="out of range"):
        Tensor(m).transpose(0, 2)


def test_shape_ops_match_torch():
    x = _rand((2, 1, 3, 1))
    cases = [
        lambda t: t.permute(3, 0, 2, 1),
        lambda t: t.permute((0, 1, 2, 3)),
        lambda t: t.squeeze(),
        lambda t: t.squeeze(1),
        lambda t: t.squeeze(0),  # size 2: left alone
        lambda t: t.squeeze((1, 3)),
        lambda t: t.unsqueeze(0),
        lambda t: t.unsqueeze(-1),
        lambda t: t.flatten(),
        lambda t: t.flatten(1),
        lambda t: t.flatten(1, 2),
        lambda t: t.expand(2, 4, 3, 5),
        lambda t: t.expand(3, -1, -1, -1, 2),
        lambda t: t.view(6, 1),
        lambda t: t.reshape(-1),
    ]
    for f in cases:
        check(f, f, x)
    check(lambda t: t.flatten(), lambda t: t.flatten(), np.array(3.0))


INDICES = {
    "int": 1,
    "neg_int": -1,
    "slice": (slice(None), slice(1, 3)),
    "ellipsis": (Ellipsis, 0),
    "none": (None, 0),
    "list": [0, 1, 1],
    "int_slice_list": (0, slice(None), [0, 1]),  # PyTorch: (3, 2); NumPy: (2, 3)
    "list_slice_int": ([1, 0], slice(None), 2),
    "two_lists": ([0, 1], slice(None), [3, 2]),
    "list_list": ([0, 1, 1], [2, 0, 2]),
    "mask": np.array([True, False]),
    "int_mask": (1, np.array([True, False, True])),
}


@pytest.mark.parametrize("name", INDICES)
def test_indexing_follows_torch(name):
    x = _rand((2, 3, 4))
    index = INDICES[name]
    torch_index = (
        tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in index)
        if isinstance(index, tuple)
        else (torch.tensor(index) if isinstance(index, np.ndarray) else index)
    )
    check(lambda t: t[index], lambda t: t[torch_index], x)
    assert Tensor(x)[0, :, [0, 1]].shape == (3, 2)


def test_index_with_tensors():
    x = _rand((4, 3))
    idx = Tensor(x).argmax(0)  # an int64 tensor
    check(lambda t: t[idx], lambda t: t[torch.tensor(idx.data)], x)
    check(lambda t: t[Tensor(x) > 0], lambda t: t[torch.tensor(x) > 0], x)
    with pytest.raises(IndexError, match="integer or boolean"):
        Tensor(x)[Tensor([0.0, 1.0])]


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_and_stack(dim):
    a, b = _rand((2, 3)), _rand((2, 3))
    check(lambda s, t: cat([s, t], dim), lambda s, t: torch.cat([s, t], dim), a, b)
    check(lambda s, t: stack([s, t], dim), lambda s, t: torch.stack([s, t], dim), a, b)
    check(
        lambda s, t: cat([s, t[:, :1]], 1),
        lambda s, t: torch.cat([s, t[:, :1]], 1),
        a,
        b,
    )
    with pytest.raises(RuntimeError, match="equal size"):
        stack([Tensor(a), Tensor(b[:1])])


# ----------------------------------------------------------------- matmul, softmax
@pytest.mark.parametrize(
    "shapes",
    [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
     ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)), ((1, 2, 3), (4, 3, 2)), ((3,), (5, 3, 2)),
     ((5, 2, 3), (3,)), ((0, 3), (3, 2)), ((2, 0), (0, 3))],
    ids=str,
)  # fmt: skip
def test_matmul_vectors_matrices_batches(shapes):
    check(lambda a, b: a @ b, lambda a, b: a @ b, _rand(shapes[0]), _rand(shapes[1]))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_family_with_finite_differences(dim):
    x = _rand((3, 4))
    check(lambda t: t.softmax(dim), lambda t: t.softmax(dim), x, fd=True)
    check(lambda t: t.log_softmax(dim), lambda t: t.log_softmax(dim), x, fd=True)


def test_a_composite_expression_against_finite_differences():
    def f(a, b):
        h = (a @ b).tanh() * 2 - a.sum(1, keepdim=True) / 3
        return (
            (h.clamp(-0.9, 0.9) ** 2).max(1).values + h.logsumexp(1) + h.var(1).sqrt()
        )

    check(f, f, _rand((3, 4)), _rand((4, 5)), fd=True)

"""The autograd engine against PyTorch (float64) and central finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlcourse.autograd import Tensor, enable_grad, is_grad_enabled, no_grad, tensor
from dlcourse.autograd.core import unbroadcast
from gradcheck import finite_diff

RNG = np.random.default_rng(1234)


def _rand(shape, positive=False, away_from_zero=False):
    x = RNG.standard_normal(shape)
    if positive:
        x = np.abs(x) + 0.5
    if away_from_zero:  # relu/abs kinks: finite differences need |x| >> eps
        x = np.sign(x) * (np.abs(x) + 0.1)
    return np.array(x, dtype=np.float64)  # keep 0-d arrays arrays, not NumPy scalars


def check(ours, theirs, *arrays, fd=True):
    """Compare outputs and gradients of ``ours`` (Tensors) and ``theirs`` (torch)."""
    xs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out, ref = ours(*xs), theirs(*ts)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = RNG.standard_normal(out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for x, t in zip(xs, ts):
        assert x.grad is not None and x.grad.shape == x.shape
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)
    if fd:
        numeric = finite_diff(
            lambda *a: ours(*[Tensor(v) for v in a]).data,
            [a.copy() for a in arrays],
            upstream,
        )
        for x, g in zip(xs, numeric):
            np.testing.assert_allclose(x.grad, g, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ elementwise
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
}
BROADCAST_SHAPES = [
    ((3, 4), (3, 4)),
    ((4, 3), (3,)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (3, 1)),
    ((), (2, 3)),
    ((5,), (2, 1, 5)),
]


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
def test_binary_ops_with_broadcasting(name, shapes):
    ours, theirs = BINARY[name]
    a = _rand(shapes[0])
    b = _rand(shapes[1], positive=name == "div")
    check(ours, theirs, a, b)


UNARY = {
    "neg": (lambda a: -a, lambda a: -a, {}),
    "exp": (lambda a: a.exp(), lambda a: a.exp(), {}),
    "log": (lambda a: a.log(), lambda a: a.log(), {"positive": True}),
    "tanh": (lambda a: a.tanh(), lambda a: a.tanh(), {}),
    "relu": (lambda a: a.relu(), lambda a: a.relu(), {"away_from_zero": True}),
    "sigmoid": (lambda a: a.sigmoid(), lambda a: a.sigmoid(), {}),
    "pow2": (lambda a: a**2, lambda a: a**2, {}),
    "pow3": (lambda a: a**3, lambda a: a**3, {}),
    "pow_half": (lambda a: a**0.5, lambda a: a**0.5, {"positive": True}),
    "pow_minus1": (lambda a: a**-1, lambda a: a**-1, {"positive": True}),
    "scalar_radd": (lambda a: 2.5 + a, lambda a: 2.5 + a, {}),
    "scalar_rsub": (lambda a: 2.5 - a, lambda a: 2.5 - a, {}),
    "scalar_rmul": (lambda a: 3 * a, lambda a: 3 * a, {}),
    "scalar_rdiv": (lambda a: 2.0 / a, lambda a: 2.0 / a, {"positive": True}),
    "scalar_div": (lambda a: a / 4, lambda a: a / 4, {}),
    "x_times_x": (lambda a: a * a, lambda a: a * a, {}),
    "composite": (
        lambda a: (a * a.tanh() - a.exp() / 3).sigmoid(),
        lambda a: (a * a.tanh() - a.exp() / 3).sigmoid(),
        {},
    ),
}


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)], ids=str)
def test_unary_ops(name, shape):
    ours, theirs, kw = UNARY[name]
    check(ours, theirs, _rand(shape, **kw))


def test_sigmoid_extreme_values_are_exact_and_warning_free():
    x = np.array([-800.0, -40.0, 0.0, 40.0, 800.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = Tensor(x).sigmoid().data
    np.testing.assert_allclose(
        s, torch.sigmoid(torch.tensor(x)).numpy(), rtol=1e-14, atol=0
    )


# ----------------------------------------------------------------------- matmul
MATMUL_SHAPES = [
    ((3, 4), (4, 2)),
    ((4,), (4, 2)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((3, 4), (2, 4, 5)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    check(lambda a, b: a @ b, lambda a, b: a @ b, _rand(shapes[0]), _rand(shapes[1]))


def test_matmul_with_transposed_weight_like_linear():
    # x @ W.T + b, the Linear layer: W's grad must come out in W's own layout
    check(
        lambda x, w, b: x @ w.T + b,
        lambda x, w, b: x @ w.T + b,
        _rand((6, 4)),
        _rand((3, 4)),
        _rand((3,)),
    )
    w = Tensor(_rand((3, 4)), requires_grad=True)
    (Tensor(_rand((6, 4))) @ w.T).sum().backward()
    assert w.grad.flags.c_contiguous


def test_matmul_with_ndarray_operands():
    a, b = _rand((3, 4)), _rand((4, 2))
    t = Tensor(b, requires_grad=True)
    out = a @ t  # ndarray @ Tensor dispatches to Tensor.__rmatmul__
    assert isinstance(out, Tensor)
    out.backward(np.ones((3, 2)))
    np.testing.assert_allclose(t.grad, a.T @ np.ones((3, 2)))


# ------------------------------------------------------------------- reductions
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("op", ["sum", "mean", "amax"])
def test_reductions(op, axis, keepdims):
    x = _rand((3, 4, 2))
    dim = tuple(range(3)) if axis is None else axis

    def theirs(t):
        if op == "sum":
            return t.sum(dim=dim, keepdim=keepdims)
        if op == "mean":
            return t.mean(dim=dim, keepdim=keepdims)
        return torch.amax(t, dim=dim, keepdim=keepdims)

    check(lambda t: getattr(t, op)(axis=axis, keepdims=keepdims), theirs, x)


def test_max_splits_gradient_evenly_among_ties_like_torch_amax():
    x = np.array([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 5.0, 0.0]])
    t = Tensor(x, requires_grad=True)
    t.amax(axis=1).sum().backward()
    np.testing.assert_allclose(t.grad, [[0, 0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3, 0]])
    tt = torch.tensor(x, requires_grad=True)
    torch.amax(tt, dim=1).sum().backward()
    np.testing.assert_allclose(t.grad, tt.grad.numpy())
    full = Tensor(x, requires_grad=True)
    full.max().backward()  # whole-tensor max: torch.max() splits evenly too
    tt2 = torch.tensor(x, requires_grad=True)
    tt2.max().backward()
    np.testing.assert_allclose(full.grad, tt2.grad.numpy())


# ------------------------------------------------------------- shape handling
def test_reshape_and_transpose():
    x = _rand((2, 3, 4))
    check(lambda t: t.reshape(4, 6), lambda t: t.reshape(4, 6), x)
    check(lambda t: t.reshape((6, -1)), lambda t: t.reshape((6, -1)), x)
    check(lambda t: t.permute(2, 1, 0), lambda t: t.permute(2, 1, 0), x)
    check(lambda t: t.permute(1, 2, 0), lambda t: t.permute(1, 2, 0), x)
    check(lambda t: t.permute(-1, 0, 1), lambda t: t.permute(-1, 0, 1), x)
    check(lambda t: t.transpose(1, 2), lambda t: t.transpose(1, 2), x)
    check(lambda t: t.T, lambda t: t.T, _rand((3, 5)))


INDICES = {  # our index, and the same selection written for torch
    "int": (1, lambda t: t[1]),
    "slice": ((slice(None), slice(1, 3)), lambda t: t[:, 1:3]),
    "negative_step": (
        (slice(None, None, -1), 0),
        lambda t: t.flip(0)[:, 0],
    ),  # torch has no step < 0
    "int_array_with_repeats": (
        np.array([0, 2, 0, 0]),
        lambda t: t[torch.tensor([0, 2, 0, 0])],
    ),
    "pair_of_int_arrays": (
        (np.array([0, 1, 1, 2]), np.array([3, 0, 0, 3])),
        lambda t: t[torch.tensor([0, 1, 1, 2]), torch.tensor([3, 0, 0, 3])],
    ),
    "bool_mask": (
        np.array([True, False, True]),
        lambda t: t[torch.tensor([True, False, True])],
    ),
}


@pytest.mark.parametrize("name", INDICES)
def test_getitem(name):
    index, theirs = INDICES[name]
    check(lambda t: t[index], theirs, _rand((3, 4)))


def test_getitem_repeated_index_accumulates():
    x = Tensor(np.arange(3.0), requires_grad=True)
    x[np.array([0, 0, 0, 2])].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


# ------------------------------------------------------------------ softmax
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_and_log_softmax(axis):
    x = _rand((3, 5))
    check(lambda t: t.softmax(axis=axis), lambda t: torch.softmax(t, dim=axis), x)
    check(
        lambda t: t.log_softmax(axis=axis), lambda t: torch.log_softmax(t, dim=axis), x
    )


def test_softmax_is_stable_for_huge_logits():
    x = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -5000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s, ls = Tensor(x).softmax().data, Tensor(x).log_softmax().data
    tx = torch.tensor(x)
    np.testing.assert_allclose(s, torch.softmax(tx, -1).numpy(), rtol=1e-12)
    np.testing.assert_allclose(ls, torch.log_softmax(tx, -1).numpy(), rtol=1e-12)


def test_unbroadcast_sums_over_broadcast_axes():
    g = np.ones((2, 3, 4))
    np.testing.assert_array_equal(unbroadcast(g, (4,)), np.full(4, 6.0))
    np.testing.assert_array_equal(unbroadcast(g, (3, 1)), np.full((3, 1), 8.0))
    np.testing.assert_array_equal(unbroadcast(g, (1, 3, 1)), np.full((1, 3, 1), 8.0))
    assert unbroadcast(g, ()).shape == () and unbroadcast(g, ()) == 24


# ------------------------------------------------------------ PyTorch semantics
def test_gradients_accumulate_across_backward_calls_and_zero_grad_resets():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = (y * 3).sum()
    z.backward()
    z.backward()  # graph kept: the second pass adds the same gradient again
    np.testing.assert_array_equal(x.grad, [12.0, 12.0])
    np.testing.assert_array_equal(y.grad, [3.0, 3.0])  # non-leaf: this pass only
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    tz = (tx * 2 * 3).sum()
    tz.backward(retain_graph=True)
    tz.backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())
    x.zero_grad()
    assert x.grad is None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_shared_subexpression_gets_the_sum_of_both_paths():
    a = Tensor(3.0, requires_grad=True)
    b = a * a  # a used twice
    c = b + b  # b used twice
    (c * a).backward()  # 2a³ -> 6a²
    assert a.grad == pytest.approx(54.0)


def test_backward_on_non_scalar_needs_gradient():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2, 3\)"):
        y.backward(np.ones(3))
    y.backward(np.full((2, 3), 0.5))
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(1.0).backward()


def test_one_element_non_scalar_backward_defaults_to_one():
    x = Tensor([2.0], requires_grad=True)
    (x * 3).backward()
    np.testing.assert_array_equal(x.grad, [3.0])


def test_long_chain_backpropagates_without_recursion_error():
    n = 100_000
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(n):
        y = y + 1.0
    y = y * 2.0
    y.backward()
    assert y.item() == 2.0 * (n + 1)
    assert x.grad == 2.0


def test_dtypes_follow_pytorch():
    assert Tensor([1, 2]).dtype == np.float64
    assert Tensor(True).dtype == np.float64
    assert tensor(3).dtype == np.float64
    x32 = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = (x32 * 2 + 1.5) / 3 - np.int64(1)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x32.grad.dtype == np.float32
    w64 = Tensor(np.ones(3), requires_grad=True)
    z = x32 * w64  # float32 * float64 -> float64, each grad in its own dtype
    z.sum().backward()
    assert (
        z.dtype == np.float64
        and w64.grad.dtype == np.float64
        and x32.grad.dtype == np.float32
    )


def test_constructor_copies_and_helpers():
    a = np.array([1.0, 2.0, 3.0])
    t = tensor(a, requires_grad=True)
    a[0] = 100.0
    assert t.data[0] == 1.0
    assert len(t) == 3 and t.shape == (3,) and t.ndim == 1 and t.size == 3
    assert "requires_grad=True" in repr(t)
    assert "op='*'" in repr(t * 2)
    assert Tensor([[4.0]]).item() == 4.0
    with pytest.raises(ValueError, match=r"\(3,\)"):
        t.item()
    d = (t * 2).detach()
    assert not d.requires_grad and d.is_leaf
    assert t.numpy() is t.data


def test_leaf_gradient_is_writable_even_after_sum():
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    x.sum().backward()
    x.grad[0, 0] = 5.0  # would fail on a read-only broadcast view
    assert x.grad[1, 1] == 1.0


def test_tensors_without_requires_grad_get_no_gradient():
    w = Tensor(_rand((3, 2)), requires_grad=True)
    x = Tensor(_rand((4, 3)))
    (x @ w).sum().backward()
    assert x.grad is None and w.grad is not None


def test_no_grad_records_nothing_and_restores_state():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 2
        with enable_grad():
            z = x * 3
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert not y.requires_grad and y.is_leaf and y.op == ""
    assert z.requires_grad

    @no_grad()
    def f(t):
        return t + 1

    assert not f(x).requires_grad
    with pytest.raises(ZeroDivisionError), no_grad():
        1 / 0
    assert is_grad_enabled()


# ----------------------------------------------------------------- error messages
def test_matmul_shape_error_names_both_shapes():
    with pytest.raises(
        ValueError,
        match=r"matmul: shapes \(3, 4\) and \(5, 2\) are not aligned: 4 != 5",
    ):
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"\(2, 3, 4\) and \(5, 4, 2\)"):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((5, 4, 2)))


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_broadcast_error_names_both_shapes(op):
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4,\) cannot be broadcast"):
        eval(f"a {op} b")


def test_other_errors_are_clear():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 4\)"):
        Tensor(np.ones((2, 3))).reshape(4, 4)
    with pytest.raises(RuntimeError, match="permutation"):
        Tensor(np.ones((2, 3))).permute(0, 0)

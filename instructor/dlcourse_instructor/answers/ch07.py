"""Hidden tests of ``exercises/07_backpropagation.ipynb`` (instructors only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlcourse.exercises.ch07 import (
    DIV,
    F1,
    F2,
    MUL,
    NEURON,
    NO_OVERFLOW,
    NUMERICAL,
    REF_F1,
    REF_F2,
    SATURATED,
    reference_binary,
    reference_neuron,
    reference_tanh,
    reference_unbroadcast,
)
from dlcourse.exercises.ch07_matrix import (
    LINEAR,
    MLP_GRADS,
    linear_inputs,
    mlp_inputs,
    reference_linear,
    reference_mlp_grads,
)
from dlcourse.exercises.checks import call
from dlcourse.exercises.choice import right_choice
from dlcourse.exercises.probe import Code

# The same generator and draws as before the hidden tests moved here: the same inputs.
_rng = np.random.default_rng(707)


def _torch_binary(op: str) -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """PyTorch's (float64) gradients of ``a * b`` or ``a / b``."""

    def ref(
        a: np.ndarray, b: np.ndarray, g: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        import torch

        A, B = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        (A * B if op == "mul" else A / B).backward(torch.tensor(g))
        return A.grad.numpy(), B.grad.numpy()

    return ref


def _torch_tanh(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    import torch

    X = torch.tensor(x, requires_grad=True)
    torch.tanh(X).backward(torch.tensor(g))
    return X.grad.numpy()


def _torch_mlp_grads(
    X: np.ndarray,
    y: np.ndarray,
    W1: np.ndarray,
    b1: np.ndarray,
    W2: np.ndarray,
    b2: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """PyTorch's (float64) gradients of the two-layer tanh MLP's mean cross-entropy."""
    import torch

    params = [torch.tensor(p, requires_grad=True) for p in (W1, b1, W2, b2)]
    hidden = torch.tanh(torch.tensor(X) @ params[0].T + params[1])
    logits = hidden @ params[2].T + params[3]
    torch.nn.functional.cross_entropy(logits, torch.tensor(y)).backward()
    grads = [p.grad for p in params]
    assert all(g is not None for g in grads)
    return tuple(g.numpy() for g in grads if g is not None)


def _finite_like(shape: tuple[int, ...]) -> Callable[[Any], bool]:
    def check(result: Any) -> bool:
        return bool(
            type(result) is np.ndarray
            and result.shape == shape
            and result.dtype.kind == "f"
            and np.all(np.isfinite(result))
        )

    return check


_q1_inputs = list(_rng.normal(size=6))
_a, _b, _g = (_rng.normal(size=(3, 4)) for _ in range(3))
_q3_x, _q3_g = _rng.normal(scale=2.0, size=(5, 3)), _rng.normal(size=(5, 3))
_q5_inputs = [
    _rng.normal(size=(2, 3, 4)),
    _rng.normal(size=(2, 3, 4)),
    _rng.normal(size=(2, 3)),
    _rng.normal(size=(4, 5)),
]
_q6_x2, _q6_x1 = _rng.normal(size=(3, 4)), _rng.normal(size=7)

# q6: on Σ x⁵ the h⁴ estimate from the steps h and 2h, (4 D(h) - D(2h)) / 3, is off by
# exactly -h⁴/30 · f⁽⁵⁾ = -4h⁴: an answer that ignores `h` (a tiny step of its own) is exact.
_QUINTIC = Code("lambda x: float(np.sum(x**5))", label="lambda x: float(np.sum(x**5))")


def _richardson_on_quintic(f: Any, x: np.ndarray, h: float = 1e-3) -> np.ndarray:
    return 5.0 * np.asarray(x, dtype=float) ** 4 - 4.0 * h**4


# q3's saturated inputs (a generator of their own: the draws above stay as they were):
# |x| from 355 (exp(2x) overflows) to 5000 (exp(x) long past its overflow at 709.8), both
# signs, with upstream gradients of both signs.
_sat = np.random.default_rng(7071)
_q3_sat_x = _sat.choice([-1.0, 1.0], size=(4, 5)) * _sat.uniform(355.0, 5000.0, (4, 5))
_q3_sat_g = _sat.normal(size=(4, 5))
_q3_edges = np.array([-1e4, -709.9, -355.5, -40.0, 40.0, 355.5, 709.9, 1e4])

HIDDEN = {
    "q1": [
        call(
            _q1_inputs,
            reference_neuron,
            **dict(NEURON, name="neuron_grads (random inputs)"),
        ),
        call(
            [2.0, -1.0, 3.0, 2.0, 1.0, 1.0],
            reference_neuron,
            **dict(NEURON, name="neuron_grads (a saturated neuron, z = 5)"),
        ),
    ],
    "q2": [
        call(
            [_a, _b, _g],
            reference_binary("mul"),
            **dict(MUL, name="mul_backward (2-D arrays)"),
        ),
        call(
            [_a, _b, _g],
            _torch_binary("mul"),
            **dict(MUL, name="mul_backward (vs PyTorch)"),
        ),
        call(
            [_a, _a, _g],
            reference_binary("mul"),
            **dict(MUL, name="mul_backward (a and b equal)"),
        ),
    ],
    "q3": [
        call(
            [_q3_x, _q3_g],
            _torch_tanh,
            name="tanh_backward (vs PyTorch)",
        ),
        call(
            [np.array([-800.0, 30.0, 800.0]), np.ones(3)],
            reference_tanh,
            name=f"tanh_backward ({SATURATED})",
            errstate=NO_OVERFLOW,
        ),
        call(
            [_q3_sat_x, _q3_sat_g],
            check=_finite_like((4, 5)),
            message="tanh_backward must return finite values (no NaN, no inf) of x's "
            "shape for saturated inputs, |x| in the hundreds or thousands, without "
            "overflow or NaN on the way",
            errstate=NO_OVERFLOW,
        ),
        call(
            [_q3_sat_x, _q3_sat_g],
            reference_tanh,
            name=f"tanh_backward ({SATURATED})",
            errstate=NO_OVERFLOW,
        ),
        call(
            [_q3_edges, np.linspace(-2.0, 2.0, 8)],
            reference_tanh,
            name=f"tanh_backward ({SATURATED}; on both sides of each overflow)",
            errstate=NO_OVERFLOW,
        ),
    ],
    "q4": [
        call(
            [_a, _b + np.sign(_b), _g],
            _torch_binary("div"),
            **dict(DIV, name="div_backward (vs PyTorch)"),
        )
    ],
    "q5": [
        call(
            [_q5_inputs[0], (3, 1)],
            reference_unbroadcast,
            name="unbroadcast (a leading axis summed away and a size-1 axis kept)",
        ),
        call(
            [_q5_inputs[1], (2, 1, 4)],
            reference_unbroadcast,
            name="unbroadcast (a size-1 axis in the middle)",
        ),
        call(
            [_q5_inputs[2], (2, 3)],
            reference_unbroadcast,
            name="unbroadcast (nothing was broadcast: a new array)",
        ),
        call(
            [_q5_inputs[3], ()],
            reference_unbroadcast,
            name="unbroadcast (to a scalar)",
        ),
    ],
    "q6": [
        call(
            [F2, _q6_x2],
            REF_F2,
            **dict(NUMERICAL, name="numerical_gradient (a 2-D x, the default h)"),
        ),
        call(
            [F1, _q6_x1],
            REF_F1,
            kwargs={"h": 0.2},
            **dict(NUMERICAL, name="numerical_gradient (a cubic, h = 0.2)"),
        ),
        call(
            [F2, np.array([0.5, -1.0, 1.5])],
            REF_F2,
            kwargs={"h": 0.02},
            **dict(NUMERICAL, name="numerical_gradient (h = 0.02)", atol=1e-6),
        ),
        call(
            [_QUINTIC, np.array([1.0, -0.5])],
            _richardson_on_quintic,
            kwargs={"h": 0.1},
            **dict(
                NUMERICAL,
                name="numerical_gradient (h = 0.1 on Σ x⁵: the estimate from the steps "
                "h and 2h it is given, which is off by exactly -4h⁴)",
            ),
        ),
    ],
    "q7": [
        call(
            mlp_inputs(seed=71, n=16, d=8, hidden=10, classes=5),
            reference_mlp_grads,
            **dict(
                MLP_GRADS, name="mlp_backward (16 rows, 8 inputs, 10 hidden, 5 classes)"
            ),
        ),
        call(
            mlp_inputs(seed=72, n=7, d=4, hidden=6, classes=3),
            _torch_mlp_grads,
            **dict(MLP_GRADS, name="mlp_backward (vs PyTorch float64)"),
        ),
        call(  # more classes than examples: a class no row belongs to still gets its gradient
            mlp_inputs(seed=73, n=3, d=5, hidden=2, classes=6),
            reference_mlp_grads,
            **dict(MLP_GRADS, name="mlp_backward (more classes than examples)"),
        ),
    ],
    "q8": [
        call(
            linear_inputs(seed=81, n=12, d_in=4, d_out=6),
            reference_linear,
            **dict(LINEAR, name="linear_backward (a batch of 12 rows)"),
        ),
        call(
            linear_inputs(seed=82, n=3, d_in=3, d_out=3),
            reference_linear,
            **dict(
                LINEAR,
                name="linear_backward (3 rows into 3 outputs)",
            ),
        ),
    ],
    "q9": [
        # The experiment below the question, run once: only dL/db2 is nonzero.
        right_choice("B", about="which gradients a zero-initialised MLP receives"),
    ],
}

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
from dlcourse.exercises.checks import call

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
            **dict(NUMERICAL, name="numerical_gradient (a 2-D x)"),
        ),
        call(
            [F1, _q6_x1],
            REF_F1,
            **dict(NUMERICAL, name="numerical_gradient (a 1-D x of 7 elements)"),
        ),
        call(
            [F1, np.array([0.5, -1.0])],
            REF_F1,
            kwargs={"h": 1e-3},
            **dict(
                NUMERICAL,
                name="numerical_gradient (h = 1e-3: central differences are "
                "accurate to h², one-sided ones only to h)",
                atol=3e-6,
            ),
        ),
    ],
}

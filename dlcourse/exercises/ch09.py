"""Checkers for ``exercises/09_why_now.ipynb``: vanishing gradients, initialisation,
momentum, RMSprop and dropout.

Every expected answer comes from the package's reference code (``dlcourse.activations``,
``dlcourse.init``, ``dlcourse.optim``, ``dlcourse.nn.Dropout``), never from the solutions below.

See chapter: Why now: data, compute, algorithms
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .compare import parts, to_array
from .question import Question, call, holds, value

__all__ = ["q1", "q2", "q3", "q4", "q5"]


# ----------------------------------------------------------------- q1: recall
def _max_sigmoid_slope() -> float:
    from dlcourse.activations import sigmoid_grad

    return float(np.max(sigmoid_grad(np.linspace(-10.0, 10.0, 20001))))


q1 = Question(
    "q1",
    "sigmoid_shrink_10",
    tests=[
        value(_max_sigmoid_slope() ** 10, name="sigmoid_shrink_10", rtol=1e-6, atol=0.0)
    ],
    hidden_tests=[
        holds(
            lambda a: 0.0 < float(to_array(a, "sigmoid_shrink_10")) < 1e-5,
            "sigmoid_shrink_10 should be a tiny positive number (below 1e-5)",
        )
    ],
    hint="The sigmoid's slope σ'(z) = σ(z)(1 − σ(z)) is largest at z = 0. What is σ(0)? "
    "Each of the ten layers multiplies the gradient by at most that slope.",
    solution="sigmoid_shrink_10 = 0.25 ** 10  # sigma'(0) = 1/2 * 1/2, once per layer",
)


# ----------------------------------------------------------------- q2: init std
def _ref_init_std(fan_in: int, fan_out: int, scheme: str) -> float:
    from dlcourse import init

    if (
        scheme == "xavier"
    ):  # torch.nn.init.xavier_normal_: gain * sqrt(2 / (fan_in + fan_out))
        return init.calculate_gain("linear") * math.sqrt(2.0 / (fan_in + fan_out))
    return init.calculate_gain("relu") / math.sqrt(
        fan_in
    )  # kaiming_normal_, mode="fan_in"


def _sampled_std(fan_in: int, fan_out: int, scheme: str) -> float:
    """Standard deviation of a (fan_out, fan_in) weight filled by dlcourse.init."""
    from dlcourse import init

    w = np.empty((fan_out, fan_in))
    if scheme == "xavier":
        init.xavier_normal_(w, rng=0)
    else:
        init.kaiming_normal_(w, nonlinearity="relu", rng=0)
    return float(w.std())


def _matches_sampler(answer: Any) -> bool:
    for fan_in, fan_out, scheme in [(300, 200, "xavier"), (400, 100, "he")]:
        got = float(to_array(answer(fan_in, fan_out, scheme)))
        if not abs(got / _sampled_std(fan_in, fan_out, scheme) - 1) < 0.02:
            return False
    return True


_INIT_CASES = [
    (256, 256, "xavier"),
    (784, 100, "xavier"),
    (256, 128, "he"),
    (3, 7, "he"),
]
q2 = Question(
    "q2",
    "init_std",
    tests=[
        call((fi, fo, s), _ref_init_std(fi, fo, s), name="init_std")
        for fi, fo, s in _INIT_CASES
    ],
    hidden_tests=[
        call((1, 1, "xavier"), _ref_init_std(1, 1, "xavier"), name="init_std"),
        call((100, 10_000, "he"), _ref_init_std(100, 10_000, "he"), name="init_std"),
        holds(
            _matches_sampler,
            "init_std does not match the standard deviation of weights drawn by "
            "dlcourse.init.xavier_normal_ / kaiming_normal_ (within 2 %)",
        ),
    ],
    hint="Both keep the scale n·Var(W)·E[h²] of a layer's pre-activation equal to the "
    "previous layer's. Xavier averages the two fans, Var(W) = 2 / (fan_in + fan_out); He "
    "uses only fan_in, Var(W) = 2 / fan_in, because ReLU halves the second moment E[h²] "
    "of a symmetric input. Return the standard deviation, the square root of the variance.",
    solution="""
def init_std(fan_in, fan_out, scheme):
    if scheme == "xavier":
        return np.sqrt(2.0 / (fan_in + fan_out))
    if scheme == "he":
        return np.sqrt(2.0 / fan_in)
    raise ValueError(f"unknown scheme {scheme!r}")
""",
)


# ----------------------------------------------------------------- q3: momentum
def _ref_momentum(
    p: np.ndarray, g: np.ndarray, buf: np.ndarray, lr: float, momentum: float
) -> tuple[np.ndarray, np.ndarray]:
    from dlcourse import optim
    from dlcourse.autograd import Tensor

    t = Tensor(np.array(p, dtype=float, copy=True), requires_grad=True)
    t.grad = np.array(g, dtype=float, copy=True)
    opt = optim.SGD([t], lr=lr, momentum=momentum)
    opt.state[0]["momentum_buffer"] = np.array(buf, dtype=float, copy=True)
    opt.step()
    return t.data, opt.state[0]["momentum_buffer"]


def _quadratic_runs(step: Callable[..., Any], optimiser: str, steps: int = 5) -> bool:
    """Does iterating the answer follow dlcourse.optim from a zero state on f(p) = ½ pᵀAp?"""
    from dlcourse import optim
    from dlcourse.autograd import Tensor

    A = np.array([[3.0, 0.5], [0.5, 0.2]])
    p, state = np.array([1.0, -2.0]), np.zeros(2)
    t = Tensor(p.copy(), requires_grad=True)
    opt = (
        optim.SGD([t], lr=0.1, momentum=0.9)
        if optimiser == "sgd"
        else optim.RMSprop([t], lr=0.05)
    )
    for _ in range(steps):
        g = A @ p
        p, state = (
            step(p, g, state, 0.1, 0.9)
            if optimiser == "sgd"
            else step(p, g, state, 0.05)
        )
        t.grad = A @ t.data
        opt.step()
        p, state = to_array(p), to_array(state)
    return bool(
        p.shape == t.data.shape and np.allclose(p, t.data, rtol=1e-6, atol=1e-9)
    )


_rng = np.random.default_rng(9)
_P, _G, _B = _rng.normal(size=3), _rng.normal(size=3), _rng.normal(size=3)
_P2, _G2, _B2 = (
    _rng.normal(size=(2, 3)),
    _rng.normal(size=(2, 3)),
    _rng.normal(size=(2, 3)),
)
q3 = Question(
    "q3",
    "momentum_step",
    points=2,
    tests=[
        call(
            (_P, _G, np.zeros(3), 0.1, 0.9),
            _ref_momentum,
            name="momentum_step",
            compare=parts("p", "buf"),
        ),
        call(
            (_P, _G, _B, 0.1, 0.9),
            _ref_momentum,
            name="momentum_step",
            compare=parts("p", "buf"),
        ),
        call(
            (_P2, _G2, _B2, 0.05, 0.5),
            _ref_momentum,
            name="momentum_step",
            compare=parts("p", "buf"),
        ),
    ],
    hidden_tests=[
        call(
            (_P, _G, _B, 0.3, 0.99),
            _ref_momentum,
            name="momentum_step",
            compare=parts("p", "buf"),
        ),
        holds(
            lambda f: _quadratic_runs(f, "sgd"),
            "5 steps of momentum_step on a quadratic bowl do not follow dlcourse.optim.SGD(momentum=0.9)",
        ),
    ],
    hint="First update the velocity: buf ← momentum · buf + g (no (1 − momentum) factor, as in "
    "PyTorch). Then step with the NEW velocity: p ← p − lr · buf. Return new arrays; do not "
    "change p, g or buf in place (so avoid `buf *= momentum`).",
    solution="""
def momentum_step(p, g, buf, lr, momentum):
    new_buf = momentum * buf + g
    return p - lr * new_buf, new_buf
""",
)


# ----------------------------------------------------------------- q4: RMSprop
def _ref_rmsprop(
    p: np.ndarray,
    g: np.ndarray,
    v: np.ndarray,
    lr: float,
    alpha: float = 0.99,
    eps: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray]:
    from dlcourse import optim
    from dlcourse.autograd import Tensor

    t = Tensor(np.array(p, dtype=float, copy=True), requires_grad=True)
    t.grad = np.array(g, dtype=float, copy=True)
    opt = optim.RMSprop([t], lr=lr, alpha=alpha, eps=eps)
    opt.state[0]["square_avg"] = np.array(v, dtype=float, copy=True)
    opt.step()
    return t.data, opt.state[0]["square_avg"]


_V = np.abs(_rng.normal(size=3))
_TINY = np.array(
    [1e-8, -3e-9, 0.0]
)  # eps must go outside the square root to get these right
q4 = Question(
    "q4",
    "rmsprop_step",
    points=2,
    tests=[
        call(
            (_P, _G, np.zeros(3), 0.01),
            _ref_rmsprop,
            name="rmsprop_step",
            compare=parts("p", "v"),
        ),
        call(
            (_P, _G, _V, 0.01),
            _ref_rmsprop,
            name="rmsprop_step",
            compare=parts("p", "v"),
        ),
        call(
            (_P2, _G2, np.ones((2, 3)), 0.1),
            _ref_rmsprop,
            kwargs={"alpha": 0.9, "eps": 1e-6},
            name="rmsprop_step",
            compare=parts("p", "v"),
        ),
        call(
            (_P, _TINY, np.zeros(3), 0.01),
            _ref_rmsprop,
            name="rmsprop_step",
            compare=parts("p", "v"),
        ),
    ],
    hidden_tests=[
        call(
            (_P2, _G2, np.zeros((2, 3)), 0.001),
            _ref_rmsprop,
            kwargs={"alpha": 0.5},
            name="rmsprop_step",
            compare=parts("p", "v"),
        ),
        holds(
            lambda f: _quadratic_runs(f, "rmsprop"),
            "5 steps of rmsprop_step on a quadratic bowl do not follow dlcourse.optim.RMSprop",
        ),
    ],
    hint="v ← alpha · v + (1 − alpha) · g², then p ← p − lr · g / (√v + eps) with the NEW v. "
    "eps is added after the square root (PyTorch's rule), and alpha and eps need the "
    "default values 0.99 and 1e-8.",
    solution="""
def rmsprop_step(p, g, v, lr, alpha=0.99, eps=1e-8):
    new_v = alpha * v + (1 - alpha) * g**2
    return p - lr * g / (np.sqrt(new_v) + eps), new_v
""",
)


# ----------------------------------------------------------------- q5: dropout
def _ref_dropout(h: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    from dlcourse.nn import Dropout

    return Dropout(p, rng=rng).train()(np.array(h, dtype=float)).data


def _keeps_mean(f: Callable[..., Any]) -> bool:
    out = to_array(f(np.ones((200, 500)), 0.3, np.random.default_rng(1)))
    return bool(
        out.shape == (200, 500)
        and abs(out.mean() - 1) < 0.01
        and abs((out == 0).mean() - 0.3) < 0.01
        and np.allclose(out[out != 0], 1 / 0.7)
    )


_H = _rng.normal(size=(4, 5))
q5 = Question(
    "q5",
    "inverted_dropout",
    points=2,
    tests=[
        call(
            (_H, 0.5, np.random.default_rng(0)), _ref_dropout, name="inverted_dropout"
        ),
        call(
            (_H, 0.2, np.random.default_rng(1)), _ref_dropout, name="inverted_dropout"
        ),
        call(
            (_H[0], 0.0, np.random.default_rng(2)),
            _ref_dropout,
            name="inverted_dropout",
        ),
    ],
    hidden_tests=[
        call(
            (_rng.normal(size=(3, 2, 4)), 0.9, np.random.default_rng(3)),
            _ref_dropout,
            name="inverted_dropout",
        ),
        holds(
            _keeps_mean,
            "inverted_dropout(ones, p=0.3) should zero about 30 % of the entries, "
            "scale the others to 1/0.7 and keep the mean at 1",
        ),
    ],
    hint="Draw u = rng.random(h.shape) once; keep the entries where u >= p (so each is dropped with "
    "probability p), set the others to 0, and divide the survivors by (1 − p).",
    solution="""
def inverted_dropout(h, p, rng):
    keep = rng.random(h.shape) >= p
    return h * keep / (1 - p)
""",
)

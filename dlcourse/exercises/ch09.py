"""Checkers for ``exercises/09_why_now.ipynb``: vanishing gradients, initialisation,
momentum, RMSprop, dropout, how the time of a matrix product grows, and settings that make
SGD with momentum cross an ill-conditioned valley.

The expected answers come from the package's reference code (``dlcourse.activations``,
``dlcourse.optim``, ``dlcourse.nn.Dropout``) or are written out (``init_std``); the choice
(q6) is judged for its form only (:mod:`.choice`), and the settings (q7) by running
``dlcourse.optim.SGD`` with them. The hidden
tests and the reference solutions are not here: they stay with the instructor
(``dlcourse_instructor.answers.ch09``).

See chapter: Why now: data, compute, algorithms (book/09_why_now.ipynb)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .checks import Value, call, value
from .choice import choice
from .compare import parts
from .probe import Code
from .question import Question

__all__ = [
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "q6",
    "q7",
    "reference_momentum",
    "reference_rmsprop",
    "reference_dropout",
    "valley_descent",
    "valley_check",
    "VALLEY_HESSIAN",
    "TURNED_HESSIAN",
]


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
    hint="The sigmoid's slope σ'(z) = σ(z)(1 − σ(z)) is largest at z = 0. What is σ(0)? "
    "Each of the ten layers multiplies the gradient by at most that slope.",
)


# ----------------------------------------------------------------- q2: init std
# The standard deviations of torch.nn.init.xavier_normal_ (gain 1) and kaiming_normal_
# (nonlinearity="relu", mode="fan_in"), computed once.
_INIT_CASES = [
    ((256, 256, "xavier"), 0.0625),
    ((784, 100, "xavier"), 0.04756514941544941),
    ((256, 128, "he"), 0.08838834764831845),
    ((3, 7, "he"), 0.8164965809277261),
]
q2 = Question(
    "q2",
    "init_std",
    tests=[call(args, std, name="init_std") for args, std in _INIT_CASES],
    hint="Both keep the scale n·Var(W)·E[h²] of a layer's pre-activation equal to the "
    "previous layer's. Xavier averages the two fans, Var(W) = 2 / (fan_in + fan_out); He "
    "uses only fan_in, Var(W) = 2 / fan_in, because ReLU halves the second moment E[h²] "
    "of a symmetric input. Return the standard deviation, the square root of the variance.",
)


# ----------------------------------------------------------------- q3: momentum
def reference_momentum(
    p: np.ndarray, g: np.ndarray, buf: np.ndarray, lr: float, momentum: float
) -> tuple[np.ndarray, np.ndarray]:
    """One step of :class:`dlcourse.optim.SGD` with momentum, from the velocity ``buf``."""
    from dlcourse import optim
    from dlcourse.autograd import Tensor

    t = Tensor(np.array(p, dtype=float, copy=True), requires_grad=True)
    t.grad = np.array(g, dtype=float, copy=True)
    opt = optim.SGD([t], lr=lr, momentum=momentum)
    opt.state[0]["momentum_buffer"] = np.array(buf, dtype=float, copy=True)
    opt.step()
    return t.data, opt.state[0]["momentum_buffer"]


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
            reference_momentum,
            name="momentum_step",
            compare=parts("p", "buf"),
        ),
        call(
            (_P, _G, _B, 0.1, 0.9),
            reference_momentum,
            name="momentum_step",
            compare=parts("p", "buf"),
        ),
        call(
            (_P2, _G2, _B2, 0.05, 0.5),
            reference_momentum,
            name="momentum_step",
            compare=parts("p", "buf"),
        ),
    ],
    hint="First update the velocity: buf ← momentum · buf + g (no (1 − momentum) factor, as in "
    "PyTorch). Then step with the NEW velocity: p ← p − lr · buf. Return new arrays; do not "
    "change p, g or buf in place (so avoid `buf *= momentum`).",
)


# ----------------------------------------------------------------- q4: RMSprop
def reference_rmsprop(
    p: np.ndarray,
    g: np.ndarray,
    v: np.ndarray,
    lr: float,
    alpha: float = 0.99,
    eps: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray]:
    """One step of :class:`dlcourse.optim.RMSprop`, from the square average ``v``."""
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
            reference_rmsprop,
            name="rmsprop_step",
            compare=parts("p", "v"),
        ),
        call(
            (_P, _G, _V, 0.01),
            reference_rmsprop,
            name="rmsprop_step",
            compare=parts("p", "v"),
        ),
        call(
            (_P2, _G2, np.ones((2, 3)), 0.1),
            reference_rmsprop,
            kwargs={"alpha": 0.9, "eps": 1e-6},
            name="rmsprop_step",
            compare=parts("p", "v"),
        ),
        call(
            (_P, _TINY, np.zeros(3), 0.01),
            reference_rmsprop,
            name="rmsprop_step",
            compare=parts("p", "v"),
        ),
    ],
    hint="v ← alpha · v + (1 − alpha) · g², then p ← p − lr · g / (√v + eps) with the NEW v. "
    "eps is added after the square root (PyTorch's rule), and alpha and eps need the "
    "default values 0.99 and 1e-8.",
)


# ----------------------------------------------------------------- q5: dropout
def reference_dropout(h: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    """:class:`dlcourse.nn.Dropout` in training mode, drawing from ``rng``."""
    from dlcourse.nn import Dropout

    return Dropout(p, rng=rng).train()(np.array(h, dtype=float)).data


_H = _rng.normal(size=(4, 5))
q5 = Question(
    "q5",
    "inverted_dropout",
    points=2,
    tests=[
        call(
            (_H, 0.5, Code("np.random.default_rng(0)")),
            reference_dropout,
            name="inverted_dropout",
        ),
        call(
            (_H, 0.2, Code("np.random.default_rng(1)")),
            reference_dropout,
            name="inverted_dropout",
        ),
        call(
            (_H[0], 0.0, Code("np.random.default_rng(2)")),
            reference_dropout,
            name="inverted_dropout",
        ),
    ],
    hint="Draw u = rng.random(h.shape) once; keep the entries where u >= p (so each is dropped with "
    "probability p), set the others to 0, and divide the survivors by (1 − p).",
)


# ----------------------------------------------------------------- q6: predict a timing
q6 = Question(
    "q6",
    "matmul_time",
    tests=[choice(("A", "B", "C", "D"))],
    hint="Count the work, not the size of the result: each of the n² entries of A @ B is a "
    "sum of n products. What happens to n² · n when n doubles? Once n is a few hundred the "
    "arithmetic units are busy, so the time follows the work.",
)


# ----------------------------------------------------------------- q7: choose settings
#: The chapter's valley ½ (x² + 20 y²) (``dlcourse.landscapes.valley``) as f(p) = ½ pᵀ H p.
VALLEY_HESSIAN = np.diag([1.0, 20.0])
#: The same valley turned by 45°: SGD with momentum does the same there, turned.
_c = np.sqrt(0.5)
_TURN = np.array([[_c, -_c], [_c, _c]])
TURNED_HESSIAN = _TURN @ VALLEY_HESSIAN @ _TURN.T
VALLEY_START = (-3.5, 1.5)  # where the chapter's walks start
VALLEY_STEPS = 40
VALLEY_FACTOR = 1e7  # f must fall by this factor in VALLEY_STEPS steps


def _settings_problem(settings: Any) -> str:
    """Why ``settings`` is not a dict ``{"lr": float > 0, "momentum": 0 <= float < 1}``,
    or ``""`` when it is one."""
    if type(settings) is not dict or set(settings) != {"lr", "momentum"}:
        return 'should be a dict with exactly the keys "lr" and "momentum"'
    for key, val in settings.items():
        if type(val) not in (int, float) or not np.isfinite(val):
            return f'should hold a number for "{key}", not {val!r}'
    if not settings["lr"] > 0:
        return 'needs a positive "lr"'
    if not 0 <= settings["momentum"] < 1:
        return 'needs a "momentum" from 0 (plain SGD) up to, but not including, 1'
    return ""


def valley_descent(
    settings: dict[str, float],
    start: tuple[float, float] = VALLEY_START,
    steps: int = VALLEY_STEPS,
    hessian: np.ndarray = VALLEY_HESSIAN,
) -> float:
    """How many times smaller f = ½ pᵀ H p is after ``steps`` steps of
    ``dlcourse.optim.SGD(lr=settings["lr"], momentum=settings["momentum"])`` from ``start``
    (``inf`` where the walk diverges). Call it to try settings before answering."""
    from dlcourse import optim
    from dlcourse.autograd import Tensor

    problem = _settings_problem(settings)
    if problem:
        raise ValueError(f"settings {problem}")
    p = Tensor(np.array(start, dtype=float), requires_grad=True)
    opt = optim.SGD([p], lr=float(settings["lr"]), momentum=float(settings["momentum"]))
    f_start = 0.5 * p.data @ hessian @ p.data
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            p.grad = hessian @ p.data  # the gradient of ½ pᵀ H p
            opt.step()
        f_end = 0.5 * p.data @ hessian @ p.data
    if not np.isfinite(f_end):
        return 0.0  # diverged
    return float(f_start / f_end) if f_end > 0 else float("inf")


def valley_check(
    start: tuple[float, float] = VALLEY_START,
    hessian: np.ndarray = VALLEY_HESSIAN,
    where: str = "the valley from the chapter's start",
) -> Value:
    """The settings divide f by :data:`VALLEY_FACTOR` within :data:`VALLEY_STEPS` steps: a
    run of the library's optimiser, whose outcome the message reports."""

    def reach(settings: Any, _expected: Any, label: str) -> None:
        problem = _settings_problem(settings)
        if problem:
            raise AssertionError(f"{label} {problem}")
        shrink = valley_descent(settings, start, VALLEY_STEPS, hessian)
        if shrink < VALLEY_FACTOR:
            if shrink == 0.0:
                outcome = "diverged (f grew without bound)"
            elif shrink < 1:
                outcome = f"made f {1 / shrink:.2g} times larger (the steps overshoot)"
            else:
                outcome = f"divided f by only {shrink:.2g}"
            raise AssertionError(
                f"{VALLEY_STEPS} steps of SGD with {label} on {where} {outcome}; the target "
                f"is a factor of {VALLEY_FACTOR:.0e}"
            )

    return value(
        compare=reach,
        message=f"the settings do not divide f by {VALLEY_FACTOR:.0e} in "
        f"{VALLEY_STEPS} steps on {where}",
    )


q7 = Question(
    "q7",
    "valley_settings",
    points=2,
    tests=[valley_check()],
    hint="Plain SGD cannot do it: its lr must stay below 2 / 20 (the steep direction's "
    "curvature) or it diverges, and at that lr the shallow direction (curvature 1) shrinks "
    "by only about 10 % a step. Momentum lets the shallow direction build up speed, but too "
    "much of it makes both directions swing for a long time: 0.9 is too much here. Try "
    "settings with `valley_descent(settings)` and look for the pair that makes both "
    "directions shrink at the same, fastest rate.",
)

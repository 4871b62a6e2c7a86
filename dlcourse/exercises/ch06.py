"""Checkers for ``exercises/06_gradient_descent.ipynb``: the update rule, its stability, minibatches.

References: :class:`dlcourse.optim.SGD` (tested equal to ``torch.optim.SGD``),
:func:`dlcourse.landscapes.trajectory` and the autograd engine. The hidden tests and the
reference solutions are not here: they stay with the instructor
(``dlcourse_instructor.answers.ch06``).

* q1 ``gd_step(theta, grad, lr)``                one gradient-descent step
* q2 ``stable_lr_limit(H)``                      2 / λ_max for the quadratic ½ θᵀHθ
* q3 ``gradient_descent(grad_fn, theta0, lr, steps)``   a whole trajectory
* q4 ``mse_gradient(theta, X, y)``               ∇ of the least-squares loss
* q5 ``minibatches(X, y, batch_size, seed)``     a shuffled minibatch iterator
* q6 ``chosen_lr``                              choose: a learning rate that reaches a target
* q7 ``prediction``                             predict: the learning rate times ten

See chapter: Gradient descent (book/06_gradient_descent.ipynb)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .checks import Call, call, value
from .choice import choice
from .compare import describe, number
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
    "reference_gd_step",
    "reference_trajectory",
    "reference_mse_gradient",
    "minibatch_checks",
    "VALLEY_GRAD",
    "valley_loss_after",
    "reaches_target",
    "TARGET_LOSS",
    "STEP_BUDGET",
    "PREDICT_LR",
]


# ----------------------------------------------------------------- references
def reference_gd_step(theta: np.ndarray, grad: np.ndarray, lr: float) -> np.ndarray:
    """One step of :class:`dlcourse.optim.SGD` from ``theta`` with gradient ``grad``."""
    from dlcourse import optim
    from dlcourse.autograd import Tensor

    p = Tensor(np.array(theta, dtype=float), requires_grad=True)
    p.grad = np.array(grad, dtype=float)
    optim.SGD([p], lr=lr).step()
    return p.data


def reference_trajectory(landscape: Any) -> Callable[..., np.ndarray]:
    """The trajectory :func:`dlcourse.landscapes.trajectory` gives on ``landscape``."""

    def ref(grad_fn: Any, theta0: Any, lr: float, steps: int) -> np.ndarray:
        from dlcourse import landscapes, optim

        return landscapes.trajectory(
            landscape,
            optim.SGD,
            start=np.asarray(theta0, dtype=float),
            steps=steps,
            lr=lr,
        )

    return ref


def reference_mse_gradient(
    theta: np.ndarray, X: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """The gradient of mean((X θ - y)²) by the autograd engine."""
    from dlcourse.autograd import Tensor

    t = Tensor(np.array(theta, dtype=float), requires_grad=True)
    ((Tensor(X) @ t - y) ** 2).mean().backward()
    assert t.grad is not None
    return t.grad


def _minibatch_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    X = np.arange(n, dtype=float)[:, None] * np.array([1.0, -1.0])  # row i is (i, -i)
    y = np.arange(n) * 10  # label of row i: 10 i
    return X, y


def _batch_order(batches: Any, n: int, batch_size: int, what: str) -> np.ndarray:
    """The order in which ``batches`` visit the examples, after checking every property."""
    if not isinstance(batches, (list, tuple)):
        raise AssertionError(
            f"{what} should yield (X_batch, y_batch) tuples, but returned "
            f"{describe(batches)}"
        )
    expected_sizes = [batch_size] * (n // batch_size) + (
        [n % batch_size] if n % batch_size else []
    )
    if len(batches) != len(expected_sizes):
        raise AssertionError(
            f"{what} gave {len(batches)} batches, expected {len(expected_sizes)} "
            f"(every example exactly once; the last batch may be smaller)"
        )
    rows = []
    for k, item in enumerate(batches):
        if not (isinstance(item, tuple) and len(item) == 2):
            raise AssertionError(
                f"{what}: batch {k} should be a tuple (X_batch, y_batch)"
            )
        xb, yb = item
        if not (type(xb) is np.ndarray and type(yb) is np.ndarray):
            raise AssertionError(f"{what}: batch {k} should hold two NumPy arrays")
        if xb.shape != (expected_sizes[k], 2) or yb.shape != (expected_sizes[k],):
            raise AssertionError(
                f"{what}: batch {k} has shapes {xb.shape} and {yb.shape}, expected "
                f"({expected_sizes[k]}, 2) and ({expected_sizes[k]},)"
            )
        rows.append(xb[:, 0])
        if not np.array_equal(yb, xb[:, 0].astype(int) * 10):
            raise AssertionError(
                f"{what}: in batch {k} the labels do not belong to the rows next to "
                f"them; shuffle X and y with the same index order"
            )
    order = np.concatenate(rows).astype(int) if rows else np.zeros(0, dtype=int)
    if not np.array_equal(np.sort(order), np.arange(n)):
        raise AssertionError(
            f"{what}: the batches should contain every example exactly once"
        )
    return order


def minibatch_checks(
    n: int, batch_size: int, seed: int, notes: bool = False
) -> list[Call]:
    """Checks of the iterator's properties on ``n`` examples (the exact order is the
    student's choice): every example once, in batches of ``batch_size``, rows and labels
    together, shuffled, ``X`` and ``y`` unchanged; then a second run with the same ``seed``
    (the same order) and, for ``n >= 10``, one with ``seed + 1`` (another order).

    The checks are judged in this order; the later ones compare with the order the first
    one saw. ``notes`` names the property each check is about (for hidden checks, whose
    failures show only that).
    """
    X, y = _minibatch_data(n)
    first: dict[str, np.ndarray] = {}

    def describe_run(s: int) -> str:
        return f"minibatches(X, y, batch_size={batch_size}, seed={s}) with len(X) = {n}"

    what = describe_run(seed)

    def the_order(result: Any, expected: Any, _: str) -> None:
        first.clear()  # never compare with an earlier answer's order
        order = _batch_order(result, n, batch_size, what)
        if n >= 10 and np.array_equal(order, np.arange(n)):
            raise AssertionError(
                f"{what}: the examples come in their original order; shuffle them"
            )
        first["order"] = order

    def same_again(result: Any, expected: Any, _: str) -> None:
        order = _batch_order(result, n, batch_size, what)
        earlier = first.get("order")
        if earlier is None or not np.array_equal(order, earlier):
            raise AssertionError(
                f"{what}: the same seed should give the same order (use "
                f"np.random.default_rng(seed))"
            )

    def another_seed(result: Any, expected: Any, _: str) -> None:
        order = _batch_order(result, n, batch_size, describe_run(seed + 1))
        earlier = first.get("order")
        if earlier is not None and np.array_equal(order, earlier):
            raise AssertionError(
                f"{what}: seed {seed + 1} gave the same order as seed {seed}; "
                f"a new seed should give a new order"
            )

    def run(s: int, compare: Callable[[Any, Any, str], None], note: str) -> Call:
        return call(
            [X, y, batch_size, s],
            name=f"minibatches ({note})" if notes else "minibatches",
            compare=compare,
            materialize=True,
            new_array=False,
        )

    checks = [
        run(
            seed,
            the_order,
            f"batches of {batch_size} from {n} examples: every example exactly once, "
            f"rows and labels together, {'shuffled, ' if n >= 10 else ''}"
            "X and y unchanged",
        ),
        run(seed, same_again, "the same seed must give the same order"),
    ]
    if n >= 10:
        checks.append(
            run(seed + 1, another_seed, "a different seed must give a different order")
        )
    return checks


# ------------------------------------------------------------------ questions
q1 = Question(
    "q1",
    "gd_step",
    tests=[
        call(
            [np.array([3.0]), np.array([6.0]), 0.1], reference_gd_step, name="gd_step"
        ),
        call(
            [np.array([1.0, -2.0]), np.array([0.5, 4.0]), 0.25],
            reference_gd_step,
            name="gd_step",
        ),
    ],
    hint="θ_new = θ - lr · ∇L(θ). Return a new array: `theta - lr * grad` creates one, "
    "while `theta -= ...` would change the caller's array.",
)

# The limits 2 / λ_max(H), computed once (λ_max: 20, 2 and 3).
q2 = Question(
    "q2",
    "stable_lr_limit",
    tests=[
        call(
            [np.diag([1.0, 20.0])],
            0.1,
            name="stable_lr_limit (the chapter's valley)",
            compare=number(),
        ),
        call(
            [2.0 * np.eye(2)],
            1.0,
            name="stable_lr_limit (the bowl x² + y²)",
            compare=number(),
        ),
        call(  # any symmetric positive definite H, not only a diagonal one
            [np.array([[2.0, 1.0], [1.0, 2.0]])],
            0.6666666666666666,
            name="stable_lr_limit (a non-diagonal H)",
            compare=number(),
        ),
    ],
    hint="The gradient of ½ θᵀHθ is Hθ, so one step multiplies θ by (I - lr·H). Along each "
    "eigenvector that is the factor 1 - lr·λ; it must stay in (-1, 1) for *every* eigenvalue λ. "
    "`np.linalg.eigvalsh(H)` gives the eigenvalues of a symmetric matrix.",
)

#: grad_fn of the valley ½ (x² + 20 y²), built where the answer runs.
VALLEY_GRAD = Code("lambda th: np.array([1.0, 20.0]) * th")
_BOWL_GRAD = Code("lambda th: 2.0 * th")  # gradient of x² + y²

q3 = Question(
    "q3",
    "gradient_descent",
    tests=[
        call(
            [VALLEY_GRAD, np.array([-3.5, 1.5]), 0.05, 30],
            reference_trajectory("valley"),
            name="gradient_descent",
        ),
        call(
            [_BOWL_GRAD, np.array([3.0, -1.0]), 0.3, 5],
            reference_trajectory("bowl"),
            name="gradient_descent",
        ),
    ],
    hint="Start a list with a copy of theta0; `steps` times append `last - lr * grad_fn(last)`; "
    "return `np.array(the_list)` of shape (steps + 1, len(theta0)).",
)

_X1 = np.stack([np.linspace(-1, 1, 6), np.ones(6)], axis=1)
_y1 = 1.5 * _X1[:, 0] - 1.0 + np.array([0.1, -0.2, 0.0, 0.3, -0.1, 0.05])

q4 = Question(
    "q4",
    "mse_gradient",
    tests=[
        call(
            [np.array([-1.5, 1.5]), _X1, _y1],
            reference_mse_gradient,
            name="mse_gradient",
        ),
        call(
            [np.array([0.0, 0.0]), _X1, _y1],
            reference_mse_gradient,
            name="mse_gradient",
        ),
    ],
    hint="L(θ) = (1/N) Σ (x_iᵀθ - y_i)². Its gradient is (2/N) Xᵀ(Xθ - y): the residuals, "
    "weighted by each example's features.",
)

q5 = Question(
    "q5",
    "minibatches",
    tests=[*minibatch_checks(20, 5, 0), *minibatch_checks(23, 5, 1)],
    points=2,
    hint="Make one random permutation of the indices, `np.random.default_rng(seed).permutation(len(X))`, "
    "then yield `X[idx], y[idx]` for consecutive slices `idx` of it of length batch_size.",
)


# ----------------------------------------------------------------- q6: choose a learning rate
#: q6's budget and target: the valley's loss below TARGET_LOSS after STEP_BUDGET steps.
TARGET_LOSS, STEP_BUDGET = 1e-2, 50


def valley_loss_after(lr: float, start: Any, steps: int) -> float:
    """The valley's loss after ``steps`` steps of :class:`dlcourse.optim.SGD` from ``start``
    (``inf`` once the walk diverges): the experiment that judges a chosen learning rate."""
    from dlcourse import landscapes, optim

    path = landscapes.trajectory(
        "valley", optim.SGD, start=np.asarray(start, dtype=float), steps=steps, lr=lr
    )
    last = path[-1]
    if not np.isfinite(last).all():
        return float("inf")
    return float(landscapes.valley.f(last))


def reaches_target(start: tuple[float, float]) -> Callable[[Any, Any, str], None]:
    """A ``compare`` for q6: gradient descent with the chosen learning rate, run from
    ``start`` for :data:`STEP_BUDGET` steps, ends below :data:`TARGET_LOSS`; a failure says
    the loss it reached."""

    def compare(answer: Any, expected: Any, label: str) -> None:
        if isinstance(answer, bool) or not isinstance(answer, (int, float)):
            raise AssertionError(
                f"{label} should be a number (a learning rate), not {describe(answer)}"
            )
        loss = valley_loss_after(float(answer), start, STEP_BUDGET)
        if not loss < TARGET_LOSS:
            grew = loss > valley_loss_after(float(answer), start, 0)
            reached = f"{'diverges, ' if grew else ''}ends at loss {loss:.3g}"
            raise AssertionError(
                f"with lr = {answer}, gradient descent on the valley from {start} "
                f"{reached} after {STEP_BUDGET} steps; the target is below {TARGET_LOSS}"
            )

    return compare


q6 = Question(
    "q6",
    "chosen_lr",
    tests=[value(compare=reaches_target((-3.5, 1.5)))],
    hint="Two directions, two speeds: along x each step multiplies the distance to the minimum by "
    "|1 - lr|, along y by |1 - 20 lr|. Both factors must be below 1, and the slower one sets how "
    "many steps you need. Which learning rates keep the y factor below 1, and among those, which "
    "makes the x factor smallest?",
)

# ----------------------------------------------------------------- q7: predict lr × 10
#: q7's starting learning rate on the valley (the prediction is about 10 × this).
PREDICT_LR = 0.012

q7 = Question(
    "q7",
    "prediction",
    tests=[choice(["A", "B", "C", "D"])],
    hint="Ten times 0.012 is 0.12. Compare it with the stability limit of the valley "
    "(question 2): what does one step do to the y coordinate at that learning rate?",
)

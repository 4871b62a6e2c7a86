"""Checkers for ``exercises/06_gradient_descent.ipynb``: the update rule, its stability, minibatches.

References: :class:`dlcourse.optim.SGD` (tested equal to ``torch.optim.SGD``),
:func:`dlcourse.landscapes.trajectory`, the autograd engine, finite differences, and
``np.linalg.eigvalsh`` for the curvature.

* q1 ``gd_step(theta, grad, lr)``                one gradient-descent step
* q2 ``stable_lr_limit(H)``                      2 / λ_max for the quadratic ½ θᵀHθ
* q3 ``gradient_descent(grad_fn, theta0, lr, steps)``   a whole trajectory
* q4 ``mse_gradient(theta, X, y)``               ∇ of the least-squares loss
* q5 ``minibatches(X, y, batch_size, seed)``     a shuffled minibatch iterator

See chapter: Gradient descent
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .compare import number
from .question import Question, call, holds

__all__ = ["q1", "q2", "q3", "q4", "q5"]

_rng = np.random.default_rng(606)


# ----------------------------------------------------------------- references
def _ref_gd_step(theta: np.ndarray, grad: np.ndarray, lr: float) -> np.ndarray:
    from dlcourse import optim
    from dlcourse.autograd import Tensor

    p = Tensor(np.array(theta, dtype=float), requires_grad=True)
    p.grad = np.array(grad, dtype=float)
    optim.SGD([p], lr=lr).step()
    return p.data


def _ref_limit(H: np.ndarray) -> float:
    return float(2.0 / np.linalg.eigvalsh(np.asarray(H, dtype=float)).max())


def _random_spd(n: int, seed: int = 0) -> np.ndarray:
    A = np.random.default_rng(seed).normal(size=(n, n))
    return A @ A.T + 0.1 * np.eye(n)


def _limit_is_sharp(answer: Callable[[np.ndarray], float]) -> bool:
    """Gradient descent on ½ θᵀHθ converges just below the answer and diverges just above."""
    H = _random_spd(3, seed=1)
    limit = float(answer(H.copy()))
    theta0 = np.ones(3)

    def final(lr: float) -> float:
        theta = theta0.copy()
        for _ in range(3000):
            theta = theta - lr * (H @ theta)
        return float(np.linalg.norm(theta))

    with np.errstate(over="ignore", invalid="ignore"):
        return final(0.97 * limit) < 1e-3 and not final(1.03 * limit) < 1e3


def _ref_trajectory(landscape: Any) -> Callable[..., np.ndarray]:
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


def _ref_mse_gradient(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    from dlcourse.autograd import Tensor

    t = Tensor(np.array(theta, dtype=float), requires_grad=True)
    ((Tensor(X) @ t - y) ** 2).mean().backward()
    return t.grad


def _fd_mse_gradient(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    h, out = 1e-6, np.zeros_like(theta)
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = h
        out[i] = (
            np.mean((X @ (theta + e) - y) ** 2) - np.mean((X @ (theta - e) - y) ** 2)
        ) / (2 * h)
    return out


def _check_minibatches(n: int, batch_size: int, seed: int) -> Callable[[Any], None]:
    """A test of the iterator's properties (the exact order is the student's choice)."""

    def test(answer: Any) -> None:
        what = (
            f"minibatches(X, y, batch_size={batch_size}, seed={seed}) with len(X) = {n}"
        )
        if not callable(answer):
            raise AssertionError("`minibatches` should be a function")
        X = np.arange(n, dtype=float)[:, None] * np.array(
            [1.0, -1.0]
        )  # row i is (i, -i)
        y = np.arange(n) * 10  # label of row i: 10 i
        X0, y0 = X.copy(), y.copy()
        try:
            batches = list(answer(X, y, batch_size, seed))
        except (NotImplementedError, AssertionError):
            raise
        except Exception as err:
            raise AssertionError(f"{what} raised {type(err).__name__}: {err}") from err
        if not (np.array_equal(X, X0) and np.array_equal(y, y0)):
            raise AssertionError(
                f"{what} modified X or y in place; shuffle a copy or an index array"
            )
        expected_sizes = [batch_size] * (n // batch_size) + (
            [n % batch_size] if n % batch_size else []
        )
        if len(batches) != len(expected_sizes):
            raise AssertionError(
                f"{what} gave {len(batches)} batches, expected {len(expected_sizes)} "
                f"(every example exactly once; the last batch may be smaller)"
            )
        rows, labels = [], []
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
            labels.append(yb)
            if not np.array_equal(yb, xb[:, 0].astype(int) * 10):
                raise AssertionError(
                    f"{what}: in batch {k} the labels do not belong to the rows next to "
                    f"them; shuffle X and y with the same index order"
                )
        order = np.concatenate(rows).astype(int)
        if not np.array_equal(np.sort(order), np.arange(n)):
            raise AssertionError(
                f"{what}: the batches should contain every example exactly once"
            )
        if n >= 10 and np.array_equal(order, np.arange(n)):
            raise AssertionError(
                f"{what}: the examples come in their original order; shuffle them"
            )
        again = np.concatenate(
            [b[0][:, 0] for b in answer(X, y, batch_size, seed)]
        ).astype(int)
        if not np.array_equal(again, order):
            raise AssertionError(
                f"{what}: the same seed should give the same order (use "
                f"np.random.default_rng(seed))"
            )
        other = np.concatenate(
            [b[0][:, 0] for b in answer(X, y, batch_size, seed + 1)]
        ).astype(int)
        if n >= 10 and np.array_equal(other, order):
            raise AssertionError(
                f"{what}: seed {seed + 1} gave the same order as seed {seed}; "
                f"a new seed should give a new order"
            )

    return test


# ------------------------------------------------------------------ questions
q1 = Question(
    "q1",
    "gd_step",
    tests=[
        call([np.array([3.0]), np.array([6.0]), 0.1], _ref_gd_step, name="gd_step"),
        call(
            [np.array([1.0, -2.0]), np.array([0.5, 4.0]), 0.25],
            _ref_gd_step,
            name="gd_step",
        ),
    ],
    hidden_tests=[
        call(
            [_rng.normal(size=(3, 4)), _rng.normal(size=(3, 4)), 0.01],
            _ref_gd_step,
            name="gd_step",
        ),
        call(
            [np.array([2.0, 2.0]), np.array([1.0, -1.0]), 0.0],
            _ref_gd_step,
            name="gd_step (lr = 0: a new array equal to theta)",
        ),
    ],
    hint="θ_new = θ - lr · ∇L(θ). Return a new array: `theta - lr * grad` creates one, "
    "while `theta -= ...` would change the caller's array.",
    solution="""
def gd_step(theta, grad, lr):
    return theta - lr * grad
""",
)

q2 = Question(
    "q2",
    "stable_lr_limit",
    tests=[
        call(
            [np.diag([1.0, 20.0])],
            _ref_limit,
            name="stable_lr_limit (the chapter's valley)",
            compare=number(),
        ),
        call(
            [2.0 * np.eye(2)],
            _ref_limit,
            name="stable_lr_limit (the bowl x² + y²)",
            compare=number(),
        ),
        call(  # any symmetric positive definite H, not only a diagonal one
            [np.array([[2.0, 1.0], [1.0, 2.0]])],
            _ref_limit,
            name="stable_lr_limit (a non-diagonal H)",
            compare=number(),
        ),
    ],
    hidden_tests=[
        call([_random_spd(4)], _ref_limit, name="stable_lr_limit (a non-diagonal H)"),
        call([np.array([[5.0]])], _ref_limit, name="stable_lr_limit (1 × 1)"),
        holds(
            _limit_is_sharp,
            "gradient descent on ½ θᵀHθ should converge for lr just below "
            "your limit and diverge just above it",
        ),
    ],
    hint="The gradient of ½ θᵀHθ is Hθ, so one step multiplies θ by (I - lr·H). Along each "
    "eigenvector that is the factor 1 - lr·λ; it must stay in (-1, 1) for *every* eigenvalue λ. "
    "`np.linalg.eigvalsh(H)` gives the eigenvalues of a symmetric matrix.",
    solution="""
def stable_lr_limit(H):
    return float(2.0 / np.linalg.eigvalsh(H).max())
""",
)


def _valley_grad(theta: np.ndarray) -> np.ndarray:
    return np.array([1.0, 20.0]) * theta  # gradient of ½ (x² + 20 y²)


def _bowl_grad(theta: np.ndarray) -> np.ndarray:
    return 2.0 * theta  # gradient of x² + y²


def _rosenbrock_grad(theta: np.ndarray) -> np.ndarray:
    from dlcourse import landscapes

    return landscapes.rosenbrock.grad(theta)


q3 = Question(
    "q3",
    "gradient_descent",
    tests=[
        call(
            [_valley_grad, np.array([-3.5, 1.5]), 0.05, 30],
            _ref_trajectory("valley"),
            name="gradient_descent",
        ),
        call(
            [_bowl_grad, np.array([3.0, -1.0]), 0.3, 5],
            _ref_trajectory("bowl"),
            name="gradient_descent",
        ),
    ],
    hidden_tests=[
        call(
            [_rosenbrock_grad, np.array([-1.5, 2.0]), 0.001, 200],
            _ref_trajectory("rosenbrock"),
            name="gradient_descent",
        ),
        call(
            [_valley_grad, np.array([1.0, 1.0]), 0.05, 0],
            _ref_trajectory("valley"),
            name="gradient_descent (steps = 0: just the start)",
        ),
        call(
            [_valley_grad, np.array([-3.5, 1.5]), 0.095, 40],
            _ref_trajectory("valley"),
            name="gradient_descent (lr near the limit)",
        ),
    ],
    hint="Start a list with a copy of theta0; `steps` times append `last - lr * grad_fn(last)`; "
    "return `np.array(the_list)` of shape (steps + 1, len(theta0)).",
    solution="""
def gradient_descent(grad_fn, theta0, lr, steps):
    path = [np.array(theta0, dtype=float)]
    for _ in range(steps):
        path.append(path[-1] - lr * grad_fn(path[-1]))
    return np.array(path)
""",
)

_X1 = np.stack([np.linspace(-1, 1, 6), np.ones(6)], axis=1)
_y1 = 1.5 * _X1[:, 0] - 1.0 + np.array([0.1, -0.2, 0.0, 0.3, -0.1, 0.05])
_X2 = _rng.normal(size=(40, 3))
_y2 = _rng.normal(size=40)
_t2 = _rng.normal(size=3)

q4 = Question(
    "q4",
    "mse_gradient",
    tests=[
        call([np.array([-1.5, 1.5]), _X1, _y1], _ref_mse_gradient, name="mse_gradient"),
        call([np.array([0.0, 0.0]), _X1, _y1], _ref_mse_gradient, name="mse_gradient"),
    ],
    hidden_tests=[
        call([_t2, _X2, _y2], _ref_mse_gradient, name="mse_gradient (3 parameters)"),
        call(
            [_t2, _X2, _y2],
            _fd_mse_gradient,
            name="mse_gradient vs finite differences",
            rtol=1e-5,
            atol=1e-7,
        ),
    ],
    hint="L(θ) = (1/N) Σ (x_iᵀθ - y_i)². Its gradient is (2/N) Xᵀ(Xθ - y): the residuals, "
    "weighted by each example's features.",
    solution="""
def mse_gradient(theta, X, y):
    return 2.0 / len(y) * X.T @ (X @ theta - y)
""",
)

q5 = Question(
    "q5",
    "minibatches",
    tests=[_check_minibatches(20, 5, 0), _check_minibatches(23, 5, 1)],
    hidden_tests=[
        _check_minibatches(101, 16, 7),
        _check_minibatches(3, 10, 0),
        _check_minibatches(64, 1, 2),
    ],
    points=2,
    hint="Make one random permutation of the indices, `np.random.default_rng(seed).permutation(len(X))`, "
    "then yield `X[idx], y[idx]` for consecutive slices `idx` of it of length batch_size.",
    solution="""
def minibatches(X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]
""",
)

"""Checkers for ``exercises/05_losses.ipynb``: MSE, cross-entropy, log-sum-exp.

Every answer is compared with the package's own losses (:mod:`dlcourse.losses`, which
are tested equal to PyTorch) or with ``torch.logsumexp`` in float64. The hidden tests and
the reference solutions are not here: they stay with the instructor
(``dlcourse_instructor.answers.ch05``).

* q1 ``rabbit_loss``                     the loss of one prediction given by its logits
* q2 ``mse(pred, target)``               mean squared error
* q3 ``binary_cross_entropy(p, y)``      mean BCE of probabilities
* q4 ``logsumexp(z)``                    log Σ exp(z), without overflow
* q5 ``cross_entropy_with_grad(z, t)``   loss of one example and its gradient w.r.t. the logits
* q6 ``max_logit_float32``               where a naive ``exp`` overflows in float32
* q7 ``diagnosis``                       diagnose: a run whose loss stalls at 100 % accuracy
* q8 ``batch_cross_entropy(z, t)``       find the bug: a "stable" batch loss that returns inf

See chapter: Loss functions (book/05_losses.ipynb)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .checks import call, value
from .choice import choice
from .compare import assert_close, assert_float, number
from .question import Question

__all__ = [
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "q6",
    "q7",
    "q8",
    "reference_mse",
    "reference_bce",
    "reference_logsumexp",
    "reference_ce_with_grad",
    "reference_batch_ce",
    "PHOTO_LOGITS",
    "pair",
    "is_float",
]


# ----------------------------------------------------------------- references
def reference_mse(pred: Any, target: Any) -> float:
    from dlcourse import losses
    from dlcourse.autograd import Tensor

    return losses.mse(
        Tensor(np.asarray(pred, dtype=float)), Tensor(np.asarray(target, dtype=float))
    ).item()


def reference_bce(p: Any, y: Any) -> float:
    from dlcourse import losses
    from dlcourse.autograd import Tensor

    return losses.binary_cross_entropy(
        Tensor(np.asarray(p, dtype=float)), Tensor(np.asarray(y, dtype=float))
    ).item()


def reference_logsumexp(z: Any) -> float:
    import torch

    return float(torch.logsumexp(torch.tensor(np.asarray(z, dtype=np.float64)), dim=0))


def reference_ce_with_grad(logits: Any, target: int) -> tuple[float, np.ndarray]:
    from dlcourse import losses
    from dlcourse.autograd import Tensor

    z = Tensor(np.asarray(logits, dtype=float), requires_grad=True)
    loss = losses.cross_entropy(z, np.int64(target))
    loss.backward()
    assert z.grad is not None
    return loss.item(), z.grad.copy()


def reference_batch_ce(logits: Any, targets: Any) -> float:
    """The mean cross-entropy of a batch of logits ``(N, C)`` by :func:`dlcourse.losses.cross_entropy`."""
    from dlcourse import losses
    from dlcourse.autograd import Tensor

    return losses.cross_entropy(
        Tensor(np.asarray(logits, dtype=float)), np.asarray(targets, dtype=np.int64)
    ).item()


def pair(
    first: str, second: str, rtol: float = 1e-6, atol: float = 1e-8
) -> Callable[[Any, Any, str], None]:
    """Compare a returned pair ``(first, second)`` part by part; ``first`` is a float."""

    def compare(actual: Any, expected: Any, what: str) -> None:
        if not isinstance(actual, tuple) or len(actual) != 2:
            raise AssertionError(
                f"{what} should return a tuple ({first}, {second}), "
                f"got {type(actual).__name__}"
            )
        assert_float(actual[0], f"{what}, {first}")
        assert_close(actual[0], expected[0], f"{what}, {first}", rtol=rtol, atol=atol)
        assert_close(actual[1], expected[1], f"{what}, {second}", rtol=rtol, atol=atol)

    return compare


def is_float(answer: Any, expected: Any, label: str) -> None:
    """A ``compare`` for a value that must be a float (``expected`` is not used)."""
    assert_float(answer, label)


# ------------------------------------------------------------------ questions
_P_DOG = np.array([0.90, 0.05, 0.05])
#: q1's logits (cat, dog, rabbit, fox); the photo shows a rabbit (class 2).
PHOTO_LOGITS = np.array([2.0, 1.0, 0.5, -0.5])

q1 = Question(
    "q1",
    "rabbit_loss",
    tests=[
        value(reference_ce_with_grad(PHOTO_LOGITS, 2)[0], name="rabbit_loss"),
        value(compare=is_float),
    ],
    hint="The cross-entropy of one example is -log of the probability the model gave to the *true* "
    "class. Logits are not probabilities yet: turn them into probabilities with the softmax first, "
    "then look up the true class.",
)

q2 = Question(
    "q2",
    "mse",
    tests=[
        call(
            [np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0])],
            reference_mse,
            name="mse",
            compare=number(),
        ),
        call(
            [np.array([0.5, -1.0]), np.array([-0.5, 1.0])],
            reference_mse,
            name="mse",
            compare=number(),
        ),
        call(  # any shape: the mean over all 6 elements
            [
                np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]]),
                np.array([[1.0, 0.0, 3.0], [1.0, 1.0, 1.0]]),
            ],
            reference_mse,
            name="mse",
            compare=number(),
        ),
    ],
    hint="MSE = (1/N) Σ (ŷ_i - y_i)²: subtract, square element by element, then average over *all* "
    "elements: `np.mean(...)`.",
)

q3 = Question(
    "q3",
    "binary_cross_entropy",
    tests=[
        call(
            [np.array([0.9, 0.2]), np.array([1.0, 0.0])],
            reference_bce,
            name="binary_cross_entropy",
            compare=number(),
        ),
        call(
            [np.array([0.5, 0.5, 0.5]), np.array([1.0, 0.0, 1.0])],
            reference_bce,
            name="binary_cross_entropy",
            compare=number(),
        ),
        call(  # "soft" targets between 0 and 1, which the prompt allows
            [np.array([0.6, 0.1, 0.8]), np.array([0.3, 0.5, 1.0])],
            reference_bce,
            name="binary_cross_entropy",
            compare=number(),
        ),
    ],
    hint="For each example the loss is -[y log p + (1 - y) log(1 - p)]; average over the examples. "
    "`np.log1p(-p)` computes log(1 - p) accurately when p is tiny.",
)

q4 = Question(
    "q4",
    "logsumexp",
    tests=[
        call(
            [np.array([1.0, 2.0, 3.0])],
            reference_logsumexp,
            name="logsumexp",
            compare=number(),
        ),
        call(
            [np.array([1000.0, 999.0, 990.0])],
            reference_logsumexp,
            name="logsumexp (large logits)",
            compare=number(),
        ),
        call(  # the prompt's second example: the naive formula gives -inf
            [np.array([-1000.0, -1001.0, -1010.0])],
            reference_logsumexp,
            name="logsumexp (very negative logits)",
            compare=number(),
        ),
    ],
    hint="Subtract the maximum m before exponentiating, and add it back after the log: "
    "log Σ exp(z) = m + log Σ exp(z - m). The largest term is then exp(0) = 1.",
)

q5 = Question(
    "q5",
    "cross_entropy_with_grad",
    tests=[
        call(
            [np.log(_P_DOG), 1],
            reference_ce_with_grad,
            name="cross_entropy_with_grad",
            compare=pair("loss", "gradient"),
        ),
        call(
            [np.array([2.0, -1.0, 0.5, 0.0]), 3],
            reference_ce_with_grad,
            name="cross_entropy_with_grad",
            compare=pair("loss", "gradient"),
        ),
        call(  # "finite for huge logits"
            [np.array([-800.0, 900.0, 0.0]), 0],
            reference_ce_with_grad,
            name="cross_entropy_with_grad (huge logits: use the log-sum-exp trick)",
            compare=pair("loss", "gradient"),
        ),
    ],
    points=2,
    hint="loss = logsumexp(z) - z[t] (q4 helps), and the gradient is softmax(z) - one_hot(t). "
    "Compute the softmax as exp(z - m) / Σ exp(z - m) with m = max(z).",
)

q6 = Question(
    "q6",
    "max_logit_float32",
    # the log of the largest float32 (computed once, written out)
    tests=[value(88.72283935546875, name="max_logit_float32", rtol=0.0, atol=0.01)],
    hint="exp(z) overflows when it exceeds the largest float32, `np.finfo(np.float32).max`; take its log. "
    "Or search: try `np.exp(np.float32(z))` for growing z.",
)

# ----------------------------------------------------------------- q7: diagnose a stalled run
q7 = Question(
    "q7",
    "diagnosis",
    tests=[choice(["A", "B", "C", "D"])],
    hint="Run 2 classifies every example right, yet its loss will not go below 0.5514. Suppose the "
    "numbers handed to `F.cross_entropy` were probabilities, between 0 and 1. What is the smallest "
    "loss it could then compute for 3 classes? Compare with log(1 + 2/e).",
)

# ----------------------------------------------------------------- q8: find the bug
# Batches where the bug shows (rows far apart in scale; a square batch, where a row
# maximum without keepdims broadcasts along the wrong axis) and one where it does not.
_ORDINARY = (np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]]), np.array([0, 2]))
_FAR_APART = (np.array([[1000.0, 999.0, 990.0], [-5.0, 0.0, 1.0]]), np.array([0, 2]))
_SQUARE = (
    np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0], [-800.0, -799.0, -805.0]]),
    np.array([0, 2, 1]),
)

q8 = Question(
    "q8",
    "batch_cross_entropy",
    tests=[
        call(list(_ORDINARY), reference_batch_ce, compare=number()),
        call(
            list(_FAR_APART),
            reference_batch_ce,
            name="batch_cross_entropy (rows of very different sizes)",
            compare=number(),
        ),
        call(
            list(_SQUARE),
            reference_batch_ce,
            name="batch_cross_entropy (a square batch, rows of different sizes)",
            compare=number(),
        ),
    ],
    points=2,
    hint="Shifting the logits of one example by a constant does not change its softmax, but the "
    "constant must keep *that row* from underflowing: if a row's largest logit is far below the "
    "shift, every exp of the row underflows to 0. Which maximum should each row subtract? Keep "
    "the shape (N, 1) so it broadcasts along the classes.",
)

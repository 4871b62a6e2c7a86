"""Checkers for ``exercises/05_losses.ipynb``: MSE, cross-entropy, log-sum-exp.

Every answer is compared with the package's own losses (:mod:`dlcourse.losses`, which
are tested equal to PyTorch) or with ``torch.logsumexp`` in float64. The hidden tests and
the reference solutions are not here: they stay with the instructor
(``dlcourse_instructor.answers.ch05``).

* q1 ``dog_loss``                        "90 % cat, 5 % dog" when it is a dog (recall)
* q2 ``mse(pred, target)``               mean squared error
* q3 ``binary_cross_entropy(p, y)``      mean BCE of probabilities
* q4 ``logsumexp(z)``                    log Σ exp(z), without overflow
* q5 ``cross_entropy_with_grad(z, t)``   loss of one example and its gradient w.r.t. the logits
* q6 ``max_logit_float32``               where a naive ``exp`` overflows in float32

See chapter: Loss functions (book/05_losses.ipynb)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .checks import call, value
from .compare import assert_close, assert_float, number
from .question import Question

__all__ = [
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "q6",
    "reference_mse",
    "reference_bce",
    "reference_logsumexp",
    "reference_ce_with_grad",
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

q1 = Question(
    "q1",
    "dog_loss",
    tests=[
        value(reference_ce_with_grad(np.log(_P_DOG), 1)[0], name="dog_loss"),
        value(compare=is_float),
    ],
    hint="The cross-entropy of one example is -log of the probability the model gave to the *true* "
    "class. Which class is true here, and what probability did it get?",
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
    hint="Subtract, square element by element, then average over *all* elements: `np.mean(...)`.",
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

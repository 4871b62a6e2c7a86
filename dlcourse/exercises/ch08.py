"""Checkers for ``exercises/08_training.ipynb``: the pieces of a real training run.

References: :func:`dlcourse.train.accuracy` and :func:`dlcourse.train.fit`,
:class:`dlcourse.optim.Adam` (tested equal to ``torch.optim.Adam``) and
``sklearn.metrics.confusion_matrix``. The hidden tests and the reference solutions are not
here: they stay with the instructor (``dlcourse_instructor.answers.ch08``).

* q1 ``accuracy_from_logits(logits, y)``              fraction of correct arg-max predictions
* q2 ``standardise(X_train, X)``                      images (N, C, H, W) standardised per channel, training statistics only
* q3 ``adam_step(param, grad, m, v, t, lr, betas, eps)``   one Adam update
* q4 ``train_epoch(model, optimizer, X, y, batch_size, accumulate, seed)``   gradient accumulation
* q5 ``confusion_matrix(y_true, y_pred, n_classes)``  counts of (true, predicted) pairs
* q6 ``run_3_cause``                                  diagnose a broken run from its logs
* q7 ``untrustworthy_test_run``                       which run's test accuracy is not honest
* q8 ``train(model, optimizer, X, y, epochs, batch_size, seed)``   repair a broken loop

See chapter: Training a real network (book/08_training.ipynb)
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from dlcourse import nn

from .ch08_runs import RUN_LOGS, RepairCheck
from .checks import Call, call
from .choice import choice
from .compare import number, parts
from .question import Question
from .train_epoch_check import TrainEpochCheck

__all__ = [
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "q6",
    "q7",
    "q8",
    "CAUSES",
    "reference_accuracy",
    "reference_adam",
    "reference_confusion",
    "adam_steps",
    "ADAM",
    "LOGITS",
    "LABELS",
]

_rng = np.random.default_rng(808)


# ----------------------------------------------------------------- references
def reference_accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    """:func:`dlcourse.train.accuracy` of a model that outputs ``logits``."""
    from dlcourse.train import accuracy

    return accuracy(nn.Identity(), np.asarray(logits, dtype=float), y)


def reference_adam(
    param: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step ``t`` of :class:`dlcourse.optim.Adam`, started from the given moments."""
    from dlcourse import optim
    from dlcourse.autograd import Tensor

    p = Tensor(np.array(param, dtype=float), requires_grad=True)
    opt = optim.Adam([p], lr=lr, betas=betas, eps=eps)
    opt.state[0].update(
        step=t - 1,
        exp_avg=np.array(m, dtype=float),
        exp_avg_sq=np.array(v, dtype=float),
    )
    p.grad = np.array(grad, dtype=float)
    opt.step()
    return p.data, opt.state[0]["exp_avg"], opt.state[0]["exp_avg_sq"]


ADAM = {"name": "adam_step", "compare": parts("param", "m", "v", rtol=1e-9, atol=1e-12)}


def adam_steps(seed: int, steps: int = 10, **hyper: Any) -> list[Call]:
    """``steps`` checks along one trajectory of :class:`dlcourse.optim.Adam`.

    The gradient at each step depends on where the parameter is; check ``t`` calls
    ``adam_step`` on the parameter, the gradient and the moments ``m``, ``v`` that Adam has
    before its step ``t``, and expects what Adam has after it. An answer that passes them
    all follows the trajectory when fed back its own ``m`` and ``v``.
    """
    from dlcourse import optim
    from dlcourse.autograd import Tensor

    hyper = {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, **hyper}
    rng = np.random.default_rng(seed)
    start = rng.normal(size=(2, 3))
    ref = Tensor(start.copy(), requires_grad=True)
    opt = optim.Adam([ref], **hyper)
    m, v = np.zeros_like(start), np.zeros_like(start)
    shown = ", ".join(f"{k}={val}" for k, val in hyper.items())
    shown = re.sub(r"e-0(\d)", r"e-\1", shown)  # eps=1e-6, not 1e-06
    checks = []
    for t in range(1, steps + 1):
        before = ref.data.copy()
        g = rng.normal(size=(2, 3)) + ref.data  # the gradient depends on where we are
        ref.grad = g.copy()
        opt.step()
        after = (
            ref.data.copy(),
            opt.state[0]["exp_avg"].copy(),
            opt.state[0]["exp_avg_sq"].copy(),
        )
        checks.append(
            call(
                [before, g, m, v, t],
                after,
                kwargs=hyper,
                **dict(
                    ADAM,
                    name=f"adam_step (step {t} of {steps}: {steps} steps of adam_step "
                    f"(feeding back its m and v, with {shown}) should follow "
                    "dlcourse.optim.Adam's trajectory)",
                ),
            )
        )
        m, v = after[1], after[2]
    return checks


def reference_confusion(
    y_true: np.ndarray, y_pred: np.ndarray, n_classes: int
) -> np.ndarray:
    """``sklearn.metrics.confusion_matrix`` with every class 0 … n_classes - 1."""
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(y_true, y_pred, labels=np.arange(n_classes))


# ------------------------------------------------------------------ questions
LOGITS = _rng.normal(size=(50, 10))
LABELS = _rng.integers(0, 10, size=50)

q1 = Question(
    "q1",
    "accuracy_from_logits",
    tests=[
        call(
            [
                np.array(
                    [[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0], [4.0, 5.0, 0.0]]
                ),
                np.array([0, 1, 1, 0]),
            ],
            reference_accuracy,
            name="accuracy_from_logits",
            compare=number(),
        ),
        call(
            [LOGITS[:20], LABELS[:20]],
            reference_accuracy,
            name="accuracy_from_logits",
            compare=number(),
        ),
    ],
    hint="The predicted class is the index of the largest logit in each row: `logits.argmax(axis=1)`. "
    "Compare with y and take the mean of the booleans.",
)

# Draws kept from an earlier q2: the inputs of the checks below stay as they were.
_rng.normal(loc=3.0, scale=2.0, size=(30, 4))
_rng.normal(loc=3.0, scale=2.0, size=(7, 4))

# q2's images, (N, C, H, W). Training images: channel 0 varies from pixel to pixel (so
# per-pixel statistics differ from the channel's), channel 1 is constant (std 0: the guard).
_IMAGES_TRAIN = np.array(
    [
        [[[0.0, 1.0], [2.0, 3.0]], [[5.0, 5.0], [5.0, 5.0]]],
        [[[4.0, 5.0], [6.0, 7.0]], [[5.0, 5.0], [5.0, 5.0]]],
    ]
)
_IMAGES_OTHER = np.array([[[[1.0, 3.0], [5.0, 7.0]], [[5.0, 6.0], [4.0, 5.0]]]])
# As many channels as columns (C = W = 2): statistics of shape (C,), without keepdims,
# broadcast along the columns instead of the channels and give wrong numbers, not an error.
_SQUARE_TRAIN = np.array(
    [
        [[[1.0, 2.0]], [[10.0, 14.0]]],
        [[[3.0, 0.0]], [[12.0, 8.0]]],
        [[[2.0, 4.0]], [[6.0, 10.0]]],
    ]
)
_SQUARE_OTHER = np.array(
    [[[[0.0, 5.0]], [[10.0, 20.0]]], [[[-1.0, 2.0]], [[0.0, 9.0]]]]
)
# The expected images, computed once with sklearn's StandardScaler fitted on the training
# images' pixels as rows of C channels: (x - mean_) / (sqrt(var_) + 0.1), channel by channel.
# fmt: off
_IMAGES_EXPECTED = np.array([[
    [[-1.0454617592929007, -0.20909235185858016], [0.6272770555757404, 1.463646463010061]],
    [[0.0, 10.0], [-10.0, 0.0]],
]])
_SQUARE_EXPECTED = np.array([
    [[[-1.437820260043226, 2.156730390064839]], [[0.0, 3.7285762105232014]]],
    [[[-2.156730390064839, 0.0]], [[-3.7285762105232014, -0.3728576210523202]]],
])
# fmt: on

q2 = Question(
    "q2",
    "standardise",
    tests=[
        call(
            [_IMAGES_TRAIN, _IMAGES_OTHER],
            _IMAGES_EXPECTED,
            name="standardise (2 training images of 2 channels of 2 x 2 pixels; "
            "another image to standardise)",
        ),
        call(
            [_SQUARE_TRAIN, _SQUARE_OTHER],
            _SQUARE_EXPECTED,
            name="standardise (2 channels of 1 x 2 pixels: as many channels as columns)",
        ),
    ],
    hint="One mean and one standard deviation per channel: reduce X_train over every axis "
    "but the channel axis, `axis=(0, 2, 3)`, and keep the reduced axes (`keepdims=True`) so "
    "that the statistics, of shape (1, C, 1, 1), broadcast along the channels of X. Then "
    "(X - mean) / (std + 0.1), with statistics of X_train even when X is another set.",
)

_p, _g, _m = (_rng.normal(size=(3, 2)) for _ in range(3))
_v = _rng.uniform(0.1, 1.0, size=(3, 2))

q3 = Question(
    "q3",
    "adam_step",
    tests=[
        call(
            [np.array([1.0]), np.array([0.5]), np.zeros(1), np.zeros(1), 1],
            reference_adam,
            **ADAM,
        ),
        call([_p, _g, _m, _v, 5], reference_adam, kwargs={"lr": 0.01}, **ADAM),
        call(  # the betas and eps you are given, not the defaults
            [_p, _g, _m, _v, 2],
            reference_adam,
            kwargs={"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-2},
            **ADAM,
        ),
        # "compares with dlcourse.optim.Adam over several steps"
        *adam_steps(seed=3),
    ],
    points=2,
    hint="m = β1 m + (1-β1) g;  v = β2 v + (1-β2) g²;  m̂ = m / (1-β1^t);  v̂ = v / (1-β2^t);  "
    "param - lr m̂ / (√v̂ + eps). Return new arrays (no `+=` on the inputs).",
)

q4 = Question(
    "q4",
    "train_epoch",
    tests=[
        # 200 = 4 groups of 48 + a last group of one piece of 8
        TrainEpochCheck(200, 16, 16, 0, "SGD", accumulate=3),
        # 150 = 4 groups of 32 + a last group of 22 = 8 + 8 + 6: pieces of unequal size
        TrainEpochCheck(150, 8, 8, 3, "SGD", accumulate=4),
    ],
    points=2,
    hint="Take the order from `np.random.default_rng(seed).permutation(len(X))`, cut it into "
    "groups of batch_size * accumulate entries and each group into pieces of batch_size. "
    "Zero the gradients once per group and step once per group. The mean loss of a group is "
    "the sum over its pieces of (the piece's mean loss) x (piece size / group size), and "
    "`backward` adds up gradients: call it on each piece's loss times that weight. Dividing "
    "by `accumulate` is right only when every piece of every group is full.",
)

_yt = _rng.integers(0, 4, size=60)
_yp = np.where(_rng.uniform(size=60) < 0.7, _yt, _rng.integers(0, 4, size=60))

q5 = Question(
    "q5",
    "confusion_matrix",
    tests=[
        call(
            [np.array([0, 1, 2, 2, 1]), np.array([0, 2, 2, 2, 1]), 3],
            reference_confusion,
            name="confusion_matrix",
        ),
        call([_yt, _yp, 4], reference_confusion, name="confusion_matrix"),
        call(  # "classes that never occur still get their (zero) row and column"
            [np.array([0, 2, 2, 0]), np.array([0, 2, 0, 0]), 4],
            reference_confusion,
            name="confusion_matrix",
        ),
    ],
    hint="Start from `np.zeros((n_classes, n_classes), dtype=int)` and add 1 at [true, predicted] for "
    "every example: a loop does it, and so does `np.add.at` with the index pair (y_true, y_pred), "
    "which counts repeated pairs (a plain `C[y_true, y_pred] += 1` would count each pair once). "
    "Rows: true class; columns: predicted.",
)


# ----------------------------------------------------------- q6-q8: broken runs
#: The causes q6 offers (described in the notebook): A no zero_grad, B learning rate 10x
#: too high, C softmax fed into cross_entropy, D unshuffled data, E a leaked test set,
#: F nothing wrong.
CAUSES = ("A", "B", "C", "D", "E", "F")

q6 = Question(
    "q6",
    "run_3_cause",
    tests=[choice(CAUSES)],
    hint="Run 3 starts at ln 10 ≈ 2.30, like a network that knows nothing, and creeps down "
    "while its accuracy climbs to a respectable level. What is the smallest cross-entropy "
    "possible if the numbers handed to `cross_entropy` can only lie between 0 and 1? "
    "`losses.cross_entropy` applies its own softmax.",
)

q7 = Question(
    "q7",
    "untrustworthy_test_run",
    tests=[choice(sorted(RUN_LOGS))],
    hint="The test set estimates the accuracy on digits the network has never seen. For "
    "every run, compare its test accuracy with its validation accuracy: both are samples "
    "of 270 unseen digits, so they should agree to within a few points.",
)

q8 = Question(
    "q8",
    "train",
    tests=[
        RepairCheck(model_seed=0, seed=0),
        RepairCheck(model_seed=1, seed=5),
    ],
    points=2,
    hint="Three lines are wrong or missing. Compare with the four steps of every training "
    "step (zero the gradients, forward, backward, step) and with what `fit` does at the start "
    "of every epoch. Then look at what is handed to the loss: `losses.cross_entropy` "
    "expects logits.",
)

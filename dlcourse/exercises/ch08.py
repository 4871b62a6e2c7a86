"""Checkers for ``exercises/08_training.ipynb``: the pieces of a real training run.

References: :func:`dlcourse.train.accuracy` and :func:`dlcourse.train.fit`,
:class:`dlcourse.optim.Adam` (tested equal to ``torch.optim.Adam``) and
``sklearn.metrics.confusion_matrix``. The hidden tests and the reference solutions are not
here: they stay with the instructor (``dlcourse_instructor.answers.ch08``).

* q1 ``accuracy_from_logits(logits, y)``              fraction of correct arg-max predictions
* q2 ``standardise(X_train, X)``                      the chapter's input scaling, training statistics only
* q3 ``adam_step(param, grad, m, v, t, lr, betas, eps)``   one Adam update
* q4 ``train_epoch(model, optimizer, X, y, batch_size, seed)``   the training loop, written out
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
    "XTR",
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

XTR = _rng.normal(loc=3.0, scale=2.0, size=(30, 4))
XTR[:, 3] = 0.0  # a pixel that is always blank: its std is 0
_rng.normal(
    loc=3.0, scale=2.0, size=(7, 4)
)  # drawn for a hidden test: keeps what follows

# standardise(XTR, XTR), computed once: (XTR - its mean) / (its std + 0.1), by column
# fmt: off
_XTR_STANDARDISED = np.array([
    [0.9917220755609604, -0.43358840180080177, 0.24497148789979192, 0.0],
    [-0.4526533048942275, 1.6150591082533985, -0.22852563935331863, 0.0],
    [0.971590542434993, 0.4664029771641057, 1.3748500375970845, 0.0],
    [-0.05349716538414742, -1.2312689171096518, 1.882891313586404, 0.0],
    [-1.6189330193956595, -1.0339401590633115, -0.6792635246925912, 0.0],
    [-0.29329684460949346, 0.9689131584396247, -0.42125064194386364, 0.0],
    [0.4831864920794314, 0.35170556810299425, 0.4365190478019556, 0.0],
    [0.37656677474140904, -0.979619091524463, 0.0841063080638405, 0.0],
    [0.9529201317296873, -1.2447600562076544, -0.7329134918165903, 0.0],
    [1.1678865035107835, -1.0623950299856477, 1.681898251221434, 0.0],
    [0.10841651614427522, -0.8137681729671001, 0.34895797375788395, 0.0],
    [0.4247353125766937, -0.9460942202991237, 1.238900257458085, 0.0],
    [1.1196048961985787, -0.8836218552608415, -1.24818529643435, 0.0],
    [1.269119201861813, 1.1734208472696623, -1.0504497601948262, 0.0],
    [-2.5502220400081486, 0.44814167715705383, -0.031637169103273584, 0.0],
    [-0.5103360572263596, 1.3352428882408907, -1.1270649654860412, 0.0],
    [2.0485314009094786, -0.6531504015276017, 1.3753599501136584, 0.0],
    [0.15721955572198743, -0.5265437305866542, -0.6995803742289438, 0.0],
    [-0.9162639981814457, 0.6715826188630757, -0.3597859661531065, 0.0],
    [0.2206716523176918, 1.810501575404267, 0.42367993838241713, 0.0],
    [0.5937379567176739, 0.12988279086362534, 0.054090598571159484, 0.0],
    [-0.7921778711541527, -0.20131545141103574, -0.13895222345973138, 0.0],
    [-0.0696282256674548, -0.26882145333021723, -0.7200062253183911, 0.0],
    [-0.5986848106687933, 2.4157041130171013, -0.904392872983102, 0.0],
    [0.36740428652950646, 0.00650860523581505, -1.6070584966121038, 0.0],
    [-0.7386440402191484, -0.5290345738676642, -1.2760194489564836, 0.0],
    [-1.0535632178184968, 0.36225404785433407, 0.2739725198460347, 0.0],
    [0.042422258811223204, -0.06674891005108612, -0.7680606081412398, 0.0],
    [-0.3742054877724863, -0.7762464302670202, 1.4552326974489616, 0.0],
    [-1.2736294748461667, -0.10440312060606954, 1.1177163231292369, 0.0],
])
# fmt: on

q2 = Question(
    "q2",
    "standardise",
    tests=[
        call(
            [
                np.array([[0.0, 10.0], [2.0, 10.0], [4.0, 10.0]]),
                np.array([[2.0, 11.0], [6.0, 9.0]]),
            ],
            # mean (2, 10), std (1.633, 0): computed once
            np.array([[0.0, 10.0], [2.308145287611722, -10.0]]),
            name="standardise",
        ),
        call(
            [XTR, XTR],
            _XTR_STANDARDISED,
            name="standardise (the training set itself)",
        ),
    ],
    hint="Per feature (column, `axis=0`) of X_train: mean μ and standard deviation σ. Return "
    "(X - μ) / (σ + 0.1) — the statistics come from X_train even when X is another set.",
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
        TrainEpochCheck(200, 16, 32, 0, "SGD"),
        TrainEpochCheck(150, 8, 64, 3, "Adam"),
    ],
    points=2,
    hint="order = np.random.default_rng(seed).permutation(len(X)); for each slice idx of batch_size "
    "indices: optimizer.zero_grad(); loss = losses.cross_entropy(model(Tensor(X[idx])), y[idx]); "
    "loss.backward(); optimizer.step(). Add loss.item() * len(idx) to a total, and return total / len(X).",
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

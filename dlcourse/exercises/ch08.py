"""Checkers for ``exercises/08_training.ipynb``: the pieces of a real training run.

References: :func:`dlcourse.train.accuracy` and :func:`dlcourse.train.fit`,
:class:`dlcourse.optim.Adam` (tested equal to ``torch.optim.Adam``) and
``sklearn.metrics.confusion_matrix``.

* q1 ``accuracy_from_logits(logits, y)``              fraction of correct arg-max predictions
* q2 ``standardise(X_train, X)``                      the chapter's input scaling, training statistics only
* q3 ``adam_step(param, grad, m, v, t, lr, betas, eps)``   one Adam update
* q4 ``train_epoch(model, optimizer, X, y, batch_size, seed)``   the training loop, written out
* q5 ``confusion_matrix(y_true, y_pred, n_classes)``  counts of (true, predicted) pairs

See chapter: Training a real network
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .compare import assert_close, number, parts
from .question import Question, call, holds

__all__ = ["q1", "q2", "q3", "q4", "q5"]

_rng = np.random.default_rng(808)


# ----------------------------------------------------------------- references
def _ref_accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    from dlcourse import nn
    from dlcourse.train import accuracy

    return accuracy(nn.Identity(), np.asarray(logits, dtype=float), y)


def _ref_standardise(X_train: np.ndarray, X: np.ndarray) -> np.ndarray:
    return (X - X_train.mean(axis=0)) / (X_train.std(axis=0) + 0.1)


def _ref_adam(
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


def _adam_trajectory(answer: Callable[..., Any]) -> bool:
    """Ten steps of the answer, fed back its own moments, equal ten steps of dlcourse's Adam."""
    from dlcourse import optim
    from dlcourse.autograd import Tensor

    rng = np.random.default_rng(3)
    start = rng.normal(size=(2, 3))
    ref = Tensor(start.copy(), requires_grad=True)
    opt = optim.Adam([ref], lr=0.05, betas=(0.8, 0.99), eps=1e-6)
    p, m, v = start.copy(), np.zeros_like(start), np.zeros_like(start)
    for t in range(1, 11):
        g = rng.normal(size=(2, 3)) + ref.data  # the gradient depends on where we are
        ref.grad = g.copy()
        opt.step()
        out = answer(p, g.copy(), m, v, t, lr=0.05, betas=(0.8, 0.99), eps=1e-6)
        if not (isinstance(out, tuple) and len(out) == 3):
            return False
        p, m, v = (np.array(a, dtype=float) for a in out)
    return bool(np.allclose(p, ref.data, rtol=1e-9, atol=1e-12))


def _small_digits(n: int) -> tuple[np.ndarray, np.ndarray]:
    from dlcourse.data import digits

    d = digits(seed=0)
    return d.X_train[:n], d.y_train[:n]


def _check_train_epoch(
    n: int, hidden: int, batch_size: int, seed: int, opt_name: str
) -> Callable[[Any], None]:
    """Run the answer and :func:`dlcourse.train.fit` (one epoch) on twin models; compare everything."""

    def test(answer: Any) -> None:
        from dlcourse import losses, nn, optim
        from dlcourse.train import fit

        if not callable(answer):
            raise AssertionError("`train_epoch` should be a function")
        X, y = _small_digits(n)
        X0, y0 = X.copy(), y.copy()

        def make() -> tuple[Any, Any]:
            model = nn.MLP([64, hidden, 10], seed=1)
            opt = (
                optim.Adam(model.parameters(), lr=0.01)
                if opt_name == "Adam"
                else optim.SGD(model.parameters(), lr=0.1)
            )
            return model, opt

        what = (
            f"train_epoch(MLP([64, {hidden}, 10]), {opt_name}, X ({n}, 64), y, "
            f"batch_size={batch_size}, seed={seed})"
        )
        if "fit" in getattr(getattr(answer, "__code__", None), "co_names", ()):
            raise AssertionError(
                "train_epoch should write the loop itself, not call `fit`"
            )
        import dlcourse.train as train_module

        def no_fit(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError(
                "train_epoch should write the loop itself, not call dlcourse.train.fit"
            )

        ours, ours_opt = make()
        real_fit, train_module.fit = train_module.fit, no_fit
        try:
            result = answer(ours, ours_opt, X, y, batch_size, seed)
        except (NotImplementedError, AssertionError):
            raise
        except Exception as err:
            raise AssertionError(f"{what} raised {type(err).__name__}: {err}") from err
        finally:
            train_module.fit = real_fit
        if not (np.array_equal(X, X0) and np.array_equal(y, y0)):
            raise AssertionError(f"{what} modified X or y in place")
        ref, ref_opt = make()
        history = fit(
            ref,
            losses.cross_entropy,
            ref_opt,
            (X0, y0),
            epochs=1,
            batch_size=batch_size,
            seed=seed,
            progress=False,
        )
        for (name, p), q in zip(ours.named_parameters(), ref.parameters()):
            assert_close(
                p.data,
                q.data,
                f"{what}: the parameter {name} after the epoch",
                rtol=1e-7,
                atol=1e-10,
            )
        assert_close(
            result,
            history.train_loss[0],
            f"{what}: the returned mean training loss",
            rtol=1e-7,
            atol=1e-10,
        )

    return test


def _ref_confusion(
    y_true: np.ndarray, y_pred: np.ndarray, n_classes: int
) -> np.ndarray:
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(y_true, y_pred, labels=np.arange(n_classes))


# ------------------------------------------------------------------ questions
_logits = _rng.normal(size=(50, 10))
_labels = _rng.integers(0, 10, size=50)

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
            _ref_accuracy,
            name="accuracy_from_logits",
            compare=number(),
        ),
        call(
            [_logits[:20], _labels[:20]],
            _ref_accuracy,
            name="accuracy_from_logits",
            compare=number(),
        ),
    ],
    hidden_tests=[
        call([_logits, _labels], _ref_accuracy, name="accuracy_from_logits"),
        call(
            [_logits, _logits.argmax(axis=1)],
            _ref_accuracy,
            name="accuracy_from_logits (all correct)",
        ),
    ],
    hint="The predicted class is the index of the largest logit in each row: `logits.argmax(axis=1)`. "
    "Compare with y and take the mean of the booleans.",
    solution="""
def accuracy_from_logits(logits, y):
    return float(np.mean(logits.argmax(axis=1) == y))
""",
)

_Xtr = _rng.normal(loc=3.0, scale=2.0, size=(30, 4))
_Xtr[:, 3] = 0.0  # a pixel that is always blank: its std is 0
_Xte = _rng.normal(loc=3.0, scale=2.0, size=(7, 4))

q2 = Question(
    "q2",
    "standardise",
    tests=[
        call(
            [
                np.array([[0.0, 10.0], [2.0, 10.0], [4.0, 10.0]]),
                np.array([[2.0, 11.0], [6.0, 9.0]]),
            ],
            _ref_standardise,
            name="standardise",
        ),
        call(
            [_Xtr, _Xtr], _ref_standardise, name="standardise (the training set itself)"
        ),
    ],
    hidden_tests=[
        call(
            [_Xtr, _Xte],
            _ref_standardise,
            name="standardise (a test set: use the TRAINING statistics)",
        )
    ],
    hint="Per feature (column, `axis=0`) of X_train: mean μ and standard deviation σ. Return "
    "(X - μ) / (σ + 0.1) — the statistics come from X_train even when X is another set.",
    solution="""
def standardise(X_train, X):
    mean = X_train.mean(axis=0)
    scale = X_train.std(axis=0) + 0.1
    return (X - mean) / scale
""",
)

_p, _g, _m = (_rng.normal(size=(3, 2)) for _ in range(3))
_v = _rng.uniform(0.1, 1.0, size=(3, 2))
_ADAM = dict(name="adam_step", compare=parts("param", "m", "v", rtol=1e-9, atol=1e-12))
_ADAM_STEPS = holds(
    _adam_trajectory,
    "ten steps of adam_step (feeding back its m and v, with lr=0.05, betas=(0.8, 0.99), "
    "eps=1e-6) should follow dlcourse.optim.Adam's trajectory",
)

q3 = Question(
    "q3",
    "adam_step",
    tests=[
        call(
            [np.array([1.0]), np.array([0.5]), np.zeros(1), np.zeros(1), 1],
            _ref_adam,
            **_ADAM,
        ),
        call([_p, _g, _m, _v, 5], _ref_adam, kwargs=dict(lr=0.01), **_ADAM),
        call(  # the betas and eps you are given, not the defaults
            [_p, _g, _m, _v, 2],
            _ref_adam,
            kwargs={"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-2},
            **_ADAM,
        ),
        _ADAM_STEPS,  # "compares with dlcourse.optim.Adam over several steps"
    ],
    hidden_tests=[
        call(
            [_p, _g, _m, _v, 3],
            _ref_adam,
            kwargs=dict(lr=0.1, betas=(0.5, 0.9), eps=1e-3),
            **_ADAM,
        ),
        _ADAM_STEPS,
    ],
    points=2,
    hint="m = β1 m + (1-β1) g;  v = β2 v + (1-β2) g²;  m̂ = m / (1-β1^t);  v̂ = v / (1-β2^t);  "
    "param - lr m̂ / (√v̂ + eps). Return new arrays (no `+=` on the inputs).",
    solution="""
def adam_step(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
""",
)

q4 = Question(
    "q4",
    "train_epoch",
    tests=[
        _check_train_epoch(200, 16, 32, 0, "SGD"),
        _check_train_epoch(150, 8, 64, 3, "Adam"),
    ],
    hidden_tests=[_check_train_epoch(101, 12, 25, 5, "Adam")],
    points=2,
    hint="order = np.random.default_rng(seed).permutation(len(X)); for each slice idx of batch_size "
    "indices: optimizer.zero_grad(); loss = losses.cross_entropy(model(Tensor(X[idx])), y[idx]); "
    "loss.backward(); optimizer.step(). Add loss.item() * len(idx) to a total, and return total / len(X).",
    solution="""
def train_epoch(model, optimizer, X, y, batch_size, seed):
    order = np.random.default_rng(seed).permutation(len(X))
    total = 0.0
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        optimizer.zero_grad()                                  # forget the last gradient
        loss = losses.cross_entropy(model(Tensor(X[idx])), y[idx])   # forward
        loss.backward()                                        # backward
        optimizer.step()                                       # update
        total += loss.item() * len(idx)
    return total / len(X)
""",
)

_yt = _rng.integers(0, 4, size=60)
_yp = np.where(_rng.uniform(size=60) < 0.7, _yt, _rng.integers(0, 4, size=60))

q5 = Question(
    "q5",
    "confusion_matrix",
    tests=[
        call(
            [np.array([0, 1, 2, 2, 1]), np.array([0, 2, 2, 2, 1]), 3],
            _ref_confusion,
            name="confusion_matrix",
        ),
        call([_yt, _yp, 4], _ref_confusion, name="confusion_matrix"),
        call(  # "classes that never occur still get their (zero) row and column"
            [np.array([0, 2, 2, 0]), np.array([0, 2, 0, 0]), 4],
            _ref_confusion,
            name="confusion_matrix",
        ),
    ],
    hidden_tests=[
        call(
            [np.array([0, 0, 1]), np.array([0, 0, 1]), 5],
            _ref_confusion,
            name="confusion_matrix (classes that never occur still get a row and a column)",
        ),
        call(
            [np.array([1, 1, 1, 1]), np.array([0, 0, 0, 0]), 2],
            _ref_confusion,
            name="confusion_matrix",
        ),
        call(
            [_yp, _yt, 4],
            _ref_confusion,
            name="confusion_matrix (rows are TRUE classes)",
        ),
    ],
    hint="Start from `np.zeros((n_classes, n_classes), dtype=int)` and add 1 at [true, predicted] for "
    "every example (a loop, or `np.add.at(C, (y_true, y_pred), 1)`). Rows: true class; columns: predicted.",
    solution="""
def confusion_matrix(y_true, y_pred, n_classes):
    C = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(C, (y_true, y_pred), 1)
    return C
""",
)

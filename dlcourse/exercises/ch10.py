"""Checkers for ``exercises/10_trainable.ipynb``: initialisation, normalisation, residual
connections, a learning-rate schedule and a sanity check before training.

The expected answers are measured or come from PyTorch, never from a solution: the second
moment of a deep ReLU network is *measured* on random networks, batch normalisation is
``torch.nn.functional.batch_norm`` in float64 (training mode, and its running-statistics
update), the residual block is built from ``torch.nn.functional.linear``, and the schedule's values are
``torch.optim.lr_scheduler``'s (``LinearLR`` then ``CosineAnnealingLR``, chained by
``SequentialLR``), written out. The choices (q6–q8) are judged for their form only
(:mod:`.choice`). The hidden tests and the reference solutions are not here: they stay with
the instructor (``dlcourse_instructor.answers.ch10``).

* q1 ``relu_second_moment(q0, fan_in, std, depth)``   the He derivation: E[z²] after ReLU layers
* q2 ``batchnorm_train(x, gamma, beta, eps)``          BatchNorm1d in training mode, forward
* q3 ``update_running(running_mean, running_var, x, momentum)``   PyTorch's running statistics
* q4 ``residual_forward(x, W1, b1, W2, b2)``           x + F(x), F a two-layer ReLU block
* q5 ``warmup_cosine_lr(step, base_lr, warmup, total)``   linear warm-up, then cosine decay
* q6 ``broken_runs``                                    which initial losses say "bug"
* q7 ``flat_loss_cause``                                the cause of a flat loss, from layer statistics
* q8 ``depth_effect``                                   the first layer's gradient as plain layers are added

See chapter: Making deep networks trainable (book/10_trainable.ipynb)
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .checks import Call, call
from .choice import choice
from .compare import number, parts
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
    "measured_second_moment",
    "moment_check",
    "reference_batchnorm",
    "reference_running",
    "reference_residual",
    "schedule_check",
    "SCHEDULE",
    "is_float",
    "RUNNING",
    "INITIAL_LOSSES",
]


# ----------------------------------------------------------------- q1: initialisation
@functools.cache
def measured_second_moment(
    q0: float, fan_in: int, std: float, depth: int, networks: int = 8
) -> float:
    """E[z²] of the last pre-activation, measured: ``networks`` random ReLU networks of width
    ``fan_in`` (weights N(0, std²), no bias) on 128 Gaussian inputs of second moment ``q0``,
    averaged. An experiment, not the formula: it is how the formula is checked."""
    rng = np.random.default_rng(10)
    moments = []
    for _ in range(networks):
        z = rng.normal(scale=np.sqrt(q0), size=(128, fan_in))
        for _ in range(depth):
            z = np.maximum(z, 0.0) @ rng.normal(scale=std, size=(fan_in, fan_in))
        moments.append(np.mean(z**2))
    return float(np.mean(moments))


def is_float(answer: Any) -> float:
    """``answer`` if it is a float (a check that raises counts as failed)."""
    if not isinstance(answer, float):
        raise TypeError(f"not a float: {type(answer).__name__}")
    return answer


def moment_check(q0: float, fan_in: int, std: float, depth: int) -> Call:
    """The prediction agrees with :func:`measured_second_moment` within a factor of 1.5 (the
    measurement over 8 networks of width 200 scatters by about 10 %; a missing ½ per layer,
    or the variance of ReLU(z) in place of its second moment, is off by a factor of 2 or
    1/(1 − 1/π) ≈ 1.47 per layer, 4.7 or more over 4 layers)."""
    measured = functools.partial(measured_second_moment, q0, fan_in, std, depth)
    return call(
        [q0, fan_in, std, depth],
        check=lambda predicted: 2 / 3 < is_float(predicted) / measured() < 1.5,
        message=f"relu_second_moment({q0}, {fan_in}, {std}, {depth}) does not match the "
        f"second moment measured on random ReLU networks of width {fan_in} and depth "
        f"{depth} (within a factor of 1.5)",
    )


q1 = Question(
    "q1",
    "relu_second_moment",
    tests=[
        # the factor per layer is fan_in · std² / 2: written out
        call([1.0, 256, 0.125, 1], 2.0, name="relu_second_moment", compare=number()),
        call([3.0, 100, 0.1, 4], 3.0 / 16, name="relu_second_moment", compare=number()),
        call(
            [1.0, 256, 1 / 16, 30],
            2.0**-30,
            name="relu_second_moment (std = 1/√fan_in halves E[z²] at every layer)",
            compare=number(),
        ),
        moment_check(1.0, 200, 0.1, 5),
    ],
    hint="z = W·relu(z_prev) with W of fan_in columns: E[z²] = fan_in · std² · E[relu(z_prev)²], "
    "and E[relu(z)²] = E[z²] / 2 for a z symmetric around 0 — the second moment, not the "
    "variance of relu(z). So every layer multiplies E[z²] by fan_in · std² / 2; after `depth` "
    "layers: q0 · (fan_in · std² / 2) ** depth. He's std √(2 / fan_in) makes the factor 1.",
)


# ----------------------------------------------------------------- q2: batch normalisation
def reference_batchnorm(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> np.ndarray:
    """``torch.nn.functional.batch_norm`` in training mode, float64."""
    import torch
    import torch.nn.functional as F

    out = F.batch_norm(
        torch.as_tensor(np.asarray(x, dtype=float)),
        None,
        None,
        weight=torch.as_tensor(np.asarray(gamma, dtype=float)),
        bias=torch.as_tensor(np.asarray(beta, dtype=float)),
        training=True,
        eps=eps,
    )
    return out.numpy()


_rng = np.random.default_rng(1010)
_X = _rng.normal(loc=2.0, scale=3.0, size=(8, 3))
_GAMMA, _BETA = _rng.normal(size=3), _rng.normal(size=3)
_TINY = _rng.normal(size=(6, 2)) * np.array(
    [1.0, 1e-3]
)  # a feature with variance ~1e-6

q2 = Question(
    "q2",
    "batchnorm_train",
    tests=[
        call(
            [np.array([[1.0, 0.0], [3.0, 4.0]]), np.ones(2), np.zeros(2)],
            reference_batchnorm,
            name="batchnorm_train",
        ),
        call([_X, _GAMMA, _BETA], reference_batchnorm, name="batchnorm_train"),
        call(
            [_TINY, np.ones(2), np.zeros(2)],
            reference_batchnorm,
            kwargs={"eps": 1e-5},
            name="batchnorm_train (a feature of variance ~1e-6: eps goes inside the "
            "square root, √(var + eps))",
        ),
    ],
    points=2,
    hint="Per feature (column, axis=0): μ = x.mean(axis=0), σ² = x.var(axis=0) — the biased "
    "variance, dividing by N, as PyTorch normalises with it. Then "
    "gamma · (x − μ) / √(σ² + eps) + beta.",
)


# ----------------------------------------------------------------- q3: running statistics
def reference_running(
    running_mean: np.ndarray,
    running_var: np.ndarray,
    x: np.ndarray,
    momentum: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """The running statistics after one training-mode ``torch.nn.functional.batch_norm``."""
    import torch
    import torch.nn.functional as F

    mean = torch.tensor(np.array(running_mean, dtype=float))
    var = torch.tensor(np.array(running_var, dtype=float))
    F.batch_norm(
        torch.as_tensor(np.asarray(x, dtype=float)),
        mean,
        var,
        training=True,
        momentum=momentum,
    )
    return mean.numpy(), var.numpy()


RUNNING = {
    "name": "update_running",
    "compare": parts("running_mean", "running_var", rtol=1e-9, atol=1e-12),
}
_RM, _RV = _rng.normal(size=3), _rng.uniform(0.5, 2.0, size=3)
_XR = _rng.normal(loc=-1.0, scale=2.0, size=(5, 3))

q3 = Question(
    "q3",
    "update_running",
    tests=[
        call(
            [np.zeros(2), np.ones(2), np.array([[1.0, 2.0], [3.0, 6.0]])],
            reference_running,
            **RUNNING,
        ),
        call([_RM, _RV, _XR], reference_running, kwargs={"momentum": 0.3}, **RUNNING),
    ],
    points=2,
    hint="new = (1 − momentum) · running + momentum · batch statistic — PyTorch's momentum is "
    "the weight of the NEW batch (Keras' is the weight of the old estimate). The variance "
    "kept is the unbiased one, x.var(axis=0, ddof=1), although the batch is normalised with "
    "the biased one.",
)


# ----------------------------------------------------------------- q4: residual block
def reference_residual(
    x: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray
) -> np.ndarray:
    """x + linear(relu(linear(x, W1, b1)), W2, b2) with ``torch.nn.functional``, float64."""
    import torch
    import torch.nn.functional as F

    t = [torch.as_tensor(np.asarray(a, dtype=float)) for a in (x, W1, b1, W2, b2)]
    return (t[0] + F.linear(F.relu(F.linear(t[0], t[1], t[2])), t[3], t[4])).numpy()


_XB = _rng.normal(size=(4, 3))
_W1, _B1 = _rng.normal(size=(5, 3)), _rng.normal(size=5)
_W2, _B2 = _rng.normal(size=(3, 5)), _rng.normal(size=3)

q4 = Question(
    "q4",
    "residual_forward",
    tests=[
        call(
            [np.array([[1.0, -1.0]]), np.eye(2), np.zeros(2), np.eye(2), np.zeros(2)],
            reference_residual,
            name="residual_forward",
        ),
        call(
            [_XB, _W1, _B1, _W2, _B2],
            reference_residual,
            name="residual_forward (x of shape (4, 3), a hidden layer of 5)",
        ),
    ],
    hint="Like nn.Linear, a weight has shape (out, in): h = relu(x @ W1.T + b1), then "
    "x + h @ W2.T + b2. The ReLU is inside the branch: the skip adds x after it.",
)


# ----------------------------------------------------------------- q5: learning-rate schedule
#: ``(step, base_lr, warmup, total): learning rate`` of ``torch.optim.lr_scheduler``'s
#: ``SequentialLR([LinearLR(start_factor=1 / (warmup + 1), total_iters=warmup),
#: CosineAnnealingLR(T_max=total - warmup)], milestones=[warmup])``, read off PyTorch once
#: (importing ``torch.optim`` takes seconds; tests/test_exercises_ch10.py reruns PyTorch).
SCHEDULE = {
    (0, 0.1, 5, 20): 0.016666666666666666,
    (3, 0.1, 5, 20): 0.06666666666666668,
    (5, 0.1, 5, 20): 0.1,
    (12, 0.1, 5, 20): 0.05522642316338269,
    (19, 0.1, 5, 20): 0.001092619963309716,
    (20, 0.1, 5, 20): 0.0,
}


def schedule_check(
    args: tuple[int, float, int, int], lr: float, note: str = ""
) -> Call:
    """``warmup_cosine_lr(*args)`` must give PyTorch's ``lr`` (to rounding)."""
    step, base_lr, warmup, total = args
    about = note or (
        f"step {step} of base_lr={base_lr}, warmup={warmup}, total={total}: "
        "torch.optim.lr_scheduler's LinearLR then CosineAnnealingLR"
    )
    return call(
        list(args),
        lr,
        name=f"warmup_cosine_lr ({about})",
        compare=number(rtol=1e-9, atol=1e-15),
    )


q5 = Question(
    "q5",
    "warmup_cosine_lr",
    tests=[schedule_check(args, lr) for args, lr in SCHEDULE.items()],
    hint="Warm-up, step < warmup: base_lr · (step + 1) / (warmup + 1). Then, with "
    "t = step − warmup and T = total − warmup: base_lr · (1 + cos(π t / T)) / 2, which is "
    "base_lr at step = warmup and 0 at step = total. Return a float.",
)


# ----------------------------------------------------------------- q6: sanity check
#: Initial losses (before any step) of four runs of a 10-class classifier with cross-entropy.
INITIAL_LOSSES = {"A": 2.31, "B": 0.04, "C": 2.41, "D": 11.8}


q6 = Question(
    "q6",
    "broken_runs",
    tests=[choice(sorted(INITIAL_LOSSES), many=True)],
    hint="A network that knows nothing spreads its probability evenly: p = 1/10 for every "
    "class, so the loss is −ln(1/10) = ln 10 ≈ 2.303. Small random logits give a bit more. "
    "Far below it before any training is as suspicious as far above it.",
)


# ----------------------------------------------------------------- q7: diagnose a run
q7 = Question(
    "q7",
    "flat_loss_cause",
    tests=[choice(("A", "B", "C", "D"))],
    hint="Compare the gradient norms across the layers: does the gradient shrink a little "
    "at every layer, or is it exactly 0 below some point? Then find the first layer whose "
    "outputs do not change from one image to the next (a standard deviation over the batch "
    "of 0): what can the layers after it learn about the input?",
)


# ----------------------------------------------------------------- q8: predict an effect
q8 = Question(
    "q8",
    "depth_effect",
    tests=[choice(("A", "B", "C", "D"))],
    hint="Backpropagation multiplies the signal by one layer's Wᵀ and ReLU mask per layer. "
    "With PyTorch's default initialisation each such step keeps only a fraction of the "
    "signal's size, the same fraction at every layer (see 'Initialisation: keep the second "
    "moment'). What does a product of many equal factors below 1 do?",
)

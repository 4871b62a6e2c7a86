"""The checkers of ``exercises/10_trainable.ipynb`` against references outside themselves.

* The learning rates written out in the checkers (visible and hidden) are what
  ``torch.optim.lr_scheduler`` sets, step by step.
* The measurement that checks ``relu_second_moment`` agrees with the second-moment formula
  and rejects the two classic slips (the variance of ReLU(z) in place of its second moment,
  a forgotten ½), on every network size the checks use.
* Plausible wrong answers fail the hidden tests, including ones that pass the visible checks,
  and the reference solutions pass them all.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from dlcourse_instructor.answers import ch10 as hidden_ch10
from dlcourse_instructor.answers import hidden

from dlcourse.exercises import ch10
from dlcourse.exercises.probe import observe

ROOT = Path(__file__).resolve().parents[1]


def solution_of(name: str) -> str:
    """Question ``name``'s solution region in the exercise source (the instructor's side)."""
    nb = nbformat.read(ROOT / "exercises" / "10_trainable.ipynb", as_version=4)
    (cell,) = [
        c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == f"{name}_answer"
    ]
    return "\n".join(
        line for line in cell.source.splitlines() if "SOLUTION" not in line
    )


def pytorch_lr(step: int, base_lr: float, warmup: int, total: int) -> float:
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    schedule = torch.optim.lr_scheduler.SequentialLR(
        optimizer,
        [
            torch.optim.lr_scheduler.LinearLR(
                optimizer, start_factor=1 / (warmup + 1), total_iters=warmup
            ),
            torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - warmup),
        ],
        milestones=[warmup],
    )
    for _ in range(step):
        optimizer.step()
        schedule.step()
    return optimizer.param_groups[0]["lr"]


@pytest.mark.parametrize(
    "args, lr", [*ch10.SCHEDULE.items(), *hidden_ch10.HIDDEN_SCHEDULE.items()]
)
def test_written_out_learning_rates_are_pytorchs(args, lr):
    assert lr == pytest.approx(pytorch_lr(*args), rel=1e-12, abs=1e-18)


MOMENT_CHECKS = [(1.0, 200, 0.1, 5), (0.5, 200, 0.12, 4)]  # visible, hidden


@pytest.mark.parametrize("q0, fan_in, std, depth", MOMENT_CHECKS)
def test_measured_second_moment_confirms_the_formula_only(q0, fan_in, std, depth):
    measured = ch10.measured_second_moment(q0, fan_in, std, depth)
    right = q0 * (fan_in * std**2 / 2) ** depth
    variance_slip = q0 * (fan_in * std**2 * (0.5 - 1 / (2 * math.pi))) ** depth
    no_half = q0 * (fan_in * std**2) ** depth
    assert 0.85 < measured / right < 1.15  # the 8 networks' scatter is about 10 %
    for slip in (variance_slip, no_half):
        assert not 2 / 3 < slip / measured < 1.5


def test_every_moment_check_is_tested_here():
    shown = {
        tuple(c.args)
        for c in [*ch10.q1.tests, *hidden("ch10", "q1")]
        if c.check is not None
    }
    assert shown == set(MOMENT_CHECKS)


# (question, wrong answer, passes the visible checks?)
WRONG_HIDDEN = [
    (
        "q1",
        """
def relu_second_moment(q0, fan_in, std, depth):
    return q0 * (fan_in * std ** 2) ** depth          # the ½ of the ReLU forgotten
""",
        False,
    ),
    (
        "q2",
        """
def batchnorm_train(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=0), x.var(axis=0)
    return gamma * (x - mean) / np.sqrt(var + 1e-5) + beta   # the eps given is ignored
""",
        True,
    ),
    (
        "q2",
        """
def batchnorm_train(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=0), x.var(axis=0)
    return gamma * (x - mean) / (np.sqrt(var) + eps) + beta  # eps outside the root
""",
        False,
    ),
    (
        "q3",
        """
def update_running(running_mean, running_var, x, momentum=0.1):
    new_mean = (1 - momentum) * running_mean + momentum * x.mean(axis=0)
    new_var = (1 - momentum) * running_var + momentum * x.var(axis=0)   # biased
    return new_mean, new_var
""",
        False,
    ),
    (
        "q4",
        """
def residual_forward(x, W1, b1, W2, b2):
    return np.maximum(x @ W1.T + b1, 0) @ W2.T + b2     # no skip connection
""",
        False,
    ),
    (
        "q5",
        """
def warmup_cosine_lr(step, base_lr, warmup, total):
    if step < warmup:
        return base_lr * (step + 1) / (warmup + 1)
    return base_lr * (1 + np.cos(np.pi * (step - warmup) / 15)) / 2   # total - warmup of the example
""",
        True,
    ),
    ("q6", 'broken_runs = ["B", "C", "D"]   # everything that is not 2.30\n', False),
]


def _verdict(name: str, source: str, which: str) -> None:
    q = getattr(ch10, name)
    namespace: dict = {"np": np, "math": math}
    exec(textwrap.dedent(source), namespace)
    tests = q.tests if which == "visible" else hidden("ch10", name)
    q.verdict(
        tests,
        lambda test: observe(test.spec(), namespace[q.variable]),
        hidden=which == "hidden",
    )


@pytest.mark.parametrize(
    "name, source, passes_visible",
    WRONG_HIDDEN,
    ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(WRONG_HIDDEN)],
)
def test_hidden_tests_fail_a_plausible_wrong_answer(name, source, passes_visible):
    if passes_visible:
        _verdict(name, source, "visible")
    with pytest.raises(AssertionError, match=rf"^{name}: .* fails a hidden test"):
        _verdict(name, source, "hidden")


@pytest.mark.parametrize("name", [f"q{i}" for i in range(1, 7)])
def test_reference_solution_passes_visible_and_hidden(name):
    _verdict(name, solution_of(name), "visible")
    _verdict(name, solution_of(name), "hidden")

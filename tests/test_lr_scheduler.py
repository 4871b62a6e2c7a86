"""dlcourse.lr_scheduler against torch.optim.lr_scheduler: the same rates, step by step."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from dlcourse import lr_scheduler, optim
from dlcourse.autograd import Tensor

STEPS = 30
LR = 0.1


def _schedulers(module, opt):
    """name -> scheduler of ``module`` (ours or torch's) on ``opt``, same settings."""
    return {
        "LambdaLR": lambda: module.LambdaLR(opt, lambda t: 1.0 / (1.0 + 0.3 * t)),
        "StepLR": lambda: module.StepLR(opt, step_size=7, gamma=0.5),
        "LinearLR-warmup": lambda: module.LinearLR(
            opt, start_factor=0.05, total_iters=10
        ),
        "LinearLR-default": lambda: module.LinearLR(opt),
        "LinearLR-decay": lambda: module.LinearLR(
            opt, start_factor=1.0, end_factor=0.0, total_iters=25
        ),
        "CosineAnnealingLR": lambda: module.CosineAnnealingLR(opt, T_max=STEPS),
        "CosineAnnealingLR-past-T_max": lambda: module.CosineAnnealingLR(
            opt, T_max=12, eta_min=0.01
        ),
        "SequentialLR-warmup-cosine": lambda: module.SequentialLR(
            opt,
            [
                module.LinearLR(opt, start_factor=0.1, total_iters=5),
                module.CosineAnnealingLR(opt, T_max=STEPS - 5, eta_min=1e-3),
            ],
            milestones=[5],
        ),
        "SequentialLR-three": lambda: module.SequentialLR(
            opt,
            [
                module.LinearLR(opt, start_factor=0.2, total_iters=4),
                module.StepLR(opt, step_size=3, gamma=0.7),
                module.CosineAnnealingLR(opt, T_max=10),
            ],
            milestones=[4, 14],
        ),
    }


NAMES = list(_schedulers(lr_scheduler, None))


def _torch_rates(name: str) -> list[float]:
    p = torch.zeros(2, requires_grad=True)
    opt = torch.optim.SGD([p], lr=LR)
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # SequentialLR's step(0) is deprecated inside torch
        scheduler = _schedulers(torch.optim.lr_scheduler, opt)[name]()
        rates = [opt.param_groups[0]["lr"]]
        for _ in range(STEPS):
            opt.step()
            scheduler.step()
            rates.append(opt.param_groups[0]["lr"])
            assert scheduler.get_last_lr() == [rates[-1]]
    return rates


@pytest.mark.parametrize("name", NAMES)
def test_rates_equal_torch_on_a_dlcourse_optimizer(name):
    p = Tensor(np.zeros(2), requires_grad=True)
    opt = optim.SGD([p], lr=LR)
    scheduler = _schedulers(lr_scheduler, opt)[name]()
    rates = [opt.lr]
    for _ in range(STEPS):
        p.grad = np.ones(2)
        opt.step()
        scheduler.step()
        rates.append(opt.lr)
        assert scheduler.get_last_lr() == [opt.lr]
    expected = _torch_rates(name)
    np.testing.assert_allclose(rates, expected, rtol=1e-12, atol=1e-15)
    assert len(set(np.round(rates, 12))) > 2  # the schedule actually changes the rate


@pytest.mark.parametrize("name", ["StepLR", "SequentialLR-warmup-cosine"])
def test_our_schedulers_drive_torch_optimizers_too(name):
    p = torch.zeros(2, requires_grad=True)
    opt = torch.optim.SGD([p, torch.zeros(1, requires_grad=True)], lr=LR)
    opt.add_param_group({"params": [torch.zeros(1, requires_grad=True)], "lr": 2 * LR})
    scheduler = _schedulers(lr_scheduler, opt)[name]()
    rates = [opt.param_groups[0]["lr"]]
    for _ in range(STEPS):
        scheduler.step()
        rates.append(opt.param_groups[0]["lr"])
        assert scheduler.get_last_lr() == [g["lr"] for g in opt.param_groups]
        if name == "StepLR":  # each group follows the schedule from its own rate
            assert opt.param_groups[1]["lr"] == pytest.approx(2 * rates[-1], rel=1e-12)
    np.testing.assert_allclose(rates, _torch_rates(name), rtol=1e-12, atol=1e-15)


def test_the_optimizer_uses_the_scheduled_rate():
    """SGD's step is lr * g with the rate the scheduler set (warm-up: 0.01, 0.028, ...)."""
    p = Tensor(np.zeros(1), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    scheduler = lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5)
    moved = []
    for _ in range(3):
        before = p.data.copy()
        p.grad = np.ones(1)
        opt.step()
        scheduler.step()
        moved.append(float(before[0] - p.data[0]))
    np.testing.assert_allclose(moved, [0.01, 0.028, 0.046])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda o: lr_scheduler.StepLR(o, step_size=0), "step_size"),
        (lambda o: lr_scheduler.LinearLR(o, start_factor=0.0), "start_factor"),
        (lambda o: lr_scheduler.LinearLR(o, end_factor=1.5), "end_factor"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), "T_max"),
        (lambda o: lr_scheduler.LambdaLR(o, [abs, abs]), "one per parameter group"),
        (
            lambda o: lr_scheduler.SequentialLR(
                o, [lr_scheduler.StepLR(o, 2), lr_scheduler.StepLR(o, 3)], []
            ),
            "milestones",
        ),
    ],
)
def test_bad_settings_raise_value_error(make, message):
    opt = optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match=message):
        make(opt)

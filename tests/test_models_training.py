"""dlcourse.models.training.train_torch against a loop written out by hand."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlcourse.models.training import train_torch


def _model_and_data(
    seed: int = 0,
) -> tuple[nn.Module, list[tuple[torch.Tensor, torch.Tensor]]]:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    batches = [
        (torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 1, dtype=torch.float64))
        for _ in range(4)
    ]
    return model, batches


def _mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((pred - target) ** 2).mean()


@pytest.mark.parametrize("clip", [None, 0.05])
def test_train_torch_equals_the_loop_written_out(clip):
    model, batches = _model_and_data()
    opt = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    seen = []
    losses = train_torch(
        model,
        _mse,
        opt,
        batches,
        epochs=2,
        on_batch=lambda x, y: (2 * x, y),
        schedule=sched,
        clip_grad_norm=clip,
        on_step=lambda step, loss: seen.append((step, loss)),
    )

    ref, ref_batches = _model_and_data()
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.3, momentum=0.9)
    ref_sched = torch.optim.lr_scheduler.StepLR(ref_opt, step_size=3, gamma=0.5)
    expected = []
    for _ in range(2):
        for x, y in ref_batches:
            ref_opt.zero_grad()
            loss = _mse(ref(2 * x), y)
            loss.backward()
            if clip is not None:
                norm = torch.cat([p.grad.flatten() for p in ref.parameters()]).norm()
                for p in ref.parameters():
                    p.grad *= min(1.0, clip / (float(norm) + 1e-6))
            ref_opt.step()
            ref_sched.step()
            expected.append(loss.item())
    assert losses == pytest.approx(expected, rel=1e-12)
    assert seen == list(enumerate(losses, start=1))
    for p, q in zip(model.parameters(), ref.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-14)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.3 * 0.5**2)


def test_train_torch_calls_a_batch_factory_once_per_epoch():
    model, batches = _model_and_data()
    calls = []

    def fresh():
        calls.append(1)
        return iter(batches[:2])

    losses = train_torch(
        model, _mse, torch.optim.SGD(model.parameters(), lr=0.1), fresh, epochs=3
    )
    assert len(calls) == 3 and len(losses) == 6 and model.training
    with pytest.raises(ValueError, match="epochs"):
        train_torch(model, _mse, torch.optim.SGD(model.parameters(), lr=0.1), [], -1)


def test_a_tuple_of_inputs_is_passed_as_separate_arguments():
    class ScaleAndAdd(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.ones(1, dtype=torch.float64))

        def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            return self.w * a + b

    model = ScaleAndAdd()
    a, b = torch.ones(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
    target = torch.full((3,), 3.0, dtype=torch.float64)
    losses = train_torch(
        model, _mse, torch.optim.SGD(model.parameters(), lr=0.1), [((a, b), target)]
    )
    assert losses == [4.0] and float(model.w.detach()) == pytest.approx(1.4)

"""The learning-rate range test (Smith 2017; the "LR finder" of fastai).

Instead of guessing a learning rate, train for a few dozen minibatches while the rate
grows *exponentially* from ``start_lr`` to ``end_lr``; at step ``i`` of ``n``

.. math::

    \\eta_i = \\eta_{start}\\,\\left(\\frac{\\eta_{end}}{\\eta_{start}}\\right)^{i/(n-1)}

and record the loss. Too small a rate and the loss barely moves; a good one and it
falls fast; too large and it blows up. Single minibatch losses are noisy, so the curve
is an exponential moving average with bias correction (as in Adam):

.. math::

    a_i = (1-s)\\, a_{i-1} + s\\, L_i,\\qquad \\bar L_i = \\frac{a_i}{1 - (1-s)^{i+1}}

with ``s = smooth`` and ``a_{-1} = 0``. The test stops once the smoothed loss exceeds
``diverge`` times the best so far (or is not finite). :func:`suggest_lr` reads a rate
off the curve. Afterwards the model (weights, running statistics, train/eval mode,
dropout generators) and the optimiser (its state and learning rates) are put back as
they were: the test only *looks*.

See chapter: Making deep networks trainable (book/10_trainable.ipynb)
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from dlcourse.autograd import Tensor, as_tensor
from dlcourse.interop import is_torch

__all__ = ["lr_range_test", "suggest_lr"]


# ------------------------------------------------------------ save and restore state
def _snapshot_dlcourse(model: Any, optimizer: Any) -> Callable[[], None]:
    """Copies of every array, number and generator state of the model's modules and of
    the optimiser; the returned function writes them back *in place* (the optimiser
    holds the very parameter Tensors, so they must stay the same objects)."""
    saved_modules = []
    for module in model.modules():
        values: dict[str, Any] = {}
        for name, value in vars(module).items():
            if isinstance(value, Tensor):
                values[name] = value.data.copy()
            elif isinstance(value, np.ndarray):
                values[name] = value.copy()
            elif isinstance(value, np.random.Generator):
                values[name] = copy.deepcopy(value.bit_generator.state)
            elif value is None or isinstance(value, (bool, int, float)):
                values[name] = value
        saved_modules.append((module, values))
    saved_optimizer = {
        name: copy.deepcopy(value)
        for name, value in vars(optimizer).items()
        if name != "params"
    }

    def restore() -> None:
        for module, values in saved_modules:
            for name, saved in values.items():
                current = getattr(module, name)
                if isinstance(current, Tensor):
                    current.data[...] = saved
                    current.grad = None
                elif isinstance(current, np.ndarray) and current.shape == saved.shape:
                    current[...] = saved
                elif isinstance(current, np.random.Generator):
                    current.bit_generator.state = saved
                else:
                    setattr(module, name, saved)
        vars(optimizer).update(copy.deepcopy(saved_optimizer))
        optimizer.zero_grad()

    return restore


def _snapshot_torch(model: Any, optimizer: Any) -> Callable[[], None]:
    """state_dict copies (weights, buffers, optimiser state and rates), the modes of
    all sub-modules and torch's CPU random generator (dropout masks)."""
    import torch

    model_state = copy.deepcopy(model.state_dict())
    optimizer_state = copy.deepcopy(optimizer.state_dict())
    modes = [m.training for m in model.modules()]
    rng_state = torch.get_rng_state()

    def restore() -> None:
        model.load_state_dict(model_state)
        optimizer.load_state_dict(optimizer_state)
        for module, mode in zip(model.modules(), modes):
            module.training = mode
        torch.set_rng_state(rng_state)
        optimizer.zero_grad()

    return restore


# --------------------------------------------------------------------- the test
def _set_lr(optimizer: Any, lr: float) -> None:
    if hasattr(optimizer, "param_groups"):  # torch.optim
        for group in optimizer.param_groups:
            group["lr"] = lr
    else:
        optimizer.lr = lr


def _torch_batch(model: Any, X: Any, y: Any) -> tuple[Any, Any]:
    """NumPy inputs and targets as torch tensors of the model's dtype and device."""
    import torch

    params = list(model.parameters())
    dtype = params[0].dtype if params else torch.get_default_dtype()
    device = params[0].device if params else torch.device("cpu")

    def convert(a: Any) -> Any:
        t = torch.as_tensor(a, device=device)
        return t.to(dtype) if t.is_floating_point() else t

    return convert(X), convert(y)


def lr_range_test(
    model: Any,
    loss_fn: Callable[[Any, Any], Any],
    optimizer: Any,
    batches: Iterable[tuple[Any, Any]],
    start_lr: float = 1e-5,
    end_lr: float = 1.0,
    num_steps: int = 100,
    smooth: float = 0.05,
    diverge: float = 4.0,
) -> tuple[list[float], list[float]]:
    """Train with an exponentially growing learning rate; return ``(lrs, losses)``.

    One optimiser step per minibatch ``(X, y)`` of ``batches`` (cycled when shorter
    than ``num_steps``), in training mode; ``losses`` are the smoothed ones (see the
    module docstring), and stop early at divergence, the diverging point included.
    Works for a ``dlcourse`` model with a ``dlcourse.optim`` optimiser and for a
    ``torch.nn.Module`` with a ``torch.optim`` one (NumPy batches are converted to the
    model's dtype and device). Model and optimiser are restored afterwards, even if an
    error interrupts the test.
    """
    if not 0.0 < start_lr < end_lr:
        raise ValueError(
            f"lr_range_test: need 0 < start_lr < end_lr, got {start_lr} and {end_lr}"
        )
    if num_steps < 2 or not 0.0 < smooth <= 1.0 or not diverge > 1.0:
        raise ValueError(
            f"lr_range_test: need num_steps >= 2, 0 < smooth <= 1 and diverge > 1, "
            f"got {num_steps}, {smooth} and {diverge}"
        )
    torch_model = is_torch(model)
    restore = (_snapshot_torch if torch_model else _snapshot_dlcourse)(model, optimizer)
    lrs: list[float] = []
    losses: list[float] = []
    average, best = 0.0, np.inf
    try:
        model.train()
        for step, (X, y) in zip(range(num_steps), itertools.cycle(batches)):
            lr = start_lr * (end_lr / start_lr) ** (step / (num_steps - 1))
            _set_lr(optimizer, lr)
            if torch_model:
                X, y = _torch_batch(model, X, y)
            else:
                X = as_tensor(X)
            optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            average = (1.0 - smooth) * average + smooth * float(loss.item())
            smoothed = average / (1.0 - (1.0 - smooth) ** (step + 1))
            lrs.append(lr)
            losses.append(smoothed)
            best = min(best, smoothed)
            if not np.isfinite(smoothed) or smoothed > diverge * best:
                break
    finally:
        restore()
    return lrs, losses


def suggest_lr(
    lrs: Iterable[float], losses: Iterable[float], method: str = "steepest"
) -> float:
    """A learning rate read off a range test's curve.

    ``method="steepest"`` (the default, fastai's "steep"): the rate where the
    smoothed loss falls fastest, i.e. the most negative slope ``dL / d log(lr)``
    (``numpy.gradient``), looked for before the curve's minimum only.
    ``method="tenth_of_minimum"``: one tenth of the rate at the lowest loss (the loss
    is lowest just before it blows up, so a tenth is a safe distance from the edge).
    """
    lr_array = np.asarray(list(lrs), dtype=np.float64)
    loss_array = np.asarray(list(losses), dtype=np.float64)
    if lr_array.shape != loss_array.shape or lr_array.size < 3:
        raise ValueError(
            f"suggest_lr: need as many lrs as losses, at least 3, got "
            f"{lr_array.size} and {loss_array.size}"
        )
    finite = np.isfinite(loss_array)
    lr_array, loss_array = lr_array[finite], loss_array[finite]
    if lr_array.size < 2:
        raise ValueError("suggest_lr: fewer than 2 finite losses")
    lowest = int(np.argmin(loss_array))
    if method == "tenth_of_minimum":
        return float(lr_array[lowest] / 10.0)
    if method != "steepest":
        raise ValueError(
            f"suggest_lr: method must be 'steepest' or 'tenth_of_minimum', got {method!r}"
        )
    falling = slice(0, max(lowest + 1, 2))
    slopes = np.gradient(loss_array[falling], np.log(lr_array[falling]))
    return float(lr_array[falling][int(np.argmin(slopes))])

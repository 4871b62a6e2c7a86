"""One training loop for dlcourse models and PyTorch models.

Training is the same four lines whatever the framework, repeated for every
minibatch of every epoch::

    optimizer.zero_grad()          # forget the previous step's gradients
    loss = loss_fn(model(X), y)    # forward pass
    loss.backward()                # backpropagation: d loss / d every parameter
    optimizer.step()               # p <- p - lr * (something made of the gradient)

:func:`fit` runs this loop on a ``dlcourse.nn`` model (NumPy Tensors) or on a
``torch.nn.Module`` (torch tensors on :func:`dlcourse.device.device`), shuffles
the training set every epoch with a seeded generator, and records the mean
training loss/accuracy and the validation loss/accuracy of each epoch in a
:class:`History`. A loss that is not finite stops training with a
``FloatingPointError`` saying where it happened (usually: learning rate too high).

Accuracy: for integer targets the prediction is the arg-max of the outputs; a
model with a single output is read as the probability of class 1 (sigmoid +
binary cross-entropy), thresholded at 0.5. For real-valued (regression)
targets the accuracies are recorded as NaN.

See chapter: Training a real network (book/08_training.ipynb)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from dlcourse.autograd import Tensor, no_grad
from dlcourse.interop import is_torch, to_numpy

__all__ = ["History", "fit", "evaluate", "predict", "accuracy"]

EVAL_BATCH = 1024  # evaluation batch: large (no graph is kept) but memory-bounded


@dataclass
class History:
    """Per-epoch metrics recorded by :func:`fit` (``val_*`` empty without val_data)."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.train_loss)


# ---------------------------------------------------------------- the two back-ends
def _torch_device() -> Any:
    from dlcourse.device import device

    return device()


class _Data:
    """Inputs and targets in the model's world, indexable by a NumPy index array."""

    def __init__(self, model: Any, X: Any, y: Any, to_device: bool = True) -> None:
        if len(X) != len(y):
            raise ValueError(f"X and y have different lengths: {len(X)} != {len(y)}")
        self.n = len(X)
        self.torch = is_torch(model)
        if self.torch:
            import torch

            params = [p for p in model.parameters() if p.is_floating_point()]
            dtype = params[0].dtype if params else torch.get_default_dtype()
            dev = params[0].device if params else torch.device("cpu")
            X = torch.as_tensor(X).to(dev)
            # Token ids (integers) stay integers for embeddings; features take the
            # model's dtype.
            self.X = X.to(dtype) if X.is_floating_point() else X
            y = torch.as_tensor(y).to(dev)
            self.y = y.to(dtype) if y.is_floating_point() else y
            self.device = dev
        else:
            self.X = np.asarray(X.data if isinstance(X, Tensor) else X)
            self.y = np.asarray(y.data if isinstance(y, Tensor) else y)
        y_np = self.y.cpu().numpy() if self.torch else self.y
        # Class labels: integers, or 0/1 floats (binary cross-entropy targets).
        self.is_classification = y_np.dtype.kind in "iub" or bool(
            np.isin(y_np, (0, 1)).all()
        )

    def batch(self, idx: np.ndarray) -> tuple[Any, Any]:
        if self.torch:
            import torch

            i = torch.as_tensor(idx, device=self.device)
            return self.X[i], self.y[i]
        return Tensor(self.X[idx]), self.y[idx]


def _predicted_classes(outputs: np.ndarray) -> np.ndarray:
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        return outputs.argmax(axis=1)
    return (outputs.reshape(len(outputs)) > 0.5).astype(np.int64)


def _n_correct(outputs: Any, targets: Any) -> int:
    pred = _predicted_classes(to_numpy(outputs))
    return int((pred == to_numpy(targets).reshape(pred.shape)).sum())


def _grad_off(model: Any) -> Any:
    if is_torch(model):
        import torch

        return torch.no_grad()
    return no_grad()


# ------------------------------------------------------------------------- public API
def evaluate(
    model: Any, loss_fn: Callable[[Any, Any], Any], X: Any, y: Any
) -> tuple[float, float]:
    """``(mean loss, accuracy)`` of ``model`` on ``(X, y)``: eval mode, no gradients.

    Accuracy is NaN for real-valued targets.
    """
    data = _Data(model, X, y)
    if data.n == 0:
        return math.nan, math.nan
    was_training = model.training
    model.eval()
    total, correct = 0.0, 0
    try:
        with _grad_off(model):
            for start in range(0, data.n, EVAL_BATCH):
                idx = np.arange(start, min(start + EVAL_BATCH, data.n))
                xb, yb = data.batch(idx)
                out = model(xb)
                total += float(loss_fn(out, yb).item()) * len(idx)
                if data.is_classification:
                    correct += _n_correct(out, yb)
    finally:
        model.train(was_training)
    n = max(data.n, 1)
    return total / n, (correct / n if data.is_classification else math.nan)


def predict(model: Any, X: Any) -> np.ndarray:
    """Predicted classes (arg-max of the outputs; output > 0.5 for a single output)."""
    data = _Data(model, X, np.zeros(len(X), dtype=np.int64))
    was_training = model.training
    model.eval()
    preds = []
    try:
        with _grad_off(model):
            for start in range(0, data.n, EVAL_BATCH):
                xb, _ = data.batch(np.arange(start, min(start + EVAL_BATCH, data.n)))
                preds.append(_predicted_classes(to_numpy(model(xb))))
    finally:
        model.train(was_training)
    return np.concatenate(preds) if preds else np.zeros(0, dtype=np.int64)


def accuracy(model: Any, X: Any, y: Any) -> float:
    """Fraction of examples whose predicted class equals the label."""
    return float(np.mean(predict(model, X) == to_numpy(y).reshape(-1)))


def fit(
    model: Any,
    loss_fn: Callable[[Any, Any], Any],
    optimizer: Any,
    train_data: tuple[Any, Any],
    epochs: int,
    batch_size: int = 64,
    val_data: tuple[Any, Any] | None = None,
    seed: int = 0,
    progress: bool = True,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_data = (X, y)``.

    Returns the History (losses and accuracies per epoch).

    Works for ``dlcourse.nn`` models with ``dlcourse.optim`` optimisers and for
    ``torch.nn.Module`` with ``torch.optim`` optimisers (the model is moved to
    :func:`dlcourse.device.device`; build the optimiser first or after, either
    works since ``.to`` keeps the parameter objects). ``seed`` fixes the
    shuffling and, for torch models, torch's global generator (dropout masks),
    so the same seed and a freshly built model give the same History.
    ``progress`` shows a tqdm bar over the epochs that disappears when done.
    """
    if epochs < 0 or batch_size < 1:
        raise ValueError(
            f"fit: need epochs >= 0 and batch_size >= 1, got {epochs} and {batch_size}"
        )
    if is_torch(model):
        import torch

        model.to(_torch_device())
        torch.manual_seed(seed)
    train = _Data(model, *train_data)
    val = _Data(model, *val_data) if val_data is not None else None
    rng = np.random.default_rng(seed)
    history = History()
    was_training = model.training
    bar = tqdm(
        range(epochs),
        desc="fit",
        unit="epoch",
        leave=False,
        mininterval=1.0,
        disable=not progress,
    )
    try:
        for epoch in bar:
            start_time = time.perf_counter()
            model.train()
            order = rng.permutation(train.n)
            total, correct = 0.0, 0
            for step, start in enumerate(range(0, train.n, batch_size)):
                idx = order[start : start + batch_size]
                xb, yb = train.batch(idx)
                optimizer.zero_grad()
                out = model(xb)
                try:
                    loss = loss_fn(out, yb)
                    value = float(loss.item())
                    if not math.isfinite(value):
                        raise FloatingPointError(f"the loss is {value}")
                except FloatingPointError as err:
                    raise FloatingPointError(
                        f"fit: non-finite loss at epoch {epoch + 1}, step {step + 1} "
                        f"({err}); try a smaller learning rate or check the data"
                    ) from err
                loss.backward()
                optimizer.step()
                total += value * len(idx)
                if train.is_classification:
                    correct += _n_correct(out, yb)
            history.train_loss.append(total / max(train.n, 1))
            history.train_acc.append(
                correct / max(train.n, 1) if train.is_classification else math.nan
            )
            if val is not None:
                val_loss, val_acc = evaluate(model, loss_fn, val.X, val.y)
                history.val_loss.append(val_loss)
                history.val_acc.append(val_acc)
            history.epoch_time.append(time.perf_counter() - start_time)
            shown = {"loss": f"{history.train_loss[-1]:.4f}"}
            if val is not None:
                shown["val_acc"] = f"{history.val_acc[-1]:.3f}"
            bar.set_postfix(shown, refresh=False)
    finally:
        bar.close()
        model.train(was_training)
    return history

"""Optimisers: SGD (with momentum), RMSprop, Adam and AdamW, with weight decay.

An optimiser owns a list of parameters (Tensors) and, on every ``step()``, moves
each parameter against its gradient ``p.grad``. The update rules are exactly
those of ``torch.optim`` with its default options, so a trajectory computed here
equals PyTorch's to rounding error (the tests check 50 steps in float64).

With ``g`` the gradient, ``lr`` the learning rate and ``t`` the step number:

* SGD           ``p <- p - lr * g``
* SGD+momentum  ``b <- g`` on the first step, then ``b <- mu * b + g``;
                ``p <- p - lr * b``
* RMSprop       ``v <- alpha * v + (1 - alpha) * g^2``;
                ``p <- p - lr * g / (sqrt(v) + eps)``
* Adam          ``m <- b1 m + (1 - b1) g``;  ``v <- b2 v + (1 - b2) g^2``;
                ``p <- p - lr * m_hat / (sqrt(v_hat) + eps)`` with
                ``m_hat = m / (1 - b1^t)``, ``v_hat = v / (1 - b2^t)``
* AdamW         ``p <- p - lr * wd * p``, then the Adam step with ``g``

Weight decay ``wd`` (``weight_decay``, 0 by default except AdamW's 1e-2) pulls the
weights towards zero. SGD, RMSprop and Adam do it as PyTorch does, as an L2 penalty
``wd/2 * |p|^2`` added to the loss, i.e. ``g <- g + wd * p`` before the rule above.
AdamW (Loshchilov & Hutter 2019) *decouples* it: the shrinking ``p <- (1 - lr*wd) p``
is not divided by Adam's ``sqrt(v_hat)``, so every weight decays at the same rate,
whatever the size of its gradients.

Updates are done in place on ``p.data`` (the model holds the same array, so it
sees the new values) with vectorised NumPy operations. Parameters whose ``grad``
is ``None`` (no backward reached them) are skipped, as in PyTorch.

See chapter: Why now: data, compute, algorithms (book/09_why_now.ipynb)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW"]


class Optimizer:
    """Base class: holds the parameters and one state dict per parameter.

    Subclasses implement :meth:`_update`, the rule for one parameter array. The
    learning rate is the attribute ``lr``: a scheduler changes it between steps.
    """

    lr: float = 0.0
    weight_decay: float = 0.0

    def __init__(self, params: Iterable[Any]) -> None:
        unique: list[Any] = []
        seen: set[int] = set()
        for p in params:
            if not isinstance(getattr(p, "data", None), np.ndarray):
                raise TypeError(
                    f"optimizer params must be Tensors (objects with a NumPy .data), "
                    f"got {type(p).__name__}"
                )
            # A parameter listed twice would be updated twice per step.
            if id(p) not in seen:
                seen.add(id(p))
                unique.append(p)
        if not unique:
            raise ValueError("optimizer got an empty parameter list")
        self.params: list[Any] = unique
        self.state: list[dict[str, Any]] = [{} for _ in unique]

    def zero_grad(self) -> None:
        """Forget all gradients (set them to ``None``, PyTorch's default)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            grad = np.asarray(p.grad)
            if grad.shape != p.data.shape:
                raise ValueError(
                    f"{type(self).__name__}.step: gradient shape {grad.shape} does not "
                    f"match parameter shape {p.data.shape}"
                )
            if self.weight_decay != 0.0:
                grad = self._apply_weight_decay(p.data, grad)
            self._update(p.data, grad, state)

    def _apply_weight_decay(self, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """The gradient of ``loss + wd/2 * |p|^2``: ``g + wd * p`` (a new array)."""
        return grad + self.weight_decay * param

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]
    ) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v}" for k, v in self.defaults().items())
        return f"{type(self).__name__}({len(self.params)} params, {hyper})"

    def defaults(self) -> dict[str, Any]:
        """The hyper-parameters, for display."""
        return {}


def _check_lr(lr: float) -> float:
    if not lr >= 0.0:  # also rejects NaN
        raise ValueError(f"invalid learning rate: {lr} (must be >= 0)")
    return float(lr)


def _check_weight_decay(weight_decay: float) -> float:
    if not weight_decay >= 0.0:
        raise ValueError(f"invalid weight_decay: {weight_decay} (must be >= 0)")
    return float(weight_decay)


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (heavy-ball) momentum.

    .. math::
        b_1 = g_1,\\qquad b_t = \\mu\\, b_{t-1} + g_t,\\qquad
        p \\leftarrow p - \\eta\\, b_t

    (with ``momentum=0`` simply ``p <- p - lr * g``). Like PyTorch, the momentum
    buffer starts at the first gradient rather than at zero, and the gradient is
    not scaled by ``1 - mu``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params)
        self.lr = _check_lr(lr)
        if not momentum >= 0.0:
            raise ValueError(f"invalid momentum: {momentum} (must be >= 0)")
        self.momentum = float(momentum)
        self.weight_decay = _check_weight_decay(weight_decay)

    def defaults(self) -> dict[str, Any]:
        return {
            "lr": self.lr,
            "momentum": self.momentum,
            "weight_decay": self.weight_decay,
        }

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]
    ) -> None:
        if self.momentum == 0.0:
            param -= self.lr * grad
            return
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = grad.copy()
        else:
            buf = state["momentum_buffer"]
            buf *= self.momentum
            buf += grad
        param -= self.lr * state["momentum_buffer"]


class RMSprop(Optimizer):
    """RMSprop: divide the step by a running root-mean-square of the gradient.

    .. math::
        v_t = \\alpha\\, v_{t-1} + (1-\\alpha)\\, g_t^2,\\qquad
        p \\leftarrow p - \\eta\\, \\frac{g_t}{\\sqrt{v_t} + \\epsilon}

    with ``v_0 = 0`` (PyTorch's default, non-centred, no momentum).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params)
        self.lr = _check_lr(lr)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"invalid alpha: {alpha} (must be in [0, 1])")
        if not eps >= 0.0:
            raise ValueError(f"invalid eps: {eps} (must be >= 0)")
        self.alpha, self.eps = float(alpha), float(eps)
        self.weight_decay = _check_weight_decay(weight_decay)

    def defaults(self) -> dict[str, Any]:
        return {
            "lr": self.lr,
            "alpha": self.alpha,
            "eps": self.eps,
            "weight_decay": self.weight_decay,
        }

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]
    ) -> None:
        v = state.setdefault("square_avg", np.zeros_like(param))
        v *= self.alpha
        v += (1.0 - self.alpha) * grad * grad
        param -= self.lr * grad / (np.sqrt(v) + self.eps)


class Adam(Optimizer):
    """Adam: momentum on the gradient and on its square, with bias correction.

    .. math::
        m_t = \\beta_1 m_{t-1} + (1-\\beta_1) g_t,\\qquad
        v_t = \\beta_2 v_{t-1} + (1-\\beta_2) g_t^2

        p \\leftarrow p - \\eta\\,
            \\frac{m_t / (1-\\beta_1^t)}{\\sqrt{v_t / (1-\\beta_2^t)} + \\epsilon}

    ``m_0 = v_0 = 0``; dividing by ``1 - beta^t`` undoes the pull towards that zero
    start in the first steps. As in PyTorch, ``eps`` is added *outside* the square
    root, and ``t`` counts the steps in which this parameter had a gradient.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params)
        self.lr = _check_lr(lr)
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"invalid betas: {betas} (need two values in [0, 1))")
        if not eps >= 0.0:
            raise ValueError(f"invalid eps: {eps} (must be >= 0)")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = float(eps)
        self.weight_decay = _check_weight_decay(weight_decay)

    def defaults(self) -> dict[str, Any]:
        return {
            "lr": self.lr,
            "betas": self.betas,
            "eps": self.eps,
            "weight_decay": self.weight_decay,
        }

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any]
    ) -> None:
        beta1, beta2 = self.betas
        if not state:
            state.update(
                step=0, exp_avg=np.zeros_like(param), exp_avg_sq=np.zeros_like(param)
            )
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1.0 - beta1) * grad
        v *= beta2
        v += (1.0 - beta2) * grad * grad
        # m_hat = m / (1 - b1^t) and sqrt(v_hat) = sqrt(v) / sqrt(1 - b2^t), applied as
        # scalar factors (Python floats, so float32 parameters are computed in float32).
        m_hat_scale = 1.0 / (1.0 - beta1**t)
        v_hat_sqrt_scale = 1.0 / math.sqrt(1.0 - beta2**t)
        param -= (
            (self.lr * m_hat_scale) * m / (np.sqrt(v) * v_hat_sqrt_scale + self.eps)
        )


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019; ``torch.optim.AdamW``).

    .. math::
        p \\leftarrow (1 - \\eta\\, \\lambda)\\, p, \\quad\\text{then the Adam step}

    with ``lambda = weight_decay``. In Adam with ``weight_decay`` the decay term
    ``lambda * p`` is part of the gradient and so is divided by ``sqrt(v_hat)``:
    weights with large gradients are barely decayed. Here the decay bypasses that
    scaling, which is what makes weight decay work as a regulariser with Adam.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)

    def _apply_weight_decay(self, param: np.ndarray, grad: np.ndarray) -> np.ndarray:
        # Decoupled: shrink the weights directly and hand Adam the bare gradient.
        param *= 1.0 - self.lr * self.weight_decay
        return grad

"""dlcourse.optim against torch.optim: same trajectories in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlcourse import optim
from dlcourse.autograd import Tensor

STEPS = 50

# (dlcourse class, torch class, kwargs) — several hyper-parameter settings each.
CASES = [
    (optim.SGD, torch.optim.SGD, {"lr": 0.01}),
    (optim.SGD, torch.optim.SGD, {"lr": 0.005, "momentum": 0.9}),
    (optim.SGD, torch.optim.SGD, {"lr": 0.003, "momentum": 0.5}),
    (optim.RMSprop, torch.optim.RMSprop, {"lr": 0.01}),
    (optim.RMSprop, torch.optim.RMSprop, {"lr": 0.003, "alpha": 0.9, "eps": 1e-4}),
    (optim.Adam, torch.optim.Adam, {"lr": 0.01}),
    (optim.Adam, torch.optim.Adam, {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}),
    (optim.Adam, torch.optim.Adam, {"lr": 0.002, "betas": (0.0, 0.9), "eps": 1e-3}),
    # Weight decay: an L2 term in the gradient (SGD, RMSprop, Adam), decoupled (AdamW).
    (optim.SGD, torch.optim.SGD, {"lr": 0.01, "weight_decay": 0.1}),
    (optim.SGD, torch.optim.SGD, {"lr": 0.005, "momentum": 0.9, "weight_decay": 0.05}),
    (optim.RMSprop, torch.optim.RMSprop, {"lr": 0.01, "weight_decay": 0.1}),
    (optim.Adam, torch.optim.Adam, {"lr": 0.01, "weight_decay": 0.1}),
    (optim.AdamW, torch.optim.AdamW, {"lr": 0.01}),
    (
        optim.AdamW,
        torch.optim.AdamW,
        {"lr": 0.05, "betas": (0.8, 0.99), "weight_decay": 0.3},
    ),
]
IDS = [f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]


def objective(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """A non-convex function of a (3, 4) matrix and a (4,) vector (Rosenbrock-like)."""
    rosen = ((1 - p) ** 2).sum() + 10 * ((p[:, 1:] - p[:, :-1] ** 2) ** 2).sum()
    return rosen + (torch.sin(p) @ q).pow(2).sum() + 0.1 * (q**4).sum()


def torch_grads(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tp = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    tq = torch.tensor(q, dtype=torch.float64, requires_grad=True)
    objective(tp, tq).backward()
    return tp.grad.numpy(), tq.grad.numpy()


def start() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(3, 4)), rng.normal(size=4)


@pytest.mark.parametrize("ours_cls, torch_cls, kwargs", CASES, ids=IDS)
def test_trajectory_matches_torch_on_nonconvex_function(ours_cls, torch_cls, kwargs):
    p0, q0 = start()
    p, q = Tensor(p0.copy(), requires_grad=True), Tensor(q0.copy(), requires_grad=True)
    tp = torch.tensor(p0, dtype=torch.float64, requires_grad=True)
    tq = torch.tensor(q0, dtype=torch.float64, requires_grad=True)
    ours, ref = ours_cls([p, q], **kwargs), torch_cls([tp, tq], **kwargs)
    p_array = p.data
    worst = 0.0
    for _ in range(STEPS):
        # The optimiser only reads .grad: feed it the exact (torch) gradient at our point.
        ours.zero_grad()
        p.grad, q.grad = torch_grads(p.data, q.data)
        ours.step()
        ref.zero_grad()
        objective(tp, tq).backward()
        ref.step()
        worst = max(
            worst,
            np.abs(p.data - tp.detach().numpy()).max(),
            np.abs(q.data - tq.detach().numpy()).max(),
        )
    assert worst < 1e-6
    # It actually moved (a no-op optimiser must not pass) and in place.
    assert np.abs(p.data - p0).max() > 1e-3
    assert p.data is p_array


@pytest.mark.parametrize("ours_cls, torch_cls, kwargs", CASES, ids=IDS)
def test_params_without_grad_are_skipped_like_torch(ours_cls, torch_cls, kwargs):
    """q gets a gradient only every third step; Adam's per-parameter step count matters."""
    p0, q0 = start()
    p, q = Tensor(p0.copy(), requires_grad=True), Tensor(q0.copy(), requires_grad=True)
    tp = torch.tensor(p0, requires_grad=True)
    tq = torch.tensor(q0, requires_grad=True)
    ours, ref = ours_cls([p, q], **kwargs), torch_cls([tp, tq], **kwargs)
    for step in range(STEPS):
        gp, gq = torch_grads(p.data, q.data)
        ours.zero_grad()
        p.grad, q.grad = gp, (gq if step % 3 == 0 else None)
        ours.step()
        ref.zero_grad()
        objective(tp, tq).backward()
        if step % 3:
            tq.grad = None
        ref.step()
    np.testing.assert_allclose(p.data, tp.detach().numpy(), atol=1e-6, rtol=0)
    np.testing.assert_allclose(q.data, tq.detach().numpy(), atol=1e-6, rtol=0)


@pytest.mark.parametrize("ours_cls, torch_cls, kwargs", CASES, ids=IDS)
def test_small_mlp_training_matches_torch(ours_cls, torch_cls, kwargs):
    """Full stack: dlcourse MLP + autograd + optimiser vs the torch twin, 50 steps."""
    from dlcourse import nn

    torch.manual_seed(0)
    twin = torch.nn.Sequential(
        torch.nn.Linear(5, 8),
        torch.nn.Tanh(),
        torch.nn.Linear(8, 8),
        torch.nn.ReLU(),
        torch.nn.Linear(8, 3),
    ).double()
    model = nn.Sequential.from_torch(twin)
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(32, 5)), rng.normal(size=(32, 3))
    tX, tY = torch.tensor(X), torch.tensor(Y)
    ours, ref = (
        ours_cls(model.parameters(), **kwargs),
        torch_cls(twin.parameters(), **kwargs),
    )
    initial_loss = ((twin(tX) - tY) ** 2).mean().item()
    for _ in range(STEPS):
        ours.zero_grad()
        loss = ((model(Tensor(X)) - Tensor(Y)) ** 2).mean()
        loss.backward()
        ours.step()
        ref.zero_grad()
        ((twin(tX) - tY) ** 2).mean().backward()
        ref.step()
    ours_params = [p.data for p in model.parameters()]
    ref_params = [p.detach().numpy() for p in twin.parameters()]
    assert len(ours_params) == len(ref_params) == 6
    for a, b in zip(ours_params, ref_params):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=0)
    assert loss.item() < initial_loss


def test_sgd_momentum_buffer_starts_at_first_gradient():
    """b_1 = g_1 (not (1 - mu) g_1, not mu * 0 + g_1 scaled): first step is plain SGD."""
    p = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.array([1.0, 1.0])
    opt.step()
    np.testing.assert_allclose(p.data, [0.9, -2.1])
    p.grad = np.array([1.0, 1.0])
    opt.step()  # b_2 = 0.9 * 1 + 1 = 1.9
    np.testing.assert_allclose(p.data, [0.9 - 0.19, -2.1 - 0.19])


def test_adam_first_step_is_lr_times_sign():
    """With bias correction the first Adam step is lr * g / (|g| + eps) ~ lr * sign(g)."""
    p = Tensor(np.array([0.0, 0.0, 0.0]), requires_grad=True)
    opt = optim.Adam([p], lr=0.1, eps=0.0)
    p.grad = np.array([3.0, -1e-3, 5e4])
    opt.step()
    np.testing.assert_allclose(p.data, [-0.1, 0.1, -0.1], rtol=1e-12)


def test_zero_grad_sets_none_and_duplicates_update_once():
    p = Tensor(np.array([1.0]), requires_grad=True)
    opt = optim.SGD([p, p], lr=1.0)
    p.grad = np.array([1.0])
    opt.step()
    np.testing.assert_allclose(p.data, [0.0])  # not -1.0
    opt.zero_grad()
    assert p.grad is None
    opt.step()  # no gradient: nothing happens
    np.testing.assert_allclose(p.data, [0.0])


def test_float32_parameters_stay_float32():
    p = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    p.grad = np.ones(3, dtype=np.float32)
    opt.step()
    assert p.data.dtype == np.float32


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: optim.SGD([p], lr=-0.1), "learning rate"),
        (lambda p: optim.SGD([p], lr=float("nan")), "learning rate"),
        (lambda p: optim.SGD([p], lr=0.1, momentum=-1), "momentum"),
        (lambda p: optim.RMSprop([p], lr=-1e-3), "learning rate"),
        (lambda p: optim.RMSprop([p], alpha=1.5), "alpha"),
        (lambda p: optim.RMSprop([p], eps=-1.0), "eps"),
        (lambda p: optim.Adam([p], lr=-1e-3), "learning rate"),
        (lambda p: optim.Adam([p], betas=(0.9, 1.0)), "betas"),
        (lambda p: optim.Adam([p], eps=-1e-8), "eps"),
        (lambda p: optim.Adam([], lr=1e-3), "empty parameter list"),
        (lambda p: optim.SGD([p], weight_decay=-0.1), "weight_decay"),
        (lambda p: optim.RMSprop([p], weight_decay=float("nan")), "weight_decay"),
        (lambda p: optim.Adam([p], weight_decay=-1e-4), "weight_decay"),
        (lambda p: optim.AdamW([p], weight_decay=-1e-2), "weight_decay"),
        (lambda p: optim.SGD(iter(()), lr=1e-3), "empty parameter list"),
    ],
)
def test_bad_hyperparameters_raise_value_error(make, message):
    p = Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match=message):
        make(p)


def test_non_tensor_params_and_wrong_grad_shape_are_rejected():
    with pytest.raises(TypeError, match="Tensors"):
        optim.SGD([np.zeros(3)], lr=0.1)
    p = Tensor(np.zeros(3), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = np.zeros((1, 3))
    with pytest.raises(ValueError, match=r"\(1, 3\).*\(3,\)"):
        opt.step()


def test_adamw_decays_every_weight_at_the_same_rate_adam_does_not():
    """With zero gradient AdamW shrinks p by (1 - lr*wd); Adam's L2 term, divided by
    sqrt(v_hat), moves every weight by about lr instead, whatever its size."""
    p0 = np.array([1.0, 10.0])
    a, b = Tensor(p0.copy(), requires_grad=True), Tensor(p0.copy(), requires_grad=True)
    adamw = optim.AdamW([a], lr=0.1, weight_decay=0.5)
    adam = optim.Adam([b], lr=0.1, weight_decay=0.5)
    assert optim.AdamW([a]).weight_decay == 1e-2  # PyTorch's default
    a.grad, b.grad = np.zeros(2), np.zeros(2)
    adamw.step()
    adam.step()
    np.testing.assert_allclose(a.data, p0 * (1 - 0.1 * 0.5))
    np.testing.assert_allclose(b.data, p0 - 0.1, rtol=1e-7)


def test_weight_decay_leaves_the_gradient_untouched():
    p = Tensor(np.array([2.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.1, weight_decay=1.0)
    p.grad = np.array([1.0])
    opt.step()
    np.testing.assert_allclose(p.data, [2.0 - 0.1 * 3.0])
    np.testing.assert_allclose(p.grad, [1.0])

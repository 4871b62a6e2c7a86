"""Loss landscapes: analytic gradients vs finite differences and torch autograd, minima,
optimiser trajectories vs closed forms and torch.optim, and the plots/animation/slider."""

import base64

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from dlcourse import landscapes as L  # noqa: E402
from dlcourse import optim  # noqa: E402

NAMES = list(L.LANDSCAPES)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _points(land, n=50, seed=0):
    rng = np.random.default_rng(seed)
    return np.c_[rng.uniform(*land.xlim, n), rng.uniform(*land.ylim, n)]


@pytest.mark.parametrize("name", NAMES)
def test_grad_matches_finite_differences(name):
    land, h = L.LANDSCAPES[name], 1e-6
    P = _points(land)
    fd = np.stack(
        [(land.f(P + h * e) - land.f(P - h * e)) / (2 * h) for e in np.eye(2)], axis=-1
    )
    np.testing.assert_allclose(land.grad(P), fd, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_grad_matches_torch_autograd(name):
    land = L.LANDSCAPES[name]
    P = torch.tensor(_points(land, seed=1), requires_grad=True)
    land.f_(P[:, 0], P[:, 1]).sum().backward()  # torch differentiates the same f
    np.testing.assert_allclose(
        land.grad(P.detach().numpy()), P.grad.numpy(), rtol=1e-12, atol=1e-10
    )


def _hessian(land, p, h=1e-5):
    return np.stack(
        [(land.grad(p + h * e) - land.grad(p - h * e)) / (2 * h) for e in np.eye(2)],
        axis=-1,
    )


@pytest.mark.parametrize("name", NAMES)
def test_minima_and_saddles(name):
    land = L.LANDSCAPES[name]
    assert land.minima or land.saddles
    for m in land.minima:
        assert np.linalg.norm(land.grad(m)) < 1e-8
        assert land.f(m) == pytest.approx(
            0.0, abs=1e-12
        )  # all our minima are global, f = 0
        assert np.all(np.linalg.eigvalsh(_hessian(land, np.array(m))) > 0)
        assert land.xlim[0] < m[0] < land.xlim[1] and land.ylim[0] < m[1] < land.ylim[1]
    for s in land.saddles:
        assert np.linalg.norm(land.grad(s)) < 1e-12
        ev = np.linalg.eigvalsh(_hessian(land, np.array(s)))
        assert ev.min() < 0 < ev.max()
    assert (
        land.xlim[0] < land.start[0] < land.xlim[1]
        and land.ylim[0] < land.start[1] < land.ylim[1]
    )


def test_valley_is_ill_conditioned():
    ev = np.linalg.eigvalsh(_hessian(L.valley, np.zeros(2)))
    assert ev.max() / ev.min() == pytest.approx(20.0)
    assert (
        L.valley.f([1.0, 2.0]) == L.valley(np.array([1.0, 2.0])) == pytest.approx(40.5)
    )


@pytest.mark.parametrize(
    "opt_cls", [optim.SGD, torch.optim.SGD], ids=["dlcourse", "torch"]
)
def test_sgd_on_bowl_matches_closed_form(opt_cls):
    # p_{t+1} = p_t - lr * 2 p_t  =>  p_t = (1 - 2 lr)^t p_0
    p0, lr = np.array([-1.5, 1.7]), 0.1
    path = L.trajectory("bowl", opt_cls, p0, steps=25, lr=lr)
    assert path.shape == (26, 2)
    np.testing.assert_allclose(
        path, (1 - 2 * lr) ** np.arange(26)[:, None] * p0, rtol=1e-12
    )


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "ours,theirs,kw",
    [
        (optim.SGD, torch.optim.SGD, dict(lr=1e-3, momentum=0.9)),
        (optim.RMSprop, torch.optim.RMSprop, dict(lr=1e-2)),
        (optim.Adam, torch.optim.Adam, dict(lr=5e-2)),
    ],
    ids=["momentum", "rmsprop", "adam"],
)
def test_trajectories_equal_torch_optim(name, ours, theirs, kw):
    a = L.trajectory(name, ours, steps=50, **kw)
    b = L.trajectory(name, theirs, steps=50, **kw)
    assert np.isfinite(a).all()
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_divergence_fills_nan_and_momentum_beats_sgd_on_valley():
    path = L.trajectory(
        L.bowl, optim.SGD, steps=1200, lr=1.5
    )  # |1 - 2*1.5| = 2 per step
    first_nan = np.argmax(np.isnan(path[:, 0]))
    assert 1000 < first_nan < 1200 and np.isnan(path[first_nan:]).all()
    assert np.isfinite(path[:first_nan]).all()
    sgd = L.trajectory(L.valley, optim.SGD, steps=100, lr=0.02)
    mom = L.trajectory(L.valley, optim.SGD, steps=100, lr=0.02, momentum=0.9)
    assert L.valley.f(mom[-1]) < 0.01 * L.valley.f(sgd[-1])  # measured: 7.3e-4 vs 0.108


def test_bad_inputs():
    with pytest.raises(ValueError, match="unknown landscape 'volcano'"):
        L.trajectory("volcano", optim.SGD, lr=0.1)
    with pytest.raises(ValueError, match=r"\(3,\)"):
        L.trajectory("bowl", optim.SGD, [0.0, 1.0, 2.0], lr=0.1)
    with pytest.raises(ValueError, match="animate_descent"):
        L.animate_descent("bowl", {})


@pytest.mark.parametrize("name", NAMES)
def test_plots(name):
    path = L.trajectory(name, optim.Adam, steps=20, lr=0.1)
    ax = L.plot_contour(name, {"Adam": path, "again": path})
    assert isinstance(ax, plt.Axes)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Adam", "again"]
    assert len(ax.lines) == 2 + len(L.LANDSCAPES[name].minima) + len(
        L.LANDSCAPES[name].saddles
    )
    np.testing.assert_allclose(ax.get_xlim(), L.LANDSCAPES[name].xlim)
    ax3 = L.plot_surface(name)
    assert ax3.name == "3d"
    assert isinstance(L.plot_contour(name, path, filled=True), plt.Axes)  # single array


def test_animation_html_is_small_and_has_controls():
    paths = {
        "SGD": L.trajectory("valley", optim.SGD, steps=100, lr=0.09),
        "Adam": L.trajectory("valley", optim.Adam, steps=100, lr=0.3),
    }
    html = L.animate_descent("valley", paths, frames=500, dpi=300)
    assert 'class="anim-controls"' in html and "play_animation" in html
    n_frames = html.count("data:image/png;base64")
    assert n_frames == 40  # capped
    assert len(html) < 4_000_000
    short = L.animate_descent(
        "bowl", {"x": L.trajectory("bowl", optim.SGD, steps=5, lr=0.1)}
    )
    assert short.count("data:image/png;base64") == 6  # never more frames than positions
    assert not plt.get_fignums()  # the figure was closed, so it does not show twice


def test_lr_slider_bundle_has_widget_and_static_png():
    s = L.lr_slider("bowl", (-1.5, 1.7), lrs=[0.01, 0.1, 1.05], steps=10)
    bundle, metadata = s._repr_mimebundle_()
    assert {
        "text/plain",
        "image/png",
        "application/vnd.jupyter.widget-view+json",
    } <= set(bundle)
    assert "model_id" in bundle["application/vnd.jupyter.widget-view+json"]
    png = base64.b64decode(bundle["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > 2 * height  # three panels side by side
    # drawn at twice the size it is shown at: sharp on a high-resolution screen
    assert metadata == {"image/png": {"width": width // 2}}
    assert set(s._repr_mimebundle_(include={"image/png"})[0]) == {"image/png"}
    assert "image/png" not in s._repr_mimebundle_(exclude={"image/png"})[0]
    # the slider drives the picture
    slider, image = s.widget().children
    before = image.value
    slider.value = 1.0
    assert image.value != before and image.value[:4] == b"\x89PNG"
    assert abs(2 * int(image.width) - int.from_bytes(image.value[16:20], "big")) <= 1
    assert 1.05 >= slider.value >= 0.01
    with pytest.raises(ValueError, match="positive"):
        L.lr_slider("bowl", lrs=[0.0, 0.1])


def test_animation_describes_itself_for_screen_readers():
    from dlcourse import landscapes, optim

    path = landscapes.trajectory("bowl", optim.SGD, steps=5, lr=0.1)
    html = landscapes.animate_descent("bowl", {"SGD": path}, frames=3)
    assert 'alt="Animation: 1 optimisation path(s) (SGD) walking downhill' in html
    assert "bowl" in html.split('id="_anim_img')[0][-200:]

"""Linear regions: Zaslavsky's bound for one layer, the 2^depth sawtooth, model kinds agree."""

import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from dlcourse import nn  # noqa: E402
from dlcourse.regions import (
    activation_patterns,
    count_linear_regions,
    plot_linear_regions,  # noqa: E402
    sawtooth_layers,
    zaslavsky_bound,
)


def _layer(n, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)), rng.normal(size=n)


def _window_around_intersections(W, b, margin=1.0):
    pts = [
        np.linalg.solve(W[[i, j]], -b[[i, j]])
        for i, j in itertools.combinations(range(len(W)), 2)
    ]
    pts = np.array(pts)
    return (pts[:, 0].min() - margin, pts[:, 0].max() + margin), (
        pts[:, 1].min() - margin,
        pts[:, 1].max() + margin,
    )


def test_zaslavsky_formula():
    assert [zaslavsky_bound(n) for n in range(6)] == [1, 2, 4, 7, 11, 16]
    assert zaslavsky_bound(3, dim=1) == 4  # 3 points cut a line into 4 pieces


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("seed", range(3))
def test_one_layer_reaches_zaslavsky_bound_when_window_holds_all_crossings(n, seed):
    W, b = _layer(n, seed)
    if n == 1:
        xlim = ylim = (-5.0, 5.0)
    else:
        xlim, ylim = _window_around_intersections(W, b)
    assert count_linear_regions(
        [(W, b)], xlim, ylim, resolution=1200
    ) == zaslavsky_bound(n)


@pytest.mark.parametrize("seed", range(10))
def test_one_layer_never_exceeds_bound(seed):
    n = 2 + seed
    W, b = _layer(n, 100 + seed)
    for window in [(-1, 1), (-5, 5), (-50, 50)]:
        assert count_linear_regions(
            [(W, b)], window, window, resolution=300
        ) <= zaslavsky_bound(n)


def test_parallel_lines_give_fewer_regions():
    W = np.array(
        [[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]
    )  # three vertical lines x = 0.5, 0, -0.5
    b = np.array([-0.5, 0.0, 0.5])
    assert count_linear_regions([(W, b)], resolution=301) == 4 < zaslavsky_bound(3)


@pytest.mark.parametrize("depth", [1, 2, 5, 8, 10])
def test_sawtooth_has_two_to_the_depth_regions(depth):
    count = count_linear_regions(
        sawtooth_layers(depth), (1e-4, 1 - 1e-4), (0, 1), resolution=(3000, 3)
    )
    assert count == 2**depth


def test_depth_beats_width_at_equal_parameters_for_the_best_weights():
    # 8 sawtooth layers: 6 * 8 = 48 parameters, 256 regions. One hidden layer with the same
    # 48 parameters has 16 ReLUs, so at most 1 + 16 + 120 = 137 regions, whatever its weights.
    depth = 8
    params = sum(W.size + b.size for W, b in sawtooth_layers(depth))
    assert params == 48
    width = params // 3
    assert zaslavsky_bound(width) == 137 < 2**depth
    for seed in range(5):
        assert count_linear_regions([_layer(width, seed)], (-4, 4), (-4, 4), 400) <= 137


def test_model_kinds_agree_and_output_layer_is_ignored():
    torch.manual_seed(0)
    t = torch.nn.Sequential(
        torch.nn.Linear(2, 6),
        torch.nn.ReLU(),
        torch.nn.Linear(6, 5),
        torch.nn.ReLU(),
        torch.nn.Linear(5, 1),
    ).double()
    pairs = [
        (t[0].weight.detach().numpy(), t[0].bias.detach().numpy()),
        (t[2].weight.detach().numpy(), t[2].bias.detach().numpy()),
    ]
    ours = nn.Sequential.from_torch(t)
    counts = {count_linear_regions(m, (-3, 3), (-3, 3), 300) for m in (t, pairs, ours)}
    assert len(counts) == 1 and counts.pop() > 1
    # patterns computed by hand for the first layer equal the model's own pre-activations
    pts = np.random.default_rng(0).uniform(-3, 3, (100, 2))
    with torch.no_grad():
        z1 = t[0](torch.tensor(pts)).numpy()
    np.testing.assert_array_equal(activation_patterns(t, pts)[:, :6], z1 > 0)
    # LeakyReLU has the same kinks, hence the same regions
    leaky = torch.nn.Sequential(
        t[0], torch.nn.LeakyReLU(), t[2], torch.nn.LeakyReLU(), t[4]
    )
    assert count_linear_regions(leaky, (-3, 3), (-3, 3), 300) == count_linear_regions(
        t, (-3, 3), (-3, 3), 300
    )


def test_bad_models():
    with pytest.raises(ValueError, match="Tanh is not piecewise linear"):
        count_linear_regions(nn.MLP([2, 4, 1], activation="tanh"))
    with pytest.raises(ValueError, match=r"\(4, 3\)"):
        count_linear_regions(nn.MLP([3, 4, 1]))
    assert (
        count_linear_regions(torch.nn.Linear(2, 3)) == 1
    )  # no hidden ReLU: one affine map


def test_plot_linear_regions():
    ax = plot_linear_regions(sawtooth_layers(3), (0.001, 0.999), (0, 1), resolution=200)
    assert isinstance(ax, plt.Axes) and ax.get_title() == "8 linear regions"
    plt.close("all")

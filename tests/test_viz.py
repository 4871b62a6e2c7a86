"""viz: every input kind draws without error, labels carry the right numbers, references agree."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sklearn.metrics  # noqa: E402
import torch  # noqa: E402

from matplotlib.contour import ContourSet  # noqa: E402

from dlcourse import data, viz  # noqa: E402
from dlcourse.autograd import Tensor  # noqa: E402
from dlcourse.nn import MLP  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(ax):
    return "\n".join(t.get_text() for t in ax.texts) + "\n" + ax.get_title()


X, Y = data.moons(100, 0.1, seed=0)
LINEAR = lambda Z: Z[:, 0] - Z[:, 1]  # noqa: E731  a score, boundary at 0
PREDICTORS = {
    "labels": lambda Z: (LINEAR(Z) > 0).astype(int),
    "probabilities": lambda Z: 1 / (1 + np.exp(-LINEAR(Z))),
    "column": lambda Z: (1 / (1 + np.exp(-LINEAR(Z))))[:, None],
    "scores": LINEAR,
    "two_class_scores": lambda Z: np.c_[-LINEAR(Z), LINEAR(Z)],
    "torch_out": lambda Z: torch.tensor(LINEAR(Z)),
    "dlcourse_out": lambda Z: Tensor(LINEAR(Z)),
}


@pytest.mark.parametrize("kind", list(PREDICTORS))
def test_decision_boundary_every_output_kind(kind):
    ax = viz.plot_decision_boundary(PREDICTORS[kind], X, Y, resolution=50)
    assert isinstance(ax, plt.Axes) and isinstance(ax.figure, plt.Figure)
    assert len(ax.collections) >= 3  # filled regions, boundary line, scattered points
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]


def test_decision_boundary_line_is_where_the_model_switches():
    ax = viz.plot_decision_boundary(PREDICTORS["probabilities"], X, Y, resolution=101)
    boundary = [
        c for c in ax.collections if isinstance(c, ContourSet) and len(c.levels) == 1
    ][0]
    pts = np.concatenate([p.vertices for p in boundary.get_paths()])
    np.testing.assert_allclose(pts[:, 0], pts[:, 1], atol=0.05)  # the line x1 = x2


def test_decision_boundary_models_and_multiclass():
    Xs, ys = data.spirals(90, n_classes=3, seed=0)
    ax = viz.plot_decision_boundary(
        lambda Z: np.c_[Z, -Z[:, :1]], Xs, ys, resolution=40
    )
    assert len(ax.get_legend().get_texts()) == 3
    tmodel = torch.nn.Sequential(
        torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)
    )
    viz.plot_decision_boundary(tmodel, X, Y, resolution=30)  # a torch module directly
    mlp = MLP([2, 4, 2])
    viz.plot_decision_boundary(
        lambda Z: mlp(Z), X, None, resolution=30
    )  # dlcourse Tensor logits
    with pytest.raises(ValueError, match=r"\(100, 3\)"):
        viz.plot_decision_boundary(LINEAR, np.c_[X, X[:, :1]], Y)
    with pytest.raises(ValueError, match="predict_fn returned shape"):
        viz.plot_decision_boundary(lambda Z: Z[:10, 0], X, Y, resolution=20)


def _circles(ax):
    return sum(len(c.get_offsets()) for c in ax.collections)


def test_draw_network_from_sizes():
    ax = viz.draw_network([2, 3, 1])
    text = _texts(ax)
    assert (
        "input\n2 units" in text
        and "hidden 1\n3 units" in text
        and "output\n1 unit" in text
    )
    assert "9 params" in text and "4 params" in text and "(13 parameters)" in text
    assert _circles(ax) == 6
    assert len(ax.lines) == 2 * 3 + 3 * 1  # every edge


def test_draw_network_big_layers_are_elided():
    ax = viz.draw_network([784, 128, 64, 10], max_neurons=8)
    text = _texts(ax)
    assert "⋮ 776 more" in text and "⋮ 120 more" in text and "⋮ 56 more" in text
    assert "100,480 params" in text and "8,256 params" in text and "650 params" in text
    assert "(109,386 parameters)" in text
    assert _circles(ax) == 8 + 8 + 8 + 10  # 10 <= 8 + 2 is drawn in full


@pytest.mark.parametrize("kind", ["dlcourse", "torch", "pairs"])
def test_draw_network_from_models(kind):
    sizes = [64, 32, 10]
    if kind == "dlcourse":
        model = MLP(sizes)
        ref = sum(p.data.size for p in model.parameters())
    elif kind == "torch":
        model = torch.nn.Sequential(
            torch.nn.Linear(64, 32),
            torch.nn.Tanh(),
            torch.nn.Dropout(0.2),
            torch.nn.Linear(32, 10),
        )
        ref = sum(p.numel() for p in model.parameters())
    else:
        rng = np.random.default_rng(0)
        model = [
            (rng.normal(size=(32, 64)), np.zeros(32)),
            (rng.normal(size=(10, 32)), np.zeros(10)),
        ]
        ref = 64 * 32 + 32 + 32 * 10 + 10
    ax = viz.draw_network(model)
    text = _texts(ax)
    assert f"({ref:,} parameters)" in text and "64 → 32 → 10" in text
    assert ("Tanh" in text) == (kind == "torch") and ("ReLU" in text) == (
        kind != "torch"
    )
    widths = {ln.get_linewidth() for ln in ax.lines}
    assert len(widths) > 10  # edge widths follow |w|
    plain = viz.draw_network(model, show_weights=False)
    assert {ln.get_linewidth() for ln in plain.lines} == {0.6}


def test_linear_layers_reads_weights_like_torch():
    t = torch.nn.Sequential(
        torch.nn.Linear(3, 5),
        torch.nn.ReLU(),
        torch.nn.Sequential(torch.nn.Linear(5, 2)),
    )
    layers = viz.linear_layers(t)
    assert [(W.shape, a) for W, _, a in layers] == [((5, 3), "ReLU"), ((2, 5), "")]
    np.testing.assert_array_equal(layers[0][0], t[0].weight.detach().double().numpy())
    with pytest.raises(TypeError, match="Conv2d"):
        viz.linear_layers(
            torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3), torch.nn.Linear(2, 2))
        )
    with pytest.raises(ValueError, match=r"\(5, 3\) and \(2, 4\)"):
        viz.linear_layers([(np.ones((5, 3)), None), (np.ones((2, 4)), None)])
    with pytest.raises(ValueError, match="layer sizes"):
        viz.draw_network([5])


def test_plot_history_variants():
    h = {
        "train_loss": [1.0, 0.6, 0.4],
        "val_loss": [1.1, 0.8, 0.7],
        "train_acc": [0.5, 0.7, 0.8],
        "val_acc": [0.4, 0.6, 0.65],
    }
    loss_ax, acc_ax = viz.plot_history(h)
    assert len(loss_ax.lines) == 2 and len(acc_ax.lines) == 2
    np.testing.assert_array_equal(loss_ax.lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(acc_ax.lines[1].get_ydata(), h["val_acc"])
    from dlcourse.train import History

    la, aa = viz.plot_history(History(train_loss=[2.0, 1.0]))
    assert aa is None and len(la.lines) == 1
    _, ax = plt.subplots()
    la, aa = viz.plot_history(h, ax=ax)
    assert la is ax and aa is not ax and len(aa.lines) == 2
    with pytest.raises(ValueError, match="no train_loss"):
        viz.plot_history({})


def test_confusion_matrix_matches_sklearn_and_plot_labels():
    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    np.testing.assert_array_equal(
        viz.confusion_matrix(t, p), sklearn.metrics.confusion_matrix(t, p)
    )
    ax = viz.plot_confusion_matrix(t, p)
    C = sklearn.metrics.confusion_matrix(t, p)
    cells = [int(x.get_text()) for x in ax.texts]
    assert cells == C.ravel().tolist()
    assert f"accuracy {np.mean(t == p):.1%}" == ax.get_title()
    ax = viz.plot_confusion_matrix(
        torch.tensor(t), p, labels=list("abcd"), normalize=True
    )
    np.testing.assert_allclose(
        [float(x.get_text()) for x in ax.texts][:4], C[0] / C[0].sum(), atol=0.005
    )
    assert [x.get_text() for x in ax.get_xticklabels()] == list("abcd")
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        viz.confusion_matrix([0, 1, 1], [0, 1])

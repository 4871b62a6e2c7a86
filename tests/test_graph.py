"""draw_graph / graph_layout: every node drawn, with op, value and gradient; arrows go left to right."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlcourse.autograd import Tensor  # noqa: E402
from dlcourse.graph import draw_graph, graph_layout  # noqa: E402


def _neuron():
    """The classic example: L = (a·b + c)·f."""
    a = Tensor(2.0, requires_grad=True, label="a")
    b = Tensor(-3.0, requires_grad=True, label="b")
    c = Tensor(10.0, requires_grad=True, label="c")
    f = Tensor(-2.0, requires_grad=True, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return L, (a, b, c, d, e, f)


def _texts(fig):
    """The node boxes' texts (arrows are empty-text annotations)."""
    return [t.get_text() for ax in fig.axes for t in ax.texts if t.get_text()]


def test_every_node_is_drawn_with_op_value_and_grad():
    L, (a, b, c, d, e, f) = _neuron()
    L.backward()
    fig = draw_graph(L)
    texts = _texts(fig)
    assert len(texts) == 7
    by_label = {t.split()[0]: t for t in texts}
    assert (
        "[*]" in by_label["L"]
        and "data -8" in by_label["L"]
        and "grad 1" in by_label["L"]
    )
    assert (
        "[+]" in by_label["d"]
        and "data 4" in by_label["d"]
        and "grad -2" in by_label["d"]
    )
    # dL/da = f·b = 6, dL/db = f·a = -4, dL/dc = f = -2, dL/df = d = 4
    assert "grad 6" in by_label["a"] and "grad -4" in by_label["b"]
    assert "grad -2" in by_label["c"] and "grad 4" in by_label["f"]
    assert "[leaf]" in by_label["a"]
    assert isinstance(fig, plt.Figure)
    plt.close(fig)


def test_before_backward_gradients_show_none():
    L, _ = _neuron()
    fig = draw_graph(L)
    assert all("grad None" in t for t in _texts(fig))
    plt.close(fig)
    fig = draw_graph(L, show_grad=False)
    assert not any("grad" in t for t in _texts(fig))
    plt.close(fig)


def test_layout_is_layered_left_to_right():
    L, (a, b, c, d, e, f) = _neuron()
    pos = graph_layout(L)
    assert set(pos) == {L, a, b, c, d, e, f}
    for node in pos:
        for parent in node.parents:
            assert pos[parent][0] < pos[node][0]
    assert pos[L][0] == max(col for col, _ in pos.values())
    # no two boxes in the same place
    assert len(set(pos.values())) == len(pos)


def test_twenty_node_graph_with_tensors_and_constants():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 3)), label="x")
    w1 = Tensor(rng.standard_normal((3, 5)), requires_grad=True, label="W1")
    b1 = Tensor(np.zeros(5), requires_grad=True, label="b1")
    w2 = Tensor(rng.standard_normal((5, 2)), requires_grad=True, label="W2")
    h = (x @ w1 + b1).tanh()
    out = (h @ w2).sigmoid() * 2 - 1
    loss = ((out - Tensor(np.ones((4, 2)))) ** 2).mean() + (h * h).sum() * 0.01
    loss.backward()
    pos = graph_layout(loss)
    assert 15 <= len(pos) <= 25
    fig = draw_graph(loss, title="MLP")
    texts = _texts(fig)
    assert len(texts) == len(pos)
    assert any(
        "shape (4, 3)" in t for t in texts
    )  # non-scalar value shown as its shape
    assert any("grad ‖·‖=" in t for t in texts)  # non-scalar gradient shown by its norm
    assert any(t.startswith("x") and "[input]" in t for t in texts)
    fig.canvas.draw()  # renders without error
    plt.close(fig)


def test_draw_into_existing_axes():
    L, _ = _neuron()
    fig, ax = plt.subplots()
    assert draw_graph(L, ax=ax) is fig
    assert len(_texts(fig)) == 7
    plt.close(fig)


def test_single_leaf_graph():
    x = Tensor(3.0, requires_grad=True)
    x.backward()
    fig = draw_graph(x)
    assert _texts(fig) == ["leaf\ndata 3\ngrad 1"]
    plt.close(fig)


@pytest.mark.parametrize("shape", [(3,), (2, 2)])
def test_repeated_parent_draws_one_arrow(shape):
    x = Tensor(np.ones(shape), requires_grad=True)
    y = (x * x).sum()
    fig = draw_graph(y)
    ax = fig.axes[0]
    arrows = [c for c in ax.texts if c.get_text() == ""]  # annotations carry the arrows
    assert len(arrows) == 2  # x -> x*x, x*x -> sum
    plt.close(fig)

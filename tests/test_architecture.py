"""dlcourse.architecture: the recorded shapes and parameter counts equal PyTorch's own."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

from dlcourse.architecture import LayerInfo, draw_architecture, summarize
from dlcourse.models.cnn import LeNet
from dlcourse.nn import from_torch


def reference_summary(model, x):
    """Shapes by running the Sequential by hand; counts by p.numel()."""
    rows = []
    with torch.no_grad():
        for layer in model:
            x = layer(x)
            rows.append(
                (
                    type(layer).__name__,
                    tuple(x.shape),
                    sum(p.numel() for p in layer.parameters()),
                )
            )
    return rows


@pytest.mark.parametrize("image_size", [8, 28])
def test_torch_lenet_summary_matches_pytorch(image_size):
    model = LeNet(image_size=image_size, dropout=0.2).eval()
    layers = summarize(model, (3, 1, image_size, image_size))
    assert layers[0] == LayerInfo("input", "Input", (3, 1, image_size, image_size), 0)
    got = [(info.type, info.output_shape, info.n_params) for info in layers[1:]]
    assert got == reference_summary(model, torch.zeros(3, 1, image_size, image_size))
    assert sum(info.n_params for info in layers) == sum(
        p.numel() for p in model.parameters()
    )


def test_dlcourse_twin_has_the_same_summary():
    model = LeNet(image_size=28)
    ours = summarize(from_torch(model), (2, 1, 28, 28))
    ref = summarize(model, (2, 1, 28, 28))
    assert [(i.type, i.output_shape, i.n_params) for i in ours] == [
        (i.type, i.output_shape, i.n_params) for i in ref
    ]
    twin = from_torch(model)
    fig = draw_architecture(twin, (2, 1, 28, 28))
    assert fig.axes[0].get_title() == "Sequential: 107,786 parameters"
    plt.close(fig)
    # the wrapping is undone: forward is the class's again
    assert all("forward" not in vars(m) for m in twin.modules())


class TinyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(30, 8)
        self.lstm = nn.LSTM(8, 16, batch_first=True)
        self.head = nn.Linear(16, 30)
        self.unused = nn.Linear(3, 3)

    def forward(self, tokens):
        h, _ = self.lstm(self.emb(tokens))  # the LSTM returns (output, (h, c))
        return self.head(h)


def test_tuple_outputs_integer_inputs_and_unused_layers():
    model = TinyLM()
    layers = summarize(
        model, (4, 11)
    )  # token ids: long, because the first unit is an Embedding
    assert [(i.name, i.output_shape, i.n_params) for i in layers] == [
        ("input", (4, 11), 0),
        ("emb", (4, 11, 8), 30 * 8),
        (
            "lstm",
            (4, 11, 16),
            4 * 16 * (8 + 16 + 2),
        ),  # 4 gates, input+hidden weights, two biases
        ("head", (4, 11, 30), 16 * 30 + 30),
    ]
    fig = draw_architecture(model, (4, 11))
    title = fig.axes[0].get_title()
    total = sum(p.numel() for p in model.parameters())
    assert f"{total:,} parameters" in title and "+12 not in a drawn layer" in title
    plt.close(fig)


def test_modules_with_their_own_parameters_are_one_box():
    block = nn.TransformerEncoderLayer(16, 2, 32, batch_first=True)
    layers = summarize(block, (2, 5, 16))
    attn = [i for i in layers if i.type == "MultiheadAttention"]
    assert len(attn) == 1 and attn[0].output_shape == (2, 5, 16)
    assert attn[0].n_params == sum(p.numel() for p in block.self_attn.parameters())
    assert sum(i.n_params for i in layers) == sum(p.numel() for p in block.parameters())


def test_drawing_labels_every_layer():
    model = LeNet(image_size=28)
    fig, ax = plt.subplots()
    assert draw_architecture(model, (1, 1, 28, 28), ax=ax) is fig
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == "Input\n1×1×28×28"
    assert "Conv2d\n1×6×28×28\n156 params" in texts
    assert "Linear\n1×120\n94,200 params" in texts
    assert ax.get_title() == "LeNet: 107,786 parameters"
    assert len(ax.patches) == 13
    colours = {matplotlib.colors.to_hex(p.get_edgecolor()) for p in ax.patches}
    assert {
        "#0072b2",
        "#56b4e9",
        "#e69f00",
        "#009e73",
    } <= colours  # conv, pool, linear, activation
    plt.close(fig)


def test_example_input_is_used_as_is():
    model = nn.Sequential(nn.Linear(5, 3), nn.Tanh())
    layers = summarize(model, torch.zeros(7, 5))
    assert [i.output_shape for i in layers] == [(7, 5), (7, 3), (7, 3)]
    assert model.training  # the mode is restored after the eval-mode pass
    assert np.all([i.kind for i in layers] == ["input", "linear", "activation"])

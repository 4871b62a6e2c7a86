"""dlcourse.receptive_field: the recurrence against a backward pass (many stacks) and by hand."""

import numpy as np
import pytest
import torch
from torch import nn

from dlcourse.models.cnn import LeNet
from dlcourse.receptive_field import gradient_region, receptive_field

STACKS = {
    "one conv": lambda: [nn.Conv2d(1, 2, 3)],
    "convs": lambda: [nn.Conv2d(1, 2, 3), nn.Conv2d(2, 2, 5), nn.Conv2d(2, 1, 3)],
    "stride": lambda: [nn.Conv2d(1, 2, 3, stride=2), nn.Conv2d(2, 2, 3, stride=2)],
    "padding": lambda: [nn.Conv2d(1, 2, 5, padding=2), nn.Conv2d(2, 2, 3, padding=1)],
    "dilation": lambda: [
        nn.Conv2d(1, 2, 3, dilation=2),
        nn.Conv2d(2, 2, 3, dilation=3),
    ],
    "same": lambda: [
        nn.Conv2d(1, 2, 3, padding="same", dilation=2),
        nn.Conv2d(2, 1, 3),
    ],
    "max pool": lambda: [nn.Conv2d(1, 2, 3), nn.MaxPool2d(2), nn.Conv2d(2, 2, 3)],
    "avg pool, stride": lambda: [
        nn.Conv2d(1, 2, 3, padding=1),
        nn.AvgPool2d(3, stride=2, padding=1),
        nn.Conv2d(2, 2, 3, stride=2),
    ],
    "relu and pool": lambda: [
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3, padding=1, dilation=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
    ],
}


@pytest.mark.parametrize("name", list(STACKS))
def test_recurrence_matches_the_gradient_of_units_everywhere(name):
    torch.manual_seed(0)
    model = nn.Sequential(*STACKS[name]()).double()
    size = 30
    x = torch.rand(64, 1, size, size, dtype=torch.float64, generator=None) - 0.5
    field = receptive_field(model)[-1]
    out_h = model(x).shape[2]
    for i in sorted(
        {0, out_h // 2, out_h - 1}
    ):  # border units are clipped by the image
        region = gradient_region(model, x, (0, i, i))
        first, last = field.span(i)
        expected = (max(first, 0), min(last, size - 1))
        assert region.rows == expected and region.cols == expected, (name, i, field)


def test_lenet_fields_by_hand():
    # 5x5 same conv: 5; 2x2 pool: 5 + 1 = 6, jump 2; 5x5 conv: 6 + 4*2 = 14; pool: 14 + 2 = 16.
    net = LeNet(1, 4, image_size=28)
    fields = receptive_field(net[: net.n_feature_layers])
    assert [(f.size, f.jump, f.start) for f in fields] == [
        (5, 1, -2),
        (5, 1, -2),
        (6, 2, -2),
        (14, 2, -6),
        (14, 2, -6),
        (16, 4, -6),
    ]
    assert fields[2].name == "2: MaxPool2d" and fields[-1].span(3) == (6, 21)


def test_clear_errors():
    with pytest.raises(ValueError, match="Linear layer sees the whole input"):
        receptive_field([nn.Conv2d(1, 1, 3), nn.Flatten()])
    with pytest.raises(ValueError, match=r"non-square kernel_size \(3, 5\)"):
        receptive_field([nn.Conv2d(1, 1, (3, 5))])
    with pytest.raises(ValueError, match="no layers"):
        receptive_field([])
    model = nn.Sequential(nn.Conv2d(1, 1, 3))
    with pytest.raises(
        ValueError, match=r"unit \(0, 6, 0\) is not inside .*\(2, 1, 6, 6\)"
    ):
        gradient_region(model, np.zeros((2, 1, 8, 8)), (0, 6, 0))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\), got shape \(8, 8\)"):
        gradient_region(model, np.zeros((8, 8)), (0, 0, 0))


def test_gradient_region_leaves_the_model_as_it_was():
    model = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Dropout(0.5)).train()
    before = [p.detach().clone() for p in model.parameters()]
    region = gradient_region(
        model, np.random.default_rng(0).random((4, 1, 9, 9)), (0, 3, 3)
    )
    assert model.training and all(
        torch.equal(a, b) for a, b in zip(before, model.parameters())
    )
    assert region.magnitude.shape == (9, 9) and region.rows == (3, 5)

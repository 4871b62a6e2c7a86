"""Layers and models on top of the autograd Tensor, mirroring ``torch.nn``.

A :class:`Module` (:mod:`dlcourse.module`) is a function with parameters. Its parameters are found by
looking at its attributes: every Tensor attribute with ``requires_grad=True`` is a
parameter, every Module attribute (or list/tuple of Modules) is a child whose
parameters are collected recursively. A network is then just modules inside
modules, e.g. ``Sequential(Linear(2, 8), ReLU(), Linear(8, 1))`` computes

.. math::  y = W_2\\, \\mathrm{relu}(W_1 x + b_1) + b_2

with weights in PyTorch's layout ``(out_features, in_features)``, so that a
batch ``X`` of shape ``(N, in)`` maps to ``X @ W.T + b`` of shape ``(N, out)``.
Every layer with a PyTorch twin registers itself (:func:`dlcourse.interop.twin_of`)
and can copy that twin's weights (``from_torch``);
the tests check outputs and gradients equal to PyTorch in float64.

See chapter: From neurons to networks (book/03_networks.ipynb)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from dlcourse import init
from dlcourse.activations import gelu, gelu_grad
from dlcourse.autograd import Tensor, as_tensor
from dlcourse.interop import from_torch, to_numpy, twin_of
from dlcourse.module import Module
from dlcourse.rng import SeedLike, as_generator

__all__ = [
    "Module",
    "Linear",
    "Sequential",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "LeakyReLU",
    "GELU",
    "Identity",
    "Dropout",
    "MLP",
    "from_torch",
]


@twin_of("Linear")
class Linear(Module):
    """Fully connected layer ``y = x @ W.T + b`` (``torch.nn.Linear``).

    ``weight`` has shape ``(out_features, in_features)``, ``bias`` ``(out_features,)``.
    Default initialisation is PyTorch's: kaiming-uniform with ``a = sqrt(5)`` for the
    weight and U(-1/sqrt(in), 1/sqrt(in)) for the bias, i.e. both uniform in
    ``[-1/sqrt(in_features), 1/sqrt(in_features)]``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rng: SeedLike = None,
        dtype: Any = np.float64,
    ) -> None:
        self.in_features, self.out_features = int(in_features), int(out_features)
        gen = as_generator(rng)
        self.weight = Tensor(
            np.empty((out_features, in_features), dtype=dtype), requires_grad=True
        )
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=gen)
        self.bias: Tensor | None = None
        if bias:
            bound = 1.0 / math.sqrt(in_features) if in_features > 0 else 0.0
            self.bias = Tensor(np.empty(out_features, dtype=dtype), requires_grad=True)
            init.uniform_(self.bias, -bound, bound, rng=gen)

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear: input of shape {x.shape} does not match weight of shape "
                f"{self.weight.shape}: expected last dimension {self.in_features}"
            )
        out = x @ self.weight.T
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )

    @classmethod
    def from_torch(cls, layer: Any) -> Linear:
        """A Linear with a float64 copy of a ``torch.nn.Linear``'s weight and bias."""
        new = cls(
            layer.in_features, layer.out_features, bias=layer.bias is not None, rng=0
        )
        new.weight.data[...] = to_numpy(layer.weight, np.float64)
        if new.bias is not None:
            new.bias.data[...] = to_numpy(layer.bias, np.float64)
        return new


@twin_of("Sequential")
class Sequential(Module):
    """Apply modules one after another: ``Sequential(f, g, h)(x) == h(g(f(x)))``."""

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(
                    f"Sequential: item {i} is a {type(m).__name__}, not a Module"
                )
        self.layers: list[Module] = list(modules)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        # Named "0", "1", ... like torch, so parameter names match ("0.weight").
        for i, m in enumerate(self.layers):
            yield str(i), m

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    @classmethod
    def from_torch(cls, seq: Any) -> Sequential:
        """Copy a ``torch.nn.Sequential``, each layer by :func:`dlcourse.interop.from_torch`."""
        return Sequential(*(from_torch(m) for m in seq))


@twin_of("ReLU")
class ReLU(Module):
    """``relu(x) = max(x, 0)``."""

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).relu()


@twin_of("Sigmoid")
class Sigmoid(Module):
    """``sigmoid(x) = 1 / (1 + exp(-x))``."""

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).sigmoid()


@twin_of("Tanh")
class Tanh(Module):
    """``tanh(x)``."""

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).tanh()


@twin_of("LeakyReLU", settings=("negative_slope",))
class LeakyReLU(Module):
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise (``torch.nn.LeakyReLU``)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = float(negative_slope)

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        # x times a piecewise-constant slope; the slope's own derivative is 0, so it
        # enters as a constant and d/dx = slope (1 or negative_slope), as in torch.
        slope = np.where(x.data > 0, 1.0, self.negative_slope).astype(x.data.dtype)
        return x * slope

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


@twin_of("GELU", settings=("approximate",))
class GELU(Module):
    """Gaussian error linear unit ``x * Phi(x)`` (``torch.nn.GELU``).

    ``approximate="none"`` (default) is exact, with the normal CDF
    ``Phi(x) = (1 + erf(x / sqrt 2)) / 2`` and derivative ``Phi(x) + x phi(x)``;
    ``approximate="tanh"`` is ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``,
    composed of Tensor ops. Both equal torch's, values and gradients.
    """

    def __init__(self, approximate: str = "none") -> None:
        if approximate not in ("none", "tanh"):
            raise ValueError(
                f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}"
            )
        self.approximate = approximate

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        if self.approximate == "tanh":
            inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)
            return 0.5 * x * (1.0 + inner.tanh())
        # The Tensor has no erf, so take GELU's value v and slope s at x0 = x from
        # NumPy (dlcourse.activations) and build v + s * (x - x0): its value is v
        # (x - x0 is exactly 0) and its derivative is s, which is all backprop needs.
        x0 = x.detach()
        return (x - x0) * gelu_grad(x0.data) + gelu(x0.data)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


@twin_of("Identity")
class Identity(Module):
    """Returns its input unchanged."""

    def forward(self, x: Any) -> Any:
        return x


@twin_of("Dropout", settings=("p",))
class Dropout(Module):
    """Inverted dropout (``torch.nn.Dropout``).

    In training mode each element is zeroed with probability ``p`` and the
    survivors are scaled by ``1 / (1 - p)``, so the expected output equals the
    input and nothing needs rescaling at test time; in eval mode it is the
    identity. The mask comes from the module's own seeded generator.
    """

    def __init__(self, p: float = 0.5, rng: SeedLike = None) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability p must be in [0, 1], got {p}")
        self.p = float(p)
        self.rng = as_generator(rng)

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:
            return x * np.zeros_like(x.data)
        keep = self.rng.random(x.shape) >= self.p
        return x * (keep / (1.0 - self.p)).astype(x.data.dtype)

    def extra_repr(self) -> str:
        return f"p={self.p}"


_ACTIVATIONS: dict[str, Callable[[], Module]] = {
    "relu": ReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "leaky_relu": LeakyReLU,
    "gelu": GELU,
    "identity": Identity,
    "linear": Identity,
}


class MLP(Sequential):
    """Multi-layer perceptron: Linear -> activation [-> Dropout] ... -> Linear.

    ``MLP([64, 128, 10])`` is ``Sequential(Linear(64, 128), ReLU(), Linear(128, 10))``;
    the last layer has no activation (it outputs logits). ``seed`` fixes both the
    initial weights and the dropout masks.
    """

    def __init__(
        self,
        sizes: list[int] | tuple[int, ...] = (64, 128, 10),
        activation: str | Callable[[], Module] = "relu",
        dropout: float = 0.0,
        seed: int | None = 0,
        dtype: Any = np.float64,
    ) -> None:
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP: need at least input and output sizes, got {sizes}")
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(
                    f"MLP: unknown activation {activation!r}; choose from {sorted(_ACTIVATIONS)}"
                )
            make_act = _ACTIVATIONS[activation]
        else:
            make_act = activation
        rng = np.random.default_rng(seed)
        layers: list[Module] = []
        for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
            layers.append(Linear(n_in, n_out, rng=rng, dtype=dtype))
            if i < len(sizes) - 2:
                layers.append(make_act())
                if dropout > 0:
                    layers.append(Dropout(dropout, rng=rng))
        super().__init__(*layers)
        self.sizes = sizes

"""Crossing between dlcourse and PyTorch: recognise, convert, and find a layer's twin.

Three small tools that every module uses instead of writing its own:

* :func:`is_torch` — is this a ``torch`` object (module or tensor)? It never imports
  torch: if torch was not imported, nothing can be a torch object, and notebooks that
  never use torch do not pay its import time.
* :func:`to_numpy` — a NumPy array from a dlcourse Tensor, a torch tensor (detached,
  on the CPU) or anything ``numpy.asarray`` takes.
* :func:`from_torch` — the dlcourse twin of a torch module with float64 copies of its
  weights. Each layer module registers its converters where the layer is defined, with
  the class decorator :func:`twin_of` (``@twin_of("Linear")`` above ``class Linear``);
  :func:`from_torch` looks the module's class up in that one registry and converts
  containers (``Sequential``) recursively, so any model made of registered layers — an
  MLP, a CNN — converts.

A twin computes the same function: the tests check every registered pair against
PyTorch in float64, outputs and gradients.

See chapter: From neurons to networks (book/03_networks.ipynb)
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    from dlcourse.nn import Module

__all__ = ["is_torch", "to_numpy", "twin_of", "from_torch", "registered_twins"]

ModuleType = TypeVar("ModuleType", bound=type)
Converter = Callable[[Any], "Module"]

# torch.nn class name -> converter returning the dlcourse twin. Keyed by name so that
# registering a layer does not import torch.
_CONVERTERS: dict[str, Converter] = {}

# The modules whose layers register themselves; imported before a lookup, so that
# nn.from_torch finds Conv2d even when dlcourse.conv was never imported.
_LAYER_MODULES = (
    "dlcourse.nn",
    "dlcourse.conv",
    "dlcourse.rnn",
    "dlcourse.gru",
    "dlcourse.attention",
    "dlcourse.decoder",
    "dlcourse.normalization",
    "dlcourse.batchnorm",
)


def is_torch(obj: Any) -> bool:
    """True for a ``torch.nn.Module`` or a ``torch.Tensor`` (without importing torch)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, (torch.nn.Module, torch.Tensor))


def to_numpy(x: Any, dtype: Any = None) -> np.ndarray:
    """A NumPy array from a NumPy array, a torch tensor, a dlcourse Tensor or a list.

    A torch tensor is detached and copied to the CPU; a dlcourse Tensor gives its
    ``.data``. Memory is shared where possible (as ``Tensor.numpy()`` does), so copy
    before writing into the result. ``dtype`` converts, e.g. ``np.float64`` for the
    float64 copies of weights that ``from_torch`` makes.
    """
    if is_torch(x):
        x = x.detach().cpu()
        if dtype is not None:
            # Convert on the torch side: NumPy has no bfloat16, so x.numpy() would fail.
            import torch

            x = x.to(getattr(torch, np.dtype(dtype).name))
        arr = x.numpy()
    elif isinstance(getattr(x, "data", None), np.ndarray):  # dlcourse Tensor
        arr = x.data
    else:
        arr = np.asarray(x)
    return arr if dtype is None else arr.astype(dtype, copy=False)


def twin_of(
    torch_name: str, *, settings: tuple[str, ...] = ()
) -> Callable[[ModuleType], ModuleType]:
    """Class decorator: register the decorated dlcourse layer as the twin of
    ``torch.nn.<torch_name>``.

    The converter is the class's ``from_torch`` classmethod when it has one (layers
    with weights); otherwise the twin is built as ``cls(**{s: module.s for s in
    settings})`` — e.g. ``@twin_of("LeakyReLU", settings=("negative_slope",))``.
    """

    def register(cls: ModuleType) -> ModuleType:
        convert = getattr(cls, "from_torch", None)
        if convert is None:

            def convert(module: Any) -> Module:
                return cls(**{name: getattr(module, name) for name in settings})

        if torch_name in _CONVERTERS:
            raise ValueError(f"twin_of: torch.nn.{torch_name} is registered twice")
        _CONVERTERS[torch_name] = convert
        return cls

    return register


def registered_twins() -> list[str]:
    """Names of the ``torch.nn`` classes that :func:`from_torch` converts, sorted."""
    for name in _LAYER_MODULES:
        importlib.import_module(name)
    return sorted(_CONVERTERS)


def from_torch(module: Any) -> Module:
    """The dlcourse twin of a torch module, with float64 copies of its weights.

    The module's class (or, for a subclass such as ``LeNet(torch.nn.Sequential)``,
    its nearest ``torch.nn`` base) is looked up in the registry; ``Sequential``
    converts each child with this function, so nested models convert too.
    Raises ``TypeError`` naming the class and the supported ones otherwise.
    """
    supported = registered_twins()
    import torch

    for cls in type(module).__mro__:
        name = cls.__name__
        if name in _CONVERTERS and getattr(torch.nn, name, None) is cls:
            return _CONVERTERS[name](module)
    raise TypeError(
        f"from_torch: no dlcourse twin for torch module {type(module).__name__}; "
        f"supported: {', '.join(supported)}"
    )

"""The base class of every layer: a function with parameters (``torch.nn.Module``).

A :class:`Module` finds its parameters by looking at its attributes: every Tensor
attribute with ``requires_grad=True`` is a parameter, every Module attribute (or
list/tuple of Modules) is a child whose parameters are collected recursively. A
network is then just modules inside modules; ``parameters()`` hands all their
tensors to an optimiser, ``train()``/``eval()`` switch the mode of all of them.

See chapter: From neurons to networks (book/03_networks.ipynb)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dlcourse.autograd import Tensor

__all__ = ["Module"]


class Module:
    """Base class of all layers and models (like ``torch.nn.Module``)."""

    training: bool = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- structure -----------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct sub-modules: Module attributes, and Modules inside list/tuple attributes."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def children(self) -> list[Module]:
        return [m for _, m in self.named_children()]

    def modules(self) -> list[Module]:
        """This module and all its descendants, depth first, each once."""
        out: list[Module] = []
        seen: set[int] = set()
        stack: list[Module] = [self]
        while stack:
            m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            out.append(m)
            stack.extend(reversed(m.children()))
        return out

    def _own_parameters(self) -> Iterator[tuple[str, Tensor]]:
        for name, value in vars(self).items():
            if isinstance(value, Tensor) and value.requires_grad:
                yield name, value

    def named_parameters(self, prefix: str = "") -> list[tuple[str, Tensor]]:
        """``[(dotted_name, tensor), ...]``; a tensor shared by two layers appears once."""
        out: list[tuple[str, Tensor]] = []
        seen: set[int] = set()

        def visit(module: Module, prefix: str, visited: set[int]) -> None:
            if id(module) in visited:
                return
            visited.add(id(module))
            for name, p in module._own_parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append((prefix + name, p))
            for name, child in module.named_children():
                visit(child, f"{prefix}{name}.", visited)

        visit(self, prefix, set())
        return out

    def parameters(self) -> list[Tensor]:
        """All trainable tensors of this module and its children, without duplicates."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        return sum(p.data.size for p in self.parameters())

    # -- modes and gradients ---------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout active) for this module and all descendants."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    # -- display ---------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [
            f"  ({name}): " + repr(m).replace("\n", "\n  ") for name, m in children
        ]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"

"""A reverse-mode automatic-differentiation engine over NumPy arrays, PyTorch's twin.

``core`` holds the engine (the Tensor, the node-building API, ``backward``, grad mode);
the operations live in modules by family: ``elementwise``, ``reductions``,
``reshaping`` (shape and indexing), ``matmul`` and ``softmax``.

See chapter: Backpropagation (book/07_backpropagation.ipynb)
"""

from dlcourse.autograd.core import (
    Tensor,
    accumulate,
    as_tensor,
    enable_grad,
    is_grad_enabled,
    make_node,
    no_grad,
    tensor,
    unbroadcast,
)
from dlcourse.autograd.elementwise import gelu, leaky_relu, where
from dlcourse.autograd.reductions import ValuesIndices
from dlcourse.autograd.reshaping import cat, stack

__all__ = [
    "Tensor",
    "tensor",
    "as_tensor",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "make_node",
    "accumulate",
    "unbroadcast",
    "where",
    "cat",
    "stack",
    "leaky_relu",
    "gelu",
    "ValuesIndices",
]

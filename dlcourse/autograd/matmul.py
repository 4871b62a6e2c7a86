"""Matrix products: ``a @ b`` for vectors, matrices and batches of matrices.

For C = A B with upstream gradient G = dL/dC:  dL/dA = G Bᵀ,  dL/dB = Aᵀ G — each
gradient has its operand's shape. Vectors are promoted to matrices (a row on the
left, a column on the right) and batch dimensions broadcast, as in ``torch.matmul``.

See chapter: Backpropagation (book/07_backpropagation.ipynb)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from dlcourse.autograd import core

if TYPE_CHECKING:
    from dlcourse.autograd.core import Tensor


def matmul(self: Tensor, other: Any) -> Tensor:
    """C = A @ B:  dL/dA = G @ Bᵀ,  dL/dB = Aᵀ @ G  (batched like ``np.matmul``)."""
    other = core.as_operand(other, self)
    a, b = self.data, other.data
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} are invalid: "
            "matmul needs at least 1-D operands"
        )
    k_a, k_b = a.shape[-1], b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} are not aligned: {k_a} != {k_b}"
        )
    try:
        data = a @ b
    except ValueError:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} have batch dimensions that "
            "cannot be broadcast"
        ) from None

    def backward(g: np.ndarray) -> None:
        if a.ndim == 2 and b.ndim == 2:  # the common case, kept fast
            if self.requires_grad:
                core.accumulate(self, g @ b.T)
            if other.requires_grad:
                # Same result; the second form gives the gradient b's memory layout
                # (b = W.T in a Linear layer), so W.grad comes out C-contiguous.
                core.accumulate(other, a.T @ g if b.flags.c_contiguous else (g.T @ a).T)
            return
        # Promote 1-D operands to matrices as np.matmul does, then undo it.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g[..., None] if b.ndim == 1 else g  # (b first: g may be 0-d)
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        if self.requires_grad:
            ga = core.unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape)
            core.accumulate(self, ga.reshape(a.shape))
        if other.requires_grad:
            gb = core.unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape)
            core.accumulate(other, gb.reshape(b.shape))

    return core.make_node(data, (self, other), "@", backward)


def rmatmul(self: Tensor, other: Any) -> Tensor:
    """``array @ tensor``."""
    return matmul(core.as_operand(other, self), self)

"""The gated recurrent unit (GRU) from scratch: ``GRUCell`` and ``GRU``, PyTorch's twins.

The GRU (Cho et al. 2014) keeps the LSTM's idea, a state updated through gates, with
one state instead of two and three gate blocks instead of four. In PyTorch's form
(gate order r, z, n, stacked in ``weight_ih`` of shape ``(3H, I)`` and ``weight_hh``
of shape ``(3H, H)``):

.. math::

    r &= \\sigma(x W_{ir}^T + b_{ir} + h W_{hr}^T + b_{hr}) \\\\
    z &= \\sigma(x W_{iz}^T + b_{iz} + h W_{hz}^T + b_{hz}) \\\\
    n &= \\tanh(x W_{in}^T + b_{in} + r \\odot (h W_{hn}^T + b_{hn})) \\\\
    h' &= (1 - z) \\odot n + z \\odot h

The reset gate ``r`` decides how much of the old state the candidate ``n`` may read;
the update gate ``z`` mixes old state and candidate. Along the direct path
``dh'/dh = diag(z)`` (plus terms through the gates): while ``z`` stays near 1 the
state, and the gradient, pass through many steps unchanged, the role the LSTM's forget
gate plays. Note that ``r`` multiplies ``h W_hnᵀ + b_hn`` *after* the product, which is
why the two biases of the ``n`` block are not interchangeable (PyTorch's and cuDNN's
form; Cho et al. apply ``r`` to ``h`` before the product).

Both classes are built from :class:`~dlcourse.autograd.Tensor` operations, so the
engine provides the backward pass (backpropagation through time); the tests hold them
equal to ``torch.nn.GRUCell`` and ``torch.nn.GRU`` in float64, outputs and gradients.

See chapter: Recurrent networks, LSTMs and GRUs (book/12_rnn.ipynb)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlcourse.autograd import Tensor, as_tensor, stack
from dlcourse.interop import twin_of
from dlcourse.nn import Module
from dlcourse.rng import as_generator
from dlcourse.rnn import RecurrentCell

__all__ = ["GRUCell", "GRU"]

GATES = ("r", "z", "n")  # PyTorch's order of the row blocks of weight_ih / weight_hh


def _torch_weights(module: Any, suffix: str = "") -> list[Any]:
    """(weight_ih, weight_hh[, bias_ih, bias_hh]) of a torch cell, or of one layer of a
    torch GRU with ``suffix="_l0"``."""
    names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if module.bias else [])
    return [getattr(module, name + suffix) for name in names]


@twin_of("GRUCell")
class GRUCell(RecurrentCell):
    """One step of a GRU (``torch.nn.GRUCell``), gates in PyTorch's order r, z, n.

    ``weight_ih (3H, I)`` and ``weight_hh (3H, H)`` stack the gates in PyTorch's order
    r (reset), z (update), n (candidate). After each call, ``last_gates`` holds the
    gate activations ``{"r", "z", "n"}`` as arrays (N, H).
    """

    n_gates = 3

    def input_projection(self, x: Tensor) -> Tensor:
        """``x W_ihᵀ + b_ih`` for x (..., I): the part of the gates that does not depend
        on h, so a layer can compute it for all time steps in one product."""
        projected = x @ self.weight_ih.T
        return projected if self.bias_ih is None else projected + self.bias_ih

    def step(self, x_projected: Tensor, h: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """One step from ``input_projection(x)`` (N, 3H) and h (N, H), without input
        checks: returns (h', gate activations)."""
        h_projected = h @ self.weight_hh.T
        if self.bias_hh is not None:
            h_projected = h_projected + self.bias_hh
        H = self.hidden_size
        x_r, x_z, x_n = (x_projected[:, k * H : (k + 1) * H] for k in range(3))
        h_r, h_z, h_n = (h_projected[:, k * H : (k + 1) * H] for k in range(3))
        r = (x_r + h_r).sigmoid()
        z = (x_z + h_z).sigmoid()
        # r gates the hidden projection *with* its bias b_hn: PyTorch's form.
        n = (x_n + r * h_n).tanh()
        h_new = (1 - z) * n + z * h
        return h_new, {"r": r, "z": z, "n": n}

    def forward(self, x: Any, hx: Any = None) -> Tensor:
        """x (N, input_size), hx (N, hidden_size) or None (zeros) -> h' (N, hidden_size)."""
        x = as_tensor(x)
        self.check_input(x)
        h = self.initial_state(hx, x.shape[0], x.dtype, "hx")
        h_new, gates = self.step(self.input_projection(x), h)
        self.last_gates = {name: gate.data for name, gate in gates.items()}
        return h_new

    @classmethod
    def from_torch(cls, cell: Any) -> GRUCell:
        """Copy a ``torch.nn.GRUCell`` (float64)."""
        new = cls(cell.input_size, cell.hidden_size, bias=cell.bias, rng=0)
        new.copy_from(_torch_weights(cell))
        return new


@twin_of("GRU")
class GRU(Module):
    """A GRU over a whole sequence (``torch.nn.GRU``, unidirectional, no dropout).

    ``forward(x, h0=None)`` returns ``(output, h_n)`` with PyTorch's shapes: x is
    (N, T, input_size) when ``batch_first`` (this package's default, as its RNN and
    LSTM; PyTorch's default is False) or (T, N, input_size) otherwise; output holds the
    last layer's hidden state at every step, (N, T, H) or (T, N, H); h0 and h_n are
    (num_layers, N, H) (h0 may also be (N, H) when num_layers is 1). Layer k > 0 reads
    the hidden states of layer k - 1. ``cells[k]`` is layer k's :class:`GRUCell`; its
    weights are PyTorch's ``weight_ih_lk`` and so on.

    After a call, for plotting (of the last layer): ``last_gates``, a dict
    ``{"r", "z", "n"}`` of arrays (N, T, H); ``last_hidden``, the array (N, T, H) of
    h_t; ``hidden_states``, the list of the T Tensors h_t (their ``.grad`` after
    backward show the gradient through time).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = True,
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        if int(num_layers) < 1:
            raise ValueError(f"GRU: num_layers must be at least 1, got {num_layers}")
        gen = as_generator(rng)
        self.cells = [
            GRUCell(
                input_size if k == 0 else hidden_size, hidden_size, bias, gen, dtype
            )
            for k in range(int(num_layers))
        ]
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.num_layers, self.batch_first = int(num_layers), bool(batch_first)

    def _check_sequence(self, x: Tensor) -> None:
        if x.ndim != 3 or x.shape[2] != self.input_size:
            layout = "(N, T, {})" if self.batch_first else "(T, N, {})"
            raise ValueError(
                f"GRU: input of shape {x.shape} does not match weight_ih_l0 of shape "
                f"{self.cells[0].weight_ih.shape}: expected "
                f"{layout.format(self.input_size)} (batch_first={self.batch_first})"
            )

    def _initial_states(self, h0: Any, n: int, dtype: np.dtype) -> list[Tensor]:
        """One (N, H) state per layer from h0 (num_layers, N, H), (N, H) or None."""
        L, H = self.num_layers, self.hidden_size
        if h0 is None:
            return [cell.initial_state(None, n, dtype, "h0") for cell in self.cells]
        h0 = as_tensor(h0)
        if L == 1 and h0.shape == (n, H):
            return [h0]
        if h0.shape != (L, n, H):
            raise ValueError(
                f"GRU: h0 of shape {h0.shape} does not match num_layers, batch and "
                f"hidden size: expected {(L, n, H)}"
            )
        return [h0[k] for k in range(L)]

    def forward(self, x: Any, h0: Any = None) -> tuple[Tensor, Tensor]:
        x = as_tensor(x)
        self._check_sequence(x)
        if not self.batch_first:  # compute batch first; hand back PyTorch's layout
            x = x.transpose(0, 1)
        n, steps, _ = x.shape
        layer_input, finals = x, []
        for cell, h in zip(self.cells, self._initial_states(h0, n, x.dtype)):
            # The input half of the gates for all steps at once: one matrix product.
            projected = cell.input_projection(layer_input)
            states, gates = [], []
            for t in range(steps):
                h, gate = cell.step(projected[:, t], h)
                states.append(h)
                gates.append(gate)
            layer_input = stack(states, dim=1)
            finals.append(h)
        self.hidden_states = states
        self.last_hidden = layer_input.data
        self.last_gates = {
            name: np.stack([g[name].data for g in gates], axis=1) for name in GATES
        }
        output = layer_input if self.batch_first else layer_input.transpose(0, 1)
        return output, stack(finals, dim=0)

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
            f"bias={self.cells[0].bias_ih is not None}, batch_first={self.batch_first}"
        )

    @classmethod
    def from_torch(cls, layer: Any) -> GRU:
        """Copy a unidirectional ``torch.nn.GRU`` without dropout (float64), any
        ``num_layers`` and ``batch_first``."""
        if layer.bidirectional or layer.dropout:
            raise ValueError(
                "GRU.from_torch: only a unidirectional GRU with dropout=0 is "
                f"supported, got {layer}"
            )
        new = cls(
            layer.input_size,
            layer.hidden_size,
            num_layers=layer.num_layers,
            bias=layer.bias,
            batch_first=layer.batch_first,
            rng=0,
        )
        for k, cell in enumerate(new.cells):
            cell.copy_from(_torch_weights(layer, f"_l{k}"))
        return new

"""Recurrent networks from scratch: the Elman RNN and the LSTM, cells and layers.

An RNN reads a sequence ``x_1 … x_T`` one step at a time and carries a hidden
state ``h_t`` (a running summary of everything read so far):

.. math::  h_t = \\tanh(x_t W_{ih}^T + b_{ih} + h_{t-1} W_{hh}^T + b_{hh})

Training unrolls this loop into a deep feed-forward graph with *shared*
weights, and backpropagation through time is ordinary backprop on that graph:
the engine adds up the gradient contributions of every time step. Each step
multiplies the gradient by ``W_hhᵀ diag(1 - h_t²)``, so over many steps it
tends to vanish (or explode).

The LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al.
2000) adds a cell state ``c_t`` that is updated *additively*, protected by gates
(PyTorch's order i, f, g, o, stacked in ``weight_ih`` of shape ``(4H, I)``):

.. math::

    [i; f; g; o] &= x_t W_{ih}^T + b_{ih} + h_{t-1} W_{hh}^T + b_{hh} \\\\
    i, f, o &= \\sigma(i), \\sigma(f), \\sigma(o) \\qquad g = \\tanh(g) \\\\
    c_t &= f \\odot c_{t-1} + i \\odot g \\\\
    h_t &= o \\odot \\tanh(c_t)

Along the direct cell path, ``dc_t/dc_{t-1} = diag(f)``; the gates themselves depend
on ``h_{t-1}`` and so on ``c_{t-1}``, which adds further terms (through the weight
matrices) to the full derivative. While the forget gate stays near 1, the gradient flows
back along the direct path through many steps without vanishing.

The cells are built from :class:`~dlcourse.autograd.Tensor` operations, so the
engine provides their backward pass. The :class:`LSTM` layer runs the same equations
as one fused node over the whole sequence
(:func:`dlcourse.fused_lstm.lstm_sequence`): the input
projections of all steps in one matrix product, then backpropagation through time
written by hand, because 50 steps of ~20 small engine nodes each cost more in Python
than in arithmetic. :func:`dlcourse.autograd.stack` joins the RNN's per-step hidden states.
The GRU, built on the same :class:`RecurrentCell`, lives in :mod:`dlcourse.gru`.

See chapter: Recurrent networks, LSTMs and GRUs (book/12_rnn.ipynb)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from dlcourse import init
from dlcourse.autograd import Tensor, as_tensor, stack
from dlcourse.fused_lstm import lstm_sequence
from dlcourse.interop import to_numpy, twin_of
from dlcourse.nn import Module
from dlcourse.rng import as_generator

__all__ = ["RecurrentCell", "RNNCell", "LSTMCell", "RNN", "LSTM"]


class RecurrentCell(Module):
    """The base of the recurrent cells (RNN, LSTM, and :mod:`dlcourse.gru`'s GRU).

    It holds the parameters every cell shares: ``weight_ih (G·H, I)``,
    ``weight_hh (G·H, H)``, ``bias_ih``, ``bias_hh (G·H,)`` with the G gates stacked
    in rows, all U(-1/√H, 1/√H) like PyTorch; and it checks inputs and states.
    """

    n_gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        gen = as_generator(rng)
        bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
        rows = self.n_gates * self.hidden_size

        def param(*shape: int) -> Tensor:
            return init.uniform_(
                Tensor(np.empty(shape, dtype=dtype), requires_grad=True),
                -bound,
                bound,
                gen,
            )

        self.weight_ih = param(rows, self.input_size)
        self.weight_hh = param(rows, self.hidden_size)
        self.bias_ih: Tensor | None = param(rows) if bias else None
        self.bias_hh: Tensor | None = param(rows) if bias else None

    def check_input(self, x: Tensor) -> None:
        """Raise ValueError (naming both shapes) unless x is (N, input_size)."""
        if x.ndim != 2 or x.shape[1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__}: input of shape {x.shape} does not match "
                f"weight_ih of shape {self.weight_ih.shape}: "
                f"expected (N, {self.input_size})"
            )

    def initial_state(self, state: Any, n: int, dtype: np.dtype, name: str) -> Tensor:
        """``state`` as a Tensor (N, hidden_size), zeros when None; ``name`` is for errors."""
        if state is None:
            return Tensor(np.zeros((n, self.hidden_size), dtype=dtype))
        state = as_tensor(state)
        if state.shape != (n, self.hidden_size):
            raise ValueError(
                f"{type(self).__name__}: {name} of shape {state.shape} does not match "
                f"input batch and hidden size: expected {(n, self.hidden_size)}"
            )
        return state

    def _preactivation(self, x: Tensor, h: Tensor) -> Tensor:
        """x W_ihᵀ + b_ih + h W_hhᵀ + b_hh, shape (N, G·H)."""
        z = x @ self.weight_ih.T + h @ self.weight_hh.T
        if self.bias_ih is not None:
            z = z + self.bias_ih + self.bias_hh
        return z

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias_ih is not None}"

    def copy_from(self, weights: Sequence[Any]) -> None:
        """Copy torch tensors (weight_ih, weight_hh[, bias_ih, bias_hh]) as float64."""
        ours = [self.weight_ih, self.weight_hh] + (
            [self.bias_ih, self.bias_hh] if self.bias_ih is not None else []
        )
        for p, w in zip(ours, weights):
            if p is not None:
                p.data = to_numpy(w, np.float64).copy()


@twin_of("RNNCell")
class RNNCell(RecurrentCell):
    """One step of an Elman RNN (``torch.nn.RNNCell``):
    ``h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)`` (or ReLU)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        super().__init__(input_size, hidden_size, bias, rng, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, x: Any, hx: Any = None) -> Tensor:
        """x (N, input_size), hx (N, hidden_size) or None -> h' (N, hidden_size)."""
        x = as_tensor(x)
        self.check_input(x)
        h = self.initial_state(hx, x.shape[0], x.dtype, "hx")
        z = self._preactivation(x, h)
        return z.tanh() if self.nonlinearity == "tanh" else z.relu()

    @classmethod
    def from_torch(cls, cell: Any) -> RNNCell:
        """Copy a ``torch.nn.RNNCell`` (float64)."""
        new = cls(
            cell.input_size,
            cell.hidden_size,
            bias=cell.bias,
            nonlinearity=cell.nonlinearity,
            rng=0,
        )
        new.copy_from(
            [cell.weight_ih, cell.weight_hh]
            + ([cell.bias_ih, cell.bias_hh] if cell.bias else [])
        )
        return new


@twin_of("LSTMCell")
class LSTMCell(RecurrentCell):
    """One step of an LSTM (``torch.nn.LSTMCell``); see the module docstring.

    ``weight_ih (4H, I)`` and ``weight_hh (4H, H)`` stack the gates in PyTorch's
    order i (input), f (forget), g (candidate), o (output). After each call,
    ``last_gates`` holds the gate activations ``{"i", "f", "g", "o"}`` as arrays (N, H).
    """

    n_gates = 4

    def step(
        self, x: Tensor, h: Tensor, c: Tensor
    ) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
        """One step without input checks: returns (h', c', gate activations)."""
        z = self._preactivation(x, h)
        H = self.hidden_size
        i, f, g, o = (z[:, k * H : (k + 1) * H] for k in range(4))
        gates = {"i": i.sigmoid(), "f": f.sigmoid(), "g": g.tanh(), "o": o.sigmoid()}
        c_new = gates["f"] * c + gates["i"] * gates["g"]
        h_new = gates["o"] * c_new.tanh()
        return h_new, c_new, gates

    def forward(
        self, x: Any, hx: tuple[Any, Any] | None = None
    ) -> tuple[Tensor, Tensor]:
        """x (N, input_size), hx = (h, c) each (N, hidden_size) or None -> (h', c')."""
        x = as_tensor(x)
        self.check_input(x)
        h0, c0 = (None, None) if hx is None else hx
        h = self.initial_state(h0, x.shape[0], x.dtype, "h")
        c = self.initial_state(c0, x.shape[0], x.dtype, "c")
        h, c, gates = self.step(x, h, c)
        self.last_gates = {k: v.data for k, v in gates.items()}
        return h, c

    @classmethod
    def from_torch(cls, cell: Any) -> LSTMCell:
        """Copy a ``torch.nn.LSTMCell`` (float64)."""
        new = cls(cell.input_size, cell.hidden_size, bias=cell.bias, rng=0)
        new.copy_from(
            [cell.weight_ih, cell.weight_hh]
            + ([cell.bias_ih, cell.bias_hh] if cell.bias else [])
        )
        return new


def _check_layer(twin: type, torch_layer: Any) -> None:
    if (
        torch_layer.num_layers != 1
        or torch_layer.bidirectional
        or not torch_layer.batch_first
        or getattr(torch_layer, "proj_size", 0)
    ):
        raise ValueError(
            f"{twin.__name__}.from_torch: only num_layers=1, batch_first=True, "
            f"unidirectional, without proj_size is supported, got {torch_layer}"
        )


def _sequence(name: str, x: Any, input_size: int) -> Tensor:
    x = as_tensor(x)
    if x.ndim != 3 or x.shape[2] != input_size:
        raise ValueError(
            f"{name}: input of shape {x.shape} must be (N, T, {input_size}) "
            "(batch_first=True)"
        )
    return x


def _initial(name: str, state: Any, n: int, hidden: int) -> Any:
    """Accept PyTorch's (1, N, H) initial states as well as (N, H)."""
    if state is None:
        return None
    state = as_tensor(state)
    if state.shape == (1, n, hidden):
        return state.reshape(n, hidden)
    if state.shape != (n, hidden):
        raise ValueError(
            f"{name}: initial state of shape {state.shape} must be (1, {n}, {hidden}) "
            f"or ({n}, {hidden})"
        )
    return state


@twin_of("RNN")
class RNN(Module):
    """A single-layer Elman RNN over a sequence (``torch.nn.RNN``, batch_first=True).

    ``forward(x, h0=None)`` with x (N, T, input_size) returns ``(outputs, h_n)``:
    outputs (N, T, H) are the hidden states of every step, h_n (1, N, H) the last
    one (PyTorch's shapes). After a call, ``hidden_states`` is the list of the T
    hidden-state Tensors (after ``backward`` their ``.grad`` show how the gradient
    shrinks through time) and ``last_hidden`` the array (N, T, H).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = True,
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        if not batch_first:
            raise ValueError("RNN: only batch_first=True is supported")
        self.cell = RNNCell(input_size, hidden_size, bias, nonlinearity, rng, dtype)
        self.input_size, self.hidden_size = self.cell.input_size, self.cell.hidden_size

    def forward(self, x: Any, h0: Any = None) -> tuple[Tensor, Tensor]:
        x = _sequence("RNN", x, self.input_size)
        n, steps, _ = x.shape
        h = self.cell.initial_state(
            _initial("RNN", h0, n, self.hidden_size), n, x.dtype, "h0"
        )
        self.hidden_states: list[Tensor] = []
        for t in range(steps):
            h = self.cell(x[:, t], h)
            self.hidden_states.append(h)
        outputs = stack(self.hidden_states, dim=1)
        self.last_hidden = outputs.data
        return outputs, h.reshape(1, n, self.hidden_size)

    def extra_repr(self) -> str:
        return self.cell.extra_repr()

    @classmethod
    def from_torch(cls, layer: Any) -> RNN:
        """Copy a ``torch.nn.RNN(num_layers=1, batch_first=True)`` (float64)."""
        _check_layer(cls, layer)
        new = cls(
            layer.input_size, layer.hidden_size, layer.nonlinearity, layer.bias, rng=0
        )
        names = ["weight_ih_l0", "weight_hh_l0"] + (
            ["bias_ih_l0", "bias_hh_l0"] if layer.bias else []
        )
        new.cell.copy_from([getattr(layer, k) for k in names])
        return new


@twin_of("LSTM")
class LSTM(Module):
    """A single-layer LSTM over a whole sequence (``torch.nn.LSTM``, batch_first=True).

    ``forward(x, hx=None)`` with x (N, T, input_size) and optional ``hx = (h0, c0)``
    returns ``(outputs, (h_n, c_n))``: outputs (N, T, H), h_n and c_n (1, N, H),
    as PyTorch. After a call, for plotting:

    * ``last_gates``: dict ``{"i", "f", "g", "o"}`` of gate activations, arrays
      (N, T, H);
    * ``last_hidden``, ``last_cell``: arrays (N, T, H) of h_t and c_t;
    * ``hidden_states``: the list of the T Tensors h_t (their ``.grad`` after backward).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        batch_first: bool = True,
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        if not batch_first:
            raise ValueError("LSTM: only batch_first=True is supported")
        self.cell = LSTMCell(input_size, hidden_size, bias, rng, dtype)
        self.input_size, self.hidden_size = self.cell.input_size, self.cell.hidden_size

    def forward(
        self, x: Any, hx: tuple[Any, Any] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        x = _sequence("LSTM", x, self.input_size)
        n = x.shape[0]
        h0, c0 = (None, None) if hx is None else hx
        h = self.cell.initial_state(
            _initial("LSTM", h0, n, self.hidden_size), n, x.dtype, "h0"
        )
        c = self.cell.initial_state(
            _initial("LSTM", c0, n, self.hidden_size), n, x.dtype, "c0"
        )
        self.hidden_states: list[Tensor] = []
        cell = self.cell
        weights = (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
        outputs, h_n, c_n, record = lstm_sequence(x, h, c, weights, self.hidden_states)
        self.last_hidden = outputs.data
        self.last_cell = record.pop("c")
        self.last_gates = record
        return outputs, (h_n, c_n)

    def extra_repr(self) -> str:
        return self.cell.extra_repr()

    @classmethod
    def from_torch(cls, layer: Any) -> LSTM:
        """Copy a ``torch.nn.LSTM(num_layers=1, batch_first=True)`` (float64)."""
        _check_layer(cls, layer)
        new = cls(layer.input_size, layer.hidden_size, layer.bias, rng=0)
        names = ["weight_ih_l0", "weight_hh_l0"] + (
            ["bias_ih_l0", "bias_hh_l0"] if layer.bias else []
        )
        new.cell.copy_from([getattr(layer, k) for k in names])
        return new

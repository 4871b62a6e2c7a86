"""The LSTM over a whole sequence as one autograd node, with backpropagation through
time written by hand: the fast path of :class:`dlcourse.rnn.LSTM`.

The equations are those of :meth:`dlcourse.rnn.LSTMCell.step` (PyTorch's gate order
i, f, g, o). Built from the engine's cells, one step is ~20 small graph nodes, and for
50 steps the Python bookkeeping costs more than the arithmetic. Here the input
projections ``x_t W_ihᵀ`` of all steps are one matrix product, each step is a handful
of NumPy calls on (N, 4H) blocks, and the backward pass runs the chain rule through
time in one loop; the weight gradients, sums over the steps, are again one matrix
product each. Tested equal to ``torch.nn.LSTM`` (float64, outputs and gradients).

See chapter: Recurrent networks, LSTMs and GRUs (book/12_rnn.ipynb)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlcourse.autograd import Tensor, accumulate, make_node

__all__ = ["lstm_sequence"]


def _slice_node(whole: Tensor, index: tuple[Any, ...], op: str) -> Tensor:
    """``whole[index]`` for a basic (slice/int) index, as a graph node."""

    def backward(g: np.ndarray) -> None:
        full = np.zeros_like(whole.data)
        full[index] = g
        accumulate(whole, full)

    return make_node(whole.data[index], (whole,), op, backward)


def lstm_sequence(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    weights: tuple[Tensor, Tensor, Tensor | None, Tensor | None],
    hidden_states: list[Tensor] | None = None,
) -> tuple[Tensor, Tensor, Tensor, dict[str, np.ndarray]]:
    """An LSTM over a whole sequence as ONE graph node (the equations of
    :meth:`dlcourse.rnn.LSTMCell.step`, repeated for t = 1..T), with backpropagation through time
    written by hand.

    Args:
        x: (N, T, I); h0, c0: (N, H); weights: (weight_ih, weight_hh, bias_ih, bias_hh).
        hidden_states: if given, filled with T Tensors h_t whose ``.grad`` is set to
            the total dL/dh_t when the node's backward runs (what the chapter plots).

    Returns:
        ``(outputs, h_n, c_n, record)``: outputs (N, T, H) the h_t of every step,
        h_n and c_n (1, N, H) the last states (``torch.nn.LSTM``'s shapes), record the
        gate activations ``"i", "f", "g", "o"`` and the cell states ``"c"`` (N, T, H).
        The three Tensors are slices of one node holding ``[h_t | c_t]`` (N, T, 2H).

    Backward, per step from t = T down to 1, with ``dh`` and ``dc`` the total
    gradients of h_t and c_t (from outside plus from step t + 1):
    ``do = dh ⊙ tanh c_t``, ``dc += dh ⊙ o ⊙ (1 - tanh² c_t)``,
    ``di = dc ⊙ g``, ``df = dc ⊙ c_{t-1}``, ``dg = dc ⊙ i``; the pre-activations
    get ``dz = [di σ'(i), df σ'(f), dg (1 - g²), do σ'(o)]``; then
    ``dh_{t-1} = dz W_hh`` and ``dc_{t-1} = dc ⊙ f``. The weight gradients are
    sums over steps, so they are one matrix product each after the loop:
    ``dW_hh = Σ_t dz_tᵀ h_{t-1}``, ``dW_ih = Σ_t dz_tᵀ x_t``, ``db = Σ_t dz_t``.
    """
    w_ih, w_hh, b_ih, b_hh = weights
    n, steps, _ = x.shape
    H = h0.shape[1]
    # The forward orders the gates i, f, o, g so that the three sigmoids are one block,
    # and one tanh does all four: σ(z) = (1 + tanh(z/2)) / 2 (the sigmoid rows are
    # pre-scaled by 1/2). Few, large NumPy calls per step: that is where the time goes.
    order = np.r_[0 : 2 * H, 3 * H : 4 * H, 2 * H : 3 * H]
    scale = np.where(np.arange(4 * H) < 3 * H, 0.5, 1.0).astype(w_hh.dtype)[:, None]
    bias = 0.0 if b_ih is None or b_hh is None else (b_ih.data + b_hh.data)[order]
    # all the input projections in one matrix product, time-major (T, N, 4H)
    x_tm = np.ascontiguousarray(x.data.transpose(1, 0, 2))
    z_all = x_tm @ (w_ih.data[order] * scale).T + bias * scale[:, 0]
    w_hh_scaled = np.ascontiguousarray((w_hh.data[order] * scale).T)
    # results are written in place into time-major (T, N, ...) arrays: no copies later
    acts = np.empty(z_all.shape, dtype=z_all.dtype)  # i, f, o, g after activation
    states = np.empty((steps, n, 2 * H), dtype=z_all.dtype)  # [h_t | c_t]
    TC = np.empty((steps, n, H), dtype=z_all.dtype)  # tanh(c_t)
    i, f, o, G = (acts[:, :, k * H : (k + 1) * H] for k in range(4))
    h_all, C = states[:, :, :H], states[:, :, H:]
    h, c = h0.data, c0.data
    for t in range(steps):
        a = np.tanh(np.add(z_all[t], h @ w_hh_scaled, out=acts[t]), out=acts[t])
        s = a[:, : 3 * H]
        np.multiply(s, 0.5, out=s)
        s += 0.5
        c = np.multiply(f[t], c, out=C[t])
        c += i[t] * G[t]
        h = np.multiply(o[t], np.tanh(c, out=TC[t]), out=h_all[t])
    record = {"i": i, "f": f, "g": G, "o": o, "c": C}
    record = {k: v.transpose(1, 0, 2) for k, v in record.items()}
    if hidden_states is not None:
        hidden_states[:] = [Tensor(h_all[t]) for t in range(steps)]

    def backward(g: np.ndarray) -> None:
        g_tm = g.transpose(1, 0, 2)
        g_h, g_c = g_tm[:, :, :H], g_tm[:, :, H:]
        c_prev = np.concatenate([c0.data[None], C[:-1]])
        # dz_i, dz_f, dz_g are dc times these (all steps at once); dz_o is dh times `R`
        Q = np.stack([G * i * (1 - i), c_prev * f * (1 - f), i * (1 - G * G)], axis=2)
        R = TC * o * (1 - o)
        o_dtanh = o * (1 - TC * TC)
        dz = np.empty((steps, n, 4, H), dtype=Q.dtype)  # gates i, f, g, o
        dh_all = np.empty((steps, n, H), dtype=Q.dtype)
        # only c_T is an output: the other c_t get their gradient from step t + 1 only
        dh, dc = g_h[-1], g_c[-1]
        for t in range(steps - 1, -1, -1):
            dh_all[t] = dh
            dc = dc + dh * o_dtanh[t]
            np.multiply(Q[t], dc[:, None, :], out=dz[t, :, :3])
            np.multiply(dh, R[t], out=dz[t, :, 3])
            dc = dc * f[t]
            if t:
                dh = dz[t].reshape(n, 4 * H) @ w_hh.data + g_h[t - 1]
        dz_flat = dz.reshape(steps * n, 4 * H)
        if w_hh.requires_grad:
            h_prev = np.concatenate([h0.data[None], h_all[:-1]])
            accumulate(w_hh, dz_flat.T @ h_prev.reshape(steps * n, H))
        if w_ih.requires_grad:
            accumulate(w_ih, dz_flat.T @ x_tm.reshape(steps * n, -1))
        for b in (b_ih, b_hh):
            if b is not None and b.requires_grad:
                accumulate(b, dz_flat.sum(axis=0))
        if x.requires_grad:
            accumulate(
                x, (dz_flat @ w_ih.data).reshape(steps, n, -1).transpose(1, 0, 2)
            )
        if h0.requires_grad:
            accumulate(h0, dz[0].reshape(n, 4 * H) @ w_hh.data)
        if c0.requires_grad:
            accumulate(c0, dc)
        if hidden_states is not None:
            for t, h_t in enumerate(hidden_states):
                h_t.grad = dh_all[t]

    parents = tuple(p for p in (x, h0, c0, w_ih, w_hh, b_ih, b_hh) if p is not None)
    both = make_node(states.transpose(1, 0, 2), parents, "lstm", backward)
    every = slice(None)
    outputs = _slice_node(both, (every, every, slice(0, H)), "lstm_h")
    h_n = _slice_node(both, (None, every, -1, slice(0, H)), "lstm_h_n")
    c_n = _slice_node(both, (None, every, -1, slice(H, None)), "lstm_c_n")
    return outputs, h_n, c_n, record

"""Checkers for ``exercises/12_rnn.ipynb``: LSTM parameter count, an RNN step, the forget
gate, a GRU step and the reverse direction of a bidirectional RNN; then which recurrent
weights make the gradient vanish through time, predicted before it is measured (q6), and a
bug to find in a hidden state carried across the pieces of a sequence (q7).

Every expected answer comes from ``dlcourse.rnn`` (``RNNCell``, ``LSTMCell``, ``RNN``),
itself tested equal to PyTorch; from PyTorch itself where ours lacks the thing
(``torch.nn.GRUCell``, a bidirectional ``torch.nn.RNN``); or from an experiment run with it
(the gradient measured by backpropagation through time). The hidden tests and the reference
solutions are not here: they stay with the instructor (``dlcourse_instructor.answers.ch12``).
Weights are in PyTorch's layout: ``W_ih (G·H, I)``, ``W_hh (G·H, H)``; an LSTM stacks its
gates in the order i, f, g, o, a GRU in the order r, z, n.

See chapter: Recurrent networks, LSTMs and GRUs (book/12_rnn.ipynb)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .checks import call
from .choice import choice
from .question import Question

__all__ = [
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "q6",
    "q7",
    "GRADIENT_RUNS",
    "gradient_through_time",
    "reference_summaries",
    "random_weights",
    "reference_count",
    "reference_rnn_step",
    "reference_forget",
    "reference_gru_step",
    "reference_rnn_forward",
    "reference_rnn_reverse",
]


def _cell(
    cls: type, W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray
) -> Any:
    """A dlcourse cell holding copies of the given weights."""
    cell = cls(W_ih.shape[1], W_hh.shape[1], rng=0)
    for name, w in (
        ("weight_ih", W_ih),
        ("weight_hh", W_hh),
        ("bias_ih", b_ih),
        ("bias_hh", b_hh),
    ):
        getattr(cell, name).data = np.array(w, dtype=float, copy=True)
    return cell


def random_weights(
    rng: np.random.Generator, gates: int, n_in: int, hidden: int
) -> tuple[np.ndarray, ...]:
    """Random weights of a cell, scaled like PyTorch's U(-1/√H, 1/√H) but a bit larger."""
    s = 1.5 / np.sqrt(hidden)
    return (
        rng.uniform(-s, s, (gates * hidden, n_in)),
        rng.uniform(-s, s, (gates * hidden, hidden)),
        rng.uniform(-s, s, gates * hidden),
        rng.uniform(-s, s, gates * hidden),
    )


# ----------------------------------------------------------------- q1: parameter count
def reference_count(input_size: int, hidden_size: int) -> int:
    from dlcourse.rnn import LSTMCell

    return int(
        sum(p.data.size for p in LSTMCell(input_size, hidden_size, rng=0).parameters())
    )


q1 = Question(
    "q1",
    "lstm_param_count",
    tests=[
        call(a, reference_count(*a), name="lstm_param_count")
        for a in [(2, 32), (1, 1), (10, 20)]
    ],
    hint="Four gates (i, f, g, o). Each has a weight matrix for the input (H × I), one for the previous "
    "hidden state (H × H) and, as in PyTorch, TWO bias vectors of length H (b_ih and b_hh).",
)


# ----------------------------------------------------------------- q2: one RNN step
def reference_rnn_step(
    x: np.ndarray,
    h: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> np.ndarray:
    from dlcourse.rnn import RNNCell

    return _cell(RNNCell, W_ih, W_hh, b_ih, b_hh)(x, h).data


_rng = np.random.default_rng(11)
_N, _I, _H = 2, 3, 4  # I != H catches a transposed or swapped weight matrix
_X, _H0 = _rng.normal(size=(_N, _I)), _rng.normal(size=(_N, _H))
_RNN_W = random_weights(_rng, 1, _I, _H)
q2 = Question(
    "q2",
    "rnn_step",
    tests=[
        call((_X, np.zeros((_N, _H)), *_RNN_W), reference_rnn_step, name="rnn_step"),
        call((_X, _H0, *_RNN_W), reference_rnn_step, name="rnn_step"),
    ],
    hint="h_new = tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh). x has shape (N, I) and W_ih (H, I), "
    "so the input term is x @ W_ih.T, of shape (N, H).",
)


# ----------------------------------------------------------------- q3: the forget gate
def reference_forget(
    x: np.ndarray,
    h: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> np.ndarray:
    from dlcourse.rnn import LSTMCell

    cell = _cell(LSTMCell, W_ih, W_hh, b_ih, b_hh)
    cell(x, (h, np.zeros_like(h)))
    return cell.last_gates["f"]


_LSTM_W = random_weights(_rng, 4, _I, _H)
_BIASED = (
    _LSTM_W[0],
    _LSTM_W[1],
    _LSTM_W[2] + np.repeat([0.0, 2.0, -1.0, 0.5], _H),
    _LSTM_W[3],
)
q3 = Question(
    "q3",
    "forget_gate",
    tests=[
        call((_X, _H0, *_LSTM_W), reference_forget, name="forget_gate"),
        call((_X, np.zeros((_N, _H)), *_BIASED), reference_forget, name="forget_gate"),
    ],
    hint="Compute all four pre-activations at once, z = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh, of shape "
    "(N, 4H). PyTorch stacks the gates in the order i, f, g, o, so the forget gate is the SECOND "
    "block of H columns, z[:, H:2*H], passed through the sigmoid.",
)


# ----------------------------------------------------------------- q4: one GRU step
def _torch_weights(module: Any, suffix: str, weights: tuple[np.ndarray, ...]) -> None:
    """Copy (W_ih, W_hh, b_ih, b_hh) into a torch module's parameters ``<name><suffix>``."""
    import torch

    with torch.no_grad():
        for name, w in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), weights):
            getattr(module, name + suffix).copy_(
                torch.from_numpy(np.array(w, dtype=float))
            )


def reference_gru_step(
    x: np.ndarray,
    h: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> np.ndarray:
    """``torch.nn.GRUCell`` with these weights (``dlcourse.rnn`` has no GRU)."""
    import torch

    cell = torch.nn.GRUCell(W_ih.shape[1], W_hh.shape[1], dtype=torch.float64)
    _torch_weights(cell, "", (W_ih, W_hh, b_ih, b_hh))
    with torch.no_grad():
        return cell(
            torch.from_numpy(np.array(x, dtype=float)),
            torch.from_numpy(np.array(h, dtype=float)),
        ).numpy()


_GRU_W = random_weights(_rng, 3, _I, _H)
# The candidate's recurrent bias made large: applying the reset gate to h @ W_hn.T only,
# not to the bias with it, then shows clearly.
_GRU_BIASED = (
    _GRU_W[0],
    _GRU_W[1],
    _GRU_W[2],
    _GRU_W[3] + np.repeat([0.0, 1.0, 2.0], _H),
)
q4 = Question(
    "q4",
    "gru_step",
    points=2,
    tests=[
        call((_X, np.zeros((_N, _H)), *_GRU_W), reference_gru_step, name="gru_step"),
        call((_X, _H0, *_GRU_W), reference_gru_step, name="gru_step"),
        call((_X, 3 * _H0, *_GRU_BIASED), reference_gru_step, name="gru_step"),
    ],
    hint="Compute the input part gi = x @ W_ih.T + b_ih and the recurrent part gh = h @ W_hh.T + "
    "b_hh, both (N, 3H), and split each into blocks r, z, n of H columns. r = σ(gi_r + gh_r), "
    "z = σ(gi_z + gh_z), n = tanh(gi_n + r * gh_n): the reset gate multiplies the whole "
    "recurrent part of the candidate, its bias included, so the two parts cannot be summed "
    "first as in the LSTM. Then h_new = (1 − z) * n + z * h.",
)


# ----------------------------------------------------------------- q5: the reverse direction
def reference_rnn_forward(
    X: np.ndarray,
    h0: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> np.ndarray:
    """All hidden states (N, T, H) of the library's RNN run over X from t = 0."""
    from dlcourse.rnn import RNN

    layer = RNN(W_ih.shape[1], W_hh.shape[1], rng=0)
    layer.cell = _cell(type(layer.cell), W_ih, W_hh, b_ih, b_hh)
    return layer(X, h0)[0].data


def reference_rnn_reverse(
    X: np.ndarray,
    h0: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> np.ndarray:
    """The reverse half of ``torch.nn.RNN(bidirectional=True, batch_first=True)``'s output,
    with these weights in its reverse direction and ``h0`` as its initial state."""
    import torch

    n_in, hidden = W_ih.shape[1], W_hh.shape[1]
    layer = torch.nn.RNN(
        n_in, hidden, batch_first=True, bidirectional=True, dtype=torch.float64
    )
    _torch_weights(layer, "_l0_reverse", (W_ih, W_hh, b_ih, b_hh))
    h0 = np.array(h0, dtype=float)
    with torch.no_grad():
        outputs, _ = layer(
            torch.from_numpy(np.array(X, dtype=float)),
            torch.from_numpy(np.stack([np.zeros_like(h0), h0])),
        )
    return outputs[..., hidden:].numpy().copy()


_SEQ = _rng.normal(size=(_N, 6, _I))
q5 = Question(
    "q5",
    "rnn_reverse",
    points=2,
    tests=[
        call(
            (_SEQ, np.zeros((_N, _H)), *_RNN_W),
            reference_rnn_reverse,
            name="rnn_reverse",
        ),
        call((_SEQ, _H0, *_RNN_W), reference_rnn_reverse, name="rnn_reverse"),
        call((_SEQ[:, :1], _H0, *_RNN_W), reference_rnn_reverse, name="rnn_reverse"),
    ],
    hint="Loop over time backwards: h = h0; for t in T − 1, T − 2, …, 0 apply the RNN step to "
    "X[:, t]. The state computed at time t must land at position t of the output, so that "
    "position t holds what the reverse RNN knows after reading x_t, …, x_{T−1}: fill an "
    "array out[:, t] = h, or collect the states and reverse the list before stacking along "
    "axis 1.",
)


# ----------------------------------------------------------------- q6: predict vanishing
#: The runs of q6: the nonlinearity, and the scale s of the recurrent weights W_hh = s Q
#: (Q a random orthogonal matrix, so s is the factor by which W_hh stretches every vector).
GRADIENT_RUNS = {
    "A": ("tanh", 0.5),
    "B": ("tanh", 1.0),
    "C": ("tanh", 4.0),
    "D": ("relu", 0.7),
}


def gradient_through_time(
    nonlinearity: str, scale: float, steps: int = 30, seed: int = 0
) -> np.ndarray:
    """‖∂ŷ/∂h_t‖ relative to its value at the last step, by lag (index 0: the last step).

    An experiment: an untrained ``dlcourse.rnn.RNN`` (16 units, 2 inputs) with W_hh = scale
    times a random orthogonal matrix reads 32 random sequences of ``steps`` steps; ŷ is the
    sum of the last hidden state and one backward pass gives the gradient at every step
    (the batch's mean norm).
    """
    from dlcourse.autograd import Tensor
    from dlcourse.rnn import RNN

    rng = np.random.default_rng(seed)
    layer = RNN(2, 16, nonlinearity=nonlinearity, rng=seed)
    orthogonal, _ = np.linalg.qr(rng.normal(size=(16, 16)))
    layer.cell.weight_hh.data = scale * orthogonal
    outputs, _ = layer(Tensor(rng.normal(size=(32, steps, 2))))
    outputs[:, -1].sum().backward()
    # every step is on the path to ŷ, so every hidden state has a gradient
    grads = [np.asarray(h.grad) for h in layer.hidden_states]
    norms = np.array([np.linalg.norm(g, axis=1).mean() for g in grads])
    return norms[::-1] / norms[-1]


q6 = Question(
    "q6",
    "vanishing_runs",
    tests=[choice(sorted(GRADIENT_RUNS), many=True)],
    hint="Going back one step multiplies the gradient by W_hhᵀ and by the derivative of the "
    "nonlinearity at that step. An orthogonal matrix times s stretches every vector by exactly "
    "s. tanh' is at most 1 (and 1 only at 0); ReLU' is 1 or 0. What do 25 such factors give, "
    "for each run? A large s also makes the hidden state large: is that enough to stop growth?",
)


# ----------------------------------------------------------------- q7: find the bug
def reference_summaries(
    pieces: list[np.ndarray],
    h0: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> np.ndarray:
    """The hidden state at the end of each piece of one long sequence, (K, N, H): the
    library's RNN run over the whole sequence at once, read at the pieces' ends."""
    states = reference_rnn_forward(
        np.concatenate(pieces, axis=1), h0, W_ih, W_hh, b_ih, b_hh
    )
    ends = np.cumsum([piece.shape[1] for piece in pieces]) - 1
    return np.stack([states[:, t] for t in ends])


_LONG = _rng.normal(size=(_N, 9, _I))
q7 = Question(
    "q7",
    "summaries",
    points=2,
    tests=[
        call(
            ([_LONG[:, :4], _LONG[:, 4:7], _LONG[:, 7:]], _H0, *_RNN_W),
            reference_summaries,
            name="summaries (three pieces)",
        ),
        call(
            ([_LONG], _H0, *_RNN_W),
            reference_summaries,
            name="summaries (the whole sequence in one piece)",
        ),
        call(
            ([_LONG[:, :1], _LONG[:, 1:2]], np.zeros((_N, _H)), *_RNN_W),
            reference_summaries,
            name="summaries (two pieces of one step, starting from zeros)",
        ),
    ],
    hint="Cutting a sequence into pieces must not change what the network computes: the "
    "hidden state at the start of a piece is the one at the end of the previous piece "
    "(only the first piece starts from h0). Where does the loop set h?",
)

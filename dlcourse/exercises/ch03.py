"""Checkers for ``exercises/03_networks.ipynb``: shapes, parameter counts, the forward pass, XNOR.

Expected answers come from the package's own networks (:class:`dlcourse.nn.MLP`,
:class:`dlcourse.nn.Linear`), which are tested equal to PyTorch's.

See chapter: From neurons to networks
"""

from __future__ import annotations

import numpy as np

from dlcourse import nn
from dlcourse.activations import step
from dlcourse.autograd import Tensor, no_grad

from .compare import assert_close, to_array
from .question import Question, call, holds, value

__all__ = ["q1", "q2", "q3", "q4"]

_rng = np.random.default_rng(3)

# ---------------------------------------------------------------- q1: weight shapes
_Q1_SOLUTION = """
# A layer from n_in to n_out neurons has a weight matrix of shape (n_out, n_in).
weight_shapes = [(5, 4), (3, 5), (2, 3)]
"""

_MLP = nn.MLP([4, 5, 3, 2], seed=0)
_TUPLES = holds(
    lambda a: isinstance(a, (list, tuple)) and all(isinstance(s, tuple) for s in a),
    "`weight_shapes` should be a list of tuples (rows, columns), like array.shape",
)
q1 = Question(
    "q1",
    "weight_shapes",
    tests=[
        value(
            np.array([m.weight.shape for m in _MLP if isinstance(m, nn.Linear)]),
            name="weight_shapes",
        ),
        _TUPLES,
    ],
    hidden_tests=[_TUPLES],
    hint="nn.MLP([4, 5, 3, 2]) has three Linear layers: 4→5, 5→3, 3→2. Like PyTorch, a Linear layer's "
    "weight has shape (out_features, in_features), so that h = W x + b.",
    solution=_Q1_SOLUTION,
)

# ---------------------------------------------------------------- q2: counting parameters
_Q2_SOLUTION = '''
def count_parameters(sizes):
    """Weights and biases of a fully connected network with layer sizes [n0, n1, ..., nL]."""
    return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
'''


def _mlp_params(sizes):
    return int(sum(p.size for p in nn.MLP(list(sizes), seed=0).parameters()))


q2 = Question(
    "q2",
    "count_parameters",
    tests=[
        call([[4, 5, 3, 2]], _mlp_params),
        call([[2, 1]], _mlp_params),
        call([[784, 128, 10]], _mlp_params),
    ],
    hidden_tests=[
        call([[3, 7, 7, 7, 1]], _mlp_params),
        call([[2, 44, 1]], _mlp_params),
        holds(lambda f: f([5, 5]) == 30, "a 5→5 layer has 25 weights and 5 biases"),
    ],
    hint="A layer from n_in to n_out neurons has an (n_out, n_in) weight matrix and n_out biases: "
    "(n_in + 1)·n_out numbers. Sum over consecutive pairs of sizes (zip(sizes[:-1], sizes[1:])).",
    solution=_Q2_SOLUTION,
)

# ---------------------------------------------------------------- q3: the forward pass in matrix form
_Q3_SOLUTION = '''
def forward(X, W1, b1, W2, b2):
    """Outputs of the 2-layer network x ↦ W2 relu(W1 x + b1) + b2 for a batch X of shape (N, n_in)."""
    H = np.maximum(X @ W1.T + b1, 0.0)   # hidden layer, shape (N, n_hidden)
    return H @ W2.T + b2                 # output layer, shape (N, n_out)
'''


def _reference_forward(X, W1, b1, W2, b2):
    # The package's MLP with these weights loaded: relu between the two Linear layers.
    net = nn.MLP([W1.shape[1], W1.shape[0], W2.shape[0]], activation="relu", seed=0)
    for layer, W, b in [(net[0], W1, b1), (net[2], W2, b2)]:
        layer.weight.data[...] = W
        layer.bias.data[...] = b
    with no_grad():
        return net(Tensor(X)).data


def _net_args(n, n_in, n_hidden, n_out, seed):
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal((n, n_in)),
        rng.standard_normal((n_hidden, n_in)),
        rng.standard_normal(n_hidden),
        rng.standard_normal((n_out, n_hidden)),
        rng.standard_normal(n_out),
    ]


class _RowLoop(AssertionError):
    """Raised by :class:`_Batch` when the answer takes the batch apart row by row."""


class _Batch(np.ndarray):
    """A batch X that refuses to be iterated over or indexed one row at a time.

    Matrix products, ufuncs, transposes and slices work as on any array (their results are
    plain arrays); ``for x in X`` or ``X[i]`` raise :class:`_RowLoop`.
    """

    def __iter__(self):
        raise _RowLoop

    def __getitem__(self, key):
        first = key[0] if isinstance(key, tuple) and key else key
        if isinstance(first, (int, np.integer)):
            raise _RowLoop
        return super().__getitem__(key)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = tuple(
            x.view(np.ndarray) if isinstance(x, _Batch) else x for x in inputs
        )
        if "out" in kwargs:
            kwargs["out"] = tuple(
                x.view(np.ndarray) if isinstance(x, _Batch) else x
                for x in kwargs["out"]
            )
        return getattr(ufunc, method)(*plain, **kwargs)


def _no_row_loop(answer) -> None:
    """The prompt asks for no Python loop over the rows: give X as a :class:`_Batch`."""
    if not callable(answer):
        return  # the other checks say so
    X, W1, b1, W2, b2 = _net_args(6, 3, 4, 2, 4)
    try:
        answer(X.view(_Batch), W1, b1, W2, b2)
    except _RowLoop:
        raise AssertionError(
            "forward(X, …) loops over the rows of X (`for x in X` or `X[i]`); compute the "
            "whole batch at once with matrix products, X @ W1.T + b1"
        ) from None
    except NotImplementedError:
        raise
    except Exception:
        pass  # anything else is the other checks' business (they run on plain arrays)


q3 = Question(
    "q3",
    "forward",
    tests=[
        call(_net_args(3, 4, 5, 2, 0), _reference_forward),
        call(_net_args(1, 2, 2, 1, 1), _reference_forward),
        _no_row_loop,
    ],
    hidden_tests=[
        call(_net_args(64, 10, 32, 3, 2), _reference_forward),
        holds(
            lambda f: f(*_net_args(5, 3, 4, 2, 3)).shape == (5, 2),
            "the output for a batch of N inputs must have shape (N, n_out)",
        ),
    ],
    hint="Row i of X is one input. X @ W1.T has shape (N, n_hidden): each row is W1 x_i. Add b1 "
    "(broadcast over rows), apply ReLU with np.maximum(·, 0), then the output layer the same way "
    "without an activation.",
    solution=_Q3_SOLUTION,
)

# ---------------------------------------------------------------- q4: design a network for XNOR
_Q4_SOLUTION = """
# Hidden neurons: h1 = AND(x1, x2), h2 = NOR(x1, x2). XNOR = h1 OR h2.
W_hidden = np.array([[1.0, 1.0],      # AND: fires only when both are on
                     [-1.0, -1.0]])   # NOR: fires only when both are off
b_hidden = np.array([-1.5, 0.5])
w_out, b_out = np.array([1.0, 1.0]), -0.5   # OR of the two
xnor_net = (W_hidden, b_hidden, w_out, b_out)
"""

_X4 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def _xnor_test(answer, variable=None) -> None:
    if not isinstance(answer, tuple) or len(answer) != 4:
        raise AssertionError(
            f"`xnor_net` should be a tuple (W_hidden, b_hidden, w_out, b_out), "
            f"but it is {type(answer).__name__}"
        )
    W1, b1, w2, b2 = (
        to_array(a, n)
        for a, n in zip(answer, ["W_hidden", "b_hidden", "w_out", "b_out"])
    )
    if (
        W1.ndim != 2
        or W1.shape[1] != 2
        or b1.shape != (W1.shape[0],)
        or w2.shape != (W1.shape[0],)
        or b2.shape != ()
    ):
        raise AssertionError(
            f"shapes do not fit a 2-h-1 network: W_hidden {W1.shape}, b_hidden {b1.shape}, "
            f"w_out {w2.shape}, b_out {b2.shape} (want (h, 2), (h,), (h,), ())"
        )
    out = step(step(_X4 @ W1.T.astype(float) + b1) @ w2.astype(float) + float(b2))
    assert_close(
        out,
        np.array([1.0, 0.0, 0.0, 1.0]),
        "the network's outputs on (0,0), (0,1), (1,0), (1,1)",
    )


_AT_MOST_4 = holds(
    lambda a: np.asarray(a[0]).shape[0] <= 4,
    "use at most 4 hidden neurons (W_hidden has at most 4 rows)",
)
q4 = Question(
    "q4",
    "xnor_net",
    tests=[_xnor_test, _AT_MOST_4],
    hidden_tests=[_AT_MOST_4],
    hint="XNOR (1 when x1 = x2) is 'both on' OR 'both off'. One hidden step neuron can compute AND, "
    "another NOR; the output neuron computes OR of the two.",
    solution=_Q4_SOLUTION,
)

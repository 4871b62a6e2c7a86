"""Checkers for ``exercises/03_networks.ipynb``: shapes, parameter counts, the forward pass, XNOR.

Expected answers come from the package's own networks (:class:`dlcourse.nn.MLP`,
:class:`dlcourse.nn.Linear`), which are tested equal to PyTorch's. q5 (choose the settings
that learn XOR within a budget) is checked by training with them (:func:`xor_correct`, the
chapter's XOR training); q6 (predict what a linear hidden layer does) is a choice, judged
here for its form only (:mod:`.choice`). The hidden tests and the reference solutions are
not here: they stay with the instructor (``dlcourse_instructor.answers.ch03``).

See chapter: From neurons to networks (book/03_networks.ipynb)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from dlcourse import data, nn, optim
from dlcourse.activations import step
from dlcourse.autograd import Tensor, no_grad
from dlcourse.losses import binary_cross_entropy

from .checks import Call, Value, call, value
from .choice import choice
from .compare import assert_close, to_array
from .probe import Code
from .question import Question

__all__ = [
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "q6",
    "XOR_EPOCHS",
    "XOR_MAX_HIDDEN",
    "LINEAR_HIDDEN_OPTIONS",
    "xor_correct",
    "xor_settings_check",
    "are_shape_tuples",
    "SHAPE_TUPLES",
    "mlp_params",
    "reference_forward",
    "net_args",
    "LoopOverRows",
    "Batch",
    "as_batch",
    "NoRowLoop",
    "xnor_compare",
    "at_most_4",
    "AT_MOST_4",
]


# ---------------------------------------------------------------- q1: weight shapes
def are_shape_tuples(a: Any) -> bool:
    """``a`` is a list (or tuple) of tuples, like ``array.shape``."""
    return isinstance(a, (list, tuple)) and all(isinstance(s, tuple) for s in a)


SHAPE_TUPLES = (
    "`weight_shapes` should be a list of tuples (rows, columns), like array.shape"
)

# The network of the prompt: 8×8 digit images (64 pixels), hidden layers of 32 and 16, 10 classes.
_MLP = nn.MLP([64, 32, 16, 10], seed=0)
q1 = Question(
    "q1",
    "weight_shapes",
    tests=[
        value(
            np.array([m.weight.shape for m in _MLP if isinstance(m, nn.Linear)]),
            name="weight_shapes",
        ),
        value(check=are_shape_tuples, message=SHAPE_TUPLES),
    ],
    hint="First write the layer sizes: the input layer has one number per pixel (8 × 8), the output "
    "layer one score per class. Then each Linear layer maps one size to the next, and like PyTorch "
    "its weight has shape (out_features, in_features), so that h = W x + b.",
)


# ---------------------------------------------------------------- q2: counting parameters
def mlp_params(sizes):
    """The number of parameters of the package's ``nn.MLP(sizes)``."""
    return int(sum(p.size for p in nn.MLP(list(sizes), seed=0).parameters()))


q2 = Question(
    "q2",
    "count_parameters",
    tests=[
        call([[4, 5, 3, 2]], mlp_params),
        call([[2, 1]], mlp_params),
        call([[784, 128, 10]], mlp_params),
    ],
    hint="A layer from n_in to n_out neurons has an (n_out, n_in) weight matrix and n_out biases: "
    "(n_in + 1)·n_out numbers. Sum over consecutive pairs of sizes (zip(sizes[:-1], sizes[1:])).",
)


# ---------------------------------------------------------------- q3: the forward pass in matrix form
def reference_forward(X, W1, b1, W2, b2):
    # The package's MLP with these weights loaded: relu between the two Linear layers.
    net = nn.MLP([W1.shape[1], W1.shape[0], W2.shape[0]], activation="relu", seed=0)
    for layer, W, b in [(net[0], W1, b1), (net[2], W2, b2)]:
        layer.weight.data[...] = W
        layer.bias.data[...] = b
    with no_grad():
        return net(Tensor(X)).data


def net_args(n, n_in, n_hidden, n_out, seed):
    """Random inputs ``[X, W1, b1, W2, b2]`` of a batch of ``n`` for a 2-layer network."""
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal((n, n_in)),
        rng.standard_normal((n_hidden, n_in)),
        rng.standard_normal(n_hidden),
        rng.standard_normal((n_out, n_hidden)),
        rng.standard_normal(n_out),
    ]


class LoopOverRows(AssertionError):
    """Raised by :class:`Batch` when the answer takes the batch apart row by row."""


_ROW_LOOP = (
    "forward(X, …) loops over the rows of X (`for x in X` or `X[i]`); compute the "
    "whole batch at once with matrix products, X @ W1.T + b1"
)


class Batch(np.ndarray):
    """A batch X that refuses to be iterated over or indexed one row at a time.

    Matrix products, ufuncs, transposes and slices work as on any array (their results are
    plain arrays); ``for x in X`` or ``X[i]`` raise :class:`LoopOverRows`.
    """

    def __iter__(self):
        raise LoopOverRows(_ROW_LOOP)

    def __getitem__(self, key):
        first = key[0] if isinstance(key, tuple) and key else key
        if isinstance(first, (int, np.integer)):
            raise LoopOverRows(_ROW_LOOP)
        return super().__getitem__(key)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = tuple(x.view(np.ndarray) if isinstance(x, Batch) else x for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(
                x.view(np.ndarray) if isinstance(x, Batch) else x for x in kwargs["out"]
            )
        return getattr(ufunc, method)(*plain, **kwargs)


def as_batch(X: np.ndarray) -> Batch:
    """``X`` as a :class:`Batch` (a float copy)."""
    return np.array(X, dtype=float).view(Batch)


class _BatchInput(Code):
    """The input ``X`` built as a :class:`Batch` where the answer runs; shown as ``X``."""

    def __init__(self, X: np.ndarray) -> None:
        super().__init__(
            "__import__('dlcourse.exercises.ch03', fromlist=['as_batch']).as_batch(X)",
            X=X,
        )

    def __repr__(self) -> str:
        return "X"


class NoRowLoop(Call):
    """The prompt asks for no Python loop over the rows: call the answer with X a :class:`Batch`.

    Only a loop over the rows fails here (with the result compared as usual); an answer
    that raises anything else on a :class:`Batch` is left to the other checks, which run
    on plain arrays.
    """

    def __init__(self, args: list[Any], **options: Any) -> None:
        expected = reference_forward(*args)
        super().__init__([_BatchInput(args[0]), *args[1:]], expected, **options)

    def _judge(self, observation: Mapping[str, Any], fname: str) -> None:
        raised = observation.get("raised")
        if raised is not None and raised.get("type") != LoopOverRows.__name__:
            return
        if raised is not None:  # a loop over the rows: say where
            code = str(raised.get("code") or "")
            where = f"line {raised['line']}" if raised.get("line") else ""
            where += f": `{code}`" if where and code else ""
            raise AssertionError(_ROW_LOOP + (f" ({where})" if where else ""))
        super()._judge(observation, fname)


q3 = Question(
    "q3",
    "forward",
    tests=[
        call(net_args(3, 4, 5, 2, 0), reference_forward),
        call(net_args(1, 2, 2, 1, 1), reference_forward),
        NoRowLoop(net_args(6, 3, 4, 2, 4)),
    ],
    hint="Row i of X is one input. X @ W1.T has shape (N, n_hidden): each row is W1 x_i. Add b1 "
    "(broadcast over rows), apply ReLU with np.maximum(·, 0), then the output layer the same way "
    "without an activation.",
)

# ---------------------------------------------------------------- q4: design a network for XNOR
_X4 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def xnor_compare(answer: Any, target: np.ndarray, label: str = "") -> None:
    """``answer = (W_hidden, b_hidden, w_out, b_out)`` is a 2-h-1 step network computing
    ``target`` on the four binary inputs."""
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
        np.asarray(target, dtype=float),
        "the network's outputs on (0,0), (0,1), (1,0), (1,1)",
    )


def at_most_4(a: Any) -> bool:
    """``a[0]`` (``W_hidden``) has at most 4 rows."""
    return bool(np.asarray(a[0]).shape[0] <= 4)


AT_MOST_4 = "use at most 4 hidden neurons (W_hidden has at most 4 rows)"

q4 = Question(
    "q4",
    "xnor_net",
    tests=[
        value(np.array([1.0, 0.0, 0.0, 1.0]), compare=xnor_compare),
        value(check=at_most_4, message=AT_MOST_4),
    ],
    hint="XNOR (1 when x1 = x2) is 'both on' OR 'both off'. One hidden step neuron can compute AND, "
    "another NOR; the output neuron computes OR of the two.",
)


# ---------------------------------------------------------------- q5: choose settings that learn XOR
#: The budget of q5: Adam epochs, and the widest hidden layer allowed.
XOR_EPOCHS, XOR_MAX_HIDDEN = 30, 4


def xor_correct(
    hidden: int,
    lr: float,
    seed: int,
    epochs: int = XOR_EPOCHS,
    activation: str = "tanh",
) -> int:
    """How many of the four XOR inputs a 2-``hidden``-1 network gets right after training.

    The chapter's XOR training: ``activation`` in the hidden layer, a sigmoid on the output,
    the binary cross-entropy, ``epochs`` full-batch steps of Adam with learning rate ``lr``,
    from the initial weights of ``seed``.
    """
    X, y = data.xor()
    net = nn.MLP([2, hidden, 1], activation=activation, seed=seed)
    opt = optim.Adam(net.parameters(), lr=lr)
    target = y.reshape(-1, 1).astype(np.float64)
    for _ in range(epochs):
        loss = binary_cross_entropy(net(X).sigmoid(), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with no_grad():
        prob = net(X).sigmoid().data[:, 0]
    return int(np.sum((prob > 0.5) == y))


def _settings(answer: Any, label: str) -> tuple[int, float]:
    """``answer`` as (hidden, lr), or AssertionError saying what is wrong with its form."""
    if not isinstance(answer, dict) or set(answer) != {"hidden", "lr"}:
        raise AssertionError(
            f'{label} should be a dict {{"hidden": …, "lr": …}}, not {answer!r:.60}'
        )
    hidden, lr = answer["hidden"], answer["lr"]
    if isinstance(hidden, bool) or not isinstance(hidden, (int, np.integer)):
        raise AssertionError(
            f'{label}["hidden"] should be a whole number, not {hidden!r}'
        )
    if not 1 <= hidden <= XOR_MAX_HIDDEN:
        raise AssertionError(
            f'{label}["hidden"] = {hidden} is outside the budget: 1 to {XOR_MAX_HIDDEN} units'
        )
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)):
        raise AssertionError(f'{label}["lr"] should be a number, not {lr!r}')
    if not 0 < lr <= 10:
        raise AssertionError(f'{label}["lr"] = {lr} should be between 0 and 10')
    return int(hidden), float(lr)


def xor_settings_check(seeds: range, need: int) -> Value:
    """A check that the settings solve XOR (all four inputs right) after :data:`XOR_EPOCHS`
    epochs from at least ``need`` of the initial weights ``seeds``."""

    def solves(answer: Any, expected: Any, label: str) -> None:
        hidden, lr = _settings(answer, label)
        solved = sum(xor_correct(hidden, lr, seed) == 4 for seed in seeds)
        if solved < need:
            raise AssertionError(
                f"with {label} = {answer!r:.60}, {XOR_EPOCHS} epochs solve XOR from "
                f"{solved} of {len(seeds)} initialisations (seeds {seeds.start}–"
                f"{seeds.stop - 1}); the target is at least {need}"
            )

    return value(
        compare=solves,
        message=f"solves XOR within the budget from at least {need} of {len(seeds)} "
        "other initialisations",
    )


q5 = Question(
    "q5",
    "xor_settings",
    tests=[xor_settings_check(range(10), need=9)],
    hint="Try settings with `xor_correct(hidden, lr, seed)` before you commit. Two hidden units "
    "are just barely enough for XOR and often stall on a plateau; a few more give training more "
    "ways to succeed. With only 30 steps the learning rate must be large enough to get "
    "somewhere, but a very large one throws the tanh units into saturation.",
    points=2,
)


# ---------------------------------------------------------------- q6: predict (a linear hidden layer)
#: What training a 2-h-1 network on XOR does when its hidden layer has no activation.
LINEAR_HIDDEN_OPTIONS = {
    "A": "it solves XOR, and faster: a linear hidden layer is easier to train",
    "B": "it solves XOR, but only with a wide hidden layer (32 units)",
    "C": "it never solves XOR, however wide: at most 3 of the 4 inputs come out right",
    "D": "training breaks down: the loss becomes NaN",
}

q6 = Question(
    "q6",
    "linear_hidden_prediction",
    tests=[choice(sorted(LINEAR_HIDDEN_OPTIONS))],
    hint="Without an activation, what does the hidden layer followed by the output layer "
    "compute, whatever its width (chapter 2, 'Why non-linearity is needed')? And what can "
    "such a network do on XOR (chapter 1)?",
)

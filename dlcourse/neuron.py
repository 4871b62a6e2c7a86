"""The artificial neuron and Rosenblatt's perceptron learning rule.

A neuron weighs its inputs, adds a bias and applies an activation:

    y = f(Σᵢ wᵢ xᵢ + b) = f(w·x + b)

The weights say how much each input matters (their sign: for or against), the bias
how eager the neuron is to fire. With the step activation the neuron is a linear
classifier: it answers 1 on one side of the hyperplane ``w·x + b = 0``, 0 on the other.
(McCulloch and Pitts' 1943 units had no such weights: equal excitatory inputs, an
absolute inhibitory veto and a fixed threshold. Adjustable weights came with the
perceptron.)

The perceptron rule (Rosenblatt, 1958) learns ``w`` and ``b`` from labelled examples
``(x, y)`` with ``y ∈ {0, 1}``, one example at a time:

    ŷ = step(w·x + b)
    w ← w + η (y - ŷ) x
    b ← b + η (y - ŷ)

Nothing changes when the neuron is right; when it is wrong the boundary moves towards
the misclassified point. Novikoff (1962): write each input with the bias's constant
input appended, ``(x, 1)``. If some ``(w*, b*)`` of length 1 separates the data with
margin γ (``w*·x + b* ≥ γ`` for label 1, ``≤ -γ`` for label 0) and every
``‖(x, 1)‖ ≤ R``, the rule started from zero makes at most (R/γ)² mistakes, for any
order and any η > 0. R bounds the augmented input ``‖(x, 1)‖``, not ``‖x‖``, because
the bias is learned too.
If the data are not separable — XOR — it never stops making mistakes.

See chapter: The artificial neuron (book/01_neuron.ipynb)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from .activations import step

__all__ = ["neuron", "Perceptron"]


def neuron(
    x: ArrayLike,
    w: ArrayLike,
    b: float,
    activation: Callable[[np.ndarray], np.ndarray] = step,
) -> np.ndarray:
    """Output ``activation(x @ w + b)`` of one neuron.

    ``x`` is one input ``(n,)`` or a batch ``(N, n)``; ``w`` has shape ``(n,)``.
    """
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    if w.ndim != 1 or x.shape[-1:] != w.shape:
        raise ValueError(
            f"neuron: input shape {x.shape} does not match weights shape {w.shape}: "
            f"the last axis of x must have {w.shape[-1] if w.ndim else w.size} entries"
        )
    return activation(x @ w + b)


class Perceptron:
    """A single step-activation neuron trained with the perceptron rule.

    Weights start at zero (the neuron knows nothing yet); ``seed`` fixes the order in
    which examples are visited each epoch. Training stops early once an epoch makes no
    mistake, and ``converged`` is then ``True``.

    Attributes:
        weights: ``(n_inputs,)`` array ``w``.
        bias: the scalar ``b``.
        history: one ``(w, b, errors)`` tuple per epoch — the weights and bias at the
            end of the epoch and the number of mistakes (= updates) made during it.
        converged: whether the last epoch made no mistake.
    """

    def __init__(
        self,
        n_inputs: int | None = None,
        lr: float = 1.0,
        epochs: int = 20,
        seed: int = 0,
        shuffle: bool = True,
    ) -> None:
        self.n_inputs, self.lr, self.epochs, self.seed, self.shuffle = (
            n_inputs,
            lr,
            epochs,
            seed,
            shuffle,
        )
        self.weights = np.zeros(n_inputs) if n_inputs is not None else None
        self.bias = 0.0
        self.history: list[tuple[np.ndarray, float, int]] = []
        self.converged = False

    def _check_X(self, X: ArrayLike) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(
                f"Perceptron: X must be 2-D (n_samples, n_inputs), got shape {X.shape}"
            )
        if self.n_inputs is not None and X.shape[1] != self.n_inputs:
            raise ValueError(
                f"Perceptron: X has shape {X.shape} but the perceptron has "
                f"{self.n_inputs} inputs: {X.shape[1]} != {self.n_inputs}"
            )
        return X

    def fit(self, X: ArrayLike, y: ArrayLike) -> Perceptron:
        """Run the perceptron rule for up to ``epochs`` passes over ``(X, y)``.

        The labels ``y`` are 0 or 1.
        """
        X = self._check_X(X)
        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise ValueError(
                f"Perceptron.fit: X has shape {X.shape} but y has shape {y.shape}; "
                f"expected y of shape ({X.shape[0]},)"
            )
        if not np.isin(y, [0, 1]).all():
            raise ValueError(
                f"Perceptron.fit: labels must be 0 or 1, got {np.unique(y)}"
            )
        self.n_inputs = X.shape[1]
        self.weights, self.bias = np.zeros(self.n_inputs), 0.0
        self.history, self.converged = [], False
        rng = np.random.default_rng(self.seed)
        for _ in range(self.epochs):
            order = rng.permutation(len(X)) if self.shuffle else np.arange(len(X))
            errors = 0
            for i in order:
                delta = y[i] - self.predict(X[i : i + 1])[0]  # -1, 0 or +1
                if delta:
                    self.weights = self.weights + self.lr * delta * X[i]
                    self.bias = self.bias + self.lr * delta
                    errors += 1
            self.history.append((self.weights.copy(), float(self.bias), errors))
            if errors == 0:
                self.converged = True
                break
        return self

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """The pre-activation ``X @ w + b``: signed, scaled distance to the boundary."""
        if self.weights is None:
            raise RuntimeError("Perceptron: call fit() first or give n_inputs")
        return self._check_X(X) @ self.weights + self.bias

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Labels ``step(X @ w + b)`` as int64 (a zero pre-activation counts as 0)."""
        return (self.decision_function(X) > 0).astype(np.int64)

    def __repr__(self) -> str:
        return (
            f"Perceptron(n_inputs={self.n_inputs}, lr={self.lr}, epochs={self.epochs}, "
            f"weights={self.weights}, bias={self.bias}, converged={self.converged})"
        )

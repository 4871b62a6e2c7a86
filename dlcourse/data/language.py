"""Synthetic languages whose difficulty is known exactly, and a long-range recall task.

**A Markov language.** Token ``x_t`` depends only on the ``k`` tokens before it
(a Markov chain of order ``k``). Each context ``c = (x_{t-k}, …, x_{t-1})``
allows only a few next tokens ("sparse"), with random probabilities
``P(x_t | c)``. Because we know ``P`` exactly, we know the best loss any model
can reach on this language: the **entropy rate**

.. math::  H = \\sum_c \\pi(c)\\, H\\big(P(\\cdot \\mid c)\\big)
           = -\\sum_c \\pi(c) \\sum_x P(x \\mid c) \\log P(x \\mid c)
           \\quad\\text{nats/token},

where ``π`` is the stationary distribution of the contexts (the fraction of
time the chain spends in each). A language model's average cross-entropy can
approach ``H`` but never beat it (on average); ``H`` is the *floor*.

**Associative recall** (the long-range task). A sequence of ``length``
(key, value) pairs, with distinct keys, each pair written as one token, ends
with a query token naming one of the keys; the answer is that key's value.
The pair can sit anywhere in the sequence, so a model must keep *every* pair
available until the end. Attention looks the key up directly; a recurrent
network has to squeeze all pairs into its fixed-size state.

See chapter: Attention and Transformers (book/13_attention.ipynb)
"""

from __future__ import annotations

import numpy as np

__all__ = ["MarkovLanguage", "long_range_task", "recall_vocab_size"]


class MarkovLanguage:
    """A random sparse Markov chain of order ``order`` over ``vocab_size`` tokens.

    Each of the ``vocab_size ** order`` contexts can be followed by ``branching``
    distinct tokens, with probabilities drawn from a Dirichlet(``concentration``)
    distribution. Tables are redrawn (same seed stream) until the chain on contexts
    is *primitive* (irreducible and aperiodic), so the stationary distribution is
    unique and every long sample has the same statistics.

    Attributes:
        probs: (vocab_size ** order, vocab_size) array, row ``c`` is ``P(· | c)``;
            a context ``(a_1, …, a_k)`` has index ``Σ a_i V^(k-i)`` (base-V number).
        stationary: (vocab_size ** order,) stationary distribution of the contexts.
    """

    def __init__(
        self,
        vocab_size: int = 8,
        order: int = 2,
        seed: int = 0,
        branching: int = 3,
        concentration: float = 1.0,
    ) -> None:
        if vocab_size < 2 or order < 1 or not 1 <= branching <= vocab_size:
            raise ValueError(
                f"MarkovLanguage: need vocab_size >= 2, order >= 1 and "
                f"1 <= branching <= vocab_size, got {vocab_size}, {order}, {branching}"
            )
        if vocab_size**order > 4096:
            raise ValueError(
                f"MarkovLanguage: {vocab_size}^{order} contexts is too many (max 4096)"
            )
        self.vocab_size, self.order, self.branching = (
            int(vocab_size),
            int(order),
            int(branching),
        )
        rng = np.random.default_rng(seed)
        n_ctx = self.vocab_size**self.order
        for _ in range(100):
            probs = np.zeros((n_ctx, self.vocab_size))
            for c in range(n_ctx):
                support = rng.choice(
                    self.vocab_size, size=self.branching, replace=False
                )
                probs[c, support] = rng.dirichlet(
                    np.full(self.branching, concentration)
                )
            self.probs = probs
            if self._is_primitive():
                break
        else:  # pragma: no cover - practically unreachable for branching >= 2
            raise RuntimeError(
                "MarkovLanguage: could not draw an ergodic chain; raise branching"
            )
        self.stationary = self._stationary()

    # ------------------------------------------------------------ the chain on contexts
    def _next_context(
        self, c: np.ndarray | int, x: np.ndarray | int
    ) -> np.ndarray | int:
        """Context index after token ``x`` in context ``c`` (the oldest token drops)."""
        return (c * self.vocab_size) % (self.vocab_size**self.order) + x

    def transition_matrix(self) -> np.ndarray:
        """(C, C) matrix ``T[c, c']``: probability that context ``c'`` follows ``c``."""
        n_ctx = self.vocab_size**self.order
        T = np.zeros((n_ctx, n_ctx))
        ctx = np.arange(n_ctx)
        for x in range(self.vocab_size):
            T[ctx, self._next_context(ctx, x)] += self.probs[:, x]
        return T

    def _is_primitive(self) -> bool:
        # A non-negative matrix is primitive iff some power is all-positive; Wielandt's
        # bound says (n-1)^2 + 1 suffices, reached by repeated squaring of the pattern.
        A = (self.transition_matrix() > 0).astype(np.float64)
        n = len(A)
        power, reach = 1, A
        while power < (n - 1) ** 2 + 1:
            reach = (reach @ reach > 0).astype(np.float64)
            power *= 2
        return bool(reach.all())

    def _stationary(self) -> np.ndarray:
        """The left eigenvector of T for eigenvalue 1, normalised to sum to 1."""
        T = self.transition_matrix()
        vals, vecs = np.linalg.eig(T.T)
        pi = np.real(vecs[:, np.argmin(np.abs(vals - 1.0))])
        pi = np.abs(pi)
        return pi / pi.sum()

    # ------------------------------------------------------------------ public API
    def entropy_rate(self) -> float:
        """Exact entropy rate ``Σ_c π(c) H(P(·|c))`` in nats per token."""
        p = self.probs
        h_ctx = -np.sum(
            np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=1
        )
        return float(self.stationary @ h_ctx)

    def sample(self, n_tokens: int, seed: int = 0) -> np.ndarray:
        """``n_tokens`` int64 tokens.

        The first ``order`` tokens are drawn from the stationary distribution.
        """
        if n_tokens < self.order:
            raise ValueError(
                f"MarkovLanguage.sample: need n_tokens >= order = {self.order}, "
                f"got {n_tokens}"
            )
        rng = np.random.default_rng(seed)
        V, k = self.vocab_size, self.order
        c = int(rng.choice(len(self.stationary), p=self.stationary))
        out = np.empty(n_tokens, dtype=np.int64)
        out[:k] = [(c // V ** (k - 1 - i)) % V for i in range(k)]
        cdf = np.cumsum(self.probs, axis=1)
        u = rng.random(n_tokens)
        for t in range(k, n_tokens):
            x = min(int(np.searchsorted(cdf[c], u[t], side="right")), V - 1)
            while self.probs[c, x] == 0:  # guard against round-off at the cdf's top
                x -= 1
            out[t] = x
            c = int(self._next_context(c, x))
        return out

    def context_index(self, tokens: np.ndarray) -> np.ndarray:
        """Context index of every position ``t >= order`` of a 1-D token array."""
        tokens = np.asarray(tokens, dtype=np.int64)
        V, k = self.vocab_size, self.order
        idx = np.zeros(len(tokens) - k, dtype=np.int64)
        for i in range(k):
            idx = idx * V + tokens[i : len(tokens) - k + i]
        return idx

    def cross_entropy(self, tokens: np.ndarray) -> float:
        """Mean ``-log P(x_t | context)`` under the *true* model, over t >= order."""
        tokens = np.asarray(tokens, dtype=np.int64)
        p = self.probs[self.context_index(tokens), tokens[self.order :]]
        if np.any(p == 0):
            raise ValueError(
                "MarkovLanguage.cross_entropy: the tokens contain a transition of "
                "probability 0"
            )
        return float(-np.mean(np.log(p)))

    def __repr__(self) -> str:
        return (
            f"MarkovLanguage(vocab_size={self.vocab_size}, order={self.order}, "
            f"branching={self.branching}, "
            f"entropy_rate={self.entropy_rate():.4f} nats/token)"
        )


def recall_vocab_size(n_keys: int = 16, n_values: int = 8) -> int:
    """Vocabulary size of :func:`long_range_task`.

    ``n_keys * n_values`` pair tokens plus ``n_keys`` query tokens.
    """
    return n_keys * n_values + n_keys


def long_range_task(
    n: int, length: int = 12, seed: int = 0, n_keys: int = 16, n_values: int = 8
) -> tuple[np.ndarray, np.ndarray]:
    """Associative recall: ``n`` sequences of ``length`` (key, value) pairs and a query.

    Token ``key * n_values + value`` stands for the pair (key, value); token
    ``n_keys * n_values + key`` is the question "what was the value of ``key``?".
    Keys within a sequence are distinct; values are uniform. Chance accuracy is
    ``1 / n_values``.

    Returns:
        ``X`` int64 (n, length + 1), the pairs followed by the query, and
        ``y`` int64 (n,), the queried value in ``0 … n_values - 1``.
    """
    if not 1 <= length <= n_keys:
        raise ValueError(
            f"long_range_task: need 1 <= length <= n_keys = {n_keys} "
            f"(keys are distinct), got {length}"
        )
    rng = np.random.default_rng(seed)
    # distinct keys per row
    keys = np.argsort(rng.random((n, n_keys)), axis=1)[:, :length]
    values = rng.integers(0, n_values, size=(n, length))
    which = rng.integers(0, length, size=n)
    rows = np.arange(n)
    X = np.empty((n, length + 1), dtype=np.int64)
    X[:, :length] = keys * n_values + values
    X[:, length] = n_keys * n_values + keys[rows, which]
    return X, values[rows, which].astype(np.int64)

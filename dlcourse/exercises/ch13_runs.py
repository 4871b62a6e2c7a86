"""The experiments and the task of the attention exercises' understanding questions.

* :func:`previous_token_inputs`: the one-hot inputs of question 6, where the student chooses
  the query and key weights of a head that looks one position back, and
  :func:`previous_token_weights`, the attention that such a head computes (through
  ``dlcourse.attention.scaled_dot_product_attention``).
* :func:`train_previous_token`: question 7's experiment, a single attention layer trained to
  output the previous token, with or without positional encodings; it says what it reached,
  never which prediction was right.

Nothing here is an answer: the checks judge a property of the student's choice (how much
weight each position puts one step back), and the experiment is run for the student to see.

See chapter: Attention and Transformers (book/13_attention.ipynb)
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "SEQ_LEN",
    "VOCAB",
    "previous_token_inputs",
    "previous_token_weights",
    "train_previous_token",
]

#: Sequence length and vocabulary of question 6's task.
SEQ_LEN, VOCAB = 6, 4


def previous_token_inputs(tokens: Any) -> np.ndarray:
    """The inputs of question 6: row t is [one-hot of token t (VOCAB) | one-hot of t (SEQ_LEN)]."""
    tokens = np.asarray(tokens, dtype=int)
    x = np.zeros((len(tokens), VOCAB + SEQ_LEN))
    x[np.arange(len(tokens)), tokens] = 1.0
    x[np.arange(len(tokens)), VOCAB + np.arange(len(tokens))] = 1.0
    return x


def previous_token_weights(head: Any, tokens: Any) -> np.ndarray:
    """The (T, T) attention weights of the head ``(W_q, W_k)`` on the sequence ``tokens``:
    ``softmax(x W_q (x W_k)ᵀ / √d_k)``, computed by ``dlcourse.attention``."""
    from dlcourse.attention import scaled_dot_product_attention

    w_q, w_k = (np.asarray(w, dtype=float) for w in head)
    x = previous_token_inputs(tokens)
    q, k = x @ w_q, x @ w_k
    return scaled_dot_product_attention(q, k, np.zeros((len(x), 1)))[1].data


def train_previous_token(
    positions: bool, seed: int = 0, steps: int = 150, length: int = 8, vocab: int = 4
) -> float:
    """Train one attention layer to output, at every position t ≥ 1, the token at t − 1.

    Token embeddings (plus sinusoidal positional encodings when ``positions``), one head
    of self-attention without a mask, a linear read-out; Adam, batches of 64 random
    sequences. Returns the accuracy on 2,000 fresh sequences (chance: 1 / ``vocab``).
    Seeded; well under a second on one CPU core.
    """
    import torch

    threads = torch.get_num_threads()
    # A model this small runs fastest on one thread, and several threads on a shared,
    # busy machine can slow it down a hundredfold; the caller's setting is restored.
    torch.set_num_threads(1)
    try:
        return _train_previous_token(positions, seed, steps, length, vocab)
    finally:
        torch.set_num_threads(threads)


def _train_previous_token(
    positions: bool, seed: int, steps: int, length: int, vocab: int
) -> float:
    import torch

    from dlcourse.attention import positional_encoding

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    d = 16
    embed = torch.nn.Embedding(vocab, d)
    attend = torch.nn.MultiheadAttention(d, num_heads=1, batch_first=True)
    read_out = torch.nn.Linear(d, vocab)
    pe = torch.tensor(positional_encoding(length, d), dtype=torch.float32)
    params = [*embed.parameters(), *attend.parameters(), *read_out.parameters()]
    opt = torch.optim.Adam(params, lr=1e-2)

    def logits(tokens: torch.Tensor) -> torch.Tensor:
        h = embed(tokens) + (pe if positions else 0.0)
        out, _ = attend(h, h, h, need_weights=False)
        return read_out(out)[:, 1:]  # position 0 has no previous token

    for _ in range(steps):
        tokens = torch.randint(vocab, (64, length), generator=gen)
        loss = torch.nn.functional.cross_entropy(
            logits(tokens).reshape(-1, vocab), tokens[:, :-1].reshape(-1)
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        tokens = torch.randint(vocab, (2000, length), generator=gen)
        right = logits(tokens).argmax(-1) == tokens[:, :-1]
    return float(right.float().mean())

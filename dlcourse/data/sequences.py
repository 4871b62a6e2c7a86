"""Sequence tasks made on the fly: the adding problem, copy, reverse, number-to-words.

All generators are seeded (``np.random.default_rng(seed)``) and download nothing.

* :func:`adding_problem` (Hochreiter & Schmidhuber 1997): a long-range memory test.
  Each input step is a pair ``(value, marker)`` with ``value ~ U(0, 1)``; exactly two
  steps carry ``marker = 1``, one in each half of the sequence. The target is the sum of
  the two marked values. The sum of two independent U(0, 1) has mean 1 and variance
  ``2 · 1/12 = 1/6``, so a model that ignores the input and always answers 1 scores

  .. math::

      \\mathrm{MSE}_{\\text{baseline}} = \\operatorname{Var}(u_a + u_b)
      = 1/6 \\approx 0.167.

  Beating that number at all requires remembering values seen up to ``T`` steps ago.
* :func:`copy_task`, :func:`reverse_task`: integer token sequences whose target is the
  input itself or the input reversed (sequence-to-sequence warm-ups).
* :func:`number_to_words`: ``"342" -> "three hundred forty two"`` pairs with character
  vocabularies (:class:`Vocab`), a small translation task for the attention chapter.

See chapter: Recurrent networks, LSTMs and GRUs (book/12_rnn.ipynb)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ADDING_BASELINE_MSE",
    "adding_problem",
    "copy_task",
    "reverse_task",
    "Vocab",
    "NumberWords",
    "spell_number",
    "number_to_words",
]

#: MSE of always predicting the mean sum 1: Var(U1 + U2) = 2/12.
ADDING_BASELINE_MSE = 1.0 / 6.0


def adding_problem(n: int, length: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem: ``X`` (n, length, 2) float64 and ``y`` (n,) float64.

    ``X[:, t, 0]`` are values drawn from U(0, 1), ``X[:, t, 1]`` the markers: exactly
    one marked step in ``[0, length // 2)`` and one in ``[length // 2, length)``, so
    the first relevant value lies at least ``length // 2`` steps before the end. ``y``
    is the sum of the two marked values (``E[y] = 1``, ``Var[y] = 1/6``).
    """
    if length < 2:
        raise ValueError(
            f"adding_problem: length must be >= 2 (one marker per half), got {length}"
        )
    if n < 0:
        raise ValueError(f"adding_problem: n must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    half = length // 2
    X = np.zeros((n, length, 2))
    X[:, :, 0] = rng.random((n, length))
    rows = np.arange(n)
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, length, size=n)
    X[rows, first, 1] = 1.0
    X[rows, second, 1] = 1.0
    y = X[rows, first, 0] + X[rows, second, 0]
    return X, y


def copy_task(
    n: int, length: int, vocab_size: int = 8, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Random token sequences ``X`` (n, length), int64 in ``[0, vocab_size)``; Y = X."""
    if vocab_size < 1 or length < 1:
        raise ValueError(
            "copy_task: need length >= 1 and vocab_size >= 1, "
            f"got {length}, {vocab_size}"
        )
    X = np.random.default_rng(seed).integers(
        0, vocab_size, size=(n, length), dtype=np.int64
    )
    return X, X.copy()


def reverse_task(
    n: int, length: int, vocab_size: int = 8, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`copy_task`, but reversed targets: ``Y[:, t] = X[:, -1 - t]``."""
    X, _ = copy_task(n, length, vocab_size, seed)
    return X, X[:, ::-1].copy()


class Vocab:
    """A character vocabulary with ``<pad>`` = 0, ``<bos>`` = 1 and ``<eos>`` = 2.

    ``encode(text, bos=False, eos=False)`` -> list of ids; ``decode(ids)`` drops the
    special tokens (and stops at the first ``<eos>``); ``pad(seqs, length=None)`` ->
    (N, L) int64 array.
    Characters are sorted, so the same alphabet always gives the same ids.
    """

    PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
    pad_id, bos_id, eos_id = 0, 1, 2

    def __init__(self, chars: Iterable[str]) -> None:
        chars = sorted(set("".join(chars)))
        self.itos: list[str] = [self.PAD, self.BOS, self.EOS, *chars]
        self.stoi: dict[str, int] = {s: i for i, s in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens: {''.join(self.itos[3:])!r} + pad/bos/eos)"

    def encode(self, text: str, bos: bool = False, eos: bool = False) -> list[int]:
        unknown = sorted(set(text) - set(self.stoi))
        if unknown:
            raise KeyError(
                f"Vocab.encode: characters {unknown} are not in the vocabulary"
            )
        ids = [self.stoi[ch] for ch in text]
        return ([self.bos_id] if bos else []) + ids + ([self.eos_id] if eos else [])

    def decode(self, ids: Iterable[int]) -> str:
        out = []
        for i in ids:
            i = int(i)
            if i == self.eos_id:
                break
            if i in (self.pad_id, self.bos_id):
                continue
            out.append(self.itos[i])
        return "".join(out)

    def pad(
        self, seqs: Sequence[Sequence[int]], length: int | None = None
    ) -> np.ndarray:
        """Right-pad the id lists with ``pad_id`` to ``length`` (default: longest)."""
        longest = max((len(s) for s in seqs), default=0)
        length = longest if length is None else length
        if longest > length:
            raise ValueError(
                f"Vocab.pad: a sequence has length {longest} > length={length}"
            )
        out = np.full((len(seqs), length), self.pad_id, dtype=np.int64)
        for k, s in enumerate(seqs):
            out[k, : len(s)] = s
        return out


_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = [
    "",
    "",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
]


def spell_number(k: int) -> str:
    """English words for ``0 <= k <= 999_999``: ``342 -> "three hundred forty two"``.

    No "and", no hyphens.
    """
    if not 0 <= k <= 999_999:
        raise ValueError(f"spell_number: expects 0 <= k <= 999999, got {k}")
    if k < 20:
        return _ONES[k]
    if k < 100:
        return _TENS[k // 10] + ("" if k % 10 == 0 else " " + _ONES[k % 10])
    if k < 1000:
        return (
            _ONES[k // 100]
            + " hundred"
            + ("" if k % 100 == 0 else " " + spell_number(k % 100))
        )
    return (
        spell_number(k // 1000)
        + " thousand"
        + ("" if k % 1000 == 0 else " " + spell_number(k % 1000))
    )


@dataclass
class NumberWords:
    """Pairs for :func:`number_to_words`: strings, vocabularies and padded id arrays.

    ``src`` (n, Ls) are the digit ids ending in ``<eos>``; ``tgt`` (n, Lt) the
    word-character ids as ``<bos> … <eos>`` (teacher forcing feeds ``tgt[:, :-1]`` and
    predicts ``tgt[:, 1:]``); both padded with id 0.
    """

    numbers: list[str]
    words: list[str]
    src_vocab: Vocab
    tgt_vocab: Vocab
    src: np.ndarray
    tgt: np.ndarray


def number_to_words(n: int, seed: int = 0, max_number: int = 999) -> NumberWords:
    """``n`` random integers in ``[0, max_number]`` as digit strings and English words.

    The vocabularies are fixed by ``max_number`` alone (digits; the letters and space of
    all number words), not by the sample, so different seeds share the same ids.
    """
    if not 0 <= max_number <= 999_999:
        raise ValueError(
            f"number_to_words: max_number must be in [0, 999999], got {max_number}"
        )
    rng = np.random.default_rng(seed)
    values = rng.integers(0, max_number + 1, size=n)
    numbers = [str(v) for v in values]
    words = [spell_number(int(v)) for v in values]
    src_vocab = Vocab("0123456789")
    letters = "".join(_ONES + _TENS) + " hundred thousand"
    tgt_vocab = Vocab(letters)
    src = src_vocab.pad(
        [src_vocab.encode(s, eos=True) for s in numbers],
        length=len(str(max_number)) + 1,
    )
    # pad to the longest word of the whole range (not of the sample) so all seeds share
    # one width; beyond 9999 enumerating the range is slow: the sample's longest is used
    if max_number < 10_000:
        longest = max(len(spell_number(k)) for k in range(max_number + 1))
    else:
        longest = max((len(w) for w in words), default=0)
    tgt = tgt_vocab.pad(
        [tgt_vocab.encode(w, bos=True, eos=True) for w in words], length=longest + 2
    )
    return NumberWords(numbers, words, src_vocab, tgt_vocab, src, tgt)

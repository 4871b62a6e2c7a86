r"""Byte-pair encoding (BPE): a subword tokenizer learned from text, from scratch.

A language model reads a sequence of integer *tokens*. Characters make long sequences
and words make an open vocabulary; BPE (Sennrich et al. 2016, after Gage's 1994
compression scheme; the tokenizer of GPT-2) learns units in between.

**Training.** Start from bytes, not characters: the text is encoded as UTF-8, so the
256 byte values are tokens ``0 … 255`` and *any* string, in any script, with emoji and
combining marks, becomes a token sequence and decodes back exactly (GPT-2's choice).
Then repeat until the vocabulary has ``vocab_size`` tokens:

1. count every pair of adjacent tokens in the training text;
2. take the most frequent pair ``(a, b)`` and make it a new token ``256 + k`` whose
   bytes are ``bytes(a) + bytes(b)``;
3. replace every occurrence of ``(a, b)``, left to right, by the new token, and record
   the merge ``(a, b)`` as the ``k``-th.

Ties are broken deterministically: among pairs of equal count, the pair with the
smaller ``(a, b)`` (compared as a tuple of ids) is merged. Training stops early when
no pair occurs at least ``min_frequency`` times. On Wikipedia's example
``"aaabdaaabac"`` the merges are ``aa``, then ``ab`` (tied with ``(aa)a``; ``(97, 98)``
is smaller), then ``(aa)(ab)``.

Counting all pairs again after every merge costs a pass over the whole text per merge.
Instead the counts are kept up to date: a merge changes only the words containing the
pair, so the pairs of those words are subtracted, the words rewritten, and their new
pairs added (an index from each pair to the words holding it finds them), and a heap
with lazily discarded stale entries yields the most frequent pair.

**Pre-splitting.** Before counting, the text is cut into chunks with a regular
expression (:data:`GPT2_SPLIT_PATTERN`, GPT-2's pattern written for Python's ``re``):
English contractions, runs of letters, runs of digits and runs of other symbols, each
with at most one leading space, and runs of whitespace. Pairs are counted inside chunks
only, so no merge crosses a word boundary (no token ``"g. The"``), and each distinct
chunk is processed once, weighted by how often it occurs. ``pattern=None`` keeps the
whole text as one chunk (fine for short texts; slow for long ones).

**Encoding** splits the text the same way and applies the merges *in the order
learned*: repeatedly merge, everywhere in the chunk, the present pair that was learned
first. **Decoding** concatenates the tokens' bytes and decodes UTF-8 (an id sequence cut
inside a multi-byte character decodes with U+FFFD replacement characters).

See chapter: Language models: tokens, pretraining and fine-tuning (book/14_language_models.ipynb)
"""

from __future__ import annotations

import heapq
import itertools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["GPT2_SPLIT_PATTERN", "BPETokenizer"]

#: GPT-2's pre-splitting pattern with ``re``'s classes: ``[^\W\d_]`` is a letter
#: (``\p{L}``), ``\d`` a digit, ``(?:[^\s\w]|_)`` any other non-space symbol.
GPT2_SPLIT_PATTERN = (
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+"""
)

_FORMAT = "dlcourse-bpe"
Pair = tuple[int, int]


def _chunks(text: str, pattern: re.Pattern[str] | None) -> list[str]:
    """``text`` cut by ``pattern``; text the pattern skips becomes chunks of its own, so
    the chunks always join back to ``text`` whatever the pattern."""
    if pattern is None:
        return [text] if text else []
    chunks, end = [], 0
    for match in pattern.finditer(text):
        if match.start() > end:
            chunks.append(text[end : match.start()])
        if match.end() > match.start():
            chunks.append(match.group())
        end = max(end, match.end())
    if end < len(text):
        chunks.append(text[end:])
    return chunks


def _merge(ids: list[int], pair: Pair, new_id: int) -> list[int]:
    """``ids`` with every occurrence of ``pair``, left to right, replaced by ``new_id``."""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


class BPETokenizer:
    """A byte-level BPE tokenizer: 256 byte tokens, then one token per merge.

    ``BPETokenizer.train(text, vocab_size)`` learns the merges; ``BPETokenizer(merges)``
    rebuilds a tokenizer from merges learned before (``merges[k]`` is the pair of ids
    that token ``256 + k`` joins).
    """

    def __init__(
        self,
        merges: Iterable[Sequence[int]] = (),
        pattern: str | None = GPT2_SPLIT_PATTERN,
    ) -> None:
        self.merges: list[Pair] = []
        self._bytes: list[bytes] = [bytes([b]) for b in range(256)]
        for k, pair in enumerate(merges):
            a, b = (int(i) for i in pair)
            if not (0 <= a < 256 + k and 0 <= b < 256 + k):
                raise ValueError(
                    f"BPETokenizer: merge {k} {(a, b)} uses an id that does not exist "
                    f"yet (ids 0..{255 + k})"
                )
            self.merges.append((a, b))
            self._bytes.append(self._bytes[a] + self._bytes[b])
        self.pattern = pattern
        self._regex = re.compile(pattern) if pattern is not None else None
        self._rank: dict[Pair, int] = {p: k for k, p in enumerate(self.merges)}
        self._cache: dict[str, list[int]] = {}

    @property
    def vocab_size(self) -> int:
        """Number of tokens: 256 bytes plus one per merge."""
        return 256 + len(self.merges)

    def __repr__(self) -> str:
        return f"BPETokenizer(vocab_size={self.vocab_size})"

    # --- training ---------------------------------------------------------------------

    @classmethod
    def train(
        cls,
        text: str,
        vocab_size: int,
        *,
        pattern: str | None = GPT2_SPLIT_PATTERN,
        min_frequency: int = 2,
    ) -> BPETokenizer:
        """Learn merges on ``text`` until ``vocab_size`` tokens (or no pair occurs
        ``min_frequency`` times)."""
        if vocab_size < 256:
            raise ValueError(
                f"BPETokenizer.train: vocab_size must be at least 256 (one token per "
                f"byte), got {vocab_size}"
            )
        if min_frequency < 1:
            raise ValueError(
                f"BPETokenizer.train: min_frequency must be >= 1, got {min_frequency}"
            )
        regex = re.compile(pattern) if pattern is not None else None
        chunk_counts = Counter(_chunks(text, regex))
        words = [list(chunk.encode("utf-8")) for chunk in chunk_counts]
        freqs = list(chunk_counts.values())

        counts: dict[Pair, int] = defaultdict(int)
        where: dict[Pair, set[int]] = defaultdict(set)  # pair -> words that held it
        for w, ids in enumerate(words):
            for pair in itertools.pairwise(ids):
                counts[pair] += freqs[w]
                where[pair].add(w)
        # A max-heap of (-count, pair): the smallest entry is the most frequent pair,
        # ties going to the smaller pair. Entries whose count is stale are skipped.
        heap = [(-c, p) for p, c in counts.items()]
        heapq.heapify(heap)

        merges: list[Pair] = []
        while 256 + len(merges) < vocab_size and heap:
            neg_count, pair = heapq.heappop(heap)
            if counts.get(pair, 0) != -neg_count:
                continue
            if -neg_count < min_frequency:
                break
            new_id = 256 + len(merges)
            merges.append(pair)
            changed: set[Pair] = set()
            for w in where.pop(pair):
                ids = words[w]
                new_ids = _merge(ids, pair, new_id)
                if len(new_ids) == len(ids):
                    continue  # stale index entry: the pair left this word earlier
                for old in itertools.pairwise(ids):
                    counts[old] -= freqs[w]
                    changed.add(old)
                for new in itertools.pairwise(new_ids):
                    counts[new] += freqs[w]
                    where[new].add(w)
                    changed.add(new)
                words[w] = new_ids
            for p in changed:
                if counts[p] > 0:
                    heapq.heappush(heap, (-counts[p], p))
                else:
                    del counts[p]
        return cls(merges, pattern)

    # --- encoding and decoding --------------------------------------------------------

    def _encode_chunk(self, chunk: str) -> list[int]:
        cached = self._cache.get(chunk)
        if cached is not None:
            return cached
        ids = list(chunk.encode("utf-8"))
        while len(ids) > 1:
            # the present pair learned first; merges learned later cannot create it
            pair = min(itertools.pairwise(ids), key=self._rank_of)
            rank = self._rank.get(pair)
            if rank is None:
                break
            ids = _merge(ids, pair, 256 + rank)
        self._cache[chunk] = ids
        return ids

    def _rank_of(self, pair: Pair) -> float:
        return self._rank.get(pair, float("inf"))

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (any ``str`` UTF-8 can encode; lone surrogates cannot)."""
        return [
            i for chunk in _chunks(text, self._regex) for i in self._encode_chunk(chunk)
        ]

    def token_bytes(self, token_id: int) -> bytes:
        """The bytes token ``token_id`` stands for."""
        if not 0 <= token_id < self.vocab_size:
            raise ValueError(
                f"BPETokenizer: unknown token id {token_id} (the vocabulary has ids "
                f"0..{self.vocab_size - 1})"
            )
        return self._bytes[token_id]

    def decode(self, ids: Iterable[int]) -> str:
        """The text of ``ids``: their bytes joined, decoded as UTF-8."""
        data = b"".join(self.token_bytes(int(i)) for i in ids)
        return data.decode("utf-8", errors="replace")

    # --- saving -----------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the merges and the pattern as readable JSON (``tokens`` shows each new
        token's text for a reader; :meth:`load` ignores it)."""
        tokens = {
            str(256 + k): self._bytes[256 + k].decode(
                "utf-8", errors="backslashreplace"
            )
            for k in range(len(self.merges))
        }
        data = {
            "format": _FORMAT,
            "version": 1,
            "pattern": self.pattern,
            "merges": [list(p) for p in self.merges],
            "tokens": tokens,
        }
        Path(path).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> BPETokenizer:
        """Read a tokenizer written by :meth:`save`."""
        data = json.loads(Path(path).read_text())
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError(f"BPETokenizer.load: {path} is not a {_FORMAT} file")
        return cls(data["merges"], data["pattern"])

"""Natural text that ships with Python: the standard library's own docstrings.

Every Python installation carries a great deal of carefully written English in its
docstrings (the modules read here give tens of thousands of characters), so a
character-level language model can train on real prose with no download.
:func:`stdlib_docstrings` collects them in a fixed order (the modules of
:data:`STDLIB_MODULES` in that order; in each, the module docstring, then the public
classes and functions *defined there* sorted by name, each class followed by its public
methods sorted by name). The text is therefore identical on every run for a given Python
version (docstrings change a little between versions).

Character tokenisation (:class:`CharVocab`) maps each distinct character to an id; a
language model reads ids ``x_1 … x_t`` and predicts ``x_{t+1}``, so
:func:`batches_of_sequences` yields input windows and the same windows shifted by one.

See chapter: Recurrent networks, LSTMs and GRUs (book/12_rnn.ipynb)
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator, Sequence

import numpy as np

__all__ = [
    "STDLIB_MODULES",
    "stdlib_docstrings",
    "CharVocab",
    "train_val_split",
    "batches_of_sequences",
]

#: Pure-Python modules with plenty of prose, in the order they are read.
STDLIB_MODULES: tuple[str, ...] = (
    "textwrap",
    "string",
    "json",
    "random",
    "statistics",
    "heapq",
    "functools",
    "collections",
    "difflib",
    "argparse",
    "calendar",
    "fractions",
    "pathlib",
    "shlex",
)


def _doc(obj: object) -> str:
    # obj.__doc__ rather than inspect.getdoc: getdoc inherits a parent's docstring,
    # which would repeat text (object.__init__'s, for example) many times.
    doc = obj.__doc__ if isinstance(getattr(obj, "__doc__", None), str) else ""
    return inspect.cleandoc(doc) if doc else ""


def _module_docs(name: str) -> list[str]:
    module = importlib.import_module(name)
    docs = [_doc(module)]
    for attr in sorted(vars(module)):
        obj = vars(module)[attr]
        if attr.startswith("_") or getattr(obj, "__module__", None) != name:
            continue
        if inspect.isfunction(obj):
            docs.append(_doc(obj))
        elif inspect.isclass(obj):
            docs.append(_doc(obj))
            for meth_name in sorted(vars(obj)):
                meth = vars(obj)[meth_name]
                if not meth_name.startswith("_") and inspect.isfunction(meth):
                    docs.append(_doc(meth))
    return [d for d in docs if d]


def stdlib_docstrings(
    modules: Sequence[str] = STDLIB_MODULES, max_chars: int | None = None
) -> str:
    """The docstrings of ``modules`` joined by blank lines, cut to ``max_chars``.

    Deterministic for a given Python version. Nothing is downloaded: the text is read
    from the installed standard library.
    """
    if max_chars is not None and max_chars < 0:
        raise ValueError(
            f"stdlib_docstrings: max_chars must be >= 0 or None, got {max_chars}"
        )
    text = "\n\n".join(doc for name in modules for doc in _module_docs(name))
    return text if max_chars is None else text[:max_chars]


class CharVocab:
    """Character-level tokeniser: each distinct character of ``text`` gets an id.

    Ids follow the sorted order of the characters.

    ``encode(text) -> np.ndarray`` (int64), ``decode(ids) -> str``, ``len(vocab)``.
    """

    def __init__(self, text: str) -> None:
        self.itos: list[str] = sorted(set(text))
        self.stoi: dict[str, int] = {ch: i for i, ch in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def __repr__(self) -> str:
        return f"CharVocab({len(self)} characters)"

    def encode(self, text: str) -> np.ndarray:
        unknown = sorted(set(text) - set(self.stoi))
        if unknown:
            raise KeyError(
                f"CharVocab.encode: characters {unknown} are not in the vocabulary"
            )
        return np.array([self.stoi[ch] for ch in text], dtype=np.int64)

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        return "".join(self.itos[int(i)] for i in ids)


def train_val_split(
    ids: np.ndarray, val_fraction: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Split a token stream: the first ``1 - val_fraction``, then the rest.

    A contiguous split (not a shuffle) so no validation window overlaps a training one.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(
            f"train_val_split: val_fraction must be in (0, 1), got {val_fraction}"
        )
    cut = round(len(ids) * (1.0 - val_fraction))
    return ids[:cut], ids[cut:]


def batches_of_sequences(
    ids: np.ndarray,
    seq_len: int,
    batch_size: int,
    shuffle: bool = True,
    seed: int = 0,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(X, Y)`` int64 batches (B, seq_len); ``Y[:, t]`` comes after ``X[:, t]``.

    The stream is cut into non-overlapping windows of ``seq_len + 1`` tokens starting
    every ``seq_len`` tokens; ``X`` is a window's first ``seq_len`` tokens and ``Y`` its
    last ``seq_len`` (the next-character targets). Windows are shuffled with ``seed`` if
    ``shuffle``.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if seq_len < 1 or batch_size < 1:
        raise ValueError(
            "batches_of_sequences: seq_len and batch_size must be >= 1, "
            f"got {seq_len}, {batch_size}"
        )
    n_windows = (len(ids) - 1) // seq_len
    if n_windows < 1:
        raise ValueError(
            f"batches_of_sequences: a stream of {len(ids)} tokens is too short "
            f"for windows of seq_len + 1 = {seq_len + 1}"
        )
    starts = np.arange(n_windows) * seq_len
    if shuffle:
        starts = np.random.default_rng(seed).permutation(starts)
    offsets = np.arange(seq_len + 1)
    for b in range(0, n_windows, batch_size):
        chunk = starts[b : b + batch_size]
        if drop_last and len(chunk) < batch_size:
            break
        windows = ids[chunk[:, None] + offsets]
        yield windows[:, :-1], windows[:, 1:]

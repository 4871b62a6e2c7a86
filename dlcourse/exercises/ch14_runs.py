"""The experiments behind the language-model exercises' understanding questions.

* :func:`vocabulary_experiment` (question 4): byte-pair-encoding tokenizers of several
  sizes trained on the standard library's docstrings; for each, the validation text's
  tokens per character and the loss of the simplest language model on it, a *unigram*
  model (each token's frequency in the training text, :func:`unigram_loss`), per token
  and per character. It says what it measured, never which prediction was right.
* :func:`fine_tuning_run` (question 6): one fine-tuning (or from-scratch) run of a small
  byte-level GPT, logging the validation loss. It takes about a minute, so the notebook
  shows a table of its results (:data:`FINE_TUNING_LOG`) instead of running it; this
  function is how that table was made (seeded: the same numbers on a given machine;
  ``tests/test_exercises_ch14.py`` remakes it).
* :func:`docstring_tokenizer`: a tokenizer trained on the docstrings, kept once made (the
  experiment of question 4 and the written question on tokenizers and other languages).

Nothing here is an answer: which run was which stays with the instructor.

See chapter: Language models: tokens, pretraining and fine-tuning (book/14_language_models.ipynb)
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

from dlcourse.data.text import STDLIB_MODULES

__all__ = [
    "FINE_TUNING_LOG",
    "FINE_TUNING_STEPS",
    "unigram_loss",
    "docstring_tokenizer",
    "vocabulary_experiment",
    "fine_tuning_run",
]

#: Validation loss (nats per byte) of four runs on the downstream text, before training
#: (step 0) and every 25 steps: the output of :func:`fine_tuning_run` with the four
#: settings of question 6 (seed 0; one machine).
FINE_TUNING_STEPS = (0, 25, 50, 75, 100)
FINE_TUNING_LOG: dict[str, tuple[float, ...]] = {
    "A": (2.76, 2.68, 2.65, 2.64, 2.63),
    "B": (2.76, 3.60, 3.27, 3.24, 3.21),
    "C": (5.80, 3.39, 3.07, 2.98, 2.94),
    "D": (2.76, 2.76, 2.76, 2.76, 2.76),
}


def unigram_loss(
    train_ids: Sequence[int], val_ids: Sequence[int], vocab_size: int
) -> float:
    """Mean cross-entropy (nats per token) of a unigram model on ``val_ids``.

    The model predicts every token with the same distribution, each token's frequency in
    ``train_ids`` with add-one (Laplace) smoothing, so that a token never seen in training
    still gets a finite loss.
    """
    if len(val_ids) == 0:
        raise ValueError("unigram_loss: val_ids is empty")
    counts = Counter(train_ids)
    total = len(train_ids) + vocab_size
    log_p = {i: math.log((counts.get(i, 0) + 1) / total) for i in set(val_ids)}
    return -sum(log_p[i] for i in val_ids) / len(val_ids)


@cache
def docstring_tokenizer(vocab_size: int, train_chars: int = 30_000) -> Any:
    """A :class:`dlcourse.bpe.BPETokenizer` of ``vocab_size`` tokens trained on the first
    ``train_chars`` characters of the standard library's docstrings (train split); made
    once per setting and kept."""
    from dlcourse.bpe import BPETokenizer
    from dlcourse.data.stdlib_corpus import stdlib_docstrings_corpus

    return BPETokenizer.train(stdlib_docstrings_corpus(train_chars), vocab_size)


def vocabulary_experiment(
    sizes: Sequence[int] = (256, 512, 1024),
    train_chars: int = 30_000,
    val_chars: int = 15_000,
) -> list[dict[str, float]]:
    """Question 4's experiment: for each vocabulary size, a BPE tokenizer trained on
    ``train_chars`` characters of the standard library's docstrings (train split), then
    measured on ``val_chars`` characters of modules it never saw (validation split).

    Returns one row per size: ``vocab_size``, ``tokens_per_char``, ``loss_per_token`` and
    ``loss_per_char`` (nats) of a unigram model fitted on the training tokens.
    """
    from dlcourse.data.stdlib_corpus import stdlib_docstrings_corpus
    from dlcourse.lm_metrics import nats_per_char, tokens_per_char

    train = stdlib_docstrings_corpus(train_chars, split="train")
    val = stdlib_docstrings_corpus(val_chars, split="validation")
    rows = []
    for size in sizes:
        tokenizer = docstring_tokenizer(size, train_chars)
        train_ids, val_ids = tokenizer.encode(train), tokenizer.encode(val)
        per_token = unigram_loss(train_ids, val_ids, tokenizer.vocab_size)
        ratio = tokens_per_char(tokenizer, val)
        rows.append(
            {
                "vocab_size": float(tokenizer.vocab_size),
                "tokens_per_char": ratio,
                "loss_per_token": per_token,
                "loss_per_char": nats_per_char(per_token, ratio),
            }
        )
    return rows


#: Modules whose docstrings pretrain the model (chapter 12's text but its last four); the
#: downstream text comes from those four.
PRETRAIN_MODULES = STDLIB_MODULES[:-4]
DOWNSTREAM_MODULES = STDLIB_MODULES[-4:]


def _bytes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int64)


def _small_gpt(seed: int) -> Any:
    import torch

    from dlcourse.models.gpt import GPT

    torch.manual_seed(seed)
    return GPT(256, d_model=32, n_heads=2, n_layers=1, context=32)


@cache
def _pretrained_state(seed: int) -> dict[str, Any]:
    """The weights after 300 steps of pretraining (made once per seed and kept)."""
    from dlcourse.data.text import stdlib_docstrings
    from dlcourse.models.gpt import train_lm

    model = _small_gpt(seed)
    pre = _bytes(stdlib_docstrings(PRETRAIN_MODULES))
    train_lm(model, pre, steps=300, batch_size=32, lr=3e-3, seed=seed)
    return copy.deepcopy(model.state_dict())


def fine_tuning_run(
    lr: float, pretrained: bool, steps: int = 100, seed: int = 0
) -> list[float]:
    """Question 6's runs: a byte-level GPT (1 layer, d_model 32, context 32) trained for
    ``steps`` steps (batch 32) on 6,000 bytes of downstream text, from a model pretrained
    for 300 steps on other modules' docstrings (``pretrained``; the pretraining is done
    once per seed and kept) or from scratch.

    Returns the validation loss (nats per byte, on 8,000 other downstream bytes) before
    training and every 25 steps. About half a minute on one CPU core.
    """
    import torch

    from dlcourse.data.text import stdlib_docstrings
    from dlcourse.models.gpt import evaluate_lm, train_lm

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a model this small runs fastest on one thread
    try:
        down = _bytes(stdlib_docstrings(DOWNSTREAM_MODULES))
        ft_train, ft_val = down[:6000], down[-8000:]
        model = _small_gpt(seed)
        if pretrained:
            model.load_state_dict(_pretrained_state(seed))
        before = evaluate_lm(model, ft_val)
        log = train_lm(
            model,
            ft_train,
            steps=steps,
            batch_size=32,
            lr=lr,
            val_tokens=ft_val,
            eval_every=25,
            seed=seed + 1,
        )
    finally:
        torch.set_num_threads(threads)
    return [before, *log["val_loss"]]

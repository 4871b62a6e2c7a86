"""The checkers of ``exercises/14_language_models.ipynb`` against references outside themselves.

* The pair counts and per-character numbers written out in the checkers (visible and
  hidden) are what ``collections.Counter`` and the closed forms (loss · ratio / ln 2,
  exp(loss · ratio)) give.
* The merges and encodings the checks expect (from ``dlcourse.bpe``) match hand-worked
  cases: three a's merge into one token and an a, merges replay in the order learned.
* The unigram loss of question 4's experiment matches a hand computation.
* Plausible wrong answers fail the hidden tests as well as the visible ones, and the
  notebook's buggy encoder fails a visible check.
* (slow) The fine-tuning table of question 6 is what ``fine_tuning_run`` produces.
"""

from __future__ import annotations

import itertools
import math
import runpy
import textwrap
from collections import Counter
from pathlib import Path

import nbformat
import numpy as np
import pytest
from dlcourse_instructor.answers import hidden

from dlcourse.exercises import ch14, ch14_runs
from dlcourse.exercises.probe import observe

ROOT = Path(__file__).resolve().parents[1]
WRONG = runpy.run_path(str(ROOT / "tests" / "wrong_answers" / "ch14.py"))["WRONG"]
VARIABLES = {"q1": "pair_counts", "q2": "merge", "q3": "per_character", "q5": "encode"}


def _fails(checks, answer, variable) -> bool:
    for check in checks:
        try:
            check.judge(observe(check.spec(), answer), variable)
        except AssertionError:
            return True
    return False


def test_written_out_pair_counts_are_counters():
    for check in [*ch14.q1.tests, *hidden("ch14", "q1")]:
        (ids,) = check.args
        assert check.expected == dict(Counter(itertools.pairwise(ids)))


def test_written_out_per_character_numbers_are_the_closed_forms():
    for check in [*ch14.q3.tests, *hidden("ch14", "q3")]:
        loss, ratio = check.args
        bits, perplexity = check.expected
        assert bits == pytest.approx(loss * ratio / math.log(2), rel=1e-12)
        assert perplexity == pytest.approx(math.exp(loss * ratio), rel=1e-12)


def test_reference_merge_and_encode_on_hand_worked_cases():
    assert ch14.reference_merge(list(b"aaa"), (97, 97), 256) == [256, 97]
    assert ch14.reference_merge(list(b"aaaa"), (97, 97), 300) == [300, 300]
    assert ch14.reference_merge(list(b"ba"), (97, 98), 256) == [98, 97]
    # "ab" is learned first, so "abbb" is ab + bb, not a + bb + b
    assert ch14.reference_encode("abbb", [(97, 98), (98, 98)]) == [256, 257]
    assert ch14.reference_encode("abcbcbc", [(97, 98), (98, 99)]) == [256, 99, 257, 257]


def test_unigram_loss_by_hand():
    # train counts: token 0 twice, token 1 once; vocabulary 3 -> p = 3/6, 2/6, 1/6
    loss = ch14_runs.unigram_loss([0, 0, 1], [0, 2], vocab_size=3)
    assert loss == pytest.approx(-(math.log(3 / 6) + math.log(1 / 6)) / 2)
    with pytest.raises(ValueError, match="empty"):
        ch14_runs.unigram_loss([0], [], vocab_size=3)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", sorted(VARIABLES))
def test_wrong_answers_fail_visible_and_hidden_tests(name):
    namespace = {"np": np}
    exec(textwrap.dedent(WRONG[name]), namespace)
    answer = namespace[VARIABLES[name]]
    question = getattr(ch14, name)
    assert _fails(question.tests, answer, VARIABLES[name])
    assert _fails(hidden("ch14", name), answer, VARIABLES[name])


def test_the_notebooks_buggy_encoder_fails_a_visible_check():
    nb = nbformat.read(ROOT / "exercises" / "14_language_models.ipynb", as_version=4)
    (cell,) = [
        c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == "q5_buggy"
    ]
    namespace: dict = {}
    exec(cell.source.split("\nmerges_demo")[0], namespace)
    assert _fails(ch14.q5.tests, namespace["buggy_encode"], "encode")


@pytest.mark.slow
def test_fine_tuning_table_is_what_the_runs_give():
    # Which run had which setting (the instructor's answer to question 6).
    settings = {
        "A": (1e-3, True),
        "B": (0.3, True),
        "C": (3e-3, False),
        "D": (1e-5, True),
    }
    for run, (lr, pretrained) in settings.items():
        losses = ch14_runs.fine_tuning_run(lr, pretrained)
        np.testing.assert_allclose(losses, ch14_runs.FINE_TUNING_LOG[run], atol=0.011)

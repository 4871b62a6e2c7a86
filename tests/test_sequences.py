"""dlcourse.data.sequences: the adding problem's statistics, copy/reverse, number-to-words and Vocab."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse.data.sequences import (
    ADDING_BASELINE_MSE,
    Vocab,
    adding_problem,
    copy_task,
    number_to_words,
    reverse_task,
    spell_number,
)


def test_adding_problem_shapes_markers_and_targets():
    X, y = adding_problem(500, 50, seed=3)
    assert X.shape == (500, 50, 2) and y.shape == (500,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert ((X[:, :, 0] >= 0) & (X[:, :, 0] < 1)).all()
    markers = X[:, :, 1]
    assert set(np.unique(markers)) == {0.0, 1.0}
    # exactly one marker in each half
    np.testing.assert_array_equal(markers[:, :25].sum(1), 1)
    np.testing.assert_array_equal(markers[:, 25:].sum(1), 1)
    # target recomputed independently with an explicit loop
    for k in range(500):
        marked = [X[k, t, 0] for t in range(50) if X[k, t, 1] == 1]
        assert y[k] == pytest.approx(sum(marked))


def test_adding_problem_is_seeded():
    a, b, c = (
        adding_problem(20, 10, seed=1),
        adding_problem(20, 10, seed=1),
        adding_problem(20, 10, seed=2),
    )
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])


def test_adding_problem_constant_baseline_is_one_sixth():
    # Var(U1 + U2) = 1/6: the best constant guess is 1 and its MSE is 1/6 (0.167)
    _, y = adding_problem(200_000, 20, seed=0)
    assert ADDING_BASELINE_MSE == pytest.approx(1 / 6)
    assert y.mean() == pytest.approx(1.0, abs=0.01)
    assert np.mean((y - 1.0) ** 2) == pytest.approx(1 / 6, abs=0.002)
    # the constant minimising the MSE is the mean, so no other constant does better
    assert np.mean((y - 0.9) ** 2) > np.mean((y - 1.0) ** 2)


def test_adding_problem_rejects_bad_length():
    with pytest.raises(ValueError, match="length must be >= 2"):
        adding_problem(3, 1)


def test_copy_and_reverse_tasks():
    X, Y = copy_task(7, 5, vocab_size=4, seed=0)
    assert X.shape == (7, 5) and X.dtype == np.int64 and X.min() >= 0 and X.max() < 4
    np.testing.assert_array_equal(X, Y)
    X2, R = reverse_task(7, 5, vocab_size=4, seed=0)
    np.testing.assert_array_equal(X2, X)
    for k in range(7):
        assert list(R[k]) == list(reversed(list(X[k])))


@pytest.mark.parametrize(
    "k, words",
    [
        (0, "zero"),
        (7, "seven"),
        (13, "thirteen"),
        (20, "twenty"),
        (42, "forty two"),
        (100, "one hundred"),
        (110, "one hundred ten"),
        (342, "three hundred forty two"),
        (999, "nine hundred ninety nine"),
        (1000, "one thousand"),
        (12_005, "twelve thousand five"),
        (999_999, "nine hundred ninety nine thousand nine hundred ninety nine"),
    ],
)
def test_spell_number(k, words):
    assert spell_number(k) == words


def test_vocab_roundtrip_padding_and_specials():
    v = Vocab("cab")
    assert v.itos[:3] == ["<pad>", "<bos>", "<eos>"] and v.itos[3:] == ["a", "b", "c"]
    ids = v.encode("cab", bos=True, eos=True)
    assert ids == [1, 5, 3, 4, 2]
    assert v.decode(ids) == "cab"
    assert v.decode([5, 2, 3]) == "c"  # stops at <eos>
    padded = v.pad([[3], [3, 4, 5]])
    np.testing.assert_array_equal(padded, [[3, 0, 0], [3, 4, 5]])
    with pytest.raises(KeyError, match="'z'"):
        v.encode("z")
    with pytest.raises(ValueError, match="length 3 > length=2"):
        v.pad([[3, 4, 5]], length=2)


def test_number_to_words_pairs():
    data = number_to_words(200, seed=0)
    assert len(data.numbers) == len(data.words) == 200
    for num, words in zip(data.numbers, data.words):
        assert spell_number(int(num)) == words and 0 <= int(num) <= 999
    assert data.src.shape == (200, 4) and data.tgt.shape[0] == 200
    # the padded arrays decode back to the strings
    for k in range(200):
        assert data.src_vocab.decode(data.src[k]) == data.numbers[k]
        assert data.tgt[k, 0] == Vocab.bos_id
        assert data.tgt_vocab.decode(data.tgt[k]) == data.words[k]
    # the vocabularies do not depend on the sample, and the padding is the longest word + bos/eos
    other = number_to_words(5, seed=9)
    assert (
        other.tgt_vocab.itos == data.tgt_vocab.itos
        and other.tgt.shape[1] == data.tgt.shape[1]
    )
    assert data.tgt.shape[1] == len("seven hundred seventy seven") + 2

"""The Markov language's exact entropy rate against sampling, and the recall task's structure."""

import numpy as np
import pytest

from dlcourse.data.language import MarkovLanguage, long_range_task, recall_vocab_size


@pytest.mark.parametrize("vocab_size,order,seed", [(8, 2, 0), (16, 1, 3), (5, 3, 1)])
def test_empirical_cross_entropy_converges_to_entropy_rate(vocab_size, order, seed):
    lang = MarkovLanguage(vocab_size, order, seed=seed)
    tokens = lang.sample(200_000, seed=7)
    assert (
        abs(lang.cross_entropy(tokens) - lang.entropy_rate())
        < 0.01 * lang.entropy_rate()
    )


def test_entropy_rate_is_conditional_entropy_from_counted_frequencies():
    # H = H(X_1..X_{k+1}) - H(X_1..X_k), both from empirical (k+1)-gram counts of a long sample.
    lang = MarkovLanguage(6, 2, seed=4)
    x = lang.sample(300_000, seed=1)
    grams = x[:-2] * 36 + x[1:-1] * 6 + x[2:]
    p3 = np.bincount(grams, minlength=216) / len(grams)
    p2 = np.bincount(grams // 6, minlength=36) / len(grams)

    def entropy(p):
        p = p[p > 0]
        return -np.sum(p * np.log(p))

    assert entropy(p3) - entropy(p2) == pytest.approx(lang.entropy_rate(), rel=0.01)


def test_stationary_distribution_is_stationary_and_matches_frequencies():
    lang = MarkovLanguage(4, 2, seed=2)
    T = lang.transition_matrix()
    np.testing.assert_allclose(T.sum(axis=1), 1.0)
    np.testing.assert_allclose(lang.stationary @ T, lang.stationary, atol=1e-12)
    ctx = lang.context_index(lang.sample(200_000, seed=3))
    freq = np.bincount(ctx, minlength=16) / len(ctx)
    np.testing.assert_allclose(freq, lang.stationary, atol=0.01)


def test_entropy_rate_bounds_and_sparsity():
    lang = MarkovLanguage(8, 2, seed=0, branching=3)
    assert ((lang.probs > 0).sum(axis=1) == 3).all()
    assert 0 < lang.entropy_rate() < np.log(3)  # at most 3 choices per context
    uniform = MarkovLanguage(8, 1, seed=0, branching=8, concentration=1e6)
    assert uniform.entropy_rate() == pytest.approx(np.log(8), rel=1e-4)


def test_sample_is_seeded_and_only_uses_allowed_transitions():
    lang = MarkovLanguage(8, 2, seed=0)
    a, b = lang.sample(1000, seed=5), lang.sample(1000, seed=5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, lang.sample(1000, seed=6))
    assert (lang.probs[lang.context_index(a), a[2:]] > 0).all()
    with pytest.raises(ValueError, match="probability 0"):
        bad = a.copy()
        c = lang.context_index(bad)[0]
        bad[2] = int(np.flatnonzero(lang.probs[c] == 0)[0])
        lang.cross_entropy(bad)


def test_bad_arguments():
    with pytest.raises(ValueError, match="branching"):
        MarkovLanguage(4, 1, branching=5)
    with pytest.raises(ValueError, match="n_keys"):
        long_range_task(10, length=20, n_keys=16)


def test_long_range_task_answers_are_the_queried_values():
    X, y = long_range_task(500, length=10, seed=0, n_keys=16, n_values=8)
    assert X.shape == (500, 11) and y.shape == (500,) and X.dtype == np.int64
    assert X.max() < recall_vocab_size(16, 8) == 16 * 8 + 16
    keys, values = X[:, :10] // 8, X[:, :10] % 8
    assert all(len(set(k)) == 10 for k in keys)  # distinct keys per sequence
    queried = X[:, 10] - 16 * 8
    assert (queried >= 0).all()
    for k, v, q, target in zip(keys, values, queried, y):
        assert target == v[list(k).index(q)]
    # the answer is spread over positions and values (no shortcut)
    pos = np.array([list(k).index(q) for k, q in zip(keys, queried)])
    assert len(np.unique(pos)) == 10 and len(np.unique(y)) == 8
    X2, y2 = long_range_task(500, length=10, seed=0, n_keys=16, n_values=8)
    np.testing.assert_array_equal(X, X2)

"""dlcourse.data.tabular_tasks: shapes, seeds, and the properties the chapter relies on."""

import numpy as np

from dlcourse.data import tabular_tasks as T


def test_fraud_is_imbalanced_reproducible_and_informative():
    X, y = T.fraud(5000, fraud_rate=0.02, seed=3)
    assert (
        X.shape == (5000, len(T.FRAUD_FEATURES))
        and X.dtype == np.float64
        and y.dtype == np.int64
    )
    assert y.sum() == 100
    X2, y2 = T.fraud(5000, fraud_rate=0.02, seed=3)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(T.fraud(5000, fraud_rate=0.02, seed=4)[0], X)
    f = y == 1
    # frauds are larger, farther, more often abroad; card age carries no signal
    assert (
        X[f, 0].mean() > X[~f, 0].mean() + 0.5
        and X[f, 3].mean() > X[~f, 3].mean() + 0.15
    )
    assert abs(X[f, 6].mean() - X[~f, 6].mean()) < 1.0


def test_ratings_follow_a_low_rank_model():
    R = T.ratings(n_users=200, n_items=150, rank=2, density=0.2, noise=0.1, seed=0)
    n = len(R.rating_train) + len(R.rating_test)
    assert abs(n / (200 * 150) - 0.2) < 0.01
    assert abs(len(R.rating_test) / n - 0.2) < 0.001
    assert R.user_train.max() < 200 and R.item_train.max() < 150
    pairs = set(zip(R.user_train, R.item_train))
    assert not pairs & set(zip(R.user_test, R.item_test))  # no pair in both
    # the full matrix (dense, low noise) has rank about 2 + biases: few large singular values
    D = T.ratings(
        n_users=60, n_items=50, rank=2, density=1.0, noise=0.0, test_size=0.01, seed=1
    )
    M = np.zeros((60, 50))
    M[D.user_train, D.item_train] = D.rating_train
    M[D.user_test, D.item_test] = D.rating_test
    s = np.linalg.svd(M, compute_uv=False)
    assert s[4] < 1e-8 * s[0]  # mu + b_u + c_i + p.q has rank <= 2 + 2 = 4


def test_hiring_group_is_spuriously_correlated_with_the_label():
    X, y, g = T.hiring(20000, seed=0)
    assert X.shape == (20000, len(T.HIRING_FEATURES)) and set(np.unique(g)) == {0, 1}
    np.testing.assert_array_equal(X[:, 3], g)
    # skill proxies do not depend on the group ...
    assert abs(X[g == 1, 0].mean() - X[g == 0, 0].mean()) < 0.05
    # ... but the recorded decision does
    assert y[g == 0].mean() - y[g == 1].mean() > 0.25
    # and without the bias it would not
    _, y0, g0 = T.hiring(20000, group_bias=0.0, seed=0)
    assert abs(y0[g0 == 0].mean() - y0[g0 == 1].mean()) < 0.03

"""Generated data for applied tasks: card fraud, ratings, biased hiring records.

Nothing is downloaded: every set is drawn from a small, documented model, so the chapter
knows the truth the learner should find.

* :func:`fraud` — card transactions, 1 % of them fraud by default. Each of six features
  is drawn from one distribution for genuine transactions and a shifted one for fraud
  (larger amounts, far from home, at night, abroad, in bursts, at new merchants); a
  seventh (card age) is irrelevant. The classes overlap, so no threshold catches every
  fraud without false alarms.
* :func:`ratings` — users rate items. The rating is the low-rank model a recommender
  assumes,

  .. math::

      r_{ui} = \\mu + b_u + c_i + p_u \\cdot q_i + \\varepsilon,\\qquad
      p_u, q_i \\in \\mathbb{R}^{k},\\ \\varepsilon \\sim \\mathcal N(0, \\sigma^2),

  observed for a random ``density`` fraction of the (user, item) pairs, split into
  training and test ratings.
* :func:`hiring` — past hiring decisions. Skill does not depend on the group, but the
  historical decision did: at equal skill, members of group 1 were hired less often.
  The group attribute is therefore correlated with the label for a reason that has
  nothing to do with the job (a *spurious* correlation a model will happily learn).

See chapter: Applications and challenges (book/15_applications.ipynb)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["fraud", "FRAUD_FEATURES", "Ratings", "ratings", "hiring", "HIRING_FEATURES"]

FRAUD_FEATURES: tuple[str, ...] = (
    "log_amount",
    "log_distance_km",
    "night",
    "foreign",
    "transactions_last_hour",
    "new_merchant",
    "card_age_years",
)


def fraud(
    n: int = 20000, fraud_rate: float = 0.01, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` card transactions, exactly ``round(n · fraud_rate)`` of them fraud (1).

    Returns ``X`` float64 ``(n, 7)`` with the columns of :data:`FRAUD_FEATURES` (not
    standardised) and ``y`` int64 ``(n,)``, in random order.
    Genuine / fraud distributions: log amount N(3.5, 1) / N(4.3, 1.2); log distance from
    home N(1, 1) / N(2.2, 1.3); night 15 % / 45 %; foreign 5 % / 30 %; transactions in
    the last hour Poisson(0.5) / Poisson(1.5); new merchant 20 % / 50 %; card age
    Exponential with mean 4 years for both.
    """
    if n < 1 or not 0 < fraud_rate < 1:
        raise ValueError(
            "fraud: need n >= 1 and 0 < fraud_rate < 1, "
            f"got n={n}, fraud_rate={fraud_rate}"
        )
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=np.int64)
    y[: round(n * fraud_rate)] = 1
    y = rng.permutation(y)
    f = y == 1

    def pick(genuine, fraudulent):
        return np.where(f, fraudulent, genuine)

    X = np.column_stack(
        [
            pick(rng.normal(3.5, 1.0, n), rng.normal(4.3, 1.2, n)),
            pick(rng.normal(1.0, 1.0, n), rng.normal(2.2, 1.3, n)),
            rng.random(n) < pick(0.15, 0.45),
            rng.random(n) < pick(0.05, 0.30),
            rng.poisson(pick(0.5, 1.5)),
            rng.random(n) < pick(0.20, 0.50),
            rng.exponential(4.0, n),
        ]
    ).astype(np.float64)
    return X, y


class Ratings(NamedTuple):
    """Observed ratings, parallel arrays (user id, item id, rating), train and test."""

    user_train: np.ndarray
    item_train: np.ndarray
    rating_train: np.ndarray
    user_test: np.ndarray
    item_test: np.ndarray
    rating_test: np.ndarray
    n_users: int
    n_items: int


def ratings(
    n_users: int = 500,
    n_items: int = 300,
    rank: int = 3,
    density: float = 0.1,
    noise: float = 0.4,
    test_size: float = 0.2,
    seed: int = 0,
) -> Ratings:
    """Ratings from the low-rank model of the module docstring.

    ``μ = 3.5``, user biases ``b_u ~ N(0, 0.3²)``, item biases ``c_i ~ N(0, 0.5²)``,
    factors ``p_u, q_i ~ N(0, (0.8/√k) I)`` (so ``p_u·q_i`` has standard deviation 0.8
    whatever the rank ``k``), noise ``σ = noise``. Each (user, item) pair is observed
    with probability ``density``; ``test_size`` of the observed ratings are held out.
    Ids are int64, ratings float64 (not rounded or clipped, so the model is exactly
    right for the data).
    """
    if not 0 < density <= 1 or not 0 < test_size < 1 or rank < 1:
        raise ValueError(
            "ratings: need 0 < density <= 1, 0 < test_size < 1 and rank >= 1"
        )
    rng = np.random.default_rng(seed)
    scale = (
        np.sqrt(0.8) / rank**0.25
    )  # p·q: k products of variance scale⁴ = 0.64/k → std 0.8
    p = rng.normal(0, scale, (n_users, rank))
    q = rng.normal(0, scale, (n_items, rank))
    b_user = rng.normal(0, 0.3, n_users)
    b_item = rng.normal(0, 0.5, n_items)
    observed = rng.random((n_users, n_items)) < density
    user, item = np.nonzero(observed)
    r = (
        3.5
        + b_user[user]
        + b_item[item]
        + np.sum(p[user] * q[item], axis=1)
        + rng.normal(0, noise, len(user))
    )
    order = rng.permutation(len(user))
    n_test = round(test_size * len(user))
    te, tr = order[:n_test], order[n_test:]
    return Ratings(
        user[tr].astype(np.int64),
        item[tr].astype(np.int64),
        r[tr],
        user[te].astype(np.int64),
        item[te].astype(np.int64),
        r[te],
        n_users,
        n_items,
    )


HIRING_FEATURES: tuple[str, ...] = (
    "test_score",
    "interview",
    "experience_years",
    "group",
)


def hiring(
    n: int = 6000, group_bias: float = 1.0, minority: float = 0.35, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Historical hiring records with a decision biased against group 1.

    Each applicant has a skill ``s ~ N(0, 1)`` whatever the group ``g``
    (``P(g = 1) = minority``). The features are noisy views of the skill — a test score
    ``s + N(0, 1.2²)``, an interview grade ``s + N(0, 1.5²)``, years of experience
    ``max(0, 5 + 1.5 s')`` with ``s' = s/2 + (√3/2) N(0, 1)`` (unit variance, a quarter
    of it skill) — and the group itself (last column, 0/1). The recorded decision is

    ``hired = [ s + N(0, 0.5²) − group_bias · g > 0 ]``:

    at equal skill, group 1 was hired less often. Returns ``X`` float64 ``(n, 4)``
    (columns :data:`HIRING_FEATURES`), ``y`` int64 (hired) and ``group`` int64.
    """
    rng = np.random.default_rng(seed)
    g = (rng.random(n) < minority).astype(np.int64)
    skill = rng.normal(0, 1, n)
    test_score = skill + rng.normal(0, 1.2, n)
    interview = skill + rng.normal(0, 1.5, n)
    experience = np.maximum(
        0.0, 5 + 1.5 * (0.5 * skill + np.sqrt(0.75) * rng.normal(0, 1, n))
    )
    y = (skill + rng.normal(0, 0.5, n) - group_bias * g > 0.0).astype(np.int64)
    X = np.column_stack([test_score, interview, experience, g]).astype(np.float64)
    return X, y, g

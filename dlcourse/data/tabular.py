"""Small, offline data sets for the course: toy 2-D problems, a toy spam filter, digits.

Every generator is reproducible (same ``seed`` → same arrays), returns ``X`` as float64
of shape ``(n, features)`` and ``y`` as int64 class indices, and never downloads anything.

* ``xor``, ``moons``, ``circles``, ``spirals`` — 2-D classification problems of growing
  difficulty for decision-boundary plots (only ``xor`` with ``n=None`` is not random).
* ``toy_spam`` — e-mails described by a handful of interpretable features and labelled
  by a known linear rule ``spam = [Σ wᵢ xᵢ + b > 0]`` (``TOY_SPAM_RULE``), so a learned
  perceptron's weights can be held against the truth.
* ``digits`` — scikit-learn's bundled 8×8 handwritten digits (1 797 images), split
  into stratified train/validation/test sets.
* ``batches`` — the minibatch iterator used by the training loops.

See chapter: The artificial neuron (book/01_neuron.ipynb)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "xor",
    "moons",
    "circles",
    "spirals",
    "toy_spam",
    "TOY_SPAM_RULE",
    "digits",
    "Split",
    "batches",
]


def _out(X: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64)


def xor(
    n: int | None = None, noise: float = 0.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """XOR: label 1 when exactly one of the two inputs is on.

    ``n=None`` gives the 4 rows of the truth table ``(0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0``.
    Otherwise ``n`` points spread evenly over the four corners (in shuffled order), each
    moved by Gaussian noise of standard deviation ``noise``.
    """
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    labels = np.array([0, 1, 1, 0])
    if n is None:
        return _out(corners, labels)
    rng = np.random.default_rng(seed)
    idx = rng.permutation(np.arange(n) % 4)
    return _out(corners[idx] + noise * rng.standard_normal((n, 2)), labels[idx])


def moons(
    n: int = 200, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's ``make_moons``), ``n`` points in total."""
    from sklearn.datasets import make_moons

    return _out(*make_moons(n_samples=n, noise=noise, random_state=seed))


def circles(
    n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (label 1, radius ``factor``) inside a large one (label 0, radius 1)."""
    from sklearn.datasets import make_circles

    return _out(
        *make_circles(n_samples=n, noise=noise, factor=factor, random_state=seed)
    )


def spirals(
    n: int = 300, n_classes: int = 2, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms, ``n`` points in total (as even as possible).

    Arm ``k`` is ``r (sin t, cos t)`` with radius ``r ∈ [0, 1]`` and angle
    ``t = 4r + 2πk/K`` plus Gaussian angle noise of standard deviation ``noise``.
    """
    if n_classes < 2:
        raise ValueError(f"spirals: need at least 2 classes, got n_classes={n_classes}")
    rng = np.random.default_rng(seed)
    y = np.sort(np.arange(n) % n_classes)
    X = np.empty((n, 2))
    for k in range(n_classes):
        m = int((y == k).sum())
        r = np.linspace(0.0, 1.0, m)
        t = 4.0 * r + 2 * np.pi * k / n_classes + noise * rng.standard_normal(m)
        X[y == k] = np.c_[r * np.sin(t), r * np.cos(t)]
    return _out(X, y)


TOY_SPAM_RULE: dict[str, float] = {
    'contains "free"': 3.0,
    'contains "winner"': 2.0,
    "exclamation marks": 1.0,
    "links": 1.0,
    "sender known": -4.0,
    "mentions a meeting": -2.0,
    'contains "hello"': 0.0,
    "bias": -1.5,
}
"""The true rule behind ``toy_spam``: weight of each feature, and the bias.

Weights are whole numbers and the bias is a half-integer, so ``w·x + b`` is never
closer than 0.5 to the boundary: the set is linearly separable with a clear margin.
'contains "hello"' is deliberately irrelevant (weight 0)."""


def toy_spam(
    n: int = 200, seed: int = 0, label_noise: float = 0.0
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """A toy spam filter data set: ``(X, y, feature_names)``.

    Each row is one e-mail: 0/1 flags (contains "free", contains "winner", sender known,
    mentions a meeting, contains "hello") and counts (exclamation marks, links).
    ``y = 1`` (spam) exactly when ``Σ wᵢ xᵢ + b > 0`` for the weights in ``TOY_SPAM_RULE``;
    a fraction ``label_noise`` of the labels is then flipped at random (mislabelled mail).
    About 30 % of the mail is spam.
    """
    rng = np.random.default_rng(seed)
    cols = {
        'contains "free"': rng.random(n) < 0.3,
        'contains "winner"': rng.random(n) < 0.15,
        "exclamation marks": np.minimum(rng.poisson(1.0, n), 8),
        "links": np.minimum(rng.poisson(0.7, n), 6),
        "sender known": rng.random(n) < 0.6,
        "mentions a meeting": rng.random(n) < 0.25,
        'contains "hello"': rng.random(n) < 0.4,
    }
    names = list(cols)
    X = np.column_stack([cols[k] for k in names]).astype(np.float64)
    w = np.array([TOY_SPAM_RULE[k] for k in names])
    y = (X @ w + TOY_SPAM_RULE["bias"] > 0).astype(np.int64)
    flip = rng.random(n) < label_noise
    y[flip] = 1 - y[flip]
    return X, y, names


class Split(NamedTuple):
    """Train / validation / test arrays returned by :func:`digits`."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def digits(
    seed: int = 0,
    val_size: float = 0.15,
    test_size: float = 0.15,
    flatten: bool = True,
    scale: bool = True,
) -> Split:
    """scikit-learn's bundled 8×8 digits (1 797 images, 10 classes), split three ways.

    The splits are stratified (every class keeps its share in each split) and seeded.
    ``flatten`` gives rows of 64 pixels, otherwise images ``(N, 8, 8)``; ``scale`` maps
    the pixel intensities 0…16 to [0, 1].
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not (0 < test_size < 1 and 0 <= val_size < 1 and val_size + test_size < 1):
        raise ValueError(
            f"digits: need 0 < test_size, 0 <= val_size and val_size + test_size < 1, "
            f"got val_size={val_size}, test_size={test_size}"
        )
    d = load_digits()
    X = d.images if not flatten else d.data
    X, y = _out(X / 16.0 if scale else X, d.target)
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=seed
    )
    if val_size == 0:
        X_train, y_train, X_val, y_val = X_rest, y_rest, X_rest[:0], y_rest[:0]
    else:
        X_train, X_val, y_train, y_val = train_test_split(
            X_rest,
            y_rest,
            test_size=val_size / (1 - test_size),
            stratify=y_rest,
            random_state=seed,
        )
    return Split(X_train, y_train, X_val, y_val, X_test, y_test)


def batches(
    X, y, batch_size: int, shuffle: bool = True, seed: int = 0
) -> Iterator[tuple]:
    """Yield minibatches ``(X[idx], y[idx])`` covering every sample exactly once.

    The last batch is smaller when ``batch_size`` does not divide ``len(X)``; nothing is
    dropped. ``X``/``y`` may be NumPy arrays, torch tensors or dlcourse Tensors (anything
    indexable by an integer array). Pass a different ``seed`` each epoch for a new order.
    """
    n = len(X)
    if len(y) != n:
        raise ValueError(f"batches: X and y have different lengths: {n} != {len(y)}")
    if batch_size < 1:
        raise ValueError(f"batches: batch_size must be positive, got {batch_size}")
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]

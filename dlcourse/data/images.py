"""Images, offline: a generated shapes data set and scikit-learn's sample photographs.

**Shapes.** Each image holds one filled shape — circle, square, triangle or
cross — at a random position, size and rotation, plus Gaussian pixel noise.
The shapes are drawn from geometry, with no drawing library: every pixel
centre ``p`` is moved into the shape's own frame (undo the translation
``c`` and the rotation ``θ``), and a *signed distance* ``d(p)`` says how far
it is outside the shape's edge (negative inside). The pixel's intensity is

.. math::

    I(p) = \\operatorname{clip}\\big(\\tfrac12 - d(p),\\ 0,\\ 1\\big)

which fills the inside, leaves the outside black and anti-aliases the edge
over one pixel. Every shape fits in the circle of radius ``r``. Signed
distances: circle ``|p| - r``; square ``max(|u|, |v|) - r/√2``; triangle
``max_k n_k · p - r/2`` over its three outward normals ``n_k`` (r/2 is the
in-radius of an equilateral triangle of circum-radius r); cross: the nearer
of two bars.

The class of an image does not depend on where the shape is or how it is
turned, which is exactly what a convolutional network is built to ignore.

**Photographs.** :func:`sample_photograph` returns one of the two JPEGs that
ship inside scikit-learn ("china", "flower"), for edge filters on a real image.

**Resizing.** :func:`enlarge` brings small images (scikit-learn's 8 × 8 digits) to the size
of a network trained on larger ones (28 × 28 shapes): bilinear upsampling by a whole factor,
then a frame of zeros, so a network's filters meet strokes about as wide as the shapes' edges.

See chapter: Convolutional networks (book/11_cnn.ipynb)
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "SHAPE_CLASSES",
    "shapes",
    "draw_shape",
    "sample_photograph",
    "PHOTOGRAPHS",
    "enlarge",
]

SHAPE_CLASSES: tuple[str, ...] = ("circle", "square", "triangle", "cross")
PHOTOGRAPHS: tuple[str, ...] = ("china", "flower")


def _signed_distance(kind: str, u: np.ndarray, v: np.ndarray, r: float) -> np.ndarray:
    """Distance (pixels) outside the edge of shape ``kind`` of radius ``r`` centred at 0."""
    if kind == "circle":
        return np.hypot(u, v) - r
    if kind == "square":
        return np.maximum(np.abs(u), np.abs(v)) - r / np.sqrt(
            2
        )  # corners on the circle of radius r
    if kind == "triangle":
        # Equilateral, one vertex up: outward normals at 90°, 210° and 330°, angles measured
        # with v (the row axis) pointing down, so 90° is the bottom edge's normal.
        angles = np.deg2rad([90.0, 210.0, 330.0])
        dist = [u * np.cos(a) + v * np.sin(a) for a in angles]
        return np.max(dist, axis=0) - 0.5 * r
    if kind == "cross":
        a = r / np.hypot(
            1.0, 0.3
        )  # half-length of each bar: its corners lie on the circle
        t = 0.3 * a  # half-thickness of each bar
        bar1 = np.maximum(np.abs(u) - a, np.abs(v) - t)
        bar2 = np.maximum(np.abs(v) - a, np.abs(u) - t)
        return np.minimum(bar1, bar2)
    raise ValueError(f"shapes: unknown shape {kind!r}; choose from {SHAPE_CLASSES}")


def draw_shape(
    kind: str, size: int, centre: tuple[float, float], radius: float, angle: float = 0.0
) -> np.ndarray:
    """One anti-aliased filled shape on a black ``(size, size)`` canvas, values in [0, 1].

    ``centre`` is (row, column) in pixels (pixel ``(i, j)`` covers ``[i, i+1) × [j, j+1)``),
    ``radius`` the distance from the centre to the farthest point of the shape,
    ``angle`` the rotation in radians.
    """
    rows, cols = np.mgrid[0:size, 0:size] + 0.5  # pixel centres
    dr, dc = rows - centre[0], cols - centre[1]
    c, s = np.cos(angle), np.sin(angle)
    u, v = c * dc + s * dr, -s * dc + c * dr  # rotate by -angle into the shape's frame
    return np.clip(0.5 - _signed_distance(kind, u, v, radius), 0.0, 1.0)


def shapes(
    n: int,
    size: int = 28,
    classes: tuple[str, ...] = SHAPE_CLASSES,
    noise: float = 0.1,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` grayscale images of random shapes and their labels.

    Args:
        n: number of images; the classes are balanced (counts differ by at most one).
        size: height = width in pixels (at least 8).
        classes: shape names from :data:`SHAPE_CLASSES`; label ``i`` means ``classes[i]``.
        noise: standard deviation of the Gaussian pixel noise added before clipping to [0, 1].
        seed: random seed; the same arguments give the same images.

    Returns:
        ``X`` float64 of shape ``(n, 1, size, size)`` in [0, 1] and ``y`` int64 of shape ``(n,)``.
        Radius (centre to the farthest point) is 20–40 % of ``size``; the shape lies fully
        inside the image; rotation is uniform over a full turn.
    """
    if n < 0 or size < 8:
        raise ValueError(f"shapes: need n >= 0 and size >= 8, got n={n}, size={size}")
    if noise < 0:
        raise ValueError(f"shapes: noise must be >= 0, got {noise}")
    classes = tuple(classes)
    if not classes:
        raise ValueError("shapes: classes is empty")
    for kind in classes:
        if kind not in SHAPE_CLASSES:
            raise ValueError(
                f"shapes: unknown shape {kind!r}; choose from {SHAPE_CLASSES}"
            )
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % len(classes)).astype(np.int64)
    radius = rng.uniform(0.2, 0.4, n) * size
    # Keep the whole shape and its anti-aliased edge inside the frame. The edge reaches up
    # to 0.5 * sqrt(2) pixels out near corners (the max-of-distances is not Euclidean there).
    lo, hi = radius + 1.5, size - 1.5 - radius
    centre = lo[:, None] + rng.random((n, 2)) * (hi - lo)[:, None]
    theta = rng.uniform(0.0, 2 * np.pi, n)
    X = np.empty((n, 1, size, size))
    for k in range(n):
        X[k, 0] = draw_shape(
            classes[y[k]], size, (centre[k, 0], centre[k, 1]), radius[k], theta[k]
        )
    if noise > 0:
        X += noise * rng.standard_normal(X.shape)
        np.clip(X, 0.0, 1.0, out=X)
    return X, y


def sample_photograph(name: str = "china", gray: bool = True) -> np.ndarray:
    """A real photograph bundled with scikit-learn, as floats in [0, 1] (no download).

    ``name`` is ``"china"`` (a temple) or ``"flower"``; both are 427 × 640.
    ``gray=True`` gives a (H, W) luminance image, ``Y = 0.299 R + 0.587 G + 0.114 B``
    (ITU-R BT.601); ``gray=False`` gives the (H, W, 3) colour image.
    """
    from sklearn.datasets import load_sample_image

    if name not in PHOTOGRAPHS:
        raise ValueError(
            f"sample_photograph: unknown photograph {name!r}; choose from {PHOTOGRAPHS}"
        )
    rgb = load_sample_image(f"{name}.jpg").astype(np.float64) / 255.0
    if not gray:
        return rgb
    return rgb @ np.array([0.299, 0.587, 0.114])


def enlarge(X: np.ndarray, size: int, factor: int) -> np.ndarray:
    """Upsample images ``(N, C, H, W)`` by ``factor`` (bilinear) and centre them, padded
    with zeros, on a ``size × size`` canvas; values stay in the input's range.

    For example the 8 × 8 digits with ``factor=3, size=28``: 24 × 24 digits with a 2-pixel
    black frame, the input size of the shapes network.
    """
    import torch
    from torch.nn import functional as F

    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 4:
        raise ValueError(f"enlarge: X must be (N, C, H, W), got shape {X.shape}")
    h, w = X.shape[2] * factor, X.shape[3] * factor
    if factor < 1 or h > size or w > size:
        raise ValueError(
            f"enlarge: images of {X.shape[2]} x {X.shape[3]} times factor {factor} give "
            f"{h} x {w}, which does not fit on a {size} x {size} canvas (need factor >= 1)"
        )
    up = F.interpolate(
        torch.from_numpy(X), scale_factor=factor, mode="bilinear", align_corners=False
    ).numpy()
    out = np.zeros((X.shape[0], X.shape[1], size, size))
    top, left = (size - h) // 2, (size - w) // 2
    out[:, :, top : top + h, left : left + w] = up
    return out

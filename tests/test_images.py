"""dlcourse.data.images: the shapes generator against geometry, and the sample photographs."""

import numpy as np
import pytest

from dlcourse.data.images import SHAPE_CLASSES, draw_shape, sample_photograph, shapes

R = 20.0
AREAS = {  # closed-form areas for radius R (centre to farthest point)
    "circle": np.pi * R**2,
    "square": 2 * R**2,  # corners on the circle of radius R
    "triangle": 3 * np.sqrt(3) / 4 * R**2,  # equilateral, circum-radius R
    # two bars of half-length a and half-thickness 0.3 a, corners on the circle, minus their overlap
    "cross": (lambda a: 2 * (2 * a * 0.6 * a) - (0.6 * a) ** 2)(R / np.hypot(1, 0.3)),
}


@pytest.mark.parametrize("kind", SHAPE_CLASSES)
@pytest.mark.parametrize("angle", [0.0, 0.4, 2.0])
def test_drawn_area_matches_the_formula_at_any_rotation(kind, angle):
    img = draw_shape(kind, 64, (32.0, 32.0), R, angle)
    assert img.min() >= 0 and img.max() <= 1
    assert img.sum() == pytest.approx(AREAS[kind], rel=0.01)


def test_shapes_have_the_expected_symmetries():
    sq = draw_shape("square", 40, (20.0, 20.0), 10.0)
    np.testing.assert_allclose(
        sq, draw_shape("square", 40, (20.0, 20.0), 10.0, np.pi / 2), atol=1e-9
    )
    tri = draw_shape("triangle", 40, (20.0, 20.0), 12.0)
    np.testing.assert_allclose(
        tri, tri[:, ::-1], atol=1e-9
    )  # mirror-symmetric about the vertical
    assert tri[:20].sum() < tri[20:].sum()  # one vertex up: more ink below the centre
    np.testing.assert_allclose(
        tri, draw_shape("triangle", 40, (20.0, 20.0), 12.0, 2 * np.pi / 3), atol=1e-9
    )


def test_shapes_output_contract():
    X, y = shapes(203, size=20, seed=3)
    assert X.shape == (203, 1, 20, 20) and X.dtype == np.float64
    assert y.shape == (203,) and y.dtype == np.int64
    assert X.min() >= 0.0 and X.max() <= 1.0
    counts = np.bincount(y, minlength=4)
    assert counts.max() - counts.min() <= 1
    X2, y2 = shapes(203, size=20, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = shapes(203, size=20, seed=4)
    assert not np.array_equal(X, X3)


def test_noise_free_shapes_lie_inside_the_frame_and_differ_by_class():
    X, y = shapes(80, size=28, noise=0.0, seed=1)
    border = np.concatenate(
        [X[:, 0, 0], X[:, 0, -1], X[:, 0, :, 0], X[:, 0, :, -1]], axis=1
    )
    assert border.max() == 0.0
    assert (X.reshape(80, -1).sum(1) > 10).all()  # every image has a visible shape
    X_noisy, y_noisy = shapes(80, size=28, noise=0.2, seed=1)
    np.testing.assert_array_equal(y, y_noisy)
    assert np.std(X_noisy - X) > 0.05


def test_class_subset_and_errors():
    X, y = shapes(10, classes=("circle", "cross"), seed=0)
    assert set(y.tolist()) == {0, 1}
    with pytest.raises(ValueError, match="unknown shape 'star'"):
        shapes(4, classes=("circle", "star"))
    with pytest.raises(ValueError, match="size >= 8"):
        shapes(4, size=4)


def test_sample_photograph_gray_is_the_luminance_of_the_colour_image():
    rgb = sample_photograph("china", gray=False)
    gray = sample_photograph("china")
    assert rgb.shape == (427, 640, 3) and gray.shape == (427, 640)
    assert 0.0 <= gray.min() and gray.max() <= 1.0 and gray.std() > 0.1
    np.testing.assert_allclose(
        gray[100, 200],
        0.299 * rgb[100, 200, 0] + 0.587 * rgb[100, 200, 1] + 0.114 * rgb[100, 200, 2],
    )
    assert sample_photograph("flower").shape == (427, 640)
    with pytest.raises(ValueError, match="unknown photograph"):
        sample_photograph("moon")


def test_enlarge_upsamples_and_centres_on_a_zero_frame():
    from dlcourse.data.images import enlarge

    X = np.zeros((2, 1, 8, 8))
    X[0] = 1.0
    X[1, 0, 3, 4] = 1.0
    out = enlarge(X, size=28, factor=3)
    assert out.shape == (2, 1, 28, 28)
    assert (
        np.all(out[0, 0, 2:26, 2:26] == 1.0) and out[0].sum() == 24 * 24
    )  # 2-pixel frame
    # a single pixel becomes a 3 x 3 block (bilinear, align_corners=False) at rows 11..13,
    # columns 14..16 (2 + 3 * 3 and 2 + 3 * 4), fading into its neighbours
    assert np.all(out[1, 0, 11:14, 14:17] > 0.4) and out[1].max() == pytest.approx(1.0)
    assert out.min() >= 0.0
    with pytest.raises(ValueError, match="8 x 8 times factor 4 give 32 x 32.*28 x 28"):
        enlarge(X, size=28, factor=4)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\), got shape \(8, 8\)"):
        enlarge(X[0, 0], size=28, factor=3)

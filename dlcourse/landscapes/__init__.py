"""Two-dimensional loss landscapes, and optimisers walking on them.

A real network's loss lives in millions of dimensions; these surfaces ``f(x, y)`` show,
in two, what gradient descent ``p ← p - η ∇f(p)`` and its variants do:

==========  ==============================  ========================================
name        f(x, y)                         why it is here
==========  ==============================  ========================================
bowl        x² + y²                         the easy case: every method converges
valley      ½ (x² + 20 y²)                  ill-conditioned (curvatures 1 and 20):
                                            SGD zig-zags across and crawls along;
                                            momentum helps
rosenbrock  (1 - x)² + 100 (y - x²)²        a curved, flat-bottomed banana valley
himmelblau  (x² + y - 11)² + (x + y² - 7)²  four minima: where you end depends on
                                            the start
saddle      x² - y²                         zero gradient that is not a minimum
==========  ==============================  ========================================

Each :class:`Landscape` knows its analytic gradient, its minima, a plotting window and
a good starting point. :func:`trajectory` runs a ``dlcourse.optim`` (or ``torch.optim``)
optimiser on a parameter of shape ``(2,)``, feeding it the analytic gradient.


One module per idea: :mod:`~dlcourse.landscapes.surfaces` (the functions),
:mod:`~dlcourse.landscapes.walk` (an optimiser walking on one),
:mod:`~dlcourse.landscapes.plots` (contours, surfaces, animations) and
:mod:`~dlcourse.landscapes.slider` (the learning-rate slider); every name below is
importable from ``dlcourse.landscapes``.

See chapter: Gradient descent (book/06_gradient_descent.ipynb)
"""

from __future__ import annotations

from .plots import COLORS, animate_descent, plot_contour, plot_surface
from .slider import LRSlider, lr_slider
from .surfaces import (
    LANDSCAPES,
    Landscape,
    bowl,
    himmelblau,
    rosenbrock,
    saddle,
    valley,
)
from .walk import trajectory

__all__ = [
    "Landscape",
    "bowl",
    "valley",
    "rosenbrock",
    "himmelblau",
    "saddle",
    "LANDSCAPES",
    "trajectory",
    "plot_contour",
    "plot_surface",
    "animate_descent",
    "lr_slider",
    "LRSlider",
    "COLORS",
]

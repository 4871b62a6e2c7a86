"""Pictures used throughout the course: decision boundaries, network diagrams,
training curves and confusion matrices.

Every function draws on ``ax`` when given (or a new figure) and returns the axes, so
figures compose. Colours are colour-blind safe: the Okabe–Ito palette for classes
(with a different marker per class, so colour is never the only cue), ``cividis`` /
``viridis`` for magnitudes and the ColorBrewer ``PuOr`` diverging map for signed weights.

One module per picture: :mod:`~dlcourse.viz.style` (colours, markers),
:mod:`~dlcourse.viz.layers` (a model's weights as arrays), :mod:`~dlcourse.viz.boundary`,
:mod:`~dlcourse.viz.network` and :mod:`~dlcourse.viz.training`; every name below is
importable from ``dlcourse.viz``.

See chapter: From neurons to networks (book/03_networks.ipynb)
"""

from __future__ import annotations

from .boundary import plot_decision_boundary
from .layers import linear_layers, to_numpy
from .network import draw_network
from .style import MARKERS, OKABE_ITO
from .training import confusion_matrix, plot_confusion_matrix, plot_history

__all__ = [
    "OKABE_ITO",
    "MARKERS",
    "to_numpy",
    "linear_layers",
    "plot_decision_boundary",
    "draw_network",
    "plot_history",
    "confusion_matrix",
    "plot_confusion_matrix",
]

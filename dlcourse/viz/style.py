"""The course's colours and markers: colour-blind safe, and never colour alone.

Classes take the Okabe–Ito palette, each with its own marker (so a class is told apart
without colour too); probabilities of a binary classifier take a blue–white–orange map
whose middle (p = ½, the decision boundary) is white.

See chapter: From neurons to networks (book/03_networks.ipynb)
"""

from __future__ import annotations

from matplotlib.colors import LinearSegmentedColormap

__all__ = ["OKABE_ITO", "MARKERS", "BLUE_WHITE_ORANGE"]

OKABE_ITO = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
]
"""Okabe and Ito's eight colours, told apart with every kind of colour blindness."""
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
"""One marker per class, in the order of ``OKABE_ITO``: colour is never the only cue."""
BLUE_WHITE_ORANGE = LinearSegmentedColormap.from_list(
    "blue_white_orange", [OKABE_ITO[0], "#FFFFFF", OKABE_ITO[1]]
)
"""Probability of class 1: blue at 0, white at ½ (the decision boundary), orange at 1."""

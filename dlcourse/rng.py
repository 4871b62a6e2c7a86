"""Seeds and random generators: one rule for every layer and initialiser.

Every function that draws random numbers takes ``rng``: a seed (``int``), ``None``
(fresh entropy) or a ``numpy.random.Generator``. A generator is used as it is, so
that one generator passed to several layers gives them *different* draws, in
order, and the whole model is still reproducible from one seed; a seed starts a
new generator ``numpy.random.default_rng(seed)``.

See chapter: From neurons to networks (book/03_networks.ipynb)
"""

from __future__ import annotations

import numpy as np

__all__ = ["SeedLike", "as_generator"]

SeedLike = np.random.Generator | int | None


def as_generator(rng: SeedLike) -> np.random.Generator:
    """``rng`` itself if it is a Generator, else ``numpy.random.default_rng(rng)``."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)

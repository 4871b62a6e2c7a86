"""Central finite differences: the reference the tests hold analytic gradients against."""

from __future__ import annotations

import numpy as np


def finite_diff(f, arrays, upstream, eps=1e-6):
    """Central differences of L = Σ f(*arrays) * upstream with respect to each array.

    Each array is perturbed in place, one entry at a time, and restored; error O(eps²).
    """
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            old = a[i]
            a[i] = old + eps
            plus = np.sum(f(*arrays) * upstream)
            a[i] = old - eps
            minus = np.sum(f(*arrays) * upstream)
            a[i] = old
            g[i] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads

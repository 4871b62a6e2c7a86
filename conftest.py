"""Repository-wide pytest set-up (nbval runs the notebooks in book/ and exercises/)."""

from __future__ import annotations

import logging


try:
    import nbval.kernel as _nbval_kernel
except ImportError:  # nbval not installed: the notebooks are not collected anyway
    _nbval_kernel = None

_STARTUP_ATTEMPTS = 3


def _start_kernel_with_retries(*args, **kwargs):
    """nbval's kernel start, tried up to three times.

    On a busy machine a freshly started kernel occasionally dies before its first reply (two
    kernels racing for the same free TCP port). That says nothing about the notebook, so we
    start a new kernel instead of failing every cell of it; a notebook whose kernel keeps dying
    still fails after the third attempt.
    """
    for attempt in range(1, _STARTUP_ATTEMPTS + 1):
        try:
            return _original_start(*args, **kwargs)
        except RuntimeError:
            if attempt == _STARTUP_ATTEMPTS:
                raise
            logging.getLogger("nbval").warning("kernel died at start-up; retrying (%d)", attempt)


if _nbval_kernel is not None:
    _original_start = _nbval_kernel.start_new_kernel
    _nbval_kernel.start_new_kernel = _start_kernel_with_retries

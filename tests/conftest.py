"""Shared test set-up: a non-interactive matplotlib backend for this process only.

Never through the environment (``MPLBACKEND``): the notebook kernels that nbval starts from
this process inherit it, and a kernel on Agg draws nothing inline.
"""

import matplotlib

matplotlib.use("Agg")

"""Numbers that the book's prose quotes, handed from the executed code to the text.

A chapter never types a result into its prose: the cell that computes it calls
``glue("acc_test", acc)`` and the text says ``{glue:text}`acc_test:.1%` ``, which the book
build (myst-nb) replaces by the value this very run produced. So a sentence can never
disagree with the code above it.

This is myst-nb's ``glue`` (same output format: a display output whose metadata carries a
``scrapbook`` name) without importing myst-nb, so the chapters also run where only the
learner's packages are installed (Colab, Binder). There the values are not displayed;
the cells print them anyway.

Every chapter that quotes a computed number uses it, from the first one on.

See chapter: The artificial neuron (book/01_neuron.ipynb)
"""

from __future__ import annotations

from typing import Any

__all__ = ["glue"]

#: myst-nb's prefix for a glued value that is stored but not displayed.
HIDDEN_PREFIX = "application/papermill.record/"


def glue(name: str, value: Any, display: bool = False) -> None:
    """Store ``value`` in this cell's output under ``name`` for the book's ``{glue}`` roles.

    ``display=True`` also shows it in the notebook (as myst-nb's ``glue`` does by default).
    """
    import numpy as np
    from IPython.core.formatters import format_display_data
    from IPython.display import display as ipy_display

    if isinstance(value, np.generic):
        # NumPy 2 shows a scalar as ``np.float64(3.02)``, which the book's formats
        # (``:.2f``) cannot read: glue the plain Python number it holds
        value = value.item()
    bundle, metadata = format_display_data(value)
    prefix = "" if display else HIDDEN_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipy_display({prefix + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)

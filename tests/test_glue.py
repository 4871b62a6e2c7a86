"""dlcourse.glue stores values in the form myst-nb's ``{glue:text}`` role formats."""

from __future__ import annotations

import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell

from dlcourse.glue import HIDDEN_PREFIX, glue


@pytest.fixture
def shown(monkeypatch):
    """What ``glue`` hands to IPython's display: (bundle, metadata) pairs."""
    InteractiveShell.instance()
    out: list[tuple[dict, dict]] = []
    monkeypatch.setattr(
        "IPython.display.display",
        lambda bundle, raw, metadata: out.append((bundle, metadata)),
    )
    return out


@pytest.mark.parametrize(
    "value, text",
    [
        (3.25, "3.25"),
        (
            np.float64(3.25),
            "3.25",
        ),  # not "np.float64(3.25)": the role could not format it
        (np.float32(0.5), "0.5"),
        (np.int64(7), "7"),
        (np.bool_(True), "True"),
        ("words", "'words'"),
    ],
)
def test_a_number_is_stored_as_a_formattable_plain_number(shown, value, text):
    glue("key", value)
    (bundle, metadata) = shown[-1]
    assert bundle[HIDDEN_PREFIX + "text/plain"] == text
    assert metadata["scrapbook"] == {"name": "key", "mime_prefix": HIDDEN_PREFIX}
    if isinstance(value, (float, np.floating)):
        assert format(
            float(bundle[HIDDEN_PREFIX + "text/plain"]), ".2f"
        )  # as myst-nb does


def test_display_true_shows_it(shown):
    glue("key", 2, display=True)
    assert shown[-1][0] == {"text/plain": "2"}

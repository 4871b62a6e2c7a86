"""Headless Chromium for the browser tests (the built book, JupyterLab): where it is, and
the flags it runs with here (no sandbox of its own, no GPU, nothing from the network)."""

from __future__ import annotations

import shutil
from typing import Any

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find() -> str | None:
    """The Chromium executable on PATH, if any."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def launch(playwright: Any, executable: str) -> Any:
    """A headless Chromium browser from a started ``sync_playwright()``."""
    return playwright.chromium.launch(executable_path=executable, args=ARGS)

"""Writing a file so that an interrupted run never leaves half of it.

The text goes to a temporary file in the same folder, is flushed to disk (``fsync``), then
:func:`os.replace` swaps it in: a reader sees the old file or the new one, never a mix. The
gradebook, the points file and the review file are all written this way. See chapter: For
instructors (book/instructors.md).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path: str | Path, text: str) -> None:
    """Replace ``path``'s content by ``text`` (UTF-8, line ends as given) in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise

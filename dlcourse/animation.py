"""Animations that play on a static web page, offline.

Matplotlib's ``FuncAnimation.to_jshtml`` embeds every frame as a PNG and a small JavaScript
player, so the animation plays with no kernel. Its buttons, however, use Font Awesome icons
fetched from a CDN, which an offline reader (or a page with a strict network policy) never
gets: the buttons would be blank. :func:`to_html` swaps those icons for plain Unicode symbols
and drops the CDN stylesheet, so the player works anywhere.

See chapter: The artificial neuron (book/01_neuron.ipynb); Gradient descent
(book/06_gradient_descent.ipynb)
"""

from __future__ import annotations

import base64
import re
from html import escape

from matplotlib import rc_context
from matplotlib.animation import Animation

# Font Awesome 4 icon class -> symbols from the geometric-shapes block, which common fonts
# have (the media-control symbols U+23ED/U+23EE are missing from many and show as boxes).
_ICONS = {
    "fa fa-minus": "\u2212",  # slower
    "fa fa-fast-backward": "|\u25c0\u25c0",  # first frame
    "fa fa-step-backward": "\u25c0|",  # previous frame
    "fa fa-play fa-flip-horizontal": "\u25c0",  # play backwards
    "fa fa-pause": "\u2759\u2759",  # pause
    "fa fa-play": "\u25b6",  # play
    "fa fa-step-forward": "|\u25b6",  # next frame
    "fa fa-fast-forward": "\u25b6\u25b6|",  # last frame
    "fa fa-plus": "+",  # faster
}
_CDN_LINK = re.compile(r"<link[^>]*font-awesome[^>]*>\s*", re.IGNORECASE)


def offline_player(
    html: str, alt: str = "An animation; the buttons below play it frame by frame"
) -> str:
    """Make a ``to_jshtml`` page self-contained: no CDN stylesheet, Unicode button icons, and an
    ``alt`` text on the frame for readers who cannot see it."""
    html = _CDN_LINK.sub("", html)
    html = html.replace(
        '<img id="_anim_img', f'<img alt="{escape(alt)}" id="_anim_img', 1
    )
    for icon, symbol in _ICONS.items():
        html = html.replace(
            f'<i class="{icon}"></i>', f'<span aria-hidden="true">{symbol}</span>'
        )
    if "font-awesome" in html or '<i class="fa' in html:
        raise RuntimeError(
            "matplotlib's animation template changed: update dlcourse.animation._ICONS"
        )
    return html


def to_html(
    anim: Animation,
    default_mode: str = "once",
    alt: str = "An animation; the buttons below play it frame by frame",
    scale: float = 2.0,
) -> str:
    """HTML of ``anim`` (frames and a JavaScript player) that plays on a static page, offline.

    ``alt`` describes the animation for a screen reader. The frames are drawn at ``scale``
    times the figure's resolution and shown at its size, so they stay sharp on a
    high-resolution screen (as the book's still figures do). Display the result with
    ``IPython.display.HTML(to_html(anim))``, then close the figure (``plt.close(fig)``) so
    that its last frame is not drawn a second time.
    """
    # matplotlib keeps the animated figure here (no public accessor, so not in its stubs)
    fig = anim._fig  # type: ignore[attr-defined]
    with rc_context({"savefig.dpi": fig.dpi * scale}):
        html = offline_player(anim.to_jshtml(default_mode=default_mode), alt=alt)
    width = _first_frame_width(html)
    if width:
        html = html.replace(
            '<img alt="',
            f'<img style="width: {width / scale:.0f}px; max-width: 100%" alt="',
            1,
        )
    return html


_FIRST_FRAME = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=\\\n]+)")


def _first_frame_width(html: str) -> int | None:
    """Pixel width of the first embedded PNG frame, if any."""
    match = _FIRST_FRAME.search(html)
    if not match:
        return None
    data = re.sub(r"[^A-Za-z0-9+/]", "", match.group(1))[:64]  # matplotlib wraps lines
    size = png_size(base64.b64decode(data))
    return size[0] if size else None


def png_size(png: bytes) -> tuple[int, int] | None:
    """(width, height) in pixels from a PNG's header, or None if ``png`` is not a PNG."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24:
        return None
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")

"""Animations play offline: no CDN link, every button has a visible symbol."""

import matplotlib.pyplot as plt
from matplotlib.animation import FuncAnimation

from dlcourse import animation


def _anim():
    fig, ax = plt.subplots(figsize=(2, 2))
    (line,) = ax.plot([], [])
    anim = FuncAnimation(fig, lambda i: line.set_data([0, i], [0, i]), frames=3)
    return fig, anim


def test_to_html_is_self_contained():
    fig, anim = _anim()
    html = animation.to_html(anim, alt='A "line" growing')
    plt.close(fig)
    assert 'alt="A &quot;line&quot; growing" id="_anim_img' in html
    assert "https://" not in html and "http://" not in html
    assert '<i class="fa' not in html
    assert html.count('<span aria-hidden="true">') == 9  # all nine player buttons
    assert "play_animation" in html and html.count("data:image/png;base64") == 3


def test_raises_if_matplotlib_template_changes():
    import pytest

    with pytest.raises(RuntimeError, match="template changed"):
        animation.offline_player('<i class="fa fa-rocket"></i>')


def test_frames_are_drawn_at_twice_the_resolution_and_shown_at_the_figure_size():
    """Sharp on a high-resolution screen: 2x pixels, displayed at the figure's own size."""
    fig, anim = _anim()
    fig.set_dpi(50)  # a 2-inch figure: 100 px on the page, 200 px frames
    html = animation.to_html(anim)
    plt.close(fig)
    assert '<img style="width: 100px; max-width: 100%"' in html
    assert animation._first_frame_width(html) == 200

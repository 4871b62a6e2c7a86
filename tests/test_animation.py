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
    assert '<img alt="A &quot;line&quot; growing" id="_anim_img' in html
    assert "https://" not in html and "http://" not in html
    assert '<i class="fa' not in html
    assert html.count('<span aria-hidden="true">') == 9  # all nine player buttons
    assert "play_animation" in html and html.count("data:image/png;base64") == 3


def test_raises_if_matplotlib_template_changes():
    import pytest

    with pytest.raises(RuntimeError, match="template changed"):
        animation.offline_player('<i class="fa fa-rocket"></i>')

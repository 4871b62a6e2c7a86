"""A learning-rate slider: a widget in Jupyter, small multiples on the static page.

See chapter: Gradient descent (book/06_gradient_descent.ipynb)
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import ArrayLike

from ..animation import png_size
from .plots import plot_contour
from .surfaces import Landscape, get_landscape
from .walk import trajectory

__all__ = ["LRSlider", "lr_slider"]


def _png(fig: plt.Figure) -> tuple[bytes, int]:
    """``fig`` as a PNG drawn at twice its resolution (sharp on high-resolution screens),
    and the width in pixels to show it at."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", dpi=2 * fig.dpi)
    plt.close(fig)
    png = buf.getvalue()
    size = png_size(png)
    return png, (size[0] // 2 if size else 0)


class LRSlider:
    """A learning-rate slider: an ipywidgets view in Jupyter, a static PNG in the book.

    ``_repr_mimebundle_`` returns the widget view *and* an ``image/png`` of small
    multiples (one panel per learning rate in ``lrs``): a live kernel renders the
    widget, a static renderer (the published book) falls back to the picture.
    """

    def __init__(
        self,
        landscape: Landscape | str,
        start: ArrayLike | None,
        lrs: Sequence[float],
        optimizer_cls: type | None = None,
        steps: int = 30,
        **opt_kwargs: Any,
    ) -> None:
        from ..optim import SGD

        self.landscape, self.lrs = get_landscape(landscape), [float(lr) for lr in lrs]
        if not self.lrs or min(self.lrs) <= 0:
            raise ValueError(
                f"lr_slider: need at least one positive learning rate, got {list(lrs)}"
            )
        self.start, self.steps, self.opt_kwargs = start, steps, opt_kwargs
        self.optimizer_cls: type = SGD if optimizer_cls is None else optimizer_cls
        self._widget: Any = None

    def path(self, lr: float) -> np.ndarray:
        return trajectory(
            self.landscape,
            self.optimizer_cls,
            self.start,
            self.steps,
            lr=lr,
            **self.opt_kwargs,
        )

    def _panel(self, lr: float, ax: plt.Axes) -> None:
        path = self.path(lr)
        last = path[np.isfinite(path).all(axis=1)][-1]
        f_last = self.landscape.f(last)
        diverged = np.isnan(path[-1]).any() or f_last > self.landscape.f(path[0])
        verdict = "diverges" if diverged else f"f = {f_last:.3g}"
        plot_contour(self.landscape, {"": path}, ax=ax, title=f"lr = {lr:g}: {verdict}")
        ax.title.set_fontsize(9)

    def static_png(self) -> tuple[bytes, int]:
        """Small multiples, one panel per learning rate (the fallback image), and the
        width to show it at."""
        n = len(self.lrs)
        fig, axes = plt.subplots(1, n, figsize=(2.6 * n, 2.4), dpi=72, squeeze=False)
        for lr, ax in zip(self.lrs, axes[0]):
            self._panel(lr, ax)
            ax.set(xlabel="", ylabel="")
            ax.tick_params(labelsize=7)
        fig.tight_layout()
        return _png(fig)

    def widget(self):
        """The ipywidgets view: a ``FloatLogSlider`` that redraws the path."""
        if self._widget is None:
            import ipywidgets as W

            slider = W.FloatLogSlider(
                value=float(np.sqrt(min(self.lrs) * max(self.lrs))),
                base=10,
                min=np.log10(min(self.lrs)),
                max=np.log10(max(self.lrs)),
                step=0.05,
                description="lr",
                continuous_update=False,
            )
            image = W.Image(format="png")

            def redraw(change: Any = None) -> None:
                fig, ax = plt.subplots(figsize=(5, 4), dpi=72)
                self._panel(slider.value, ax)
                image.value, width = _png(fig)
                image.width = str(width)  # shown at its size, not stretched to the cell

            slider.observe(redraw, names="value")
            redraw()
            self._widget = W.VBox([slider, image])
        return self._widget

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        png, width = self.static_png()
        bundle = {
            "text/plain": repr(self),
            "image/png": base64.b64encode(png).decode("ascii"),
        }
        bundle.update(
            {
                k: v
                for k, v in self.widget()._repr_mimebundle_().items()
                if k != "text/plain"
            }
        )
        if include:
            bundle = {k: v for k, v in bundle.items() if k in include}
        if exclude:
            bundle = {k: v for k, v in bundle.items() if k not in exclude}
        return bundle, {"image/png": {"width": width}}

    def __repr__(self) -> str:
        return (
            f"LRSlider({self.landscape.name}, {self.optimizer_cls.__name__}, "
            f"lrs={self.lrs}, steps={self.steps})"
        )


def lr_slider(
    landscape: Landscape | str,
    start: ArrayLike | None = None,
    lrs: Sequence[float] = (0.01, 0.1, 0.5, 1.05),
    optimizer_cls: type | None = None,
    steps: int = 30,
    **opt_kwargs: Any,
) -> LRSlider:
    """Explore the learning rate on a landscape (default: ``dlcourse.optim.SGD``).

    Displayed in Jupyter it is a slider; on a static page, one panel per ``lrs`` entry.
    """
    return LRSlider(landscape, start, lrs, optimizer_cls, steps, **opt_kwargs)

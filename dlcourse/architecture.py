"""Draw a model's architecture from the model itself: one box per layer.

A diagram drawn by hand drifts from the code; this one is measured. We run
one forward pass on an example input and record, for every layer that
actually ran, its type, the shape of the tensor it produced and its number
of parameters:

* PyTorch models: a forward hook on every *unit* — a module with no
  sub-modules, or one that holds parameters of its own (such as
  ``nn.MultiheadAttention``, whose projection matrices belong to it directly);
  a unit is drawn as one box and not opened further.
* dlcourse models: the same units, recorded by wrapping their ``forward``.

A layer that returns a tuple (an LSTM's ``(output, (h, c))``, attention's
``(output, weights)``) is shown by the first tensor in it. A layer called
twice appears twice, in the order of execution. The boxes form one chain, in
the order the layers ran: branches and skip (residual) connections are not drawn.

The parameter count of a convolution is ``C_out (C_in k_h k_w + 1)`` and of a
Linear layer ``n_out (n_in + 1)``: the boxes show the numbers PyTorch counts,
and the title shows the total, ``sum(p.numel() for p in model.parameters())``.

Colours follow the Okabe–Ito palette, distinguishable with any colour vision.

See chapter: Convolutional networks (book/11_cnn.ipynb)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch

from dlcourse.interop import is_torch

__all__ = ["LayerInfo", "summarize", "draw_architecture", "KIND_COLORS"]

# Okabe & Ito (2008) colour-blind-safe palette, one colour per kind of layer.
KIND_COLORS: dict[str, str] = {
    "input": "#999999",
    "conv": "#0072B2",
    "pool": "#56B4E9",
    "linear": "#E69F00",
    "activation": "#009E73",
    "norm": "#F0E442",
    "recurrent": "#D55E00",
    "attention": "#CC79A7",
    "embedding": "#D55E00",
    "other": "#666666",
}
_ACTIVATIONS = (
    "relu",
    "tanh",
    "sigmoid",
    "gelu",
    "softmax",
    "silu",
    "elu",
    "softplus",
    "identity",
)


@dataclass
class LayerInfo:
    """One recorded layer call: ``name`` (dotted path in the model), ``type`` (class name),
    ``output_shape`` (of the first output tensor) and ``n_params`` (its parameters)."""

    name: str
    type: str
    output_shape: tuple[int, ...]
    n_params: int

    @property
    def kind(self) -> str:
        t = self.type.lower()
        for key, kind in (
            ("conv", "conv"),
            ("pool", "pool"),
            ("linear", "linear"),
            ("norm", "norm"),
            ("lstm", "recurrent"),
            ("gru", "recurrent"),
            ("rnn", "recurrent"),
            ("attention", "attention"),
            ("embedding", "embedding"),
        ):
            if key in t:
                return kind
        if t == "input":
            return "input"
        if any(t.startswith(a) or t.endswith(a) for a in _ACTIVATIONS):
            return "activation"
        return "other"


def _first_shape(out: Any) -> tuple[int, ...]:
    """Shape of the first array-like thing in ``out`` (depth first through tuples/lists/dicts)."""
    if hasattr(out, "shape") and not isinstance(out, (tuple, list, dict)):
        return tuple(int(s) for s in out.shape)
    items = (
        out.values()
        if isinstance(out, dict)
        else out
        if isinstance(out, (tuple, list))
        else ()
    )
    for item in items:
        shape = _first_shape(item)
        if shape != ():
            return shape
    return ()


def _units(model: Any, owns_parameters: Callable[[Any], bool]) -> list[tuple[str, Any]]:
    """The boxes to draw, in order: leaf modules, and modules that hold parameters of their own
    (e.g. MultiheadAttention's in-projection), which are drawn whole."""
    units = []

    def visit(name: str, module: Any, root: bool) -> None:
        children = list(module.named_children())
        if not children or (owns_parameters(module) and not root):
            units.append((name or type(module).__name__, module))
            return
        for child_name, child in children:
            visit(f"{name}.{child_name}" if name else child_name, child, False)

    visit("", model, True)
    return units


def _torch_units(model: Any) -> list[tuple[str, Any]]:
    return _units(model, lambda m: any(True for _ in m.parameters(recurse=False)))


def _dl_units(model: Any) -> list[tuple[str, Any]]:
    return _units(model, lambda m: any(True for _ in m._own_parameters()))


def _example_input(model: Any, input_shape: Any, input_dtype: Any) -> Any:
    """An input tensor: ``input_shape`` itself if it is already an array/tensor."""
    if hasattr(input_shape, "shape"):
        return input_shape
    shape = tuple(int(s) for s in input_shape)
    if is_torch(model):
        import torch

        params = list(model.parameters())
        dev = params[0].device if params else torch.device("cpu")
        if input_dtype is None:
            first = _torch_units(model)[0][1]
            integer = isinstance(first, torch.nn.Embedding)
            input_dtype = (
                torch.long
                if integer
                else (params[0].dtype if params else torch.float32)
            )
        if not input_dtype.is_floating_point:
            return torch.zeros(shape, dtype=input_dtype, device=dev)
        gen = torch.Generator().manual_seed(0)
        return torch.rand(shape, generator=gen, dtype=input_dtype).to(dev)
    dtype = np.float64 if input_dtype is None else input_dtype
    if np.issubdtype(dtype, np.integer):
        return np.zeros(shape, dtype=dtype)
    return np.random.default_rng(0).random(shape).astype(dtype)


def summarize(model: Any, input_shape: Any, input_dtype: Any = None) -> list[LayerInfo]:
    """Run ``model`` once and record every layer call (see the module docstring).

    Args:
        model: a ``torch.nn.Module`` or a ``dlcourse.nn.Module``.
        input_shape: shape of one input batch *including* the batch axis, e.g. ``(1, 1, 28, 28)``;
            or an example input (tensor / array) to use as is.
        input_dtype: dtype of the generated input; default: the parameters' dtype, or
            ``torch.long`` token ids when the first layer is an ``nn.Embedding``.

    Returns:
        ``[LayerInfo, ...]`` in execution order, starting with an ``"input"`` entry.
    """
    x = _example_input(model, input_shape, input_dtype)
    records: list[LayerInfo] = [LayerInfo("input", "Input", _first_shape(x), 0)]
    if is_torch(model):
        import torch

        handles = []
        for name, module in _torch_units(model):
            n_params = sum(p.numel() for p in module.parameters())

            def hook(
                mod: Any,
                args: Any,
                out: Any,
                name: str = name,
                n_params: int = n_params,
            ) -> None:
                records.append(
                    LayerInfo(name, type(mod).__name__, _first_shape(out), n_params)
                )

            handles.append(module.register_forward_hook(hook))
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                model(x)
        finally:
            for h in handles:
                h.remove()
            model.train(was_training)
        return records

    from dlcourse.autograd import no_grad

    wrapped = []
    for name, module in _dl_units(model):
        n_params = int(sum(p.data.size for p in module.parameters()))

        def recording(
            *args: Any,
            _m: Any = module,
            _name: str = name,
            _n: int = n_params,
            **kw: Any,
        ) -> Any:
            out = type(_m).forward(_m, *args, **kw)
            records.append(LayerInfo(_name, type(_m).__name__, _first_shape(out), _n))
            return out

        module.forward = recording  # instance attribute shadows the class's forward
        wrapped.append(module)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(x)
    finally:
        for module in wrapped:
            del module.forward
        model.train(was_training)
    return records


def _total_params(model: Any) -> int:
    if is_torch(model):
        return int(sum(p.numel() for p in model.parameters()))
    return int(sum(p.data.size for p in model.parameters()))


def _fmt_shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape) if shape else "–"


def draw_architecture(
    model: Any,
    input_shape: Any,
    ax: plt.Axes | None = None,
    input_dtype: Any = None,
    title: str | None = None,
    fontsize: float = 7.0,
) -> plt.Figure:
    """Draw ``model`` as a left-to-right stack of boxes, one per layer call.

    Each box shows the layer type, its output shape (batch axis first) and its parameter
    count; a box's height grows with the logarithm of the number of numbers it outputs,
    so the picture shows the data shrinking or growing through the network. The title
    gives the total parameter count. Arguments as in :func:`summarize`.

    Returns the matplotlib Figure (drawn into ``ax`` when given).
    """
    layers = summarize(model, input_shape, input_dtype)
    total = _total_params(model)
    n = len(layers)
    if ax is None:
        _, ax = plt.subplots(figsize=(min(9.0, 1.0 + 0.62 * n), 3.2))
    sizes = np.array(
        [max(int(np.prod(layer.output_shape)), 1) for layer in layers], dtype=float
    )
    heights = 1.2 + 1.8 * np.log(sizes) / max(np.log(sizes.max()), 1e-9)
    width, gap = 0.78, 0.42
    kinds_seen: dict[str, None] = {}
    for i, (layer, h) in enumerate(zip(layers, heights)):
        x0 = i * (width + gap)
        color = KIND_COLORS[layer.kind]
        kinds_seen.setdefault(layer.kind)
        ax.add_patch(
            FancyBboxPatch(
                (x0, -h / 2),
                width,
                h,
                boxstyle="round,pad=0.02,rounding_size=0.08",
                facecolor=color,
                alpha=0.35,
                edgecolor=color,
                linewidth=1.4,
            )
        )
        params = "" if layer.type == "Input" else f"\n{layer.n_params:,} params"
        ax.text(
            x0 + width / 2,
            0,
            f"{layer.type}\n{_fmt_shape(layer.output_shape)}{params}",
            rotation=90,
            ha="center",
            va="center",
            fontsize=fontsize,
            linespacing=1.25,
        )
        if i:
            ax.annotate(
                "",
                xy=(x0 - 0.03, 0),
                xytext=(x0 - gap + 0.03, 0),
                arrowprops={"arrowstyle": "->", "color": "#444444", "lw": 0.9},
            )
    accounted = sum(
        {layer.name: layer.n_params for layer in layers[1:]}.values()
    )  # each unit once
    note = ""
    if (
        accounted != total
    ):  # parameters held by the root model itself, or by layers never called
        note = f" ({total - accounted:+,} not in a drawn layer)"
    name = title if title is not None else type(model).__name__
    ax.set_title(f"{name}: {total:,} parameters{note}", fontsize=fontsize + 2)
    ax.set_xlim(-0.2, n * (width + gap) - gap + 0.2)
    ax.set_ylim(-heights.max() / 2 - 0.45, heights.max() / 2 + 0.2)
    ax.set_aspect("auto")
    ax.axis("off")
    kinds = [k for k in KIND_COLORS if k in kinds_seen and k != "input"]
    handles = [
        plt.Rectangle(
            (0, 0), 1, 1, facecolor=KIND_COLORS[k], alpha=0.5, edgecolor=KIND_COLORS[k]
        )
        for k in kinds
    ]
    ax.legend(
        handles,
        kinds,
        loc="lower center",
        ncol=len(handles),
        fontsize=fontsize,
        frameon=False,
        bbox_to_anchor=(0.5, -0.08),
        handlelength=1.2,
    )
    figure = ax.get_figure(root=True)
    assert figure is not None  # ax was drawn in a figure above
    return figure

"""The package's own code, shown in a notebook and on the book's pages.

The chapters never copy the package's code into their text: a chapter cell runs
``show_source(SGD._update)`` and the reader sees the function as it is in the installed
package, so the book and the code cannot drift apart. The same cell works in JupyterLab,
Colab and on the static page:

* Jupyter and Colab render the HTML form (colours by Pygments, inline styles, no stylesheet
  needed);
* the book renders the Markdown form, a fenced ``python`` block that Sphinx highlights like
  every other code block of the page (``_config.yml`` ranks ``text/markdown`` first for HTML).

Every chapter that shows the package's code uses it; the introduction explains why.

See chapter: Deep Learning, from the neuron to the Transformer (book/intro.md); The
artificial neuron (book/01_neuron.ipynb)
"""

from __future__ import annotations

import html
import inspect
import textwrap
from pathlib import Path
from typing import Any

__all__ = ["SourceCode", "show_source"]


class SourceCode:
    """The source code of one function, class or method of an installed package.

    Attributes:
        name: the dotted name, e.g. ``"dlcourse.optim.SGD._update"``.
        path: the file relative to the package's parent folder, e.g. ``"dlcourse/optim.py"``.
        first_line: the line number of the definition's first line in that file.
        code: the definition's source, dedented (a method reads like a function).
    """

    def __init__(self, obj: Any) -> None:
        target: Any = obj.fget if isinstance(obj, property) else obj
        target = inspect.unwrap(target)
        try:
            lines, self.first_line = inspect.getsourcelines(target)
            filename = inspect.getsourcefile(target)
        except (OSError, TypeError) as err:
            raise TypeError(
                f"show_source: no source code for {obj!r} ({err})"
            ) from None
        module = inspect.getmodule(target)
        module_name = module.__name__ if module else "?"
        self.name = f"{module_name}.{getattr(target, '__qualname__', repr(target))}"
        self.path = _relative_path(Path(filename or "?"), module_name)
        self.code = textwrap.dedent("".join(lines)).rstrip("\n")

    @property
    def caption(self) -> str:
        return f"{self.name} (in {self.path}, line {self.first_line})"

    def _repr_markdown_(self) -> str:
        return f"`{self.caption}`\n\n```python\n{self.code}\n```\n"

    def _repr_html_(self) -> str:
        caption = f"<p><code>{html.escape(self.caption)}</code></p>"
        try:
            from pygments import highlight
            from pygments.formatters import HtmlFormatter
            from pygments.lexers import PythonLexer
        except ImportError:  # Pygments comes with IPython; without it, plain text
            return f"{caption}<pre>{html.escape(self.code)}</pre>"
        formatter = HtmlFormatter(noclasses=True, style="default", nobackground=True)
        return caption + highlight(self.code, PythonLexer(), formatter)

    def __str__(self) -> str:
        return f"# {self.caption}\n{self.code}"

    def __repr__(self) -> str:
        return str(self)


def show_source(obj: Any) -> SourceCode:
    """The source code of ``obj`` (a function, class, method or property), for display.

    The last expression of a notebook cell is displayed, so ``show_source(Linear.forward)``
    on its own shows the highlighted code; ``print(show_source(...))`` gives plain text.
    """
    return SourceCode(obj)


def _relative_path(filename: Path, module_name: str) -> str:
    """``.../site-packages/dlcourse/optim.py`` -> ``dlcourse/optim.py``."""
    depth = module_name.count(".") + (filename.stem == "__init__")
    parts = filename.parts[-(depth + 1) :]
    return "/".join(parts)

"""The package's chapter links, checked, and the book page "Where each idea lives".

Every module of ``dlcourse`` names, in its docstring, the chapter that explains it, in one
machine-checkable form (the entry may wrap onto the following lines; a blank line ends it)::

    See chapter: Backpropagation (book/07_backpropagation.ipynb)
    See chapter: Convolutional networks (book/11_cnn.ipynb#chap-cnn)
    See chapter: The artificial neuron (book/01_neuron.ipynb); Gradient descent (book/06_gradient_descent.ipynb)

Each link is ``Name (path[#label])``, several joined by ``; ``. A link resolves when the file
exists, ``Name`` is its title (the first ``# `` heading) or the part of the title before its
first ``": "`` ("Loss functions" for "Loss functions: how wrong is the network?"), and the
MyST label ``(label)=``, if given, is defined in that file. ``tests/test_chapter_links.py``
checks every module; this script also writes ``book/where_ideas_live.md`` from the same links
and each module's ``__all__``::

    python scripts/where_ideas_live.py            # rewrite the page (make ideas)
    python scripts/where_ideas_live.py --check    # exit 1 if the page is stale
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "where_ideas_live.md"
PACKAGE = "dlcourse"

# Modules that explain no idea of their own: (name, why). Each still gets checked if it has
# a "See chapter" line; listed here, it may go without one.
INTERNAL: dict[str, str] = {}

_MARKER = "See chapter:"
_LINK = re.compile(
    r"(?P<name>[^;()]+?) \((?P<path>[\w./-]+?)(?:#(?P<label>[\w.:-]+))?\)"
)
_LABEL = re.compile(r"^\((?P<label>[\w.:-]+)\)=\s*$", re.MULTILINE)
_ROLE = re.compile(
    r":[\w:]+:`~?([^`]+)`"
)  # :func:`x` (reST) reads as ``x`` in Markdown
_REPR_MAX = 70


@dataclass(frozen=True)
class ChapterLink:
    """One ``Name (path#label)`` of a "See chapter" line."""

    name: str
    path: str
    label: str | None = None


def chapter_links(docstring: str | None) -> list[ChapterLink]:
    """The links of the docstring's "See chapter" entry, in order.

    Raises ``ValueError`` when there is no entry or it is not a ``; ``-joined list of
    ``Name (path[#label])``.
    """
    lines = (docstring or "").splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip().startswith(_MARKER)]
    if not starts:
        raise ValueError(f'no "{_MARKER}" line')
    if len(starts) > 1:
        raise ValueError(f'{len(starts)} "{_MARKER}" lines; join the links with "; "')
    entry = [lines[starts[0]].strip()[len(_MARKER) :]]
    for line in lines[starts[0] + 1 :]:
        if not line.strip():
            break
        entry.append(line)
    text = " ".join(part.strip() for part in entry).strip()
    links = []
    for item in text.split(";"):
        match = _LINK.fullmatch(item.strip())
        if match is None:
            raise ValueError(
                f'"{_MARKER} {text}": {item.strip()!r} is not "Name (book/file#label)"'
            )
        links.append(ChapterLink(match["name"], match["path"], match["label"]))
    return links


def _markdown(path: Path) -> str:
    """The Markdown text of a page: a .md file, or a notebook's Markdown cells."""
    if path.suffix != ".ipynb":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n\n".join(
        "".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown"
    )


def page_title(path: Path) -> str:
    """The first ``# `` heading of a page (a .md file or a notebook)."""
    for line in _markdown(path).splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise ValueError(f"{path}: no '# ' heading")


def page_labels(path: Path) -> set[str]:
    """The MyST targets ``(label)=`` a page defines."""
    return set(_LABEL.findall(_markdown(path)))


def link_problems(link: ChapterLink, root: Path = ROOT) -> list[str]:
    """What is wrong with ``link`` (an empty list when it resolves)."""
    path = root / link.path
    if not path.is_file():
        return [f"{link.path}: no such file"]
    title = page_title(path)
    problems = []
    if link.name not in (title, title.split(": ", 1)[0]):
        problems.append(f"{link.path} is titled {title!r}, not {link.name!r}")
    if link.label is not None and link.label not in page_labels(path):
        problems.append(f"{link.path} defines no label ({link.label})=")
    return problems


def package_modules(package: str = PACKAGE) -> list[ModuleType]:
    """The package and every module under it, imported, in name order."""
    root = importlib.import_module(package)
    names = [package] + [
        info.name for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}.")
    ]
    return [importlib.import_module(name) for name in sorted(names)]


def _public_names(module: ModuleType) -> list[str]:
    return [str(name) for name in getattr(module, "__all__", [])]


def _attribute_docstrings(module: ModuleType) -> dict[str, str]:
    """``NAME = ...`` followed by a string literal: that string documents ``NAME``."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError, SyntaxError):
        return {}
    docs = {}
    for node, after in zip(tree.body, tree.body[1:]):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        if (
            isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs.update(
                {t.id: after.value.value for t in targets if isinstance(t, ast.Name)}
            )
    return docs


def _first_paragraph(text: str | None) -> str:
    paragraph = inspect.cleandoc(text or "").split("\n\n", 1)[0]
    return " ".join(paragraph.split())


def _is_short_literal(text: str) -> bool:
    """A one-line Python literal (never an address like ``<object at 0x...>``)."""
    if len(text) > _REPR_MAX or "\n" in text:
        return False
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return False
    return True


def _summary(module: ModuleType, name: str) -> str:
    obj = getattr(module, name)
    if inspect.isroutine(obj) or inspect.isclass(obj) or inspect.ismodule(obj):
        text = _first_paragraph(inspect.getdoc(obj))
    else:
        text = _first_paragraph(_attribute_docstrings(module).get(name))
        if not text:
            shown = repr(obj)
            text = (
                f"``{shown}``"
                if _is_short_literal(shown)
                else f"a {type(obj).__name__}"
            )
    return _ROLE.sub(r"``\1``", text).replace("|", r"\|")


def _defined_below(module: ModuleType, name: str, modules: list[ModuleType]) -> bool:
    """Whether a package re-exports ``name`` from one of its modules that lists it too."""
    prefix = module.__name__ + "."
    return any(
        sub.__name__.startswith(prefix) and name in _public_names(sub)
        for sub in modules
    )


def _chapter_order(path: str) -> tuple[int, str]:
    """The introduction, then the chapters by number, then the other pages."""
    stem = Path(path).stem
    number = stem.split("_", 1)[0]
    return (-1 if stem == "intro" else int(number) if number.isdigit() else 100, stem)


def render_page(modules: list[ModuleType], root: Path = ROOT) -> str:
    """The Markdown of book/where_ideas_live.md: per chapter, its modules and their names."""
    by_chapter: dict[str, list[ModuleType]] = {}
    for module in modules:
        if module.__name__ in INTERNAL:
            continue
        try:
            links = chapter_links(module.__doc__)
        except ValueError:
            continue  # tests/test_chapter_links.py reports it; the page shows the rest
        for link in links:
            by_chapter.setdefault(link.path, []).append(module)
    out = [
        "(where-ideas-live)=",
        "# Where each idea lives",
        "",
        "Each chapter's ideas are code in the `dlcourse` package. This page lists, chapter by",
        "chapter, the modules that name it in their docstring (the line `See chapter: ...`) and",
        "the public functions and classes of each (its `__all__`), with the first lines of",
        "their documentation. Read a module next to its chapter, or show a function's code in",
        "a notebook with `show_source`.",
        "",
        "```{note}",
        "This page is generated from the package by `scripts/where_ideas_live.py` (`make ideas`);",
        "`tests/test_chapter_links.py` fails when it is out of date.",
        "```",
    ]
    for path in sorted(by_chapter, key=_chapter_order):
        doc = Path(path).relative_to("book").with_suffix("").as_posix()
        kind = "Chapter" if doc[:2].isdigit() else "Page"
        out += ["", f"## {page_title(root / path)}", "", f"{kind}: {{doc}}`{doc}`"]
        for module in by_chapter[path]:
            summary = _ROLE.sub(r"``\1``", _first_paragraph(module.__doc__))
            summary = summary.replace("|", r"\|")
            out += ["", f"**`{module.__name__}`**: {summary}"]
            names = [
                name
                for name in _public_names(module)
                # a submodule, or a name a submodule lists, has its own entry
                if not inspect.ismodule(getattr(module, name))
                and not _defined_below(module, name, modules)
            ]
            if names:
                out += ["", "| Name | What it is |", "| --- | --- |"]
                out += [f"| `{name}` | {_summary(module, name)} |" for name in names]
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    text = render_page(package_modules())
    if "--check" in argv:
        if not PAGE.is_file() or PAGE.read_text(encoding="utf-8") != text:
            print(
                f"{PAGE.relative_to(ROOT)} is stale: run `make ideas`", file=sys.stderr
            )
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

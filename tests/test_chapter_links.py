"""Every module of dlcourse points at the chapter that explains it, and the link resolves.

The form of a link and the rules it must pass are in ``scripts/where_ideas_live.py``; the
same script writes the book page "Where each idea lives", which must be up to date.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "where_ideas_live", ROOT / "scripts" / "where_ideas_live.py"
)
assert _spec is not None and _spec.loader is not None
ideas = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = ideas  # dataclasses look their module up there
_spec.loader.exec_module(ideas)


def _module_names() -> list[str]:
    import dlcourse

    return [
        "dlcourse",
        *sorted(
            info.name
            for info in pkgutil.walk_packages(dlcourse.__path__, prefix="dlcourse.")
        ),
    ]


@pytest.mark.parametrize("name", _module_names())
def test_module_links_to_an_existing_chapter(name: str) -> None:
    if name in ideas.INTERNAL:
        pytest.skip(ideas.INTERNAL[name])
    module = importlib.import_module(name)
    links = ideas.chapter_links(module.__doc__)
    problems = [problem for link in links for problem in ideas.link_problems(link)]
    assert not problems, f"{name}: {problems}"


def test_internal_modules_exist_and_say_why() -> None:
    names = set(_module_names())
    for name, why in ideas.INTERNAL.items():
        assert name in names and why.strip(), name


# ---------------------------------------------------------------- the rules, one by one
def _links(doc: str) -> list[ideas.ChapterLink]:
    return ideas.chapter_links(doc)


def test_a_link_names_title_file_and_label() -> None:
    doc = """Summary.

    See chapter: Convolutional networks (book/11_cnn.ipynb#chap-cnn); Loss functions
    (book/05_losses.ipynb)

    More text.
    """
    assert _links(doc) == [
        ideas.ChapterLink("Convolutional networks", "book/11_cnn.ipynb", "chap-cnn"),
        ideas.ChapterLink("Loss functions", "book/05_losses.ipynb", None),
    ]
    # "Loss functions" is the part of "Loss functions: how wrong is the network?" before ":"
    assert all(not ideas.link_problems(link) for link in _links(doc))


@pytest.mark.parametrize(
    "line, problem",
    [
        ("CNNs (book/11_cnn.ipynb)", "titled 'Convolutional networks', not 'CNNs'"),
        ("Convolutional networks (book/10_cnns.ipynb)", "no such file"),
        ("Convolutional networks (book/11_cnn.ipynb#pooling)", "no label (pooling)="),
        ("Why now: data (book/09_why_now.ipynb)", "not 'Why now: data'"),
    ],
)
def test_a_broken_link_is_reported(line: str, problem: str) -> None:
    (link,) = _links(f"See chapter: {line}")
    assert any(problem in p for p in ideas.link_problems(link)), ideas.link_problems(
        link
    )


@pytest.mark.parametrize(
    "doc",
    [
        "No link at all.",
        "See chapter: Convolutional networks",  # free text, no file
        "See chapter: Convolutional networks (book/11_cnn.ipynb), and more",
        "See chapter: A (book/01_neuron.ipynb)\nSee chapter: B (book/02_activations.ipynb)",
    ],
)
def test_a_malformed_entry_is_an_error(doc: str) -> None:
    with pytest.raises(ValueError):
        ideas.chapter_links(doc)


# ---------------------------------------------------------------- the generated page
def test_where_ideas_live_page_is_up_to_date() -> None:
    expected = ideas.render_page(ideas.package_modules())
    assert ideas.PAGE.read_text(encoding="utf-8") == expected, (
        "book/where_ideas_live.md is stale: run `make ideas`"
    )


def test_where_ideas_live_page_is_in_the_book() -> None:
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    assert "file: book/where_ideas_live" in toc

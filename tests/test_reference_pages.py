"""The book's reference material: bibliography, glossary, notation and the closing map.

Sphinx only warns about a citation key that is missing from references.bib; it says nothing
about an entry nobody cites, a glossary term no chapter can reach, or a chapter left off the map
of "Where to go next". These tests check both directions on the sources, without building.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from pybtex.database import parse_file

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
REFERENCE_PAGES = ["book/glossary", "book/notation", "book/references", "book/next"]

# {cite}`k`, {cite:p}`k1,k2`, {cite:t}`{pre}k{post}` ... (sphinxcontrib-bibtex's target syntax)
CITE_ROLE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
CITE_TARGET = re.compile(r"^\s*(?:\{[^{}]+\})?\s*([^{}\s,]+)\s*(?:\{[^{}]+\})?\s*$")
TERM_ROLE = re.compile(r"\{term\}`([^`]+)`")
REF_ROLE = re.compile(r"\{ref\}`(?:[^`<]*<)?([^`<>]+)>?`")


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc["parts"]:
        files += [c["file"] for c in part["chapters"]]
    return files


def source_of(file: str) -> Path | None:
    for suffix in (".md", ".ipynb"):
        path = ROOT / f"{file}{suffix}"
        if path.is_file():
            return path
    return None


def markdown_of(path: Path) -> str:
    """The MyST text of a page: a .md file, or a notebook's markdown cells."""
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    nb = json.loads(path.read_text(encoding="utf-8"))
    return "\n\n".join(
        "".join(cell["source"])
        for cell in nb["cells"]
        if cell["cell_type"] == "markdown"
    )


def book_pages() -> dict[str, str]:
    """Every page the toc builds that exists on disk, by toc name."""
    pages = {}
    for file in toc_files():
        path = source_of(file)
        if path is not None:
            pages[file] = markdown_of(path)
    return pages


def cite_keys(text: str) -> list[str]:
    keys = []
    for targets in CITE_ROLE.findall(text):
        # split on commas outside {pre}/{post} braces
        for target in re.split(r",(?![^{]*\})", targets):
            match = CITE_TARGET.match(target)
            assert match, f"malformed citation target {target!r} in {targets!r}"
            keys.append(match.group(1))
    return keys


def term_targets(text: str) -> list[str]:
    out = []
    for content in TERM_ROLE.findall(text):
        explicit = re.match(r"^(.*?)\s*<([^<>]+)>$", content, re.S)
        out.append((explicit.group(2) if explicit else content).strip())
    return out


def glossary_entries(text: str) -> list[tuple[list[str], str]]:
    """(terms, definition) for every entry of the {glossary} directive."""
    block = re.search(r"```\{glossary\}\n(.*?)\n```", text, re.S)
    assert block, "book/glossary.md has no {glossary} directive"
    entries: list[tuple[list[str], str]] = []
    terms: list[str] = []
    body: list[str] = []
    for line in block.group(1).splitlines():
        if line.startswith(":") or not line.strip():
            continue
        if line[0].isspace():
            body.append(line.strip())
        else:
            if body:
                entries.append((terms, " ".join(body)))
                terms, body = [], []
            terms.append(line.strip())
    if terms:
        entries.append((terms, " ".join(body)))
    return entries


BIB_KEYS = set(parse_file(str(ROOT / "references.bib")).entries.keys())
PAGES = book_pages()
GLOSSARY = glossary_entries((BOOK / "glossary.md").read_text(encoding="utf-8"))
GLOSSARY_TERMS = [t.lower() for terms, _ in GLOSSARY for t in terms]


def test_parsers_see_what_is_there():
    """The extractors find roles in synthetic text (so the checks below cannot pass vacuously)."""
    text = "see {cite:t}`a2000` and {cite:p}`b2001{eq. 1},{see}c2002` or {cite}`d2003`"
    assert cite_keys(text) == ["a2000", "b2001", "c2002", "d2003"]
    assert term_targets("a **{term}`weights <weight>`** and {term}`bias`") == [
        "weight",
        "bias",
    ]
    entries = glossary_entries(
        "```{glossary}\n:sorted:\n\nMLP\nmlp net\n  A net.\n  More.\n\nb\n  B.\n```"
    )
    assert entries == [(["MLP", "mlp net"], "A net. More."), (["b"], "B.")]


def test_the_book_uses_the_reference_material():
    cited = {k for text in PAGES.values() for k in cite_keys(text)}
    terms = [t for text in PAGES.values() for t in term_targets(text)]
    assert len(BIB_KEYS) >= 50 and len(cited) >= 50
    assert len(GLOSSARY) >= 60 and len(terms) >= 60


def test_toc_lists_the_reference_pages():
    files = toc_files()
    for page in REFERENCE_PAGES:
        assert page in files, f"{page} is not in _toc.yml"
        assert source_of(page) is not None, f"{page}.md does not exist"
    # "Where to go next" closes Part V, right after the applications chapter
    assert files.index("book/next") == files.index("book/15_applications") + 1


def test_config_loads_the_bibliography():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["bibtex_bibfiles"] == ["references.bib"]


def test_one_bibliography_for_the_whole_book():
    pages = [
        f for f, text in PAGES.items() if re.search(r"^```\{bibliography\}", text, re.M)
    ]
    assert pages == ["book/references"]


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_citation_is_in_references_bib(page):
    missing = sorted(set(cite_keys(PAGES[page])) - BIB_KEYS)
    assert not missing, f"{page} cites keys missing from references.bib: {missing}"


def test_every_bib_entry_is_cited():
    cited = {k for text in PAGES.values() for k in cite_keys(text)}
    uncited = sorted(BIB_KEYS - cited)
    assert not uncited, f"references.bib entries cited nowhere in the book: {uncited}"


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_term_has_a_glossary_entry(page):
    missing = sorted(
        {t for t in term_targets(PAGES[page]) if t.lower() not in GLOSSARY_TERMS}
    )
    assert not missing, f"{page} links terms the glossary does not define: {missing}"


def test_glossary_entries_are_unique_and_say_where_they_are_introduced():
    duplicates = sorted({t for t in GLOSSARY_TERMS if GLOSSARY_TERMS.count(t) > 1})
    assert not duplicates, f"glossary terms defined twice: {duplicates}"
    labels = set(re.findall(r"^\((chap-[a-z-]+)\)=", "\n".join(PAGES.values()), re.M))
    for terms, definition in GLOSSARY:
        assert 20 <= len(definition) <= 600, (
            f"{terms}: definition of {len(definition)} characters"
        )
        chapters = [r for r in REF_ROLE.findall(definition) if r.startswith("chap-")]
        assert chapters, f"glossary entry {terms} names no chapter"
        unknown = [c for c in chapters if c not in labels and c != "chap-applications"]
        assert not unknown, (
            f"glossary entry {terms} refers to unknown chapters {unknown}"
        )


def test_chapters_link_their_defining_terms():
    """Each chapter links a handful of glossary terms, each chapter its own ones."""
    seen: dict[str, str] = {}
    for page, text in PAGES.items():
        if not re.match(r"book/\d\d_", page) or page == "book/15_applications":
            continue
        terms = [t.lower() for t in term_targets(text)]
        assert 3 <= len(terms) <= 12, f"{page} links {len(terms)} glossary terms"
        for t in terms:
            assert t not in seen or seen[t] == page, (
                f"{t!r} linked in {seen.get(t)} and {page}"
            )
            seen[t] = page


def test_notation_page_has_the_core_symbols():
    text = markdown_of(BOOK / "notation.md")
    rows = [line for line in text.splitlines() if line.startswith("| $")]
    assert len(rows) >= 40
    for symbol in [
        r"\mathbf{x}",
        r"\mathbf{w}",
        r"$b$",
        "$W",
        r"\mathbf{h}",
        r"\hat y",
        "$L$",
        r"\eta",
        r"\nabla L",
        r"\sigma(z)",
        r"\odot",
        r"\operatorname{softmax}",
    ]:
        assert symbol in text, f"notation page lacks {symbol}"


def test_next_maps_every_chapter():
    text = markdown_of(BOOK / "next.md")
    linked = set(REF_ROLE.findall(text))
    for file in toc_files():
        if not re.match(r"book/\d\d_", file):
            continue
        path = source_of(file)
        label = (
            re.search(r"^\((chap-[a-z-]+)\)=", markdown_of(path), re.M).group(1)
            if path
            else "chap-applications"
        )
        assert label in linked, f"'Where to go next' does not link {file} ({label})"

"""Every internal link and anchor of the built book resolves (reads the HTML from `make book`)."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

pytestmark = pytest.mark.browser


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in ("img", "script") and attrs.get("src"):
            self.links.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.links.append(attrs["href"])


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def _built_pages() -> list[Path]:
    if not (HTML / "index.html").is_file():
        if IN_CI:
            pytest.fail(f"no built book at {HTML}: run `make book` first")
        pytest.skip(f"no built book at {HTML}: run `make book` first")
    return sorted(p for p in HTML.rglob("*.html") if "_static" not in p.parts)


def test_every_internal_link_and_anchor_resolves():
    pages = _built_pages()
    parsed = {p: _parse(p) for p in pages}
    broken: list[str] = []
    checked = 0
    for page, info in parsed.items():
        for link in info.links:
            url = urlparse(link)
            if url.scheme or link.startswith(("//", "mailto:", "javascript:", "data:")):
                continue  # external: launch buttons, the repository (not reachable offline)
            target_path, fragment = urldefrag(link)
            target = (
                (page.parent / unquote(target_path.split("?")[0])).resolve()
                if target_path
                else page
            )
            checked += 1
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(HTML)}: {link} (no such file)")
                continue
            if fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if unquote(fragment) not in ids:
                    broken.append(
                        f"{page.relative_to(HTML)}: {link} (no anchor #{fragment})"
                    )
    assert checked > 500, f"only {checked} internal links found: is the book built?"
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(
        broken[:50]
    )


def test_launch_buttons_open_the_right_notebooks():
    """Each chapter's Colab and Binder buttons open that chapter's notebook, and its exercise links
    open the student copy of its exercises; every notebook they name is in the repository."""
    pages = [
        p for p in _built_pages() if p.parent.name == "book" and p.stem[:2].isdigit()
    ]
    assert len(pages) >= 13
    for page in pages:
        links = [
            link
            for link in _parse(page).links
            if "colab.research.google.com" in link or "mybinder.org" in link
        ]
        chapter = f"book/{page.stem}.ipynb"
        exercises = f"student/{page.stem}.ipynb"
        for kind in ("colab.research.google.com", "mybinder.org"):
            targets = {link for link in links if kind in link}
            assert any(link.endswith(chapter) for link in targets), (
                f"{page.name}: no {kind} button for {chapter}"
            )
            assert any(link.endswith(exercises) for link in targets), (
                f"{page.name}: no {kind} link to {exercises}"
            )
        for link in links:
            named = re.search(r"((?:book|student|exercises)/[\w-]+\.ipynb)$", link)
            assert named and (ROOT / named.group(1)).is_file(), (
                f"{page.name}: {link} names no notebook of ours"
            )

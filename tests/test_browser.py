"""The built book, as a reader sees it: served on loopback and opened in headless Chromium.

Each page must load with no network at all (every request outside 127.0.0.1 is blocked and
counted as a failure), raise no JavaScript error, load every image, and typeset every equation
(MathJax is vendored under ``_static/mathjax``). A screenshot of each page is saved under
``_build/screenshots/`` so a maintainer can look at it.

Needs the HTML from ``make book`` and a Chromium binary (``make browser-deps``). Outside CI the
module is skipped with a reason when either is missing; under ``CI=true`` that is a failure.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

pytestmark = pytest.mark.browser


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _pages() -> list[str]:
    if not HTML.is_dir():
        return []
    pages = sorted(p.name for p in HTML.glob("*.html") if p.name != "index.html")  # search, genindex
    pages += sorted(str(p.relative_to(HTML)) for p in (HTML / "book").glob("*.html"))
    return pages


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").is_file():
        _unavailable(f"no built book at {HTML}: run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest's output readable
        pass


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        _unavailable("no Chromium binary: run `make browser-deps` (Debian: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def _open(browser, url: str):
    """Open ``url`` offline; returns (page, problems) where problems collects every failure."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []

    def route(route):
        host = urlparse(route.request.url).hostname
        if host in {"127.0.0.1", "localhost"} or route.request.url.startswith("data:"):
            route.continue_()
        else:
            problems.append(f"page asked the network for {route.request.url}")
            route.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda exc: problems.append(f"JavaScript error: {exc}"))
    page.on(
        "console",
        lambda msg: problems.append(f"console error: {msg.text}") if msg.type == "error" else None,
    )
    page.on(
        "requestfailed",
        lambda req: problems.append(f"failed to load {req.url}: {req.failure}")
        if urlparse(req.url).hostname == "127.0.0.1"
        else None,
    )
    page.goto(url, wait_until="load")
    return page, problems


WAIT_FOR_MATHJAX = """
async () => {
  if (!window.MathJax) return {loaded: false};
  if (!MathJax.startup || !MathJax.startup.promise) {
    await new Promise(r => setTimeout(r, 500));
  }
  await MathJax.startup.promise;
  return {
    loaded: true,
    containers: document.querySelectorAll('mjx-container').length,
    errors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
  };
}
"""

IMAGES = """
() => Array.from(document.images).map(img => ({
  src: img.currentSrc || img.src, ok: img.complete && img.naturalWidth > 0,
  alt: img.getAttribute('alt') || '',
}))
"""

COUNT_MATH = """
() => document.querySelectorAll('span.math, div.math').length
"""


@pytest.mark.parametrize("page_path", _pages() or ["book/intro.html"])
def test_page_renders_offline(browser, server, page_path):
    page, problems = _open(browser, f"{server}/{page_path}")
    try:
        n_math = page.evaluate(COUNT_MATH)
        if n_math:
            mathjax = page.evaluate(WAIT_FOR_MATHJAX)
            assert mathjax["loaded"], f"{page_path}: {n_math} equations but MathJax did not load"
            assert mathjax["containers"] >= n_math, (
                f"{page_path}: {n_math} equations on the page, only "
                f"{mathjax['containers']} typeset"
            )
            assert mathjax["errors"] == 0, f"{page_path}: {mathjax['errors']} equations failed"
        page.wait_for_load_state("networkidle")
        images = page.evaluate(IMAGES)
        broken = [img["src"] for img in images if not img["ok"]]
        assert not broken, f"{page_path}: images that did not load: {broken}"
        # A figure's alt text describes it; myst-nb's fallback (the file's path) describes nothing.
        no_alt = [img["src"][-60:] for img in images
                  if not img["alt"].strip() or re.search(r"\.(png|svg|jpe?g)$", img["alt"].strip())]
        assert not no_alt, f"{page_path}: images without a real alt text: {no_alt}"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / (page_path.replace("/", "_") + ".png")), full_page=True)
        assert not problems, f"{page_path}:\n" + "\n".join(problems)
        _check_animations(page, page_path)
    finally:
        page.close()


ANIMATION_FRAMES = """
() => Array.from(document.querySelectorAll('img[id^="_anim_img"]')).map(img => img.src)
"""


def _check_animations(page, page_path: str) -> None:
    """Every animation's Play button advances its frames (matplotlib's to_jshtml player)."""
    before = page.evaluate(ANIMATION_FRAMES)
    buttons = page.locator('button[title="Play"]')
    assert buttons.count() == len(before), f"{page_path}: an animation has no Play button"
    for i in range(len(before)):
        buttons.nth(i).scroll_into_view_if_needed()
        buttons.nth(i).click()
    if before:
        page.wait_for_timeout(1500)
        after = page.evaluate(ANIMATION_FRAMES)
        frozen = [i for i, (a, b) in enumerate(zip(before, after)) if a == b]
        assert not frozen, f"{page_path}: animations {frozen} did not advance after Play"
        for i in range(len(before)):  # the symbols on the buttons are visible text
            assert buttons.nth(i).inner_text().strip(), f"{page_path}: Play button has no icon"


def test_every_chapter_page_was_built():
    """Each chapter in the table of contents has its page (guards against a silently empty book)."""
    if not HTML.is_dir():
        _unavailable(f"no built book at {HTML}: run `make book` first")
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    for file in files:
        name = "index.html" if file == toc["root"] else f"{file}.html"
        assert (HTML / name).is_file() or (HTML / f"{file}.html").is_file(), f"{file} not built"


def test_front_page_leads_to_the_introduction(browser, server):
    page, problems = _open(browser, f"{server}/index.html")
    try:
        page.wait_for_url("**/book/intro.html", timeout=10_000)
        assert "Deep Learning" in page.title()
        assert not problems, "\n".join(problems)
    finally:
        page.close()


def test_search_finds_backpropagation(browser, server):
    """The offline search index works: searching a word the book teaches lists its chapter."""
    page, problems = _open(browser, f"{server}/search.html?q=backpropagation")
    try:
        results = page.locator("#search-results ul.search li")
        results.first.wait_for(timeout=20_000)
        titles = " ".join(results.all_inner_texts())
        assert "Backpropagation" in titles, titles[:500]
        assert not problems, "\n".join(problems)
    finally:
        page.close()

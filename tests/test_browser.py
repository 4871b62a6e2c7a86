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
import threading
from pathlib import Path
from urllib.parse import urlparse

import chromium
import pytest

ROOT = Path(__file__).resolve().parents[1]
# DLCOURSE_BOOK_HTML points the tests at another build (e.g. one made with --path-output).
HTML = Path(os.environ.get("DLCOURSE_BOOK_HTML", ROOT / "_build" / "html"))
SHOTS = HTML.parent / "screenshots"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

pytestmark = pytest.mark.browser


def _pages() -> list[str]:
    if not HTML.is_dir():
        return []
    pages = sorted(
        p.name for p in HTML.glob("*.html") if p.name != "index.html"
    )  # search, genindex
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
    executable = chromium.find()
    if executable is None:
        _unavailable(
            "no Chromium binary: run `make browser-deps` (Debian: apt-get install chromium)"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = chromium.launch(p, executable)
        yield browser
        browser.close()


def _open(browser, url: str, height: int = 900):
    """Open ``url`` offline; returns (page, problems) where problems collects every failure."""
    page = browser.new_page(viewport={"width": 1280, "height": height})
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
        lambda msg: (
            problems.append(f"console error: {msg.text}")
            if msg.type == "error"
            else None
        ),
    )
    page.on(
        "requestfailed",
        lambda req: (
            problems.append(f"failed to load {req.url}: {req.failure}")
            if urlparse(req.url).hostname == "127.0.0.1"
            else None
        ),
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

IMAGES_SETTLED = """
() => Array.from(document.images).every(img => img.complete)
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
            assert mathjax["loaded"], (
                f"{page_path}: {n_math} equations but MathJax did not load"
            )
            assert mathjax["containers"] >= n_math, (
                f"{page_path}: {n_math} equations on the page, only "
                f"{mathjax['containers']} typeset"
            )
            assert mathjax["errors"] == 0, (
                f"{page_path}: {mathjax['errors']} equations failed"
            )
        # Every image settled (loaded, or failed: `complete` covers both). Not "network
        # idle": one connection held open kept a page from it for 90 s in a fresh-clone run.
        page.wait_for_load_state("load", timeout=90_000)
        page.wait_for_function(IMAGES_SETTLED, timeout=90_000)
        images = page.evaluate(IMAGES)
        broken = [img["src"] for img in images if not img["ok"]]
        assert not broken, f"{page_path}: images that did not load: {broken}"
        # A figure's alt text describes it; myst-nb's fallback (the file's path) describes nothing.
        no_alt = [
            img["src"][-60:]
            for img in images
            if not img["alt"].strip()
            or re.search(r"\.(png|svg|jpe?g)$", img["alt"].strip())
        ]
        assert not no_alt, f"{page_path}: images without a real alt text: {no_alt}"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SHOTS / (page_path.replace("/", "_") + ".png")), full_page=True
        )
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
    assert buttons.count() == len(before), (
        f"{page_path}: an animation has no Play button"
    )
    for i in range(len(before)):
        buttons.nth(i).scroll_into_view_if_needed()
        buttons.nth(i).click()
    if before:
        page.wait_for_timeout(1500)
        after = page.evaluate(ANIMATION_FRAMES)
        frozen = [i for i, (a, b) in enumerate(zip(before, after)) if a == b]
        assert not frozen, (
            f"{page_path}: animations {frozen} did not advance after Play"
        )
        for i in range(len(before)):  # the symbols on the buttons are visible text
            assert buttons.nth(i).inner_text().strip(), (
                f"{page_path}: Play button has no icon"
            )


def test_every_chapter_page_was_built():
    """Each chapter in the table of contents has its page (guards against a silently empty book)."""
    if not HTML.is_dir():
        _unavailable(f"no built book at {HTML}: run `make book` first")
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [
        c["file"] for part in toc["parts"] for c in part["chapters"]
    ]
    for file in files:
        name = "index.html" if file == toc["root"] else f"{file}.html"
        assert (HTML / name).is_file() or (HTML / f"{file}.html").is_file(), (
            f"{file} not built"
        )


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


# --------------------------------------------------------------------------- figures
# A cell draws when it makes a figure (or an animation, or the slider's still fallback).
# Counted from the notebooks, the source of truth; the page must show each one.
DRAWS = re.compile(
    r"\bplt\.(show|subplots|figure|subplot)\(|\bdisplay\(fig\b|\banimate_\w+\(|\bto_html\("
    r"|\blr_slider\("
)
BLANK_INK = 0.005  # a figure whose pixels are 99.5 % background shows nothing


def _chapter_notebooks() -> list[Path]:
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").is_file()]


def _rendered_code_cells(notebook: Path) -> list[str]:
    """Sources of the code cells the page shows (myst-nb drops cells tagged remove-cell)."""
    import json

    cells = json.loads(notebook.read_text())["cells"]
    return [
        "".join(c["source"])
        for c in cells
        if c["cell_type"] == "code"
        and "remove-cell" not in c["metadata"].get("tags", [])
    ]


def drawing_cells(notebook: Path) -> list[int]:
    """Indices (among the page's code cells) of the cells that draw a figure."""
    return [
        i for i, src in enumerate(_rendered_code_cells(notebook)) if DRAWS.search(src)
    ]


FIGURES = """
async () => {
  const imgs = Array.from(document.querySelectorAll('article div.cell .cell_output img'));
  await Promise.all(imgs.map(img => img.decode().catch(() => null)));
  const ink = img => {
    if (!img.naturalWidth) return 0;
    const w = Math.min(img.naturalWidth, 400);
    const h = Math.max(1, Math.round(img.naturalHeight * w / img.naturalWidth));
    const canvas = document.createElement('canvas');
    canvas.width = w; canvas.height = h;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0, w, h);
    const d = ctx.getImageData(0, 0, w, h).data;
    let inked = 0;
    for (let i = 0; i < d.length; i += 4) {
      const diff = Math.abs(d[i] - d[0]) + Math.abs(d[i + 1] - d[1]) +
                   Math.abs(d[i + 2] - d[2]) + Math.abs(d[i + 3] - d[3]);
      if (diff > 60) inked++;
    }
    return inked / (w * h);
  };
  return Array.from(document.querySelectorAll('article div.cell')).map(cell =>
    Array.from(cell.querySelectorAll('.cell_output img')).map(img => ({
      loaded: img.complete && img.naturalWidth > 0,
      natural: img.naturalWidth, shown: img.getBoundingClientRect().width,
      ink: ink(img), alt: img.getAttribute('alt') || '',
    })));
}
"""


@pytest.mark.parametrize("notebook", _chapter_notebooks(), ids=lambda p: p.stem)
def test_every_drawing_cell_shows_a_sharp_figure(browser, server, notebook):
    """The built page shows, for each cell that draws, a loaded, non-blank, 2x figure."""
    expected = drawing_cells(notebook)
    sources = _rendered_code_cells(notebook)
    page, _ = _open(browser, f"{server}/book/{notebook.stem}.html")
    try:
        cells = page.evaluate(FIGURES)
    finally:
        page.close()
    assert len(cells) == len(sources), (
        f"{notebook.name}: the page has {len(cells)} code cells, the notebook {len(sources)}"
    )
    missing, faults = [], []
    for i in expected:
        where = f"cell {i} ({sources[i].strip().splitlines()[0][:50]!r})"
        if not cells[i]:
            missing.append(where)
        for fig in cells[i]:
            if not fig["loaded"]:
                faults.append(f"{where}: a figure did not load")
            elif fig["ink"] < BLANK_INK:
                faults.append(f"{where}: a blank figure ({fig['ink']:.2%} ink)")
            elif fig["natural"] < 1.9 * fig["shown"]:
                faults.append(
                    f"{where}: {fig['natural']} px drawn for {fig['shown']:.0f} px shown "
                    "(blurred on a high-resolution screen; want 2x)"
                )
    shown = sum(1 for i in expected if cells[i])
    assert not missing, (
        f"{notebook.name}: {shown} of {len(expected)} drawing cells show a figure; "
        f"nothing on the page for: {missing}"
    )
    assert not faults, f"{notebook.name}:\n" + "\n".join(faults)


# --------------------------------------------------------------------------- laptop width
OVERFLOWS = """
async () => {
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  // Folded cells ("Show code cell source") are measured opened: a reader may open them.
  document.querySelectorAll('article details').forEach(d => { d.open = true; });
  await new Promise(r => setTimeout(r, 50));
  const selector = [
    'article pre', 'article div.cell_output', 'article mjx-container[display="true"]',
    'article div.math', 'article table', 'article img',
  ].join(', ');
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const article = el.closest('article').getBoundingClientRect();
    const wide = el.scrollWidth > el.clientWidth + 1 || box.right > article.right + 1;
    if (wide) out.push(`${el.tagName.toLowerCase()} ${el.scrollWidth - el.clientWidth} px too ` +
                       `wide: ${(el.innerText || el.getAttribute('alt') || '').slice(0, 70)}`);
  }
  if (document.documentElement.scrollWidth > document.documentElement.clientWidth)
    out.push('the page itself scrolls sideways');
  return out;
}
"""


@pytest.mark.parametrize("page_path", _pages() or ["book/intro.html"])
def test_nothing_needs_sideways_scrolling_at_1280px(browser, server, page_path):
    """At a laptop's 1280x800, every code block, output, equation and table fits the page."""
    page, _ = _open(browser, f"{server}/{page_path}", height=800)
    try:
        too_wide = page.evaluate(OVERFLOWS)
    finally:
        page.close()
    assert not too_wide, f"{page_path}: {len(too_wide)} blocks overflow:\n" + "\n".join(
        too_wide
    )

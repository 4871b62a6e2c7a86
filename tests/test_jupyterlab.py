"""JupyterLab as a student gets it: ``make lab`` opened in headless Chromium, offline.

The server is started the way ``make lab`` starts it (the Makefile's recipe, on the repository
root), on a free loopback port with a random token and private Jupyter folders in a temporary
directory (settings, workspaces, runtime files, kernel specs, checkpoints, IPython's profile),
so the test neither depends on nor touches the user's Jupyter set-up and leaves nothing behind.
Autosave is off in those private settings; on top of that the page may not write through the
contents API (a save, rename or delete is blocked and fails the test), and at the end the
opened notebooks must still be stripped on disk.

* A chapter (``book/06_gradient_descent.ipynb``): Run → Run All Cells from the menu bar; then
  every cell that draws (counted from the notebook's source) shows a loaded figure, the
  learning-rate slider is the live ipywidgets view (not the static fallback picture) and
  redraws when moved, and no cell shows an error or a warning.
* A student notebook (``student/01_neuron.ipynb``): the cells above question 1 run, a wrong
  answer typed into the ``# YOUR CODE HERE`` cell gets a "✗" naming the question and no
  traceback of the package's internals; the reference answer (from ``exercises/``) gets "✓".
  The same for a multiple-choice question (judged at once in this practice copy), whose
  reference solutions and model answers stay folded.

Every request outside 127.0.0.1 is blocked and fails the test. Full-page screenshots land in
``_build/screenshots/jupyterlab-*.png``. Skipped with a reason when Chromium (or make) is
missing; under ``CI=true`` that is a failure.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import chromium
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "_build" / "screenshots"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

CHAPTER = "book/06_gradient_descent.ipynb"
STUDENT = "student/01_neuron.ipynb"
# The student notebook's instructor copy, where the reference answers are.
SOURCE = "exercises/01_neuron.ipynb"

STARTUP_S = 90  # JupyterLab answering, on a busy 2-core machine
RUN_ALL_S = 150  # the chapter runs in ~10 s on an idle machine
CELL_S = 60  # a few quick cells

pytestmark = pytest.mark.browser

# A cell draws when it makes a figure, an animation or the slider (test_browser.py's rule,
# applied to the notebook's source).
DRAWS = re.compile(
    r"\bplt\.(show|subplots|figure|subplot)\(|\bdisplay\(fig\b|\banimate_\w+\(|\bto_html\("
    r"|\blr_slider\("
)
# What the package's internals look like in a traceback.
INTERNALS = re.compile(r"Traceback|question\.py|File \"?[^\n]*dlcourse")
# JavaScript errors of JupyterLab itself, tolerated: its cell toolbar's idle-time overlap
# check sometimes reads a Markdown cell's not-yet-created `renderedInput` during Run All
# ("Cannot read properties of undefined (reading 'node')" in `_markdownOverlapsToolbar`,
# JupyterLab 4.6.6); nothing on the page changes.
KNOWN_LAB_BUGS = ("_markdownOverlapsToolbar",)

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook on screen


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _code_cells(path: str) -> list[dict]:
    for _ in range(3):
        try:
            cells = json.loads((ROOT / path).read_text())["cells"]
            return [c for c in cells if c["cell_type"] == "code"]
        except (OSError, ValueError):  # read halfway through someone's write: again
            time.sleep(0.5)
    raise AssertionError(f"cannot read {path}")


def _sources(path: str) -> list[str]:
    return ["".join(c["source"]) for c in _code_cells(path)]


def _run_traces(path: str) -> list[int]:
    """The code cells that hold outputs or an execution count on disk.

    The notebooks are committed stripped, so a save of our run would show here; unlike a
    hash, this ignores other edits made to the file while the test runs."""
    return [
        i
        for i, c in enumerate(_code_cells(path))
        if c.get("outputs") or c.get("execution_count") is not None
    ]


# --------------------------------------------------------------------------- the server
@dataclass
class Lab:
    url: str
    token: str
    log: Path
    runtime_dir: Path
    traces: dict[str, list[int]] = field(default_factory=dict)

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def log_tail(self, n: int = 30) -> str:
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        return "JupyterLab's log (last lines):\n" + "\n".join(lines[-n:])

    def session(self, path: str) -> dict | None:
        for session in self.api("/api/sessions"):
            if session.get("path") == path and session.get("kernel"):
                return session
        return None

    def kernel_state(self, path: str) -> str | None:
        session = self.session(path)
        return session["kernel"]["execution_state"] if session else None


def _settings(config_dir: Path) -> None:
    """User settings in the private config folder: no autosave, no news, no update check,
    no extension manager (nothing that writes a notebook or reaches for the network)."""
    user = config_dir / "lab" / "user-settings" / "@jupyterlab"
    overrides = {
        "docmanager-extension/plugin": {"autosave": False},
        "extensionmanager-extension/plugin": {"enabled": False},
        "apputils-extension/notification": {
            "checkForUpdates": False,
            "fetchNews": "false",
        },
    }
    for plugin, values in overrides.items():
        file = user / f"{plugin}.jupyterlab-settings"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(values))


def _processes_mentioning(marker: str) -> list[int]:
    """Processes whose command line contains ``marker``: the kernels that use our private
    runtime folder (jupyter_client starts each kernel in a session of its own)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if marker.encode() in cmdline:
            pids.append(int(entry.name))
    return pids


def _stop(proc: subprocess.Popen, lab: Lab) -> None:
    """Shut the kernels down through the API, stop make and jupyter (their process group),
    then kill any kernel of ours still there."""
    try:
        for kernel in lab.api("/api/kernels"):
            lab.api(f"/api/kernels/{kernel['id']}", method="DELETE")
    except (OSError, ValueError):
        pass
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    for pid in _processes_mentioning(str(lab.runtime_dir)):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def lab():
    if shutil.which("make") is None:
        _unavailable("no `make` on PATH: the test starts JupyterLab with `make lab`")
    if chromium.find() is None:
        _unavailable(
            "no Chromium binary: run `make browser-deps` (Debian: apt-get install chromium)"
        )
    pytest.importorskip("playwright.sync_api")
    opened = [CHAPTER, STUDENT]
    with tempfile.TemporaryDirectory(
        prefix="dlcourse-lab-", ignore_cleanup_errors=True
    ) as tmp:
        tmp = Path(tmp)
        dirs = {
            "JUPYTER_CONFIG_DIR": tmp / "config",  # settings and workspaces too
            "JUPYTER_DATA_DIR": tmp / "data",
            "JUPYTER_RUNTIME_DIR": tmp / "runtime",
            "IPYTHONDIR": tmp / "ipython",
        }
        for d in dirs.values():
            d.mkdir()
        _settings(dirs["JUPYTER_CONFIG_DIR"])
        # As from a student's shell: none of the caller's Jupyter variables, no MPLBACKEND (a
        # kernel on Agg draws nothing inline), no make state when run under `make test`.
        dropped = (
            "JUPYTER",
            "MPLBACKEND",
            "IPYTHONDIR",
            "MAKEFLAGS",
            "MFLAGS",
            "MAKELEVEL",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
        env.update({k: str(v) for k, v in dirs.items()})
        port, token = _free_port(), secrets.token_hex(24)
        lab_args = [
            "--no-browser",
            "--ServerApp.open_browser=False",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",  # this port or none, never a surprise one
            f"--IdentityProvider.token={token}",
            "--LabApp.news_url=None",  # no announcements feed
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",  # never asks PyPI
            "--ServerApp.log_level=WARN",
            # Lab makes a checkpoint when it opens a notebook: into our temporary folder,
            # not book/.ipynb_checkpoints.
            f"--FileCheckpoints.checkpoint_dir={tmp / 'checkpoints'}",
        ]
        log = tmp / "jupyterlab.log"
        server = Lab(
            f"http://127.0.0.1:{port}", token, log, dirs["JUPYTER_RUNTIME_DIR"]
        )
        server.traces = {path: _run_traces(path) for path in opened}
        litter = [
            ROOT / folder / name
            for folder in ("", "book", "student")
            for name in (".ipynb_checkpoints", ".virtual_documents")
        ]
        litter = [p for p in litter if not p.exists()]
        with open(log, "wb") as out:
            # `-o .venv/.installed`: never reinstall the venv from a test when its stamp looks
            # older than requirements.txt; the `lab` recipe itself is the Makefile's.
            proc = subprocess.Popen(
                [
                    "make",
                    "-s",
                    "-o",
                    ".venv/.installed",
                    "lab",
                    f"LAB_ARGS={shlex.join(lab_args)}",
                ],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group of its own: make and jupyter
            )
        try:
            deadline = time.monotonic() + STARTUP_S
            while True:
                if proc.poll() is not None:
                    pytest.fail(
                        f"`make lab` exited with {proc.returncode}\n{server.log_tail()}"
                    )
                try:
                    server.api("/api/status")
                    break
                except (OSError, ValueError):
                    if time.monotonic() > deadline:
                        pytest.fail(
                            f"JupyterLab did not answer in {STARTUP_S} s\n"
                            f"{server.log_tail()}"
                        )
                    time.sleep(0.5)
            yield server
        finally:
            _stop(proc, server)
        saved = [path for path in opened if _run_traces(path) != server.traces[path]]
        assert not saved, f"JupyterLab saved executed notebooks to disk: {saved}"
        left = [str(p.relative_to(ROOT)) for p in litter if p.exists()]
        assert not left, f"JupyterLab left files in the repository: {left}"


@pytest.fixture(scope="module")
def browser(lab):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = chromium.launch(p, chromium.find())
        yield browser
        browser.close()


# --------------------------------------------------------------------------- the page
def _open(browser, lab: Lab, path: str):
    """Open ``path`` in JupyterLab with its kernel started; returns (page, problems)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    problems: list[str] = []

    def route(route):
        request = route.request
        url = urlparse(request.url)
        if request.url.startswith(("data:", "blob:")):
            route.continue_()
        elif url.hostname not in {"127.0.0.1", "localhost"}:
            problems.append(f"page asked the network for {request.url}")
            route.abort()
        elif (
            url.path.startswith("/api/contents")
            and request.method != "GET"
            and not (request.method == "POST" and url.path.endswith("/checkpoints"))
        ):  # a save, rename, delete or new file (checkpoints go to our temporary folder)
            problems.append(f"JupyterLab tried to write: {request.method} {url.path}")
            route.abort()
        else:
            route.continue_()

    def pageerror(exc) -> None:
        stack = exc.stack or ""
        if not any(bug in stack for bug in KNOWN_LAB_BUGS):
            where = "\n  ".join(stack.splitlines()[1:4])
            problems.append(f"JavaScript error: {exc}\n  {where}")

    page.route("**/*", route)
    page.on("pageerror", pageerror)
    # `reset`: a fresh layout, without the tab the previous page left open.
    page.goto(f"{lab.url}/lab/tree/{path}?reset&token={lab.token}", wait_until="load")
    page.locator(f"{PANEL} .jp-Cell").first.wait_for()
    # Lab asks for a kernel when the notebook names none it knows: take the proposed one.
    accept = page.locator(".jp-Dialog .jp-mod-accept")
    deadline = time.monotonic() + 60
    while lab.kernel_state(path) in (None, "starting"):
        if accept.count():
            accept.first.click()
        if time.monotonic() > deadline:
            pytest.fail(f"{path}: no kernel started in JupyterLab\n{lab.log_tail()}")
        page.wait_for_timeout(300)
    return page, problems


def _menu(page, menu: str, item: str) -> None:
    """Click ``menu`` → ``item`` in JupyterLab's menu bar, as a student does."""
    exact = lambda text: re.compile(f"^{re.escape(text)}$")
    page.locator(".lm-MenuBar-itemLabel", has_text=exact(menu)).click()
    page.locator(".lm-Menu-itemLabel", has_text=exact(item)).click()


# A folded cell (the practice copy's reference solutions) shows a placeholder, no prompt:
# it counts as run once its placeholder is there.
PROMPTS = """
panel => Array.from(document.querySelectorAll(panel + ' .jp-CodeCell')).map(
  cell => cell.querySelector('.jp-InputPlaceholder') ? '[0]:'
        : ((cell.querySelector('.jp-InputPrompt') || {}).textContent || ''))
"""


def _wait_until_run(page, lab: Lab, path: str, cells=None, before=None, timeout=CELL_S):
    """Wait until code cells ``cells`` (all when None) show a new execution count (not the
    one in ``before``, the prompts before the run) and the kernel is idle."""
    deadline = time.monotonic() + timeout
    while True:
        prompts = page.evaluate(PROMPTS, PANEL)
        chosen = range(len(prompts)) if cells is None else cells
        done = all(
            re.fullmatch(r"\s*\[\d+\]:\s*", prompts[i])
            and (before is None or prompts[i] != before[i])
            for i in chosen
        )
        if done and lab.kernel_state(path) == "idle":
            return prompts
        if time.monotonic() > deadline:
            pytest.fail(
                f"{path}: cells not run after {timeout:.0f} s; prompts: {prompts}\n"
                f"{lab.log_tail()}"
            )
        page.wait_for_timeout(300)


NOTEBOOK_HEIGHT = """
panel => {
  const scroller = document.querySelector(panel + ' .jp-WindowedPanel-outer');
  const cells = document.querySelectorAll(panel + ' .jp-Cell');
  if (!scroller || !cells.length) return 900;
  scroller.scrollTop = 0;
  return Math.ceil(cells[cells.length - 1].getBoundingClientRect().bottom + 60);
}
"""


def _screenshot(page, name: str) -> Path:
    """A screenshot of the whole notebook: Lab scrolls inside the notebook, not the page, so
    the window is made as tall as the notebook for the shot."""
    height = 900
    for _ in range(5):  # off-screen cells have estimated heights until they are drawn
        wanted = min(max(int(page.evaluate(NOTEBOOK_HEIGHT, PANEL)), 900), 16000)
        if abs(wanted - height) < 5:
            break
        height = wanted
        page.set_viewport_size({"width": 1280, "height": height})
        page.wait_for_timeout(400)
    SHOTS.mkdir(parents=True, exist_ok=True)
    file = SHOTS / f"jupyterlab-{name}.png"
    page.screenshot(path=str(file), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    return file


# --------------------------------------------------------------------------- the chapter
OUTPUTS = """
async panel => {
  const cells = Array.from(document.querySelectorAll(panel + ' .jp-CodeCell'));
  const imgs = cells.flatMap(c => Array.from(c.querySelectorAll('.jp-OutputArea-output img')));
  await Promise.all(imgs.map(img => img.decode().catch(() => null)));
  const texts = (cell, mime) => Array.from(cell.querySelectorAll(
    `.jp-OutputArea-output[data-mime-type="${mime}"]`)).map(o => o.textContent.slice(0, 500));
  return cells.map(cell => {
    const outputs = Array.from(cell.querySelectorAll('.jp-OutputArea-output'));
    return {
      images: Array.from(cell.querySelectorAll('.jp-OutputArea-output img'))
        .filter(img => img.complete && img.naturalWidth > 0).length,
      mimes: outputs.map(o => o.getAttribute('data-mime-type') || 'widget?'),
      errors: texts(cell, 'application/vnd.jupyter.error'),
      stderr: texts(cell, 'application/vnd.jupyter.stderr'),
      sliders: cell.querySelectorAll('.jupyter-widgets .widget-slider').length,
      text: outputs.map(o => o.textContent).join(' ').slice(0, 300),
    };
  });
}
"""

SLIDER_PICTURE = """
panel => {
  const slider = document.querySelector(panel + ' .jupyter-widgets .widget-slider');
  const view = slider && slider.closest('.jp-OutputArea-output');
  const img = view && view.querySelector('img');
  return img ? img.src : null;
}
"""


def test_chapter_runs_with_inline_figures_and_a_live_slider(browser, lab):
    sources = _sources(CHAPTER)
    drawing = [i for i, src in enumerate(sources) if DRAWS.search(src)]
    sliders = [i for i, src in enumerate(sources) if "lr_slider(" in src]
    assert drawing and sliders, f"{CHAPTER}: no drawing cell or no slider in the source"
    page, problems = _open(browser, lab, CHAPTER)
    try:
        _menu(page, "Run", "Run All Cells")
        _wait_until_run(page, lab, CHAPTER, timeout=RUN_ALL_S)
        cells = page.evaluate(OUTPUTS, PANEL)
        shot = _screenshot(page, "book-06_gradient_descent")
        assert len(cells) == len(sources), (
            f"{CHAPTER}: Lab shows {len(cells)} code cells, the notebook has {len(sources)}"
        )
        errors = [f"cell {i}: {e}" for i, c in enumerate(cells) for e in c["errors"]]
        assert not errors, f"{CHAPTER}: cells show errors:\n" + "\n".join(errors)
        stderr = [f"cell {i}: {e}" for i, c in enumerate(cells) for e in c["stderr"]]
        assert not stderr, f"{CHAPTER}: cells print warnings:\n" + "\n".join(stderr)

        shown = sum(c["images"] for c in cells)
        missing = {
            i: f"{sources[i].strip().splitlines()[0][:40]!r}, outputs {cells[i]['mimes']}"
            for i in drawing
            if not cells[i]["images"]
        }
        assert not missing and shown >= len(drawing), (
            f"{CHAPTER}: {shown} figures shown for {len(drawing)} cells that draw; none in "
            f"cells {missing} (a kernel on a non-inline backend, MPLBACKEND?); see {shot}"
        )
        for i in sliders:
            assert cells[i]["sliders"] and "image/png" not in cells[i]["mimes"], (
                f"{CHAPTER}: cell {i} shows no live slider (outputs {cells[i]['mimes']}, "
                f"text {cells[i]['text']!r}); the static fallback is for the book only"
            )

        # Live: moving the slider redraws its picture (the kernel answers the widget).
        before = page.evaluate(SLIDER_PICTURE, PANEL)
        handle = page.locator(f"{PANEL} .jupyter-widgets .widget-slider .noUi-handle")
        handle.first.scroll_into_view_if_needed()
        handle.first.click()
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        page.wait_for_function(
            f"([panel, before]) => ({SLIDER_PICTURE.strip()})(panel) !== before",
            arg=[PANEL, before],
            timeout=30_000,
        )
        assert not problems, f"{CHAPTER}:\n" + "\n".join(problems)
    finally:
        page.close()
        try:  # its kernel's CPU for the next test
            session = lab.session(CHAPTER)
            if session:
                lab.api(f"/api/sessions/{session['id']}", method="DELETE")
        except OSError:
            pass


# --------------------------------------------------------------------------- a student
def _answer_cell(stub_cell: str, body: str) -> str:
    """The student's answer cell with its stub (``# YOUR CODE HERE`` and the ``raise``)
    replaced by ``body``, indented like the stub."""
    stub = re.search(
        r"^([ \t]*)# YOUR CODE HERE\n[ \t]*raise NotImplementedError\(\)",
        stub_cell,
        re.MULTILINE,
    )
    assert stub, f"no `# YOUR CODE HERE` stub in:\n{stub_cell}"
    body = textwrap.indent(body, stub.group(1))
    return stub_cell[: stub.start()] + body + stub_cell[stub.end() :]


def _solution(source: str, grade_id: str) -> str:
    """The reference answer between ``### BEGIN SOLUTION`` and ``### END SOLUTION``."""
    for cell in _code_cells(source):
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            inner = re.search(
                r"### BEGIN SOLUTION\n(.*?)\n[ \t]*### END SOLUTION",
                "".join(cell["source"]),
                re.DOTALL,
            )
            assert inner, f"{source}: {grade_id} has no solution markers"
            return textwrap.dedent(inner.group(1))
    raise AssertionError(f"{source}: no cell {grade_id}")


def _type_into(page, cell, code: str) -> None:
    """Replace a cell's code through the page's editor: click, select all, type."""
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(code)  # typed text, without the editor's auto-indent


def _feedback_in_lab(browser, lab, answer: int, bodies: list[str], shot: str):
    """Run the cells above the student copy's first answer cell (the set-up: imports, the
    practice copy's registered solutions), then type each of ``bodies`` into the answer cell
    ``answer`` in turn and run it and its check cell (Shift+Enter twice): the check cell's
    output after each, the page's problems, and how many cell inputs are folded."""
    sources = _sources(STUDENT)
    first = next(i for i, s in enumerate(sources) if "# YOUR CODE HERE" in s)
    check = answer + 1
    page, problems = _open(browser, lab, STUDENT)
    feedback = []
    try:
        code_cells = page.locator(f"{PANEL} .jp-CodeCell")
        code_cells.nth(first).locator(".cm-content").click()  # select the first answer
        _menu(page, "Run", "Run All Above Selected Cell")
        prompts = _wait_until_run(page, lab, STUDENT, cells=range(first))
        for k, body in enumerate(bodies):
            code = _answer_cell(sources[answer], body)
            _type_into(page, code_cells.nth(answer), code)
            page.keyboard.press("Shift+Enter")  # runs the answer, moves to the check
            page.keyboard.press("Shift+Enter")  # runs the check
            prompts = _wait_until_run(
                page, lab, STUDENT, cells=[answer, check], before=prompts
            )
            typed = code_cells.nth(answer).locator(".cm-content").inner_text()
            assert typed.split() == code.split(), f"the editor holds {typed!r}"
            out = code_cells.nth(check).locator(".jp-OutputArea").inner_text()
            feedback.append(out)
            _screenshot(page, f"{shot}-{k}")
        hidden_inputs = page.locator(f"{PANEL} .jp-InputPlaceholder").count()
    finally:
        page.close()
    return feedback, problems, hidden_inputs


def _answer_index(grade_id: str) -> int:
    """The index (among code cells) of the student copy's answer cell ``grade_id``."""
    cells = _code_cells(STUDENT)
    return next(
        i
        for i, c in enumerate(cells)
        if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id
    )


def test_a_choice_is_judged_at_once_in_a_practice_copy(browser, lab):
    """A multiple-choice question: the practice copy's registered answer makes ``check()``
    say ✗ for a wrong option and ✓ for the right one (the learner's package does not know
    it), and the copy's reference solutions and model answers stay folded."""
    answer = _answer_index("q5_answer")
    right = _solution(SOURCE, "q5_answer")
    letter = re.search(r'"([A-Z])"', right)
    assert letter, right
    other = '"A"' if letter.group(1) != "A" else '"B"'
    wrong = right.split("#")[0].replace(letter.group(0), other).strip()
    (on_wrong, on_right), problems, folded = _feedback_in_lab(
        browser, lab, answer, [wrong, right], "student-01_neuron-choice"
    )
    assert "✗ q5" in on_wrong and "not the right choice" in on_wrong, on_wrong
    assert not INTERNALS.findall(on_wrong), on_wrong
    assert "✓ q5" in on_right and "✗" not in on_right, on_right
    assert "well-formed" not in on_right  # judged, not merely accepted
    # folded: the reference solutions' cell and one model answer per written answer
    written = sum(
        c.get("metadata", {})
        .get("nbgrader", {})
        .get("grade_id", "")
        .endswith("_written")
        for c in json.loads(Path(STUDENT).read_text())["cells"]
    )
    assert written >= 1 and folded >= 1 + written, (folded, written)
    assert not problems, f"{STUDENT}:\n" + "\n".join(problems)


def test_student_gets_clear_feedback_on_a_wrong_and_a_right_answer(browser, lab):
    sources = _sources(STUDENT)
    answer = next((i for i, s in enumerate(sources) if "# YOUR CODE HERE" in s), None)
    assert answer is not None, f"{STUDENT}: no `# YOUR CODE HERE` cell"
    question = re.search(r"\b(q\d+)\.check\(\)", sources[answer + 1])
    assert question, (
        f"{STUDENT}: the cell after the first answer does not call qN.check()"
    )
    question = question.group(1)
    grade_id = _code_cells(STUDENT)[answer]["metadata"]["nbgrader"]["grade_id"]
    right = _solution(SOURCE, grade_id)
    # A classic slip (the neuron fires at exactly z = 0): q1.check() must catch it.
    wrong = "return (x @ w + b >= 0).astype(float)"
    (on_wrong, on_right), problems, _ = _feedback_in_lab(
        browser, lab, answer, [wrong, right], "student-01_neuron"
    )
    faults = [] if "✗" in on_wrong and question in on_wrong else [f"no '✗ {question}'"]
    internals = sorted(set(INTERNALS.findall(on_wrong)))
    if internals:
        faults.append(f"a traceback of the package's internals ({internals})")
    assert not faults, (
        f"{STUDENT}: the feedback on a wrong answer has {' and '.join(faults)}:\n"
        f"{on_wrong}"
    )
    assert "✓" in on_right and question in on_right and "✗" not in on_right, (
        f"{STUDENT}: the reference answer got no '✓ {question}':\n{on_right}"
    )
    assert not problems, f"{STUDENT}:\n" + "\n".join(problems)

"""Sphinx extension: emit each page's <script> tags once.

With Sphinx 7.4, sphinx-book-theme, sphinx-thebe and sphinx-togglebutton as pinned in
requirements.txt, several scripts reach a page twice (MathJax, the thebe and togglebutton
settings). Twice-declared ``const`` globals and a second MathJax are JavaScript errors in the
reader's browser (tests/test_browser.py catches them). Keeping the first copy of each fixes that
without touching the themes.
"""

from __future__ import annotations

from typing import Any


def _key(script: Any) -> tuple[str, str]:
    return (str(script.filename or ""), str(script.attributes.get("body", "")))


def keep_first_copy(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, str]] = set()
    unique = []
    for script in scripts:
        filename = getattr(script, "filename", script)
        key = _key(script) if hasattr(script, "attributes") else (str(filename), "")
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app) -> dict[str, Any]:
    # priority > 500 so this runs after every extension has added its scripts
    app.connect("html-page-context", keep_first_copy, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

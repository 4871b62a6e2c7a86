"""One exercise question with instant feedback: ``check()``, ``hint()``, ``solution()``.

In an exercise notebook the student defines a name (a function or a value) and calls
``q1.check()``. The question looks that name up in the notebook's namespace
(``sys.modules["__main__"].__dict__``), runs its visible tests and gives a verdict in
plain words: ``✓`` when right; when wrong, which input, what was expected, what came back.
A wrong answer *raises* ``AssertionError`` (so an autograder's test cell loses its points),
and when the answer is still the released stub (``raise NotImplementedError()``, or the name
was never defined because the stub cell stopped) it raises ``NotImplementedError`` with the
message
``"q1: not implemented yet — replace the `raise NotImplementedError` with your code"``.

The verdict is shown once. In IPython/Jupyter the raised exception carries IPython's
``_render_traceback_`` hook, so the error output is just ``✗ q1: …`` — no traceback through
this package — while the exception type (``ename``) stays ``AssertionError`` /
``NotImplementedError`` for nbclient, nbval and the grader. Outside IPython it is an ordinary
exception with the same message.

A test is any callable ``test(answer) -> None`` that raises ``AssertionError`` with a
readable message; :func:`call` (run a function on inputs, compare with a reference, check
that inputs were not modified and a new array came back), :func:`value` (compare a value)
and :func:`holds` (a named property) build the usual ones.

See chapter: The artificial neuron (the exercises of every chapter use it)
"""

from __future__ import annotations

import copy
import inspect
import os
import re
import sys
import textwrap
import traceback
from typing import Any, Callable, Iterable, Mapping, Sequence

from .compare import MAX_SHOWN, assert_close, assert_new_array, assert_unchanged, fmt

__all__ = ["Question", "call", "value", "holds", "NOT_IMPLEMENTED"]

#: The start of the message raised while a question still holds its stub.
NOT_IMPLEMENTED = "not implemented yet"

Test = Callable[[Any], None]


def _short(x: Any, compact: int = 0) -> str:
    """A one-line description of a test input for messages (``np.array([0.0, 1.0])``).

    Small arrays are written out so that the call can be copied and rerun; larger ones are
    summarised: by their shape and first values, or, more ``compact`` (1: inside a list or a
    tuple; 2: when that is still too long), by their shape alone. Never wraps, never cuts a
    line; functions are named.
    """
    import numpy as np

    if isinstance(x, np.ndarray):
        limit = {1: 4, 2: 0}.get(compact, MAX_SHOWN if x.ndim != 1 else 12)
        if x.size <= limit and x.dtype.kind in "biufc":
            dtype = (
                ""
                if x.dtype in (np.float64, np.int64, np.bool_)
                else f", dtype={x.dtype}"
            )
            return f"np.array({fmt(x, limit=limit)}{dtype})"
        if compact == 2:
            return f"<array {'×'.join(map(str, x.shape)) or 'of shape ()'}>"
        if compact or x.dtype.kind not in "biufc":
            return f"<array of shape {x.shape}>"
        return fmt(x, limit=limit)
    if isinstance(x, (bool, int, float, np.generic)):
        return repr(x.item() if isinstance(x, np.generic) else x)
    if isinstance(x, (list, tuple)):
        for level in sorted({max(compact, 1), 2}):
            items = [_short(v, level) for v in x[:6]] + (["…"] if len(x) > 6 else [])
            inner = ", ".join(items) + (
                "," if isinstance(x, tuple) and len(x) == 1 else ""
            )
            text = f"[{inner}]" if isinstance(x, list) else f"({inner})"
            if len(text) <= 80:
                return text
        return f"<{type(x).__name__} of {len(x)} items>"
    if callable(x) and hasattr(x, "__name__"):
        return "a lambda" if x.__name__ == "<lambda>" else x.__name__.lstrip("_")
    r = " ".join(re.sub(r" at 0x[0-9a-fA-F]+", "", repr(x)).split())
    return r if len(r) <= 60 else r[:57] + "..."


def _call_text(fname: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    """``fname(arg, …, key=value)`` for messages; long argument lists are shown compactly."""
    for compact in (0, 1, 2):
        shown = ", ".join(
            [_short(a, compact) for a in args]
            + [f"{k}={_short(v, compact)}" for k, v in kwargs.items()]
        )
        if len(shown) <= 100:
            break
    return f"{fname}({shown})"


def _library_dirs() -> tuple[str, ...]:
    """Folders whose frames are not the student's code (the standard library, installed
    packages, this package)."""
    import sysconfig

    dirs = {os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs.add(os.path.abspath(path))
    return tuple(d.rstrip(os.sep) + os.sep for d in dirs)


def _where_in_your_code(err: BaseException) -> str:
    """Where in the student's own code ``err`` was raised: `` (in f, line 3: `x @ w`)``, or ``""``."""
    lib = _library_dirs()
    frames = [
        f
        for f in traceback.extract_tb(err.__traceback__)
        if not os.path.abspath(f.filename).startswith(lib)
        and not f.filename.startswith("<frozen")
    ]
    if not frames:
        return ""
    f = frames[-1]
    line = (f.line or "").strip()
    code = f" `{line if len(line) <= 60 else line[:57] + '...'}`" if line else ""
    where = "" if f.name == "<module>" else f"in {f.name}, "
    return f" ({where}line {f.lineno}:{code})" if code else f" ({where}line {f.lineno})"


def _crash(what: str, err: BaseException) -> AssertionError:
    """The AssertionError for a student's function that raised ``err`` on a test input."""
    text = str(err).strip().splitlines()
    detail = f": {text[0]}" if text else ""
    return AssertionError(
        f"{what} raised {type(err).__name__}{detail}{_where_in_your_code(err)}"
    )


class _Verdict:
    """IPython's ``_render_traceback_`` hook: the lines shown instead of a traceback.

    Set on the *instance* of a plain ``AssertionError``/``NotImplementedError``, so the
    exception's type — the ``ename`` of the notebook's error output, which nbclient,
    nbval, nbgrader and ``dlcourse grade`` read — does not change.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines() or [text]

    def __call__(self) -> list[str]:
        return list(self.lines)


def _shown(exc: BaseException) -> BaseException:
    """``exc`` with a ``_render_traceback_`` that shows ``✗ <message>`` and nothing else."""
    exc._render_traceback_ = _Verdict(f"✗ {exc}")  # type: ignore[attr-defined]
    return exc


def call(
    args: Sequence[Any],
    expected: Any,
    *,
    kwargs: Mapping[str, Any] | None = None,
    name: str | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    check_dtype: bool = True,
    new_array: bool = True,
    compare: Callable[[Any, Any, str], None] | None = None,
) -> Test:
    """A test that calls the answer with ``args``/``kwargs`` and compares the result.

    Args:
        args, kwargs: the inputs (deep-copied for each call, so a test cannot be spoiled).
        expected: the reference result, or a callable computing it from the same inputs.
        name: the function's name in messages (default: the question's ``variable``);
            ``"f (a note)"`` names ``f`` and adds the note at the end of a failure's message.
        new_array: also require that the result does not share memory with an input.
        compare: ``compare(actual, expected, what)`` replacing :func:`assert_close`.
    """
    kwargs = dict(kwargs or {})
    named = re.fullmatch(r"([\w.]+) \((.+)\)", name or "")
    fname_given, note = (named.group(1), named.group(2)) if named else (name, "")

    def test(answer: Any, variable: str | None = None) -> None:
        fname = str(
            fname_given or variable or getattr(answer, "__name__", "your function")
        )
        try:
            _check(answer, fname)
        except AssertionError as err:
            if not note:
                raise
            raise AssertionError(f"{err} — {note}") from None

    def _check(answer: Any, fname: str) -> None:
        what = _call_text(fname, args, kwargs)
        if not callable(answer):
            raise AssertionError(
                f"`{fname}` should be a function, but it is a {type(answer).__name__}"
            )
        a_args, a_kwargs = copy.deepcopy(list(args)), copy.deepcopy(kwargs)
        try:
            result = answer(*a_args, **a_kwargs)
        except NotImplementedError:
            raise
        except (
            Exception
        ) as err:  # the student's code crashed: say where, not a traceback
            raise _crash(what, err) from err
        ref = (
            expected(*copy.deepcopy(list(args)), **copy.deepcopy(kwargs))
            if callable(expected)
            else expected
        )
        for i, (orig, after) in enumerate(zip(args, a_args)):
            assert_unchanged(orig, after, what=f"{what}: input argument {i + 1}")
        for k in kwargs:
            assert_unchanged(kwargs[k], a_kwargs[k], what=f"{what}: input `{k}`")
        if new_array:
            assert_new_array(result, *a_args, *a_kwargs.values(), what=what)
        (
            compare
            or (
                lambda act, exp, w: assert_close(
                    act, exp, w, rtol=rtol, atol=atol, check_dtype=check_dtype
                )
            )
        )(result, ref, what)

    test.takes_variable = True  # type: ignore[attr-defined]
    return test


def value(
    expected: Any,
    *,
    name: str | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    check_dtype: bool = True,
) -> Test:
    """A test comparing the answer itself (a number or an array) with ``expected``."""

    def test(answer: Any, variable: str | None = None) -> None:
        label = name or variable
        assert_close(
            answer,
            expected,
            f"`{label}`" if label else "your answer",
            rtol=rtol,
            atol=atol,
            check_dtype=check_dtype,
        )

    test.takes_variable = True  # type: ignore[attr-defined]
    return test


def holds(prop: Callable[[Any], bool], message: str) -> Test:
    """A test that ``prop(answer)`` is exactly ``True``; otherwise ``AssertionError(message)``.

    ``message`` names the property in words; it is all the student sees (hidden tests
    never show their code).
    """

    def test(answer: Any) -> None:
        try:
            ok = prop(answer)
        except (NotImplementedError, AssertionError):
            raise
        except Exception as err:
            crash = str(_crash("checking it", err))
            raise AssertionError(f"{message} ({crash})") from err
        import numpy as np

        # Exactly True: an object whose __bool__ or __eq__ always says yes does not count.
        if not (ok is True or (type(ok) is np.bool_ and ok.item() is True)):
            raise AssertionError(message)

    return test


class Question:
    """One question of an exercise notebook.

    Args:
        name: the question's handle, e.g. ``"q1"`` (starts every message).
        variable: the name the student must define, e.g. ``"perceptron_update"``.
        tests: visible tests, run by :meth:`check`.
        hint: a nudge in words, printed by :meth:`hint`.
        solution: the reference answer: its source code as a string, or the function itself.
        hidden_tests: run by :meth:`check_hidden` (the autograder's hidden test region).
        points: what the graded test cell is worth (informative).
    """

    def __init__(
        self,
        name: str,
        variable: str,
        tests: Iterable[Test],
        hint: str,
        solution: str | Callable[..., Any],
        hidden_tests: Iterable[Test] = (),
        points: float = 1,
    ) -> None:
        self.name, self.variable, self.points = name, variable, points
        self.tests, self.hidden_tests = list(tests), list(hidden_tests)
        self._hint, self._solution = hint, solution
        if not self.tests:
            raise ValueError(f"Question {name}: needs at least one visible test")

    def __repr__(self) -> str:
        return (
            f"Question({self.name!r}, variable={self.variable!r}, points={self.points})"
        )

    # ------------------------------------------------------------------ feedback
    def _not_implemented(self, detail: str = "") -> NotImplementedError:
        msg = f"{self.name}: {NOT_IMPLEMENTED} — replace the `raise NotImplementedError` with your code"
        return NotImplementedError(msg + (f" ({detail})" if detail else ""))

    def _answer(self, namespace: Mapping[str, Any] | None) -> Any:
        ns = namespace if namespace is not None else vars(sys.modules["__main__"])
        if self.variable not in ns:
            raise self._not_implemented(
                f"`{self.variable}` is not defined yet: "
                f"write it, then run its cell before this one"
            )
        return ns[self.variable]

    def _run(
        self, tests: list[Test], namespace: Mapping[str, Any] | None, hidden: bool
    ) -> None:
        kind = "hidden test" if hidden else "check"
        try:
            answer = self._answer(namespace)
            for test in tests:
                if getattr(test, "takes_variable", False):
                    test(answer, self.variable)
                else:
                    test(answer)
        except NotImplementedError as err:
            if str(err).startswith(f"{self.name}: {NOT_IMPLEMENTED}"):
                exc: BaseException = err
            else:
                exc = self._not_implemented()
            raise _shown(exc) from None
        except AssertionError as err:
            msg = f"{self.name}: `{self.variable}` fails a {kind}: {err}"
            raise _shown(AssertionError(msg)) from None
        except Exception as err:  # a test that could not even run on this answer
            msg = f"{self.name}: `{self.variable}` fails a {kind}: {_crash('checking it', err)}"
            raise _shown(AssertionError(msg)) from None
        label = "hidden tests passed" if hidden else "Correct"
        print(
            f"✓ {self.name}: {label}"
            + (
                ""
                if hidden
                else f" — `{self.variable}` passes all "
                f"{len(tests)} check{'s' * (len(tests) != 1)}"
            )
        )

    def check(self, namespace: Mapping[str, Any] | None = None) -> None:
        """Run the visible tests on the notebook's ``variable``: print ✓, or raise if wrong.

        A wrong answer raises ``AssertionError`` and a stub ``NotImplementedError``; in
        IPython either shows as the single line ``✗ qN: …`` (see the module's docstring).

        ``namespace`` (default: the notebook's, ``__main__``) is where ``variable`` is looked up.
        """
        self._run(self.tests, namespace, hidden=False)

    def check_hidden(self, namespace: Mapping[str, Any] | None = None) -> None:
        """Run the hidden tests (messages name the failed property, never the test's code)."""
        self._run(self.hidden_tests, namespace, hidden=True)

    def hint(self) -> None:
        """Print the hint."""
        print(f"Hint for {self.name}: {self._hint}")

    def solution_source(self) -> str:
        """The reference solution's source code."""
        src = (
            self._solution
            if isinstance(self._solution, str)
            else inspect.getsource(self._solution)
        )
        return textwrap.dedent(src).strip("\n")

    def solution(self) -> None:
        """Show the reference solution as a Markdown code block (plain text outside IPython)."""
        text = f"Solution for {self.name}:\n\n```python\n{self.solution_source()}\n```"
        try:
            from IPython import get_ipython
            from IPython.display import Markdown, display
        except ImportError:  # pragma: no cover - IPython ships with the course
            get_ipython = None
        if get_ipython is not None and get_ipython() is not None:
            display(Markdown(text))
        else:
            print(text)

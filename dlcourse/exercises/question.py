"""One exercise question with instant feedback: ``check()``, ``hint()``, ``solution()``.

In an exercise notebook the student defines a name (a function or a value) and calls
``q1.check()``. The question looks that name up in the notebook's namespace
(``sys.modules["__main__"].__dict__``), runs its visible tests and prints a verdict in
plain words — which input, what was expected, what came back. When the answer is wrong it
also *raises* ``AssertionError`` (so an autograder's test cell loses its points), and when
the answer is still the released stub (``raise NotImplementedError()``, or the name was never
defined because the stub cell stopped) it raises ``NotImplementedError`` with the message
``"q1: not implemented yet — replace the `raise NotImplementedError` with your code"``.

A test is any callable ``test(answer) -> None`` that raises ``AssertionError`` with a
readable message; :func:`call` (run a function on inputs, compare with a reference, check
that inputs were not modified and a new array came back), :func:`value` (compare a value)
and :func:`holds` (a named property) build the usual ones.

See chapter: The artificial neuron (the exercises of every chapter use it)
"""

from __future__ import annotations

import copy
import inspect
import sys
import textwrap
from typing import Any, Callable, Iterable, Mapping, Sequence

from .compare import assert_close, assert_new_array, assert_unchanged

__all__ = ["Question", "call", "value", "holds", "NOT_IMPLEMENTED"]

#: The start of the message raised while a question still holds its stub.
NOT_IMPLEMENTED = "not implemented yet"

Test = Callable[[Any], None]


def _short(x: Any) -> str:
    """A compact repr of a test input for messages."""
    import numpy as np

    if isinstance(x, np.ndarray):
        if x.size <= 8:
            return (
                "np.array("
                + np.array2string(x, precision=4, separator=", ").replace("\n", "")
                + ")"
            )
        return f"<array of shape {x.shape}>"
    r = repr(x)
    return r if len(r) <= 60 else r[:57] + "..."


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
        name: the function's name in messages (default: the question's ``variable``).
        new_array: also require that the result does not share memory with an input.
        compare: ``compare(actual, expected, what)`` replacing :func:`assert_close`.
    """
    kwargs = dict(kwargs or {})

    def test(answer: Any, variable: str | None = None) -> None:
        fname = name or variable or getattr(answer, "__name__", "your function")
        shown = ", ".join(
            [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()]
        )
        what = f"{fname}({shown})"
        if not callable(answer):
            raise AssertionError(
                f"`{fname}` should be a function, but it is a {type(answer).__name__}"
            )
        a_args, a_kwargs = copy.deepcopy(list(args)), copy.deepcopy(kwargs)
        try:
            result = answer(*a_args, **a_kwargs)
        except (NotImplementedError, AssertionError):
            raise
        except (
            Exception
        ) as err:  # the student's code crashed: say where, not a traceback
            raise AssertionError(f"{what} raised {type(err).__name__}: {err}") from err
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
            raise AssertionError(
                f"{message} (checking it raised {type(err).__name__}: {err})"
            ) from err
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
        try:
            answer = self._answer(namespace)
            for test in tests:
                if getattr(test, "takes_variable", False):
                    test(answer, self.variable)
                else:
                    test(answer)
        except NotImplementedError as err:
            if str(err).startswith(f"{self.name}: {NOT_IMPLEMENTED}"):
                exc = err
            else:
                exc = self._not_implemented()
            print(f"✗ {exc}")
            raise exc from None
        except AssertionError as err:
            kind = "hidden test" if hidden else "check"
            msg = f"{self.name}: `{self.variable}` fails a {kind}: {err}"
            print(f"✗ {msg}")
            raise AssertionError(msg) from None
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
        """Run the visible tests on the notebook's ``variable``; print the verdict, raise if wrong.

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

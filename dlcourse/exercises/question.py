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

The checks are :mod:`.checks` objects (``call(args, expected)``, ``value(expected)``), each
an observation of the answer and a judgement of it; the autograder makes the observation in
the student's sandboxed kernel and the judgement in its own process (:mod:`.probe`).

The exercises of every chapter use it.

See chapter: For instructors (book/instructors.md)
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Any

from . import solutions
from .checks import Check, _crashed
from .choice import Choice, registered_choice, same_choice

__all__ = ["Question", "NOT_IMPLEMENTED"]

#: The start of the message raised while a question still holds its stub.
NOT_IMPLEMENTED = "not implemented yet"


class _Verdict:
    """IPython's ``_render_traceback_`` hook: the lines shown instead of a traceback.

    Set on the *instance* of a plain ``AssertionError``/``NotImplementedError``, so the
    exception's type — the ``ename`` of the notebook's error output, which nbclient,
    nbval and nbgrader read — does not change.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines() or [text]

    def __call__(self) -> list[str]:
        return list(self.lines)


def _shown(exc: BaseException) -> BaseException:
    """``exc`` with a ``_render_traceback_`` that shows ``✗ <message>`` and nothing else."""
    exc._render_traceback_ = _Verdict(f"✗ {exc}")  # type: ignore[attr-defined]
    return exc


class Question:
    """One question of an exercise notebook.

    Args:
        name: the question's handle, e.g. ``"q1"`` (starts every message).
        variable: the name the student must define, e.g. ``"perceptron_update"``.
        tests: the visible checks (:mod:`.checks`), run by :meth:`check`.
        hint: a nudge in words, printed by :meth:`hint`.
        points: what the graded test cell is worth (informative).

    The learner's package holds no reference solution and no hidden test: a *practice* copy
    of the notebook registers its solutions (:mod:`.solutions`) for :meth:`solution`; the
    hidden tests live with the instructor (``dlcourse_instructor``).
    """

    def __init__(
        self,
        name: str,
        variable: str,
        tests: Iterable[Check],
        hint: str,
        points: float = 1,
    ) -> None:
        self.name, self.variable, self.points = name, variable, points
        self.tests, self._hint = list(tests), hint
        # The chapter is the module that defines the question (dlcourse.exercises.ch06).
        caller = sys._getframe(1).f_globals.get("__name__", "")
        self.chapter = caller.rsplit(".", 1)[-1]
        if not self.tests:
            raise ValueError(f"Question {name}: needs at least one visible test")

    def __repr__(self) -> str:
        return (
            f"Question({self.name!r}, variable={self.variable!r}, points={self.points})"
        )

    # ------------------------------------------------------------------ feedback
    def _not_implemented(self, detail: str = "") -> NotImplementedError:
        msg = (
            f"{self.name}: {NOT_IMPLEMENTED} — replace the `raise NotImplementedError` "
            "with your code"
        )
        return NotImplementedError(msg + (f" ({detail})" if detail else ""))

    def verdict(
        self, tests: Iterable[Check], observe: Any, hidden: bool = False
    ) -> None:
        """Judge ``tests`` on observations made by ``observe(test)``; raise the first failure.

        ``NotImplementedError`` for a stub, ``AssertionError`` (with the question's name and
        the check's message) for a wrong answer. The notebook observes in its own kernel;
        the autograder passes an ``observe`` that asks the student's sandboxed kernel.
        """
        kind = "hidden test" if hidden else "check"
        for test in tests:
            # Outside the try: the grader's own outcomes (a timeout…) pass through.
            observation = observe(test)
            try:
                test.judge(observation, self.variable)
            except NotImplementedError as err:
                undefined = "is not defined" in str(err)
                raise self._not_implemented(
                    f"`{self.variable}` is not defined yet: write it, then run its cell "
                    "before this one"
                    if undefined
                    else ""
                ) from None
            except AssertionError as err:
                # A hidden check never shows its inputs or expected values, only its topic.
                detail = (test.about or "a wrong result") if hidden else err
                raise AssertionError(
                    f"{self.name}: `{self.variable}` fails a {kind}: {detail}"
                ) from None
            except Exception as err:  # a check that could not even run on this answer
                detail = _crashed(
                    "checking it", {"type": type(err).__name__, "message": str(err)}
                )
                msg = f"{self.name}: `{self.variable}` fails a {kind}: {detail}"
                raise AssertionError(msg) from None

    def check(self, namespace: Mapping[str, Any] | None = None) -> None:
        """Run the visible tests on the notebook's ``variable``: print ✓, or raise if wrong.

        A wrong answer raises ``AssertionError`` and a stub ``NotImplementedError``; in
        IPython either shows as the single line ``✗ qN: …`` (see the module's docstring).

        ``namespace`` (default: the notebook's, ``__main__``) is where ``variable`` is looked up.
        """
        from .probe import observe

        ns = namespace if namespace is not None else vars(sys.modules["__main__"])

        def here(test: Check) -> dict[str, Any]:
            if self.variable not in ns:
                return {"undefined": True}
            return observe(test.spec(), ns[self.variable])

        try:
            self.verdict(self.tests, here)
        except (AssertionError, NotImplementedError) as err:
            raise _shown(err) from None
        if any(isinstance(t, Choice) for t in self.tests):
            self._judge_choice(ns[self.variable])
            return
        n = len(self.tests)
        print(
            f"✓ {self.name}: Correct — `{self.variable}` passes all "
            f"{n} check{'s' * (n != 1)}"
        )

    def _judge_choice(self, answer: Any) -> None:
        """A well-formed choice: right or wrong where a practice copy registered the
        answer, otherwise left to the grader (see :mod:`.choice`)."""
        right = registered_choice(solutions.get(self.chapter, self.name), self.variable)
        if right is None:
            print(
                f"✓ {self.name}: `{self.variable}` is a well-formed choice; whether it is "
                "right is decided when your notebook is graded"
            )
            return
        if not same_choice(answer, right):
            shown = repr(answer) if len(repr(answer)) <= 40 else "that"
            raise _shown(
                AssertionError(
                    f"{self.name}: `{self.variable}` fails a check: {shown} is not the "
                    f"right choice; `{self.name}.hint()` gives a nudge"
                )
            )
        print(f"✓ {self.name}: Correct — `{self.variable}` is the right choice")

    def hint(self) -> None:
        """Print the hint."""
        print(f"Hint for {self.name}: {self._hint}")

    def solution(self) -> None:
        """Show the reference solution (practice copies only) as a Markdown code block."""
        source = solutions.get(self.chapter, self.name)
        if source is None:
            print(
                f"No reference solution for {self.name} here: practice copies of the "
                'notebook have them (run the cell "Reference solutions" near the top '
                "first); graded copies do not."
            )
            return
        text = f"Solution for {self.name}:\n\n```python\n{source}\n```"
        try:
            from IPython import get_ipython
            from IPython.display import Markdown, display
        except ImportError:  # pragma: no cover - IPython ships with the course
            get_ipython = None
        if get_ipython is not None and get_ipython() is not None:
            display(Markdown(text))
        else:
            print(text)

"""Multiple-choice answers (diagnose a run, pick the cause) that give nothing away.

A *choice* question asks the student to name one option (``diagnosis = "C"``) or several
(``broken_runs = ["B", "D"]``) from a fixed list. The learner's package cannot hold the right
option: anyone can read it. So the check is split the same way as everything else in the
course:

* the visible check, :func:`choice`, judges the *form* only: a string that is one of the
  options (or a list of distinct options), with one sentence naming the options otherwise;
* whether the choice is *right* is judged where the answer lives: by the instructor's hidden
  test (:func:`right_choice`, in ``dlcourse_instructor.answers``), and, in a *practice* copy,
  by the reference solution that the copy registers (:mod:`.solutions`): its source is the
  assignment ``diagnosis = "C"``, read here with :func:`ast.literal_eval` (never executed).

So in a practice copy ``q5.check()`` says ✓ or ✗ at once; in a graded copy it says that the
choice is well formed and that the grader decides.

The exercises of every chapter use it.

See chapter: For instructors (book/instructors.md)
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

from .checks import Value

__all__ = ["Choice", "choice", "right_choice", "registered_choice", "same_choice"]


def _options_text(options: Sequence[str]) -> str:
    return ", ".join(f'"{o}"' for o in options)


class Choice(Value):
    """The visible check of a choice question: the answer is a well-formed choice.

    Args:
        options: the option labels, e.g. ``("A", "B", "C", "D")``.
        many: the answer is a list of distinct options (possibly empty) instead of one.
    """

    def __init__(self, options: Sequence[str], *, many: bool = False) -> None:
        self.options, self.many = tuple(options), many
        shown = _options_text(self.options)
        form = (
            f"a list of some of the options {shown} (as strings, e.g. "
            f'["{self.options[0]}"]; [] if none)'
            if many
            else f'one of the options {shown}, as a string (e.g. "{self.options[0]}")'
        )
        super().__init__(check=self.well_formed, message=f"should be {form}")

    def well_formed(self, answer: Any) -> bool:
        """One option (a ``str``), or a list/tuple of distinct options when ``many``."""
        if not self.many:
            return type(answer) is str and answer in self.options
        return (
            type(answer) in (list, tuple)
            and all(type(a) is str and a in self.options for a in answer)
            and len(set(answer)) == len(answer)
        )

    def judge(self, observation: Any, variable: str) -> None:
        try:
            super().judge(observation, variable)
        except AssertionError as err:
            if str(err) != self.message:
                raise
            got = observation.get("value")
            shown = repr(got) if isinstance(got, (str, list, int, float)) else "that"
            raise AssertionError(f"{self.message}, not {shown[:60]}") from None


def choice(options: Sequence[str], *, many: bool = False) -> Choice:
    """The visible check of a choice question (see :class:`Choice`)."""
    return Choice(options, many=many)


def same_choice(answer: Any, right: Any) -> bool:
    """Whether ``answer`` names exactly the right option(s); order does not matter."""
    if type(right) is str:
        return type(answer) is str and answer == right
    return (
        type(answer) in (list, tuple)
        and all(type(a) is str for a in answer)
        and sorted(answer) == sorted(right)
        and len(set(answer)) == len(answer)
    )


def right_choice(right: str | Sequence[str], about: str) -> Value:
    """A hidden check: the answer is exactly ``right``. ``about`` says what was asked, in
    words that do not give the answer ("the cause of run B's rising loss")."""
    return Value(
        check=lambda answer: same_choice(answer, right),
        message=f"not the right choice for {about}",
    )


def registered_choice(source: str | None, variable: str) -> Any:
    """The right choice in a practice copy's registered solution ``variable = <literal>``,
    or ``None`` when there is none (a graded copy)."""
    if not source:
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == variable
        ):
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                return None
    return None

"""The checks of an exercise answer, each split into an observation and a judgement.

``call(args, expected)`` calls the student's function on ``args``; ``value(expected)`` reads
a value the student defined. Each check is an object with

* :meth:`Check.spec`: what to observe, as plain data (the inputs travel encoded, see
  :mod:`.probe`), and
* :meth:`Check.judge`: the verdict on an observation, raising ``AssertionError`` with a
  message in plain words (or ``NotImplementedError`` for a stub).

``check(answer)`` does both in one process (``q1.check()`` in a notebook); the autograder
observes in the student's sandboxed kernel and judges in its own process. Judging always
works on decoded data, so both paths give the same verdict.

The exercises of every chapter use it.

See chapter: For instructors (book/instructors.md)
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .compare import (
    MAX_SHOWN,
    assert_close,
    assert_unchanged,
    fmt,
)
from .probe import Code, decode, encode, observe

__all__ = ["Check", "Call", "Value", "call", "value", "describe_call"]

Compare = Callable[[Any, Any, str], None]


def _short(x: Any, compact: int = 0) -> str:
    """A one-line description of a test input for messages (``np.array([0.0, 1.0])``).

    Small arrays are written out so that the call can be copied and rerun; larger ones are
    summarised: by their shape and first values, or, more ``compact`` (1: inside a list or a
    tuple; 2: when that is still too long), by their shape alone. Never wraps, never cuts a
    line; functions are named.
    """
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
    if isinstance(x, Code):
        return repr(x)
    if callable(x) and hasattr(x, "__name__"):
        return "a lambda" if x.__name__ == "<lambda>" else x.__name__.lstrip("_")
    r = " ".join(re.sub(r" at 0x[0-9a-fA-F]+", "", repr(x)).split())
    return r if len(r) <= 60 else r[:57] + "..."


def describe_call(fname: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    """``fname(arg, …, key=value)`` for messages; long argument lists are shown compactly."""
    for compact in (0, 1, 2):
        shown = ", ".join(
            [_short(a, compact) for a in args]
            + [f"{k}={_short(v, compact)}" for k, v in kwargs.items()]
        )
        if len(shown) <= 100:
            break
    return f"{fname}({shown})"


def _crashed(what: str, raised: Mapping[str, Any]) -> AssertionError:
    """The verdict on a student's function that raised on a test input."""
    detail = f": {raised['message']}" if raised.get("message") else ""
    where = ""
    if raised.get("line"):
        func = raised.get("function") or ""
        place = "" if func in ("", "<module>") else f"in {func}, "
        code = raised.get("code") or ""
        code = f" `{code if len(code) <= 60 else code[:57] + '...'}`" if code else ""
        where = (
            f" ({place}line {raised['line']}:{code})"
            if code
            else f" ({place}line {raised['line']})"
        )
    return AssertionError(f"{what} raised {raised['type']}{detail}{where}")


def _holds(predicate: Callable[[Any], Any], answer: Any) -> bool:
    """``predicate(answer)`` is exactly True; a predicate that crashes on an odd answer
    (a list where an array was due, a wrong length) counts as False."""
    try:
        verdict = predicate(answer)
    except Exception:
        return False
    return verdict is True or (type(verdict) is np.bool_ and bool(verdict))


class Check:
    """One check of an answer: :meth:`spec` says what to observe, :meth:`judge` decides."""

    #: What the check is about, in words: the whole message of a failed *hidden* check,
    #: whose inputs and expected values the student never sees.
    about: str = ""

    def spec(self) -> dict[str, Any]:
        raise NotImplementedError

    def judge(self, observation: Mapping[str, Any], variable: str) -> None:
        raise NotImplementedError

    def __call__(self, answer: Any, variable: str) -> None:
        """Observe ``answer`` here and judge it (what ``q1.check()`` does)."""
        self.judge(observe(self.spec(), answer), variable)


def _common(observation: Mapping[str, Any], variable: str) -> None:
    """Verdicts every check shares: a stub, an undefined name, a spoiled observation."""
    if observation.get("not_implemented"):
        raise NotImplementedError(f"`{variable}` still raises NotImplementedError")
    if observation.get("undefined"):
        raise NotImplementedError(f"`{variable}` is not defined")
    if "error" in observation:
        raise AssertionError(
            f"`{variable}` could not be checked ({observation['error']})"
        )


class Call(Check):
    """Call the answer with ``args``/``kwargs`` and compare the result with ``expected``.

    Args:
        args, kwargs: the inputs (deep-copied for each call, so a test cannot be spoiled);
            a :class:`~.probe.Code` input is a function or object built where the answer runs.
        expected: the reference result, or a callable computing it from the same inputs;
            ``None`` with ``check`` given.
        name: the function's name in messages (default: the question's ``variable``);
            ``"f (a note)"`` names ``f`` and adds the note at the end of a failure's message.
        new_array: also require that the result does not share memory with an input.
        compare: ``compare(actual, expected, what)`` replacing :func:`assert_close`.
        check: ``check(actual) -> bool``; ``False`` fails with ``message``.
        materialize: the answer returns an iterator or generator; judge the list it yields.
        errstate: NumPy's error handling during the call, e.g. ``{"over": "raise"}``: an
            answer that overflows on the way then fails (a stated "no overflow").
    """

    def __init__(
        self,
        args: Sequence[Any],
        expected: Any = None,
        *,
        kwargs: Mapping[str, Any] | None = None,
        name: str | None = None,
        rtol: float = 1e-6,
        atol: float = 1e-8,
        check_dtype: bool = True,
        new_array: bool = True,
        compare: Compare | None = None,
        check: Callable[[Any], bool] | None = None,
        message: str = "",
        materialize: bool = False,
        errstate: Mapping[str, str] | None = None,
    ) -> None:
        self.args, self.kwargs = list(args), dict(kwargs or {})
        self.errstate = dict(errstate or {})
        self.expected, self.compare, self.check = expected, compare, check
        self.message, self.materialize, self.new_array = message, materialize, new_array
        self.rtol, self.atol, self.check_dtype = rtol, atol, check_dtype
        named = re.fullmatch(r"([\w.]+) \((.+)\)", name or "")
        self.name: str | None = named.group(1) if named else name
        self.note: str = named.group(2) if named else ""
        self.about = self.note or message

    def spec(self) -> dict[str, Any]:
        return {
            "observer": "call",
            "args": encode(self.args),
            "kwargs": {k: encode(v) for k, v in self.kwargs.items()},
            "materialize": self.materialize,
            "errstate": self.errstate,
        }

    def judge(self, observation: Mapping[str, Any], variable: str) -> None:
        fname = str(self.name or variable)
        try:
            self._judge(observation, fname)
        except AssertionError as err:
            if not self.note:
                raise
            raise AssertionError(f"{err} — {self.note}") from None

    def _judge(self, observation: Mapping[str, Any], fname: str) -> None:
        _common(observation, fname)
        what = describe_call(fname, self.args, self.kwargs)
        if "not_callable" in observation:
            raise AssertionError(
                f"`{fname}` should be a function, but it is a {observation['not_callable']}"
            )
        if "raised" in observation:
            raise _crashed(what, observation["raised"])
        result = decode(observation["result"])
        args_after = decode(observation.get("args_after", []))
        for i, (orig, after) in enumerate(zip(self.args, args_after)):
            assert_unchanged(orig, after, what=f"{what}: input argument {i + 1}")
        kwargs_after = {
            k: decode(v) for k, v in observation.get("kwargs_after", {}).items()
        }
        for k in self.kwargs:
            if k in kwargs_after:
                assert_unchanged(
                    self.kwargs[k], kwargs_after[k], what=f"{what}: input `{k}`"
                )
        if self.new_array and any(observation.get("shares_memory", [])):
            i = observation["shares_memory"].index(True)
            raise AssertionError(
                f"{what} returned (a view of) its input argument {i + 1} instead of a new "
                "array; compute a new array (e.g. `x + 0` or `x.copy()`) before changing it"
            )
        if self.check is not None:
            if not _holds(self.check, result):
                raise AssertionError(self.message or f"{what} gave {_short(result)}")
            return
        ref = self.reference()
        if self.compare is not None:
            self.compare(result, ref, what)
        else:
            assert_close(
                result,
                ref,
                what,
                rtol=self.rtol,
                atol=self.atol,
                check_dtype=self.check_dtype,
            )

    def reference(self) -> Any:
        """The expected result (computed on fresh copies of the inputs if it is a function)."""
        if not callable(self.expected):
            return self.expected
        args = [
            a.build() if isinstance(a, Code) else a for a in copy.deepcopy(self.args)
        ]
        kwargs = {
            k: v.build() if isinstance(v, Code) else v
            for k, v in copy.deepcopy(self.kwargs).items()
        }
        return self.expected(*args, **kwargs)


class Value(Check):
    """Compare the value the student defined with ``expected`` (or test it with ``check``)."""

    def __init__(
        self,
        expected: Any = None,
        *,
        name: str | None = None,
        rtol: float = 1e-6,
        atol: float = 1e-8,
        check_dtype: bool = True,
        compare: Compare | None = None,
        check: Callable[[Any], bool] | None = None,
        message: str = "",
    ) -> None:
        self.expected, self.name, self.compare, self.check = (
            expected,
            name,
            compare,
            check,
        )
        self.message, self.rtol, self.atol, self.check_dtype = (
            message,
            rtol,
            atol,
            check_dtype,
        )
        self.about = message

    def spec(self) -> dict[str, Any]:
        return {"observer": "value"}

    def judge(self, observation: Mapping[str, Any], variable: str) -> None:
        _common(observation, variable)
        answer = decode(observation["value"])
        label = f"`{self.name or variable}`"
        if self.check is not None:
            if not _holds(self.check, answer):
                raise AssertionError(self.message or f"{label} is not right")
        elif self.compare is not None:
            self.compare(answer, self.expected, label)
        else:
            assert_close(
                answer,
                self.expected,
                label,
                rtol=self.rtol,
                atol=self.atol,
                check_dtype=self.check_dtype,
            )


def call(args: Sequence[Any], expected: Any = None, **options: Any) -> Call:
    """A :class:`Call` check (the usual way to write one)."""
    return Call(args, expected, **options)


def value(expected: Any = None, **options: Any) -> Value:
    """A :class:`Value` check."""
    return Value(expected, **options)

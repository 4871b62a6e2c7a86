"""Comparisons for exercise checks that are hard to fool and say what went wrong.

A naive check ``assert answer == expected`` is fooled by an object whose ``__eq__``
always returns ``True``, and ``np.allclose(answer, expected)`` quietly broadcasts a
wrong shape or compares ``NaN`` as "not close" without saying why. Here every answer
is first checked for its *type* (a NumPy array or number, a :class:`dlcourse.autograd.Tensor`,
a PyTorch tensor, or a list of numbers), only then converted with ``np.asarray``, and
then checked in this order, each failure naming the problem in plain words:

1. numeric dtype (no ``object`` arrays), and the expected dtype *kind*
   (integer labels are not floats, booleans are not numbers);
2. shape — no broadcasting;
3. ``NaN`` / ``inf`` where the expected answer is finite;
4. values, within ``|actual - expected| <= atol + rtol |expected|`` (``np.isclose``).

Messages are one line each, never a wrapped NumPy printout: a small array is written out
(``[0.25, 0.1966]``), a large one summarised (its shape and first values) and the first wrong
element named with its index; numbers get 4 significant digits, or as many more as it takes to
show how the expected and the actual value differ (:func:`fmt`).

:func:`assert_new_array` catches a returned *view* of the input (``np.shares_memory``) and
:func:`assert_unchanged` an input that was modified in place.

The exercises of every chapter use it.

See chapter: For instructors (book/instructors.md)
"""

from __future__ import annotations

import numbers
import re
from typing import Any

import numpy as np

from .probe import TensorData, Unsupported

__all__ = [
    "to_array",
    "assert_close",
    "assert_new_array",
    "assert_unchanged",
    "describe",
    "fmt",
    "assert_float",
    "number",
    "parts",
]

#: Arrays with more elements than this are summarised in messages (shape and first values).
MAX_SHOWN = 8

_KIND_NAMES = {
    "b": "boolean",
    "i": "integer",
    "u": "integer",
    "f": "floating-point",
    "c": "complex",
}


def describe(value: Any) -> str:
    """A short, safe description of ``value`` for messages (never calls a student's ``__eq__``)."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (TensorData, Unsupported)):
        return f"a {value.kind} tensor" if isinstance(value, TensorData) else value.what
    t = type(value)
    name = (
        t.__name__
        if t.__module__ in ("builtins", None)
        else f"{t.__module__}.{t.__qualname__}"
    )
    if isinstance(value, (bool, numbers.Number, np.generic)):
        return f"{name} {value!r}"
    return f"an object of type {name}"


def _is_torch_tensor(value: Any) -> bool:
    if isinstance(value, TensorData):  # observed in another process (the grader's)
        return value.kind == "torch"
    t = type(value)
    return t.__module__.startswith("torch") and t.__name__ in ("Tensor", "Parameter")


def _is_dl_tensor(value: Any) -> bool:
    if isinstance(value, TensorData):
        return value.kind == "dlcourse"
    from dlcourse.autograd import Tensor  # lazy: keep this module light

    return isinstance(value, Tensor)


def _tensor_values(value: Any) -> np.ndarray:
    """The values of a torch or dlcourse tensor (or of an observed one)."""
    if isinstance(value, TensorData):
        return value.array
    if _is_dl_tensor(value):
        return value.data
    return value.detach().cpu().numpy()


def _is_number_list(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_is_number_list(v) for v in value)
    return isinstance(value, (bool, numbers.Real, np.generic)) and not isinstance(
        value, np.object_
    )


def to_array(value: Any, what: str = "your answer") -> np.ndarray:
    """``value`` as a NumPy array, after checking that it is something numeric.

    Accepted: ``np.ndarray``, Python/NumPy numbers, ``dlcourse`` ``Tensor`` (its ``.data``),
    ``torch.Tensor`` (detached, on the CPU) and (nested) lists or tuples of numbers.
    Anything else raises ``AssertionError`` naming its type.
    """
    if isinstance(value, np.ndarray) and type(value) is not np.ndarray:
        # A subclass can override __eq__/__array__ and friends; insist on the real thing.
        raise AssertionError(
            f"{what} is an instance of the ndarray subclass {type(value).__name__}; "
            f"return a plain NumPy array"
        )
    if isinstance(value, np.ndarray):
        arr = value
    elif isinstance(value, (bool, numbers.Real, np.generic)) and type(
        value
    ).__module__ in ("builtins", "numpy"):
        arr = np.asarray(value)
    elif _is_dl_tensor(value) or _is_torch_tensor(value):
        arr = _tensor_values(value)
    elif isinstance(value, (list, tuple)) and _is_number_list(value):
        arr = np.asarray(value)
    elif value is None:
        raise AssertionError(f"{what} is None — did you forget to `return` the result?")
    else:
        raise AssertionError(
            f"{what} should be a NumPy array or a number, but it is {describe(value)}"
        )
    if arr.dtype.kind not in _KIND_NAMES:
        raise AssertionError(f"{what} has dtype {arr.dtype}, which is not numeric")
    return arr


def _kind_ok(expected: str, actual: str) -> bool:
    groups = {"b": "b", "i": "i", "u": "i", "f": "f", "c": "c"}
    return groups[expected] == groups[actual]


def assert_close(
    actual: Any,
    expected: Any,
    what: str = "your answer",
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    check_dtype: bool = True,
) -> None:
    """Raise ``AssertionError`` unless ``actual`` has ``expected``'s type kind, shape and values.

    Args:
        actual: the student's value.
        expected: the reference (trusted) value.
        what: how to call ``actual`` in messages, e.g. ``"sigmoid_grad(z) for z = [0, 1]"``.
        rtol, atol: tolerance of :func:`numpy.isclose`.
        check_dtype: require the same dtype kind (bool / integer / floating / complex).
    """
    exp = to_array(expected, "the expected answer")
    act = to_array(actual, what)
    if check_dtype and not _kind_ok(exp.dtype.kind, act.dtype.kind):
        raise AssertionError(
            f"{what} has the wrong dtype: expected {_KIND_NAMES[exp.dtype.kind]} values "
            f"(like {exp.dtype}), got {act.dtype}"
        )
    if act.shape != exp.shape:
        raise AssertionError(
            f"{what} has the wrong shape: expected {exp.shape}, got {act.shape}"
        )
    if exp.dtype.kind == "b" or act.dtype.kind == "b":
        bad = act != exp
    else:
        a, e = (
            act.astype(
                np.complex128
                if "c" in (act.dtype.kind + exp.dtype.kind)
                else np.float64
            ),
            exp.astype(
                np.complex128
                if "c" in (act.dtype.kind + exp.dtype.kind)
                else np.float64
            ),
        )
        for name, wrong in (
            ("NaN", np.isnan(a) & ~np.isnan(e)),
            ("inf", np.isinf(a) & ~np.isinf(e)),
        ):
            if not wrong.any():
                continue
            idx = tuple(int(i) for i in np.argwhere(wrong)[0])
            hint = " (an overflow?)" if name == "inf" else ""
            if act.ndim == 0:
                raise AssertionError(
                    f"{what} is {'NaN' if name == 'NaN' else fmt(act)} where {fmt(e)} "
                    f"was expected{hint}"
                )
            raise AssertionError(
                f"{what} contains {name} at index {idx} where {fmt(e[idx])} was expected "
                f"({int(wrong.sum())} of {wrong.size} values are {name}){hint}"
            )
        bad = ~np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        digits = _digits_to_tell_apart(exp[idx], act[idx])
        if act.ndim == 0:
            raise AssertionError(
                f"{what} should be {fmt(exp, digits)}, got {fmt(act, digits)}"
            )
        n_bad = int(bad.sum())
        if act.size <= MAX_SHOWN:
            where = (
                ""
                if act.size == 1
                else f" (wrong at index {idx})"
                if n_bad == 1
                else f" ({n_bad} of {bad.size} values are wrong, the first at index {idx})"
            )
            raise AssertionError(
                f"{what} should be {fmt(exp, digits)}, got {fmt(act, digits)}{where}"
            )
        raise AssertionError(
            f"{what}: {n_bad} of {bad.size} values are wrong; the first, at index {idx}, "
            f"should be {fmt(exp[idx], digits)}, got {fmt(act[idx], digits)}"
        )


def parts(*names: str, rtol: float = 1e-6, atol: float = 1e-8):
    """A ``compare`` for answers that return several arrays: a tuple checked part by part.

    ``names`` label the parts in the messages (``"adam_step(...), returned m: ..."``); each part is
    checked with :func:`assert_close`.
    """

    def compare(actual: Any, expected: Any, what: str) -> None:
        if not isinstance(actual, (tuple, list)) or len(actual) != len(names):
            got = type(actual).__name__
            if isinstance(actual, (tuple, list)):
                got += f" of length {len(actual)}"
            raise AssertionError(
                f"{what} should return a tuple of {len(names)} "
                f"({', '.join(names)}), got {got}"
            )
        for name, act, exp in zip(names, actual, expected):
            assert_close(act, exp, f"{what}, returned {name}", rtol=rtol, atol=atol)

    return compare


def assert_float(actual: Any, what: str = "your answer") -> None:
    """Raise ``AssertionError`` unless ``actual`` is a float (``np.float64`` counts: it is one).

    For answers the prompt asks to return "as a float": a 0-d or 1-element array, a tensor or
    an int is named as what it is.
    """
    if not isinstance(actual, float):
        raise AssertionError(
            f"{what} should be a float (e.g. `float(...)`), but it is {describe(actual)}"
        )


def number(rtol: float = 1e-6, atol: float = 1e-8):
    """A ``compare`` for a function that must return a float: :func:`assert_float`, then
    :func:`assert_close`."""

    def compare(actual: Any, expected: Any, what: str) -> None:
        assert_float(actual, what)
        assert_close(actual, expected, what, rtol=rtol, atol=atol)

    return compare


def _num(v: Any, digits: int = 4) -> str:
    """One number for a message: ints as ints, floats with ``digits`` significant digits
    and always a decimal point or exponent (``1.0``, not ``1``, so a copied input stays float)."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (numbers.Integral, np.integer)):
        return str(int(v))
    if isinstance(v, (complex, np.complexfloating)):
        return f"{complex(v):.{digits}g}"
    text = f"{float(v) + 0.0:.{digits}g}"  # + 0.0: -0.0 prints as 0.0
    return text + ".0" if re.fullmatch(r"-?\d+", text) else text


def _nested(arr: np.ndarray, digits: int) -> str:
    if arr.ndim == 0:
        return _num(arr.item(), digits)
    return "[" + ", ".join(_nested(a, digits) for a in arr) + "]"


def fmt(x: Any, digits: int = 4, limit: int = MAX_SHOWN) -> str:
    """``x`` (a number or an array) on one line, for a message.

    Up to ``limit`` elements are all written out, as nested lists (``[[1.0, 2.0], [3.0, 4.0]]``);
    a larger array becomes ``<array of shape (3, 4): -6.0, -4.909, -3.818, …>``.
    """
    arr = np.asarray(x)
    if arr.dtype.kind not in _KIND_NAMES:
        return describe(x)
    if arr.size <= limit:
        return _nested(arr, digits)
    first = ", ".join(_num(v.item(), digits) for v in arr.ravel()[:3])
    return f"<array of shape {arr.shape}: {first}, …>"


def _digits_to_tell_apart(expected: Any, actual: Any) -> int:
    """The fewest significant digits (at least 4) at which two numbers print differently."""
    for digits in range(4, 18):
        if _num(expected, digits) != _num(actual, digits):
            return digits
    return 17


def assert_new_array(result: Any, *inputs: Any, what: str = "your function") -> None:
    """Raise ``AssertionError`` if ``result`` shares memory with any of ``inputs``.

    A function that returns (a view of) its input, then modifies it, corrupts the caller's data;
    one that returns the input unchanged may pass a weak test by luck.
    """
    if isinstance(result, (tuple, list)):  # several results: each must be new
        for part in result:
            if not isinstance(part, (tuple, list)):
                assert_new_array(part, *inputs, what=what)
        return
    res = _tensor_values(result) if _is_dl_tensor(result) else result
    if not isinstance(res, np.ndarray):
        return
    for i, x in enumerate(inputs):
        x = _tensor_values(x) if _is_dl_tensor(x) else x
        if isinstance(x, np.ndarray) and np.shares_memory(res, x):
            raise AssertionError(
                f"{what} returned (a view of) its input argument {i + 1} instead of a new "
                f"array; compute a new array (e.g. `x + 0` or `x.copy()`) before changing it"
            )


def assert_unchanged(before: Any, after: Any, what: str = "the input") -> None:
    """Raise ``AssertionError`` if the argument ``after`` (after the call) differs from its copy ``before``."""
    before = _tensor_values(before) if _is_dl_tensor(before) else before
    after = _tensor_values(after) if _is_dl_tensor(after) else after
    if isinstance(before, np.ndarray) and isinstance(after, np.ndarray):
        same = (
            after.shape == before.shape
            and after.dtype == before.dtype
            and np.array_equal(after, before, equal_nan=before.dtype.kind in "fc")
        )
    elif isinstance(before, (list, tuple)) and _is_number_list(before):
        same = _is_number_list(after) and np.array_equal(
            np.asarray(after), np.asarray(before)
        )
    else:
        return  # nothing we know how to compare safely
    if not same:
        raise AssertionError(
            f"{what} was modified in place; leave your inputs unchanged and return a new value"
        )

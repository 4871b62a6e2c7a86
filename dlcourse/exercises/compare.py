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

:func:`assert_new_array` catches a returned *view* of the input (``np.shares_memory``) and
:func:`assert_unchanged` an input that was modified in place.

See chapter: The artificial neuron (the exercises of every chapter use it)
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = [
    "to_array",
    "assert_close",
    "assert_new_array",
    "assert_unchanged",
    "describe",
]

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
    t = type(value)
    return t.__module__.startswith("torch") and t.__name__ in ("Tensor", "Parameter")


def _is_dl_tensor(value: Any) -> bool:
    from dlcourse.autograd import Tensor  # lazy: keep this module light

    return isinstance(value, Tensor)


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
    elif _is_dl_tensor(value):
        arr = value.data
    elif _is_torch_tensor(value):
        arr = value.detach().cpu().numpy()
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
        nan_bad = np.isnan(a) & ~np.isnan(e)
        if nan_bad.any():
            idx = np.argwhere(nan_bad)[0]
            at = f" at index {tuple(int(i) for i in idx)}" if act.ndim else ""
            raise AssertionError(
                f"{what} contains NaN{at} where {_fmt(e[tuple(idx)])} was expected "
                f"({int(nan_bad.sum())} NaN value(s) in all)"
            )
        inf_bad = np.isinf(a) & ~np.isinf(e)
        if inf_bad.any():
            idx = np.argwhere(inf_bad)[0]
            at = f" at index {tuple(int(i) for i in idx)}" if act.ndim else ""
            raise AssertionError(
                f"{what} contains inf{at} where {_fmt(e[tuple(idx)])} was expected "
                f"(an overflow?)"
            )
        bad = ~np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    if bad.any():
        if act.ndim == 0:
            raise AssertionError(f"{what}: expected {_fmt(exp)}, got {_fmt(act)}")
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        msg = (
            f"{what}: {int(bad.sum())} of {bad.size} values are wrong; first at index {idx}: "
            f"expected {_fmt(exp[idx])}, got {_fmt(act[idx])}"
        )
        if act.size <= 12:
            msg += f"\n  expected {_fmt(exp)}\n  got      {_fmt(act)}"
        raise AssertionError(msg)


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


def _fmt(x: Any) -> str:
    x = np.asarray(x)
    if x.ndim == 0:
        return repr(x.item()) if x.dtype.kind in "biu" else f"{x.item():.6g}"
    return np.array2string(x, precision=6, separator=", ", threshold=24)


def assert_new_array(result: Any, *inputs: Any, what: str = "your function") -> None:
    """Raise ``AssertionError`` if ``result`` shares memory with any of ``inputs``.

    A function that returns (a view of) its input, then modifies it, corrupts the caller's data;
    one that returns the input unchanged may pass a weak test by luck.
    """
    res = result.data if _is_dl_tensor(result) else result
    if not isinstance(res, np.ndarray):
        return
    for i, x in enumerate(inputs):
        x = x.data if _is_dl_tensor(x) else x
        if isinstance(x, np.ndarray) and np.shares_memory(res, x):
            raise AssertionError(
                f"{what} returned (a view of) its input argument {i + 1} instead of a new "
                f"array; compute a new array (e.g. `x + 0` or `x.copy()`) before changing it"
            )


def assert_unchanged(before: Any, after: Any, what: str = "the input") -> None:
    """Raise ``AssertionError`` if the argument ``after`` (after the call) differs from its copy ``before``."""
    before = before.data if _is_dl_tensor(before) else before
    after = after.data if _is_dl_tensor(after) else after
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

"""The exercise checkers' feedback: every way of fooling a check is caught with a clear message."""

from __future__ import annotations

import re
import types

import numpy as np
import pytest
import torch

from dlcourse import exercises
from dlcourse.autograd import Tensor
from dlcourse.exercises.compare import assert_close, assert_new_array, assert_unchanged, to_array
from dlcourse.exercises.question import Question, call, holds, value


def reference_double(x):
    return 2.0 * np.asarray(x, dtype=float)


def make_question(hidden=()):
    return Question(
        "q1", "double",
        tests=[call([np.array([1.0, -2.0, 3.0])], reference_double), call([np.zeros((2, 2))], reference_double)],
        hint="multiply by two", solution=reference_double, hidden_tests=hidden,
    )


def run(answer, capsys, hidden=False, **ns):
    q = make_question(hidden=[holds(lambda f: f(np.array([1.0]))[0] == 2.0, "doubles one")])
    namespace = {"double": answer, **ns} if answer is not None else dict(ns)
    (q.check_hidden if hidden else q.check)(namespace=namespace)
    return capsys.readouterr().out


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__

    def __bool__(self):
        return True


# ---------------------------------------------------------------- correct answers pass
def test_correct_answer_passes_and_says_so(capsys):
    out = run(lambda x: 2 * x, capsys)
    assert out.startswith("✓ q1: Correct") and "2 checks" in out


def test_correct_answer_as_tensor_or_torch_or_list_passes(capsys):
    run(lambda x: Tensor(x) * 2.0, capsys)
    run(lambda x: torch.from_numpy(x * 2), capsys)
    run(lambda x: (2 * x).tolist(), capsys)


def test_check_reads_the_notebook_namespace(monkeypatch, capsys):
    main = types.ModuleType("__main__")
    main.double = lambda x: 2 * x
    monkeypatch.setitem(__import__("sys").modules, "__main__", main)
    make_question().check()
    assert "✓" in capsys.readouterr().out


# ---------------------------------------------------------------- fooling attempts
def expect_failure(answer, capsys, *needles):
    with pytest.raises(AssertionError) as info:
        run(answer, capsys)
    msg = str(info.value)
    out = capsys.readouterr().out
    assert msg.startswith("q1: `double` fails a check: "), msg
    assert out.startswith("✗ q1"), out  # printed for the student as well
    for n in needles:
        assert n in msg, (n, msg)
    return msg


def test_always_true_eq_is_rejected(capsys):
    expect_failure(lambda x: AlwaysEqual(), capsys, "should be a NumPy array or a number", "AlwaysEqual")


def test_ndarray_subclass_with_fake_eq_is_rejected(capsys):
    class Sneaky(np.ndarray):
        def __eq__(self, other):
            return True

    expect_failure(lambda x: (2 * x).view(Sneaky), capsys, "ndarray subclass Sneaky")


def test_object_array_is_rejected(capsys):
    expect_failure(lambda x: np.array([AlwaysEqual()] * x.size, dtype=object).reshape(x.shape), capsys,
                   "not numeric")


def test_returned_view_of_input_is_caught(capsys):
    def in_place(x):
        x *= 2
        return x

    # The input copy given to the student is mutated: caught as in-place modification first.
    expect_failure(in_place, capsys, "modified in place")

    # Right values for the all-zero input, but the input itself (a view) comes back.
    msg = expect_failure(lambda x: x[...] if not x.any() else 2 * x, capsys)
    assert "double(<array" not in msg and "view of) its input argument 1" in msg


def test_in_place_mutation_is_caught(capsys):
    def sneaky(x):
        y = 2 * x
        x[...] = 0.0
        return y

    expect_failure(sneaky, capsys, "modified in place", "input argument 1")


def test_wrong_shape_is_caught_not_broadcast(capsys):
    expect_failure(lambda x: (2 * x).reshape(-1, 1), capsys, "wrong shape", "expected (3,), got (3, 1)")


def test_wrong_dtype_kind_is_caught(capsys):
    expect_failure(lambda x: (2 * x).astype(np.int64), capsys, "wrong dtype", "floating-point", "int64")
    expect_failure(lambda x: 2 * x > 0, capsys, "wrong dtype", "bool")


def test_nan_is_caught(capsys):
    def nan_answer(x):
        y = 2 * x
        y.flat[0] = np.nan
        return y

    expect_failure(nan_answer, capsys, "contains NaN at index (0,)", "2 was expected")


def test_inf_is_caught(capsys):
    expect_failure(lambda x: 2 * x + np.inf, capsys, "contains inf")


def test_wrong_values_say_which_input_expected_and_got(capsys):
    msg = expect_failure(lambda x: 3 * x, capsys, "double(np.array([ 1., -2.,  3.]))",
                         "3 of 3 values are wrong", "expected 2, got 3")
    assert "expected [ 2., -4.,  6.]" in msg and "got      [ 3., -6.,  9.]" in msg


def test_none_return_is_explained(capsys):
    expect_failure(lambda x: None, capsys, "is None", "return")


def test_crash_is_reported_with_the_input(capsys):
    expect_failure(lambda x: x @ np.ones(7), capsys, "raised ValueError")


def test_not_a_function(capsys):
    expect_failure(42, capsys, "should be a function")


def test_stub_raising_not_implemented(capsys):
    def stub(x):
        # YOUR CODE HERE
        raise NotImplementedError()

    with pytest.raises(NotImplementedError) as info:
        run(stub, capsys)
    assert str(info.value) == ("q1: not implemented yet — replace the `raise NotImplementedError` "
                               "with your code")
    assert capsys.readouterr().out.startswith("✗ q1: not implemented yet")


def test_missing_variable_is_not_implemented(capsys):
    with pytest.raises(NotImplementedError, match="q1: not implemented yet .*`double` is not defined"):
        run(None, capsys)


def test_hidden_tests_name_the_property_not_the_code(capsys):
    with pytest.raises(AssertionError) as info:
        run(lambda x: 3 * x, capsys, hidden=True)
    assert str(info.value) == "q1: `double` fails a hidden test: doubles one"
    assert "lambda" not in capsys.readouterr().out
    assert "✓ q1: hidden tests passed" in run(lambda x: 2 * x, capsys, hidden=True)


def test_holds_rejects_truthy_objects():
    with pytest.raises(AssertionError, match="is exactly so"):
        holds(lambda a: AlwaysEqual(), "is exactly so")(None)
    holds(lambda a: np.bool_(True), "numpy True is fine")(None)
    with pytest.raises(AssertionError, match="with a crash.*ZeroDivisionError"):
        holds(lambda a: 1 / 0, "with a crash")(None)


def test_value_questions(capsys):
    q = Question("q2", "n_params", [value(26, name="n_params")], hint="h", solution="n_params = 26")
    q.check({"n_params": 26})
    for bad, needle in [(25, "expected 26, got 25"), (26.0, "wrong dtype"), (AlwaysEqual(), "AlwaysEqual"),
                        ("26", "should be a NumPy array")]:
        with pytest.raises(AssertionError, match=needle):
            q.check({"n_params": bad})


def test_hint_and_solution_print(capsys):
    q = make_question()
    q.hint()
    q.solution()
    out = capsys.readouterr().out
    assert "Hint for q1: multiply by two" in out
    assert "```python\ndef reference_double(x):" in out


# ---------------------------------------------------------------- compare helpers directly
def test_assert_close_tolerances_and_scalars():
    assert_close(np.float64(0.1 + 0.2), 0.3, "x")
    assert_close(np.array([1, 2]), np.array([1, 2]), "labels")
    with pytest.raises(AssertionError, match="expected 0.3, got 0.31"):
        assert_close(0.31, 0.3, "x")
    with pytest.raises(AssertionError, match="wrong shape: expected \\(\\), got \\(1,\\)"):
        assert_close(np.array([0.3]), 0.3, "x")
    assert_close(1.0 + 1e-9, 1.0)


def test_expected_nan_matches_nan():
    assert_close(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]))


def test_to_array_rejects_strings_and_arbitrary_objects():
    for bad in ["1.0", {"a": 1}, object(), [1, "2"]]:
        with pytest.raises(AssertionError):
            to_array(bad)


def test_new_array_and_unchanged_helpers():
    x = np.arange(4.0)
    with pytest.raises(AssertionError, match="view of"):
        assert_new_array(x[1:], x)
    assert_new_array(x.copy(), x)
    with pytest.raises(AssertionError, match="modified in place"):
        assert_unchanged(np.arange(4.0), x * 2)
    assert_unchanged(np.array([np.nan]), np.array([np.nan]))


# ---------------------------------------------------------------- fresh copies for the grader
def test_fresh_copy_ignores_monkey_patching(capsys):
    from dlcourse.exercises import ch01

    q = ch01.q1
    original = type(q).check
    try:
        type(q).check = lambda self, namespace=None: print("patched!")
        q.check = lambda namespace=None: print("patched!")
        copy = exercises.fresh("ch01")
        assert copy is not ch01 and copy.q1 is not q
        assert type(copy.q1) is not type(q)  # Question itself was loaded anew
        with pytest.raises(NotImplementedError, match="not implemented yet"):
            copy.q1.check(namespace={})
    finally:
        type(q).check = original
        del q.check
    assert exercises.fresh(1).__name__ != exercises.fresh("01").__name__


def test_lazy_chapter_listing():
    assert {"ch01", "ch02", "ch03", "ch04"} <= set(exercises.chapters())
    with pytest.raises(ModuleNotFoundError, match="no chapter module 'ch99'"):
        exercises.fresh(99)


# ---------------------------------------------------------------- every chapter's questions
def _all_questions():
    out = []
    for ch in exercises.chapters():
        mod = exercises.fresh(ch)
        for name in sorted(n for n in vars(mod) if re.fullmatch(r"q\d+", n)):
            out.append(pytest.param(getattr(mod, name), id=f"{ch}.{name}"))
    return out


def _stub(*args, **kwargs):
    raise NotImplementedError()


@pytest.mark.parametrize("q", _all_questions())
def test_no_question_is_fooled(q, capsys):
    """An always-equal object, a function returning one, a stub and a missing name never pass."""
    for fake in [AlwaysEqual(), lambda *a, **k: AlwaysEqual()]:
        with pytest.raises(AssertionError, match=rf"^{q.name}: `{q.variable}` fails a check"):
            q.check(namespace={q.variable: fake})
    # A stub: a function question says "not implemented", a value question rejects a function.
    with pytest.raises((NotImplementedError, AssertionError)) as info:
        q.check(namespace={q.variable: _stub})
    if info.type is NotImplementedError:
        assert str(info.value).startswith(f"{q.name}: not implemented yet"), str(info.value)
    with pytest.raises(NotImplementedError, match=rf"^{q.name}: not implemented yet"):
        q.check(namespace={})
    assert q.hidden_tests, f"{q.name} has no hidden tests"
    assert q.solution_source().strip() and q._hint

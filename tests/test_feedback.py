"""The exercise checkers' feedback: every way of fooling a check is caught with a clear message.

A failed check shows one line, ``✗ qN: …``, and no traceback through the package (IPython's
``_render_traceback_``; checked in a real kernel below), while it still raises
``AssertionError`` / ``NotImplementedError``. Every requirement a prompt states is checked by
the visible ``check()``: the plausible wrong answers in ``WRONG`` passed ``check()`` before and
fail it now.
"""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest
import torch

from dlcourse import exercises
from dlcourse.autograd import Tensor
from dlcourse.exercises.compare import (
    assert_close,
    assert_float,
    assert_new_array,
    assert_unchanged,
    fmt,
    to_array,
)
from dlcourse.exercises import solutions
from dlcourse.exercises.checks import _short, call, value
from dlcourse.exercises.choice import Choice
from dlcourse.exercises.probe import observe
from dlcourse.exercises.question import Question

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def reference_double(x):
    return 2.0 * np.asarray(x, dtype=float)


def make_question():
    return Question(
        "q1",
        "double",
        tests=[
            call([np.array([1.0, -2.0, 3.0])], reference_double),
            call([np.zeros((2, 2))], reference_double),
        ],
        hint="multiply by two",
    )


HIDDEN = [call([np.array([1.0])], check=lambda r: r[0] == 2.0, message="doubles one")]


def run(answer, capsys, hidden=False, **ns):
    q = make_question()
    namespace = {"double": answer, **ns} if answer is not None else dict(ns)
    if not hidden:
        q.check(namespace=namespace)
        return capsys.readouterr().out

    def here(test):  # what nbgrader's hidden region (answers.check_hidden) does
        return (
            {"undefined": True}
            if "double" not in namespace
            else observe(test.spec(), namespace["double"])
        )

    q.verdict(HIDDEN, here, hidden=True)
    print("✓ q1: hidden tests passed")
    return capsys.readouterr().out


def solution_of(chapter: str, name: str) -> str:
    """The reference solution of question ``name`` from the exercise source (instructor side)."""
    import nbformat

    path = next((ROOT / "exercises").glob(f"{chapter[2:]}_*.ipynb"))
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == f"{name}_answer":
            lines = [
                ln
                for ln in cell.source.splitlines()
                if "### BEGIN SOLUTION" not in ln and "### END SOLUTION" not in ln
            ]
            return "\n".join(lines)
    raise LookupError(f"{chapter} {name}: no solution cell")


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
    assert out == "", out  # shown once: by the exception, not printed as well
    assert info.value._render_traceback_() == [f"✗ {msg}"]  # what IPython shows
    assert "\n" not in msg, msg
    for n in needles:
        assert n in msg, (n, msg)
    return msg


def test_always_true_eq_is_rejected(capsys):
    expect_failure(
        lambda x: AlwaysEqual(),
        capsys,
        "should be a NumPy array or a number",
        "AlwaysEqual",
    )


def test_ndarray_subclass_with_fake_eq_is_judged_by_its_values(capsys):
    """The observation keeps the values only: an always-equal subclass cannot pass wrong ones."""

    class Sneaky(np.ndarray):
        def __eq__(self, other):
            return True

    expect_failure(lambda x: (3 * x).view(Sneaky), capsys, "should be")


def test_object_array_is_rejected(capsys):
    expect_failure(
        lambda x: np.array([AlwaysEqual()] * x.size, dtype=object).reshape(x.shape),
        capsys,
        "array of dtype object",
    )


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
    expect_failure(
        lambda x: (2 * x).reshape(-1, 1),
        capsys,
        "wrong shape",
        "expected (3,), got (3, 1)",
    )


def test_wrong_dtype_kind_is_caught(capsys):
    expect_failure(
        lambda x: (2 * x).astype(np.int64),
        capsys,
        "wrong dtype",
        "floating-point",
        "int64",
    )
    expect_failure(lambda x: 2 * x > 0, capsys, "wrong dtype", "bool")


def test_nan_is_caught(capsys):
    def nan_answer(x):
        y = 2 * x
        y.flat[0] = np.nan
        return y

    expect_failure(
        nan_answer,
        capsys,
        "contains NaN at index (0,)",
        "2.0 was expected",
        "1 of 3 values are NaN",
    )


def test_inf_is_caught(capsys):
    expect_failure(lambda x: 2 * x + np.inf, capsys, "contains inf")


def test_wrong_values_say_which_input_expected_and_got(capsys):
    msg = expect_failure(lambda x: 3 * x, capsys)
    assert msg == (
        "q1: `double` fails a check: double(np.array([1.0, -2.0, 3.0])) should be "
        "[2.0, -4.0, 6.0], got [3.0, -6.0, 9.0] "
        "(3 of 3 values are wrong, the first at index (0,))"
    )


def test_none_return_is_explained(capsys):
    expect_failure(lambda x: None, capsys, "is None", "return")


def test_crash_is_reported_with_the_input(capsys):
    def crashes(x):
        return x @ np.ones(7)

    # the input, the error, and the line of the student's own code (no traceback)
    expect_failure(
        crashes,
        capsys,
        "double(np.array([1.0, -2.0, 3.0])) raised ValueError",
        "(in crashes, line ",
        ": `return x @ np.ones(7)`)",
    )

    def asserts(x):
        assert x.ndim == 2
        return 2 * x

    expect_failure(
        asserts,
        capsys,
        "raised AssertionError",
        "(in asserts, line ",
        ": `assert x.ndim == 2`)",
    )


def test_not_a_function(capsys):
    expect_failure(42, capsys, "should be a function")


def test_stub_raising_not_implemented(capsys):
    def stub(x):
        # YOUR CODE HERE
        raise NotImplementedError()

    with pytest.raises(NotImplementedError) as info:
        run(stub, capsys)
    assert str(info.value) == (
        "q1: not implemented yet — replace the `raise NotImplementedError` "
        "with your code"
    )
    assert type(info.value) is NotImplementedError  # ename stays "NotImplementedError"
    assert info.value._render_traceback_() == [f"✗ {info.value}"]
    assert capsys.readouterr().out == ""


def test_missing_variable_is_not_implemented(capsys):
    with pytest.raises(
        NotImplementedError, match="q1: not implemented yet .*`double` is not defined"
    ):
        run(None, capsys)


def test_hidden_tests_name_the_property_not_the_code(capsys):
    with pytest.raises(AssertionError) as info:
        run(lambda x: 3 * x, capsys, hidden=True)
    assert str(info.value) == "q1: `double` fails a hidden test: doubles one"
    assert "lambda" not in capsys.readouterr().out
    assert "✓ q1: hidden tests passed" in run(lambda x: 2 * x, capsys, hidden=True)


def test_a_predicate_must_say_exactly_true():
    """`check=` predicates: an always-true object is not True; a crash counts as a failure."""
    q = make_question()
    for predicate, ok in [
        (lambda r: AlwaysEqual(), False),
        (lambda r: np.bool_(True), True),
        (lambda r: 1 / 0, False),
    ]:
        test = call([np.array([1.0])], check=predicate, message="is exactly so")
        if ok:
            test(reference_double, "double")
        else:
            with pytest.raises(AssertionError, match="is exactly so"):
                test(reference_double, "double")
    assert q.tests


def test_value_questions(capsys):
    q = Question("q2", "n_params", [value(26, name="n_params")], hint="h")
    q.check({"n_params": 26})
    for bad, needle in [
        (25, "should be 26, got 25"),
        (26.0, "wrong dtype"),
        (AlwaysEqual(), "AlwaysEqual"),
        ("26", "should be a NumPy array"),
    ]:
        with pytest.raises(AssertionError, match=needle):
            q.check({"n_params": bad})


def test_hint_and_solution_print(capsys):
    q = make_question()
    q.hint()
    q.solution()  # nothing registered: a graded copy, or the cell not run yet
    out = capsys.readouterr().out
    assert "Hint for q1: multiply by two" in out
    assert "No reference solution for q1 here" in out
    solutions.register(q.chapter, {"q1": "def double(x):\n    return 2 * x"})
    q.solution()
    assert "```python\ndef double(x):" in capsys.readouterr().out


# ---------------------------------------------------------------- compare helpers directly
def test_assert_close_tolerances_and_scalars():
    assert_close(np.float64(0.1 + 0.2), 0.3, "x")
    assert_close(np.array([1, 2]), np.array([1, 2]), "labels")
    with pytest.raises(AssertionError, match="should be 0.3, got 0.31"):
        assert_close(0.31, 0.3, "x")
    with pytest.raises(
        AssertionError, match="wrong shape: expected \\(\\), got \\(1,\\)"
    ):
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


def test_lazy_chapter_listing():
    assert {"ch01", "ch02", "ch03", "ch04"} <= set(exercises.chapters())
    with pytest.raises(AttributeError):
        exercises.ch99  # noqa: B018


# ---------------------------------------------------------------- every chapter's questions
def _all_questions():
    out = []
    for ch in exercises.chapters():
        mod = getattr(exercises, ch)
        for name in sorted(n for n in vars(mod) if re.fullmatch(r"q\d+", n)):
            out.append(pytest.param(getattr(mod, name), id=f"{ch}.{name}"))
    return out


def _stub(*args, **kwargs):
    raise NotImplementedError()


@pytest.mark.parametrize("q", _all_questions())
def test_no_question_is_fooled(q, capsys):
    """An always-equal object, a function returning one, a stub and a missing name never pass."""
    for fake in [AlwaysEqual(), lambda *a, **k: AlwaysEqual()]:
        with pytest.raises(
            AssertionError, match=rf"^{q.name}: `{q.variable}` fails a check"
        ):
            q.check(namespace={q.variable: fake})
    # A stub: a function question says "not implemented", a value question rejects a function.
    with pytest.raises((NotImplementedError, AssertionError)) as info:
        q.check(namespace={q.variable: _stub})
    if info.type is NotImplementedError:
        assert str(info.value).startswith(f"{q.name}: not implemented yet"), str(
            info.value
        )
    with pytest.raises(NotImplementedError, match=rf"^{q.name}: not implemented yet"):
        q.check(namespace={})
    from dlcourse_instructor.answers import hidden  # the instructor's side has them

    assert hidden(q.chapter, q.name), f"{q.name} has no hidden tests"
    assert solution_of(q.chapter, q.name).strip() and q._hint


# ---------------------------------------------------------------- one clear message, in a real kernel
NAIVE_SIGMOID = (
    "def sigmoid_derivative(z):\n    s = 1 / (1 + np.exp(-z))\n    return s * (1 + s)"
)
STUB = (
    "def sigmoid_derivative(z):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
)
CHECK = "from dlcourse.exercises.ch02 import q1\nq1.check()"


def _kernel_notebook(*cells):
    from nbformat.v4 import new_code_cell, new_notebook

    return new_notebook(
        cells=[new_code_cell("import numpy as np"), *(new_code_cell(c) for c in cells)],
        metadata={
            "kernelspec": {
                "name": "python3",
                "display_name": "Python 3",
                "language": "python",
            }
        },
    )


@pytest.fixture(scope="module")
def executed():
    """A wrong answer, the stub and a right answer, each checked, in one real IPython kernel."""
    from nbclient import NotebookClient

    nb = _kernel_notebook(
        NAIVE_SIGMOID, CHECK, STUB, CHECK, solution_of("ch02", "q1"), CHECK
    )
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    return nb


def _texts(cell):
    """Everything a student sees in a cell's outputs, one string per output."""
    out = []
    for o in cell.outputs:
        if o.output_type == "stream":
            out.append(o.text)
        elif o.output_type == "error":
            out.append("\n".join(o.traceback))
        else:
            out.append(str(o.get("data", {}).get("text/plain", "")))
    return out


def _only_error(cell):
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert len(cell.outputs) == 1 and len(errors) == 1, cell.outputs
    return errors[0]


def test_wrong_answer_in_a_kernel_shows_one_line_and_no_traceback(executed):
    err = _only_error(executed.cells[2])
    assert (
        err.ename == "AssertionError"
    )  # what nbclient, nbval and `dlcourse grade` read
    assert err.evalue == (
        "q1: `sigmoid_derivative` fails a check: sigmoid_derivative"
        "(np.array([0.0])) should be [0.25], got [0.75]"
    )
    assert err.traceback == [
        f"✗ {err.evalue}"
    ]  # the rendered traceback: the message, once
    shown = "\n".join(_texts(executed.cells[2]))
    assert shown.count(err.evalue) == 1
    for internal in ("Traceback", "File ", "question.py", "dlcourse/exercises"):
        assert internal not in shown, (internal, shown)


def test_stub_in_a_kernel_says_not_implemented_in_one_line(executed):
    err = _only_error(executed.cells[4])
    assert err.ename == "NotImplementedError"
    assert err.evalue == (
        "q1: not implemented yet — replace the `raise NotImplementedError` "
        "with your code"
    )
    assert err.traceback == [f"✗ {err.evalue}"]
    assert "\n".join(_texts(executed.cells[4])).count("not implemented yet") == 1


def test_right_answer_in_a_kernel_prints_the_tick(executed):
    assert _texts(executed.cells[6]) == [
        "✓ q1: Correct — `sigmoid_derivative` passes all 4 checks\n"
    ]


def test_a_failed_check_is_still_an_error_for_nbclient():
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = _kernel_notebook(NAIVE_SIGMOID, CHECK)
    with pytest.raises(CellExecutionError) as info:
        NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    assert info.value.ename == "AssertionError"
    assert "fails a check" in info.value.evalue and "question.py" not in str(info.value)


def test_plain_python_keeps_an_ordinary_traceback(tmp_path):
    script = tmp_path / "answer.py"
    script.write_text(NAIVE_SIGMOID.join(["import numpy as np\n", "\n"]) + CHECK + "\n")
    run = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 1 and run.stdout == ""
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "AssertionError: q1: `sigmoid_derivative` fails a check: "
    ), run.stderr
    assert "Traceback (most recent call last)" in run.stderr
    assert run.stderr.count("should be [0.25], got [0.75]") == 1


def test_a_test_that_crashes_on_the_answer_is_a_failed_check(capsys):
    def needs_a_list(answer, expected, label):
        answer.append(1)  # AttributeError on anything else

    q = Question("q9", "xs", [value([], compare=needs_a_list)], hint="h")
    with pytest.raises(AssertionError) as info:
        q.check({"xs": 3})
    assert str(info.value).startswith(
        "q9: `xs` fails a check: checking it raised AttributeError"
    )
    assert info.value._render_traceback_() == [f"✗ {info.value}"]


# ---------------------------------------------------------------- messages print readably
def test_small_arrays_are_written_out_on_one_line():
    with pytest.raises(AssertionError) as info:
        assert_close(
            np.array([[0.5, 1.0], [1.5, 2.0]]),
            np.array([[0.5, 1.0], [1.5, 3.0]]),
            "f(x)",
        )
    assert str(info.value) == (
        "f(x) should be [[0.5, 1.0], [1.5, 3.0]], got [[0.5, 1.0], [1.5, 2.0]] "
        "(wrong at index (1, 1))"
    )


def test_large_arrays_are_summarised_by_the_first_wrong_element():
    expected = np.linspace(0, 1, 200).reshape(10, 20)
    actual = expected.copy()
    actual[3, 7] += 0.5
    with pytest.raises(AssertionError) as info:
        assert_close(actual, expected, "f(x)")
    msg = str(info.value)
    assert msg == (
        "f(x): 1 of 200 values are wrong; the first, at index (3, 7), "
        "should be 0.3367, got 0.8367"
    )
    # inputs too: shape and first values, never NumPy's wrapped printout
    assert _short(expected) == "<array of shape (10, 20): 0.0, 0.005025, 0.01005, …>"
    assert (
        _short(np.arange(12.0))
        == "np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0])"
    )


def test_numbers_get_as_many_digits_as_it_takes_to_differ():
    with pytest.raises(AssertionError, match=r"^x should be 0\.25, got 0\.2500001$"):
        assert_close(0.2500001, 0.25, "x", rtol=1e-9, atol=0.0)
    with pytest.raises(AssertionError, match=r"^x should be 0\.1192, got 0\.2689$"):
        assert_close(0.2689414213699951, 0.11920292202211755, "x")
    assert (
        fmt(np.array([1, 2])) == "[1, 2]" and fmt(np.array([1.0, -0.0])) == "[1.0, 0.0]"
    )


def test_inputs_of_any_kind_print_on_one_line():
    layers = [(np.ones((3, 2)), np.zeros(3)), (np.ones((1, 3)), np.zeros(1))]
    for x, shown in [
        (np.tanh, "tanh"),
        (lambda z: z, "a lambda"),
        ((np.zeros(2), 0.5), "(np.array([0.0, 0.0]), 0.5)"),
        (layers, "[(<array 3×2>, <array 3>), (<array 1×3>, <array 1>)]"),
        ([np.zeros(2), 1], "[np.array([0.0, 0.0]), 1]"),
        (np.random.default_rng(0), "Generator(PCG64)"),
        (np.float64(0.5), "0.5"),
        (np.array([1.0], dtype=np.float32), "np.array([1.0], dtype=float32)"),
    ]:
        assert _short(x) == shown
    assert (
        "\n" not in _short(torch.ones(30, 30)) and len(_short(torch.ones(30, 30))) <= 60
    )


def test_every_part_of_a_returned_tuple_must_be_new():
    x = np.arange(3.0)
    with pytest.raises(AssertionError, match="view of"):
        assert_new_array((x + 1, x[:2]), x)
    assert_new_array((x + 1, x * 2, 3.0), x)


def test_assert_float_names_what_it_got():
    assert_float(np.float64(0.5))
    assert_float(0.5)
    for bad in [np.array(0.5), torch.tensor(0.5), 1, np.float32(0.5)]:
        with pytest.raises(AssertionError, match="should be a float"):
            assert_float(bad)


# ---------------------------------------------------------------- a ✓ never hides a stated requirement
# (chapter, question) -> a plausible wrong answer (tests/wrong_answers/chNN.py): one that got
# "✓ Correct" from the visible check() once, or a learner's likely mistake on a new question.
WRONG = {
    (path.stem, question): source
    for path in sorted((ROOT / "tests" / "wrong_answers").glob("ch[0-9][0-9].py"))
    for question, source in runpy.run_path(str(path))["WRONG"].items()
}


def test_every_question_has_a_plausible_wrong_answer():
    """The suite holds a learner's likely mistake for every question (run just below)."""
    missing = [
        f"{q.chapter}.{q.name}"
        for q in (p.values[0] for p in _all_questions())
        if (q.chapter, q.name) not in WRONG
    ]
    assert not missing, f"no wrong answer in tests/wrong_answers for {missing}"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the wrong answers overflow
@pytest.mark.parametrize("key", list(WRONG), ids=[f"{c}.{q}" for c, q in WRONG])
def test_a_stated_requirement_is_checked_visibly(key, capsys, monkeypatch):
    chapter, name = key
    q = getattr(getattr(exercises, chapter), name)
    namespace = {"np": np, "torch": torch}
    if any(isinstance(t, Choice) for t in q.tests):
        # A choice is judged right or wrong only where its answer is registered: a
        # practice copy (its hidden test judges it in a graded copy; see below).
        monkeypatch.setattr(solutions, "_REGISTERED", {})
        solutions.register(chapter, {name: solution_of(chapter, name)})
    exec(textwrap.dedent(WRONG[key]), namespace)
    with pytest.raises(AssertionError) as info:
        q.check(namespace)
    assert str(info.value).startswith(f"{name}: `{q.variable}` fails a check: ")
    assert "\n" not in str(info.value)
    # and the reference answer still passes
    exec(solution_of(chapter, name), namespace)
    q.check(namespace)
    assert capsys.readouterr().out.startswith(f"✓ {name}: Correct")


def _choice_questions():
    return [
        pytest.param(q, id=f"{q.chapter}.{q.name}")
        for q in (p.values[0] for p in _all_questions())
        if any(isinstance(t, Choice) for t in q.tests)
    ]


@pytest.mark.parametrize("q", _choice_questions())
def test_a_graded_copy_never_tells_a_choice_and_the_hidden_test_does(q, capsys):
    """Without a practice copy's registered solution, ``check()`` judges only the form of a
    choice (the learner's package does not know the answer); the instructor's hidden test
    fails a wrong choice and passes the right one."""
    from dlcourse_instructor.answers import hidden

    key = (q.chapter, q.name)
    assert key in WRONG, f"{q.chapter}.{q.name}: add a plausible wrong choice to WRONG"
    assert solutions.get(*key) is None
    right, wrong = {}, {}
    exec(solution_of(*key), right)
    exec(textwrap.dedent(WRONG[key]), wrong)
    for namespace in (right, wrong):
        q.check(namespace)
        assert "well-formed choice" in capsys.readouterr().out

    def verdict(namespace):
        q.verdict(
            hidden(*key),
            lambda t: observe(t.spec(), namespace[q.variable]),
            hidden=True,
        )

    verdict(right)
    with pytest.raises(AssertionError, match="not the right choice"):
        verdict(wrong)

"""Observing an answer, as plain data: the half of a check that runs where the answer lives.

A check of an exercise is split in two. The *observation* calls the student's function on
the test's inputs (or reads their value) and records what happened as plain data: numbers,
strings, lists and NumPy arrays (as ``.npy`` bytes), never pickles or live objects. The
*judgement* compares that data with the expected answer. In a notebook, ``q1.check()`` does
both in the same process. The autograder does the observation in the student's sandboxed
kernel and the judgement in its own process, so nothing the submission does to its kernel
(patched NumPy, an object whose ``__eq__`` always says yes, an input transformer) can make a
wrong answer pass: at worst it spoils the observation, and a spoiled observation fails.

The data format (``encode``/``decode``) is JSON: arrays become
``{"__ndarray__": <base64 of np.save bytes>}``, tuples ``{"__tuple__": [...]}``, anything
else a short description that no comparison accepts. ``report(spec)`` is what the grader
asks the kernel to run; it publishes the observation as a display output of the MIME type
:data:`MIME`.

The exercises of every chapter use it.

See chapter: For instructors (book/instructors.md)
"""

from __future__ import annotations

import base64
import copy
import io
import json
import math
import sys
import traceback
from typing import Any

import numpy as np

__all__ = [
    "MIME",
    "Code",
    "TensorData",
    "Unsupported",
    "decode",
    "encode",
    "observe",
    "report",
]

#: The MIME type of an observation published by :func:`report`.
MIME = "application/vnd.dlcourse.observation+json"
#: Arrays larger than this (in bytes) are not sent back (the observation says so).
MAX_ARRAY_BYTES = 8 * 1024 * 1024


class Code:
    """A test input that is a small piece of code, built where the answer runs.

    ``Code("lambda th: H @ th", H=np.eye(2))`` becomes that function, with ``H`` bound (and
    ``np`` available). Inputs that are functions or objects cannot travel as data; their
    recipe can.
    """

    def __init__(self, source: str, *, label: str | None = None, **env: Any) -> None:
        self.source, self.env, self.label = source, env, label

    def build(self) -> Any:
        namespace: dict[str, Any] = {"np": np}
        namespace.update({k: decode(encode(v)) for k, v in self.env.items()})
        return eval(self.source, namespace)

    def __repr__(self) -> str:
        if self.label:
            return self.label
        return self.source if len(self.source) <= 40 else self.source[:37] + "..."


# --------------------------------------------------------------------------- data
def encode(x: Any, depth: int = 0) -> Any:
    """``x`` as JSON-able data (see the module's docstring); subclasses lose their tricks."""
    if depth > 20:
        return {"__unsupported__": "nested too deeply"}
    if x is None or type(x) is bool or type(x) is str:
        return x
    if isinstance(x, bool):
        return bool(x)
    if isinstance(x, int) and not isinstance(x, np.integer):
        return int(x)
    if isinstance(x, float) and not isinstance(x, np.floating):
        return _float(float(x))
    if isinstance(x, np.generic):
        return {"__scalar__": encode(np.asarray(x), depth + 1)}
    if isinstance(x, np.ndarray):
        return _array(x)
    if isinstance(x, Code):
        return {
            "__code__": x.source,
            "env": {k: encode(v) for k, v in x.env.items()},
            "label": x.label,
        }
    if isinstance(x, (list, tuple)):
        items = [encode(v, depth + 1) for v in list(x)[:10_000]]
        return {"__tuple__": items} if isinstance(x, tuple) else items
    if isinstance(x, dict):
        return {
            "__dict__": [
                [encode(k, depth + 1), encode(v, depth + 1)] for k, v in x.items()
            ]
        }
    if type(x).__module__.startswith("torch") and hasattr(
        x, "detach"
    ):  # a torch tensor
        data = np.asarray(x.detach().cpu().numpy())
        return {"__tensor__": _array(data), "kind": "torch"}
    if isinstance(
        getattr(x, "data", None), (np.ndarray, np.generic)
    ):  # a dlcourse Tensor
        return {"__tensor__": _array(np.asarray(x.data)), "kind": "dlcourse"}
    return {"__unsupported__": f"an object of type {type(x).__name__}"}


def _float(v: float) -> Any:
    return v if math.isfinite(v) else {"__float__": repr(v)}


def _array(a: np.ndarray) -> Any:
    a = np.asarray(a)
    if a.dtype.kind not in "biufc":
        return {"__unsupported__": f"array of dtype {a.dtype}"}
    if a.nbytes > MAX_ARRAY_BYTES:
        return {"__unsupported__": f"array of {a.nbytes} bytes (too large to check)"}
    buf = io.BytesIO()
    np.save(
        buf, a.copy(order="C"), allow_pickle=False
    )  # ascontiguousarray makes 0-d 1-d
    return {"__ndarray__": base64.b64encode(buf.getvalue()).decode("ascii")}


class TensorData:
    """A decoded tensor (PyTorch's or dlcourse's): its values, and which kind it was."""

    def __init__(self, kind: str, array: np.ndarray) -> None:
        self.kind, self.array = kind, array

    def __repr__(self) -> str:
        return f"<{self.kind} tensor of shape {self.array.shape}>"


class Unsupported:
    """What :func:`decode` gives for something the observation could not carry."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __repr__(self) -> str:
        return f"<{self.what}>"


def decode(x: Any) -> Any:
    """The inverse of :func:`encode`, safe on untrusted data (no pickle, no eval)."""
    if isinstance(x, list):
        return [decode(v) for v in x]
    if not isinstance(x, dict):
        return x
    if "__ndarray__" in x:
        raw = base64.b64decode(str(x["__ndarray__"]), validate=False)
        return np.load(io.BytesIO(raw), allow_pickle=False)
    if "__tensor__" in x:
        return TensorData(str(x.get("kind", "torch")), decode(x["__tensor__"]))
    if "__scalar__" in x:
        arr = decode(x["__scalar__"])
        return arr[()] if isinstance(arr, np.ndarray) else arr
    if "__tuple__" in x:
        return tuple(decode(v) for v in x["__tuple__"])
    if "__float__" in x:
        return float(str(x["__float__"]))
    if "__dict__" in x:
        return {_key(decode(k)): decode(v) for k, v in x["__dict__"]}
    if "__code__" in x:
        env = {k: decode(v) for k, v in dict(x.get("env", {})).items()}
        label = x.get("label")
        return Code(str(x["__code__"]), label=str(label) if label else None, **env)
    return Unsupported(str(x.get("__unsupported__", "something unreadable")))


def _key(k: Any) -> Any:
    return k if isinstance(k, (str, int, float, bool, tuple)) or k is None else repr(k)


# --------------------------------------------------------------------------- observing
def _built(x: Any) -> Any:
    """Decoded test input, with :class:`Code` recipes turned into the objects they make."""
    if isinstance(x, Code):
        return x.build()
    if isinstance(x, list):
        return [_built(v) for v in x]
    if isinstance(x, tuple):
        return tuple(_built(v) for v in x)
    return x


def _library_dirs() -> tuple[str, ...]:
    """Folders whose frames are not the student's code (the standard library, installed
    packages, this package)."""
    import os
    import sysconfig

    dirs = {os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs.add(os.path.abspath(path))
    return tuple(d.rstrip(os.sep) + os.sep for d in dirs)


def _raised(err: BaseException) -> dict[str, Any]:
    """What the student's function raised, and the line of *their* code where it did."""
    import os

    lib = _library_dirs()
    frames = [
        f
        for f in traceback.extract_tb(err.__traceback__)
        if not os.path.abspath(f.filename).startswith(lib)
        and not f.filename.startswith("<frozen")
    ]
    where = frames[-1] if frames else None
    text = str(err).strip().splitlines()
    return {
        "type": type(err).__name__,
        "message": text[0][:300] if text else "",
        "line": where.lineno if where else None,
        "code": (where.line or "").strip()[:80] if where else "",
        "function": where.name if where else "",
    }


def observe(spec: dict[str, Any], answer: Any) -> dict[str, Any]:
    """Run the observation ``spec`` (see :meth:`Call.spec`) on ``answer``; JSON-able result."""
    kind = spec.get("observer", "value")
    if kind == "value":
        return {"value": encode(answer)}
    if kind != "call":
        return {"error": f"unknown observer {kind!r}"}
    if not callable(answer):
        return {"not_callable": type(answer).__name__}
    args = _built(decode(spec.get("args", [])))
    kwargs = {k: _built(decode(v)) for k, v in dict(spec.get("kwargs", {})).items()}
    args, kwargs = copy.deepcopy(list(args)), copy.deepcopy(kwargs)
    inputs = [*args, *kwargs.values()]
    try:
        with np.errstate(**dict(spec.get("errstate") or {})):
            result = answer(*args, **kwargs)
        if (
            spec.get("materialize")
            and result is not None
            and not isinstance(result, (np.ndarray, list, tuple, dict, str))
        ):
            result = list(result)  # an iterator or a generator: what it yields
    except NotImplementedError:
        return {"not_implemented": True}
    except Exception as err:  # the student's code crashed: say where
        return {"raised": _raised(err)}
    shares = [
        bool(
            isinstance(result, np.ndarray)
            and isinstance(a, np.ndarray)
            and np.shares_memory(result, a)
        )
        for a in inputs
    ]
    if isinstance(result, tuple):
        shares = [
            s
            or any(
                isinstance(r, np.ndarray)
                and isinstance(a, np.ndarray)
                and np.shares_memory(r, a)
                for r in result
            )
            for s, a in zip(shares, inputs)
        ]
    return {
        "result": encode(result),
        "args_after": [encode(a) for a in args],
        "kwargs_after": {k: encode(v) for k, v in kwargs.items()},
        "shares_memory": shares,
    }


def report(specs_json: str) -> None:
    """Observe ``__main__``'s answers for a grader's specs and publish them (MIME :data:`MIME`).

    The grader sends ``report('<list of specs as JSON>')`` to the student's kernel, one line
    per question; the observations come back, in order, as one display output of that
    execution: ``{"observations": [{"id": …, "observation": {…}}, …]}``.
    """
    from IPython.display import publish_display_data

    specs = json.loads(specs_json)
    namespace = vars(sys.modules["__main__"])
    results = []
    for spec in specs if isinstance(specs, list) else [specs]:
        variable = spec["variable"]
        if variable not in namespace:
            observation: dict[str, Any] = {"undefined": True}
        else:
            try:
                observation = observe(spec, namespace[variable])
            except (
                Exception
            ) as err:  # the observation itself failed: a spoiled observation
                observation = {"error": f"{type(err).__name__}: {err}"[:300]}
        results.append({"id": spec.get("id"), "observation": observation})
    publish_display_data({MIME: {"observations": results}})

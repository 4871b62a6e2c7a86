"""Which file is whose: the sources of an assignment and the submissions to grade.

An assignment is one or more *source* notebooks; a notebook's name is its file's stem
(``01_neuron``). Submissions are found in any of these forms (folders are searched
recursively for ``*.ipynb``; hidden files and ``.ipynb_checkpoints`` are skipped):

=============================================  ===========  ===================
path                                           student      notebook
=============================================  ===========  ===================
``submitted/<student>/<assignment>/<nb>.ipynb``  the folder   ``<nb>`` (nbgrader)
``<student>/<nb>.ipynb``                        the folder   ``<nb>``
``<nb>/<student>.ipynb``                        the stem     ``<nb>``
``<student>.ipynb`` (one source only)           the stem     the source
=============================================  ===========  ===================

A file named on the command line is a submission whatever its extension (one that is not a
notebook is graded "unreadable"). In nbgrader's layout a notebook whose name matches no
source is skipped with a warning, as nbgrader does. Everything else that cannot be
understood raises :class:`GradingInputError` with one sentence saying what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class GradingInputError(ValueError):
    """A command line that cannot be graded (missing file, two submissions for one notebook...)."""


@dataclass(frozen=True)
class Submission:
    student: str
    notebook: str  # the source's name (file stem)
    path: Path


@dataclass
class Found:
    # sorted by student, then notebook in the sources' order
    submissions: list[Submission]
    # every student seen, also those whose files were all skipped
    students: list[str]
    # files skipped, empty folders
    warnings: list[str]


def source_notebooks(paths) -> list[Path]:
    """The source notebooks: files as given, a folder for the ``*.ipynb`` directly in it."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.glob("*.ipynb") if not q.name.startswith("."))
            if not found:
                raise GradingInputError(
                    f"the source folder {p} holds no .ipynb notebook"
                )
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise GradingInputError(f"the source notebook {p} does not exist")
    names: dict[str, Path] = {}
    for p in out:
        if p.stem in names and names[p.stem].resolve() != p.resolve():
            raise GradingInputError(
                f"two source notebooks are named {p.stem!r} ({names[p.stem]} and {p}); "
                "the notebooks of one assignment need different file names"
            )
        names.setdefault(p.stem, p)
    return [names[n] for n in dict.fromkeys(p.stem for p in out)]


def _notebooks_in(folder: Path) -> list[Path]:
    return sorted(
        q
        for q in folder.rglob("*.ipynb")
        if q.is_file()
        and not any(part.startswith(".") for part in q.relative_to(folder).parts)
    )


def _nbgrader(path: Path) -> tuple[str, str] | None:
    """``(student, assignment)`` for ``.../submitted/<student>/<assignment>/<file>``."""
    parts = path.absolute().parts
    if len(parts) >= 4 and parts[-4] == "submitted":
        return parts[-3], parts[-2]
    return None


def find_submissions(
    paths, notebooks: list[str], assignment: str | None = None, exclude=()
) -> Found:
    """The submissions under ``paths`` for the assignment's ``notebooks`` (source names).

    Files in ``exclude`` (the source notebooks) are skipped with a warning.

    Raises :class:`GradingInputError` for what cannot be graded.
    """
    files: list[Path] = []
    warnings: list[str] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = _notebooks_in(p)
            if not found:
                warnings.append(f"no notebook in {p}")
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            raise GradingInputError(f"the submission {p} does not exist")
    known = set(notebooks)
    skip = {Path(p).resolve() for p in exclude}
    found_by: dict[tuple[str, str], Path] = {}
    students: set[str] = set()
    for f in dict.fromkeys(files):  # the same file named twice counts once
        if f.resolve() in skip:
            warnings.append(f"skipped {f}: it is a source notebook, not a submission")
            continue
        key = _classify(f, notebooks, known, assignment, warnings)
        if key is None:
            continue
        students.add(key[0])
        if key[1] is None:
            continue  # a student with a notebook we do not grade: "not submitted"
        key = (key[0], key[1])
        if key in found_by and found_by[key].resolve() != f.resolve():
            hint = (
                " (name the assignment with --assignment)"
                if _nbgrader(f) and _nbgrader(found_by[key])
                else ""
            )
            raise GradingInputError(
                f"two submissions of {key[1]} for student {key[0]!r}: "
                f"{found_by[key]} and {f}; keep one{hint}"
            )
        found_by[key] = f
    if not found_by and not students:
        raise GradingInputError(
            "no submission found in "
            + ", ".join(map(str, paths))
            + " (expected notebooks named like the source, or <student>.ipynb files)"
        )
    order = {n: i for i, n in enumerate(notebooks)}
    subs = [Submission(s, n, p) for (s, n), p in found_by.items()]
    subs.sort(key=lambda s: (s.student, order[s.notebook]))
    return Found(subs, sorted(students), warnings)


def _classify(f: Path, notebooks, known, assignment, warnings):
    """``(student, notebook or None)`` of one file, or None to skip it."""
    nbg = _nbgrader(f)
    if nbg is not None:
        student, folder = nbg
        if assignment is not None and folder != assignment:
            return None
        if f.stem in known:
            return student, f.stem
        warnings.append(
            f"skipped {f}: its name matches no source notebook ({', '.join(notebooks)})"
        )
        return student, None
    if f.stem in known:
        return f.parent.absolute().name, f.stem
    if f.parent.name in known:
        return f.stem, f.parent.name
    if len(notebooks) == 1:
        return f.stem, notebooks[0]
    raise GradingInputError(
        f"cannot tell which notebook {f} is: with several source notebooks, name each "
        "submission like its source (<student>/<notebook>.ipynb) or put it in a folder "
        "named like its source (<notebook>/<student>.ipynb)"
    )

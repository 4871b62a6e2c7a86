"""Test helper: an exercise notebook with one more written answer (nbgrader's manually graded
Markdown cell), built in memory, so the release, the grader and nbgrader can be tested on
written answers whatever the committed notebooks hold.

    nb = with_written_answer(read_notebook("exercises/01_neuron.ipynb"))
"""

from __future__ import annotations

import copy
import re

import nbformat

QUESTION = "q90"  # a number no chapter uses
GRADE_ID = f"{QUESTION}_written"
POINTS = 2
PROMPT = (
    "## Question 90 (written answer, 2 points)\n\n"
    "Why can a single neuron never classify all four points of XOR correctly?"
)
MODEL_ANSWER = (
    "A single neuron separates its inputs with one straight line, the set where the "
    "weighted sum equals minus the bias. The two points of one XOR class sit on opposite "
    "corners of the square, so every straight line leaves at least one point on the wrong "
    "side."
)
RUBRIC = (
    "**Rubric:** one point for naming the single straight decision boundary; one point "
    "for explaining why the diagonal corners cannot be split by it."
)


def _meta(gid: str, **flags) -> dict:
    base = {"grade": False, "solution": False, "locked": False}
    return {"nbgrader": {**base, **flags, "grade_id": gid, "schema_version": 3}}


def with_written_answer(
    nb, model_answer: str = MODEL_ANSWER, rubric: str = RUBRIC, points: int = POINTS
) -> nbformat.NotebookNode:
    """A copy of ``nb`` with a locked prompt (``q90_prompt``) and a written answer
    (``q90_written``: model answer, then the rubric line) at the end."""
    nb = copy.deepcopy(nb)
    prompt = nbformat.v4.new_markdown_cell(
        PROMPT, metadata=_meta(f"{QUESTION}_prompt", locked=True)
    )
    answer = nbformat.v4.new_markdown_cell(
        f"{model_answer}\n\n{rubric}",
        metadata=_meta(GRADE_ID, grade=True, solution=True, points=points),
    )
    prompt["id"], answer["id"] = f"{QUESTION}-prompt", f"{QUESTION}-written"
    nb.cells += [prompt, answer]
    return nb


def without_written_answers(nb) -> nbformat.NotebookNode:
    """A copy of ``nb`` without its own written answers (``qN_written``) and their prompts,
    so that a test can follow the one written answer it adds."""
    nb = copy.deepcopy(nb)
    gids = [
        c.get("metadata", {}).get("nbgrader", {}).get("grade_id", "") for c in nb.cells
    ]
    written = {g.split("_")[0] for g in gids if g.endswith("_written")}
    nb.cells = [
        c
        for c, g in zip(nb.cells, gids)
        if not (g.split("_")[0] in written and g.endswith(("_written", "_prompt")))
    ]
    return nb


def sentences(text: str, shortest: int = 25) -> list[str]:
    """The sentences of ``text`` (whitespace collapsed) of at least ``shortest`` characters:
    what a leak check looks for."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", text)
    return [s for s in (" ".join(p.split()) for p in parts) if len(s) >= shortest]

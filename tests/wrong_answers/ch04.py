"""Plausible wrong answers to the questions of ch04: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q5": """
prediction = "B"                           # each layer doubles the pieces, as with the tent
""",
    "q6": """
def count_regions_1d(w, b, lo, hi):
    keep = w != 0                          # "fixes" the division by zero, keeps the bug
    kinks = -b[keep] / w[keep]
    inside = kinks[(kinks > lo) & (kinks < hi)]
    return len(inside) + 1
""",
}

"""Plausible wrong answers to the questions of ch06: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q2": """
def stable_lr_limit(H):
    return float(2.0 / np.max(np.diag(H)))     # right for a diagonal H only
""",
    "q6": """
chosen_lr = 0.1                             # the stability limit itself: y flips sign forever
""",
    "q7": """
prediction = "A"                            # ten times the rate, ten times the speed
""",
}

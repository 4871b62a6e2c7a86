"""Plausible wrong answers to the questions of ch09: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q6": """
matmul_time = "B"                          # four times the entries, four times the time
""",
    "q7": """
valley_settings = {"lr": 0.02, "momentum": 0.9}   # the chapter's conventional momentum
""",
}

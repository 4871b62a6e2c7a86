"""Plausible wrong answers to the questions of ch04: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q1": """
def tent(x):
    return 2 * np.maximum(x, 0) - 2 * np.maximum(x - 0.5, 0)   # cancels the slope: flat after 1/2
""",
    "q2": """
def tent(x):
    return 2 * np.maximum(x, 0) - 4 * np.maximum(x - 0.5, 0)

def sawtooth(x, k):
    for _ in range(k - 1):                 # off by one: k layers are k tents
        x = tent(x)
    return x
""",
    "q3": """
def max_regions(n):
    return 2**n                            # "each line doubles the regions": only while n ≤ 2
""",
    "q4": """
def max_regions(n):
    return 1 + n + n * (n - 1) // 2

def width_to_match(regions):
    n = 0
    while max_regions(n) <= regions:       # stops one too late when the bound hits it exactly
        n += 1
    return n
""",
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

"""Plausible wrong answers to the questions of ch14: each is a mistake a learner makes; the
visible check (or, for a choice, the practice copy's registered answer) must fail it. Used
by tests/test_feedback.py."""

WRONG = {
    "q1": """
from collections import Counter

def pair_counts(ids):
    return dict(Counter(zip(ids[::2], ids[1::2])))   # only the pairs that start at even positions
""",
    "q2": """
def merge(ids, pair, new_id):
    out = list(ids)
    for i in range(len(ids) - 1):
        if (ids[i], ids[i + 1]) == pair:       # overlapping matches in "aaa" both merge
            out[i], out[i + 1] = new_id, None
    return [t for t in out if t is not None]
""",
    "q3": """
def per_character(loss_per_token, tokens_per_char):
    nats = loss_per_token / tokens_per_char      # divides where it should multiply
    return nats / np.log(2), np.exp(nats)
""",
    "q4": """
prediction = "B"
""",
    "q5": """
from collections import Counter

def encode(text, merges):
    ids = list(text.encode("utf-8"))
    while len(ids) > 1:
        counts = Counter(zip(ids, ids[1:]))
        known = [p for p in counts if p in merges]
        if not known:
            break
        pair = max(known, key=counts.get)        # the bug left in: most frequent, not first learned
        new_id, out, i = 256 + merges.index(pair), [], 0
        while i < len(ids):
            if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
                out.append(new_id)
                i += 2
            else:
                out.append(ids[i])
                i += 1
        ids = out
    return ids
""",
    "q6": """
diagnosis = "C"
""",
    "q7": """
honest_number = "B"
""",
}

"""Plausible wrong answers to the questions of ch11: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q6": """
receptive_field = "B"   # 7 after the convolutions, +1 for the pooling, +2 for the last one
""",
    "q7": """
def conv_channels(x, weight):
    # "fixed" by flipping the kernel: a mathematician's convolution, not the library's
    n_out, _, k, _ = weight.shape
    h_out, w_out = x.shape[1] - k + 1, x.shape[2] - k + 1
    out = np.zeros((n_out, h_out, w_out))
    for a in range(k):
        for b in range(k):
            patch = x[:, a:a + h_out, b:b + w_out]
            out += np.tensordot(weight[:, :, k - 1 - a, k - 1 - b], patch, axes=1)
    return out
""",
    "q8": """
cnn_settings = {"channels": 8, "lr": 0.01}   # a careful learning rate: too slow for 40 steps
""",
}

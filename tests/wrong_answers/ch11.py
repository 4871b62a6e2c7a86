"""Plausible wrong answers to the questions of ch11: each passed a check it should not have,
or is a mistake a learner makes; the visible check (or, for a choice, the practice copy's
registered answer) must fail it. Used by tests/test_feedback.py."""

WRONG = {
    "q1": """
def conv_output_size(n, k, padding=0, stride=1, dilation=1):
    # a dilated kernel "is d times as wide": d * k pixels, not d * (k - 1) + 1
    return (n + 2 * padding - dilation * k) // stride + 1
""",
    "q2": """
def conv_params(in_channels, out_channels, kernel_size):
    return out_channels * (kernel_size**2 + 1)   # one k x k kernel per output: channels forgotten
""",
    "q3": """
def conv2d_single(image, kernel):
    kernel = kernel[::-1, ::-1]            # a mathematician's convolution: the kernel flipped
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out
""",
    "q4": """
def max_pool(x, k):
    out = np.zeros((x.shape[0] // k, x.shape[1] // k))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            for value in x[k * i:k * i + k, k * j:k * j + k].ravel():
                out[i, j] = max(out[i, j], value)   # starts from 0: all-negative windows give 0
    return out
""",
    "q5": """
def conv_layer(x, weight, bias, stride=1, padding=0):
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    n_out, _, kh, kw = weight.shape
    h_out = (xp.shape[1] - kh) // stride + 1
    w_out = (xp.shape[2] - kw) // stride + 1
    out = np.empty((n_out, h_out, w_out))
    for o in range(n_out):
        for i in range(h_out):
            for j in range(w_out):
                window = xp[:, i:i + kh, j:j + kw]   # the stride shrinks the output but the window does not move by it
                out[o, i, j] = bias[o] + np.sum(weight[o] * window)
    return out
""",
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

"""dlcourse: the companion package of "Deep Learning, from the neuron to the Transformer".

One concept per module, each short enough to read next to its chapter::

    dlcourse.activations   step, sigmoid, tanh, ReLU, GELU and their derivatives
    dlcourse.neuron        the artificial neuron and the perceptron rule
    dlcourse.autograd      Tensor: reverse-mode automatic differentiation over NumPy
    dlcourse.graph         drawing a computation graph with its gradients
    dlcourse.module        Module: the base class of every layer
    dlcourse.nn            Linear, Sequential, MLP, Dropout, activation modules
    dlcourse.rng           seeds and random generators (as_generator)
    dlcourse.interop       is_torch, to_numpy, and from_torch's registry of twins
    dlcourse.init          Xavier/Glorot and He/Kaiming initialisation
    dlcourse.losses        MSE, binary and categorical cross-entropy
    dlcourse.optim         SGD (with momentum), RMSprop, Adam, AdamW; weight decay
    dlcourse.lr_scheduler  learning-rate schedules: step, warm-up, cosine, in sequence
    dlcourse.lr_finder     the learning-rate range test and its suggestion
    dlcourse.train         one training loop for dlcourse and PyTorch models
    dlcourse.stats         intervals, a paired test and seed spreads for honest numbers
    dlcourse.landscapes    2-D loss landscapes and optimiser trajectories
    dlcourse.regions       linear regions of ReLU networks
    dlcourse.data          offline datasets and generators
    dlcourse.viz           decision boundaries, network diagrams, training curves
    dlcourse.animation     animations that play on a static page, offline
    dlcourse.diagnostics   gradient norms and activation statistics layer by layer
    dlcourse.throughput    matrix-product throughput on CPU and GPU
    dlcourse.distributed   data-parallel training over processes (torch.distributed, DDP)
    dlcourse.batchnorm     batch normalisation (BatchNorm1d, BatchNorm2d)
    dlcourse.conv          2-D convolution and max pooling (im2col)
    dlcourse.rnn           RNN and LSTM cells and layers
    dlcourse.gru           the GRU cell and layer
    dlcourse.attention     scaled dot-product and multi-head attention, positional encodings
    dlcourse.bpe           a byte-pair-encoding tokenizer, trained from scratch
    dlcourse.architecture  a model drawn from itself: layers, tensor shapes, parameter counts
    dlcourse.interpret     saliency maps, integrated gradients, the randomisation sanity check
    dlcourse.fairness      group disparity metrics, precision/recall, reweighting
    dlcourse.models        PyTorch models for training at speed (CNN, RNN/LSTM, seq2seq, GPT)
    dlcourse.device        CPU/GPU choice for every PyTorch path (DLCOURSE_DEVICE)
    dlcourse.source        the package's own code, shown in a notebook and in the book
    dlcourse.glue          numbers the book's prose quotes, handed over from the code

Submodules are imported on first use (``dlcourse.nn`` works after ``import dlcourse``), so
importing the package stays fast and does not import PyTorch.

See chapter: Deep Learning, from the neuron to the Transformer (book/intro.md)
"""

from __future__ import annotations

import importlib
from typing import Any

from dlcourse.autograd import Tensor, no_grad, tensor

__version__ = "0.1.0"

_SUBMODULES = {
    "activations",
    "neuron",
    "autograd",
    "graph",
    "module",
    "nn",
    "rng",
    "interop",
    "init",
    "losses",
    "optim",
    "lr_scheduler",
    "lr_finder",
    "train",
    "stats",
    "landscapes",
    "regions",
    "data",
    "viz",
    "device",
    "animation",
    "diagnostics",
    "throughput",
    "distributed",
    "batchnorm",
    "conv",
    "rnn",
    "gru",
    "attention",
    "bpe",
    "architecture",
    "models",
    "interpret",
    "fairness",
    "source",
    "glue",
}

__all__ = ["Tensor", "tensor", "no_grad", "__version__", *sorted(_SUBMODULES)]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"dlcourse.{name}")
    raise AttributeError(f"module 'dlcourse' has no attribute {name!r}")

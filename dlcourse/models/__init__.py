"""PyTorch models for training at speed (GPU-ready: each moves to ``dlcourse.device.device()``).

Each architecture is also written from scratch in ``dlcourse.conv``, ``dlcourse.rnn``,
``dlcourse.attention`` and ``dlcourse.decoder``; the chapters load these models' weights into the from-scratch layers
with ``from_torch`` and show that the two agree.

    dlcourse.models.cnn       a LeNet-style convolutional network
    dlcourse.models.rnn       sequence regressors (RNN/LSTM/GRU) and a character language model
    dlcourse.models.seq2seq   an encoder-decoder with attention, for number-to-words translation
    dlcourse.models.transformer_seq2seq  an encoder-decoder Transformer for the same task
    dlcourse.models.gpt       a small decoder-only Transformer
    dlcourse.models.deep      a deep MLP with He init, batch norm and residual switches
    dlcourse.models.vae       a variational autoencoder, a generative model of the digits
    dlcourse.models.training  the one training loop they all use (train_torch)

Import the module you need (``from dlcourse.models.cnn import LeNet``); importing this package
alone does not import PyTorch.

See chapter: Making deep networks trainable (book/10_trainable.ipynb); Convolutional networks
(book/11_cnn.ipynb); Recurrent networks, LSTMs and GRUs (book/12_rnn.ipynb); Attention and
Transformers (book/13_attention.ipynb); Language models: tokens, pretraining and fine-tuning
(book/14_language_models.ipynb); Applications and challenges (book/15_applications.ipynb)
"""

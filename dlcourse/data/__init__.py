"""Datasets for the course, all offline: generators and data that ship with the installed packages.

Nothing here downloads anything, ever. One module per kind of data:

    dlcourse.data.tabular     XOR, moons, circles, spirals, a toy spam set, scikit-learn's digits,
                              and the minibatch iterator
    dlcourse.data.images      generated shapes images; scikit-learn's bundled photographs
    dlcourse.data.sequences   the adding problem, copy, reverse, number-to-words translation
    dlcourse.data.text        a corpus that ships with Python: the standard library's docstrings
    dlcourse.data.stdlib_corpus  a larger one: every docstring in the standard library's source,
                              split into train and validation by module
    dlcourse.data.tabular_tasks  an imbalanced fraud set, user-item ratings, a biased hiring set
    dlcourse.data.language    a synthetic Markov language whose entropy rate is known exactly;
                              an associative-recall task for long-range dependencies

The names of ``tabular`` are re-exported here (``dlcourse.data.digits``); import the others from
their module (``from dlcourse.data.images import shapes``).

Every chapter that trains something draws its data here, from the first one on.

See chapter: The artificial neuron (book/01_neuron.ipynb)
"""

from dlcourse.data.tabular import (  # noqa: F401
    TOY_SPAM_RULE,
    Split,
    __all__,
    batches,
    circles,
    digits,
    moons,
    spirals,
    toy_spam,
    xor,
)

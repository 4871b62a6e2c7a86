"""Datasets for the course, all offline: generators and data that ship with the installed packages.

Nothing here downloads anything, ever. One module per kind of data:

    dlcourse.data.tabular     XOR, moons, circles, spirals, a toy spam set, scikit-learn's digits,
                              and the minibatch iterator

The names of ``tabular`` are re-exported here (``dlcourse.data.digits``), as before.

See chapter: The artificial neuron; Training a real network.
"""

from dlcourse.data.tabular import (  # noqa: F401
    TOY_SPAM_RULE,
    Split,
    batches,
    circles,
    digits,
    moons,
    spirals,
    toy_spam,
    xor,
)
from dlcourse.data.tabular import __all__  # noqa: F401

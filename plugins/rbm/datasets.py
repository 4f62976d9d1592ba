"""The data sets the RBM trains on: the loaders of the bundled ``datasets``
plugin (:mod:`framework_datasets.loaders`), which registers them; the RBM
only uses them (its ``Dataset`` type included)."""
from framework_datasets.loaders import *  # noqa: F401,F403
from framework_datasets.loaders import Dataset, DatasetError, bars_and_stripes, load_digits, load_mnist, load_npz  # noqa: F401

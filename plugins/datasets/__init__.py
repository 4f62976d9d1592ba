"""The data sets every model family uses, registered by a plugin of their own.

A bundled plugin registered exactly as a third party's would be (entry point
``framework.plugins``, name ``datasets``). Through ``framework_datasets()`` it
gives ``digits``, ``mnist``, ``bars_and_stripes`` and ``npz`` (loaders in
:mod:`.loaders`), so ``framework train logistic`` works whichever model
plugins are installed or disabled.
"""
from __future__ import annotations

from typing import Iterator

from framework.plugins import DatasetSpec, hookimpl

from .loaders import Dataset, DatasetError, bars_and_stripes, load_digits, load_mnist, load_npz

__version__ = "0.1.0"
__all__ = ["Dataset", "DatasetError", "framework_datasets"]


@hookimpl
def framework_datasets() -> Iterator[DatasetSpec]:
    yield DatasetSpec(name="digits", load=load_digits,
                      doc="8x8 handwritten digits (1797 real images bundled with scikit-learn), split 1197/300/300")
    yield DatasetSpec(name="mnist", load=load_mnist,
                      doc="MNIST from mnist.pkl.gz (read without running code) or the four IDX files")
    yield DatasetSpec(name="bars_and_stripes", load=bars_and_stripes,
                      doc="the bars-and-stripes toy distribution, generated (any size)")
    yield DatasetSpec(name="npz", load=load_npz,
                      doc="any .npz file: train_x/valid_x/test_x (+ _y) or x (+ y), read without pickle")

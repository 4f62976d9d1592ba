"""A CPU stand-in for cupyx (tests only): ``scatter_add``."""
import numpy as _np

import cupy


def scatter_add(a, slices, value):
    _np.add.at(a.view(_np.ndarray), cupy._unwrap(slices), cupy._unwrap(value))

"""``theano.misc.safe_asarray._asarray`` (also ``theano._asarray``): ``numpy.asarray`` with a
dtype that must come out exactly as asked, where ``'floatX'`` means ``config.floatX``."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ....config import config

__all__ = ["_asarray"]


def _asarray(a: Any, dtype: Any, order: Optional[str] = None) -> np.ndarray:
    """``a`` as an array of ``dtype`` (no copy when it already is one), as Theano's ``_asarray``:
    programs call it where ``numpy.asarray(a, dtype)`` would do, to be sure of the dtype."""
    if str(dtype) == "floatX":
        dtype = config.floatX
    dtype = np.dtype(dtype)
    out = np.asarray(a, dtype=dtype, order=order)
    if out.dtype != dtype:  # NumPy may hand back an equivalent dtype object of another name
        out = out.view(dtype)
    return out


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

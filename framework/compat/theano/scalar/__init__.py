"""``theano.scalar``: dtype helpers (``upcast``) Theano programs use."""
from __future__ import annotations

from typing import Any

import numpy as np

from ....config import config

__all__ = ["upcast", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "complex64",
           "complex128", "bool"]

float16, float32, float64 = "float16", "float32", "float64"
int8, int16, int32, int64, uint8 = "int8", "int16", "int32", "int64", "uint8"
complex64, complex128, bool = "complex64", "complex128", "bool"  # noqa: A001 -- Theano's names


def upcast(dtype: Any, *dtypes: Any) -> str:
    """The dtype NumPy gives to an operation mixing ``dtype`` and ``dtypes`` ('floatX' means
    ``config.floatX``), e.g. ``upcast('int32', 'float32') == 'float64'``."""
    names = [config.floatX if d == "floatX" else d for d in (dtype,) + dtypes]
    return np.result_type(*[np.dtype(n) for n in names]).name


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

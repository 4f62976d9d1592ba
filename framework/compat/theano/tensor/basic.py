"""``theano.tensor.basic``: the same names as ``theano.tensor``, and Theano's comparison helper
``_allclose`` with its default tolerances (``float32_atol`` & co.), which test suites use."""
from typing import Any, Optional

import numpy as np

from . import *  # noqa: F401,F403
from . import __all__  # noqa: F401

float32_atol = 1e-5
float32_rtol = 1e-5
float64_atol = 1e-8
float64_rtol = 1e-5
_NARROW = ("float16", "float32", "complex64")


def _tolerances(a: np.ndarray, b: np.ndarray, rtol: Optional[float], atol: Optional[float]) -> tuple:
    """``(rtol, atol)``: those given, else Theano's defaults for the narrower of the two dtypes."""
    narrow = str(a.dtype) in _NARROW or str(b.dtype) in _NARROW
    rtol_, atol_ = (float32_rtol, float32_atol) if narrow else (float64_rtol, float64_atol)
    return (rtol_ if rtol is None else rtol), (atol_ if atol is None else atol)


def _allclose(a: Any, b: Any, rtol: Optional[float] = None, atol: Optional[float] = None) -> bool:
    """Theano's ``_allclose``: ``numpy.allclose`` with tolerances chosen by dtype (above)."""
    a, b = np.asarray(a), np.asarray(b)
    rtol_, atol_ = _tolerances(a, b, rtol, atol)
    return bool(np.allclose(a, b, rtol=rtol_, atol=atol_))


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

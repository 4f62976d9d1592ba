"""Suite-wide fixtures."""
from __future__ import annotations

import numpy as np
import pytest

# NumPy's floating-point error handling before any test module is imported
_NUMPY_ERR = np.geterr()


@pytest.fixture(autouse=True)
def numpy_error_handling(request):
    """``import theano`` sets NumPy's error handling as Theano 1.0 does (``numpy.seterr(all='ignore')``),
    and the modules of tests/compat import it while the suite is collected. Every test outside
    tests/compat runs with NumPy's settings as a fresh process has them, so a test that expects
    NumPy's warnings passes the same alone and in the whole suite."""
    if "compat" in request.path.parts:
        yield
        return
    with np.errstate(**_NUMPY_ERR):
        yield

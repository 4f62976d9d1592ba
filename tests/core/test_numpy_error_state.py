"""Tests outside tests/compat see NumPy's own floating-point error handling, even though
``import theano`` (Theano 1.0's behaviour, kept by the layer) turns NumPy's warnings off
process-wide while the suite is collected (tests/conftest.py restores them per test)."""
from __future__ import annotations

import warnings

import numpy as np

import framework.compat.theano as _compat

_compat.install()
import theano  # noqa: E402,F401  (as a compat test module would, at collection)


def test_a_native_test_gets_numpys_warnings_back():
    assert np.geterr()["divide"] == "warn" and np.geterr()["invalid"] == "warn"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.log(np.zeros(1))
    assert any("divide by zero" in str(w.message) for w in caught)

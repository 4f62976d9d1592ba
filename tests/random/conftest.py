"""The tests check the tutorial's values at Theano's defaults (float64,
FAST_RUN), whatever FRAMEWORK_FLAGS says; tests of other modes pass their mode
explicitly."""
from __future__ import annotations

import pytest

from framework import config


@pytest.fixture(autouse=True)
def theano_defaults():
    with config.change_flags(floatX="float64", mode="FAST_RUN"):
        yield

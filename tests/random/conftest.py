"""The tests check the tutorial's values at Theano's defaults (float64,
FAST_RUN), whatever FRAMEWORK_FLAGS says; tests of other modes pass their mode
explicitly."""
from __future__ import annotations

import pytest

from framework import config
from framework.testing.streams import STREAMS


@pytest.fixture(autouse=True)
def theano_defaults():
    with config.change_flags(floatX="float64", mode="FAST_RUN"):
        yield


@pytest.fixture(params=STREAMS, ids=repr)
def streams(request):
    """The native RandomStreams (PCG64) and the Theano layer's (MT19937): tests that check the
    drawn numbers against NumPy run on both (framework.testing.streams)."""
    return request.param

"""Scan's rewrites come from the bundled rewrites plugin; make sure they are
registered even when that plugin is disabled or not yet wired. The tests check
the tutorial's values at Theano's defaults (float64, FAST_RUN), whatever
FRAMEWORK_FLAGS says; tests of other modes pass their mode explicitly."""
from __future__ import annotations

import pytest

import framework.plugins as plugins
from framework import config
from framework.testing.streams import STREAMS
from framework.core.backend import clear_backends


@pytest.fixture(autouse=True)
def scan_rewrites_registered():
    names = {s.name for s in plugins.rewrites()}
    if "scan_save_mem" not in names:
        from framework_rewrites.scan import SCAN_REWRITES

        missing = [s for s in SCAN_REWRITES if s.name not in names]

        class ScanRewritesForTests:
            @staticmethod
            @plugins.hookimpl
            def framework_rewrites():
                return missing

        plugins.register(ScanRewritesForTests(), name="scan_rewrites_for_tests")
        clear_backends()
    yield


@pytest.fixture(autouse=True)
def theano_defaults():
    with config.change_flags(floatX="float64", mode="FAST_RUN"):
        yield


@pytest.fixture(params=STREAMS, ids=repr)
def streams(request):
    """The native RandomStreams (PCG64) and the Theano layer's (MT19937): tests that check the
    drawn numbers against NumPy run on both (framework.testing.streams)."""
    return request.param

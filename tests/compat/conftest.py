"""Every test here imports ``theano`` through framework's alias, as a Theano program would."""
from __future__ import annotations

import pytest

import framework.compat.theano as compat_theano


@pytest.fixture(autouse=True, scope="session")
def theano_alias():
    compat_theano.install()
    yield

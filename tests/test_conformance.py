"""The backend conformance suite, run for every registered backend.

The NumPy backend runs it everywhere (CI); the CuPy backend runs it where
CuPy and a GPU are available and is skipped, with the reason, elsewhere.
"""
from framework.testing.conformance import *  # noqa: F401,F403 -- the tests, the fixture and the hook

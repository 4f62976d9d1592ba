"""Testing helpers for backends and plugins.

:mod:`framework.testing.conformance` is the backend conformance suite: the
same tests every backend must pass (values against NumPy, gradients against
finite differences, function semantics, random replay, scan).
:func:`run_conformance` runs it for one device from Python.
"""
from __future__ import annotations

import os
from typing import Sequence

__all__ = ["run_conformance"]


def run_conformance(device: str, extra_args: Sequence[str] = ()) -> int:
    """Run the conformance suite on ``device`` (``'cpu'``, ``'cuda'``, ``'cuda:1'``, a
    plugin's device); returns pytest's exit code (0: every test passed; tests are
    skipped, with the reason, where the device's backend is unavailable)."""
    import pytest

    from . import conformance

    old = os.environ.get(conformance.DEVICES_ENV)
    os.environ[conformance.DEVICES_ENV] = device
    try:
        return int(pytest.main([conformance.__file__, "-p", "no:cacheprovider", "-q", *extra_args]))
    finally:
        if old is None:
            os.environ.pop(conformance.DEVICES_ENV, None)
        else:
            os.environ[conformance.DEVICES_ENV] = old

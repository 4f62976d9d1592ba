"""bench/gpu_rbm.py's careful CuPy reference, checked on the CuPy stand-in (see test_fake_device.py)."""
from __future__ import annotations

import pytest

from .conftest import CXX
from .test_fake_device import FAKE, _pytest

pytestmark = pytest.mark.skipif(CXX is None, reason="the CuPy stand-in compiles kernels with a host C++ compiler")


def test_the_careful_cupy_reference_does_the_tutorials_work() -> None:
    proc = _pytest(str(FAKE / "checks_gpu_reference.py"))
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "1 passed" in proc.stdout

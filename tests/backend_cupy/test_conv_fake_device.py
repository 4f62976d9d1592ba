"""The conv plugin's CuPy kernels on the CPU stand-in for CuPy (see test_fake_device.py).

The checks (``fakecupy/checks_conv.py``) run in a subprocess so that the
real CuPy, where installed, is never shadowed in this process. This tests
the kernels' logic -- im2col, the GEMM layouts, col2im, no host reads -- not
CUDA: a GPU run is still needed.
"""
from __future__ import annotations

from .test_fake_device import FAKE, _pytest, pytestmark  # noqa: F401 -- skipped without a C++ compiler


def test_conv_kernels_pass_on_the_stand_in() -> None:
    proc = _pytest(str(FAKE / "checks_conv.py"), "-W", "default::RuntimeWarning")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]

"""Random draws on the CuPy backend check their parameters as the NumPy backend does: ``binomial``
(and the ``bernoulli`` FAST_RUN makes of it) refuses ``p`` outside [0, 1] or NaN and ``n < 0``;
``multinomial`` refuses probabilities that sum to more than 1 beyond float32 rounding, NaN or
out-of-range ones, and ``n < 0`` -- with the NumPy path's messages, and without reading the device
at each draw (a flag on the device, read when results come back; docs/random.md). Run on the CPU
stand-in for CuPy in a subprocess (see test_fake_device.py)."""
from __future__ import annotations

from .conftest import CXX
from .test_fake_device import FAKE, _pytest

import pytest

pytestmark = pytest.mark.skipif(CXX is None, reason="the CuPy stand-in compiles kernels with a host C++ compiler")


def test_random_parameter_checks_pass_on_the_stand_in() -> None:
    proc = _pytest(str(FAKE / "checks_random_params.py"), "-W", "default::RuntimeWarning")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout


def test_poisson_and_choice_draw_on_the_stand_in() -> None:
    proc = _pytest(str(FAKE / "checks_random_poisson_choice.py"), "-W", "default::RuntimeWarning")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout

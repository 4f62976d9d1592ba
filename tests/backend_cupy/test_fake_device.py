"""The CuPy backend's Python code, run end to end on a CPU stand-in for CuPy.

``tests/backend_cupy/fakecupy`` is a small ``cupy`` whose arrays are NumPy
arrays that count every read back to the host, and whose ElementwiseKernel /
RawKernel bodies -- the backend's generated CUDA C -- are compiled with the
host C++ compiler. In a subprocess (so the real CuPy, where installed, is never
shadowed in this process) the whole conformance suite runs on device ``cuda``,
and the backend's own checks: no host round trip inside a PCD training step
(scan, random draws and shape arithmetic included), device inputs and outputs,
fallbacks. This tests the plugin's logic, not CUDA: a GPU run is still needed.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CXX

HERE = Path(__file__).resolve().parent
FAKE = HERE / "fakecupy"
REPO = HERE.parents[1]

pytestmark = pytest.mark.skipif(CXX is None, reason="the CuPy stand-in compiles kernels with a host C++ compiler")


def _pytest(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join([str(FAKE), str(REPO)] + ([environ["PYTHONPATH"]] if environ.get(
        "PYTHONPATH") else []))
    environ.update(env)
    environ.pop("FRAMEWORK_FLAGS", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W",
                           "error::RuntimeWarning", *args], cwd=REPO, env=environ, capture_output=True, text=True,
                          timeout=900)


def test_the_conformance_suite_passes_on_the_stand_in() -> None:
    proc = _pytest("framework/testing/conformance.py", FRAMEWORK_CONFORMANCE_DEVICES="cuda")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout and "skipped" not in proc.stdout


def test_backend_checks_pass_on_the_stand_in() -> None:
    proc = _pytest(str(FAKE / "checks_fake_device.py"), "-W", "default::RuntimeWarning")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]


def test_the_gpu_benchmark_runs_on_the_stand_in() -> None:
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join([str(FAKE), str(REPO)])
    environ.pop("FRAMEWORK_FLAGS", None)
    proc = subprocess.run([sys.executable, "bench/gpu_rbm.py", "--batches", "20", "--rounds", "1", "--steps", "1",
                           "--no-epoch", "--cuda-graphs"], cwd=REPO, env=environ, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "PCD-15 batch 20: framework_ms" in proc.stdout and "framework/cupy" in proc.stdout


def test_fuzz_graphs_agree_with_the_numpy_backend_on_the_stand_in() -> None:
    """tests/fuzz's random graphs and shape operations, 40 seeds each (``-m slow``: 3,000)."""
    proc = _pytest(str(FAKE / "checks_fuzz_graphs.py"), "-W", "default::RuntimeWarning")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]


@pytest.mark.slow
def test_fuzz_graphs_agree_with_the_numpy_backend_on_the_stand_in_slow() -> None:
    proc = _pytest(str(FAKE / "checks_fuzz_graphs.py"), "-W", "default::RuntimeWarning", FUZZ_SEEDS="1000:4000")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]

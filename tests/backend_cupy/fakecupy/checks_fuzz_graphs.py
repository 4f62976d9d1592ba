"""The fuzz families' random graphs on the CuPy backend against the NumPy backend: the graphs of
``tests/fuzz/generators.random_graph`` (dot, transposes, broadcasting, sums, set/inc_subtensor,
joins, element-wise ops; float16/32/64, planted inf/nan) and of ``tests/fuzz/test_shape_of``'s shape
operations (reshapes, symbolic indices and slices, joins, stacks, reductions, ``repeat``,
``alloc``, ``take``, index arrays, ``cumsum``, ``tensordot``...), compiled for device ``cpu`` and
``cuda``: the same dtypes and shapes, values to the dtype's tolerance with inf/nan at the same
places, or errors of the same kind. Run by tests/backend_cupy/test_fake_device.py in a subprocess
whose ``sys.path`` starts with this folder, so ``import cupy`` is the CPU stand-in (float16 kernels
fall back to op by op there); ``FUZZ_SEEDS=lo:hi`` sets the seeds (default 0:40)."""
from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import cupy

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/: the fuzz package
from fuzz import generators as G  # noqa: E402
from fuzz.test_shape_of import _shape_ops_graph  # noqa: E402

from framework import function  # noqa: E402

assert getattr(cupy, "_FAKE", False), "these checks must run on the CPU stand-in for CuPy"

LO, HI = (int(v) for v in os.environ.get("FUZZ_SEEDS", "0:40").split(":"))


def _run(inputs, outputs, values, device):
    try:
        f = function(inputs, outputs, device=device, on_unused_input="ignore")
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the stand-in's float16 fallback notice
            return "ok", [np.asarray(g) for g in f(*[np.copy(v) for v in values])]
    except Exception as exc:
        return "error", exc


def _difference(built, tol):
    """``tol``: the relative tolerance of the graph's inputs' dtype (a float32 step's last-bit
    difference in a math-library row carries into a later float64 output)."""
    cpu, cuda = _run(*built, "cpu"), _run(*built, "cuda")
    if cpu[0] != cuda[0]:
        return f"cpu {cpu[0]} ({cpu[1]!s:.200}), cuda {cuda[0]} ({cuda[1]!s:.200})"
    if cpu[0] == "error":
        if not G._builtin_bases(cpu[1]) & G._builtin_bases(cuda[1]):
            return f"cpu raised {type(cpu[1]).__name__}, cuda {type(cuda[1]).__name__}: {cuda[1]!s:.200}"
        return None
    for k, (x, y) in enumerate(zip(cpu[1], cuda[1])):
        if x.shape != y.shape or x.dtype != y.dtype:
            return f"output {k}: cpu {x.shape} {x.dtype}, cuda {y.shape} {y.dtype}"
        if x.dtype.kind == "f" and not G._allclose_nonfinite(x.astype("float64"), y.astype("float64"), tol):
            return f"output {k}: cpu {x.ravel()[:6]}, cuda {y.ravel()[:6]}"
        if x.dtype.kind != "f" and not np.array_equal(x, y):
            return f"output {k}: cpu {x.ravel()[:6]}, cuda {y.ravel()[:6]}"
    return None


@pytest.mark.parametrize("builder", ["random_graph", "shape_ops"])
def test_devices_agree(builder):
    failures = []
    for seed in range(LO, HI):
        if builder == "random_graph":
            g = G.random_graph(seed)
            built, tol = (None, 0.0) if g is None else ((g.inputs, g.outputs, g.values), G.tolerance(g.dtype))
        else:
            built, tol = _shape_ops_graph(seed), 1e-9  # float64 inputs
        if built is not None and (msg := _difference(built, tol)) is not None:
            failures.append(f"seed={seed}: {msg}")
    assert not failures, "\n".join(failures)

"""Helpers for the CuPy backend's tests that need no GPU.

Kernel sources are checked by compiling them: as host C++ with the system's
C++ compiler (and then *run* on NumPy arrays, so their numbers are compared
with NumPy's), and as CUDA with nvcc where it is installed (compile only).
"""
from __future__ import annotations

import ctypes
import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Sequence

import numpy as np
import pytest

from framework_backend_cupy.codegen import _params, standalone_source

CXX = shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
NVCC = shutil.which("nvcc")

_cache: Dict[str, Any] = {}


def _build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.getbasetemp() / "cupy_kernels"


class HostKernel:
    """An ElementwiseKernel body compiled for the CPU and callable on NumPy arrays."""

    def __init__(self, in_params: str, out_params: str, operation: str, preamble: str, name: str,
                 workdir: Path) -> None:
        if CXX is None:
            pytest.skip("no C++ compiler to build the kernel body for the host")
        self.ins, self.outs = _params(in_params), _params(out_params)
        src = standalone_source(in_params, out_params, operation, preamble, name, device=False)
        key = hashlib.sha1(src.encode()).hexdigest()[:16]
        if key not in _cache:
            workdir.mkdir(parents=True, exist_ok=True)
            cpp, lib = workdir / f"{key}.cpp", workdir / f"{key}.so"
            cpp.write_text(src)
            proc = subprocess.run([CXX, "-O1", "-std=c++17", "-shared", "-fPIC", "-o", str(lib), str(cpp)],
                                  capture_output=True, text=True)
            assert proc.returncode == 0, f"host compile failed:\n{proc.stderr}\n{src}"
            _cache[key] = ctypes.CDLL(str(lib))
        self.fn = getattr(_cache[key], name)

    def __call__(self, *inputs: Any, out_dtypes: Sequence[str], raw_outs: Sequence[Any] = (),
                 shape: Any = None) -> List[np.ndarray]:
        """Run over the broadcast of the non-raw inputs; returns the non-raw outputs."""
        arrays = []
        nonraw = [np.asarray(v) for (raw, _, _), v in zip(self.ins, inputs) if not raw]
        shp = tuple(shape) if shape is not None else np.broadcast_shapes(*[a.shape for a in nonraw]) if nonraw else ()
        n = int(np.prod(shp, dtype=np.int64))
        for (raw, dt, _), v in zip(self.ins, inputs):
            a = np.ascontiguousarray(np.asarray(v, dtype=dt) if raw else np.broadcast_to(np.asarray(v, dtype=dt), shp))
            arrays.append(a)
        outs, raws = [], iter(raw_outs)
        k = 0
        for raw, dt, _ in self.outs:
            if raw:
                arrays.append(next(raws))
            else:
                o = np.empty(shp, dtype=out_dtypes[k])
                k += 1
                outs.append(o)
                arrays.append(o)
        args = [a.ctypes.data_as(ctypes.c_void_p) for a in arrays] + [ctypes.c_longlong(n)]
        self.fn.restype = None
        self.fn(*args)
        return outs


@pytest.fixture
def host_kernel(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``host_kernel(in_params, out_params, operation, preamble, name)`` -> :class:`HostKernel`."""
    workdir = _build_dir(tmp_path_factory)

    def make(in_params: str, out_params: str, operation: str, preamble: str, name: str) -> HostKernel:
        return HostKernel(in_params, out_params, operation, preamble, name, workdir)

    return make


@pytest.fixture
def nvcc_compile(tmp_path: Path) -> Any:
    """``nvcc_compile(source)``: compile CUDA source to an object file (skips without nvcc)."""
    if NVCC is None:
        pytest.skip("nvcc is not installed: the CUDA compile check needs the CUDA toolkit")

    def compile_(source: str) -> None:
        cu = tmp_path / "kernel.cu"
        cu.write_text(source)
        proc = subprocess.run([NVCC, "-c", "-o", str(tmp_path / "kernel.o"), str(cu)],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"nvcc failed:\n{proc.stderr}\n{source}"

    return compile_

"""A CPU stand-in for CuPy, for testing the CuPy backend without a GPU (see README.md)."""
from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from typing import Any, Dict

import numpy as _np

__version__ = "0.0-cpu-stand-in"
SYNCS = [0]  # device -> host reads (get(), item(), int(), float(), bool() of a device array)
_FAKE = True
_lock = threading.Lock()


class ndarray(_np.ndarray):
    """A "device" array: a NumPy array that counts every read back to the host."""

    def get(self, stream: Any = None) -> _np.ndarray:
        SYNCS[0] += 1
        return _np.array(self.view(_np.ndarray), copy=True)

    def item(self, *args: Any) -> Any:
        SYNCS[0] += 1
        return self.view(_np.ndarray).item(*args)

    def tolist(self) -> Any:
        SYNCS[0] += 1
        return self.view(_np.ndarray).tolist()

    def __int__(self) -> int:
        SYNCS[0] += 1
        return int(self.view(_np.ndarray))

    def __index__(self) -> int:
        SYNCS[0] += 1
        return self.view(_np.ndarray).__index__()

    def __float__(self) -> float:
        SYNCS[0] += 1
        return float(self.view(_np.ndarray))

    def __bool__(self) -> bool:
        SYNCS[0] += 1
        return bool(self.view(_np.ndarray))

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to "
                        "construct a NumPy array explicitly.")

    @property
    def device(self) -> "cuda.Device":
        return cuda.Device(0)

    def astype(self, dtype: Any, copy: bool = True, **kw: Any) -> "ndarray":
        return _wrap(self.view(_np.ndarray).astype(dtype, copy=copy))

    def copy(self, order: str = "C") -> "ndarray":
        return _wrap(self.view(_np.ndarray).copy(order=order))

    def reshape(self, *shape: Any, **kw: Any) -> "ndarray":
        return _wrap(self.view(_np.ndarray).reshape(*shape, **kw))

    def sum(self, *a: Any, **kw: Any) -> "ndarray":
        return _wrap(_np.asarray(self.view(_np.ndarray).sum(*_unwrap(a), **_unwrap(kw))))

    def __getitem__(self, idx: Any) -> Any:
        return _wrap(self.view(_np.ndarray)[_unwrap(idx)])

    def __setitem__(self, idx: Any, value: Any) -> None:
        self.view(_np.ndarray)[_unwrap(idx)] = _unwrap(value)

    def __repr__(self) -> str:
        return "fake-" + repr(self.view(_np.ndarray))


def _unwrap(x: Any) -> Any:
    if isinstance(x, ndarray):
        return x.view(_np.ndarray)
    if type(x) is _np.ndarray:
        raise TypeError(f"Unsupported type {type(x)}")
    if isinstance(x, tuple):
        return tuple(_unwrap(v) for v in x)
    if isinstance(x, list):
        return [_unwrap(v) for v in x]
    if isinstance(x, dict):
        return {k: _unwrap(v) for k, v in x.items()}
    return x


def _wrap(r: Any) -> Any:
    if isinstance(r, _np.ndarray):
        return r.view(ndarray)
    if isinstance(r, _np.generic):
        return _np.asarray(r).view(ndarray)
    if isinstance(r, tuple):
        return tuple(_wrap(v) for v in r)
    if isinstance(r, list):
        return [_wrap(v) for v in r]
    return r


class ufunc:
    """CuPy's ufunc: scalars and device arrays only."""

    def __init__(self, f: Any) -> None:
        self._f = f
        self.__name__ = f.__name__
        self.nin, self.nout = f.nin, f.nout

    def __call__(self, *args: Any, out: Any = None, **kw: Any) -> Any:
        with _np.errstate(all="ignore"):
            if out is not None:
                self._f(*_unwrap(args), out=_unwrap(out), **_unwrap(kw))
                return out
            return _wrap(_np.asarray(self._f(*_unwrap(args), **_unwrap(kw))))

    def at(self, a: Any, idx: Any, b: Any = None) -> None:
        self._f.at(_unwrap(a), _unwrap(idx), *(() if b is None else (_unwrap(b),)))

    def __repr__(self) -> str:
        return f"<fake cupy ufunc {self.__name__}>"


_MISSING = {"errstate", "seterr", "geterr"}  # NumPy names CuPy does not have
_ufuncs: Dict[str, ufunc] = {}


def _function(name: str, f: Any) -> Any:
    def call(*args: Any, **kw: Any) -> Any:
        with _np.errstate(all="ignore"):
            return _wrap(f(*_unwrap(args), **_unwrap(kw)))

    call.__name__ = name
    return call


def __getattr__(name: str) -> Any:
    if name in _MISSING or name.startswith("__"):
        raise AttributeError(name)
    f = getattr(_np, name)
    if isinstance(f, _np.ufunc):
        u = _ufuncs.get(name)
        if u is None:
            u = _ufuncs[name] = ufunc(f)
        return u
    if isinstance(f, type) or not callable(f):
        return f
    return _function(name, f)


def array(obj: Any, dtype: Any = None, copy: bool = True, **kw: Any) -> ndarray:
    if isinstance(obj, ndarray):
        obj = obj.view(_np.ndarray)
    return _np.array(obj, dtype=dtype, copy=True).view(ndarray)


def asarray(obj: Any, dtype: Any = None, **kw: Any) -> ndarray:
    if isinstance(obj, ndarray):
        return obj if dtype is None or obj.dtype == dtype else obj.astype(dtype)
    return _np.array(obj, dtype=dtype, copy=True).view(ndarray)


def asnumpy(a: Any) -> _np.ndarray:
    return a.get() if isinstance(a, ndarray) else _np.asarray(a)


def empty(shape: Any, dtype: Any = float, order: str = "C") -> ndarray:
    return _np.empty(shape, dtype=dtype, order=order).view(ndarray)


def shape(a: Any) -> tuple:
    return _np.shape(_unwrap(a))


def ndim(a: Any) -> int:
    return _np.ndim(_unwrap(a))


# --- cuda ----------------------------------------------------------------------------------

class _CompileException(Exception):
    pass


class cuda:  # noqa: N801 - the module's name in CuPy
    class runtime:  # noqa: N801
        @staticmethod
        def getDeviceCount() -> int:  # noqa: N802
            return 1

        @staticmethod
        def getDevice() -> int:  # noqa: N802
            return 0

        @staticmethod
        def getDeviceProperties(i: int) -> dict:  # noqa: N802
            return {"name": b"CPU stand-in for CuPy"}

    class compiler:  # noqa: N801
        CompileException = _CompileException

    class Device:
        def __init__(self, id: int = 0) -> None:  # noqa: A002
            self.id = id

        def __enter__(self) -> "cuda.Device":
            return self

        def __exit__(self, *a: Any) -> None:
            return None

        def use(self) -> None:
            return None

        def synchronize(self) -> None:
            return None

    class Stream:
        def __init__(self, null: bool = False, non_blocking: bool = False) -> None:
            pass

        def __enter__(self) -> "cuda.Stream":
            return self

        def __exit__(self, *a: Any) -> None:
            return None

        def synchronize(self) -> None:
            return None

        def begin_capture(self, mode: Any = None) -> None:
            raise RuntimeError("the CPU stand-in for CuPy cannot capture CUDA graphs")

        def end_capture(self) -> None:
            raise RuntimeError("not capturing")

    class MemoryPool:
        def malloc(self, size: int) -> None:
            return None

    @staticmethod
    def is_available() -> bool:
        return True

    @staticmethod
    def get_current_stream() -> "cuda.Stream":
        return cuda.Stream()

    @staticmethod
    @contextlib.contextmanager
    def using_allocator(allocator: Any = None):
        yield


# --- kernels, compiled for the host ----------------------------------------------------------

_CXX = shutil.which("g++") or shutil.which("c++")
_BUILD = os.path.join(tempfile.gettempdir(), f"fakecupy-{os.getuid()}")
_libs: Dict[str, Any] = {}


def _compile(src: str) -> Any:
    key = hashlib.sha1(src.encode()).hexdigest()[:20]
    with _lock:
        lib = _libs.get(key)
        if lib is not None:
            return lib
        if _CXX is None:
            raise _CompileException("no host C++ compiler for the CuPy stand-in")
        os.makedirs(_BUILD, exist_ok=True)
        cpp, so = os.path.join(_BUILD, key + ".cpp"), os.path.join(_BUILD, key + ".so")
        if not os.path.exists(so):
            with open(cpp, "w") as fh:
                fh.write(src)
            tmp = so + f".{os.getpid()}.tmp"
            proc = subprocess.run([_CXX, "-O1", "-std=c++17", "-shared", "-fPIC", "-o", tmp, cpp],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise _CompileException(proc.stderr[-2000:])
            os.replace(tmp, so)
        lib = _libs[key] = ctypes.CDLL(so)
        return lib


def _params(text: str) -> list:
    out = []
    for p in filter(None, (s.strip() for s in text.split(","))):
        w = p.split()
        out.append((w[0] == "raw", w[-2], w[-1]))
    return out


class ElementwiseKernel:
    def __init__(self, in_params: str, out_params: str, operation: str, name: str = "kernel",
                 reduce_dims: bool = True, preamble: str = "", **kw: Any) -> None:
        self.in_params, self.out_params, self.operation, self.name = in_params, out_params, operation, name
        self.preamble = preamble
        self.ins, self.outs = _params(in_params), _params(out_params)

    def __call__(self, *args: Any, size: Any = None) -> Any:
        from framework_backend_cupy.codegen import standalone_source

        if any(dt == "float16" for _, dt, _ in self.ins + self.outs):
            raise _CompileException("float16 is not supported by the CPU stand-in")
        n_in = len(self.ins)
        ins, given = args[:n_in], list(args[n_in:])
        shapes = [_np.shape(_unwrap(a)) for (raw, _, _), a in zip(self.ins, ins) if not raw]
        shapes += [g.shape for (raw, _, _), g in zip(self.outs, given) if not raw]
        shp = tuple(_np.broadcast_shapes(*shapes)) if shapes else ()
        if size is not None:
            shp = (int(size),)
        n = int(_np.prod(shp, dtype=_np.int64))
        lib = _compile(standalone_source(self.in_params, self.out_params, self.operation, self.preamble,
                                         self.name, device=False))
        fn = getattr(lib, self.name)
        keep, ptrs = [], []
        for (raw, dt, _), a in zip(self.ins, ins):
            if isinstance(a, _np.ndarray) and not isinstance(a, ndarray):
                raise TypeError(f"Unsupported type {type(a)}")
            base = _np.asarray(_unwrap(a))
            arr = _np.ascontiguousarray(base if raw else _np.broadcast_to(base.astype(dt), shp))
            if raw:
                assert base.dtype == _np.dtype(dt), f"raw parameter of dtype {base.dtype}, declared {dt}"
                arr = base
                assert arr.flags.c_contiguous
            keep.append(arr)
            ptrs.append(arr.ctypes.data_as(ctypes.c_void_p))
        results, copies = [], []
        for k, (raw, dt, _) in enumerate(self.outs):
            if k < len(given):
                g = given[k]
                base = g.view(_np.ndarray)
                if raw or base.flags.c_contiguous and base.shape == shp and base.dtype == _np.dtype(dt):
                    arr = base
                else:
                    arr = _np.empty(shp, dtype=dt)
                    copies.append((base, arr))
                results.append(g)
            else:
                arr = _np.empty(shp, dtype=dt)
                results.append(arr.view(ndarray))
            keep.append(arr)
            ptrs.append(arr.ctypes.data_as(ctypes.c_void_p))
        fn.restype = None
        fn(*ptrs, ctypes.c_longlong(n))
        for base, arr in copies:
            base[...] = arr
        nonraw = [r for r, (raw, _, _) in zip(results, self.outs) if not raw]
        return nonraw[0] if len(nonraw) == 1 else tuple(nonraw)


_RAW_PRELUDE = r"""
#define __global__
struct fw_dim3 { long long x, y, z; };
static fw_dim3 blockIdx, blockDim, threadIdx;
extern "C" void fw_set_thread(long long b, long long t, long long bd) { blockIdx.x = b; threadIdx.x = t; blockDim.x = bd; }
"""


class RawKernel:
    def __init__(self, code: str, name: str, options: Any = (), **kw: Any) -> None:
        self.code, self.name = code, name

    def __call__(self, grid: Any, block: Any, args: Any, **kw: Any) -> None:
        lib = _compile(_RAW_PRELUDE + self.code)
        fn = getattr(lib, self.name)
        cargs = []
        for a in args:
            if isinstance(a, ndarray):
                assert a.flags.c_contiguous
                cargs.append(a.view(_np.ndarray).ctypes.data_as(ctypes.c_void_p))
            elif isinstance(a, _np.uint32):
                cargs.append(ctypes.c_uint32(int(a)))
            elif isinstance(a, (_np.int64, int)):
                cargs.append(ctypes.c_longlong(int(a)))
            elif isinstance(a, _np.float64):
                cargs.append(ctypes.c_double(float(a)))
            else:
                raise TypeError(f"RawKernel argument of type {type(a).__name__}")
        fn.restype = None
        for b in range(int(grid[0])):
            for t in range(int(block[0])):
                lib.fw_set_thread(ctypes.c_longlong(b), ctypes.c_longlong(t), ctypes.c_longlong(int(block[0])))
                fn(*cargs)


class random:  # noqa: N801 - the module's name in CuPy
    _rs = _np.random.RandomState(0)

    @classmethod
    def random(cls, size: Any = None, dtype: Any = float) -> ndarray:
        return _np.asarray(cls._rs.random_sample(size)).astype(dtype).view(ndarray)

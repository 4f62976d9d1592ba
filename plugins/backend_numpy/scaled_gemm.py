"""A matrix product times a positive scalar as one BLAS call: ``s * (A @ B)`` without its own pass.

A weight update ``W - lr * G`` whose gradient is one stacked product (the RBM's
``lr * ([x; nv].T @ [ph; -nh])``, a ``stacked_dot_sum`` node with ``scaled``)
used to compute the product, then multiply it by ``lr`` in place: a second pass
over a weight-sized array (25-30 us at 784 x 500 float32 on the machine of
docs/benchmarks.md, 2 % of the CD-1 step). GEMM itself computes
``C = alpha * (A @ B) + beta * C``; with ``beta = 0`` it applies ``alpha`` once
to each finished sum as it stores it -- the same rounding as multiplying the
product afterwards, so the same numbers bit for bit, with one pass fewer.

"The same numbers" holds when the BLAS stores each element once, i.e. sums the
whole inner dimension before applying ``alpha``. OpenBLAS splits a long inner
dimension into blocks and adds ``alpha * block`` into ``C`` once per block
(on the machine above beyond 384 terms in float64 and beyond 400-500 in
float32), which rounds differently. So the product is taken this way only for
an inner dimension of at most :data:`MAX_INNER` terms, and only after a check
of that very shape, layout and dtype on random operands against the product
then ``multiply`` (:func:`_agrees`, once per shape and process: a BLAS that
applies ``alpha`` another way is never used for that shape). ``alpha`` must be
positive and finite: with a negative one, an exactly zero sum gives ``+0``
where ``multiply`` gives ``-0``.

The BLAS is NumPy's own (the ``scipy-openblas`` NumPy's wheels load, found by
its ILP64 symbol names and used only when that very file is already mapped
into the process: never a second OpenBLAS with its own threads). Where it
cannot be found (another NumPy build, another platform), :func:`scaled_dot`
returns None and the caller multiplies as before.
"""
from __future__ import annotations

import ctypes
import glob
import math
import os
import threading
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

MAX_INNER = 256
"""The longest inner dimension taken as one scaled GEMM (well inside the blocks measured above)."""

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_SYMBOLS = {"f": ("scipy_cblas_sgemm64_", "cblas_sgemm64_"), "d": ("scipy_cblas_dgemm64_", "cblas_dgemm64_")}
_CTYPES = {"f": ctypes.c_float, "d": ctypes.c_double}
_MAX_CHECKED = 256  # shapes remembered per process; beyond that, new shapes take the plain path


def _mapped_files() -> Optional[set]:
    """Paths of the shared objects mapped into this process (Linux), or None where unknown."""
    try:
        with open("/proc/self/maps") as maps:
            return {line.split(None, 5)[5].strip() for line in maps if len(line.split(None, 5)) == 6}
    except OSError:
        return None


def _numpy_blas() -> Dict[str, Callable[..., None]]:
    """``{'f': sgemm, 'd': dgemm}`` from the OpenBLAS NumPy already loaded; empty when not found."""
    root = os.path.dirname(os.path.abspath(np.__file__))
    candidates = glob.glob(os.path.join(root, os.pardir, "numpy.libs", "libscipy_openblas64_*.so*"))
    mapped = _mapped_files()
    found: Dict[str, Callable[..., None]] = {}
    for path in candidates:
        real = os.path.realpath(path)
        if mapped is None or (real not in mapped and path not in mapped):
            continue  # not the library this NumPy runs on (or nothing to tell): never load a second one
        try:
            lib = ctypes.CDLL(real)
        except OSError:
            continue
        for kind, names in _SYMBOLS.items():
            for name in names:
                fn = getattr(lib, name, None)
                if fn is None:
                    continue
                real_t = _CTYPES[kind]
                fn.restype = None
                fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64,
                               ctypes.c_int64, real_t, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p,
                               ctypes.c_int64, real_t, ctypes.c_void_p, ctypes.c_int64]
                found[kind] = fn
                break
        if found:
            break
    return found


_GEMM: Optional[Dict[str, Callable[..., None]]] = None
_LOCK = threading.Lock()
_CHECKED: Dict[Tuple[Any, ...], bool] = {}


def _gemm() -> Dict[str, Callable[..., None]]:
    global _GEMM
    if _GEMM is None:
        with _LOCK:
            if _GEMM is None:
                try:
                    _GEMM = _numpy_blas()
                except Exception:  # anything unexpected about the library: the plain path
                    _GEMM = {}
    return _GEMM


def _layout(a: np.ndarray) -> Optional[Tuple[int, int]]:
    """``(transpose flag, leading dimension)`` of a 2-D operand in row-major terms, None if strided."""
    if a.flags.c_contiguous:
        return _NO_TRANS, max(a.shape[1], 1)
    if a.flags.f_contiguous:
        return _TRANS, max(a.shape[0], 1)
    return None


def _call(fn: Callable[..., None], a: np.ndarray, b: np.ndarray, alpha: Any, la: Tuple[int, int],
          lb: Tuple[int, int]) -> np.ndarray:
    m, k = a.shape
    n = b.shape[1]
    out = np.empty((m, n), dtype=a.dtype)
    fn(_ROW_MAJOR, la[0], lb[0], m, n, k, alpha, a.ctypes.data, la[1], b.ctypes.data, lb[1], 0.0,
       out.ctypes.data, max(n, 1))
    return out


def _agrees(fn: Callable[..., None], key: Tuple[Any, ...], alpha: Any) -> bool:
    """Whether this BLAS's scaled product equals the product then ``multiply``, bit for bit, on
    random operands of ``key``'s dtype, shape and layout (computed once per key)."""
    verdict = _CHECKED.get(key)
    if verdict is not None:
        return verdict
    if len(_CHECKED) >= _MAX_CHECKED:
        return False
    dtype, m, n, k, ta, tb = key
    rng = np.random.default_rng(20261207)

    def operand(rows: int, cols: int, trans: int) -> np.ndarray:
        x = rng.standard_normal((rows, cols)).astype(dtype)
        return np.asfortranarray(x) if trans == _TRANS else x

    verdict = True
    try:
        for _ in range(3):  # three draws: a tiny product may agree by chance on one
            a, b = operand(m, k, ta), operand(k, n, tb)
            ours = _call(fn, a, b, float(alpha), _layout(a), _layout(b))
            theirs = np.multiply(np.dot(a, b), alpha)
            verdict = verdict and bool(np.array_equal(ours.view(f"u{ours.itemsize}"),
                                                      theirs.view(f"u{ours.itemsize}")))
    except Exception:
        verdict = False
    _CHECKED[key] = verdict
    return verdict


def scaled_dot(a: Any, b: Any, scale: Any) -> Optional[np.ndarray]:
    """``multiply(dot(a, b), scale)`` as one GEMM, a new C-ordered array -- or None where that is not
    certain to give the same numbers (see the module's docstring) and the caller computes it so."""
    if type(a) is not np.ndarray or type(b) is not np.ndarray or a.ndim != 2 or b.ndim != 2 \
            or not a.flags.aligned or not b.flags.aligned:
        return None
    dtype = a.dtype
    kind = dtype.char
    if kind not in _SYMBOLS or b.dtype != dtype or not a.dtype.isnative or not b.dtype.isnative:
        return None
    m, k = a.shape
    # NumPy's dot calls GEMM only for two matrices: with a row, a column or a 1 x 1 operand it
    # calls GEMV, DOT or multiplies, and ``a @ a.T`` is SYRK -- other sums, other roundings
    if k != b.shape[0] or not (2 <= k <= MAX_INNER) or m < 2 or b.shape[1] < 2 or a.ctypes.data == b.ctypes.data:
        return None
    if isinstance(scale, np.ndarray):
        if scale.ndim or scale.dtype != dtype:
            return None
        scale = scale[()]
    elif type(scale) is float and abs(scale) <= float(np.finfo(dtype).max):
        scale = dtype.type(scale)  # a weak Python float: the value multiply would cast it to
    elif type(scale) is not dtype.type:
        return None
    alpha = float(scale)
    if not (alpha > 0.0 and math.isfinite(alpha)):
        return None
    fn = _gemm().get(kind)
    la, lb = _layout(a), _layout(b)
    if fn is None or la is None or lb is None:
        return None
    if not _agrees(fn, (dtype, m, b.shape[1], k, la[0], lb[0]), scale):
        return None
    return _call(fn, a, b, alpha, la, lb)


def lower_scaled_stack(node: Any, backend: Any) -> Optional[Callable[..., Any]]:
    """The kernel of a scaled ``stacked_dot_sum`` (the rewrites plugin's weight-gradient product
    times ``lr``): the op's own stacking and checks, then :func:`scaled_dot` where it applies, else
    the product and ``multiply`` in place exactly as the op's own kernel does."""
    op = node.op
    if not op.scaled or node.outputs[0].type.dtype not in ("float32", "float64"):
        return None
    dot, multiply = np.dot, np.multiply

    def kernel(a: Any, b: Any, c: Any, d: Any, scale: Any) -> Any:
        pair = op.stacked_operands(np, a, b, c, d)
        if pair is None:
            out = op.as_written(np, a, b, c, d)
        else:
            out = scaled_dot(pair[0], pair[1], scale)
            if out is not None:
                return out
            out = dot(pair[0], pair[1])
        return multiply(out, scale, out=out)

    return kernel


LOWERINGS: Dict[str, Callable[[Any, Any], Optional[Callable[..., Any]]]] = {}
try:  # the scaled node is the rewrites plugin's; without that plugin there is nothing to lower
    from framework_rewrites.dot_stack import StackedDotSum
except ModuleNotFoundError as exc:
    if exc.name != "framework_rewrites":
        raise
else:
    from framework.core.backend import lowering_for

    LOWERINGS["stacked_dot_sum"] = lowering_for(StackedDotSum)(lower_scaled_stack)

__all__ = ["LOWERINGS", "MAX_INNER", "lower_scaled_stack", "scaled_dot"]

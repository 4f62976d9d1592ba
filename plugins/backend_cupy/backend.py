"""The CuPy backend object: device arrays, kernels, fused kernels, random numbers.

Imported only when a ``cuda`` device is created (it imports CuPy); the plugin
module itself imports without CuPy.

How a node runs on the GPU (:meth:`CupyBackend.kernel`):

1. *Host bookkeeping* (see :mod:`.placement`): shape arithmetic, integer
   scalars and indices run on the host with NumPy, so reshapes, slices and
   allocations never read a number back from the device.
2. Otherwise a plugin's :class:`~framework.plugins.KernelSpec` for the op (this
   plugin registers cuBLAS products, ``cupyx.scatter_add`` increments and
   host-shaped reshape/alloc/arange), else the op's reference implementation
   over ``cupy``, CuPy being NumPy's API on the GPU.
3. Inputs that live on the host are handed over as they are where the op reads
   Python ints, as kernel scalars to element-wise kernels, and copied to the
   device elsewhere; element-wise results keep the dtype NumPy 2 gives, even
   where a CuPy version still applies NumPy 1's value-based casting.

Fused element-wise nodes compile to one ``cupy.ElementwiseKernel`` each
(:meth:`CupyBackend.compile_fused`), cached by (scalar program, dtypes).
With ``cuda_graphs`` on, scan nodes replay their loop as a CUDA graph
(:mod:`.graphs`): this method is the extension point, no kernel change needed.
"""
from __future__ import annotations

import os
import threading
import warnings
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

import cupy

from framework.core.backend import Backend, BackendError, lowering_for, registered_for
from framework.core.elemwise import Elemwise
from framework.core.fusion import Fused
from framework.core.graph import Apply, Constant
from framework.core.shape_ops import Shape, Shape_i
from framework_backend_numpy.einsum_plan import LOWERINGS as EINSUM_LOWERINGS

from . import codegen
from . import random as _random
from .placement import Placement, int_positions, is_small_type

_NDARRAY = cupy.ndarray


@lowering_for(Shape)
def _host_shape(node: Apply) -> Callable[..., Any]:
    return lambda x: np.asarray(np.shape(x), dtype=np.int64)


@lowering_for(Shape_i)
def _host_shape_i(node: Apply) -> Callable[..., Any]:
    i = node.op.i
    return lambda x: np.int64(np.shape(x)[i])


# Shape reads a GPU function runs on the host: a device array's shape is host
# metadata, so they never touch the device (op name -> rule(node) -> kernel; each rule for its op class).
_HOST_SHAPE_LOWERINGS: Dict[str, Callable[[Apply], Callable[..., Any]]] = {
    "shape": _host_shape,
    "shape_i": _host_shape_i,
}


def parse_device(device: str) -> Optional[int]:
    """The device number of ``'cuda:N'`` (None for plain ``'cuda'``: the current device)."""
    prefix, sep, num = device.partition(":")
    if prefix != "cuda":
        raise BackendError(f"the CuPy backend serves 'cuda' and 'cuda:N' devices, not {device!r}")
    if not sep:
        return None
    if not num.isdigit():
        raise BackendError(f"device {device!r}: expected 'cuda:N' with N a GPU number")
    return int(num)


class _HostBackend(Backend):
    """NumPy, for the nodes a GPU function runs on the host (shape arithmetic)."""

    name = "numpy"
    xp = np
    host_is_device = True

    def from_host(self, value: Any, copy: bool = True) -> Any:
        return np.array(value, copy=True) if copy else np.asarray(value)

    def to_host(self, value: Any, copy: bool = True) -> Any:
        return np.array(value, copy=True) if copy else np.asarray(value)

    def is_array(self, value: Any) -> bool:
        return isinstance(value, np.ndarray)


def _host_value(v: Any) -> Any:
    """A host value (reads a device array back: only for the rare device scalar)."""
    return v.get() if type(v) is _NDARRAY else v


def _scalarize(v: Any) -> Any:
    """NumPy 0-d arrays become NumPy scalars, which CuPy kernels take as arguments."""
    if type(v) is np.ndarray and v.ndim == 0:
        return v[()]
    return v


_NO = object()


def array_namespace() -> Any:
    """``cupy`` plus the few NumPy functions on shapes that some CuPy versions
    lack (``shape``, ``ndim``, ``broadcast_shapes``: host metadata, computed
    by NumPy without touching the data). A module object, so attribute access
    costs what it costs on ``cupy``; anything else falls through to ``cupy``."""
    import types

    ns = types.ModuleType("cupy", getattr(cupy, "__doc__", None))
    ns.__dict__.update({k: v for k, v in vars(cupy).items() if not k.startswith("__")})
    for name in ("shape", "ndim", "broadcast_shapes"):
        if not hasattr(cupy, name):
            setattr(ns, name, getattr(np, name))
    ns.__getattr__ = lambda name: getattr(cupy, name)  # type: ignore[attr-defined]
    return ns


class CupyBackend(Backend):
    """Arrays are ``cupy.ndarray`` on one GPU; ops run through CuPy."""

    name = "cupy"
    host_is_device = False
    # fused element-wise programs as generated CUDA kernels; einsums as the NumPy plugin's planned
    # contraction, run on CuPy arrays (framework_backend_numpy.einsum_plan: the same code for both)
    lowerings = {"fused": lowering_for(Fused)(lambda node, backend: backend.compile_fused(node)), **EINSUM_LOWERINGS}

    def __init__(self, device: str) -> None:
        super().__init__(device)
        self.xp = array_namespace()
        num = parse_device(device)
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:
            raise BackendError(f"device {device!r}: CUDA could not count the GPUs: {exc}") from None
        current = cupy.cuda.runtime.getDevice()
        self.device_id = current if num is None else num
        if not 0 <= self.device_id < count:
            listing = ", ".join(f"cuda:{k}" for k in range(count)) or "none"
            raise BackendError(f"device {device!r} does not exist: this machine has {count} CUDA "
                               f"device(s) ({listing})")
        self.cuda_device = cupy.cuda.Device(self.device_id)
        # functions of a device other than the current one switch to it around each kernel
        self._guard = self.device_id != current
        self.placement = Placement()
        self._host = _HostBackend("cpu")
        self._lock = threading.Lock()
        self._fused: Dict[Any, Any] = {}
        self._single: Dict[Any, Any] = {}
        self._ufunc_type = getattr(cupy, "ufunc", None)
        # record scans as CUDA graphs (see .graphs); read when a function is compiled
        self.cuda_graphs = os.environ.get("FRAMEWORK_CUDA_GRAPHS", "0").strip().lower() in ("1", "true", "yes", "on")

    # --- storage -----------------------------------------------------------
    def from_host(self, value: Any, copy: bool = True) -> Any:
        """A device copy of a host value; integer and bool scalars stay on the host."""
        if type(value) is _NDARRAY:
            return value.copy() if copy else value
        arr = np.asarray(value)
        if arr.ndim == 0 and arr.dtype.kind in "biu":
            return arr[()]
        if arr.dtype == object:
            raise TypeError(f"cannot put a {type(value).__name__} on the GPU (dtype object)")
        if self._guard:
            with self.cuda_device:
                return cupy.array(arr)
        return cupy.array(arr)

    def to_host(self, value: Any, copy: bool = True) -> Any:
        """A NumPy array of a device (or host) value. First raises the error of a random draw from
        out-of-range parameters since results last came back (see :func:`.random.raise_pending`)."""
        if _random.FLAGS:
            _random.raise_pending()
        if type(value) is _NDARRAY or isinstance(value, _NDARRAY):
            return value.get()
        return np.array(value, copy=True) if copy else np.asarray(value)

    def copy(self, value: Any) -> Any:
        if isinstance(value, _NDARRAY):
            return value.copy()
        if isinstance(value, np.ndarray):
            return value.copy()
        return value  # NumPy and Python scalars are immutable

    def is_array(self, value: Any) -> bool:
        return isinstance(value, _NDARRAY)

    # --- kernels -------------------------------------------------------------
    def kernel(self, node: Apply) -> Callable[..., Any]:
        """The callable run for ``node`` on this GPU (see the module docstring)."""
        if self.placement.node_on_host(node):
            fn = self._host_kernel(node)
        else:
            fn = self._device_kernel(node)
            if self.cuda_graphs:
                from .graphs import GraphedLoop, wants_graph

                if wants_graph(node):
                    fn = GraphedLoop(fn, getattr(node.op, "label", "scan"))
        if self._guard:
            fn = _on_device(fn, self.cuda_device)
        return fn

    def _host_kernel(self, node: Apply) -> Callable[..., Any]:
        shape_rule = _HOST_SHAPE_LOWERINGS.get(node.op.name)
        if shape_rule is not None and registered_for(node.op, shape_rule.op_types, shape_rule):
            return shape_rule(node)
        base = self._host.kernel(node)
        consts = [(_scalarize(np.asarray(i.data)) if not getattr(i, "weak", False) else i.data)
                  if isinstance(i, Constant) else _NO for i in node.inputs]
        multi = len(node.outputs) > 1

        def host(*values: Any) -> Any:
            args = [v if c is _NO and type(v) is not _NDARRAY else (_host_value(v) if c is _NO else c)
                    for v, c in zip(values, consts)]
            out = base(*args)
            if multi:
                return tuple(_scalarize(o) for o in out)
            return _scalarize(out)

        host.__name__ = f"host_{node.op.name}"
        return host

    def _device_kernel(self, node: Apply) -> Callable[..., Any]:
        fn: Optional[Callable[..., Any]] = None
        scalar_ok = False
        if isinstance(node.op, Elemwise) and self.plugin_kernel(node) is None:
            fn, scalar_ok = self._elemwise(node)
        if fn is None:
            fn = Backend.kernel(self, node)
            scalar_ok = isinstance(node.op, Fused) or isinstance(fn, _FusedKernel)
        return self._adapt(node, fn, scalar_ok)

    def _adapt(self, node: Apply, fn: Callable[..., Any], scalar_ok: bool) -> Callable[..., Any]:
        """Wrap ``fn`` so host values reach it in the form it can use."""
        ints = int_positions(node) or frozenset()
        modes: List[Any] = []
        for k, i in enumerate(node.inputs):
            host = self.placement.on_host(i)
            if k in ints:
                if isinstance(i, Constant):
                    modes.append(("const", _scalarize(np.asarray(i.data))))
                else:
                    modes.append(None)
            elif not host or isinstance(i, Constant) and (getattr(i, "weak", False) or i.type.ndim > 0):
                modes.append(None)  # a device value, a weak scalar, or a constant the linker put on the device
            elif i.type.ndim == 0 and scalar_ok:
                modes.append(None)  # a host scalar: a kernel argument
            else:
                modes.append(("device",))
        if all(m is None for m in modes):
            return fn
        asarray = cupy.asarray

        def adapted(*values: Any) -> Any:
            args = list(values)
            for k, m in enumerate(modes):
                if m is None:
                    continue
                if m[0] == "const":
                    args[k] = m[1]
                else:
                    args[k] = asarray(args[k])
            return fn(*args)

        adapted.__wrapped__ = fn  # type: ignore[attr-defined]
        return adapted

    # --- element-wise ----------------------------------------------------------
    def _elemwise(self, node: Apply) -> Tuple[Optional[Callable[..., Any]], bool]:
        """(kernel, takes host scalars) for an Elemwise node, or (None, False)."""
        row = node.op.scalar
        out_dtype = node.outputs[0].type.dtype
        fn: Optional[Callable[..., Any]] = None
        scalar_ok = False
        if row.ufunc is not None and not _needs_generated_kernel(node):
            fn = getattr(cupy, row.ufunc, None)
            scalar_ok = self._ufunc_type is not None and isinstance(fn, self._ufunc_type)
        elif row.name in _SINGLE_KERNEL_ROWS or row.ufunc is not None:
            fn = self._single_kernel(node)
            scalar_ok = fn is not None
        if fn is None:
            return None, False
        fix = _promotion_fix(node)
        return _dtype_guard(fn, fix, out_dtype), scalar_ok

    def _single_kernel(self, node: Apply) -> Optional[Callable[..., Any]]:
        """One generated ElementwiseKernel for a row whose reference takes several kernels."""
        from framework.core.fusion import ScalarProgram, Step

        dtypes, refs, real = [], [], []
        for k, i in enumerate(node.inputs):
            if isinstance(i, Constant) and getattr(i, "weak", False):
                refs.append(("const", i.data, None))
            else:
                refs.append(("in", len(dtypes)))
                dtypes.append(i.type.dtype)
                real.append(k)
        prog = ScalarProgram(tuple(dtypes), (Step(node.op.scalar.name, tuple(refs), node.outputs[0].type.dtype),),
                             (("step", 0),))
        kern = self._program_kernel(prog, [node.outputs[0].type.dtype])
        if kern is None:
            return None
        reference = node.op.make_kernel(node, self)
        fk = _FusedKernel(kern, lambda: reference, prog.describe())
        if len(real) == len(node.inputs):
            return fk
        return lambda *values: fk(*[values[k] for k in real])

    # --- fusion ----------------------------------------------------------------
    def compile_fused(self, node: Apply) -> Optional[Callable[..., Any]]:
        """One ``cupy.ElementwiseKernel`` for a fused node (None: the op's own
        kernel runs it step by step, e.g. for a row without a C expression).
        This backend's lowering of ``fused`` (``CupyBackend.lowerings``)."""
        prog = node.op.program
        if any(r[0] == "const" for r in prog.outputs):
            return None
        if not _outputs_span_inputs(prog, [i.type.ndim for i in node.inputs]):
            return None
        kern = self._program_kernel(prog, [o.type.dtype for o in node.outputs])
        if kern is None:
            return None
        return _FusedKernel(kern, lambda: node.op.make_kernel(node, self), prog.describe())

    def _program_kernel(self, prog: Any, out_dtypes: Sequence[str]) -> Any:
        key = (prog, tuple(out_dtypes))
        with self._lock:
            if key in self._fused:
                return self._fused[key]
            src = codegen.fused_source(prog.steps, prog.outputs, prog.inputs, out_dtypes)
            kern = None
            if src is not None:
                kern = cupy.ElementwiseKernel(src.in_params, src.out_params, src.operation, src.name,
                                              preamble=src.preamble)
                if src.flags:
                    kern = _FlaggedKernel(kern)
            self._fused[key] = kern
            return kern

    # --- random numbers ---------------------------------------------------------
    def new_rng(self, seed: Any) -> Any:
        from .random import DeviceRNG

        return DeviceRNG.from_seed(seed, self)

    def rng_from_host(self, state: Any) -> Any:
        from .random import DeviceRNG

        return DeviceRNG.from_host(state, self)

    def rng_to_host(self, state: Any) -> Any:
        from .random import DeviceRNG

        return state.to_host() if isinstance(state, DeviceRNG) else state

    def copy_rng(self, state: Any) -> Any:
        """Free: a draw never writes into a state (it makes a new counter array)."""
        from .random import DeviceRNG

        if isinstance(state, DeviceRNG):
            return DeviceRNG(state.key, state.counter)
        return DeviceRNG.from_host(state, self)

    def rng_snapshots(self, dists: Any) -> None:
        """None: a draw never writes into a state object here (it makes a new counter array), so
        a failed call leaves every shared state as it was without a snapshot."""
        return None

    def draw(self, rng: Any, dist: str, size: Optional[Tuple[int, ...]], params: Tuple[Any, ...],
             dtype: str) -> Tuple[Any, Any]:
        """One kernel per draw on this GPU (see :mod:`.random`)."""
        from .random import DeviceRNG, draw

        if not isinstance(rng, DeviceRNG):
            rng = DeviceRNG.from_host(rng, self)
        if self._guard:
            with self.cuda_device:
                return draw(rng, dist, size, params, dtype)
        return draw(rng, dist, size, params, dtype)


# rows whose reference implementation launches several kernels: one generated kernel instead
_SINGLE_KERNEL_ROWS = frozenset({"sigmoid", "softplus", "sigmoid_xent"})


def _needs_generated_kernel(node: Apply) -> bool:
    """A row with a CuPy ufunc that must still run as a generated kernel: an integer ``pow``
    with a signed operand -- ``cupy.power`` gives a number for a negative exponent where NumPy
    raises ValueError, the generated kernel raises it through the error flags (codegen.py)."""
    if node.op.scalar.name != "pow" or node.outputs[0].type.dtype[0] not in "iu":
        return False
    return any(getattr(i.type, "dtype", "")[:3] == "int" for i in node.inputs)


class _FusedKernel:
    """A compiled ElementwiseKernel, falling back (once, with a warning) to the
    op's own step-by-step kernel if CuPy cannot compile it on this machine.
    ``fallback()`` makes that kernel (only when needed)."""

    __slots__ = ("kern", "fallback", "what", "_failed")

    def __init__(self, kern: Any, fallback: Callable[[], Callable[..., Any]], what: str) -> None:
        self.kern, self.fallback, self.what, self._failed = kern, fallback, what, None

    def __call__(self, *args: Any) -> Any:
        if self._failed is not None:
            return self._failed(*args)
        if not any(type(a) is _NDARRAY for a in args):
            args = (cupy.asarray(args[0]),) + args[1:]
        try:
            return self.kern(*args)
        except cupy.cuda.compiler.CompileException as exc:
            warnings.warn(f"the CuPy backend could not compile the fused kernel for {self.what}; running it "
                          f"op by op instead ({str(exc).splitlines()[0] if str(exc) else exc})", RuntimeWarning)
            self._failed = self.fallback()
            return self._failed(*args)


class _FlaggedKernel:
    """A generated kernel that may raise one of the backend's deferred errors (a signed integer
    to a negative power: ``codegen.FLAG_INT_POW_NEGATIVE``): it gets the device's error flags
    as its last input, and :meth:`CupyBackend.to_host` raises NumPy's error when they are next
    read (with the results: no extra synchronisation; see :func:`.random.raise_pending`)."""

    __slots__ = ("kern",)

    def __init__(self, kern: Any) -> None:
        self.kern = kern

    def __call__(self, *args: Any) -> Any:
        like = next(a for a in args if isinstance(a, _NDARRAY))
        return self.kern(*args, _random._flags(like))


def _outputs_span_inputs(prog: Any, ndims: Sequence[int]) -> bool:
    """Whether every output depends on every input that has dimensions, so the
    kernel's broadcast shape is each output's shape."""
    deps: List[frozenset] = []
    for s in prog.steps:
        d: set = set()
        for r in s.args:
            if r[0] == "in":
                d.add(r[1])
            elif r[0] == "step":
                d |= deps[r[1]]
        deps.append(frozenset(d))
    shaped = {k for k, n in enumerate(ndims) if n > 0}
    for r in prog.outputs:
        d = {r[1]} if r[0] == "in" else deps[r[1]]
        if not shaped <= d:
            return False
    return True


def _promotion_fix(node: Apply) -> Optional[Tuple[Tuple[int, ...], str]]:
    """Inputs to cast, and the dtype, so CuPy computes in NumPy 2's dtype.

    NumPy 1 (and CuPy versions following it) let a 0-d array's *value* decide
    promotion against an n-d array (float32 array * int64 scalar -> float32);
    NumPy 2 uses dtypes (-> float64), and the graph was typed with NumPy 2.
    Only mixes of typed 0-d and n-d inputs differ, and only then do we cast.
    """
    typed = [(k, i) for k, i in enumerate(node.inputs) if not (isinstance(i, Constant) and getattr(i, "weak", False))]
    if node.op.scalar.name == "switch":
        typed = [(k, i) for k, i in typed if k != 0]
    nd = [i for _, i in typed if i.type.ndim > 0]
    zd = [i for _, i in typed if i.type.ndim == 0]
    if not nd or not zd:
        return None
    weak = [i.data for i in node.inputs if isinstance(i, Constant) and getattr(i, "weak", False)]
    target = np.result_type(*[np.dtype(i.type.dtype) for _, i in typed], *weak).name
    legacy = np.result_type(*[np.dtype(i.type.dtype) for i in nd]).name
    if target == legacy:
        return None
    cast = tuple(k for k, i in typed if i.type.ndim > 0 and i.type.dtype != target)
    return (cast, target) if cast else None


def _dtype_guard(fn: Callable[..., Any], fix: Optional[Tuple[Tuple[int, ...], str]], out_dtype: str) -> Callable[..., Any]:
    dt = np.dtype(out_dtype)
    if fix is None:
        def guarded(*args: Any) -> Any:
            out = fn(*args)
            return out if out.dtype == dt else out.astype(dt)
    else:
        positions, target = fix

        def guarded(*args: Any) -> Any:
            args = list(args)
            for k in positions:
                args[k] = args[k].astype(target)
            out = fn(*args)
            return out if out.dtype == dt else out.astype(dt)

    guarded.__wrapped__ = fn  # type: ignore[attr-defined]
    return guarded


def _on_device(fn: Callable[..., Any], device: Any) -> Callable[..., Any]:
    def on_device(*args: Any) -> Any:
        with device:
            return fn(*args)

    on_device.__wrapped__ = fn  # type: ignore[attr-defined]
    return on_device

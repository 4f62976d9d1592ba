"""Scan on the GPU as a replayed CUDA graph.

A scan's loop launches a few kernels per step from Python; for a small body
(an RBM's Gibbs step at batch 20) the GPU waits on those launches. With CUDA
graphs on, the CuPy backend records the whole loop of a scan node once --
every step's kernels, the buffers they write, the random draws -- and later
calls replay the recording with one launch.

How (:class:`GraphedLoop`, installed by ``CupyBackend.kernel`` for scan nodes):

* calls are grouped by a *signature*: the number of steps, each device
  argument's shape and dtype, host scalar values and random-stream keys
  (everything baked into a recording). The first call of a signature runs
  normally (it compiles kernels, initialises cuBLAS); the second records:
  one eager pass, then the capture, both in a memory pool of the recording's
  own, on a side stream, from *static* copies of the arguments;
* a replay copies the arguments into those static buffers, launches the
  graph on the current stream and copies the outputs out (the next replay
  overwrites the recording's buffers). Random streams replay with fresh
  numbers: their counters live in device memory, copied in like any input;
* anything a recording cannot hold (a value read back to the host, an
  ``until`` condition, a failed capture) makes that signature run normally,
  with one warning.

Enable with ``FRAMEWORK_CUDA_GRAPHS=1`` or ``backend.cuda_graphs = True``
before compiling (``framework.core.backend.get_backend('cuda')``).
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Dict, List, Tuple

import cupy

from .random import DeviceRNG

_EAGER = object()


class _Recording:
    __slots__ = ("graph", "inputs", "outputs", "pool", "stream")

    def __init__(self, graph: Any, inputs: List[Any], outputs: Any, pool: Any, stream: Any) -> None:
        self.graph, self.inputs, self.outputs, self.pool, self.stream = graph, inputs, outputs, pool, stream


def _signature(n_steps: Any, args: Tuple[Any, ...]) -> Tuple[Any, ...]:
    sig: List[Any] = [int(n_steps)]
    for a in args:
        if isinstance(a, cupy.ndarray):
            sig.append(("a", a.shape, a.dtype.str))
        elif isinstance(a, DeviceRNG):
            sig.append(("g", a.key))
        else:
            sig.append(("s", type(a).__name__, a.item() if hasattr(a, "item") else a))
    return tuple(sig)


def _static(a: Any) -> Any:
    if isinstance(a, cupy.ndarray):
        return a.copy()
    if isinstance(a, DeviceRNG):
        return DeviceRNG(a.key, a.counter.copy())
    return a


def _copy_in(static: Any, a: Any) -> None:
    if isinstance(a, cupy.ndarray):
        cupy.copyto(static, a)
    elif isinstance(a, DeviceRNG):
        cupy.copyto(static.counter, a.counter)


def _copy_out(v: Any) -> Any:
    if isinstance(v, cupy.ndarray):
        return v.copy()
    if isinstance(v, DeviceRNG):
        return DeviceRNG(v.key, v.counter.copy())
    if isinstance(v, tuple):
        return tuple(_copy_out(x) for x in v)
    return v


class GraphedLoop:
    """A scan node's kernel, replayed as a CUDA graph per call signature."""

    def __init__(self, kernel: Callable[..., Any], label: str = "scan") -> None:
        self.kernel = kernel
        self.label = label
        self.seen: Dict[Tuple[Any, ...], Any] = {}
        self.__source__ = getattr(kernel, "__source__", None)

    def __call__(self, n_steps: Any, *args: Any) -> Any:
        sig = _signature(n_steps, args)
        entry = self.seen.get(sig)
        if entry is None:  # first call: run normally (compiles kernels, warms cuBLAS)
            self.seen[sig] = 1
            return self.kernel(n_steps, *args)
        if entry is _EAGER:
            return self.kernel(n_steps, *args)
        if entry == 1:
            entry = self._record(sig, n_steps, args)
            if entry is _EAGER:
                return self.kernel(n_steps, *args)
        for static, a in zip(entry.inputs, args):
            _copy_in(static, a)
        entry.graph.launch()
        return _copy_out(entry.outputs)

    def _record(self, sig: Tuple[Any, ...], n_steps: Any, args: Tuple[Any, ...]) -> Any:
        statics = [_static(a) for a in args]
        pool = cupy.cuda.MemoryPool()
        stream = cupy.cuda.Stream(non_blocking=True)
        cupy.cuda.get_current_stream().synchronize()
        graph = None
        try:
            with cupy.cuda.using_allocator(pool.malloc):
                with stream:
                    # an eager pass in the recording's pool leaves its blocks cached,
                    # so the capture allocates without cudaMalloc
                    warm = self.kernel(n_steps, *statics)
                    del warm
                    stream.synchronize()
                    for static, a in zip(statics, args):
                        _copy_in(static, a)
                    stream.synchronize()
                    stream.begin_capture()
                    try:
                        outputs = self.kernel(n_steps, *statics)
                    finally:
                        graph = stream.end_capture()
        except Exception as exc:  # noqa: BLE001 - anything a graph cannot hold: run normally
            warnings.warn(f"{self.label}: CUDA graph capture is not possible for this scan "
                          f"({type(exc).__name__}: {exc}); it runs step by step", RuntimeWarning)
            self.seen[sig] = _EAGER
            return _EAGER
        entry = _Recording(graph, statics, outputs, pool, stream)
        self.seen[sig] = entry
        return entry


def wants_graph(node: Any) -> bool:
    """Whether a scan node can be recorded: no ``until`` condition (its stopping
    step is data, read on the host)."""
    from framework.core.scan import Scan

    return isinstance(node.op, Scan) and not getattr(node.op, "until", False)

"""Random streams on the GPU: a Philox4x32-10 state per stream, draws on the device.

The value of a random stream's shared variable on a ``cuda`` device is a
:class:`DeviceRNG`: a 64-bit key (host) and a 64-bit counter (a one-element
device array). A draw of ``N`` numbers is one kernel: element ``i`` is a
function of ``(key, counter + i)`` only, and the thread of element 0 writes
``counter + N`` into a *new* counter array, which the new state holds. So:

* drawing never reads anything back to the host (the counter stays on the
  device, which also lets a CUDA graph replay draws with fresh numbers);
* a state is never changed by a draw, so copies are free and a saved state
  replays exactly: ``s = rng.get_state(); f(); rng.set_state(s); f()`` gives
  the same numbers twice;
* ``get_value()`` of the shared variable returns a ``numpy.random.RandomState``
  whose state *encodes* the stream (a marker, the key and the counter in the
  Mersenne Twister's words): everything that saves, restores or replays
  RandomStates -- training checkpoints, the Theano tutorial's
  ``get_state``/``set_state`` recipes -- works unchanged, and setting such a
  RandomState back restores the exact device stream. A RandomState without
  the marker (a fresh one, or one reseeded with ``seed(s)``) gives a device
  stream keyed by its next 64 bits. Draws from that host RandomState itself
  are NumPy's, unrelated to the device stream; :class:`PhiloxGenerator` gives
  the device's numbers on the host;
* ``get_value(borrow=True)`` is the :class:`DeviceRNG`, which has
  ``get_state()``, ``set_state()`` and ``seed()`` too.

The streams differ from NumPy's (another generator), so a seeded program
gives different numbers on the CPU and on the GPU, each reproducible.
"""
from __future__ import annotations

import copy as _copy
import math
import os
import threading
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

import numpy as np

import cupy

from framework.random import RandomState as FrameworkRandomState

from . import philox

STATE_TAG = "philox4x32-10"


from .philox import decode_state, encode_state  # noqa: E402 - the host encoding of a stream's state


def _key_from_numpy(state: Any) -> Tuple[int, int]:
    """A Philox key from the next 64 bits of a NumPy generator (left as it was), or of the
    generator a ``get_state()`` tuple or dict (MT19937, PCG64) describes."""
    if isinstance(state, (tuple, dict)):
        rs = FrameworkRandomState()
        rs.set_state(state)  # takes any bit generator's state (framework.random.RandomState)
        state = rs
    words = _copy.deepcopy(state)
    words = (words.randint(0, 2**32, size=2, dtype=np.uint64) if isinstance(words, np.random.RandomState)
             else words.integers(0, 2**32, size=2, dtype=np.uint64))
    return philox.key_from_seed(int(words[0]) << 32 | int(words[1]))


class PhiloxGenerator:
    """A device random stream's state on the host: ``(key, counter)``.

    ``random(size)`` draws, on the host, the very numbers a device ``uniform``
    draw of that size would (tests compare the two). ``get_state`` /
    ``set_state`` / ``seed`` behave as NumPy's RandomState's.
    """

    def __init__(self, seed: Any = None, key: Optional[Tuple[int, int]] = None, counter: int = 0) -> None:
        if key is None and isinstance(seed, (np.random.RandomState, tuple)):
            key, counter = _parse_state(seed)
        if key is None:
            key = philox.key_from_seed(_seed_int(seed))
        self.key = (int(key[0]) & 0xFFFFFFFF, int(key[1]) & 0xFFFFFFFF)
        self.counter = int(counter)

    def get_state(self) -> Tuple[str, int, int, int]:
        """``('philox4x32-10', key0, key1, counter)``."""
        return (STATE_TAG, self.key[0], self.key[1], self.counter)

    def set_state(self, state: Any) -> None:
        self.key, self.counter = _parse_state(state)

    def seed(self, seed: Any = None) -> None:
        self.key = philox.key_from_seed(_seed_int(seed))
        self.counter = 0

    def random(self, size: Any = None, dtype: str = "float64") -> Any:
        """Uniform [0, 1) numbers (host), advancing the counter as a device draw does."""
        shape = () if size is None else (tuple(size) if isinstance(size, (tuple, list)) else (int(size),))
        n = int(np.prod(shape, dtype=np.int64))
        out = philox.uniform_reference(self.key, self.counter, n, dtype).reshape(shape)
        self.counter += n
        return out if shape else out[()]

    def __repr__(self) -> str:
        return f"PhiloxGenerator(key=({self.key[0]:#x}, {self.key[1]:#x}), counter={self.counter})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, PhiloxGenerator) and self.get_state() == other.get_state()

    __hash__ = None  # type: ignore[assignment]


def _seed_int(seed: Any) -> int:
    if seed is None:
        return int.from_bytes(os.urandom(8), "little")
    if isinstance(seed, (np.integer, int)):
        return int(seed)
    arr = np.asarray(seed).ravel()
    if arr.size and np.issubdtype(arr.dtype, np.integer):
        acc = 0
        for v in arr.tolist():
            acc = (acc * 0x100000001B3 + int(v)) & 0xFFFFFFFFFFFFFFFF
        return acc
    raise TypeError(f"a random seed must be an integer (or a sequence of integers), got {seed!r:.60}")


def _parse_state(state: Any) -> Tuple[Tuple[int, int], int]:
    """``(key, counter)`` from any state a device stream accepts: a
    ``('philox4x32-10', key0, key1, counter)`` tuple, a RandomState (MT19937 or
    PCG64: the native streams' states), an MT19937 tuple or a ``get_state()``
    dict (encoded by :func:`encode_state`, or else keyed by its next 64 bits:
    the same state always gives the same device stream), a PhiloxGenerator or
    DeviceRNG."""
    if isinstance(state, PhiloxGenerator):
        return state.key, state.counter
    if isinstance(state, DeviceRNG):
        return state.key, int(state.counter.get()[0])
    if isinstance(state, tuple) and len(state) == 4 and state[0] == STATE_TAG:
        return (int(state[1]), int(state[2])), int(state[3])
    if (isinstance(state, np.random.RandomState) or isinstance(state, tuple) and state and state[0] == "MT19937"
            or isinstance(state, dict) and state.get("bit_generator") in ("MT19937", "PCG64")):
        decoded = decode_state(state)
        return decoded if decoded is not None else (_key_from_numpy(state), 0)
    raise TypeError(
        f"a GPU random stream's state is a numpy.random.RandomState (what get_value() gives), its "
        f"get_state() tuple, or ('{STATE_TAG}', key0, key1, counter); got {type(state).__name__} {state!r:.60}")


class DeviceRNG:
    """A random stream's state on a GPU (the shared variable's value)."""

    __slots__ = ("key", "counter")

    def __init__(self, key: Tuple[int, int], counter: Any) -> None:
        self.key = (int(key[0]) & 0xFFFFFFFF, int(key[1]) & 0xFFFFFFFF)
        self.counter = counter  # cupy uint64 array of shape (1,), never written after it is made

    # --- making one -----------------------------------------------------------------
    @classmethod
    def from_seed(cls, seed: Any, backend: Any = None) -> "DeviceRNG":
        return cls(philox.key_from_seed(_seed_int(seed)), _counter_array(0, backend))

    @classmethod
    def from_host(cls, state: Any, backend: Any = None) -> "DeviceRNG":
        """From a host description: a PhiloxGenerator, a state tuple, a seed, or a
        NumPy RandomState/Generator (its next 64 bits seed the stream, so a
        seeded NumPy generator gives a reproducible device stream)."""
        if isinstance(state, DeviceRNG):
            return cls(state.key, state.counter)
        if isinstance(state, np.random.Generator):
            return cls(_key_from_numpy(state), _counter_array(0, backend))
        if isinstance(state, (int, np.integer)) or state is None:
            return cls.from_seed(state, backend)
        if isinstance(state, (PhiloxGenerator, tuple, dict, np.random.RandomState)):
            key, ctr = _parse_state(state)
            return cls(key, _counter_array(ctr, backend))
        raise TypeError(f"cannot make a GPU random stream from {type(state).__name__} {state!r:.60}")

    def to_host(self) -> np.random.RandomState:
        """The state as a RandomState (see :func:`encode_state`; reads the counter back)."""
        return encode_state(self.key, int(self.counter.get()[0]))

    def generator(self) -> PhiloxGenerator:
        """The host generator of this stream (draws the device's numbers on the host)."""
        return PhiloxGenerator(key=self.key, counter=int(self.counter.get()[0]))

    # --- RandomState-like API (mutates this object: the Theano tutorial's borrow=True recipes) --
    def get_state(self, legacy: bool = True) -> Any:
        """The encoded MT19937 state tuple, as ``get_value().get_state()`` gives."""
        return self.to_host().get_state(legacy=True)

    def set_state(self, state: Any) -> None:
        key, ctr = _parse_state(state)
        self.key, self.counter = key, _counter_array(ctr, None, like=self.counter)

    def seed(self, seed: Any = None) -> None:
        self.key = philox.key_from_seed(_seed_int(seed))
        self.counter = _counter_array(0, None, like=self.counter)

    def random(self, size: Any = None, dtype: str = "float64") -> Any:
        """Uniform [0, 1) numbers on the device; advances this stream."""
        shape = None if size is None else (tuple(size) if isinstance(size, (tuple, list)) else (int(size),))
        new, out = draw(self, "uniform", shape or None, (0.0, 1.0), dtype)
        self.counter = new.counter
        return out

    def __copy__(self) -> "DeviceRNG":
        return DeviceRNG(self.key, self.counter)

    def __deepcopy__(self, memo: Dict[int, Any]) -> "DeviceRNG":
        return DeviceRNG(self.key, self.counter.copy())

    def __repr__(self) -> str:
        return f"<DeviceRNG key=({self.key[0]:#x}, {self.key[1]:#x}) on cuda:{self.counter.device.id}>"


def _counter_array(value: int, backend: Any, like: Any = None) -> Any:
    host = np.array([int(value) & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64)
    device = getattr(backend, "cuda_device", None)
    if device is None and like is not None:
        device = like.device
    if device is not None:
        with device:
            return cupy.asarray(host)
    return cupy.asarray(host)


# --- drawing ----------------------------------------------------------------------------

_kernels: Dict[Any, Any] = {}
_kernels_lock = threading.Lock()


def _cached(key: Any, build: Callable[[], Any]) -> Any:
    """The kernel compiled for ``key``, built once (under a lock: draws may run on several threads)."""
    kern = _kernels.get(key)
    if kern is None:
        with _kernels_lock:
            kern = _kernels.get(key)
            if kern is None:
                kern = _kernels[key] = build()
    return kern


def _elementwise(dist: str, param_dtypes: Tuple[str, ...], out_dtype: str) -> Any:
    def build() -> Any:
        in_params, out_params, operation, name = philox.draw_source(dist, param_dtypes, out_dtype)
        return cupy.ElementwiseKernel(in_params, out_params, operation, name, preamble=philox.PHILOX_PREAMBLE)

    return _cached((dist, param_dtypes, out_dtype), build)


def _raw(p_dtype: str, out_dtype: str) -> Any:
    return _cached(("multinomial", p_dtype, out_dtype),
                   lambda: cupy.RawKernel(philox.multinomial_source(p_dtype, out_dtype), "fw_multinomial"))


def _param(value: Any, dtype: str) -> Any:
    """A kernel argument of ``dtype``: device arrays cast on the device, scalars as Python numbers."""
    if isinstance(value, cupy.ndarray):
        if value.ndim == 0:
            return value.astype(dtype, copy=False)
        return value.astype(dtype, copy=False)
    arr = np.asarray(value)
    if arr.ndim == 0:
        v = arr.astype(dtype)[()]
        return v.item()
    return cupy.asarray(arr.astype(dtype))


def _shape_of(v: Any) -> Tuple[int, ...]:
    return tuple(getattr(v, "shape", ()))


def _float_dtype(dtype: str) -> str:
    return dtype if np.dtype(dtype).kind == "f" else "float64"


def draw(rng: DeviceRNG, dist: str, size: Optional[Tuple[int, ...]], params: Sequence[Any],
         dtype: str) -> Tuple[DeviceRNG, Any]:
    """``(new_state, sample)``: see :meth:`framework.core.backend.Backend.draw`."""
    k0, k1 = rng.key
    bernoulli = dist == "bernoulli"
    if bernoulli:  # binomial with n = 1 (what FAST_RUN makes of binomial(1, p))
        dist, params = "binomial", (1, *params)
    if dist in ("uniform", "normal", "random_integers", "binomial"):
        if dist == "random_integers":
            pdt = ("int64", "int64")
        elif dist == "binomial":
            pdt = ("int64", _float_dtype(str(getattr(params[1], "dtype", "float64"))))
        else:
            pdt = (_float_dtype(dtype),) * 2
        args = [_param(p, dt) for p, dt in zip(params, pdt)]
        if dist == "binomial":
            _check_binomial(args[0], args[1], *pdt, bernoulli)
        return _elementwise_draw(rng, dist, pdt, args, size, dtype)
    if dist == "permutation":
        n = int(np.asarray(params[0].get() if isinstance(params[0], cupy.ndarray) else params[0]))
        shape = (tuple(size) if size is not None else ()) + (n,)
        bits = cupy.empty(shape, dtype=np.uint64)
        if bits.size == 0:
            return DeviceRNG(rng.key, rng.counter), cupy.empty(shape, dtype=dtype)
        nctr = cupy.empty(1, dtype=np.uint64)
        _elementwise("bits64", (), "uint64")(rng.counter, k0, k1, bits.size, bits, nctr)
        return DeviceRNG(rng.key, nctr), cupy.argsort(bits, axis=-1).astype(dtype, copy=False)
    if dist == "multinomial":
        n, pvals = params
        pvals = cupy.asarray(pvals)
        p_dt = _float_dtype(pvals.dtype.name)
        n_arr = cupy.asarray(n).astype(np.int64, copy=False)
        batch = tuple(size) if size is not None else _broadcast(n_arr.shape, pvals.shape[:-1])
        k = pvals.shape[-1]
        pv = cupy.ascontiguousarray(cupy.broadcast_to(pvals.astype(p_dt, copy=False), batch + (k,)))
        nt = cupy.ascontiguousarray(cupy.broadcast_to(n_arr, batch))
        out = cupy.empty(batch + (k,), dtype=dtype)
        rows = int(np.prod(batch, dtype=np.int64))
        if rows and k:
            # as the NumPy backend: a sum above 1 beyond float32 rounding is an error (see raise_pending)
            _multinomial_check_kernel(p_dt)(pv.ravel(), nt.ravel(), np.int64(k), 1e-6 + k * 1.2e-7, _flags(pv),
                                            size=rows)
        if rows == 0 or k == 0:
            return DeviceRNG(rng.key, rng.counter), cupy.zeros(batch + (k,), dtype=dtype)
        nctr = cupy.empty(1, dtype=np.uint64)
        block = 128
        _raw(p_dt, np.dtype(dtype).name)(((rows + block - 1) // block,), (block,),
                                         (rng.counter, nctr, np.uint32(k0), np.uint32(k1), pv, nt, out,
                                          np.int64(rows), np.int64(k)))
        return DeviceRNG(rng.key, nctr), out
    if dist == "poisson":
        lam = _param(params[0], "float64")
        _check_poisson(lam)
        return _elementwise_draw(rng, "poisson", ("float64",), (lam,), size, dtype)
    if dist == "choice":
        return _choice(rng, size, *params, dtype=dtype)
    raise ValueError(f"the CuPy backend cannot draw from distribution {dist!r}")


def _elementwise_draw(rng: DeviceRNG, dist: str, pdt: Tuple[str, ...], args: Sequence[Any],
                      size: Optional[Tuple[int, ...]], dtype: str, shape: Optional[Tuple[int, ...]] = None) -> Tuple[DeviceRNG, Any]:
    """One element-wise draw kernel over the sample's shape (``size``, else ``shape``, else the
    parameters' broadcast shape): the new state and the sample."""
    if shape is None:
        shape = tuple(size) if size is not None else _broadcast(*[_shape_of(a) for a in args])
    out = cupy.empty(shape, dtype=dtype)
    if out.size == 0:
        return DeviceRNG(rng.key, rng.counter), out
    nctr = cupy.empty(1, dtype=np.uint64)
    k0, k1 = rng.key
    _elementwise(dist, pdt, np.dtype(dtype).name)(rng.counter, k0, k1, out.size, *args, out, nctr)
    return DeviceRNG(rng.key, nctr), out


# NumPy's largest mean: beyond it a count would not fit in an int64 (RandomState.poisson's limit)
POISSON_LAM_MAX = float(np.iinfo(np.int64).max - np.sqrt(np.iinfo(np.int64).max) * 10)


def _check_poisson(lam: Any) -> None:
    """``0 <= lam <= POISSON_LAM_MAX`` with NumPy's messages: at once for a host scalar, by a flag
    for a device array (read with the results, as for ``binomial``)."""
    if not isinstance(lam, cupy.ndarray):
        if not lam >= 0:
            raise ValueError("lam < 0 or lam is NaN")
        if lam > POISSON_LAM_MAX:
            raise ValueError("lam value too large")
        return
    if lam.size:
        _poisson_check_kernel()(lam, POISSON_LAM_MAX, _flags(lam))


def _poisson_check_kernel() -> Any:
    return _cached(("check_poisson",), lambda: cupy.ElementwiseKernel(
        "float64 lam, float64 top", "raw float64 flags",
        f"if (!(lam >= 0)) flags[{_LAM_BAD}] = 1.0;\n"
        f"else if (lam > top) flags[{_LAM_BIG}] = 1.0;",
        "fw_check_poisson"))


def _host(value: Any) -> np.ndarray:
    return cupy.asnumpy(value) if isinstance(value, cupy.ndarray) else np.asarray(value)


def _choice(rng: DeviceRNG, size: Optional[Tuple[int, ...]], a: Any, replace: Any, p: Any,
            dtype: str) -> Tuple[DeviceRNG, Any]:
    """``numpy.random.choice(a, size, replace, p)`` on the device, with its checks and messages.

    ``a`` (a count, or the population as a vector), ``replace`` and ``p`` are read on the host
    -- they decide the sample's validity and the method, as ``permutation``'s ``n`` does; the
    numbers are drawn on the device: with replacement, a uniform integer below the population's
    size per element (the ``random_integers`` kernel), or the first index whose cumulative
    probability exceeds a uniform (``choice_cdf``); without replacement, one key per member of
    the population -- 64 random bits, or ``log(u) / p`` with probabilities (Efraimidis and
    Spirakis' weighted sampling, the distribution of drawing one by one, each in proportion to
    its ``p`` among those left, as NumPy does) -- and the members with the largest keys."""
    a_host, p_host = _host(a), _host(p)
    shape = tuple(size) if size is not None else ()
    m = int(np.prod(shape, dtype=np.int64))
    if a_host.ndim == 0:
        if a_host.dtype.kind not in "iub":
            raise ValueError("a must be 1-dimensional or an integer")
        pop = int(a_host)
        population = None
    else:
        if a_host.ndim != 1:
            raise ValueError("a must be 1-dimensional")
        pop = a_host.shape[0]
        population = a if isinstance(a, cupy.ndarray) else cupy.asarray(a_host)
    if pop <= 0 and m:
        raise ValueError("a must be greater than 0 unless no samples are taken")
    probs = None
    if p_host.size:  # Theano's encoding of p=None is an empty vector
        if p_host.ndim != 1:
            raise ValueError("'p' must be 1-dimensional")
        if p_host.shape[0] != pop:
            raise ValueError("'a' and 'p' must have same size")
        probs = p_host.astype(np.float64)
        atol = max(np.sqrt(np.finfo(np.float64).eps), np.sqrt(np.finfo(p_host.dtype).eps)
                   if p_host.dtype.kind == "f" else 0.0)
        if np.isnan(probs).any():
            raise ValueError("probabilities contain NaN")
        if (probs < 0).any():
            raise ValueError("probabilities are not non-negative")
        if abs(math.fsum(probs) - 1.0) > atol:
            raise ValueError("probabilities do not sum to 1")
    with_replacement = bool(np.asarray(replace))
    if not with_replacement:
        if m > pop:
            raise ValueError("Cannot take a larger sample than population when 'replace=False'")
        if probs is not None and np.count_nonzero(probs) < m:
            raise ValueError("Fewer non-zero entries in p than size")
    if m == 0:
        return DeviceRNG(rng.key, rng.counter), cupy.empty(shape, dtype=dtype)
    if with_replacement and probs is None:
        state, idx = _elementwise_draw(rng, "random_integers", ("int64", "int64"), (0, pop - 1), None, "int64", shape)
    elif with_replacement:
        cdf = np.cumsum(probs)
        cdf /= cdf[-1]
        state, idx = _elementwise_draw(rng, "choice_cdf", ("float64", "int64"), (cupy.asarray(cdf), pop), None,
                                       "int64", shape)
    else:
        if probs is None:
            state, keys = _elementwise_draw(rng, "bits64", (), (), None, "uint64", (pop,))
            order = cupy.argsort(keys)
        else:
            state, u = _elementwise_draw(rng, "uniform", ("float64", "float64"), (0.0, 1.0), None, "float64", (pop,))
            with np.errstate(divide="ignore"):
                keys = cupy.log1p(-u) / cupy.asarray(probs)  # log of a uniform in (0, 1]; -inf where p is 0
            order = cupy.argsort(-keys)
        idx = order[:m].reshape(shape)
    sample = idx if population is None else population[idx]
    return state, sample.astype(dtype, copy=False)


# --- checking parameters without reading the device per draw ------------------------------
#
# NumPy checks a draw's parameters before drawing and raises ValueError. On the GPU the
# parameters are device arrays: checking them on the host would read the device back at every
# draw (a synchronisation, and impossible inside a recorded CUDA graph). Instead each draw
# launches one small check kernel that raises a flag in a per-device array of error flags
# (``FLAGS``), and the flags are read -- once, a few bytes -- when a result next comes back to
# the host (:func:`raise_pending`, called by ``CupyBackend.to_host``). A function that returns
# its cost to the host therefore raises the NumPy path's error, with its message, in the very
# call that drew from bad parameters, before its updates are stored; one that keeps every output
# on the device (``outputs_on_device=True``) raises at the next read back. See docs/random.md.

_P_BAD, _N_BAD, _SUM_BAD, _WORST, _PVALS_BAD, _MULTI_N_BAD, _LAM_BAD, _LAM_BIG, _N_FLAGS = 0, 1, 2, 3, 4, 5, 7, 8, 9
# generated element-wise kernels with a signed integer power set slot 6 for a negative exponent
# (NumPy raises): the same flags, read with the same single read back (see codegen.FLAGS_PARAM)
from .codegen import FLAG_INT_POW_NEGATIVE as _INT_POW_NEGATIVE  # noqa: E402 - 6
FLAGS: Dict[Any, Any] = {}  # device id -> float64 device array of _N_FLAGS flags (0 = clear)

_FLAG_PREAMBLE = r"""
#ifdef __CUDACC__
#define FW_MAX_POSITIVE(p, v) atomicMax((unsigned long long*)(p), (unsigned long long)__double_as_longlong(v))
#else
#define FW_MAX_POSITIVE(p, v) do { if ((v) > *(p)) *(p) = (v); } while (0)
#endif
"""


def _flags(like: Any) -> Any:
    """The error flags of ``like``'s device (made, cleared, on first use)."""
    device = like.device
    key = getattr(device, "id", device)
    flags = FLAGS.get(key)
    if flags is None:
        with device:
            flags = cupy.zeros(_N_FLAGS, dtype=np.float64)
        FLAGS[key] = flags
    return flags


def _check_kernel(n_dtype: str, p_dtype: str) -> Any:
    return _cached(("check_binomial", n_dtype, p_dtype), lambda: cupy.ElementwiseKernel(
        f"{n_dtype} n, {p_dtype} p", "raw float64 flags",
        f"if (!(p >= 0 && p <= 1)) flags[{_P_BAD}] = 1.0;\n"
        f"if (n < 0) flags[{_N_BAD}] = 1.0;",
        f"fw_check_binomial_{n_dtype}_{p_dtype}"))


def _multinomial_check_kernel(p_dtype: str) -> Any:
    return _cached(("check_multinomial", p_dtype), lambda: cupy.ElementwiseKernel(
        f"raw {p_dtype} pv, raw int64 nt, int64 k, float64 slack", "raw float64 flags",
        "double t = 0.0;\nbool bad = false;\n"
        "for (long long j = 0; j < k; ++j) {\n"
        "  const double q = (double)pv[i * k + j];\n"
        "  t += q;\n"
        "  if (!(q >= 0 && q <= 1)) bad = true;\n"
        "}\n"
        f"if (bad) flags[{_PVALS_BAD}] = 1.0;\n"
        f"if (t > 1.0 + slack) {{ flags[{_SUM_BAD}] = 1.0; FW_MAX_POSITIVE(&flags[{_WORST}], t); }}\n"
        f"if (nt[i] < 0) flags[{_MULTI_N_BAD}] = 1.0;",
        f"fw_check_multinomial_{p_dtype}", preamble=_FLAG_PREAMBLE))


def _check_binomial(n: Any, p: Any, n_dtype: str, p_dtype: str, bernoulli: bool) -> None:
    """Check ``n >= 0`` and ``0 <= p <= 1`` as the NumPy backend does: at once for host scalars
    (with ``RandomState.binomial``'s message for a scalar, or the Bernoulli draw's), by a flag for
    device arrays (see above)."""
    on_device = [a for a in (n, p) if isinstance(a, cupy.ndarray)]
    if not on_device:
        if not (0 <= p <= 1):
            raise ValueError("p < 0, p > 1 or p contains NaNs" if bernoulli else "p < 0, p > 1 or p is NaN")
        if n < 0:
            raise ValueError("n < 0")
        return
    if all(a.size for a in on_device):
        _check_kernel(n_dtype, p_dtype)(n, p, _flags(on_device[0]))


def raise_pending(device: Any = None) -> None:
    """Raise the error of a draw whose parameters were out of range, if one happened since the
    flags were last read (on ``device``, or on every device with flags); clears them. One read of
    a few bytes per device."""
    for key, flags in list(FLAGS.items()):
        if device is not None and key != getattr(device, "id", device):
            continue
        seen = flags.get()
        if not seen.any():
            continue
        flags.fill(0)
        if seen[_INT_POW_NEGATIVE]:
            raise ValueError("Integers to negative integer powers are not allowed. (an integer power in a "
                             f"generated element-wise kernel on cuda:{key} since results last came back to "
                             "the host; the check runs on the device and is read with the results)")
        where = (f" (a random draw on cuda:{key} since results last came back to the host; the check runs "
                 "on the device and is read with the results)")
        if seen[_SUM_BAD]:
            raise ValueError(f"multinomial: the probabilities sum to {float(seen[_WORST]):.6g}, more than 1 "
                             "(they must be a distribution along the last axis)" + where)
        if seen[_PVALS_BAD]:
            raise ValueError("pvals < 0, pvals > 1 or pvals contains NaNs" + where)
        if seen[_LAM_BAD]:
            raise ValueError("lam < 0 or lam is NaN" + where)
        if seen[_LAM_BIG]:
            raise ValueError("lam value too large" + where)
        if seen[_P_BAD]:
            raise ValueError("p < 0, p > 1 or p contains NaNs" + where)
        raise ValueError("n < 0" + where)


def _broadcast(*shapes: Tuple[int, ...]) -> Tuple[int, ...]:
    return tuple(np.broadcast_shapes(*shapes)) if shapes else ()


__all__ = ["DeviceRNG", "PhiloxGenerator", "draw", "raise_pending", "STATE_TAG"]

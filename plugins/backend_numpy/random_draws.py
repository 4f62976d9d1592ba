"""Uniform and Bernoulli draws at the speed of ``numpy.random.Generator``.

A random variable's state is a ``numpy.random.RandomState`` (the tutorial's
contract: ``rv.rng.get_value()`` is one, and ``get_state``/``set_state``/
``seed`` replay its draws). A ``RandomState`` is a thin layer over a bit
generator (PCG64 for the native streams' ``framework.random.RandomState``,
MT19937 for NumPy's own and the Theano layer's); a ``Generator`` built on
that *same* bit generator object draws from, and advances, the very same
state. Building one costs about 0.1 µs, so each draw builds its own and
nothing is cached.

Only the native streams' states (:class:`framework.random.RandomState`) and ``Generator`` states
take this path (:func:`bit_generator`); NumPy's own ``RandomState`` class -- the Theano layer's
states -- draws with its own methods, Theano 1.0's numbers. On the fast states, what this changes
in the numbers drawn (documented in docs/random.md):

* ``uniform`` in float64: nothing. ``Generator.random``/``uniform`` turn two
  32-bit words into a 53-bit double with the same formula as
  ``RandomState.uniform``; the samples are bit-identical, only faster.
* ``uniform`` in float32: one 32-bit word per sample (24 random bits,
  ``Generator.random(dtype=float32)``), where ``RandomState.uniform`` would use
  two words for a double then rounded to float32. The numbers differ from
  FAST_COMPILE's old float64-then-cast draws and the state advances half as
  far; the law is the same to 2**-24.
* ``bernoulli``, and ``binomial`` whose every ``n`` is 1 (:func:`is_bernoulli`: so that
  FAST_COMPILE's binomial node and FAST_RUN's bernoulli draw the same numbers): ``u < p`` with
  ``u`` uniform in ``p``'s precision (float32 uniforms for float32 ``p``).
  ``P(u < p)`` is ``p`` rounded up to a multiple of 2**-24 (float32) or
  2**-53 (float64).

``p`` is checked exactly as ``RandomState.binomial`` checks it: any ``p`` < 0,
> 1 or NaN raises ``ValueError``. The check is two reductions (``min`` and
``max``, NaN propagating through both) over ``p``: about 2 µs for 20x784
float32, against about 40 µs for the draw.
"""
from __future__ import annotations

import ctypes
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from framework.core.backend import lowering_for
from framework.core.linker import AFTER_FAILURE
from framework.core.random_ops import RandomVariable
from framework.random import RandomState as FrameworkRandomState

from . import threads

Size = Optional[Tuple[int, ...]]


def bit_generator(rng: Any) -> Any:
    """The bit generator the fast draws may use: that of a ``Generator`` or of a
    :class:`framework.random.RandomState` (the native streams' states).

    None for NumPy's own ``RandomState`` class -- the Theano layer's streams, or a state a user
    sets -- and anything else: those draw with the state's own methods (``uniform``'s doubles,
    ``binomial``), which are the numbers Theano 1.0 drew, so a seeded Theano-era program keeps
    them (docs/random.md, "Which numbers are drawn")."""
    if type(rng) is FrameworkRandomState:
        return rng._bit_generator
    if isinstance(rng, np.random.Generator):
        return rng.bit_generator
    return None


def is_bernoulli(n: Any, p: Any) -> bool:
    """Whether ``binomial(n, p)`` is a Bernoulli draw: every ``n`` is 1 and ``n`` does not widen
    ``p``'s shape -- the conditions of the rewrite ``binomial_to_uniform``, read from the values.
    The fast states then draw ``uniform < p`` for ``binomial`` too, so that FAST_COMPILE and
    FAST_RUN (where that rewrite has made the node a ``bernoulli``) draw the same numbers."""
    n, shape = np.asarray(n), np.shape(p)
    if n.size == 0 or n.ndim > len(shape):
        return False
    if any(d != 1 and d != q for d, q in zip(n.shape[::-1], shape[::-1])):
        return False
    return bool(n.reshape(()) == 1) if n.size == 1 else bool(np.all(n == 1))


def check_probability(p: np.ndarray) -> None:
    """Raise as ``RandomState.binomial`` does when some ``p`` is < 0, > 1 or NaN."""
    if p.size == 0:
        return
    lo, hi = p.min(), p.max()  # NaN propagates through both (the methods skip np.min's wrapper)
    if not (lo >= 0 and hi <= 1):
        raise ValueError("p < 0, p > 1 or p contains NaNs")


def _uniform_dtype(p: np.ndarray) -> np.dtype:
    return np.dtype(np.float32) if p.dtype == np.float32 else np.dtype(np.float64)


def bernoulli_from(random: Callable[..., Any], size: Size, p: Any, dtype: np.dtype) -> np.ndarray:
    """``uniform < p`` as ``dtype``; ``random(shape[, dtype])`` draws the uniforms.

    The comparison writes into the uniforms' own buffer when the sample's
    dtype is theirs (one pass, no temporary).
    """
    p = np.asarray(p)
    check_probability(p)
    shape = tuple(size) if size is not None else p.shape
    return _compare(_draw_uniforms(random, shape, _uniform_dtype(p)), p, dtype)


def _draw_uniforms(random: Callable[..., Any], shape: Tuple[int, ...], udt: np.dtype) -> np.ndarray:
    if udt == np.float32:
        return np.asarray(random(shape, dtype=udt))
    return np.asarray(random(shape))


def _compare(u: np.ndarray, p: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype == u.dtype and u.ndim:
        return np.less(u, p, out=u)
    return np.asarray(np.less(u, p)).astype(dtype)


_F32 = np.dtype(np.float32)


def _bernoulli(gen: np.random.Generator, size: Size, params: Tuple[Any, ...], dtype: np.dtype) -> np.ndarray:
    p = params[0]
    if size is None and type(p) is np.ndarray and p.dtype == _F32 and dtype == _F32 and p.ndim and p.size:
        # the RBM's case, inlined (bernoulli_from does the same in five calls)
        if not (p.min() >= 0 and p.max() <= 1):
            raise ValueError("p < 0, p > 1 or p contains NaNs")
        u = gen.random(p.shape, dtype=_F32)
        return np.less(u, p, out=u)
    return bernoulli_from(gen.random, size, p, dtype)


def _is_unit(lo: np.ndarray, hi: np.ndarray) -> bool:
    return lo.ndim == 0 and hi.ndim == 0 and lo == 0 and hi == 1


def _uniform(gen: np.random.Generator, size: Size, params: Tuple[Any, ...], dtype: np.dtype) -> np.ndarray:
    lo, hi = np.asarray(params[0]), np.asarray(params[1])
    shape = tuple(size) if size is not None else np.broadcast_shapes(lo.shape, hi.shape)
    unit = _is_unit(lo, hi)
    if dtype != np.float32:
        # the same doubles as RandomState.uniform(low, high, size)
        sample = gen.random(shape) if unit else gen.uniform(lo, hi, shape)
        return np.asarray(sample).astype(dtype, copy=False)
    u = np.asarray(gen.random(shape, dtype=np.float32))
    if not unit:
        width = np.subtract(hi, lo, dtype=np.float64)
        if not np.all(np.isfinite(width)):
            raise OverflowError("uniform: high - low is not finite (range exceeds valid bounds)")
        np.multiply(u, width.astype(np.float32), out=u)
        np.add(u, lo.astype(np.float32), out=u)
    return u


# --- Bernoulli uniforms drawn ahead, on the helper thread --------------------------------------
#
# ``plugins/rewrites/draw_ahead.py`` splits a Bernoulli draw into "draw the uniforms" (scheduled as
# early as the shape is known, e.g. before the GEMM that computes ``p``) and "check ``p``, compare".
# The draw runs on the helper thread (:mod:`.threads`) while the main thread computes ``p``. What
# the program observes is exactly the one-node draw's:
#
# * the same numbers: the same ``Generator(bits).random(shape, dtype)`` call on the same state, in
#   the schedule's order (the helper runs jobs one at a time, in order);
# * the same errors and the same state after one: ``p`` is checked before it is used, and when the
#   check fails the state is put back as it was before the draw (the one-node draw checks ``p``
#   before drawing). The state's bytes are copied before the draw and written back on failure --
#   also for every draw not yet consumed when a call fails elsewhere (:func:`settle_after_failure`,
#   run by ``Function``). Two bit generators are handled (:func:`_snapshots`): MT19937 (NumPy's
#   ``RandomState`` default; the Theano layer's streams), whose state is one fixed-size struct, and
#   PCG64 (the native streams' :class:`framework.random.RandomState`), whose struct points to the
#   128-bit state and increment and holds the buffered half of a 64-bit word (``has_uint32``,
#   ``uinteger``: float32 draws take 32 bits at a time);
# * the same sample shape: when the shape was inferred (``size=None`` means ``p.shape``) and ``p``
#   turns out to have another, the state is put back and the draw made the one-node way.
#
# Other bit generators, or a process with one usable core, draw when ``p`` is known, exactly as the
# one-node draw does. PCG64's layout is checked once, against its ``state`` property, before it is
# relied on (:func:`_pcg64_layout_ok`); if NumPy ever changes it, PCG64 draws are simply not drawn
# ahead.

_MT_STATE_BYTES = 624 * 4 + 4  # numpy's mt19937_state: uint32 key[624], int pos
# numpy's pcg64_state: {pcg64_random_t *pcg_state; int has_uint32; uint32_t uinteger;}, and
# pcg64_random_t: {128-bit state; 128-bit inc}
_PTR = ctypes.sizeof(ctypes.c_void_p)
_PCG_INNER_BYTES = 32
_PCG_BUFFER_BYTES = 8  # has_uint32, uinteger
_pcg64_checked: List[bool] = []


def _no_restore(saved: bytes) -> None:
    raise AssertionError("no state was saved for this draw")


def _snapshots(bits: Any) -> Optional[Tuple[Callable[[], bytes], Callable[[bytes], None]]]:
    """``(save, restore)`` of ``bits``' state as bytes, for the bit generators drawn ahead; else None."""
    kind = type(bits)
    if kind is np.random.MT19937:
        addr = bits.ctypes.state_address

        def save_mt() -> bytes:
            return ctypes.string_at(addr, _MT_STATE_BYTES)

        def restore_mt(saved: bytes) -> None:
            ctypes.memmove(addr, saved, _MT_STATE_BYTES)

        return save_mt, restore_mt
    if kind is np.random.PCG64 and _pcg64_layout_ok():
        return _pcg64_snapshots(bits)
    return None


def _pcg64_snapshots(bits: Any) -> Tuple[Callable[[], bytes], Callable[[bytes], None]]:
    addr = bits.ctypes.state_address  # the pcg64_state struct, which lives as long as ``bits``
    inner = ctypes.c_void_p.from_address(addr).value
    buffered = addr + _PTR

    def save_pcg() -> bytes:
        return ctypes.string_at(inner, _PCG_INNER_BYTES) + ctypes.string_at(buffered, _PCG_BUFFER_BYTES)

    def restore_pcg(saved: bytes) -> None:
        ctypes.memmove(inner, saved, _PCG_INNER_BYTES)
        ctypes.memmove(buffered, saved[_PCG_INNER_BYTES:], _PCG_BUFFER_BYTES)

    return save_pcg, restore_pcg


def _pcg64_layout_ok() -> bool:
    """Whether saving and restoring PCG64's bytes as above round-trips its ``state`` (checked once)."""
    if not _pcg64_checked:
        ok = False
        try:
            bits = np.random.PCG64(20261207)
            gen = np.random.Generator(bits)
            save, restore = _pcg64_snapshots(bits)
            for n in (3, 4):  # leaves half a word buffered, then none
                gen.random(n, dtype=np.float32)
                before, saved = bits.state, save()
                gen.random(5, dtype=np.float32)
                gen.random(2)
                restore(saved)
                ok = bits.state == before
                if not ok:
                    break
        except Exception:  # a layout we do not know: never drawn ahead
            ok = False
        _pcg64_checked.append(ok)
    return _pcg64_checked[0]
def state_snapshots(dists: Any, copy_rng: Callable[[Any], Any]) -> Tuple[Callable[[Any], Any], Callable[[Any, Any], Any]]:
    """``NumpyBackend.rng_snapshots``: ``(save, restore)`` of a state that draws of ``dists``
    advance in place, for putting it back after a failed call (``Op.rng_advanced``).

    A ``RandomState`` (ours or NumPy's) or ``Generator`` on PCG64 or MT19937 is saved as the
    bit generator's bytes (:func:`_snapshots`: under a microsecond, where ``get_state`` takes
    2 us on PCG64 and 33 us on MT19937) and restored in place, the very object the shared
    variable holds -- unless ``normal`` is among ``dists``: a ``RandomState``'s ``normal``
    also keeps a cached Gaussian outside the bit generator, so the whole ``get_state`` is
    saved and ``set_state`` restores it. Any other state is copied, and the copy restored."""
    full = "normal" in dists
    last: List[Any] = [None, None]  # the bit generator last saved and its byte snapshots

    def save(state: Any) -> Any:
        kind = type(state)
        if kind is FrameworkRandomState or kind is np.random.RandomState:
            if full:
                return ("state", state.get_state(legacy=False))
            bits = state._bit_generator
        elif isinstance(state, np.random.Generator):
            bits = state.bit_generator
        else:
            return ("copy", copy_rng(state))
        if bits is not last[0]:
            last[0], last[1] = bits, _snapshots(bits)
        ops = last[1]
        if ops is None:
            return ("bits", bits, bits.state)
        return ("bytes", bits, ops[0](), ops[1])

    def restore(state: Any, saved: Any) -> Any:
        how = saved[0]
        if how == "state":
            state.set_state(saved[1])
            return state
        if how == "copy":
            return saved[1]
        bits = saved[1]
        if how == "bits":
            bits.state = saved[2]
        else:
            saved[3](saved[2])
        return state

    return save, restore


_local = threading.local()


def _pending() -> List["AheadUniforms"]:
    try:
        return _local.pending
    except AttributeError:
        _local.pending = []
        return _local.pending


class AheadUniforms:
    """Uniforms for one Bernoulli draw: drawn on the helper thread, or (``job`` None) when needed."""

    __slots__ = ("rng", "shape", "udt", "inferred", "job", "restore", "draw")

    def __init__(self, rng: Any, shape: Tuple[int, ...], udt: np.dtype, inferred: bool,
                 draw: Callable[..., Tuple[Any, np.ndarray]]) -> None:
        self.rng, self.shape, self.udt, self.inferred, self.draw = rng, shape, udt, inferred, draw
        self.job = None
        self.restore: Callable[[bytes], None] = _no_restore
        bits = bit_generator(rng)
        ops = _snapshots(bits) if bits is not None and threads.available() else None
        if ops is not None:
            save, self.restore = ops
            gen_random = np.random.Generator(bits).random

            def job() -> Tuple[bytes, np.ndarray]:
                saved = save()
                return saved, _draw_uniforms(gen_random, shape, udt)

            self.job = threads.submit(job)
            _pending().append(self)

    def __repr__(self) -> str:  # how an error message lists this input of the Bernoulli draw
        return f"uniforms drawn ahead for this draw (shape {self.shape}, {np.dtype(self.udt).name})"

    def bernoulli(self, p: Any, dtype: np.dtype) -> np.ndarray:
        """``uniform < p`` as ``dtype``, as the one-node draw on ``rng`` would have made it."""
        job = self.job
        if job is None:  # drawn now, the one-node way
            return self.draw(self.rng, "bernoulli", None if self.inferred else self.shape, (p,), dtype)[1]
        job.finished()
        _pending().remove(self)
        p = np.asarray(p)
        if job.error is not None:  # the draw failed before drawing anything (a negative size, say)
            check_probability(p)  # which the one-node draw checks first
            raise job.error
        saved, u = job.result
        if (self.inferred and u.shape != p.shape) or _uniform_dtype(p) != self.udt:
            self.restore(saved)  # not the draw asked for: redo it
            return self.draw(self.rng, "bernoulli", None if self.inferred else self.shape, (p,), dtype)[1]
        try:
            check_probability(p)
        except ValueError:
            self.restore(saved)  # as if never drawn
            raise
        return _compare(u, p, dtype)

    def undo(self) -> None:
        """Put the state back as it was before this draw (which nothing consumed)."""
        job = self.job
        if job is not None:
            job.finished()
            if job.error is None:
                self.restore(job.result[0])


def backend_draw_ahead(backend: Any, rng: Any, shape: Tuple[int, ...], p_dtype: Any, inferred: bool) -> AheadUniforms:
    """``NumpyBackend.draw_ahead``: start drawing the uniforms of ``bernoulli(p)`` of ``shape``
    from ``rng`` (advanced in place); ``inferred``: ``shape`` is what ``p.shape`` is expected
    to be (the draw had no ``size``). The backend's ``draw`` makes the one-node draw wherever
    drawing ahead does not apply."""
    udt = np.dtype(np.float32) if p_dtype == "float32" else np.dtype(np.float64)
    return AheadUniforms(rng, shape, udt, inferred, backend.draw)


def settle_after_failure() -> None:
    """A call failed: wait for the draws it started and undo those it did not consume, newest first."""
    pending = _pending()
    while pending:
        pending.pop().undo()


AFTER_FAILURE.append(settle_after_failure)


# --- the RBM's draw, lowered to one function -----------------------------------------------------

_FAST_STATE = FrameworkRandomState  # the states whose draws take the fast path (bit_generator)
_GENERATOR = np.random.Generator
_NDARRAY = np.ndarray


def _generator_of(rng: Any) -> Any:
    """A ``Generator`` on ``rng``'s own bit generator, made once per bit generator and kept on ``rng``.

    A ``Generator`` holds nothing but its bit generator, so one made earlier draws exactly what a
    new one would; making it anew cost 1-1.5 us per draw inside the RBM's step (three draws a
    CD-1 step, 31 a PCD-15 one). ``set_state`` with another kind of state puts another bit
    generator in ``rng`` (:class:`framework.random.RandomState`): the one kept is then remade."""
    bits = rng._bit_generator
    kept = rng.__dict__.get("_backend_generator")
    if kept is not None and kept[0] is bits:
        return kept[1]
    gen = _GENERATOR(bits)
    rng.__dict__["_backend_generator"] = (bits, gen)
    return gen


@lowering_for(RandomVariable)
def lower_bernoulli(node: Any, backend: Any) -> Optional[Callable[..., Any]]:
    """The kernel of an in-place float32 ``bernoulli(p)`` without ``size`` (every Gibbs step's
    draw): the checks and the draw of :func:`_bernoulli` in one function, without the three calls
    (op kernel, ``backend.draw``, the distribution table) that the general path makes. Anything
    else that reaches it at run time (a state not of the fast kind -- NumPy's own ``RandomState``
    draws its own numbers, see :func:`bit_generator` --, a ``p`` of another dtype or empty) takes
    the general path, so the results and errors are those of ``backend.draw``.

    When the op that computes ``p`` states that its values lie in [0, 1] or are NaN
    (``Op.output_bounds``: a sigmoid, or a fused program ending in one -- the RBM's means), the
    only ``p`` that ``binomial`` would refuse is one with a NaN, and one BLAS dot of ``p`` with
    itself (NaN if and only if some entry is: every square is at most 1) finds it, instead of
    the two reductions ``min`` and ``max`` (measured in the PCD-15 step: about 1 % of it)."""
    op = node.op
    if op.dist != "bernoulli":  # (draw_ahead's op of that name never gets here: lowering_for)
        return None
    size, p = node.inputs[1], node.inputs[2]
    if not (op.inplace and op.dtype == "float32" and p.type.dtype == "float32" and p.type.ndim
            and size.type.shape[0] == 0):
        return None
    draw = backend.draw
    check = _check_for(p)

    def kernel(rng: Any, size: Any, p: Any) -> Tuple[Any, np.ndarray]:
        if type(rng) is _FAST_STATE and type(p) is _NDARRAY and p.dtype == _F32 and p.size:
            check(p)
            u = _generator_of(rng).random(p.shape, dtype=_F32)
            return rng, np.less(u, p, out=u)
        return draw(rng, "bernoulli", None, (p,), "float32")

    return kernel


def _refuse_nan(p: np.ndarray) -> None:
    """:func:`check_probability` for a ``p`` known to lie in [0, 1] or be NaN: one BLAS dot."""
    if np.isnan(np.vdot(p, p)):
        raise ValueError("p < 0, p > 1 or p contains NaNs")


def _buffered_half(rng: Any, bits: Any) -> bool:
    """Whether PCG64 ``bits`` holds the high half of a word for the next 32-bit draw
    (``state["has_uint32"]``), read from the state struct where its layout is the one
    :func:`_pcg64_layout_ok` checked: building the ``state`` dict took 2 us, 8 us inside the
    CD-1 step. The field's address is kept on ``rng`` beside the bit generator it belongs to,
    and checked against ``state`` once when it is found."""
    if _pcg64_layout_ok():
        kept = rng.__dict__.get("_backend_pcg_flag")
        if kept is None or kept[0] is not bits:
            flag = ctypes.c_int.from_address(bits.ctypes.state_address + _PTR)
            kept = (bits, flag) if bool(flag.value) == bool(bits.state["has_uint32"]) else (bits, None)
            rng.__dict__["_backend_pcg_flag"] = kept
        if kept[1] is not None:
            return bool(kept[1].value)
    return bool(bits.state["has_uint32"])


def _skip_float32_uniforms(rng: Any, n: int) -> None:
    """Move ``rng``'s PCG64 on exactly as ``Generator(bits).random(n, dtype=float32)`` would.

    Each float32 uniform takes 32 bits (``next_uint32``): PCG64 hands out the low half
    of a 64-bit word and keeps the high half buffered (``has_uint32``, ``uinteger``) for
    the next one. So: the buffered half first, then ``advance`` (O(log n); it clears the
    buffer) over all but the last word, and that last word drawn for real, one or two
    uniforms of it, so that the buffer ends as drawing would leave it -- the whole
    ``state`` dict included (a test compares it)."""
    bits = rng._bit_generator
    gen = _generator_of(rng)
    if _buffered_half(rng, bits):
        gen.random(1, dtype=_F32)  # takes the buffered half
        n -= 1
    if n <= 0:
        return
    if n % 2:
        bits.advance((n - 1) // 2)
        gen.random(1, dtype=_F32)  # low half out, high half buffered
    else:
        bits.advance(n // 2 - 1)
        gen.random(2, dtype=_F32)  # both halves of the last word


def lower_advance(node: Any, backend: Any) -> Optional[Callable[..., Any]]:
    """The kernel of ``random_advance`` (the rewrites plugin's dead draw) of a float32 Bernoulli
    draw without ``size``: ``p`` checked as the draw checks it, then the native state's PCG64
    moved on over ``p.size`` uniforms (:func:`_skip_float32_uniforms`) -- the state the draw
    would leave, without drawing. Everything else (NumPy's own ``RandomState``, an MT19937
    state, another dtype, an empty ``p``, draws pending on the helper thread) runs the op's own
    kernel: the draw itself, its sample dropped."""
    op = node.op
    size, p = node.inputs[1], node.inputs[2:]
    if op.dist != "bernoulli" or op.dtype != "float32" or size.type.shape[0] != 0 or len(p) != 1 \
            or p[0].type.dtype != "float32" or not p[0].type.ndim:
        return None
    general = op.make_kernel(node, backend)
    check = _check_for(p[0])
    inplace, copy_rng, pcg64 = op.inplace, backend.copy_rng, np.random.PCG64

    def kernel(rng: Any, size: Any, p: Any) -> Any:
        if type(rng) is _FAST_STATE and type(rng._bit_generator) is pcg64 and type(p) is _NDARRAY \
                and p.dtype == _F32 and p.size and not _pending():
            check(p)
            if not inplace:
                rng = copy_rng(rng)
            _skip_float32_uniforms(rng, p.size)
            return rng
        return general(rng, size, p)

    return kernel


def _check_for(p: Any) -> Callable[[np.ndarray], None]:
    """The check a Bernoulli draw makes of ``p``: NaN only where ``p``'s op bounds it to [0, 1]."""
    producer = p.owner
    bounds = producer.op.output_bounds(producer, p.index) if producer is not None else None
    return _refuse_nan if bounds is not None and bounds[0] >= 0 and bounds[1] <= 1 else check_probability


LOWERINGS: Dict[str, Callable[[Any, Any], Optional[Callable[..., Any]]]] = {"random_bernoulli": lower_bernoulli}
try:  # the op whose state lower_advance leaves is the rewrites plugin's dead draw
    from framework_rewrites.random import RandomAdvance
except ModuleNotFoundError as exc:  # that plugin is not installed: no such nodes to lower
    if exc.name != "framework_rewrites":
        raise
else:
    LOWERINGS["random_advance"] = lowering_for(RandomAdvance)(lower_advance)

# dist -> fn(generator, size, params, dtype) for the draws a Generator makes faster
FAST_DRAWS: Dict[str, Callable[..., np.ndarray]] = {
    "uniform": _uniform,
    "bernoulli": _bernoulli,
}

__all__ = ["FAST_DRAWS", "LOWERINGS", "state_snapshots", "AheadUniforms", "bit_generator", "bernoulli_from", "is_bernoulli", "check_probability", "backend_draw_ahead",
           "settle_after_failure"]

"""``RandomState.binomial(1, p, size)`` -- Theano 1.0's Bernoulli numbers -- vectorised.

NumPy's own ``RandomState`` class (the Theano layer's states) must draw ``binomial(n=1, p)``
with NumPy's legacy binomial sampler: those are the numbers a seeded Theano program drew. That
sampler is a C loop over the elements, about 40 ns each (0.4 ms for 20x500), ten times the cost
of drawing the doubles it consumes. :func:`legacy_bernoulli` draws the same doubles with
``random_sample`` and makes the sampler's per-element decision with array operations: the same
values, and the state advanced exactly as far.

What the legacy sampler does for ``n = 1`` (NumPy's ``legacy_random_binomial`` and
``random_binomial_inversion``; frozen, as every ``RandomState`` stream is, by NumPy's
compatibility policy): ``p * n <= 30`` always, so it always
inverts, with ``bound = min(n, np + 10 sqrt(np q + 1)) = 1``, and there is no short cut for
``p == 0``. Let ``a = p`` if ``p <= 0.5`` else ``a = 1.0 - p`` (the "inner" probability, exact:
Sterbenz) and ``b = 1.0 - a`` (rounded as in C). Then, one double ``U = next_double()`` per
element -- ``random_sample``'s doubles, drawn in C order as the sampler's loop draws them:

* ``X = 1`` if ``U > qn`` else ``0``, where ``qn = exp(1 * log(b))`` (libm; not exactly ``b``);
* except that a ``U`` with ``U - qn > (a * qn) / b`` makes ``X`` pass ``bound``, and the sampler
  draws another double for that element (a *restart*);
* the sample is ``X`` for ``p <= 0.5`` and ``1 - X`` above.

So the sample is ``(U > qn) != (p > 0.5)``. Here ``b`` is ``fl(1 - p)`` for ``p <= 0.5`` and
exactly ``p`` above (``1 - p`` is exact there, and so is ``1 - (1 - p)``). The comparison is made
with ``b`` (computed to 2**-52, see :func:`_decide`) in place of ``qn``: libm's ``exp`` and ``log``
are each correct to about an ulp (glibc documents at most 1 ulp), so ``|qn - b|`` is a few ulps
of a number in [0.5, 1], far below ``_WINDOW`` = 2**-40 (8192 ulps). Hence

* for every ``U`` farther than ``_WINDOW`` from ``b``, ``U > b`` decides ``U > qn``;
* a restart needs ``U - qn > (a * qn) / b``, i.e. ``U > (a + b)(1 + O(2**-52))`` with
  ``a + b = 1`` to 2**-54: only ``U`` within a few ulps of 1 can restart, and none below
  ``1 - _WINDOW`` does.

A draw with some ``U`` within ``_WINDOW`` of its ``b``, or some ``U >= 1 - _WINDOW``, is
*ambiguous*: the state is put back as it was before the draw and NumPy's ``binomial`` makes it
itself. An element is ambiguous with probability about 3 * 2**-40 (3e-12), so this costs
nothing on average and never changes a number -- the exactness rests only on libm's
``exp(log(b))`` being well within 2**-40 of ``b`` (it is within a few ulps), not on reproducing
libm. (On glibc it equals ``b`` for every one of 3 million ``b`` tried.)

Everything else that is not the plain case -- a ``p`` of another dtype than float16/32/64 (NumPy
converts it to double, or refuses it), a ``size`` that ``p`` does not broadcast to, a ``p``
outside [0, 1] or NaN, a ``RandomState`` subclass with its own ``binomial`` or ``random_sample``
-- is handed to ``rng.binomial(1, p, size)`` untouched, so errors (their messages: NumPy words a
0-d ``p``'s NaN otherwise than an array's) and their order are NumPy's, and NumPy's ``binomial``
checks before it draws, so a refused draw leaves the state as it was.

One difference remains, with threads: NumPy's ``binomial`` holds the state's lock for the whole
draw, and so does ``random_sample`` here, but a draw handed back to NumPy restores the state and
draws again outside it -- a second thread drawing from the *same* ``RandomState`` at that moment
(about 3 times in 10**12 elements) could see its draw undone. Nothing in the framework does that.
"""
from __future__ import annotations

import operator
from typing import Any, Callable, Optional, Tuple

import numpy as np

from .random_draws import _snapshots, is_bernoulli

__all__ = ["legacy_bernoulli", "legacy_bernoulli_params"]

_WINDOW = 2.0 ** -40  # see the module's docstring: libm's exp(log(b)) is far closer than this to b
_TOP = 1.0 - _WINDOW  # a U at or above this might restart
_P_DTYPES = (np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.float16))
_LONG = np.dtype("long")  # what RandomState.binomial returns
_NUMPY_BINOMIAL = np.random.RandomState.binomial
_NUMPY_RANDOM_SAMPLE = np.random.RandomState.random_sample


def legacy_bernoulli(rng: np.random.RandomState, p: Any, size: Any = None, dtype: Any = None) -> Any:
    """What ``rng.binomial(1, p, size)`` returns -- the same values, ``rng`` left in the same state
    (its Gaussian cache untouched, as NumPy's leaves it) -- without its per-element C loop; cast
    to ``dtype`` when one is given (``np.asarray(...).astype(dtype)``, as the backend casts).

    The algorithm and why it is exact are in the module's docstring; every case it does not
    cover, and every draw it cannot decide, is NumPy's own ``rng.binomial(1, p, size)``."""
    pa = np.asarray(p)
    shape = _plain_shape(rng, pa, size)
    if shape is not None and pa.size and not (pa.min() >= 0 and pa.max() <= 1):  # NaN fails both
        shape = None  # refused: NumPy raises its own message, before drawing
    if shape is None:
        return _numpy_binomial(rng, p, size, dtype)
    save, restore = _state_ops(rng._bit_generator)
    saved = save()
    ones = _decide(rng.random_sample(shape), pa)
    if ones is None:  # some element ambiguous or maybe restarting: NumPy draws it all
        restore(saved)
        return _numpy_binomial(rng, p, size, dtype)
    if dtype is not None:
        return ones.astype(dtype)
    if size is None and pa.ndim == 0:
        return int(ones)  # NumPy's scalar path returns a Python int
    return ones.astype(_LONG)


def legacy_bernoulli_params(n: Any, p: Any) -> bool:
    """Whether ``rng.binomial(n, p, size)`` draws what ``rng.binomial(1, p, size)`` draws, errors
    included: ``is_bernoulli(n, p)`` (every ``n`` 1, ``n`` not widening ``p``) with ``n`` of a
    signed integer dtype -- NumPy refuses some other ``n`` (a float or uint64 array) that ``1``
    would not make it refuse."""
    return np.asarray(n).dtype.kind == "i" and is_bernoulli(n, p)


def _numpy_binomial(rng: Any, p: Any, size: Any, dtype: Any) -> Any:
    sample = rng.binomial(1, p, size)
    return sample if dtype is None else np.asarray(sample).astype(dtype, copy=False)


def _plain_shape(rng: Any, pa: np.ndarray, size: Any) -> Optional[Tuple[int, ...]]:
    """The sample's shape when the draw is the plain case (see the module), else None."""
    kind = type(rng)
    if kind.binomial is not _NUMPY_BINOMIAL or kind.random_sample is not _NUMPY_RANDOM_SAMPLE:
        return None
    if pa.dtype not in _P_DTYPES:
        return None
    if size is None or (type(size) is tuple and size == pa.shape):
        return pa.shape
    try:
        shape = tuple(operator.index(d) for d in size) if np.ndim(size) else (operator.index(size),)
        if min(shape, default=0) < 0 or (shape != pa.shape and np.broadcast_shapes(shape, pa.shape) != shape):
            return None
    except (TypeError, ValueError):
        return None
    return shape


def _decide(u: np.ndarray, pa: np.ndarray) -> Optional[np.ndarray]:
    """The legacy sampler's samples (bool) for doubles ``u`` and probabilities ``pa``, or None
    when some element is ambiguous (within ``_WINDOW`` of its threshold, or near 1). ``u`` is
    overwritten.

    The threshold ``b`` is computed as ``0.5 + |p - 0.5|``, which needs no select: exactly ``p``
    above 0.5 and exactly ``fl(1 - p)`` for ``p`` in [0.25, 0.5] (Sterbenz), within 2**-52 of
    ``fl(1 - p)`` below -- far inside ``_WINDOW``."""
    ones = np.empty(u.shape, dtype=bool)
    if not u.size:
        return ones
    if u.max() >= _TOP:
        return None
    b = np.subtract(pa, 0.5, dtype=np.float64, out=np.empty(pa.shape))  # exact conversion to double
    high = np.greater(b, 0.0)  # p > 0.5 (p - 0.5 is exact there)
    np.add(np.abs(b, out=b), 0.5, out=b)
    d = np.subtract(u, b, out=u)
    np.greater(d, 0.0, out=ones)  # U > b: the inversion's X
    np.not_equal(ones, high, out=ones)  # 1 - X above 0.5
    if np.abs(d, out=d).min() <= _WINDOW:
        return None
    return ones


def _state_ops(bits: Any) -> Tuple[Callable[[], Any], Callable[[Any], None]]:
    """``(save, restore)`` of ``bits``' state: a byte copy for MT19937 and PCG64
    (:func:`.random_draws._snapshots`), the ``state`` property for any other bit generator."""
    ops = _snapshots(bits)
    if ops is not None:
        return ops

    def save() -> Any:
        return bits.state

    def restore(saved: Any) -> None:
        bits.state = saved

    return save, restore

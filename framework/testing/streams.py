"""The two kinds of random streams, for tests that check drawn numbers against NumPy.

* ``native``: :class:`framework.random.RandomStreams` -- every state is a
  :class:`framework.random.RandomState` on PCG64 seeded ``PCG64(s)``;
* ``theano``: ``theano.tensor.shared_randomstreams.RandomStreams`` -- every
  state is ``numpy.random.RandomState(s)`` (MT19937), Theano's own numbers.

Both seed the k-th random variable with the k-th ``randint(2**30)`` of
``numpy.random.RandomState(seed)``. :meth:`StreamsUnderTest.reference_states`
builds the same states with NumPy alone (not with the code under test), so a
test can replay every draw with NumPy's own methods.
"""
from __future__ import annotations

from typing import Any, Callable, List

import numpy as np

__all__ = ["StreamsUnderTest", "STREAMS", "assert_same_state"]


class StreamsUnderTest:
    """A RandomStreams class and how NumPy alone builds the state of its variables."""

    def __init__(self, name: str, cls: Any, reference: Callable[[int], np.random.RandomState]) -> None:
        self.name, self.cls, self.reference = name, cls, reference

    @property
    def theano(self) -> bool:
        """Whether these streams promise Theano's (MT19937's) exact numbers."""
        return self.name == "theano"

    @property
    def bernoulli_is_uniform(self) -> bool:
        """Whether ``binomial(n=1, p)`` draws ``uniform < p`` (the native streams, in every mode) rather
        than ``RandomState.binomial(1, p)`` (the Theano layer: Theano's numbers, in every mode)."""
        return not self.theano

    def bernoulli(self, ref: np.random.RandomState, p: Any, size: Any = None) -> np.ndarray:
        """The numbers ``binomial(size, n=1, p)`` draws from a state that ``ref`` replays (advancing
        ``ref``), as float64 0/1: ``uniform < p`` with uniforms in ``p``'s precision (native) or
        ``ref.binomial(1, p, size)`` (Theano layer)."""
        p = np.asarray(p)
        shape = np.shape(p) if size is None else tuple(size)
        if not self.bernoulli_is_uniform:
            return ref.binomial(1, p, shape).astype(np.float64)
        gen = np.random.Generator(ref._bit_generator)
        u = gen.random(shape, dtype=np.float32) if p.dtype == np.float32 else gen.random(shape)
        return (u < p).astype(np.float64)

    def uniform(self, ref: np.random.RandomState, low: float, high: float, size: Any, dtype: str) -> np.ndarray:
        """The numbers ``uniform(size, low, high, dtype=dtype)`` draws from a state that ``ref``
        replays (advancing ``ref``): in float32 on the native streams ``Generator.random(dtype=float32)``
        scaled; otherwise (float64, or the Theano layer) ``RandomState.uniform``'s doubles, cast."""
        if dtype == "float32" and not self.theano:
            u = np.random.Generator(ref._bit_generator).random(size, dtype=np.float32)
            if (low, high) != (0.0, 1.0):
                u = u * np.float32(high - low) + np.float32(low)
            return u
        return ref.uniform(low, high, size).astype(dtype)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.cls(*args, **kwargs)

    def reference_states(self, seed: int, n: int) -> List[np.random.RandomState]:
        """The states ``RandomStreams(seed)`` gives its first ``n`` random variables."""
        gen = np.random.RandomState(seed)
        return [self.reference(int(gen.randint(2 ** 30))) for _ in range(n)]

    def __repr__(self) -> str:
        return self.name


def _native() -> Any:
    from framework.random import RandomStreams

    return RandomStreams


def _theano() -> Any:
    from framework.compat.theano.tensor.shared_randomstreams import RandomStreams

    return RandomStreams


STREAMS = [
    StreamsUnderTest("native", _native(), lambda s: np.random.RandomState(np.random.PCG64(s))),
    StreamsUnderTest("theano", _theano(), np.random.RandomState),
]


def assert_same_state(a: np.random.RandomState, b: np.random.RandomState) -> None:
    """``a`` and ``b`` are on the same bit generator, in the same state (Gaussian cache included)."""
    sa, sb = a.get_state(legacy=False), b.get_state(legacy=False)
    assert sa["bit_generator"] == sb["bit_generator"], (sa["bit_generator"], sb["bit_generator"])
    for key in set(sa) | set(sb):
        va, vb = sa.get(key), sb.get(key)
        if isinstance(va, dict):
            assert set(va) == set(vb), key
            for k in va:
                np.testing.assert_array_equal(va[k], vb[k], err_msg=f"state[{key!r}][{k!r}]")
        else:
            assert va == vb, (key, va, vb)

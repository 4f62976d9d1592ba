"""``RandomStreams``: symbolic random numbers with Theano's interface.

Each call such as ``srng.uniform((2, 2))`` makes a new shared variable
holding a generator state (a ``numpy.random.RandomState`` on the CPU),
seeded from the stream's seed, and returns the sample variable ``rv``:

* ``rv.rng`` is that shared variable (``get_value``/``set_value`` it to
  reseed or replay, exactly as in the Theano tutorial);
* ``rv.rng.default_update`` is the op's new-state output, so every compiled
  function that draws ``rv`` stores the advanced state after the call --
  unless ``function(..., no_default_updates=True)`` (or a list holding
  ``rv.rng``), or an explicit update of ``rv.rng``, says otherwise.

A random variable is one node of the graph, so it is drawn once per call:
``rv + rv - 2 * rv`` is zero.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from .config import config
from .core.graph import Variable
from .core.random_ops import RandomTensorVariable, make_random
from .core.shared import RNGSharedVariable, SharedVariable, shared
from .core.types import as_dtype
from .core.variable import as_tensor_variable

__all__ = ["RandomStreams"]


def _float_dtype(*params: Any) -> str:
    """Theano's rule: floatX, upcast by the parameters' dtypes (Python numbers don't upcast)."""
    dts = [config.floatX]
    for p in params:
        v = as_tensor_variable(p)
        if not getattr(v, "weak", False):
            dts.append(v.dtype)
    return np.result_type(*dts).name


class RandomStreams:
    """A source of symbolic random variables, each with its own generator state.

    ``seed`` seeds a generator of seeds (``numpy.random.RandomState(seed)``):
    the k-th random variable made by this stream gets a state seeded with the
    k-th number it draws below ``2**30``, as in Theano, so a program that
    builds the same variables in the same order gets the same numbers.
    """

    def __init__(self, seed: Optional[int] = None) -> None:
        self.default_instance_seed = seed
        self.gen_seedgen = np.random.RandomState(seed)
        # (shared state, new-state variable) of every random variable made so far
        self.state_updates: List[Tuple[RNGSharedVariable, Variable]] = []

    # --- state management ----------------------------------------------------------
    def seed(self, seed: Optional[int] = None) -> None:
        """Reseed every random variable made so far (and the seed generator).

        ``seed=None`` reuses the seed the stream was created with.
        """
        if seed is None:
            seed = self.default_instance_seed
        self.gen_seedgen = np.random.RandomState(seed)
        for rng, _ in self.state_updates:
            rng.set_value(np.random.RandomState(int(self.gen_seedgen.randint(2 ** 30))), borrow=True)

    def updates(self) -> List[Tuple[RNGSharedVariable, Variable]]:
        """The ``(state, new_state)`` pairs of every random variable made so far."""
        return list(self.state_updates)

    def __getitem__(self, item: SharedVariable) -> Any:
        """``srng[rv.rng]``: the generator state itself (not a copy)."""
        return item.get_value(borrow=True)

    def __setitem__(self, item: SharedVariable, value: Any) -> None:
        item.set_value(value, borrow=True)

    # --- building ------------------------------------------------------------------
    def gen(self, dist: str, size: Any, params: Sequence[Any], dtype: Any,
            ndim: Optional[int] = None) -> RandomTensorVariable:
        """A random variable of distribution ``dist`` with a fresh generator state."""
        seed = int(self.gen_seedgen.randint(2 ** 30))
        rng = shared(np.random.RandomState(seed), borrow=True)
        new_state, sample = make_random(dist, rng, size, params, dtype, ndim=ndim)
        rng.default_update = new_state
        sample.tag["rng"] = rng
        self.state_updates.append((rng, new_state))
        return sample

    def uniform(self, size: Any = (), low: Any = 0.0, high: Any = 1.0, ndim: Optional[int] = None,
                dtype: Any = None) -> RandomTensorVariable:
        """Uniform on ``[low, high)``; dtype defaults to floatX upcast by the bounds."""
        dtype = as_dtype(dtype) if dtype is not None else _float_dtype(low, high)
        return self.gen("uniform", size, (low, high), dtype, ndim)

    def normal(self, size: Any = (), avg: Any = 0.0, std: Any = 1.0, ndim: Optional[int] = None,
               dtype: Any = None) -> RandomTensorVariable:
        """Gaussian with mean ``avg`` and standard deviation ``std``."""
        dtype = as_dtype(dtype) if dtype is not None else _float_dtype(avg, std)
        return self.gen("normal", size, (avg, std), dtype, ndim)

    def binomial(self, size: Any = (), n: Any = 1, p: Any = 0.5, ndim: Optional[int] = None,
                 dtype: Any = "int64", prob: Any = None) -> RandomTensorVariable:
        """Number of successes in ``n`` trials of probability ``p`` (``p`` may be
        symbolic, of any shape that broadcasts to ``size``)."""
        if prob is not None:  # Theano's old keyword
            p = prob
        return self.gen("binomial", size, (n, p), as_dtype(dtype), ndim)

    def random_integers(self, size: Any = (), low: Any = 0, high: Any = 1, ndim: Optional[int] = None,
                        dtype: Any = "int64") -> RandomTensorVariable:
        """Integers uniform on ``[low, high]``, both ends included."""
        return self.gen("random_integers", size, (low, high), as_dtype(dtype), ndim)

    def permutation(self, size: Any = (), n: Any = 1, ndim: Optional[int] = None,
                    dtype: Any = "int64") -> RandomTensorVariable:
        """A permutation of ``range(n)`` per entry of ``size`` (shape ``size + (n,)``)."""
        return self.gen("permutation", size, (n,), as_dtype(dtype), ndim)

    def multinomial(self, size: Any = None, n: Any = 1, pvals: Any = None, ndim: Optional[int] = None,
                    dtype: Any = "int64") -> RandomTensorVariable:
        """Counts of ``n`` draws among ``k`` outcomes of probabilities ``pvals[..., :k]``
        (shape ``size + (k,)``; ``pvals`` defaults to ``[0.5, 0.5]``)."""
        if pvals is None:
            pvals = [0.5, 0.5]
        return self.gen("multinomial", size, (n, pvals), as_dtype(dtype), ndim)

    def __repr__(self) -> str:
        return f"RandomStreams(seed={self.default_instance_seed!r}, {len(self.state_updates)} variable(s))"

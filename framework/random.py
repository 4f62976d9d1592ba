"""``RandomStreams``: symbolic random numbers with Theano's interface.

Each call such as ``srng.uniform((2, 2))`` makes a new shared variable
holding a generator state (on the CPU a ``numpy.random.RandomState``: this
module's :class:`RandomState` subclass, on NumPy's fast PCG64 bit generator,
unless the stream asks for MT19937), seeded from the stream's seed, and
returns the sample variable ``rv``:

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

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .config import config
from .core.extra_ops import permute_row_elements
from .core.graph import Variable
from .core.random_ops import RandomTensorVariable, make_random
from .core.shared import RNGSharedVariable, SharedVariable, shared
from .core.types import as_dtype
from .core.variable import TensorVariable, as_tensor_variable

__all__ = ["RandomStreams", "RandomState"]


def _float_dtype(*params: Any) -> str:
    """Theano's rule: floatX, upcast by the parameters' dtypes (Python numbers don't upcast)."""
    dts = [config.floatX]
    for p in params:
        v = as_tensor_variable(p)
        if not getattr(v, "weak", False):
            dts.append(v.dtype)
    return np.result_type(*dts).name


# --- the state of a native random variable ---------------------------------------------------

#: the bit generators a state may name (``set_state``) or a stream may use (``bit_generator=``)
BIT_GENERATORS = {
    "PCG64": np.random.PCG64,
    "MT19937": np.random.MT19937,
}


def _state_kind(state: Any) -> Optional[str]:
    """The bit generator a ``set_state`` argument names (None when it names none)."""
    if isinstance(state, dict):
        kind = state.get("bit_generator")
        return kind if isinstance(kind, str) else None
    if isinstance(state, (tuple, list)) and state and isinstance(state[0], str):
        return state[0]
    return None


class RandomState(np.random.RandomState):
    """A ``numpy.random.RandomState`` on the PCG64 bit generator (NumPy's fastest).

    It is the state of every random variable made by the native
    :class:`RandomStreams`: it *is* a ``numpy.random.RandomState`` (every
    method, ``isinstance`` and the Theano tutorial's recipes work), and the
    CPU backend's uniform and Bernoulli draws go through a
    ``numpy.random.Generator`` on its own PCG64 object, at
    ``Generator.random``'s speed. What differs from NumPy's class:

    * ``seed(s)`` re-seeds it as ``PCG64(s)`` (NumPy's raises ``TypeError``
      for any bit generator but MT19937);
    * ``get_state()`` returns the dict state (``get_state(legacy=False)``);
      on MT19937 it returns NumPy's legacy tuple, as NumPy's does;
    * ``set_state(state)`` also takes the state of another bit generator --
      a legacy MT19937 tuple, an MT19937 dict (old checkpoints, Theano-era
      scripts) -- and then this very object continues on that bit generator
      (re-initialised in place), replaying that generator's draws exactly;
    * pickling, ``copy`` and ``deepcopy`` give this class back, with the
      state (NumPy's would rebuild a plain ``RandomState``, whose ``seed``
      raises on PCG64).
    """

    def __init__(self, seed: Any = None, bit_generator: str = "PCG64") -> None:
        if hasattr(seed, "capsule"):  # a bit generator object: use it as it is
            super().__init__(seed)
        elif bit_generator == "MT19937":
            super().__init__(seed)  # NumPy's own (legacy) seeding: RandomState(seed)'s numbers
        else:
            super().__init__(_bit_generator_class(bit_generator, "RandomState")(seed))

    def seed(self, seed: Any = None) -> None:
        """Re-seed: ``PCG64(seed)`` (MT19937: NumPy's legacy seeding); ``None`` takes fresh entropy."""
        bits = self._bit_generator
        if isinstance(bits, np.random.MT19937):
            super().seed(seed)
            return
        state = type(bits)(seed).state
        state["has_gauss"], state["gauss"] = 0, 0.0
        super().set_state(state)

    def get_state(self, legacy: bool = True) -> Any:
        """The state, for :meth:`set_state`: a dict (on MT19937 with ``legacy``: NumPy's tuple)."""
        if legacy and isinstance(self._bit_generator, np.random.MT19937):
            return super().get_state(legacy=True)
        return super().get_state(legacy=False)

    def set_state(self, state: Any) -> None:
        """Set the state; one of another bit generator switches this object to that generator."""
        kind = _state_kind(state)
        try:
            if kind is not None and kind != type(self._bit_generator).__name__:
                bits = _bit_generator_class(kind, "RandomState.set_state")()
                np.random.RandomState(bits).set_state(state)  # refuses a malformed state: self untouched
                np.random.RandomState.__init__(self, bits)   # re-initialised in place on that generator
            super().set_state(state)
        except (IndexError, KeyError) as exc:  # NumPy's words for a short tuple or a dict missing a key
            raise ValueError(f"RandomState.set_state: a malformed {kind or 'generator'} state "
                             f"({type(exc).__name__}: {exc}); pass what get_state() returned") from None

    def __reduce__(self) -> Any:
        return _rebuild_random_state, (type(self), self.get_state(legacy=False))


def _bit_generator_class(name: Any, what: str) -> Any:
    try:
        return BIT_GENERATORS[name]
    except (KeyError, TypeError):
        raise ValueError(f"{what}: unknown bit generator {name!r} (known: {', '.join(BIT_GENERATORS)})") from None


def _rebuild_random_state(cls: Any, state: Dict[str, Any]) -> "RandomState":
    """Unpickling / copying a :class:`RandomState`."""
    rng = cls(_bit_generator_class(state.get("bit_generator"), "unpickling a RandomState")())
    rng.set_state(state)
    return rng


class ShuffledVariable(TensorVariable):
    """The result of :meth:`RandomStreams.shuffle_row_elements`: ``.permutation`` is the random
    variable of the permutations it applied (Theano's attribute)."""

    __slots__ = ()

    @property
    def permutation(self) -> Any:
        return self.tag.get("permutation")


def shuffled_rows(input: Any, perm: Any) -> "ShuffledVariable":
    """``permute_row_elements(input, perm)`` as a :class:`ShuffledVariable` whose ``.permutation`` is
    ``perm`` (what every stream's ``shuffle_row_elements`` returns)."""
    plain = permute_row_elements(input, perm)
    node = plain.owner
    shuffled = ShuffledVariable(plain.type, node, 0)
    node.outputs[0] = shuffled  # the same node's output, with the .permutation accessor
    shuffled.tag["permutation"] = perm
    return shuffled


class RandomStreams:
    """A source of symbolic random variables, each with its own generator state.

    ``seed`` seeds a generator of seeds (``numpy.random.RandomState(seed)``):
    the k-th random variable made by this stream gets a state seeded with the
    k-th number it draws below ``2**30``, as in Theano, so a program that
    builds the same variables in the same order gets the same numbers.

    ``bit_generator`` names what each state runs on (default: the class
    attribute): ``"PCG64"`` -- a :class:`RandomState` on PCG64, NumPy's fastest
    generator (the native streams' default) -- or ``"MT19937"`` -- a plain
    ``numpy.random.RandomState(seed)``, whose draws are Theano's own numbers
    (the default of ``theano.tensor.shared_randomstreams.RandomStreams``).
    """

    #: the bit generator of every state this stream makes (see the class docstring)
    bit_generator = "PCG64"

    def __init__(self, seed: Optional[int] = None, bit_generator: Optional[str] = None) -> None:
        if bit_generator is not None:
            _bit_generator_class(bit_generator, "RandomStreams(bit_generator=...)")
            self.bit_generator = bit_generator
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
            rng.set_value(self.new_state(int(self.gen_seedgen.randint(2 ** 30))), borrow=True)

    def new_state(self, seed: int) -> np.random.RandomState:
        """The state of a new random variable seeded with ``seed``, on :attr:`bit_generator`."""
        if self.bit_generator == "MT19937":
            return np.random.RandomState(seed)  # exactly Theano's (NumPy's legacy seeding)
        return RandomState(seed, self.bit_generator)

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
        rng = shared(self.new_state(seed), borrow=True)
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

    def poisson(self, size: Any = None, lam: Any = 1.0, ndim: Optional[int] = None,
                dtype: Any = "int64") -> RandomTensorVariable:
        """Counts of a Poisson process of mean ``lam`` (``lam >= 0``, broadcast to ``size``)."""
        return self.gen("poisson", size, (lam,), as_dtype(dtype), ndim)

    def choice(self, size: Any = None, a: Any = 2, replace: Any = True, p: Any = None, ndim: Optional[int] = None,
               dtype: Any = "int64") -> RandomTensorVariable:
        """Entries of ``a`` (a vector, or ``range(a)`` for a scalar), with or without replacement,
        with probabilities ``p`` (None: equally likely), in an array of shape ``size`` (a scalar
        without one), as ``numpy.random.choice``."""
        p = np.zeros(0) if p is None else p  # an empty p: equally likely (Theano's encoding of None)
        return self.gen("choice", size, (a, replace, p), as_dtype(dtype), ndim)

    def shuffle_row_elements(self, input: Any) -> TensorVariable:
        """``input`` with the entries of every row (the last axis) shuffled, each row by its own
        permutation (the permutations are the result's ``.permutation``)."""
        input = as_tensor_variable(input)
        return shuffled_rows(input, self.permutation(size=input.shape[:-1], n=input.shape[-1]))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(seed={self.default_instance_seed!r}, {self.bit_generator}, "
                f"{len(self.state_updates)} variable(s))")

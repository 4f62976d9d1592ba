"""``theano.tensor.raw_random``: draws on a random state you hold yourself.

Each function takes the state first -- a ``numpy.random.RandomState`` held in a shared variable
(``theano.shared(numpy.random.RandomState(seed))``) or a function input of type
:data:`random_state_type` -- and returns ``(new_state, sample)``: the state after the draw and the
draw, as Theano 1.0's did; nothing is updated unless you pass ``updates=[(state, new_state)]`` to
``function`` (``RandomStreams`` does that bookkeeping for you). The numbers are the state's own
methods' (``uniform``, ``normal``, ``binomial``, ``randint``, ``choice``, ``poisson``,
``permutation``, ``multinomial``), cast to ``dtype``: Theano's numbers for a ``RandomState``.

``ndim``, when given, is the number of dimensions of ``size`` (Theano's meaning: a permutation or a
multinomial draw has one more, its last axis).
"""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from ....core.graph import Variable
from ....core.random_ops import RandomVariable, make_random
from ....core.shared import RandomStateType as _CoreRandomStateType
from ....core.types import as_dtype
from ....random import _float_dtype
from .elemwise import op_class

__all__ = ["RandomStateType", "random_state_type", "RandomFunction", "uniform", "normal", "binomial",
           "random_integers", "choice", "poisson", "permutation", "multinomial", "RandomStreamsBase"]

Draw = Tuple[Variable, Variable]


class RandomStateType(_CoreRandomStateType):
    """The type of a random state variable; calling it makes one (``random_state_type('rng')``), a
    function input that takes a ``numpy.random.RandomState``."""

    def __call__(self, name: Optional[str] = None) -> Variable:
        return Variable(self, name=name)


random_state_type = RandomStateType()


RandomFunction = op_class("RandomFunction", "A random draw node (framework's ``RandomVariable``): "
                          "``isinstance(node.op, RandomFunction)`` answers as in Theano.",
                          lambda op: isinstance(op, RandomVariable),
                          "this module's functions (raw_random.uniform(random_state, size, ...), ...)",
                          "theano.tensor.raw_random")


def _ndim_plus_one(ndim: Optional[int]) -> Optional[int]:
    """Theano's ``ndim`` (that of ``size``) for a draw that adds an axis: the sample's is one more."""
    return None if ndim is None else int(ndim) + 1


def uniform(random_state: Any, size: Any = None, low: Any = 0.0, high: Any = 1.0, ndim: Optional[int] = None,
            dtype: Any = None) -> Draw:
    """Uniform on ``[low, high)``; ``dtype`` defaults to floatX upcast by the bounds."""
    dtype = as_dtype(dtype) if dtype is not None else _float_dtype(low, high)
    return make_random("uniform", random_state, size, (low, high), dtype, ndim)


def normal(random_state: Any, size: Any = None, avg: Any = 0.0, std: Any = 1.0, ndim: Optional[int] = None,
           dtype: Any = None) -> Draw:
    """Gaussian of mean ``avg`` and standard deviation ``std``."""
    dtype = as_dtype(dtype) if dtype is not None else _float_dtype(avg, std)
    return make_random("normal", random_state, size, (avg, std), dtype, ndim)


def binomial(random_state: Any, size: Any = None, n: Any = 1, p: Any = 0.5, ndim: Optional[int] = None,
             dtype: Any = "int64", prob: Any = None) -> Draw:
    """Successes in ``n`` trials of probability ``p`` (``prob``: Theano's old name of ``p``)."""
    if prob is not None:
        p = prob
    return make_random("binomial", random_state, size, (n, p), as_dtype(dtype), ndim)


def random_integers(random_state: Any, size: Any = None, low: Any = 0, high: Any = 1, ndim: Optional[int] = None,
                    dtype: Any = "int64") -> Draw:
    """Integers uniform on ``[low, high]``, both ends included."""
    return make_random("random_integers", random_state, size, (low, high), as_dtype(dtype), ndim)


def choice(random_state: Any, size: Any = None, a: Any = 2, replace: Any = True, p: Any = None,
           ndim: Optional[int] = None, dtype: Any = "int64") -> Draw:
    """Entries of ``a`` (a vector, or ``range(a)`` for a scalar), with or without replacement, of
    probabilities ``p`` (None: equally likely); a sample of shape ``size`` (a scalar without one)."""
    p = np.zeros(0) if p is None else p
    return make_random("choice", random_state, size, (a, replace, p), as_dtype(dtype), ndim)


def poisson(random_state: Any, size: Any = None, lam: Any = 1.0, ndim: Optional[int] = None,
            dtype: Any = "int64") -> Draw:
    """Counts of a Poisson process of mean ``lam``."""
    return make_random("poisson", random_state, size, (lam,), as_dtype(dtype), ndim)


def permutation(random_state: Any, size: Any = None, n: Any = 1, ndim: Optional[int] = None,
                dtype: Any = "int64") -> Draw:
    """A permutation of ``range(n)`` per entry of ``size`` (shape ``size + (n,)``); without ``size``
    one permutation (``ndim`` None or 1, as Theano's)."""
    if size is None or (isinstance(size, (tuple, list)) and len(size) == 0):
        if ndim not in (None, 1):
            raise TypeError("You asked for just one permutation but asked for more then 1 dimensions.")
        return make_random("permutation", random_state, (), (n,), as_dtype(dtype))
    return make_random("permutation", random_state, size, (n,), as_dtype(dtype), _ndim_plus_one(ndim))


def multinomial(random_state: Any, size: Any = None, n: Any = 1, pvals: Any = None, ndim: Optional[int] = None,
                dtype: Any = "int64") -> Draw:
    """Counts of ``n`` draws among the outcomes of probabilities ``pvals`` (last axis; default
    ``[0.5, 0.5]``): shape ``size + (len(pvals),)``."""
    pvals = [0.5, 0.5] if pvals is None else pvals
    return make_random("multinomial", random_state, size, (n, pvals), as_dtype(dtype), _ndim_plus_one(ndim))


class RandomStreamsBase:
    """Theano's base of random streams: each method draws through ``self.gen(function, size, *params,
    ndim=..., dtype=...)``, ``function`` one of this module's (a subclass says where the state lives
    and how it is updated). ``theano.tensor.shared_randomstreams.RandomStreams`` is one."""

    def gen(self, op: Any, *args: Any, **kwargs: Any) -> Variable:
        raise TypeError(f"{type(self).__name__}.gen(op, *args, **kwargs): a subclass of RandomStreamsBase says how "
                        "a draw gets its state (RandomStreams keeps one shared state per variable)")

    def binomial(self, size: Any = None, n: Any = 1, p: Any = 0.5, ndim: Optional[int] = None, dtype: Any = "int64",
                 prob: Any = None) -> Variable:
        return self.gen(binomial, size, n, p if prob is None else prob, ndim=ndim, dtype=dtype)

    def uniform(self, size: Any = None, low: Any = 0.0, high: Any = 1.0, ndim: Optional[int] = None,
                dtype: Any = None) -> Variable:
        return self.gen(uniform, size, low, high, ndim=ndim, dtype=dtype)

    def normal(self, size: Any = None, avg: Any = 0.0, std: Any = 1.0, ndim: Optional[int] = None,
               dtype: Any = None) -> Variable:
        return self.gen(normal, size, avg, std, ndim=ndim, dtype=dtype)

    def random_integers(self, size: Any = None, low: Any = 0, high: Any = 1, ndim: Optional[int] = None,
                        dtype: Any = "int64") -> Variable:
        return self.gen(random_integers, size, low, high, ndim=ndim, dtype=dtype)

    def choice(self, size: Any = None, a: Any = 2, replace: Any = True, p: Any = None, ndim: Optional[int] = None,
               dtype: Any = "int64") -> Variable:
        return self.gen(choice, size, a, replace, p, ndim=ndim, dtype=dtype)

    def poisson(self, size: Any = None, lam: Any = None, ndim: Optional[int] = None, dtype: Any = "int64") -> Variable:
        return self.gen(poisson, size, 1.0 if lam is None else lam, ndim=ndim, dtype=dtype)

    def permutation(self, size: Any = None, n: Any = 1, ndim: Optional[int] = None, dtype: Any = "int64") -> Variable:
        return self.gen(permutation, size, n, ndim=ndim, dtype=dtype)

    def multinomial(self, size: Any = None, n: Any = 1, pvals: Any = None, ndim: Optional[int] = None,
                    dtype: Any = "int64") -> Variable:
        return self.gen(multinomial, size, n, pvals, ndim=ndim, dtype=dtype)

    def shuffle_row_elements(self, input: Any) -> Variable:
        """``input`` with every row (last axis) shuffled by its own permutation (``.permutation``)."""
        from ....core.variable import as_tensor_variable
        from ....random import shuffled_rows

        input = as_tensor_variable(input)
        return shuffled_rows(input, self.permutation(size=input.shape[:-1], n=input.shape[-1], ndim=input.ndim - 1))


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

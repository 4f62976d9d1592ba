"""``theano.tensor.shared_randomstreams``: :class:`RandomStreams` drawing Theano's numbers.

Theano's ``RandomStreams`` gives each random variable a
``numpy.random.RandomState`` (MT19937) seeded with the k-th ``randint(2**30)``
of ``RandomState(seed)``. This one does the same -- it is the native
:class:`framework.random.RandomStreams` with ``bit_generator = "MT19937"`` --
so a seeded Theano 1.0 program draws the same numbers here as it did there
(the native streams use PCG64 instead: faster, other numbers; docs/random.md).
"""
from typing import Any, Optional

from ....random import RandomStreams as _NativeRandomStreams
from .raw_random import RandomStreamsBase

__all__ = ["RandomStreams"]


class RandomStreams(_NativeRandomStreams, RandomStreamsBase):
    """Theano's ``RandomStreams``: every state is a plain ``numpy.random.RandomState`` (MT19937).

    ``ndim`` means what it meant in Theano: the number of dimensions of ``size`` -- for
    ``permutation`` and ``multinomial``, whose draws add an axis, one fewer than the sample's (the
    native streams check ``ndim`` against the sample's own); a single ``permutation`` (no ``size``)
    takes ``ndim`` None or 1, as Theano's did."""

    bit_generator = "MT19937"

    def gen(self, op: Any, *args: Any, **kwargs: Any) -> Any:
        """Theano's ``gen(op, *args, **kwargs)`` -- ``op`` a function of ``theano.tensor.raw_random`` (or
        any ``op(random_state, *args, **kwargs) -> (new_state, sample)``): a new state, seeded as every
        variable's, updated by the function that draws. (The native form ``gen(dist_name, size, params,
        dtype, ndim)`` works too.)"""
        if isinstance(op, str):
            return super().gen(op, *args, **kwargs)
        from ....core.shared import shared

        seed = int(self.gen_seedgen.randint(2 ** 30))
        rng = shared(self.new_state(seed), borrow=True)
        new_state, sample = op(rng, *args, **kwargs)
        rng.default_update = new_state
        sample.tag["rng"] = rng
        self.state_updates.append((rng, new_state))
        return sample

    def permutation(self, size: Any = None, n: Any = 1, ndim: Optional[int] = None, dtype: Any = "int64") -> Any:
        if size is None or (isinstance(size, (tuple, list)) and len(size) == 0):
            if ndim not in (None, 1):
                raise TypeError("You asked for just one permutation but asked for more then 1 dimensions.")
            return super().permutation((), n, None, dtype)
        return super().permutation(size, n, None if ndim is None else int(ndim) + 1, dtype)

    def multinomial(self, size: Any = None, n: Any = 1, pvals: Any = None, ndim: Optional[int] = None,
                    dtype: Any = "int64") -> Any:
        return super().multinomial(size, n, pvals, None if ndim is None else int(ndim) + 1, dtype)


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

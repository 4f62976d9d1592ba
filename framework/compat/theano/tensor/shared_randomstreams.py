"""``theano.tensor.shared_randomstreams``: :class:`RandomStreams` drawing Theano's numbers.

Theano's ``RandomStreams`` gives each random variable a
``numpy.random.RandomState`` (MT19937) seeded with the k-th ``randint(2**30)``
of ``RandomState(seed)``. This one does the same -- it is the native
:class:`framework.random.RandomStreams` with ``bit_generator = "MT19937"`` --
so a seeded Theano 1.0 program draws the same numbers here as it did there
(the native streams use PCG64 instead: faster, other numbers; docs/random.md).
"""
from ....random import RandomStreams as _NativeRandomStreams

__all__ = ["RandomStreams"]


class RandomStreams(_NativeRandomStreams):
    """Theano's ``RandomStreams``: every state is a plain ``numpy.random.RandomState`` (MT19937)."""

    bit_generator = "MT19937"


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

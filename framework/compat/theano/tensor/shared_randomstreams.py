"""``theano.tensor.shared_randomstreams``: :class:`RandomStreams`."""
from ....random import RandomStreams

__all__ = ["RandomStreams"]

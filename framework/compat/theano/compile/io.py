"""``theano.compile.io``: :class:`In`."""
from ....core.function import In

__all__ = ["In"]

"""``theano.compile.io``: :class:`In` and :class:`Out`."""
from ....core.function import In
from . import Out

__all__ = ["In", "Out"]

"""``theano.compile.io``: :class:`In` and :class:`Out`."""
from ....core.function import In
from . import Out

__all__ = ["In", "Out"]


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

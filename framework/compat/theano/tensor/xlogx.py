"""``theano.tensor.xlogx``: ``xlogx(x) = x * log(x)`` and ``xlogy0(x, y) = x * log(y)``, both 0 where x is 0."""
from ....core.xlogx import xlogx, xlogy0

__all__ = ["xlogx", "xlogy0"]


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

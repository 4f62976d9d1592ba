"""``theano.tensor.basic``: the same names as ``theano.tensor``."""
from . import *  # noqa: F401,F403
from . import __all__  # noqa: F401


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

"""``theano.compile.mode``: ``Mode``, ``get_mode`` and the predefined modes."""
from . import FAST_COMPILE, FAST_RUN, DebugMode, Mode, get_mode

__all__ = ["Mode", "get_mode", "FAST_RUN", "FAST_COMPILE", "DebugMode"]

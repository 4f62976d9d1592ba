"""``theano.compile.mode``: ``Mode``, ``get_mode``, ``get_default_mode``, ``register_mode`` and the
predefined modes."""
from . import (FAST_COMPILE, FAST_RUN, DebugMode, Mode, get_default_mode, get_mode, predefined_modes,  # noqa: F401
               register_mode)
from .monitormode import MonitorMode  # noqa: F401
from .nanguardmode import NanGuardMode  # noqa: F401

__all__ = ["Mode", "get_mode", "get_default_mode", "register_mode", "predefined_modes", "FAST_RUN", "FAST_COMPILE",
           "DebugMode", "MonitorMode", "NanGuardMode"]


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

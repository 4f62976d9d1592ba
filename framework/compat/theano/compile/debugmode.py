"""``theano.compile.debugmode``: :class:`DebugMode` (node by node, every output checked) and
:class:`DebugModeError`, the base class of its errors as in Theano."""
from . import DebugMode

__all__ = ["DebugMode", "DebugModeError"]


class DebugModeError(Exception):
    """Theano's base class of DebugMode's errors (here: what a test may catch; DebugMode's own
    checks raise framework's errors, naming the node and the line)."""


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

"""``theano.compile.sharedvalue``: ``shared`` and :class:`SharedVariable`."""
from ....core.shared import SharedVariable, shared

__all__ = ["shared", "SharedVariable"]

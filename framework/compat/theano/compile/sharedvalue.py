"""``theano.compile.sharedvalue``: ``shared`` and :class:`SharedVariable`."""
from ....core.shared import SharedVariable, shared

__all__ = ["shared", "SharedVariable"]


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

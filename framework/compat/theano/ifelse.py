"""``theano.ifelse``: the lazy conditional (only the branch taken is computed)."""
from ...core.ifelse import IfElse, ifelse

__all__ = ["ifelse", "IfElse"]


from ._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

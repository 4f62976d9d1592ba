"""``theano.ifelse``: the lazy conditional (only the branch taken is computed)."""
from ...core.ifelse import IfElse, ifelse

__all__ = ["ifelse", "IfElse"]

"""``theano.gof.type``: ``Type`` (the base of a user's own types) and ``Generic`` (any Python object)."""
from __future__ import annotations

from ....core.types import GenericType, Type

__all__ = ["Type", "Generic", "generic"]


class Generic(GenericType):
    """Theano's ``Generic()``: the type of variables holding any Python object (values pass
    through ops unchanged)."""

    def __init__(self) -> None:
        super().__init__("generic")


generic = Generic()

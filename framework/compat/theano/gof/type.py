"""``theano.gof.type``: ``Type`` (the base of a user's own types) and ``Generic`` (any Python object).

A Theano type's ``filter(data, strict=False, allow_downcast=None)`` converts or refuses a value;
framework calls a type's filter as ``filter(value, name=..., allow_downcast=...)`` when a
compiled function receives an input. A subclass of this ``Type`` answers both: its ``filter``
is called the Theano way, and a value it refuses is an error naming the function's input.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from ....core.errors import safe_str
from ....core.types import GenericType
from ....core.types import Type as _CoreType

__all__ = ["Type", "Generic", "generic"]


class Type(_CoreType):
    """Base of a Theano script's own types: ``MyType(...)()`` makes a variable of the type."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        user = cls.__dict__.get("filter")
        if user is not None and not getattr(user, "_adapted", False):
            cls.filter = _adapted_filter(user)


def _adapted_filter(user: Callable[..., Any]) -> Callable[..., Any]:
    """A Theano ``filter(data, strict, allow_downcast)`` that also takes framework's ``name=``."""

    def filter(self: Any, value: Any, strict: Any = False, allow_downcast: Optional[bool] = None,
               name: Optional[str] = None) -> Any:
        if name is None:
            return user(self, value, strict, allow_downcast)
        try:
            return user(self, value, False, allow_downcast)
        except (TypeError, ValueError) as exc:
            msg = f"{name}: the type {safe_str(self, 60)} refused {safe_str(repr(value), 60)}: {safe_str(exc)}"
            try:
                err = type(exc)(msg)
            except Exception:  # an exception class that wants other arguments
                err = TypeError(msg) if isinstance(exc, TypeError) else ValueError(msg)
            raise err from None

    filter.__wrapped__ = user  # type: ignore[attr-defined]
    filter.__doc__ = user.__doc__
    filter._adapted = True  # type: ignore[attr-defined]
    return filter


class Generic(GenericType):
    """Theano's ``Generic()``: the type of variables holding any Python object (values pass
    through ops unchanged)."""

    def __init__(self) -> None:
        super().__init__("generic")


generic = Generic()


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

"""``theano.compile.sharedvalue``: ``shared``, ``shared_constructor`` and :class:`SharedVariable`.

``shared(value, ...)`` is framework's, after the constructors a program registered with
``shared_constructor`` (Theano 1.0's extension point): the most recently registered is tried first,
and one that raises ``TypeError`` passes the value on to the next, as in Theano. With none
registered (the usual case) it is framework's ``shared`` itself.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional

from ....core.graph import Variable
from ....core.shared import SharedVariable
from ....core.shared import shared as _framework_shared

__all__ = ["shared", "shared_constructor", "SharedVariable"]

Constructor = Callable[..., SharedVariable]


def shared(value: Any, name: Optional[str] = None, strict: bool = False, allow_downcast: Optional[bool] = None,
           **kwargs: Any) -> SharedVariable:
    """A shared variable holding ``value``: the registered constructors' (newest first), else
    framework's ``shared`` (arrays, Python numbers, random states)."""
    if isinstance(value, Variable):
        raise TypeError(f"shared() takes a value, not the symbolic variable {value}; use it directly")
    for ctor in reversed(shared.constructors):
        try:
            return ctor(value, name=name, strict=strict, allow_downcast=allow_downcast, **kwargs)
        except TypeError:
            continue  # not this constructor's kind of value (Theano's protocol)
    return _framework_shared(value, name=name, strict=strict, allow_downcast=allow_downcast, **kwargs)


shared.constructors: List[Constructor] = []  # type: ignore[attr-defined]


def shared_constructor(ctor: Constructor, remove: bool = False) -> Constructor:
    """Register ``ctor(value, name, strict, allow_downcast, **kwargs)`` as a constructor ``shared``
    tries first (``remove=True`` unregisters it); returns ``ctor``, so it works as a decorator."""
    if remove:
        shared.constructors.remove(ctor)
    else:
        shared.constructors.append(ctor)
    return ctor


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

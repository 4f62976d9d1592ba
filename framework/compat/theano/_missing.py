"""The error for a Theano 1.0 name the layer does not have: an ``AttributeError`` naming the
module as Theano spells it and pointing at docs/theano.md (what is there, and what differs).
Each module of the layer sets ``__getattr__ = missing(__name__)`` (PEP 562), so a program that
reaches for a missing name learns where to look instead of seeing an internal module path."""
from __future__ import annotations

from typing import Callable, NoReturn

_PREFIX = "framework.compat."


def missing(module: str, hint: str = "") -> Callable[[str], NoReturn]:
    """A module ``__getattr__`` raising the layer's AttributeError for ``module``'s missing names."""
    theano_name = module[len(_PREFIX):] if module.startswith(_PREFIX) else module

    def __getattr__(name: str) -> NoReturn:
        if name.startswith("__"):  # dunder probes (copy, pickle, inspect): Python's own error
            raise AttributeError(name)
        raise AttributeError(f"module '{theano_name}' has no attribute {name!r} in framework's Theano compatibility "
                             f"layer{': ' + hint if hint else ''} (docs/theano.md lists what it provides and what "
                             "differs)")

    return __getattr__

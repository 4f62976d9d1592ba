"""Model families registered by plugins, by name and by class name.

Plugins add model families through the ``framework_models()`` hook (the
bundled ``linear`` and ``rbm`` plugins do it exactly as a third party
would). This module is only a facade over that registry::

    import framework.models
    framework.models.list()                 # ['gaussian_rbm', 'lenet', 'linear', 'logistic', 'rbm']
    RBM = framework.models.get("rbm")       # the factory (the model class)
    framework.models.RBM                    # the same class, by its name
    framework.models.spec("rbm").train      # what ``framework train rbm`` runs

An unknown name is a :class:`UnknownModelError` that lists the known ones.
"""
from __future__ import annotations

import builtins
from typing import Any, Callable, Dict, List

from . import plugins as _plugins
from .core.errors import FrameworkError

__all__ = ["UnknownModelError", "get", "spec", "list", "specs"]


class UnknownModelError(FrameworkError, KeyError):
    """No plugin registered a model family (or model class) of that name."""

    def __str__(self) -> str:  # KeyError would print the message quoted
        return str(self.args[0]) if self.args else ""


def specs() -> Dict[str, _plugins.ModelSpec]:
    """Every registered family: name -> :class:`~framework.plugins.ModelSpec`."""
    return _plugins.models()


def list() -> List[str]:  # noqa: A001 -- the registry's listing, as framework.plugins.list
    """The names of the registered model families, sorted."""
    return sorted(specs())


def _unknown(name: Any, what: str = "model family") -> UnknownModelError:
    registered = specs()
    known = ", ".join(sorted(registered)) or "none (no model plugin is loaded)"
    classes = sorted({getattr(s.factory, "__name__", "") for s in registered.values()} - {""})
    hint = f"; classes: {', '.join(classes)}" if classes else ""
    return UnknownModelError(f"unknown {what} {name!r}: known model families are {known}{hint} "
                             "(see `framework plugins`)")


def spec(name: str) -> _plugins.ModelSpec:
    """The :class:`~framework.plugins.ModelSpec` of family ``name``."""
    registered = specs()
    if not isinstance(name, str) or name not in registered:
        raise _unknown(name)
    return registered[name]


def get(name: str) -> Callable[..., Any]:
    """The factory (usually the class) of model family ``name``, e.g. ``get('rbm')``."""
    return spec(name).factory


def __getattr__(name: str) -> Any:
    """``framework.models.RBM``: a registered factory looked up by its ``__name__``."""
    if name.startswith("__"):
        raise AttributeError(name)
    for record in specs().values():
        if getattr(record.factory, "__name__", None) == name:
            return record.factory
    raise AttributeError(str(_unknown(name, "model class")))


def __dir__() -> List[str]:
    names = builtins.list(__all__)
    names += [getattr(s.factory, "__name__", "") for s in specs().values()]
    return sorted(n for n in set(names) if n)

"""framework: symbolic tensors, gradients, scan, random streams and compiled
functions, in the style of Theano; ops, rewrites, backends and models arrive
through plugins (entry-point group ``framework.plugins``)."""
from __future__ import annotations

from typing import Any

from .config import config
from .core.function import Function, In, Param, function
from .core.grad import grad
from .core.mode import Mode
from .core.shared import shared
from .plugins import hookimpl
from .printing import debugprint, pp

__version__ = "0.1.0"

_LAZY = {
    "scan": ("framework.scan_module", "scan"),
    "tensor": ("framework.tensor", None),
    "gradient": ("framework.gradient", None),
    "printing": ("framework.printing", None),
    "random": ("framework.random", None),
    "models": ("framework.models", None),
    "datasets": ("framework.datasets", None),
    "utils": ("framework.utils", None),
    "rewriting": ("framework.rewriting", None),
    "ops": ("framework.ops", None),
    "plugins": ("framework.plugins", None),
    "scan_module": ("framework.scan_module", None),
    "testing": ("framework.testing", None),
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'framework' has no attribute {name!r}")
    import importlib

    mod = importlib.import_module(target[0])
    value = getattr(mod, target[1]) if target[1] else mod
    globals()[name] = value
    return value


__all__ = ["config", "function", "In", "Param", "shared", "grad", "scan", "pp", "debugprint", "Mode",
           "Function", "hookimpl", "tensor", "gradient", "printing", "random", "models", "datasets", "utils",
           "ops", "plugins"]

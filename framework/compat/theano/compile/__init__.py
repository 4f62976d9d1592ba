"""``theano.compile``: ``function``, ``In``, ``Mode``, ``shared`` with Theano 1.0's signatures."""
from __future__ import annotations

from typing import Any, Optional, Sequence

from ....config import _THEANO_MODES, config
from ....core.function import Function, In, Param
from ....core.mode import Mode as _NativeMode
from ....core.shared import SharedVariable, shared
from ....core import function as _function_module

__all__ = ["function", "In", "Param", "Mode", "shared", "SharedVariable", "Function", "get_mode",
           "FAST_RUN", "FAST_COMPILE", "DebugMode"]

_OPTIMIZERS = {"fast_run": "fast_run", "o4": "fast_run", "o3": "fast_run", "o2": "fast_run", "unsafe": "fast_run",
               "merge": "fast_compile", "fast_compile": "fast_compile", "o1": "fast_compile", "None": None, None: None}


def Mode(linker: Any = None, optimizer: Any = "fast_run", name: Optional[str] = None) -> _NativeMode:  # noqa: N802
    """Theano's ``Mode(linker=..., optimizer=...)``: the linker name ('cvm', 'py', 'c|py'...) only
    matters for 'debug'; every optimizer name maps to a rewrite level (docs/theano.md)."""
    if isinstance(optimizer, str) and optimizer not in _OPTIMIZERS:
        raise ValueError(f"Mode: unknown optimizer {optimizer!r} (Theano's names: {', '.join(map(str, _OPTIMIZERS))})")
    native_linker = "debug" if linker in ("debug", "DebugMode") else "schedule"
    return _NativeMode(_OPTIMIZERS.get(optimizer, "fast_run"), native_linker, name=name)


FAST_RUN = _NativeMode("fast_run", name="FAST_RUN")
FAST_COMPILE = _NativeMode("fast_compile", name="FAST_COMPILE")
DebugMode = _NativeMode(None, linker="debug", name="DebugMode")


def get_mode(mode: Any) -> Any:
    """Theano's mode names ('Mode', 'DebugMode', 'NanGuardMode', ...) as framework modes."""
    if isinstance(mode, str):
        return _THEANO_MODES.get(mode, mode)
    return mode


def function(inputs: Sequence[Any], outputs: Any = None, mode: Any = None, updates: Any = None, givens: Any = None,
             no_default_updates: Any = False, accept_inplace: bool = False, name: Optional[str] = None,
             rebuild_strict: bool = True, allow_input_downcast: Optional[bool] = None, profile: Any = None,
             on_unused_input: Optional[str] = None) -> Function:
    """``theano.function`` with Theano 1.0's argument order (``mode`` third) and defaults
    (``on_unused_input`` from ``config.on_unused_input``). ``accept_inplace``, ``rebuild_strict``
    and ``profile`` are accepted and have no effect (docs/theano.md)."""
    if isinstance(updates, dict) and not hasattr(updates, "move_to_end") and len(updates) > 1:
        pass  # Theano warned about unordered dicts; Python dicts keep insertion order
    return _function_module.function(
        inputs, outputs, updates=updates, givens=givens, no_default_updates=no_default_updates,
        on_unused_input=on_unused_input or config.on_unused_input, allow_input_downcast=allow_input_downcast,
        name=name, mode=get_mode(mode))

"""``theano.compile``: ``function``, ``In``, ``Mode``, ``shared`` with Theano 1.0's signatures."""
from __future__ import annotations

import copy
from typing import Any, List, Optional, Sequence, Tuple

from ....config import _THEANO_MODES, config
from ....core.function import Function, In, MissingInputError, Param, UnusedInputError, _pairs
from ....core.graph import Variable
from ....core.mode import Mode as _NativeMode
from ....core.shared import SharedVariable, shared
from ....core import function as _function_module

__all__ = ["function", "In", "Out", "Param", "Mode", "shared", "SharedVariable", "Function", "get_mode",
           "FAST_RUN", "FAST_COMPILE", "DebugMode", "UnusedInputError", "MissingInputError", "as_op"]


class Out:
    """Theano's ``Out(variable, borrow=False)``: an output with options. ``borrow=True`` *permits*
    the function to return storage it may reuse; outputs here are always fresh arrays, which
    every program that borrows accepts (it is a permission, not a request)."""

    def __init__(self, variable: Any, borrow: bool = False) -> None:
        self.variable = variable
        self.borrow = borrow

    def __repr__(self) -> str:
        return f"Out({self.variable}{', borrow=True' if self.borrow else ''})"


class GivensReplaceInputError(RuntimeError):
    """``givens`` names a variable that is also in the input list (Theano raises RuntimeError)."""


def _unwrap_outputs(outputs: Any) -> Any:
    if isinstance(outputs, Out):
        return outputs.variable
    if isinstance(outputs, (list, tuple)):
        return [o.variable if isinstance(o, Out) else o for o in outputs]
    return outputs


def _cut_inputs(inputs: Sequence[Any], givens: Any) -> Tuple[List[Any], List[Tuple[Any, Any]]]:
    """Theano lets an input be a computed variable (``function([b], b)`` with ``b = 2 * a``): the
    graph is cut there. Each such input becomes a fresh variable of its type, substituted for it
    through givens; it keeps its name and its ``In`` options."""
    pairs = _pairs(givens, "givens")
    explicit = {id(i.variable if isinstance(i, In) else i) for i in inputs}
    for old, _new in pairs:
        if id(old) in explicit:
            raise GivensReplaceInputError(
                f"function(): givens replaces {old}, which is also in the input list; Theano forbids this "
                "(the replacement would have no effect). Make a new input y and write givens={x: g(y)}, or "
                "replace inside the graph: theano.clone(output, replace={x: g(x)})")
    cut: List[Any] = []
    for i in inputs:
        inp = i if isinstance(i, In) else None
        v = inp.variable if inp is not None else i
        if isinstance(v, Variable) and v.owner is not None:
            fresh = v.type.make_variable(v.name)
            pairs.append((v, fresh))
            if inp is not None:
                inp = copy.copy(inp)
                inp.variable = fresh
                cut.append(inp)
            else:
                cut.append(fresh)
        else:
            cut.append(i)
    return cut, pairs

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
    if isinstance(inputs, (list, tuple)):
        inputs, givens = _cut_inputs(inputs, givens)
    return _function_module.function(
        inputs, _unwrap_outputs(outputs), updates=updates, givens=givens, no_default_updates=no_default_updates,
        on_unused_input=on_unused_input or config.on_unused_input, allow_input_downcast=allow_input_downcast,
        name=name, mode=get_mode(mode))


from . import io, mode, ops, sharedvalue  # noqa: E402,F401 -- theano.compile.io.Out & co. without importing them first
from .ops import as_op  # noqa: E402

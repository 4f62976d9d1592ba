"""``theano.compile``: ``function``, ``In``, ``Mode``, ``shared`` with Theano 1.0's signatures."""
from __future__ import annotations

import copy
from typing import Any, List, Optional, Sequence, Tuple

from ....config import _THEANO_MODES, config
from ....core.function import Function, FunctionMaker, In, MissingInputError, Param, UnusedInputError, _pairs
from ....core.graph import Variable
from ....core.mode import Mode as _NativeMode
from ....core.mode import get_mode as _native_get_mode
from ....core.shared import SharedVariable
from ....core import function as _function_module

__all__ = ["function", "In", "Out", "Param", "Mode", "shared", "shared_constructor", "SharedVariable", "Function", "FunctionMaker", "get_mode",
           "get_default_mode", "register_mode", "predefined_modes", "FAST_RUN", "FAST_COMPILE", "DebugMode",
           "MonitorMode", "NanGuardMode", "UnusedInputError", "MissingInputError", "as_op", "OpFromGraph",
           "ProfileStats"]


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


def _optimizer(optimizer: Any) -> Optional[str]:
    """Theano's optimizer name as a rewrite level ('default' is ``config.optimizer``'s, fast_run)."""
    if optimizer == "default":
        optimizer = "fast_run"
    if isinstance(optimizer, str) and optimizer not in _OPTIMIZERS:
        raise ValueError(f"Mode: unknown optimizer {optimizer!r} (Theano's names: {', '.join(map(str, _OPTIMIZERS))})")
    return _OPTIMIZERS.get(optimizer, "fast_run")


# Theano's names of whole optimiser groups that have a framework counterpart (a rewrite stage or
# tag), so ``mode.excluding('local_elemwise_fusion')`` turns fusion off as it did in Theano.
# Other names pass as they are (framework's own rewrite names and tags).
_THEANO_REWRITE_NAMES = {"local_elemwise_fusion": "fusion", "elemwise_fusion": "fusion", "composite_elemwise_fusion": "fusion",
                         "inplace_elemwise_optimizer": "inplace", "inplace_elemwise_opt": "inplace", "inplace_opt": "inplace",
                         "constant_folding": "constant_folding", "stabilize": "stabilize", "specialize": "specialize",
                         "canonicalize": "canonicalize"}


class _Tags(tuple):
    """A mode's rewrite tags as framework reads them (a tuple), callable as Theano's methods of the
    same name: ``mode.excluding('fusion')`` is a copy of ``mode`` (its class and hooks kept) with
    those tags added."""

    def __call__(self, *names: str) -> "Mode":
        mode, which = self.__dict__["mode"], self.__dict__["which"]
        new = copy.copy(mode)
        setattr(new, which, tuple(self) + tuple(_THEANO_REWRITE_NAMES.get(n, n) for n in names))
        new._bind_tags()
        return new

    def __reduce__(self) -> Any:
        return (tuple, (tuple(self),))  # pickles as the plain tuple; the mode binds it again


class Mode(_NativeMode):
    """Theano's ``Mode(linker=None, optimizer='fast_run')``: the linker name ('cvm', 'py', 'c|py'...)
    only matters for 'debug'; every optimizer name maps to a rewrite level (docs/theano.md).
    ``including(*tags)``, ``excluding(*tags)`` and ``requiring(*tags)`` return new modes, as in
    Theano, and ``mode.including``/``mode.excluding`` still read as the tuples framework uses."""

    def __init__(self, linker: Any = None, optimizer: Any = "fast_run", name: Optional[str] = None,
                 monitor: Any = None) -> None:
        native_linker = "debug" if linker in ("debug", "DebugMode") or monitor is not None else "schedule"
        super().__init__(_optimizer(optimizer), native_linker, name=name, monitor=monitor)
        self._bind_tags()

    def _bind_tags(self) -> None:
        for which in ("including", "excluding"):
            tags = _Tags(getattr(self, which))
            tags.__dict__.update(mode=self, which=which)
            setattr(self, which, tags)

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._bind_tags()

    def requiring(self, *tags: str) -> "Mode":
        """Theano's ``requiring``: the rewrites with those tags run (as ``including`` here)."""
        return self.including(*tags)


class DebugMode(Mode):
    """Theano's ``DebugMode(optimizer='fast_run', ..., check_isfinite=None, ...)``: node-by-node
    execution that checks each node's output dtype and shape and (unless ``check_isfinite=False``)
    raises on NaN/Inf, naming the node and the user's line. The C/Python comparisons, stride and
    preallocation checks of Theano's have nothing to compare here (one implementation per op);
    their options are accepted."""

    def __init__(self, optimizer: Any = "fast_run", stability_patience: Any = None, check_c_code: Any = None,
                 check_py_code: Any = None, check_isfinite: Any = None, check_preallocated_output: Any = None,
                 require_matching_strides: Any = None, linker: Any = None) -> None:
        super().__init__("debug", optimizer, name="DebugMode",
                         monitor=(None, None) if check_isfinite is False else None)


FAST_RUN = Mode("cvm", "fast_run", name="FAST_RUN")
FAST_COMPILE = Mode("vm", "fast_compile", name="FAST_COMPILE")
_DEBUG = Mode("debug", None, name="DEBUG")  # config.mode's 'DebugMode'/'DEBUG': no rewrites, every node checked
predefined_modes = {"FAST_RUN": FAST_RUN, "FAST_COMPILE": FAST_COMPILE}
"""Theano's table of mode names (``register_mode`` adds to it); the other names Theano knew
('Mode', 'DebugMode', 'NanGuardMode', 'ProfileMode', framework's 'DEBUG') map as ``config.mode``'s."""


def register_mode(name: str, mode: Any) -> None:
    """Theano's ``register_mode``: ``function(..., mode=name)`` then means ``mode``."""
    if name in predefined_modes or name in _THEANO_MODES or name == "DEBUG":
        raise ValueError(f"register_mode: mode name already taken: {name!r}")
    predefined_modes[name] = mode


def get_mode(mode: Any) -> Any:
    """Theano's ``get_mode``: a mode object for a name ('FAST_RUN', 'DebugMode', 'NanGuardMode', a
    name given to ``register_mode``...), ``config.mode``'s for None; a mode object is returned
    as it is (a mode class is instantiated)."""
    if mode is None:
        mode = config.mode
    if isinstance(mode, type) and issubclass(mode, _NativeMode):
        return mode()
    if isinstance(mode, str):
        if mode in predefined_modes:
            return predefined_modes[mode]
        if mode == "NanGuardMode":  # Theano's: the checks of config.NanGuardMode.*, an AssertionError
            from .nanguardmode import NanGuardMode as _NanGuard

            return _NanGuard()
        name = _THEANO_MODES.get(mode, mode)
        if name == "DEBUG":
            return _DEBUG
        if name in predefined_modes:
            return predefined_modes[name]
        return _native_get_mode(name)
    return mode


def get_default_mode() -> Any:
    """Theano's ``get_default_mode()``: the mode of ``config.mode`` (FAST_RUN unless changed)."""
    return get_mode(None)


def function(inputs: Sequence[Any], outputs: Any = None, mode: Any = None, updates: Any = None, givens: Any = None,
             no_default_updates: Any = False, accept_inplace: bool = False, name: Optional[str] = None,
             rebuild_strict: bool = True, allow_input_downcast: Optional[bool] = None, profile: Any = None,
             on_unused_input: Optional[str] = None) -> Function:
    """``theano.function`` with Theano 1.0's argument order (``mode`` third) and defaults
    (``on_unused_input`` from ``config.on_unused_input``). ``profile`` (True, a name, a
    :class:`~.profiling.ProfileStats`; ``config.profile`` for every function) gives the function a
    ``profile`` of its calls and nodes (:mod:`.profiling`). ``accept_inplace`` and
    ``rebuild_strict`` are accepted and have no effect (docs/theano.md)."""
    if isinstance(inputs, (list, tuple)):
        inputs, givens = _cut_inputs(inputs, givens)
    outputs = _unwrap_outputs(outputs)

    def compile_with(chosen: Any) -> Function:
        return _function_module.function(
            inputs, outputs, updates=updates, givens=givens, no_default_updates=no_default_updates,
            on_unused_input=on_unused_input or config.on_unused_input, allow_input_downcast=allow_input_downcast,
            name=name, mode=chosen)

    if profile is None:
        profile = bool(config.profile)
    if profile is False:
        return compile_with(get_mode(mode))
    from .profiling import ProfileStats, profiled

    if not isinstance(profile, (bool, str, ProfileStats)):
        raise TypeError(f"function: profile must be True/False, a name (str) or a ProfileStats to record into, "
                        f"got {type(profile).__name__} {profile!r:.40}")
    stats = profile if isinstance(profile, ProfileStats) else ProfileStats(
        message=profile if isinstance(profile, str) else name)
    return profiled(stats, get_mode(mode), compile_with)


from .monitormode import MonitorMode  # noqa: E402
from .nanguardmode import NanGuardMode  # noqa: E402
from . import debugmode, function_module, io, mode, monitormode, nanguardmode, ops, profiling, sharedvalue  # noqa: E402,F401 -- theano.compile.io.Out & co. without importing them first
from .ops import as_op  # noqa: E402
from .sharedvalue import shared, shared_constructor  # noqa: E402 -- framework's shared behind Theano's registry
from . import builders  # noqa: E402 -- theano.compile.builders.OpFromGraph
from .builders import OpFromGraph  # noqa: E402
from .profiling import ProfileStats  # noqa: E402


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__, "optimiser, C-code and profiler internals have no counterpart here")

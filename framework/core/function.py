"""``function``: compile symbolic outputs (and updates) into a callable.

The steps (see docs/architecture.md): copy the user's graph, substitute
``givens``, add the shared variables' updates (explicit and default ones),
rewrite the graph as the mode says, then link it on the backend of the
chosen device into one straight-line schedule.
"""
from __future__ import annotations

import copy
import warnings
from collections import OrderedDict
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .backend import Backend, get_backend
from .errors import FrameworkError, InputError, format_trace
from .fgraph import FunctionGraph
from .grad import NullType
from .graph import Constant, Variable, ancestors, clone_replace
from .linker import AFTER_FAILURE, Linked, after_failure, link, link_debug
from .mode import Mode, get_mode
from .rewrite import RewriteReport, rewrite
from .shared import SharedVariable
from .types import TensorType
from .variable import as_tensor_variable


class UnusedInputError(FrameworkError, ValueError):
    """An explicit input that no output or update depends on."""


class MissingInputError(InputError):
    """The outputs depend on a variable that is neither an input nor given by ``givens``
    (Theano's ``theano.gof.MissingInputError``)."""


class InputContainer:
    """The storage cell of one input of a compiled function (Theano's ``gof.Container``).

    ``value`` reads it and, set, converts to the input's type; ``storage`` is a one-element list;
    ``data`` is the stored object as it is. Every input of a function has one: an input with a
    ``value`` holds it there (``f[x]``, ``f.value[x]`` read it, ``f[x] = v`` sets it), an input with
    an ``update`` keeps its state there between calls, and a required input holds None. Passing a
    function's container as another function's ``In(value=...)`` shares the state between them."""

    def __init__(self, variable: Variable, name: Optional[str], value: Any = None,
                 allow_downcast: Optional[bool] = None) -> None:
        self.type = variable.type
        self.name = name
        self.allow_downcast = allow_downcast
        self.storage: List[Any] = [value]

    @property
    def value(self) -> Any:
        return self.storage[0]

    @value.setter
    def value(self, value: Any) -> None:
        label = f"input {self.name!r}" if self.name else "the input"
        self.storage[0] = None if value is None else self.type.filter(value, name=label,
                                                                       allow_downcast=self.allow_downcast)

    @property
    def data(self) -> Any:
        return self.storage[0]

    @data.setter
    def data(self, value: Any) -> None:
        self.storage[0] = value

    def __repr__(self) -> str:
        return f"<{self.name or 'input'}: {self.storage[0]!r:.60}>"


class In:
    """An input with options, as Theano's ``In``.

    ``value``: a default; ``name``: the keyword it may be given by.
    ``update``: an expression of the function's inputs (and shared variables) with the input's
    dtype and number of dimensions: the input then has *state*, the value kept in the function's
    container (``f[x]``), which starts at ``value`` and, after each call, becomes the update
    computed in that call from the old values (outputs first, a failed call stores nothing). A
    call may still pass the input; the update is computed from what it passed.
    ``value`` may be another function's container (``f.container[s]``): both functions then read
    and update the same state, and the input is ``implicit`` unless ``implicit=False`` is given.
    ``strict=True``: the value must already be an array of exactly the
    input's dtype and number of dimensions (no conversion; anything else is an
    error). ``implicit=True``: the input always takes its ``value`` (which it
    then needs) and is not part of the call signature. ``mutable`` and
    ``borrow`` *permit* the function to overwrite the input's storage or return
    outputs aliasing it; compiled functions never do either, which every
    Theano program accepts (they are permissions, not requests). ``mutable``
    (by default: whether there is an ``update``) also makes ``f.copy()`` copy the
    value rather than share the object.
    """

    def __init__(self, variable: Variable, value: Any = None, name: Optional[str] = None,
                 mutable: Optional[bool] = None, borrow: bool = False, strict: bool = False,
                 allow_downcast: Optional[bool] = None, implicit: Optional[bool] = None,
                 update: Any = None) -> None:
        if not isinstance(variable, Variable):
            raise TypeError(f"In() takes a symbolic variable, got {type(variable).__name__}")
        if implicit is None:
            implicit = isinstance(value, InputContainer)
        if implicit and value is None:
            raise ValueError(f"In({variable}, implicit=True) needs a value: an implicit input always "
                             "takes its value and cannot be passed in a call")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"In({variable}, name=...): the name is the keyword the input is given by, so it "
                            f"must be a string, got {type(name).__name__} {name!r:.40}")
        if update is not None:
            if not isinstance(update, Variable):
                try:
                    update = as_tensor_variable(update)
                except TypeError:
                    raise TypeError(f"In({variable}, update=...): the update must be a symbolic expression, got "
                                    f"{type(update).__name__} {update!r:.40}") from None
            vt, ut = variable.type, update.type
            if getattr(vt, "dtype", None) != getattr(ut, "dtype", None) or vt.ndim != ut.ndim:
                raise TypeError(f"In({variable}, update=...): {variable} has type {vt} but its update has type {ut}; "
                                f"an update must keep the dtype and number of dimensions (cast it: "
                                f"T.cast(expr, '{getattr(vt, 'dtype', '?')}'))")
        if isinstance(value, InputContainer) and value.type != variable.type:
            raise TypeError(f"In({variable}, value=<container>): the container holds values of type {value.type}, "
                            f"the variable has type {variable.type}")
        self.variable = variable
        self.value = value
        self.has_default = value is not None
        self.name = name if name is not None else variable.name
        self.update = update
        self.mutable = (update is not None) if mutable is None else bool(mutable)
        self.borrow = borrow
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.implicit = implicit

    def __repr__(self) -> str:
        d = f", value={self.value!r}" if self.has_default else ""
        u = f", update={self.update}" if self.update is not None else ""
        return f"In({self.variable}{d}{u})"


def Param(variable: Variable, default: Any = None, name: Optional[str] = None, **kw: Any) -> In:
    """The old spelling of ``In(variable, value=default, name=name)``."""
    return In(variable, value=default, name=name, **kw)


def _pairs(arg: Any, what: str) -> List[Tuple[Any, Any]]:
    if arg is None:
        return []
    if isinstance(arg, dict):
        return list(arg.items())
    if isinstance(arg, (list, tuple)):
        out = []
        for item in arg:
            if not (isinstance(item, (list, tuple)) and len(item) == 2):
                raise TypeError(f"{what} must be a dict or a list of (variable, value) pairs, got item {item!r:.60}")
            out.append((item[0], item[1]))
        return out
    raise TypeError(f"{what} must be a dict or a list of pairs, got {type(arg).__name__}")


def _make_filter(inp: In, position: int, backend: Backend, allow_downcast: Optional[bool]) -> Callable[[Any], Any]:
    t = inp.variable.type
    label = f"input {position}" + (f" ({inp.name!r})" if inp.name else "")
    down = inp.allow_downcast if inp.allow_downcast is not None else allow_downcast
    host = backend.host_is_device
    is_dev, from_host = backend.is_array, backend.from_host

    def filt(value: Any) -> Any:
        if not host and is_dev(value):
            if str(value.dtype) != t.dtype or value.ndim != t.ndim:
                raise InputError(f"{label}: expected {t}, got a device array of dtype {value.dtype} "
                                 f"and {value.ndim} dimension(s)")
            return value
        try:
            arr = t.filter(value, name=label, allow_downcast=down)
        except (InputError, ValueError) as exc:
            raise type(exc)(str(exc)) from None
        return arr if host else from_host(arr, copy=False)

    if not inp.strict:
        # plain: the filter only converts (t.filter); the linker may inline the
        # conversion of the values it knows to convert exactly (a Python float for
        # a 0-d float64 input)
        filt.plain = host  # type: ignore[attr-defined]
        return filt

    def strict(value: Any) -> Any:  # chosen when compiling: other inputs pay nothing for it
        _check_strict(value, t, label)
        return filt(value)

    return strict


def _check_strict(value: Any, t: Any, label: str) -> None:
    """``In(strict=True)``: no conversion of any kind."""
    dtype, ndim = getattr(value, "dtype", None), getattr(value, "ndim", None)
    if not hasattr(value, "shape") or str(dtype) != t.dtype or ndim != t.ndim:
        got = (f"dtype {dtype}, {ndim} dimension(s)" if hasattr(value, "shape")
               else f"{type(value).__name__} {value!r:.40}")
        raise InputError(f"{label} is strict (In(strict=True)): expected an array of dtype {t.dtype} with "
                         f"{t.ndim} dimension(s), got {got}")


class FunctionMaker:
    """What a compiled function was made from: ``fgraph`` is the rewritten graph."""

    def __init__(self, fgraph: FunctionGraph, mode: Mode, backend: Backend, report: RewriteReport,
                 spec: Dict[str, Any]) -> None:
        self.fgraph = fgraph
        self.mode = mode
        self.backend = backend
        self.report = report
        self.spec = spec


class Function:
    """A compiled function. Call it with inputs by position or by name."""

    def __init__(self, inputs: List[In], outputs: List[Variable], single: bool, linked: Linked,
                 maker: FunctionMaker, name: Optional[str]) -> None:
        self.inputs = inputs
        self.outputs = outputs
        self.name = name
        self.maker = maker
        self._single = single
        self._linked = linked
        self._run = linked.run
        self._slots = [k for k, i in enumerate(inputs) if not i.implicit]  # what a call passes
        self._n = len(self._slots)
        # calls with exactly this many positional arguments skip _bind (never, with implicit inputs
        # or inputs with state)
        self._updated = [k for k, i in enumerate(inputs) if i.update is not None]  # inputs with state
        self._plain_n = self._n if self._n == len(inputs) and not self._updated else -1
        self._fast_n = self._plain_n
        self._names = {i.name: k for k, i in enumerate(inputs) if i.name}
        self._containers = [i.value if isinstance(i.value, InputContainer)
                            else InputContainer(i.variable, i.name, i.value, i.allow_downcast) for i in inputs]
        for k in self._updated:  # a state is held as the input's type holds values (a 0-d array for a scalar)
            c = self._containers[k]
            if c is not inputs[k].value and c.storage[0] is not None:
                c.value = c.storage[0]
        self._required = [not i.has_default for i in inputs]
        # the defaults put back after a call when f[x] = v changed them (Theano's "refeed")
        self._refeed = [(k, i.value) for k, i in enumerate(inputs)
                        if i.has_default and i.update is None and not isinstance(i.value, InputContainer)]
        self._dirty = False  # f[x] = v since the last call: the next call takes the slow path
        self._finder = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs or len(args) != self._fast_n:
            if self._updated or self._dirty:
                return self._call_with_state(args, kwargs)
            args = self._bind(args, kwargs)
        try:
            return self._run(*args)
        except BaseException as exc:
            better = self._failed(exc)
            if better is None:
                raise
            raise better.with_traceback(None) from exc

    def _failed(self, exc: BaseException) -> Optional[BaseException]:
        """After a failed call: put generator states back; the exception to raise instead (None: as is)."""
        if AFTER_FAILURE:
            after_failure()
        if self._linked.restore is not None:
            self._linked.restore(exc)
        if not isinstance(exc, Exception):
            return None
        return self._linked.explain(exc)

    def _call_with_state(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        """A call of a function with inputs that have state (``In(update=...)``), or after ``f[x] = v``:
        defaults are read from the containers; the new states are stored after the outputs are
        computed, and only when the call succeeded."""
        try:
            values = self._bind(args, kwargs)
            try:
                result = self._run(*values)
            except BaseException as exc:
                better = self._failed(exc)
                if better is None:
                    raise
                raise better.with_traceback(None) from exc
        finally:
            if self._dirty:
                self._restore_defaults()
        if not self._updated:
            return result
        n = len(self.outputs)
        for k, new in zip(self._updated, result[n:]):
            self._containers[k].storage[0] = np.asarray(new) if isinstance(new, np.generic) else new
        return result[0] if self._single else result[:n]

    def _restore_defaults(self) -> None:
        """After a call: the defaults ``f[x] = v`` changed are back (Theano's refeed), and required
        inputs hold nothing (what a call passes is not kept)."""
        for k, value in self._refeed:
            self._containers[k].storage[0] = value
        for k, required in enumerate(self._required):
            if required:
                self._containers[k].storage[0] = None
        self._dirty = False
        self._fast_n = self._plain_n

    def _bind(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> List[Any]:
        where = f"function {self.name!r}" if self.name else "the compiled function"
        if len(args) > self._n:
            raise InputError(f"{where} takes {self._n} input(s), got {len(args)} positional argument(s)")
        values = [_MISSING] * len(self.inputs)
        for k, v in zip(self._slots, args):
            values[k] = v
        for key, value in kwargs.items():
            k = self._names.get(key)
            if k is None:
                known = ", ".join(repr(n) for n in self._names) or "none"
                raise InputError(f"{where} has no input named {key!r} (named inputs: {known})")
            if self.inputs[k].implicit:
                raise InputError(f"{where}: input {key!r} is implicit (In(implicit=True)); it always takes its value")
            if values[k] is not _MISSING:
                raise InputError(f"{where}: input {key!r} given both by position and by name")
            values[k] = value
        for k, v in enumerate(values):
            if v is _MISSING:
                if self._required[k]:
                    label = f"input {k}" + (f" ({self.inputs[k].name!r})" if self.inputs[k].name else "")
                    raise InputError(f"{where}: missing a value for {label}; it takes {self._n} input(s)")
                values[k] = self._containers[k].storage[0]
        return values

    # --- Theano's access to the inputs' containers: f[x], f['name'], f[k], f.value[...], f.container[...]

    def _find(self, key: Any) -> "InputContainer":
        finder = self._finder
        if finder is None:
            finder = {}
            for k, (inp, c) in enumerate(zip(self.inputs, self._containers)):
                finder[k] = c
                finder[inp.variable] = c
                if inp.name is not None:
                    finder[inp.name] = _DUPLICATE if inp.name in finder else c
            self._finder = finder
        try:
            c = finder.get(key, _UNKNOWN)
        except TypeError:  # an unhashable key
            c = _UNKNOWN
        if c is _UNKNOWN:
            names = [repr(i.name) for i in self.inputs if i.name]
            raise TypeError(f"{self._where()} has no input or state {key!r:.60} (inputs are found by position 0.."
                            f"{len(self.inputs) - 1}, variable or name: {', '.join(names) or 'no names'})")
        if c is _DUPLICATE:
            raise TypeError(f"{self._where()}: the name {key!r} is ambiguous, several inputs have it; use the "
                            "variable or the position")
        return c

    def _where(self) -> str:
        return f"function {self.name!r}" if self.name else "the compiled function"

    def __getitem__(self, key: Any) -> Any:
        """The value an input holds: its default, its state (``In(update=...)``), None if required."""
        return self._find(key).storage[0]

    def __setitem__(self, key: Any, value: Any) -> None:
        """Set an input's value: a state from now on; a default for the next call only (then it
        is put back, as in Theano)."""
        self._find(key).value = value
        self._dirty = True
        self._fast_n = -1

    def __contains__(self, key: Any) -> bool:
        try:
            self._find(key)
        except TypeError:
            return False
        return True

    @property
    def value(self) -> "_ValueAccess":
        """``f.value[x]``: as ``f[x]`` (and ``f.value[x] = v`` as ``f[x] = v``)."""
        return _ValueAccess(self)

    @property
    def container(self) -> "_ContainerAccess":
        """``f.container[x]``: the input's :class:`InputContainer` (pass it as another function's
        ``In(value=...)`` to share the state)."""
        return _ContainerAccess(self)

    # Theano's switch to skip the checks of the inputs: accepted (a program may set it) and without
    # effect, since the checks here are what converts Python numbers and lists (docs/theano.md)
    trust_input = False

    def free(self) -> None:
        """Theano's ``free()``: release intermediate storage. A compiled function here keeps no
        intermediate values between calls, so there is nothing to release."""

    def copy(self, share_memory: bool = False, swap: Optional[Dict[SharedVariable, SharedVariable]] = None,
             delete_updates: bool = False, name: Optional[str] = None) -> "Function":
        """A new function computing the same thing; ``swap`` replaces shared
        variables by others of the same type; ``delete_updates`` drops every update
        (of shared variables and of inputs with state).

        The copy starts from the inputs' current values (``f[x]``): its own containers, holding
        the same objects, or copies for ``mutable`` inputs (those with an update, by default);
        containers shared with another function (``In(value=f.container[s])``) stay shared.
        ``share_memory`` (Theano: whether the copy shares intermediate storage
        with the original) changes nothing observable here: compiled functions
        keep no storage between calls, and, as in Theano, both the copy and the
        original use the same shared variables unless ``swap`` says otherwise."""
        spec = dict(self.maker.spec)
        swap = dict(swap or {})
        for old, new in swap.items():
            if not isinstance(old, SharedVariable) or not isinstance(new, SharedVariable):
                raise TypeError("copy(swap=...) maps shared variables to shared variables")
            if old.type != new.type and not old.type.is_compatible(new.type):
                raise TypeError(f"copy(swap=...): {old} has type {old.type} but {new} has {new.type}")
        if delete_updates:
            spec["updates"] = []
            spec["no_default_updates"] = True
            spec["on_unused_input"] = "ignore"  # the copy keeps the signature, even inputs only updates used
            if self._updated:
                spec["inputs"] = [_without_update(i) for i in spec["inputs"]]
        else:
            spec["updates"] = [(swap.get(s, s), v) for s, v in spec["updates"]]
        spec["givens"] = list(spec["givens"]) + list(swap.items())
        spec["name"] = name or self.name
        cpy = function(**spec)
        for inp, here, there in zip(self.inputs, self._containers, cpy._containers):
            if here is not there and (inp.has_default or inp.update is not None):
                there.storage[0] = copy.copy(here.storage[0]) if inp.mutable else here.storage[0]
        return cpy

    def __copy__(self) -> "Function":
        return self.copy()

    def __repr__(self) -> str:
        return f"<Function {self.name or ''} inputs={[i.variable for i in self.inputs]} outputs={self.outputs}>"

    def __reduce__(self) -> Any:
        from .pickling import rebuild_function

        # compiled again when loaded, for the backend there. The function's own containers go along when
        # they hold state or were looked at (f[x], f.container[x]): a function pickled with another that
        # shares one of them (In(value=f.container[s])) still shares it after loading
        if not self._updated and self._finder is None:
            return (rebuild_function, (self.maker.spec,))
        own = {k: c for k, (i, c) in enumerate(zip(self.inputs, self._containers))
               if c is not i.value and (i.has_default or i.update is not None)}
        return (rebuild_function, (self.maker.spec,), {"containers": own})

    def __setstate__(self, state: Dict[str, Any]) -> None:
        for k, c in state.get("containers", {}).items():
            self._containers[k] = c
        self._finder = None


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()
_DUPLICATE = _Missing()
_UNKNOWN = _Missing()


class _ValueAccess:
    """``f.value[x]`` (read and set), as Theano's ``Function.value``."""

    def __init__(self, f: Function) -> None:
        self._f = f

    def __getitem__(self, key: Any) -> Any:
        return self._f[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._f[key] = value

    def __contains__(self, key: Any) -> bool:
        return key in self._f


class _ContainerAccess:
    """``f.container[x]`` (read only), as Theano's ``Function.container``."""

    def __init__(self, f: Function) -> None:
        self._f = f

    def __getitem__(self, key: Any) -> InputContainer:
        return self._f._find(key)

    def __contains__(self, key: Any) -> bool:
        return key in self._f


def _without_update(i: Any) -> Any:
    if not isinstance(i, In) or i.update is None:
        return i
    out = copy.copy(i)
    out.update = None
    return out


def _default_updates(roots: Iterable[Variable], explicit: Dict[SharedVariable, Variable],
                     no_default: Union[bool, Sequence[Variable]],
                     replace: Optional[Dict[Variable, Variable]] = None) -> List[Tuple[SharedVariable, Variable]]:
    """The ``(shared, default_update)`` pairs to add: shared variables read by ``roots`` (after
    ``replace``, the givens, is substituted) or by the default updates found, in that order."""
    if no_default is True:
        return []
    if no_default is not False and no_default is not None and not (
            isinstance(no_default, (list, tuple, set, frozenset))
            and all(isinstance(v, Variable) for v in no_default)):
        raise TypeError(f"no_default_updates must be True, False or a list of shared variables, got "
                        f"{type(no_default).__name__} {no_default!r:.60}")
    skip = set(no_default or ())
    out: List[Tuple[SharedVariable, Variable]] = []
    seen = set(explicit)
    frontier = list(roots)
    while frontier:
        found = []
        for v in _read_with(frontier, replace or {}):
            if isinstance(v, SharedVariable) and v not in seen and v not in skip and v.default_update is not None:
                seen.add(v)
                out.append((v, v.default_update))
                found.append(v.default_update)
        frontier = found
    return out


def _read_with(outputs: List[Variable], replace: Dict[Variable, Variable]) -> List[Variable]:
    """The variables ``outputs`` read once ``replace`` (the givens) is substituted, as
    ``clone_replace`` would build it (a replacement's own graph is not substituted again),
    without cloning the graph: a walk that steps from a replaced variable to its value."""
    seen, order = set(), []
    stack = [(v, False) for v in outputs]
    while stack:
        v, inside = stack.pop()
        if not inside and v in replace:
            v, inside = replace[v], True
        if (v, inside) in seen:
            continue
        seen.add((v, inside))
        order.append(v)
        if v.owner is not None:
            stack.extend((i, inside) for i in v.owner.inputs)
    return order


def function(inputs: Sequence[Any] = (), outputs: Any = None, updates: Any = None, givens: Any = None,
             no_default_updates: Union[bool, Sequence[Variable]] = False, on_unused_input: str = "raise",
             allow_input_downcast: Optional[bool] = None, name: Optional[str] = None,
             mode: Union[None, str, Mode] = None, device: Optional[str] = None,
             outputs_on_device: bool = False) -> Function:
    """Compile ``outputs`` (and ``updates``) as a function of ``inputs``.

    See SPEC §2: outputs are computed before any update is stored; every
    update is computed from the old values; ``givens`` substitutes variables;
    inputs can be given by position or by name; ``In`` gives defaults.
    """
    if on_unused_input not in ("raise", "warn", "ignore"):
        raise ValueError(f"on_unused_input must be 'raise', 'warn' or 'ignore', not {on_unused_input!r}")
    spec = dict(inputs=inputs, outputs=outputs, updates=list(_pairs(updates, "updates")),
                givens=list(_pairs(givens, "givens")), no_default_updates=no_default_updates,
                on_unused_input=on_unused_input, allow_input_downcast=allow_input_downcast, name=name,
                mode=mode, device=device, outputs_on_device=outputs_on_device)
    mode_ = get_mode(mode)
    backend = get_backend(device)

    # inputs
    if isinstance(inputs, (Variable, In)):
        raise TypeError("function(): inputs must be a list, e.g. function([x], y)")
    ins: List[In] = []
    for k, i in enumerate(inputs):
        inp = i if isinstance(i, In) else In(i) if isinstance(i, Variable) else None
        if inp is None:
            raise TypeError(f"function(): input {k} is {type(i).__name__} {i!r:.40}, not a symbolic variable")
        v = inp.variable
        if isinstance(v, SharedVariable):
            raise TypeError(f"function(): input {k} ({v}) is a shared variable; shared variables are "
                            "implicit inputs, leave them out of the input list")
        if isinstance(v, Constant):
            raise TypeError(f"function(): input {k} ({v}) is a constant, it cannot be an input")
        if v.owner is not None:
            raise TypeError(f"function(): input {k} ({v}) is computed by op '{v.owner.op}'; inputs must be "
                            "variables made by T.matrix() & co. (use givens= to replace an expression)")
        if any(v is j.variable for j in ins):
            raise ValueError(f"function(): input {v} appears twice in the input list")
        ins.append(inp)
    explicit = [i.variable for i in ins]

    # outputs
    single = outputs is not None and not isinstance(outputs, (list, tuple))
    out_list = [] if outputs is None else [outputs] if single else list(outputs)
    outs = []
    for k, o in enumerate(out_list):
        try:
            outs.append(o if isinstance(o, Variable) else as_tensor_variable(o))
        except TypeError:
            raise TypeError(f"function(): output {k} is {type(o).__name__}, not a symbolic variable") from None

    # updates
    upd: "OrderedDict[SharedVariable, Variable]" = OrderedDict()
    for s, v in spec["updates"]:
        if not isinstance(s, SharedVariable):
            raise TypeError(f"updates: {s!r:.40} is not a shared variable; only shared variables can be updated")
        if s in upd:
            raise ValueError(f"updates: shared variable {s} is updated twice")
        v = v if isinstance(v, Variable) else as_tensor_variable(v) if isinstance(s.type, TensorType) else v
        if isinstance(s.type, TensorType):
            if not isinstance(v.type, TensorType) or v.type.dtype != s.type.dtype or v.ndim != s.ndim:
                raise TypeError(
                    f"updates: the new value of {s} ({s.type}) has type {v.type}; an update must keep the "
                    f"dtype and number of dimensions (cast it: T.cast(expr, '{s.type.dtype}'))"
                )
        upd[s] = v
    # givens
    replace: Dict[Variable, Variable] = {}
    for old, new in spec["givens"]:
        if not isinstance(old, Variable):
            raise TypeError(f"givens: keys must be symbolic variables, got {type(old).__name__}")
        new = new if isinstance(new, Variable) else as_tensor_variable(new)
        if isinstance(old.type, TensorType) and (
            not isinstance(new.type, TensorType) or new.type.dtype != old.type.dtype or new.ndim != old.ndim
        ):
            raise TypeError(f"givens: cannot replace {old} ({old.type}) by {new} ({new.type}): the dtype and "
                            "number of dimensions must match")
        replace[old] = new

    # default updates of the shared variables the graph reads once givens are substituted: one
    # that givens replaced is not read, so it is not updated (as in Theano)
    for s, v in _default_updates(outs + [i.update for i in ins if i.update is not None] + list(upd.values()), upd,
                                 no_default_updates, replace):
        upd[s] = v

    # inputs with state (In(update=...)): their new values are extra outputs, stored by Function
    states = [i.update for i in ins if i.update is not None]
    roots = outs + states + list(upd.values())
    cloned = clone_replace(roots, replace) if roots else []
    used = set(ancestors(cloned)) if cloned else set()
    for k, v in enumerate(explicit):
        if v not in used:
            msg = (f"function(): input {k} ({v}) is not used to compute any output or update"
                   + (" (it was replaced through givens)" if v in replace else ""))
            if on_unused_input == "raise":
                raise UnusedInputError(msg + "; pass on_unused_input='ignore' to allow it")
            if on_unused_input == "warn":
                warnings.warn(msg, stacklevel=2)
    free = [v for v in used if v.owner is None and not isinstance(v, (Constant, SharedVariable)) and v not in explicit]
    if free:
        null = next((v for v in free if isinstance(v.type, NullType)), None)
        if null is not None:
            raise TypeError(f"function(): the outputs depend on a null gradient, which has no value: "
                            f"{null.type.why_null}")
        names = ", ".join(sorted(str(v) for v in free))
        raise MissingInputError(f"function(): the outputs depend on {names}, which is neither an input nor given a "
                                "value through givens; add it to the inputs")
    shared_vars = sorted({v for v in used if isinstance(v, SharedVariable)} | set(upd), key=lambda v: v._id)
    for s in shared_vars:
        if s.container.backend is not backend:
            _move(s, backend)
    n_out = len(outs) + len(states)
    fgraph = FunctionGraph(explicit + shared_vars, cloned)
    fgraph.update_of = {n_out + k: s for k, s in enumerate(upd)}  # output position -> shared it updates
    report = rewrite(fgraph, mode_)

    filters = [_make_filter(inp, k, backend, allow_input_downcast) for k, inp in enumerate(ins)]
    if mode_.linker == "debug":
        linked = link_debug(fgraph, backend, explicit, list(upd), n_out, single and not states, filters,
                            outputs_on_device, monitor=getattr(mode_, "monitor", None))
    else:
        linked = link(fgraph, backend, explicit, list(upd), n_out, single and not states, filters, outputs_on_device)
    maker = FunctionMaker(fgraph, mode_, backend, report, spec)
    return Function(ins, outs, single, linked, maker, name)


def _move(s: SharedVariable, backend: Backend) -> None:
    """Put a shared variable's value on the function's device."""
    old = s.container.backend
    host = s.get_value(borrow=False)
    s.container.backend = backend
    if hasattr(s, "default_update") and not isinstance(s.type, TensorType):
        s.container.value = backend.rng_from_host(old.rng_to_host(s.container.value))
    else:
        s.container.value = backend.from_host(np.asarray(host))

"""Errors that name what the user did: the op, the inputs, shapes, and the user's line.

Every error message about a node is built here, so they all read alike.
"""
from __future__ import annotations

import linecache
import os
import sys
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

Trace = Optional[Tuple[str, int]]


class FrameworkError(Exception):
    """Base class of the framework's own errors."""


class ShapeError(FrameworkError, ValueError):
    """Shapes that cannot work together (at build time or at run time)."""


class InputError(FrameworkError, TypeError):
    """A compiled function was called with a bad input value."""


class GradientError(FrameworkError, ValueError):
    """A gradient could not be built or failed verification."""


class AsTensorError(FrameworkError, TypeError):
    """A value that cannot be a tensor (Theano's name for this ``TypeError``)."""


class DisconnectedInputError(GradientError):
    """``grad`` was asked for a variable the cost does not depend on."""


class NodeRuntimeError(FrameworkError, RuntimeError):
    """An op failed while running; the message names the node and the user's line."""


_LIBRARY_PATHS = (_PKG_DIR + os.sep, "<frozen")


def add_library_path(path: str) -> None:
    """Treat code under ``path`` (a plugin's package or module) as library code:
    nodes built there record the line of the user's script that called it."""
    global _LIBRARY_PATHS
    path = os.path.abspath(path)
    if os.path.isdir(path):
        path += os.sep
    if path not in _LIBRARY_PATHS:
        _LIBRARY_PATHS = _LIBRARY_PATHS + (path,)


def user_trace() -> Trace:
    """The (file, line) of the first stack frame outside the framework and its plugins."""
    frame = sys._getframe(1)
    skip = _LIBRARY_PATHS
    while frame is not None:
        fname = frame.f_code.co_filename
        if not fname.startswith(skip):
            return (fname, frame.f_lineno)
        frame = frame.f_back
    return None


def format_trace(trace: Trace) -> str:
    """``'script.py:12: z = x + y'`` or ``'unknown location'``."""
    if not trace:
        return "an unknown location"
    fname, line = trace
    src = linecache.getline(fname, line).strip()
    return f"{fname}:{line}" + (f": {src}" if src else "")


def describe_value(v: Any) -> str:
    try:
        shape = getattr(v, "shape", None)
        dtype = getattr(v, "dtype", None)
        if shape is not None and dtype is not None:
            return f"{type(v).__name__}(shape={tuple(shape)}, dtype={dtype})"
        return f"{type(v).__name__} {safe_str(repr(v) if not isinstance(v, str) else repr(v), 80)}"[:80]
    except Exception:  # noqa: BLE001 -- a value that cannot describe itself
        return f"a {type(v).__name__}"


def node_label(node: Any) -> str:
    """``"op 'add'"`` or ``"op 'add' (output 'z')"``."""
    names = [o.name for o in node.outputs if getattr(o, "name", None)]
    label = f"op '{node.op}'"
    return label + (f" (output {names[0]!r})" if names else "")


def node_error_message(node: Any, problem: str, values: Optional[Sequence[Any]] = None,
                       one_line: bool = False) -> str:
    """A message naming the node, its inputs (types or runtime values) and the user's line
    (on one line with ``one_line``). Building it never fails."""
    try:
        if values is not None:
            ins = ", ".join(describe_value(v) for v in values)
        else:
            ins = ", ".join(safe_str(i.type) for i in node.inputs)
        label, where = node_label(node), format_trace(node.trace)
    except Exception:  # noqa: BLE001 -- fall back to what cannot fail
        label, ins, where = f"op '{safe_str(getattr(node, 'op', '?'))}'", "?", "an unknown location"
    if one_line:
        return f"{label} failed: {problem} (inputs: {ins}; built at {where})"
    return (
        f"{label} failed: {problem}\n"
        f"  inputs: {ins}\n"
        f"  built at {where}"
    )


def safe_str(obj: Any, limit: int = 2000) -> str:
    """``str(obj)``, or a stand-in when that raises: building an error message
    must never itself fail (an exception whose ``__str__`` raises, a MemoryError
    carrying an array, ...)."""
    try:
        text = str(obj)
    except BaseException as exc:  # noqa: BLE001 -- any failure, KeyboardInterrupt excepted
        if isinstance(exc, KeyboardInterrupt):
            raise
        try:
            return f"<{type(obj).__name__} whose str() failed with {type(exc).__name__}>"
        except BaseException:  # noqa: BLE001
            return "<unprintable object>"
    return text if len(text) <= limit else text[:limit] + "..."


def describe_exception(exc: BaseException) -> str:
    """``'TypeName: message'`` for any exception; never raises."""
    text = safe_str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def axis_int(a: Any, opname: str, given: Any = None) -> int:
    """``a`` as an axis number: a Python or NumPy integer (not a bool, float or
    string). Otherwise a TypeError naming the op, what the user passed and the
    user's line (``axis=1.5`` or ``axis="rows"`` is a mistake to report, not to
    round or parse)."""
    if isinstance(a, (bool, np.bool_)) or isinstance(a, (str, bytes)) or not hasattr(a, "__index__"):
        shown = safe_str(repr(given if given is not None else a), 60)
        raise TypeError(f"{opname}: axis must be an integer, a sequence of integers or None, got {shown} "
                        f"(at {format_trace(user_trace())})")
    return int(a.__index__())


def expression(var: Any) -> str:
    """(``framework.printing.pp``) A one-line rendering of ``var``'s expression, e.g. ``((x ** 2) * 2)``."""
    from .graph import Constant  # graph imports this module

    memo: Dict[Any, str] = {}

    def render(v: Any) -> str:
        if v in memo:
            return memo[v]
        if v.owner is None:
            s = repr(v) if isinstance(v, Constant) else (v.name or f"<{v.type}>")
        else:
            node = v.owner
            args = [render(i) for i in node.inputs]
            s, _ = node.op.pp(node, args)
            if len(node.outputs) > 1:
                s = f"{s}[{v.index}]"
        memo[v] = s
        return s

    return render(var)

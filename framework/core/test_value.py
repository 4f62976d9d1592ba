"""Test values: run each new node on example inputs while the graph is being built.

Theano's debugging aid. Give inputs example values (``x.tag.test_value =
numpy.random.rand(5, 10)``) and set ``config.compute_test_value``:

* ``'off'`` (default): nothing happens;
* ``'raise'`` (or Theano's ``'pdb'``): every node is computed on its inputs'
  test values as soon as it is built, so a shape or type error is raised
  there -- naming the op, the values' shapes and *your* line -- instead of
  when the compiled function first runs. A node whose input has no test
  value is an error that names the input (inputs made by ``T.matrix()`` & co.;
  the stand-ins framework makes itself, in scan bodies and gradients, simply
  get no test value when none can be derived);
* ``'warn'``: the same, but a missing test value only warns (and the node
  and everything after it get none);
* ``'ignore'``: a missing test value silently skips the node.

Constants and shared variables have test values already (their values). Each
output's value is stored as its ``tag.test_value``. Values are computed on
the CPU with the NumPy backend, whatever ``config.device`` is. A failure to
compute is an error in every mode but ``'off'``.
"""
from __future__ import annotations

import warnings
from typing import Any, List, Optional

import numpy as np

from .graph import Apply, Constant, Variable

_MISSING = object()


def _value(v: Variable) -> Any:
    if isinstance(v, Constant):
        return np.asarray(v.data)
    get_value = getattr(v, "get_value", None)
    if get_value is not None and v.owner is None:  # a shared variable
        return get_value(borrow=False)  # a copy: a random op must not advance the real generator
    value = v.tag.get("test_value", _MISSING)
    if value is _MISSING or v.owner is not None:
        return value
    try:  # a user-set value: converted to the variable's type (downcasts allowed, as Theano's filter)
        return v.type.filter(value, name=f"test value of {v}", allow_downcast=True)
    except Exception as exc:
        raise type(exc)(f"the test value of {v} does not fit its type {v.type}: {exc}") from None


def value_of(v: Variable) -> Any:
    """``v``'s test value (a constant's or shared variable's value), or None."""
    value = _value(v)
    return None if value is _MISSING else value


def compute_test_values(node: Apply, mode: str) -> None:
    """Run ``node`` on its inputs' test values and store its outputs' (see the module docstring)."""
    from .errors import format_trace

    values: List[Any] = []
    for i in node.inputs:
        value = _value(i)
        if value is _MISSING:
            # a variable framework made (scan's stand-ins, gradient seeds) never needs one from the user
            if mode in ("raise", "pdb") and i.owner is None and i.tag.get("user_variable"):
                raise ValueError(
                    f"config.compute_test_value={mode!r}: input {i} ({i.type}) of op '{node.op}' has no test value "
                    f"(at {format_trace(node.trace)}); set {i.name or 'it'}.tag.test_value = <an array>, or "
                    "config.compute_test_value = 'off'")
            if mode == "warn" and i.owner is None and i.tag.get("user_variable"):
                warnings.warn(f"compute_test_value: input {i} of op '{node.op}' has no test value "
                              f"(at {format_trace(node.trace)})", stacklevel=4)
            return
        values.append(value)
    from .backend import get_backend
    from .linker import wrap_node_error

    backend = get_backend("cpu")
    try:
        out = backend.kernel(node)(*values)
    except Exception as exc:
        raise wrap_node_error(node, exc, values).with_traceback(None) from None
    outs = [out] if len(node.outputs) == 1 else list(out)
    for o, v in zip(node.outputs, outs):
        _check(node, o, v, values)
        o.tag["test_value"] = v


def _check(node: Apply, out: Variable, value: Any, values: List[Any]) -> None:
    from .errors import ShapeError, node_error_message

    t = out.type
    shape: Optional[tuple] = getattr(t, "shape", None)
    if shape is None or not hasattr(value, "shape"):
        return
    got = tuple(value.shape)
    if len(got) != len(shape) or any(d is not None and d != g for d, g in zip(shape, got)):
        raise ShapeError(node_error_message(
            node, f"on the test values, output {out.index} has shape {got}, but the op declared {t}", values))

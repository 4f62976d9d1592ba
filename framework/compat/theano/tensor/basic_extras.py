"""Theano 1.0 signatures of reductions and the names ``theano.tensor`` has beyond framework's."""
from __future__ import annotations

import builtins
from typing import Any, Optional, Sequence, Tuple

from ....core import elemwise as _ew
from ....core import reduce as _red
from ....core.types import TensorType, as_dtype
from ....core.variable import TensorVariable, as_tensor_variable

as_tensor = as_tensor_variable


def _cast_to(v: TensorVariable, dtype: Optional[str]) -> TensorVariable:
    return v if dtype is None or as_dtype(dtype) == v.dtype else _ew.cast(v, as_dtype(dtype))


def sum(input: Any, axis: Any = None, dtype: Optional[str] = None, keepdims: bool = False,  # noqa: A001
        acc_dtype: Optional[str] = None) -> TensorVariable:
    """Theano's ``sum``: accumulates in ``acc_dtype`` (default: the result dtype), returns ``dtype``."""
    acc = _red.sum(input, axis=axis, keepdims=keepdims, dtype=acc_dtype or dtype)
    return _cast_to(acc, dtype)


def prod(input: Any, axis: Any = None, dtype: Optional[str] = None, keepdims: bool = False,
         acc_dtype: Optional[str] = None, no_zeros_in_input: bool = False) -> TensorVariable:
    """Theano's ``prod``; ``no_zeros_in_input`` is accepted (the gradient here is exact at zeros anyway)."""
    x = as_tensor_variable(input)
    if acc_dtype is not None:
        x = _cast_to(x, acc_dtype)
    return _cast_to(_red.prod(x, axis=axis, keepdims=keepdims), dtype)


def mean(input: Any, axis: Any = None, dtype: Optional[str] = None, op: bool = False, keepdims: bool = False,
         acc_dtype: Optional[str] = None) -> TensorVariable:
    """Theano's ``mean``: the sum runs in ``acc_dtype`` and the result is cast to ``dtype``
    (default: the input's float dtype, float64 for integers)."""
    x = as_tensor_variable(input)
    if acc_dtype is not None and as_dtype(acc_dtype) != x.dtype:
        x = _ew.cast(x, as_dtype(acc_dtype))
    result = _red.mean(x, axis=axis, keepdims=keepdims)
    if dtype is None and acc_dtype is not None:
        base = as_tensor_variable(input).dtype
        dtype = base if base.startswith(("float", "complex")) else None
    return _cast_to(result, dtype)


def var(input: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False, corrected: bool = False) -> TensorVariable:
    """Theano's ``var``; ``corrected`` (the two-pass correction) changes nothing here: the
    computation is already two-pass."""
    return _red.var(input, axis=axis, keepdims=keepdims, ddof=ddof)


def std(input: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False, corrected: bool = False) -> TensorVariable:
    return _red.std(input, axis=axis, keepdims=keepdims, ddof=ddof)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:  # noqa: A001
    return _red.max(x, axis=axis, keepdims=keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:  # noqa: A001
    return _red.min(x, axis=axis, keepdims=keepdims)


def argmax(x: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:
    return _red.argmax(x, axis=axis, keepdims=keepdims)


def argmin(x: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:
    return _red.argmin(x, axis=axis, keepdims=keepdims)


def max_and_argmax(a: Any, axis: Any = None, keepdims: bool = False) -> Tuple[TensorVariable, TensorVariable]:
    """``(max(a, axis), argmax(a, axis))``."""
    return _red.max(a, axis=axis, keepdims=keepdims), _red.argmax(a, axis=axis, keepdims=keepdims)


def largest(*args: Any) -> TensorVariable:
    """The element-wise maximum of all arguments."""
    out = as_tensor_variable(args[0])
    for a in args[1:]:
        out = _ew.maximum(out, a)
    return out


def smallest(*args: Any) -> TensorVariable:
    """The element-wise minimum of all arguments."""
    out = as_tensor_variable(args[0])
    for a in args[1:]:
        out = _ew.minimum(out, a)
    return out


# --- broadcastable rows and columns: Theano's row()/col() have a static 1 --------------------------
def _fixed(shape: Tuple[Optional[int], ...], default: Optional[str], label: str):
    def make(name: Optional[str] = None, dtype: Any = default) -> TensorVariable:
        return TensorType(as_dtype(dtype), shape).make_variable(name)

    make.__name__ = label
    make.__doc__ = f"A symbolic {'1xN row' if shape[0] == 1 else 'Nx1 column'} ({label}: broadcastable on the 1)."
    return make


def _many(single):
    """Theano's plural constructors (``T.scalars``, ``T.dmatrices``, ``T.rows`` ...): an int ``n``
    gives a list of ``n`` anonymous variables; one name gives one variable; several names, or one
    string of several characters, give a list with one variable per name -- Theano iterates over
    a single string, so ``T.scalars('xy')`` is ``[scalar('x'), scalar('y')]``."""

    def many(*names: Any):
        if names and isinstance(names[0], int):
            return [single() for _ in builtins.range(names[0])]
        if len(names) == 1:
            names = names[0]
        if len(names) == 1:
            return single(names[0] if isinstance(names, (list, tuple)) else names)
        return [single(n) for n in names]

    many.__name__ = single.__name__ + "s"
    return many


_PREFIX = {"": None, "f": "float32", "d": "float64", "i": "int32", "l": "int64", "c": "complex64", "z": "complex128",
           "b": "int8", "w": "int16"}
_made = {}
for _p, _dt in _PREFIX.items():
    _made[_p + "row"] = _fixed((1, None), _dt, _p + "row")
    _made[_p + "col"] = _fixed((None, 1), _dt, _p + "col")
    _made[_p + "rows"] = _many(_made[_p + "row"])
    _made[_p + "cols"] = _many(_made[_p + "col"])
globals().update(_made)
row, col, rows, cols = _made["row"], _made["col"], _made["rows"], _made["cols"]
frow, fcol, drow, dcol, irow, icol, lrow, lcol = (_made[k] for k in ("frow", "fcol", "drow", "dcol", "irow", "icol",
                                                                    "lrow", "lcol"))
frows, fcols, drows, dcols, irows, icols = (_made[k] for k in ("frows", "fcols", "drows", "dcols", "irows", "icols"))
crow, ccol, zrow, zcol = _made["crow"], _made["ccol"], _made["zrow"], _made["zcol"]


# every plural constructor of theano.tensor with Theano's naming rule (framework's own ``T.scalars('xy')``
# is one variable named 'xy')
from ....tensor.basic import CONSTRUCTORS as _SINGLES, PLURALS as _NATIVE_PLURALS  # noqa: E402

PLURALS = {name: _many(_SINGLES[name[:-3] + "x" if name.endswith("ices") else name[:-1]])
           for name in _NATIVE_PLURALS}
PLURALS.update((k, v) for k, v in _made.items() if k.endswith("s"))

"""Theano 1.0 signatures of reductions and the names ``theano.tensor`` has beyond framework's."""
from __future__ import annotations

import builtins

import numpy as np
from typing import Any, Optional, Sequence, Tuple

from ....core import elemwise as _ew
from ....core import reduce as _red
from ....core.types import TensorType, as_dtype
from ....core.variable import TensorVariable, as_tensor_variable

as_tensor = as_tensor_variable


def _cast_to(v: TensorVariable, dtype: Optional[str]) -> TensorVariable:
    return v if dtype is None or as_dtype(dtype) == v.dtype else _ew.cast(v, as_dtype(dtype))


# Theano's CAReduceDtype: the result of sum/prod of integers is int64 (uint64 for unsigned ones)
# unless ``dtype`` says otherwise, whatever ``acc_dtype`` is
_WIDE = {"bool": "int64", "int8": "int64", "int16": "int64", "int32": "int64",
         "uint8": "uint64", "uint16": "uint64", "uint32": "uint64"}


def _check_acc(what: str, idtype: str, acc_dtype: Optional[str]) -> Optional[str]:
    """Theano's rule for ``acc_dtype``: a float accumulator for integers, or one at least as
    precise as the input; anything narrower is a TypeError (it would lose precision)."""
    if acc_dtype is None:
        return None
    acc = as_dtype(acc_dtype)
    if np.dtype(acc).kind in "fc" and np.dtype(idtype).kind in "biu":
        return acc
    up = np.result_type(np.dtype(idtype), np.dtype(acc)).name
    if up != acc:
        raise TypeError(f"{what}(..., acc_dtype={acc!r}) of a {idtype} input would lose precision: the accumulator "
                        f"must be at least as precise as {up}. Leave acc_dtype out, give dtype= instead (the "
                        f"result is cast at the end), or cast the input yourself")
    return acc


# Theano's default accumulators for floats (CAReduceDtype._acc_dtype; its ``mean`` docstring: "a
# sum of a float32 tensor will be done in float64 ..., but that result will be casted back")
_ACC = {"float16": "float32", "float32": "float64", "complex64": "complex128"}


def _reduce_dtypes(what: str, x: TensorVariable, dtype: Optional[str],
                   acc_dtype: Optional[str]) -> Tuple[str, str]:
    out = as_dtype(dtype) if dtype is not None else _WIDE.get(x.dtype, x.dtype)
    acc = _check_acc(what, x.dtype, acc_dtype)
    if acc is None:  # Theano's default: at least the input's precision (and the result's), wider floats
        wide = _ACC.get(x.dtype, _WIDE.get(x.dtype, x.dtype))
        acc = np.result_type(np.dtype(wide), np.dtype(out)).name
    return out, acc


def sum(input: Any, axis: Any = None, dtype: Optional[str] = None, keepdims: bool = False,  # noqa: A001
        acc_dtype: Optional[str] = None) -> TensorVariable:
    """Theano's ``sum``: accumulates in ``acc_dtype``, returns ``dtype`` (default: the input's,
    int64/uint64 for integers -- also when ``acc_dtype`` is narrower)."""
    x = as_tensor_variable(input)
    out, acc = _reduce_dtypes("sum", x, dtype, acc_dtype)
    return _cast_to(_red.sum(x, axis=axis, keepdims=keepdims, dtype=acc), out)


def prod(input: Any, axis: Any = None, dtype: Optional[str] = None, keepdims: bool = False,
         acc_dtype: Optional[str] = None, no_zeros_in_input: bool = False) -> TensorVariable:
    """Theano's ``prod`` (dtypes as :func:`sum`); ``no_zeros_in_input`` is accepted (the gradient
    here is exact at zeros anyway)."""
    x = as_tensor_variable(input)
    out, acc = _reduce_dtypes("prod", x, dtype, acc_dtype)
    return _cast_to(_red.prod(_cast_to(x, acc), axis=axis, keepdims=keepdims), out)


def mean(input: Any, axis: Any = None, dtype: Optional[str] = None, op: bool = False, keepdims: bool = False,
         acc_dtype: Optional[str] = None) -> TensorVariable:
    """Theano's ``mean``: the sum runs in ``acc_dtype`` and the result is cast to ``dtype``
    (default: the input's float dtype, float64 for integers)."""
    x = as_tensor_variable(input)
    _check_acc("mean", x.dtype, acc_dtype)
    if acc_dtype is None and x.dtype in _ACC:
        acc_dtype = _ACC[x.dtype]  # Theano's default: float32 summed in float64, cast back
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


def _theano_axes(what: str, x: TensorVariable, axis: Any) -> Any:
    """Theano 1.0's ``check_and_normalize_axes``: a list of axes is taken as a set (negative
    entries counted from the end, repeats dropped, sorted); an empty list means every axis."""
    if axis is None or not isinstance(axis, (list, tuple, np.ndarray)) or np.ndim(axis) == 0:
        return axis
    axes = sorted({_red.normalize_axis(a, x.ndim, what)[0] for a in axis})
    return axes or None


def _arg_reduce(kind: str, x: TensorVariable, axis: Any, keepdims: bool) -> TensorVariable:
    """``argmax``/``argmin`` over Theano's axes. framework's own takes one axis or None (NumPy's
    rule); several axes follow Theano 1.0's ``MaxAndArgmax``: the position in the selected axes
    flattened together, in increasing axis order and C order. Built from framework's ops: the
    kept axes first, the selected ones moved last and reshaped into one, the one-axis reduction
    over it (every axis: the flattened input's position, as ``axis=None``)."""
    from ....core import shape_ops as _so

    ax = _theano_axes(kind, x, axis)
    reduce_ = _red.argmax if kind == "argmax" else _red.argmin
    if ax is None or not isinstance(ax, list) or len(ax) == 1:
        return reduce_(x, axis=ax[0] if isinstance(ax, list) else ax, keepdims=keepdims)
    if len(ax) == x.ndim:
        return reduce_(x, axis=None, keepdims=keepdims)
    keep = [i for i in builtins.range(x.ndim) if i not in ax]
    static = [x.type.shape[a] for a in ax]
    if builtins.all(d is not None for d in static):
        n: Any = int(np.prod(static))
    else:
        n = _so.shape_i(x, ax[0])
        for a in ax[1:]:
            n = n * _so.shape_i(x, a)
    moved = _so.reshape(_so.dimshuffle(x, keep + ax), [_so.shape_i(x, i) for i in keep] + [n], ndim=len(keep) + 1)
    out = reduce_(moved, axis=len(keep))
    if keepdims:
        pattern, j = [], 0
        for i in builtins.range(x.ndim):
            pattern.append("x" if i in ax else j)
            j += i not in ax
        out = _so.dimshuffle(out, pattern)
    return out


def argmax(x: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:
    """Theano's ``argmax``; over several axes, the position in those axes flattened together
    (in increasing axis order, C order), as Theano 1.0's ``MaxAndArgmax``."""
    return _arg_reduce("argmax", as_tensor_variable(x), axis, keepdims)


def argmin(x: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:
    """Theano's ``argmin`` (several axes: as :func:`argmax`)."""
    return _arg_reduce("argmin", as_tensor_variable(x), axis, keepdims)


def max_and_argmax(a: Any, axis: Any = None, keepdims: bool = False) -> Tuple[TensorVariable, TensorVariable]:
    """``(max(a, axis), argmax(a, axis))``; ``axis`` may be several axes (see :func:`argmax`)."""
    a = as_tensor_variable(a)
    axis = _theano_axes("max_and_argmax", a, axis)
    return _red.max(a, axis=axis, keepdims=keepdims), _arg_reduce("argmax", a, axis, keepdims)


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
    make.__doc__ = (f"A symbolic {'1xN row' if shape[0] == 1 else 'Nx1 column'} ({label}: broadcastable on the 1)."
                    if 1 in shape else f"A symbolic {len(shape)}-d tensor ({label}).")
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
    _made[_p + "tensor5"] = _fixed((None,) * 5, _dt, _p + "tensor5")  # Theano 1.0's 5-d constructors
    _made[_p + "tensor5s"] = _many(_made[_p + "tensor5"])
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


# --- Theano 1.0 spellings built from framework's ops (no op of their own) ---------------------------
def stack(*tensors: Any, **kwargs: Any) -> TensorVariable:
    """Theano's ``stack(tensors, axis=0)``, and its older ``stack(t1, t2, ...)`` (Theano 1.0 still
    accepts it, with a DeprecationWarning)."""
    from ....core import shape_ops as _so

    if not tensors and not kwargs:
        raise TypeError("stack() needs the tensors to stack: stack([a, b], axis=0)")
    if "tensors" in kwargs:
        seq, axis = kwargs.pop("tensors"), kwargs.pop("axis", 0)
    elif tensors and not isinstance(tensors[0], (list, tuple)):
        if kwargs:
            raise TypeError(f"stack(t1, t2, ...) (the old form) takes no keyword, got {sorted(kwargs)}")
        import warnings

        warnings.warn("stack(*tensors) is deprecated in Theano; write stack(tensors, axis=0)", DeprecationWarning,
                      stacklevel=2)
        seq, axis = list(tensors), 0
    else:
        seq = tensors[0]
        axis = tensors[1] if len(tensors) == 2 else kwargs.pop("axis", 0)
    return _so.stack(list(seq), axis=axis)


def flatten(x: Any, ndim: Optional[int] = None, outdim: Optional[int] = None) -> TensorVariable:
    """Theano's ``flatten(x, ndim=1)``; ``outdim`` is its older name."""
    from ....core import shape_ops as _so

    if ndim is not None and outdim is not None:
        raise ValueError("flatten(): give ndim or outdim (its older name), not both")
    return _so.flatten(x, ndim if ndim is not None else outdim if outdim is not None else 1)


def round_half_to_even(a: Any) -> TensorVariable:
    """Round to the nearest integer, ties to the even one (NumPy's ``round``)."""
    from ....tensor import round as _round

    return _round(a)


def round_half_away_from_zero(a: Any) -> TensorVariable:
    """Round to the nearest integer, ties away from zero (C's ``round``): ``0.5`` -> 1, ``-2.5`` -> -3.
    A complex value has both parts rounded (as NumPy's ``round`` does with ties to even)."""
    a = as_tensor_variable(a)
    if a.dtype.startswith("complex"):
        from .complex_parts import complex as _complex, imag, real

        return _complex(round_half_away_from_zero(real(a)), round_half_away_from_zero(imag(a)))
    if not a.dtype.startswith("float"):
        return a
    # not floor(|a| + 0.5): that sum rounds (0.49999999999999994 + 0.5 is 1.0, 2**52 + 1 + 0.5
    # is 2**52 + 2); the fraction |a| - floor(|a|) is exact. Zeros keep their sign, as C's round.
    # (infinities are kept apart: inf - floor(inf) would be an invalid operation)
    m = _ew.abs_(a)
    inf = _ew.isinf(m)
    f = _ew.switch(inf, np.asarray(0, dtype=a.dtype), m)
    t = _ew.floor(f)
    r = _ew.switch(inf, m, t + _ew.cast(_ew.ge(f - t, np.asarray(0.5, dtype=a.dtype)), a.dtype))
    return _ew.switch(_ew.eq(a, 0), a, _ew.switch(_ew.lt(a, 0), -r, r))


def round(a: Any, mode: Optional[str] = None) -> TensorVariable:  # noqa: A001 -- Theano's name
    """Theano's ``round(a, mode)``: ``'half_to_even'`` (the default, as NumPy) or ``'half_away_from_zero'``."""
    if mode is None or mode == "half_to_even":
        return round_half_to_even(a)
    if mode == "half_away_from_zero":
        return round_half_away_from_zero(a)
    raise ValueError(f"round(): mode must be 'half_to_even' or 'half_away_from_zero', not {mode!r}")


def iround(a: Any, mode: Optional[str] = None) -> TensorVariable:
    """``cast(round(a, mode), 'int64')``."""
    return _ew.cast(round(a, mode), "int64")


def ptp(a: Any, axis: Any = None) -> TensorVariable:
    """Range of values (maximum - minimum) along ``axis``."""
    return _red.max(a, axis=axis) - _red.min(a, axis=axis)


def roll(x: Any, shift: Any, axis: Optional[int] = None) -> TensorVariable:
    """NumPy's ``roll``: elements shifted by ``shift`` along ``axis`` (the flattened array when None)."""
    from ....core import shape_ops as _so

    x = as_tensor_variable(x)
    if axis is None:
        if x.ndim > 1:
            return _so.reshape(roll(_so.flatten(x, 1), shift, 0), x.shape, ndim=x.ndim)
        axis = 0
    if axis < 0:
        axis += x.ndim
    shift = shift % x.shape[axis]
    front = tuple([slice(None)] * axis + [slice(-shift, None)])
    end = tuple([slice(None)] * axis + [slice(0, -shift)])
    return _so.join(axis, x[front], x[end])


def diag(v: Any, k: int = 0) -> TensorVariable:
    """Theano's (and NumPy's) ``diag``: a vector ``v`` gives the square matrix with ``v`` on its
    ``k``-th diagonal (``k > 0`` above the main one, ``k < 0`` below); a matrix gives its ``k``-th
    diagonal, as a vector. Built from indexing, so the gradient is the indexing's."""
    from ....core.errors import format_trace, user_trace
    from ....core.linalg import alloc_diag, extract_diag

    v = as_tensor_variable(v)
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"diag(v, k): k must be an integer (the diagonal's offset), got {k!r} "
                        f"(at {format_trace(user_trace())})")
    k = int(k)
    if v.ndim not in (1, 2):
        raise ValueError(f"diag(): expected a vector or a matrix, got {v.ndim} dimension(s) ({v.type}; at "
                         f"{format_trace(user_trace())})")
    if k == 0:
        return alloc_diag(v) if v.ndim == 1 else extract_diag(v)
    return _diag_vector(v, k) if v.ndim == 1 else _diag_of_matrix(v, k)


def _diag_positions(length: Any, k: int) -> Tuple[TensorVariable, TensorVariable]:
    """The rows and columns of the ``k``-th diagonal's first ``length`` entries."""
    from ....core import shape_ops as _so

    steps = _so.arange(length)
    return (steps - k if k < 0 else steps), (steps + k if k > 0 else steps)


def _diag_vector(v: TensorVariable, k: int) -> TensorVariable:
    from ....core import shape_ops as _so
    from ....core.subtensor import set_subtensor

    n = v.type.shape[0] if v.type.shape[0] is not None else _so.shape_i(v, 0)
    size = n + builtins.abs(k)
    rows, cols = _diag_positions(n, k)
    return set_subtensor(_so.zeros((size, size), dtype=v.dtype)[rows, cols], v)


def _diag_of_matrix(x: TensorVariable, k: int) -> TensorVariable:
    from ....core import shape_ops as _so

    n, m = x.type.shape
    if n is not None and m is not None:  # NumPy's length, known when building
        length: Any = builtins.max(0, builtins.min(n + builtins.min(k, 0), m - builtins.max(k, 0)))
    else:
        rows, cols = _so.shape_i(x, 0), _so.shape_i(x, 1)
        length = _ew.maximum(_ew.minimum(rows + builtins.min(k, 0), cols - builtins.max(k, 0)), 0)
    r, c = _diag_positions(length, k)
    return x[r, c]


def tile(x: Any, reps: Any, ndim: Optional[int] = None) -> TensorVariable:
    """NumPy's ``tile``: ``x`` repeated ``reps[i]`` times along axis ``i`` (``reps``: a list of ints or
    symbolic scalars; ``x`` gets leading axes when ``reps`` is longer)."""
    from ....core import shape_ops as _so

    x = as_tensor_variable(x)
    reps = list(reps) if isinstance(reps, (list, tuple)) else [reps[i] for i in builtins.range(ndim or x.ndim)]
    nd = ndim if ndim is not None else builtins.max(len(reps), x.ndim)
    if len(reps) > nd or x.ndim > nd:
        raise ValueError(f"tile(): ndim={nd} is smaller than len(reps)={len(reps)} or x.ndim={x.ndim}")
    reps = [1] * (nd - len(reps)) + reps
    if x.ndim < nd:
        x = x.dimshuffle(["x"] * (nd - x.ndim) + list(builtins.range(x.ndim)))
    pattern: list = []
    for i in builtins.range(nd):
        pattern += ["x", i]
    shape: list = []
    for i in builtins.range(nd):
        shape += [reps[i], x.shape[i]]
    big = _so.alloc(x.dimshuffle(pattern), *shape)
    return _so.reshape(big, [reps[i] * x.shape[i] for i in builtins.range(nd)], ndim=nd)


# --- broadcastable patterns: Theano's types say which axes have size 1 ----------------------------
def _is_pattern(b: Any) -> bool:
    """A Theano broadcastable pattern (bools, or 0/1), not a framework static shape (which has
    None or sizes other than 0/1)."""
    try:
        items = list(b)
    except TypeError:
        return False
    return builtins.all(isinstance(e, (bool, np.bool_)) or (isinstance(e, (int, np.integer)) and e in (0, 1))
                        for e in items)


def _shape_of(pattern: Any) -> Tuple[Optional[int], ...]:
    return tuple(1 if b else None for b in pattern)


class _TensorTypeMeta(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, TensorType)

    def __subclasscheck__(cls, sub: Any) -> bool:
        return isinstance(sub, type) and issubclass(sub, TensorType)

    def __call__(cls, dtype: Any, broadcastable: Any = (), name: Optional[str] = None,
                 sparse_grad: bool = False) -> TensorType:
        shape = _shape_of(broadcastable) if _is_pattern(broadcastable) else tuple(broadcastable)
        return TensorType(as_dtype(dtype), shape)


class TheanoTensorType(metaclass=_TensorTypeMeta):
    """Theano's ``TensorType(dtype, broadcastable)``: a broadcastable pattern of bools (True: the
    axis has size 1) gives framework's type with static size 1 there and unknown sizes elsewhere;
    a framework static shape (with None or sizes) is taken as it is. ``isinstance(t, TensorType)``
    holds for every framework tensor type."""


def tensor(*args: Any, **kwargs: Any) -> TensorVariable:
    """Theano's ``tensor(dtype, broadcastable, name=None)`` (framework's ``tensor(dtype, shape,
    name, ndim)`` where the second argument is a static shape)."""
    from ....tensor.basic import tensor as _native

    pattern = kwargs.pop("broadcastable", args[1] if len(args) > 1 else None)
    if pattern is not None and _is_pattern(pattern):
        dtype = args[0] if args else kwargs.pop("dtype", None)
        return _native(dtype, _shape_of(pattern), kwargs.pop("name", args[2] if len(args) > 2 else None))
    return _native(*args, **kwargs)


def patternbroadcast(x: Any, broadcastable: Sequence[bool]) -> TensorVariable:
    """``x`` with Theano's broadcastable pattern: True axes must have size 1 (checked when the
    function runs), False ones become of unknown size."""
    from ....core import shape_ops as _so

    x = as_tensor_variable(x)
    if len(broadcastable) != x.ndim:
        raise ValueError(f"patternbroadcast: the pattern {tuple(broadcastable)} has {len(broadcastable)} entries "
                         f"for a {x.ndim}-d {x.type}")
    return _so.rebroadcast(x, [(i, bool(b)) for i, b in enumerate(broadcastable)])


def addbroadcast(x: Any, *axes: int) -> TensorVariable:
    """``x`` with ``axes`` declared of size 1 (broadcastable); a size other than 1 there is a
    ValueError when the function runs."""
    from ....core import shape_ops as _so

    return _so.rebroadcast(x, [(a, True) for a in axes])


def unbroadcast(x: Any, *axes: int) -> TensorVariable:
    """``x`` with ``axes`` no longer broadcastable (of unknown size); the values are unchanged."""
    from ....core import shape_ops as _so

    return _so.rebroadcast(x, [(a, False) for a in axes])


# --- constructors --------------------------------------------------------------------------------
def eye(n: Any, m: Any = None, k: int = 0, dtype: Any = None) -> TensorVariable:
    """Theano's ``eye``: an ``n`` x ``m`` (default ``n``) matrix with ones on the ``k``-th diagonal;
    ``dtype`` defaults to ``config.floatX``. ``n``, ``m`` and ``k`` may be symbolic integers."""
    from ....config import config
    from ....core import shape_ops as _so

    if m is None:
        m = n
    rows = _so.arange(as_tensor_variable(n), dtype="int64")
    cols = _so.arange(as_tensor_variable(m), dtype="int64")
    ones = _ew.eq(_so.dimshuffle(rows, (0, "x")) + k, _so.dimshuffle(cols, ("x", 0)))
    return _ew.cast(ones, as_dtype(dtype if dtype is not None else config.floatX))


def identity_like(x: Any) -> TensorVariable:
    """``eye`` of the shape and dtype of the matrix ``x``."""
    from ....core import shape_ops as _so

    x = as_tensor_variable(x)
    return eye(_so.shape_i(x, 0), _so.shape_i(x, 1), 0, x.dtype)


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None) -> TensorVariable:
    """Theano's ``arange``: without ``dtype``, integer bounds give int64 (uint64 for unsigned
    ones) whatever their own width ("don't be stingy", Theano's comment); floats the upcast."""
    from ....core import shape_ops as _so

    if dtype is None:
        if stop is None:
            start, stop = 0, start
        ins = [as_tensor_variable(v) for v in (start, stop, step)]
        dts = [np.dtype(v.dtype) for v in ins]
        if builtins.all(d.kind in "biu" for d in dts):
            unsigned = builtins.all(d.kind == "u" and not _weak(v) for d, v in zip(dts, ins))
            dtype = "uint64" if unsigned else "int64"
        return _so.arange(*ins, dtype=dtype)
    return _so.arange(start, stop, step, dtype=dtype)


def _weak(v: Any) -> bool:
    return bool(getattr(v, "weak", False))


class _Grid:
    """``mgrid[0:3, 0:4]`` / ``ogrid[...]``: Theano's ``_nd_grid``, a list of one tensor per slice
    (dense: each broadcast to the full grid; open: each of size 1 but on its own axis)."""

    def __init__(self, sparse: bool) -> None:
        self.sparse = sparse

    def __getitem__(self, slices: Any) -> list:
        if not isinstance(slices, tuple):
            slices = (slices,)
        from ....core import shape_ops as _so

        ndim = len(slices)
        for sl in slices:
            if not isinstance(sl, slice) or isinstance(sl.step, complex):
                raise NotImplementedError(f"{'ogrid' if self.sparse else 'mgrid'}: only slices with real "
                                          f"steps are supported, got {sl!r}")
        ranges = [arange(sl.start or 0, sl.stop, sl.step or 1) for sl in slices]
        ranges = [_so.dimshuffle(r, ["x"] * j + [0] + ["x"] * (ndim - 1 - j)) for j, r in enumerate(ranges)]
        if self.sparse:
            return ranges
        grids = []
        for i in builtins.range(ndim):
            g = ranges[i]
            for j in builtins.range(ndim):
                if j != i:
                    g = g * _ew.ones_like(ranges[j])
            grids.append(g)
        return grids


mgrid = _Grid(sparse=False)
ogrid = _Grid(sparse=True)


def constant(x: Any, name: Optional[str] = None, ndim: Optional[int] = None, dtype: Any = None) -> TensorVariable:
    """Theano's ``constant(x, name, ndim, dtype)``: ``ndim`` adds leading axes of size 1 to reach
    it, or removes leading size-1 axes; anything else is a ValueError."""
    from ....core.variable import constant as _constant

    if ndim is not None:
        arr = np.asarray(x, dtype=dtype)
        while arr.ndim < ndim:
            arr = arr[None]
        while arr.ndim > ndim and arr.shape[0] == 1:
            arr = arr[0]
        if arr.ndim != ndim:
            raise ValueError(f"constant: a value of shape {np.shape(x)} cannot be made {ndim}-d "
                             f"(only leading axes of size 1 are added or removed)")
        x = arr
    return _constant(x, name=name, dtype=dtype) if dtype is not None else _constant(x, name=name)

"""``theano.tensor.subtensor``: Theano 1.0's signatures of ``inc_subtensor``/``set_subtensor``,
``take`` and the ``advanced_*subtensor1`` helpers, built on framework's one indexing op pair
(:mod:`framework.core.subtensor`); and ``choose`` (``T.choose``), selection by an index array."""
from __future__ import annotations

from typing import Any

from ....core import elemwise as _ew
from ....core import nonzero as _nz
from ....core import shape_ops as _so
from ....core import subtensor as _st
from ....core.errors import format_trace, user_trace
from ....core.shape_ops import DimShuffle
from ....core.subtensor import IncSubtensor, Subtensor
from ....core.variable import TensorVariable, as_tensor_variable

__all__ = ["inc_subtensor", "set_subtensor", "take", "advanced_subtensor1", "advanced_inc_subtensor1",
           "advanced_set_subtensor1", "Subtensor", "IncSubtensor", "choose"]


def _permutation_of_indexing(x: Any):
    """``(inner, order)`` when ``x`` is a permutation (``dimshuffle``/``.T``) of an indexing
    result, else None."""
    node = getattr(x, "owner", None)
    if node is None or not isinstance(node.op, DimShuffle):
        return None
    inner = node.inputs[0]
    order = tuple(node.op.pattern)
    if sorted(p for p in order if p != "x") != list(range(inner.ndim)) or "x" in order:
        return None
    if getattr(inner, "owner", None) is None or not isinstance(inner.owner.op, Subtensor):
        return None
    return inner, order


def inc_subtensor(x: Any, y: Any, inplace: bool = False, set_instead_of_inc: bool = False,
                  tolerate_inplace_aliasing: bool = False) -> TensorVariable:
    """Theano's ``inc_subtensor``: ``x`` is an indexing result (``m[2:, i]``, ``m[idx]``), or a
    transposition of one (``m[1:].T``: the result is then the same transposition of the whole
    updated tensor, as in Theano). ``set_instead_of_inc=True`` sets instead. ``inplace`` and
    ``tolerate_inplace_aliasing`` are accepted; Theano's docstring says not to use them (its
    optimizer decides), and here too the rewrites decide what runs in place: the result is the same."""
    perm = _permutation_of_indexing(x)
    if perm is not None:
        inner, order = perm
        y = as_tensor_variable(y)
        if y.ndim > inner.ndim:
            raise TypeError(f"inc_subtensor: a {y.ndim}-d value cannot increment a {inner.ndim}-d region "
                            f"(at {format_trace(user_trace())})")
        y = _so.shape_padleft(y, inner.ndim - y.ndim) if y.ndim < inner.ndim else y
        inverse = [order.index(k) for k in range(inner.ndim)]
        out = inc_subtensor(inner, _so.dimshuffle(y, inverse), set_instead_of_inc=set_instead_of_inc)
        return _so.dimshuffle(out, order)
    return (_st.set_subtensor if set_instead_of_inc else _st.inc_subtensor)(x, y)


def set_subtensor(x: Any, y: Any, inplace: bool = False, tolerate_inplace_aliasing: bool = False) -> TensorVariable:
    """Theano's ``set_subtensor`` (``inc_subtensor(..., set_instead_of_inc=True)``). Where an index
    array repeats a position, the last value written there wins (NumPy's assignment)."""
    return inc_subtensor(x, y, set_instead_of_inc=True)


def advanced_subtensor1(x: Any, ilist: Any) -> TensorVariable:
    """``x[ilist]`` for an integer vector ``ilist`` (Theano's ``AdvancedSubtensor1``)."""
    ilist = as_tensor_variable(ilist)
    if ilist.ndim != 1:
        raise TypeError(f"advanced_subtensor1: the index must be an integer vector, got {ilist.type}")
    return as_tensor_variable(x)[ilist]


def advanced_inc_subtensor1(x: Any, y: Any, ilist: Any) -> TensorVariable:
    """``inc_subtensor(x[ilist], y)``: repeated indices add every contribution."""
    return inc_subtensor(advanced_subtensor1(x, ilist), y)


def advanced_set_subtensor1(x: Any, y: Any, ilist: Any) -> TensorVariable:
    return set_subtensor(advanced_subtensor1(x, ilist), y)


take = _st.take  # NumPy's and Theano's signature: framework.core.subtensor.take


# --- theano.tensor.basic's nonzero family (exported by theano.tensor), kept beside the indexing
# it is built on. Theano 1.0 refuses a 0-d input in all three (ValueError); framework's
# flatnonzero/nonzero_values take it as a 1-element vector, as NumPy's flatnonzero does.

def _not_0d(what: str, a: Any) -> TensorVariable:
    a = as_tensor_variable(a)
    if a.ndim == 0:
        raise ValueError(f"{what} of the 0-d tensor {a}: Theano's nonzero family takes tensors of rank >= 1 "
                         f"(flatten it first: {what}(a.flatten())) (at {format_trace(user_trace())})")
    return a


def nonzero(a: Any, return_matrix: bool = False) -> Any:
    """Theano's ``nonzero(a, return_matrix=False)``: a tuple of int64 vectors (one per axis), or
    with ``return_matrix`` one int64 matrix of shape ``(a.ndim, count)``."""
    return _nz.nonzero(_not_0d("nonzero", a), return_matrix=return_matrix)


def flatnonzero(a: Any) -> TensorVariable:
    """Theano's ``flatnonzero(a)``: the positions of the non-zero entries of ``a.flatten()``."""
    return _nz.flatnonzero(_not_0d("flatnonzero", a))


def nonzero_values(a: Any) -> TensorVariable:
    """Theano's ``nonzero_values(a)``: the non-zero entries of ``a.flatten()``, in order."""
    return _nz.nonzero_values(_not_0d("nonzero_values", a))


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)


def choose(a: Any, choices: Any, out: Any = None, mode: str = "raise") -> TensorVariable:
    """Theano's (and NumPy's) ``choose``: entry by entry, ``choices[a[i]][i]``, ``a`` and every choice
    broadcast together. ``choices``: a list or tuple of tensors, or a tensor whose first axis
    (of known length) lists them. ``mode``: ``'raise'`` (an index outside ``[0, n)`` is an
    ``AssertionError`` naming it when the function runs -- NumPy's and Theano's ``ValueError``
    there), ``'wrap'`` (taken modulo ``n``) or ``'clip'`` (clipped to ``[0, n - 1]``). The result's
    dtype is the choices' promotion; the gradient reaches each choice where it was chosen."""
    from .checks import Assert

    where = f"(at {format_trace(user_trace())})"
    if out is not None:
        raise TypeError(f"choose(..., out=...): a symbolic result has no output buffer to fill; leave out out {where}")
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"choose(): mode must be 'raise', 'wrap' or 'clip', not {mode!r} {where}")
    a = as_tensor_variable(a)
    if a.dtype[:3] not in ("int", "uin", "boo"):
        raise TypeError(f"choose(): the index array must hold integers, got {a.type} {where}")
    if isinstance(choices, (list, tuple)):
        options = [as_tensor_variable(c) for c in choices]
    else:
        stacked = as_tensor_variable(choices)
        n = stacked.type.shape[0] if stacked.ndim else None
        if n is None:
            raise TypeError(f"choose(): choices is a tensor whose first axis has no known length ({stacked.type}); "
                            f"give the choices as a list, or declare the length with T.specify_shape {where}")
        options = [stacked[i] for i in range(n)]
    if not options:
        raise ValueError(f"choose(): there must be at least one choice {where}")
    n = len(options)
    index = _ew.cast(a, "int64")
    if mode == "wrap":
        index = _ew.mod(index, n)
    elif mode == "clip":
        index = _ew.clip(index, 0, n - 1)
    else:
        from ....core import reduce as _red

        index = Assert(f"choose(): an index is outside [0, {n}) (mode='raise')")(
            index, _red.all(_ew.and_(_ew.ge(index, 0), _ew.lt(index, n))))
    result = options[-1]
    for k in range(n - 2, -1, -1):
        result = _ew.switch(_ew.eq(index, k), options[k], result)
    if n == 1:  # still broadcast against the index array, as NumPy does
        result = _ew.switch(_ew.eq(index, 0), options[0], options[0])
    return result

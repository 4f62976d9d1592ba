"""Small helpers the standard rewrites share: matching element-wise nodes and
constants, and building replacements that keep the replaced variable's type."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from . import elemwise as E
from .elemwise import Elemwise
from .fgraph import FunctionGraph
from .graph import Apply, Constant, Variable
from .shape_ops import DimShuffle, dimshuffle
from .types import TensorType

__all__ = ["ew", "const_value", "is_const", "all_equal", "as_type", "same_dtype", "cannot_enlarge", "negated", "neg",
           "single_client", "terms", "factors", "product", "signed_sum"]


def ew(v: Variable, *names: str) -> Optional[Apply]:
    """The node computing ``v`` if it is an element-wise op named one of ``names``."""
    node = v.owner
    if node is not None and isinstance(node.op, Elemwise) and (not names or node.op.scalar.name in names):
        return node
    return None


def const_value(v: Variable) -> Optional[np.ndarray]:
    """The value of ``v`` when it is a constant (seen through dimshuffles), else None."""
    while v.owner is not None and isinstance(v.owner.op, DimShuffle):
        v = v.owner.inputs[0]
    if isinstance(v, Constant):
        return np.asarray(v.data)
    return None


def is_const(v: Variable, value: float, broadcasts: bool = True) -> bool:
    """Whether ``v`` is a constant whose every element equals ``value``.

    With ``broadcasts=False`` the constant must also have size 1 on every
    axis, so that combining it with another tensor cannot enlarge that tensor.
    """
    data = const_value(v)
    if data is None or data.size == 0:
        return False
    if not broadcasts and any(d != 1 for d in v.type.shape):
        return False
    return all_equal(data, value)


def all_equal(data: np.ndarray, value: Any) -> bool:
    """Whether every element of ``data`` equals ``value``; a one-element array is
    compared as a scalar (``numpy.all`` keeps a little memory per call, which adds
    up over thousands of compilations)."""
    with np.errstate(all="ignore"):
        if data.size == 1:
            return bool(data.reshape(()) == value)
        return bool(np.all(data == value))


def as_type(new: Variable, old: Variable) -> Optional[Variable]:
    """``new`` made to have ``old``'s dtype and number of dimensions, or None.

    The dtype is cast (used where the rewritten expression computes the same
    values in ``old``'s dtype); missing leading axes are added as broadcast
    axes. A replacement with more dimensions than ``old`` is refused.
    """
    if not isinstance(new.type, TensorType) or not isinstance(old.type, TensorType):
        return None
    if new.type.ndim > old.type.ndim:
        return None
    if new.type.dtype != old.type.dtype:
        new = E.cast(new, old.type.dtype)
    if new.type.ndim < old.type.ndim:
        new = dimshuffle(new, ["x"] * (old.type.ndim - new.type.ndim) + list(range(new.type.ndim)))
    return new


def same_dtype(new: Variable, old: Variable) -> Optional[Variable]:
    """``new`` when it has ``old``'s dtype and ndim (no casting), else None."""
    if getattr(new.type, "dtype", None) == getattr(old.type, "dtype", None) and new.type.ndim == old.type.ndim:
        return new
    return None


def cannot_enlarge(small: Variable, big: Variable) -> bool:
    """Whether broadcasting ``small`` against ``big`` always gives ``big``'s shape
    (by static shapes: ``small`` has no more axes, and each of its sizes is 1
    or equals ``big``'s known size on that axis)."""
    s, b = small.type.shape, big.type.shape
    if len(s) > len(b):
        return False
    off = len(b) - len(s)
    return all(d == 1 or (d is not None and d == b[off + i]) for i, d in enumerate(s))


def negated(v: Variable) -> Tuple[Variable, bool]:
    """``(u, True)`` when ``v`` is ``-u``, else ``(v, False)``."""
    node = ew(v, "neg")
    if node is not None:
        return node.inputs[0], True
    return v, False


def neg(v: Variable) -> Variable:
    """``-v`` in the form the canonicalize stage would give it (``--x`` → ``x``,
    ``-(x - y)`` → ``y - x``, ``-(-x - y)`` → ``y + x``), so that an expression a
    later stage builds merges with the same expression canonicalized elsewhere
    (``grad`` differentiates a canonicalized copy of the cost)."""
    node = ew(v, "neg", "sub")
    if node is None:
        return E.neg(v)
    if node.op.scalar.name == "neg":
        return node.inputs[0]
    a, b = node.inputs
    if a.type.dtype != v.type.dtype or b.type.dtype != v.type.dtype:
        return E.neg(v)
    inner = ew(a, "neg")
    return E.add(b, inner.inputs[0]) if inner is not None else E.sub(b, a)


def single_client(fgraph: FunctionGraph, v: Variable) -> bool:
    """Whether exactly one node reads ``v`` (once) and ``v`` is not an output."""
    clients = fgraph.clients.get(v, [])
    return len(clients) == 1 and clients[0][0] != "output"


def terms(v: Variable) -> List[Tuple[int, Variable]]:
    """``v`` as a signed sum: ``[(+1, a), (-1, b), ...]`` through add, sub and neg."""
    node = ew(v, "add", "sub", "neg")
    if node is None:
        return [(1, v)]
    name = node.op.scalar.name
    if name == "neg":
        return [(-s, t) for s, t in terms(node.inputs[0])]
    left, right = terms(node.inputs[0]), terms(node.inputs[1])
    if name == "sub":
        right = [(-s, t) for s, t in right]
    return left + right


def factors(v: Variable) -> Tuple[int, List[Variable]]:
    """``v`` as a signed product ``(sign, [f1, f2, ...])`` through mul and neg."""
    node = ew(v, "mul", "neg")
    if node is None:
        return 1, [v]
    if node.op.scalar.name == "neg":
        s, fs = factors(node.inputs[0])
        return -s, fs
    s1, f1 = factors(node.inputs[0])
    s2, f2 = factors(node.inputs[1])
    return s1 * s2, f1 + f2


def product(fs: Sequence[Variable]) -> Optional[Variable]:
    out: Optional[Variable] = None
    for f in fs:
        out = f if out is None else E.mul(out, f)
    return out


def signed_sum(parts: Sequence[Tuple[int, Variable]]) -> Variable:
    """``+a - b + c ...`` built with add/sub (a leading minus becomes neg)."""
    pos = [t for s, t in parts if s > 0]
    negs = [t for s, t in parts if s < 0]
    out: Optional[Variable] = None
    for t in pos:
        out = t if out is None else E.add(out, t)
    for t in negs:
        out = E.neg(t) if out is None else E.sub(out, t)
    assert out is not None
    return out

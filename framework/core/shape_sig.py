"""Symbolic shape signatures: when two variables provably have the same shape.

The signature of a variable has one entry per axis: an int where the size is
known when the graph is built, else a token naming where the size comes from
(``(root_variable, axis)``, or a fresh token when nothing is known). Two
variables with equal signatures have equal run-time shapes, so a gradient
never needs to sum one back to the other's shape -- this is what lets ``grad``
leave out most ``sum_to_shape`` nodes although sizes are unknown (``?``).

Rules are per op class; an op without a rule gets fresh tokens (always sound).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Sequence, Tuple

from .graph import Apply, Variable
from .types import TensorType

Signature = Tuple[Any, ...]


def _fresh(v: Variable) -> Signature:
    return tuple(d if d is not None else (v, i) for i, d in enumerate(v.type.shape))


def shape_signature(v: Variable) -> Signature:
    """The signature of ``v`` (memoised on the variable)."""
    sig = v.tag.get("_shape_sig")
    if sig is not None:
        return sig
    if not isinstance(v.type, TensorType):
        return ()
    node = v.owner
    sig = None
    if node is not None:
        rule = _RULES.get(type(node.op))
        if rule is not None:
            sig = rule(node, v)
    if sig is None or len(sig) != v.ndim:
        sig = _fresh(v)
    else:  # a size known statically always wins
        sig = tuple(d if d is not None else s for d, s in zip(v.type.shape, sig))
    v.tag["_shape_sig"] = sig
    return sig


def broadcast_signature(sigs: Sequence[Signature], ndim: int) -> Signature:
    """The signature of the broadcast of shapes with signatures ``sigs``.

    An axis keeps a token when every operand that has the axis (and is not
    statically 1 there) carries that same token. Otherwise the size is the
    broadcast of those operands' sizes -- a function of them alone -- so it
    gets the token ``("bcast", {their tokens})``: two results broadcast from
    the same sizes have equal sizes, and broadcasting is associative, so
    nested tokens are flattened.
    """
    out: list = []
    for axis in range(ndim):
        entries = {s[axis - ndim + len(s)] for s in sigs if axis - ndim + len(s) >= 0}
        entries.discard(1)
        if not entries:
            out.append(1)
        elif len(entries) == 1:
            out.append(entries.pop())
        else:
            flat: set = set()
            for e in entries:
                if isinstance(e, tuple) and len(e) == 2 and e[0] == "bcast":
                    flat |= e[1]
                else:
                    flat.add(e)
            out.append(("bcast", frozenset(flat)))
    return tuple(out)


def _broadcast(node: Apply, v: Variable) -> Optional[Signature]:
    """Element-wise broadcasting (see :func:`broadcast_signature`)."""
    return broadcast_signature([shape_signature(i) for i in node.inputs if isinstance(i.type, TensorType)], v.ndim)


def _like_input(k: int) -> Callable[[Apply, Variable], Optional[Signature]]:
    def rule(node: Apply, v: Variable) -> Optional[Signature]:
        return shape_signature(node.inputs[k])

    return rule


def _from_dims(node: Apply, v: Variable) -> Optional[Signature]:
    """Ops whose output shape is given by scalar inputs 1.. (``shape_i(x, k)`` or ints)."""
    from .shape_ops import Shape_i, static_int

    out = []
    for d in node.inputs[1:]:
        known = static_int(d)
        if known is not None:
            out.append(known)
        elif d.owner is not None and isinstance(d.owner.op, Shape_i):
            out.append(shape_signature(d.owner.inputs[0])[d.owner.op.i])
        else:
            out.append((v, len(out)))
    return tuple(out)


def _dimshuffle(node: Apply, v: Variable) -> Optional[Signature]:
    sig = shape_signature(node.inputs[0])
    return tuple(1 if p == "x" else sig[p] for p in node.op.pattern)


def _reduce(node: Apply, v: Variable) -> Optional[Signature]:
    sig = shape_signature(node.inputs[0])
    axes = range(len(sig)) if node.op.axis is None else node.op.axis
    if node.op.keepdims:
        return tuple(1 if i in axes else s for i, s in enumerate(sig))
    return tuple(s for i, s in enumerate(sig) if i not in axes)


def _dot(node: Apply, v: Variable) -> Optional[Signature]:
    a, b = (shape_signature(i) for i in node.inputs)
    if len(a) == 2 and len(b) == 2:
        return (a[0], b[1])
    if len(a) == 2 and len(b) == 1:
        return (a[0],)
    if len(a) == 1 and len(b) == 2:
        return (b[1],)
    if len(a) == 1 and len(b) == 1:
        return ()
    return None


_RULES: Dict[type, Callable[[Apply, Variable], Optional[Signature]]] = {}


def register_rule(op_class: type, rule: Callable[[Apply, Variable], Optional[Signature]]) -> None:
    """Teach signatures about another op class (plugins may call this)."""
    _RULES[op_class] = rule


def _install() -> None:
    from . import blas, elemwise, grad, reduce, shape_ops

    register_rule(elemwise.Elemwise, _broadcast)
    register_rule(elemwise.SumToShape, _from_dims)
    register_rule(shape_ops.BroadcastLike, _from_dims)
    register_rule(shape_ops.Alloc, _from_dims)
    register_rule(shape_ops.DimShuffle, _dimshuffle)
    register_rule(reduce.Reduce, _reduce)
    register_rule(grad.GradCut, _like_input(0))
    register_rule(blas.Dot, _dot)


_install()

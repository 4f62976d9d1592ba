"""Symbolic shape signatures: when two variables provably have the same shape.

The signature of a variable has one entry per axis: an int where the size is
known when the graph is built, else a token naming where the size comes from
(``(root_variable, axis)``, or a fresh token when nothing is known). Two
variables with equal signatures have equal run-time shapes, so a gradient
never needs to sum one back to the other's shape -- this is what lets ``grad``
leave out most ``sum_to_shape`` nodes although sizes are unknown (``?``).

Signatures are derived from each op's own ``infer_shape`` (see
:mod:`framework.core.shape_infer`); an op without one gets fresh tokens
(always sound).
"""
from __future__ import annotations

from typing import Any, Sequence, Tuple

from .graph import Variable
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
        from .shape_infer import infer_shapes

        # a size the op cannot give is its output's own, ``shape_i(v, k)`` (see shape_infer): while
        # the rule is read, v's axes stand for themselves
        v.tag["_shape_sig"] = _fresh(v)
        shapes = infer_shapes(node, cached=True)
        if shapes is not None:
            sig = tuple(dim_key(d) for d in shapes[v.index])
    if sig is None or len(sig) != v.ndim:
        sig = _fresh(v)
    else:  # a size known statically always wins
        sig = tuple(d if d is not None else s for d, s in zip(v.type.shape, sig))
    v.tag["_shape_sig"] = sig
    return sig


def dim_key(d: Any) -> Any:
    """The token of a size given as an int or an int scalar variable: equal
    tokens mean equal sizes (the int itself, a shape signature entry, the
    broadcast of tokens, or the variable itself when nothing better is known)."""
    if not isinstance(d, Variable):
        return int(d)
    from .shape_ops import static_int

    known = static_int(d)
    if known is not None:
        return known
    node = d.owner
    if node is None:
        return d
    from .shape_infer import BroadcastDim, CheckShapes
    from .shape_ops import Shape_i

    # by class, not by name: a user's op named "shape_i" is not a size (issue 17; tests/plugins/test_name_clashes.py)
    op_type = type(node.op)
    if op_type is Shape_i:
        return shape_signature(node.inputs[0])[node.op.i]
    if op_type is BroadcastDim:
        return broadcast_signature([(dim_key(i),) for i in node.inputs], 1)[0]
    if op_type is CheckShapes or is_int_cast(node):
        return dim_key(node.inputs[0])
    from .shape_ops import Shape
    from .subtensor import Subtensor

    # x.shape[k] with a constant k, before the shape rewrites make it shape_i (a draw's size)
    if op_type is Subtensor and len(node.inputs) == 1 and len(node.op.template) == 1 \
            and type(node.op.template[0]) is int:
        src = node.inputs[0].owner
        if src is not None and type(src.op) is Shape:
            x = src.inputs[0]
            k = node.op.template[0]
            if -x.type.ndim <= k < x.type.ndim:
                return shape_signature(x)[k]
    return d


def is_int_cast(node: Any) -> bool:
    """Whether ``node`` is the element-wise cast of one value to an integer dtype (sizes pass through
    it unchanged)."""
    from .elemwise import Elemwise

    return (type(node.op) is Elemwise and len(node.inputs) == 1
            and node.op.scalar.name.startswith("cast_int"))


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

"""Numerical stabilisation: rewrite expressions that overflow, underflow or
lose precision into equal forms that do not.

Part of the kernel: ``grad`` differentiates the stabilised cost whatever
plugins are installed (the ``rewrites`` plugin also runs these rewrites in
FAST_RUN's ``stabilize`` stage).

``log(sigmoid(x))`` is ``-softplus(-x)``: the left side gives ``-inf`` once
``sigmoid(x)`` underflows to 0 (x < -745 in float64), the right side is
finite. The cross-entropy of a sigmoid output, ``t*log(p) + (1-t)*log(1-p)``
with ``p = sigmoid(z)``, is computed from the logits as ``t*z - softplus(z)``
(exact algebra: ``log sigmoid(z) = -softplus(-z)`` and ``softplus(-z) =
softplus(z) - z``), by the table row ``sigmoid_xent(z, t)`` = ``max(z, 0) - t*z +
log1p(exp(-|z|))``: finite for every ``z``, it keeps its digits when tiny, costs far
less, and its gradient in ``z`` is simply ``sigmoid(z) - t``.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

from . import elemwise as E
from .fgraph import FunctionGraph
from .graph import Apply, Variable
from .nnet_ops import LogSoftmax, Softmax
from .subtensor import Subtensor
from ..plugins import RewriteSpec

from .patterns import as_type, cannot_enlarge, ew, factors, is_const, neg, negated, product, signed_sum, terms

Result = Optional[List[Variable]]


def _keep(new: Variable, old: Variable) -> Result:
    out = as_type(new, old)
    return None if out is None else [out]


def _one_minus(v: Variable) -> Optional[Variable]:
    """``t`` when ``v`` is ``1 - t`` (the 1 not broadcasting ``t``)."""
    node = ew(v, "sub")
    if node is not None and is_const(node.inputs[0], 1) and cannot_enlarge(node.inputs[0], node.inputs[1]):
        return node.inputs[1]
    node = ew(v, "add")  # 1 + -t
    if node is not None:
        for c, other in ((node.inputs[0], node.inputs[1]), (node.inputs[1], node.inputs[0])):
            n = ew(other, "neg")
            if n is not None and is_const(c, 1) and cannot_enlarge(c, other):
                return n.inputs[0]
    return None


def _sigmoid_arg(v: Variable) -> Optional[Variable]:
    node = ew(v, "sigmoid")
    return node.inputs[0] if node is not None else None


def log_sigmoid(fgraph: FunctionGraph, node: Apply) -> Result:
    """``log(sigmoid(x))`` → ``-softplus(-x)``."""
    x = _sigmoid_arg(node.inputs[0])
    if x is None:
        return None
    return _keep(E.neg(E.softplus(neg(x))), node.outputs[0])


def log_one_minus_sigmoid(fgraph: FunctionGraph, node: Apply) -> Result:
    """``log(1 - sigmoid(x))`` and ``log1p(-sigmoid(x))`` → ``-softplus(x)``."""
    arg = node.inputs[0]
    if node.op.scalar.name == "log":
        s = _one_minus(arg)
    else:
        n = ew(arg, "neg")
        s = n.inputs[0] if n is not None else None
    x = _sigmoid_arg(s) if s is not None else None
    if x is None:
        return None
    return _keep(E.neg(E.softplus(x)), node.outputs[0])


def one_minus_sigmoid(fgraph: FunctionGraph, node: Apply) -> Result:
    """``1 - sigmoid(x)`` → ``sigmoid(-x)`` (exact where ``1 - s`` rounds to 0)."""
    s = _one_minus(node.outputs[0])
    x = _sigmoid_arg(s) if s is not None else None
    if x is None:
        return None
    return _keep(E.sigmoid(neg(x)), node.outputs[0])


def _exp_plus_one(v: Variable) -> Optional[Variable]:
    """``x`` when ``v`` is ``1 + exp(x)`` or ``exp(x) + 1``."""
    node = ew(v, "add")
    if node is None:
        return None
    for c, other in ((node.inputs[0], node.inputs[1]), (node.inputs[1], node.inputs[0])):
        e = ew(other, "exp")
        if e is not None and is_const(c, 1) and cannot_enlarge(c, other):
            return e.inputs[0]
    return None


def softplus_from_log(fgraph: FunctionGraph, node: Apply) -> Result:
    """``log(1 + exp(x))`` and ``log1p(exp(x))`` → ``softplus(x)``."""
    arg = node.inputs[0]
    if node.op.scalar.name == "log":
        x = _exp_plus_one(arg)
    else:
        e = ew(arg, "exp")
        x = e.inputs[0] if e is not None else None
    if x is None:
        return None
    n = ew(x, "neg")
    if n is not None and ew(n.inputs[0], "abs") is not None:
        return None  # log1p(exp(-|u|)) cannot overflow: it is already the stable form
    return _keep(E.softplus(x), node.outputs[0])


def log1p_from_log(fgraph: FunctionGraph, node: Apply) -> Result:
    """``log(1 + x)`` → ``log1p(x)`` (exact for tiny ``x``, where ``1 + x`` rounds to 1)."""
    add = ew(node.inputs[0], "add")
    if add is None:
        return None
    for c, x in ((add.inputs[0], add.inputs[1]), (add.inputs[1], add.inputs[0])):
        if is_const(c, 1) and cannot_enlarge(c, x):
            return _keep(E.log1p(x), node.outputs[0])
    return None


def expm1_from_exp(fgraph: FunctionGraph, node: Apply) -> Result:
    """``exp(x) - 1`` (or ``exp(x) + -1``) → ``expm1(x)``."""
    a, b = node.inputs
    if node.op.scalar.name == "sub":
        pairs = [(a, b, 1)]
    else:
        pairs = [(a, b, -1), (b, a, -1)]
    for e_var, c, value in pairs:
        e = ew(e_var, "exp")
        if e is not None and is_const(c, value) and cannot_enlarge(c, e_var):
            return _keep(E.expm1(e.inputs[0]), node.outputs[0])
    return None


def log_softmax_from_log(fgraph: FunctionGraph, node: Apply) -> Result:
    """``log(softmax(x))`` → ``log_softmax(x)``; ``log(softmax(x)[idx])`` →
    ``log_softmax(x)[idx]`` (the categorical cross-entropy with class indices)."""
    arg = node.inputs[0]
    src = arg.owner
    if src is None:
        return None
    if isinstance(src.op, Softmax):
        return _keep(LogSoftmax(src.op.axis)(src.inputs[0]), node.outputs[0])
    if isinstance(src.op, Subtensor):
        inner = src.inputs[0].owner
        if inner is not None and isinstance(inner.op, Softmax):
            ls = LogSoftmax(inner.op.axis)(inner.inputs[0])
            return _keep(Subtensor(src.op.template)(ls, *src.inputs[1:]), node.outputs[0])
    return None


def log_sum_exp(fgraph: FunctionGraph, node: Apply) -> Result:
    """``log(sum(exp(x), axis, keepdims))`` → ``logsumexp(x, axis, keepdims)``: the maximum is
    taken out before exponentiating (Theano's ``local_log_sum_exp``), so a sum whose terms
    overflow (x > 709 in float64, 88 in float32) or all underflow no longer gives ``inf`` or
    ``-inf``; where the naive form is finite the two agree to rounding, and its ``inf``, ``-inf``
    and NaN are kept (see :class:`~framework.core.reduce.LogSumExp`)."""
    from .reduce import LogSumExp, Reduce

    src = node.inputs[0].owner
    if src is None or type(src.op) is not Reduce or src.op.kind != "sum" or src.op.dtype is not None:
        return None
    e = ew(src.inputs[0], "exp")
    if e is None:
        return None
    x = e.inputs[0]
    if not x.dtype.startswith("float") or x.dtype != src.inputs[0].dtype:
        return None
    return _keep(LogSumExp(src.op.axis, src.op.keepdims)(x), node.outputs[0])


def log_add_exp(fgraph: FunctionGraph, node: Apply) -> Result:
    """``log(exp(a) + exp(b) [+ exp(c) ...])`` → ``logaddexp(logaddexp(a, b), c) ...`` (Theano's
    ``local_log_add``): finite where an ``exp`` overflows (a > 709 in float64) or both underflow;
    ``inf``, ``-inf`` and NaN as the naive form gives them."""
    if ew(node.inputs[0], "add") is None:
        return None
    parts = terms(node.inputs[0])
    if any(sign < 0 for sign, _ in parts):
        return None
    args = []
    for _, term in parts:
        e = ew(term, "exp")
        if e is None or not e.inputs[0].dtype.startswith("float"):
            return None
        args.append(e.inputs[0])
    out = args[0]
    for a in args[1:]:
        out = E.logaddexp(out, a)
    return _keep(out, node.outputs[0])


def _quotient(v: Variable, num: List[Variable], den: List[Variable]) -> int:
    """Flatten ``v`` into numerator and denominator factors through mul, true_div
    and neg; returns the sign."""
    node = ew(v, "mul", "true_div", "neg")
    if node is None:
        num.append(v)
        return 1
    name = node.op.scalar.name
    if name == "neg":
        return -_quotient(node.inputs[0], num, den)
    if name == "mul":
        return _quotient(node.inputs[0], num, den) * _quotient(node.inputs[1], num, den)
    return _quotient(node.inputs[0], num, den) * _quotient(node.inputs[1], den, num)


def sigmoid_from_exp(fgraph: FunctionGraph, node: Apply) -> Result:
    """A quotient with a factor ``1 + exp(w)`` below the line: with ``exp(w)``
    above it → ``sigmoid(w)``, else → ``sigmoid(-w)`` above the line. So the
    hand-written ``1 / (1 + exp(-x))`` becomes ``sigmoid(x)``, which the other
    stabilisations recognise, and which never computes ``inf / inf``."""
    num: List[Variable] = []
    den: List[Variable] = []
    sign = _quotient(node.outputs[0], num, den)
    changed = False
    for d in list(den):
        w = _exp_plus_one(d)
        if w is None:
            continue
        den.remove(d)
        changed = True
        match = next((f for f in num if ew(f, "exp") is not None and f.owner.inputs[0] is w), None)
        if match is not None:
            num.remove(match)
            num.append(E.sigmoid(w))
        else:
            num.append(E.sigmoid(neg(w)))
    if not changed:
        return None
    # constant ones above the line are dropped when they cannot broadcast the rest
    kept = [f for f in num if not (is_const(f, 1) and any(cannot_enlarge(f, g) for g in num if g is not f))]
    top = product(kept)
    assert top is not None
    bottom = product(den)
    out = top if bottom is None else E.true_div(top, bottom)
    return _keep(out if sign > 0 else E.neg(out), node.outputs[0])


# --- cross-entropy of a sigmoid, from the logits ----------------------------------------

LogSig = Tuple[int, Variable, bool]  # f = sign * log(sigmoid(-base if flipped else base))


def _log_sigmoid_form(f: Variable) -> Optional[LogSig]:
    """Read ``f`` as ``±log(sigmoid(±z))``, in any of its raw or stabilised spellings."""
    node = ew(f, "log", "log1p", "softplus")
    if node is None:
        return None
    name, arg = node.op.scalar.name, node.inputs[0]
    if name == "softplus":  # softplus(y) = -log(sigmoid(-y))
        base, flipped = negated(arg)
        return -1, base, not flipped
    if name == "log":
        x = _sigmoid_arg(arg)
        if x is not None:
            base, flipped = negated(x)
            return 1, base, flipped
        s = _one_minus(arg)
        x = _sigmoid_arg(s) if s is not None else None
        if x is not None:  # log(1 - sigmoid(y)) = log(sigmoid(-y))
            base, flipped = negated(x)
            return 1, base, not flipped
        return None
    n = ew(arg, "neg")  # log1p(-sigmoid(y)) = log(sigmoid(-y))
    x = _sigmoid_arg(n.inputs[0]) if n is not None else None
    if x is not None:
        base, flipped = negated(x)
        return 1, base, not flipped
    return None


def sigmoid_crossentropy(fgraph: FunctionGraph, node: Apply) -> Result:
    """``w*log(sigmoid(u)) + (1-w)*log(sigmoid(-u))`` (in a signed sum, in any
    spelling, e.g. ``t*log(p) + (1-t)*log(1-p)`` with ``p = sigmoid(u)``)
    → ``-sigmoid_xent(u, w)``, i.e. ``w*u - softplus(u)`` computed as
    ``-(max(u, 0) - w*u + log1p(exp(-|u|)))`` by one element-wise row."""
    out = node.outputs[0]
    parts = terms(out)
    if len(parts) < 2:
        return None
    read = []  # per term: (coefficient sign, weight factors, log-sigmoid form) or None
    for s, t in parts:
        sign, fs = factors(t)
        found = None
        for k, f in enumerate(fs):
            form = _log_sigmoid_form(f)
            if form is not None:
                found = (s * sign * form[0], fs[:k] + fs[k + 1:], form[1], form[2])
                break
        read.append(found)
    for a, ra in enumerate(read):
        if ra is None:
            continue
        for b, rb in enumerate(read):
            if b == a or rb is None:
                continue
            ca, wa, base_a, flip_a = ra
            cb, wb, base_b, flip_b = rb
            if ca != cb or base_a is not base_b or flip_a == flip_b or len(wa) != 1 or len(wb) != 1:
                continue
            if _one_minus(wb[0]) is not wa[0]:
                continue  # need wb = 1 - wa
            u = neg(base_a) if flip_a else base_a
            # one table row: finite for every u, keeps the digits of a tiny loss, and its
            # gradient is sigmoid(u) - w instead of the chain through max and abs
            loss = E.sigmoid_xent(u, wa[0])
            rest = [p for k, p in enumerate(parts) if k not in (a, b)]
            return _keep(signed_sum(rest + [(-ca, loss)]), out)
    return None


REWRITES = [
    RewriteSpec("sigmoid_from_exp", sigmoid_from_exp, stage="stabilize", tracks=("true_div",),
                tags=("stabilize",), doc="1 / (1 + exp(-x)) -> sigmoid(x); exp(x) / (1 + exp(x)) -> sigmoid(x)"),
    RewriteSpec("one_minus_sigmoid", one_minus_sigmoid, stage="stabilize", tracks=("sub", "add"),
                tags=("stabilize", "off_by_default"),
                doc="1 - sigmoid(x) -> sigmoid(-x) (off by default: it costs a sigmoid where gradients "
                    "compute z * (1 - z); the log forms are stabilised without it)"),
    RewriteSpec("log_sigmoid", log_sigmoid, stage="stabilize", tracks=("log",),
                tags=("stabilize",), doc="log(sigmoid(x)) -> -softplus(-x)"),
    RewriteSpec("log_one_minus_sigmoid", log_one_minus_sigmoid, stage="stabilize", tracks=("log", "log1p"),
                tags=("stabilize",), doc="log(1 - sigmoid(x)) -> -softplus(x)"),
    RewriteSpec("softplus_from_log", softplus_from_log, stage="stabilize", tracks=("log", "log1p"),
                tags=("stabilize",), doc="log(1 + exp(x)) -> softplus(x)"),
    RewriteSpec("log1p_from_log", log1p_from_log, stage="stabilize", tracks=("log",),
                tags=("stabilize",), doc="log(1 + x) -> log1p(x)"),
    RewriteSpec("expm1_from_exp", expm1_from_exp, stage="stabilize", tracks=("sub", "add"),
                tags=("stabilize",), doc="exp(x) - 1 -> expm1(x)"),
    RewriteSpec("log_add_exp", log_add_exp, stage="stabilize", tracks=("log",),
                tags=("stabilize",), doc="log(exp(a) + exp(b)) -> logaddexp(a, b)"),
    RewriteSpec("log_sum_exp", log_sum_exp, stage="stabilize", tracks=("log",),
                tags=("stabilize",), doc="log(sum(exp(x), axis)) -> logsumexp(x, axis): max(x) + log(sum(exp(x - max)))"),
    RewriteSpec("log_softmax_from_log", log_softmax_from_log, stage="stabilize", tracks=("log",),
                tags=("stabilize",), doc="log(softmax(x)) -> log_softmax(x)"),
    RewriteSpec("sigmoid_crossentropy", sigmoid_crossentropy, stage="stabilize", tracks=("add", "sub", "neg"),
                tags=("stabilize",), doc="t*log(sigmoid(z)) + (1-t)*log(1-sigmoid(z)) -> t*z - softplus(z)"),
]

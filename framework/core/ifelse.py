"""``ifelse(cond, then, else)``: a lazy conditional, and the plan that makes it lazy.

Unlike the element-wise ``switch``, ``ifelse`` takes a scalar condition and
computes only the branch it takes: the linker puts the nodes that only one
branch needs inside a real ``if``/``else`` of the generated function
(:func:`lazy_plan` says which). Nodes both branches (or anything else) need
are computed before the ``if`` as usual. Its gradient is an ``ifelse`` of
the output gradient and zeros, so the backward pass is lazy too; it works in
scan's inner graph like any op.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import format_trace, user_trace
from .graph import Apply, Constant, Variable
from .op import Op
from .types import TensorType
from .variable import TensorVariable, as_tensor_variable, constant


class IfElse(Op):
    """``n_outs`` outputs: ``then[i] if cond else else_[i]``; inputs are ``[cond, *then, *else_]``.

    ``lazy = True`` tells the linker to run only the taken branch (see
    :func:`lazy_plan`); ``impl`` is the eager fallback used where no plan
    applies (constant folding, say), and picks without computing anything.
    """
    complex_grad = True  # structural

    __props__ = ("n_outs",)
    name = "ifelse"
    lazy = True

    def __init__(self, n_outs: int) -> None:
        self.n_outs = n_outs
        self.nout = n_outs
        # each output is one of its two branch values: the linker copies it where that aliases storage
        self.view_map = {k: [1 + k, 1 + n_outs + k] for k in range(n_outs)}

    def make_node(self, cond: Any, *branches: Any) -> Apply:
        n = self.n_outs
        if len(branches) != 2 * n:
            raise TypeError(f"ifelse: expected {n} then-value(s) and {n} else-value(s), got {len(branches)} in all")
        cond = as_tensor_variable(cond)
        if cond.ndim != 0:
            raise TypeError(f"ifelse: the condition must be a scalar, got {cond.type} "
                            f"(use T.switch for an element-wise choice) (at {format_trace(user_trace())})")
        # a Python number becomes a constant of its default dtype; made a strong (array) constant
        # here, as the branch value is the output itself
        values = [_strong(as_tensor_variable(b)) for b in branches]
        types = []
        for k, (t, e) in enumerate(zip(values[:n], values[n:])):
            if t.dtype != e.dtype or t.ndim != e.ndim:
                raise TypeError(f"ifelse: then-value {k} is {t.type} but else-value {k} is {e.type}; both branches "
                                f"must have the same dtype and number of dimensions (at {format_trace(user_trace())})")
            shape = tuple(a if a == b else None for a, b in zip(t.type.shape, e.type.shape))
            types.append(TensorType(t.dtype, shape))
        return Apply(self, [cond] + values, types)

    def branches(self, node: Apply) -> Tuple[List[int], List[int]]:
        """Input positions of the then-values and of the else-values."""
        n = self.n_outs
        return list(range(1, 1 + n)), list(range(1 + n, 1 + 2 * n))

    def impl(self, xp: Any, cond: Any, *values: Any) -> Any:
        n = self.n_outs
        chosen = values[:n] if bool(cond) else values[n:]
        return chosen[0] if n == 1 else tuple(chosen)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        from .elemwise import zeros_like

        n, cond = self.n_outs, node.inputs[0]
        then, else_ = node.inputs[1:1 + n], node.inputs[1 + n:]
        gt, ge = [], []
        for t, e, g in zip(then, else_, output_grads):
            if g is None or not t.dtype.startswith(("float", "complex")):
                gt.append(None)
                ge.append(None)
                continue
            gt.append(ifelse(cond, g, zeros_like(t)))
            ge.append(ifelse(cond, zeros_like(e), g))
        return [None] + gt + ge

    def pp(self, node: Apply, args: Sequence[str]) -> Tuple[str, int]:
        n = self.n_outs
        then = ", ".join(args[1:1 + n])
        else_ = ", ".join(args[1 + n:])
        return f"ifelse({args[0]}, {then}, {else_})", 100


def _strong(v: TensorVariable) -> TensorVariable:
    """A weak constant (a Python number) as an array constant of the same dtype."""
    if isinstance(v, Constant) and getattr(v, "weak", False):
        return constant(np.asarray(v.data, dtype=v.dtype), dtype=v.dtype)
    return v


def ifelse(condition: Any, then_branch: Any, else_branch: Any, name: Optional[str] = None
           ) -> Union[TensorVariable, List[TensorVariable], Tuple[TensorVariable, ...]]:
    """``then_branch`` if the scalar ``condition`` is true, else ``else_branch``, computing only
    the branch taken. Each branch is a variable or a list of variables (matched pairwise); the
    result is a variable, a list or a tuple, as ``then_branch`` is (Theano's rule)."""
    single = not isinstance(then_branch, (list, tuple))
    then = [then_branch] if single else list(then_branch)
    else_ = [else_branch] if not isinstance(else_branch, (list, tuple)) else list(else_branch)
    if len(then) != len(else_):
        raise ValueError(f"ifelse: {len(then)} then-value(s) but {len(else_)} else-value(s); they are matched "
                         "pairwise")
    outs = IfElse(len(then))(condition, *then, *else_)
    outs = [outs] if isinstance(outs, Variable) else list(outs)
    if name is not None:
        for k, o in enumerate(outs):
            o.name = name if single else f"{name}[{k}]"
    if single:
        return outs[0]
    return tuple(outs) if isinstance(then_branch, tuple) else outs


# --- the linker's plan ---------------------------------------------------------------

Entry = Tuple[str, Apply, int]  # (kind, node, indent); kind: run | if | then_end | else | else_end


def branch_blocks(order: Sequence[Apply],
                  clients: Dict[Variable, List[Tuple[Any, int]]]) -> Dict[Apply, Tuple[Apply, int]]:
    """Which branch of which lazy node each node belongs to (nodes run unconditionally are absent):
    a node belongs to branch ``b`` of lazy node L when every use of its outputs is that branch's
    inputs of L, or another node of the branch (and none is a function output); with several
    lazy nodes, the innermost. Rewrites that merge nodes (fusion) keep to one block, so that a
    branch's work -- and its errors -- stay in its branch."""
    position = {n: k for k, n in enumerate(order)}
    block: Dict[Apply, Tuple[Apply, int]] = {}
    for lazy in (n for n in order if getattr(n.op, "lazy", False)):  # inner conditionals first
        for b, idxs in enumerate(lazy.op.branches(lazy)):
            members: set = set()
            wanted = set(idxs)
            for node in reversed(order[:position[lazy]]):
                used, ok = False, True
                for o in node.outputs:
                    for client, i in clients.get(o, []):
                        used = True
                        if client == "output" or not ((client is lazy and i in wanted) or client in members):
                            ok = False
                            break
                    if not ok:
                        break
                if ok and used:
                    members.add(node)
            for node in members:
                block.setdefault(node, (lazy, b))
    return block


def lazy_plan(order: Sequence[Apply], clients: Dict[Variable, List[Tuple[Any, int]]]) -> List[Entry]:
    """The schedule of ``order`` with each lazy node's branch-only nodes moved into its branches.

    A node belongs to a branch of lazy node L when every use of its outputs is
    that branch's inputs of L, or another node of the branch (and none is a
    function output). With several lazy nodes, a node goes to the innermost.
    Without lazy nodes the plan is ``order`` itself.
    """
    if not any(getattr(n.op, "lazy", False) for n in order):
        return [("run", n, 0) for n in order]
    block = branch_blocks(order, clients)
    plan: List[Entry] = []

    def emit(key: Optional[Tuple[Apply, int]], indent: int) -> None:
        for node in order:
            if block.get(node) != key:
                continue
            if not getattr(node.op, "lazy", False):
                plan.append(("run", node, indent))
                continue
            plan.append(("if", node, indent))
            emit((node, 0), indent + 1)
            plan.append(("then_end", node, indent + 1))
            plan.append(("else", node, indent))
            emit((node, 1), indent + 1)
            plan.append(("else_end", node, indent + 1))

    emit(None, 0)
    return plan


def entry_inputs(entry: Entry) -> List[Variable]:
    """The variables an entry of the plan reads."""
    kind, node, _ = entry
    if kind == "run":
        return list(node.inputs)
    if kind == "if":
        return [node.inputs[0]]
    if kind in ("then_end", "else_end"):
        then, else_ = node.op.branches(node)
        return [node.inputs[i] for i in (then if kind == "then_end" else else_)]
    return []

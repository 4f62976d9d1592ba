"""Fused element-wise programs: one node for a chain of element-wise ops.

The fusion rewrite replaces a connected group of :class:`~framework.core.elemwise.Elemwise`
nodes by one :class:`Fused` node. Its op carries the group's *scalar program*
(:class:`ScalarProgram`), a backend-neutral description built only from rows
of the element-wise table, so that:

* any backend runs it: the op's own kernel runs the steps one by one through
  the table's reference implementations (``Fused.impl``);
* a backend lowers it through its own table (``Backend.lowerings['fused']``):
  the NumPy backend generates one Python function that reuses buffers
  (``framework_backend_numpy.fused``), the CuPy backend compiles one
  ``ElementwiseKernel``;
* its gradient is the gradient of the element-wise graph it stands for
  (the program is expanded back into Elemwise nodes).

The program format (see :class:`ScalarProgram`)::

    inputs  = ("float64", "float64")              # dtype of each node input
    steps   = (Step("neg", (("in", 0),), "float64"),
               Step("softplus", (("step", 0),), "float64"),
               Step("mul", (("in", 1), ("const", 2.0, None)), "float64"),
               Step("sub", (("step", 1), ("step", 2)), "float64"))
    outputs = (("step", 3),)

A reference is ``("in", k)`` (node input ``k``), ``("step", j)`` (the result
of step ``j``) or ``("const", value, dtype)``: a scalar written into the
program, ``dtype`` None for a *weak* Python scalar (it takes the other
operand's dtype, as in NumPy 2) or a dtype name for a typed scalar.
``Step.op`` names a row of :data:`~framework.core.elemwise.SCALAR_OPS`;
``Step.dtype`` is the step's result dtype (NumPy's rules, as for the unfused
node). Backends lower the program through their own tables keyed by row name
(the CuPy backend's C expressions, the NumPy backend's ufunc calls).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from .elemwise import SCALAR_OPS, apply as apply_elemwise
from .graph import Apply, Variable
from .op import Op
from .types import TensorType, broadcast_shapes, is_int
from .variable import TensorVariable, as_tensor_variable, constant

Ref = Tuple[Any, ...]  # ("in", k) | ("step", j) | ("const", value, dtype or None)


@dataclass(frozen=True)
class Step:
    """One step of a scalar program: ``op`` (a row name) applied to ``args``."""

    op: str
    args: Tuple[Ref, ...]
    dtype: str


@dataclass(frozen=True)
class ScalarProgram:
    """A straight-line element-wise program (see the module docstring)."""

    inputs: Tuple[str, ...]
    steps: Tuple[Step, ...]
    outputs: Tuple[Ref, ...]

    def __post_init__(self) -> None:
        for j, step in enumerate(self.steps):
            if step.op not in SCALAR_OPS:
                raise ValueError(f"scalar program step {j}: {step.op!r} is not a row of the element-wise table")
            row = SCALAR_OPS[step.op]
            if len(step.args) != row.nin:
                raise ValueError(f"scalar program step {j}: {step.op} takes {row.nin} argument(s), "
                                 f"got {len(step.args)}")
            for ref in step.args:
                _check_ref(ref, len(self.inputs), j)
        for ref in self.outputs:
            _check_ref(ref, len(self.inputs), len(self.steps))

    def describe(self) -> str:
        """``t0 = neg(i0); t1 = softplus(t0); ...; -> t3`` (for printing and errors)."""
        body = [f"t{j} = {s.op}({', '.join(_ref_name(r) for r in s.args)})" for j, s in enumerate(self.steps)]
        return "; ".join(body) + " -> " + ", ".join(_ref_name(r) for r in self.outputs)


def _check_ref(ref: Ref, n_inputs: int, n_steps_before: int) -> None:
    ok = (isinstance(ref, tuple) and len(ref) >= 2 and (
        (ref[0] == "in" and 0 <= ref[1] < n_inputs) or
        (ref[0] == "step" and 0 <= ref[1] < n_steps_before) or
        (ref[0] == "const" and len(ref) == 3)))
    if not ok:
        raise ValueError(f"invalid scalar program reference {ref!r}")


def _ref_name(r: Ref) -> str:
    return {"in": "i", "step": "t"}[r[0]] + str(r[1]) if r[0] != "const" else repr(r[1])


def const_value(ref: Ref) -> Any:
    """The run-time value of a ``("const", value, dtype)`` reference."""
    return ref[1] if ref[2] is None else np.dtype(ref[2]).type(ref[1])


# --- the op ---------------------------------------------------------------------------

class Fused(Op):
    """A fused element-wise program over broadcast inputs (see the module docstring).

    ``destroy``: input indices whose storage the kernel may overwrite (set by
    the in-place rewrite, only for inputs nothing else reads afterwards).
    """
    complex_grad = True  # each step's row decides (built after grad)
    fresh_storage = True  # outputs are new arrays
    host_bookkeeping = True  # cheap on small host values (GPU placement)

    __props__ = ("program", "destroy")

    def __init__(self, program: ScalarProgram, destroy: Tuple[int, ...] = ()) -> None:
        self.program = program
        self.destroy = tuple(sorted(destroy))
        self.name = "fused"
        self.nout = len(program.outputs)
        self.destroy_map = {o: list(self.destroy) for o in range(self.nout)} if self.destroy else {}
        # an output that is an input passed through is a view of it
        self.view_map = {o: [r[1]] for o, r in enumerate(program.outputs) if r[0] == "in"}

    def output_bounds(self, node: Apply, index: int) -> Optional[Tuple[float, float]]:
        """The bounds of the row whose step computes output ``index`` (None for an input passed through)."""
        ref = self.program.outputs[index]
        if ref[0] != "step" or str(node.outputs[index].type.dtype).startswith("complex"):
            return None  # a row's bounds are for real values (a complex sigmoid is unbounded)
        return SCALAR_OPS[self.program.steps[ref[1]].op].bounds

    def __str__(self) -> str:
        ops = ",".join(s.op for s in self.program.steps)
        extra = f"; inplace={list(self.destroy)}" if self.destroy else ""
        return f"fused{{{ops}{extra}}}"

    __repr__ = __str__

    def with_destroy(self, destroy: Sequence[int]) -> "Fused":
        return Fused(self.program, tuple(destroy))

    # --- building -------------------------------------------------------------
    def make_node(self, *inputs: Any) -> Apply:
        prog = self.program
        ins = [as_tensor_variable(i) for i in inputs]
        if len(ins) != len(prog.inputs):
            raise TypeError(f"op '{self}' takes {len(prog.inputs)} input(s), got {len(ins)}")
        for k, (v, dt) in enumerate(zip(ins, prog.inputs)):
            if v.type.dtype != dt:
                raise TypeError(f"op '{self}': input {k} must have dtype {dt}, got {v.type}")
        shapes = step_shapes(prog, [v.type.shape for v in ins])
        out_types = []
        for r in prog.outputs:
            if r[0] == "step":
                out_types.append(TensorType(prog.steps[r[1]].dtype, shapes[r[1]]))
            elif r[0] == "in":
                out_types.append(ins[r[1]].type)
            else:
                out_types.append(TensorType(np.asarray(const_value(r)).dtype, ()))
        return Apply(self, ins, out_types)

    # --- meaning ----------------------------------------------------------------
    def impl(self, xp: Any, *values: Any) -> Any:
        """Reference: every step through the table's implementation (no buffer reuse)."""
        outs = walk(self.program, values, const_value, lambda s, args: SCALAR_OPS[s.op].impl(xp, *args))
        return outs[0] if len(outs) == 1 else tuple(outs)

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        from .grad import grad as grad_

        outs = expand(self.program, node.inputs)
        known = {o: g for o, g in zip(outs, output_grads) if g is not None}
        wrt = [x for x in node.inputs if not is_int(x.dtype)]
        if not known or not wrt:
            return [None] * len(node.inputs)
        grads = grad_(None, wrt, known_grads=known, disconnected_inputs="ignore", return_disconnected="none")
        by_input = dict(zip(wrt, grads))
        return [by_input.get(x) for x in node.inputs]

    def pp(self, node: Apply, args: Sequence[str]) -> Tuple[str, int]:
        return render(self.program, args), 0

    def explain_failure(self, node: Apply, exc: BaseException, values: Sequence[Any]) -> Optional[BaseException]:
        """An error naming the element-wise op (and the user's line) that failed
        inside the fused node: the steps are replayed one by one on ``values``.
        Needs ``node.tag['fused_from']``, the original nodes (set by fusion)."""
        from .linker import wrap_node_error

        members = node.tag.get("fused_from")
        prog = self.program
        if not members or len(members) != len(prog.steps):
            return None
        xp = _namespace_of(values)
        env: List[Any] = []
        for s, member in zip(prog.steps, members):
            args = [values[r[1]] if r[0] == "in" else env[r[1]] if r[0] == "step" else const_value(r)
                    for r in s.args]
            try:
                with np.errstate(all="ignore"):
                    env.append(SCALAR_OPS[s.op].impl(xp, *args))
            except Exception:
                return wrap_node_error(member, exc, args)
        return None


def _namespace_of(values: Sequence[Any]) -> Any:
    import sys

    for v in values:
        mod = sys.modules.get(type(v).__module__.split(".")[0])
        if mod is not None and mod is not np and hasattr(mod, "asarray"):
            return mod
    return np


def step_shapes(prog: ScalarProgram, in_shapes: Sequence[Tuple[Optional[int], ...]]) -> List[Tuple[Optional[int], ...]]:
    """The static shape of every step, broadcasting its arguments' shapes."""
    out: List[Tuple[Optional[int], ...]] = []
    for j, s in enumerate(prog.steps):
        shp = [in_shapes[r[1]] if r[0] == "in" else out[r[1]] if r[0] == "step" else () for r in s.args]
        b = broadcast_shapes(shp)
        if b is None:
            raise ValueError(f"fused step {j} ({s.op}): argument shapes {shp} cannot be broadcast together")
        out.append(b)
    return out


def walk(prog: ScalarProgram, inputs: Sequence[Any], const: Callable[[Ref], Any],
         step: Callable[[Step, List[Any]], Any]) -> List[Any]:
    """The program's outputs, computed by ``step(step, argument values)`` from
    ``inputs`` and ``const(ref)`` for constants (values, variables or text)."""
    env: List[Any] = []

    def val(r: Ref) -> Any:
        return inputs[r[1]] if r[0] == "in" else env[r[1]] if r[0] == "step" else const(r)

    for s in prog.steps:
        env.append(step(s, [val(r) for r in s.args]))
    return [val(r) for r in prog.outputs]


def expand(prog: ScalarProgram, inputs: Sequence[Variable]) -> List[TensorVariable]:
    """The element-wise graph the program stands for, applied to ``inputs``."""
    outs = walk(prog, inputs, lambda r: r[1] if r[2] is None else constant(r[1], dtype=r[2]),
                lambda s, args: apply_elemwise(s.op, *args))
    return [as_tensor_variable(o) for o in outs]


def render(prog: ScalarProgram, args: Sequence[str]) -> str:
    """The program as one expression per output (shared steps repeated)."""
    from .elemwise import elemwise_op

    outs = walk(prog, args, lambda r: repr(r[1]), lambda s, texts: elemwise_op(s.op).pp(None, texts)[0])
    return outs[0] if len(outs) == 1 else "(" + ", ".join(outs) + ")"


def writes_into_buffer(op_name: str) -> bool:
    """Whether row ``op_name`` can be computed into an existing buffer: its
    reference is one ufunc of NumPy's API (the kernel's reference namespace),
    a chain of ufuncs (``row.buffered``), or a cast. The in-place rewrite only
    makes a node overwrite an input where this holds; how the buffer is used
    is the backend's lowering."""
    row = SCALAR_OPS[op_name]
    if row.buffered or op_name.startswith("cast_"):
        return True
    return row.ufunc is not None and type(getattr(np, row.ufunc, None)).__name__ == "ufunc"

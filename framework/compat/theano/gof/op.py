"""``theano.Op`` (``theano.gof.Op``, ``theano.gof.op.Op``): Theano 1.0's op contract, run unchanged.

A Theano script declares its own op the way Theano's "Extending Theano" tutorial teaches::

    class DoubleOp(theano.Op):
        __props__ = ()
        def make_node(self, x):
            x = theano.tensor.as_tensor_variable(x)
            return theano.Apply(self, [x], [x.type()])
        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = inputs[0] * 2
        def infer_shape(self, node, i0_shapes):
            return i0_shapes
        def grad(self, inputs, output_grads):
            return [output_grads[0] * 2]

framework's own :class:`~framework.core.op.Op` has another contract (a kernel ``impl(xp,
*values)``, ``grad(node, output_grads)``). This base class adapts one to the other, so such an
op is an ordinary framework op -- it compiles in every mode, runs inside ``scan``, pickles,
differentiates -- while its methods keep Theano's meaning:

* ``perform(node, inputs, output_storage)`` is the kernel. Inputs are NumPy arrays (on the CuPy
  backend they are copied to the host and the outputs back: ``perform`` is host code), and
  read-only (Theano's contract: inputs are immutable; an op that overwrites one declares
  ``destroy_map`` and gets its own copy of that input). What it stores in
  ``output_storage[i][0]`` is converted to output ``i``'s type as Theano's ``TensorType.filter``
  does (a lossless or safe cast) or refused with an error naming the op and the output; a cell
  left empty is an error too. An output that shares memory with an input without ``view_map``
  saying so is copied. With ``get_params(node)`` (or a ``params_type``), ``perform`` gets the
  params as a fourth argument, as in Theano.
* ``grad(inputs, output_grads)`` (or ``L_op(inputs, outputs, output_grads)``): the output
  gradients of outputs the cost does not depend on are ``DisconnectedType()()``; each returned
  term is checked as Theano's ``theano.gradient`` checks it (one term per input, never None, a
  variable of the input's rank and a float dtype, ``DisconnectedType()()`` only where
  ``connection_pattern`` allows it); a term whose shape differs from its input's when the
  function runs is an error naming the op, not a silently broadcast gradient.
* ``infer_shape(node, input_shapes)`` is framework's shape rule too (``x.shape`` of the output
  does not run ``perform``, as in Theano). When ``perform`` does run, the shapes it produced are
  compared with what ``infer_shape`` says: a disagreement is an error naming the op, in every
  mode. An op without ``infer_shape`` gives its shapes by running.
* ``R_op(inputs, eval_points)`` is what ``theano.gradient.Rop`` uses for the op
  (:func:`rop_forward`); without one, ``Rop`` is built from the gradient, as for native ops.
* ``__props__`` gives equality, hashing (equal ops applied to the same inputs merge) and
  ``str`` (``AXPBOp{a=4, b=5}``); without ``__props__`` an op equals only itself, as in Theano.
* ``itypes``/``otypes`` give the default ``make_node``; ``default_output`` and
  ``return_list=True`` shape what calling the op returns.
* An op with only C code (``c_code``) or ``make_thunk`` has no implementation here (there is no C
  back-end): compiling a function that runs it is a ``TypeError`` naming the op and the line that
  built the node.
"""
from __future__ import annotations

import types as _pytypes
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ....core.errors import GradientError, ShapeError, describe_value, format_trace, safe_str, user_trace
from ....core.graph import Apply as _CoreApply
from ....core.graph import Constant, Variable, clone_replace, inputs_of
from ....core.op import Op as _CoreOp
from ....core.types import TensorType, is_int
from ....core.variable import as_tensor_variable
from .graph import Apply
from .utils import MethodNotDefined

__all__ = ["Op", "PureOp", "GradContractError", "InferShapeError", "rop_forward", "uses_own_r_op"]


class InferShapeError(ValueError):
    """An op's ``infer_shape`` gave something that is not one shape per output of the right rank
    (or failed): the message names the op and the line that built the node."""


class GradContractError(GradientError, TypeError):
    """An op's ``grad`` broke Theano's contract with a term of the wrong kind (None, an integer
    variable, DisconnectedType against ``connection_pattern``...): a TypeError, as in Theano."""


def _overrides(cls: type, method: str) -> bool:
    """Whether ``cls`` defines ``method`` itself (not only this base class)."""
    mine = getattr(Op, method, None)
    theirs = getattr(cls, method, None)
    return theirs is not None and getattr(theirs, "__wrapped__", theirs) is not mine


def _as_type(t: Any, what: str) -> Any:
    """A Theano type given as a type (``theano.tensor.TensorType('float64', (False,))``) or as the
    layer's constructor (``theano.tensor.dmatrix``, a function here, a type in Theano)."""
    if hasattr(t, "make_variable"):
        return t
    if callable(t):
        v = t()
        if isinstance(v, Variable):
            return v.type
    raise TypeError(f"{what} must be Theano types (theano.tensor.dmatrix, TensorType(...)), got {t!r:.60}")


class Op(_CoreOp):
    """Base class of ops written against Theano 1.0's contract (see the module docstring)."""

    default_output: Optional[int] = None
    itypes: Optional[Sequence[Any]] = None
    otypes: Optional[Sequence[Any]] = None
    # the outputs may be arrays perform() keeps (a cached table): never written in place downstream
    fresh_storage = False
    _has_props = False  # whether a subclass declares __props__ (else: equal only to itself)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__
        cls._has_props = any("__props__" in k.__dict__ for k in cls.__mro__ if k is not Op and issubclass(k, Op))
        # Theano's grad(inputs, output_grads) answers framework's grad(node, output_grads) too
        user_grad = cls.__dict__.get("grad")
        if user_grad is not None and not getattr(user_grad, "_framework_dispatch", False):
            cls.grad = _dispatching_grad(user_grad)
        user_shape = cls.__dict__.get("infer_shape")
        if user_shape is not None and not getattr(user_shape, "_checked", False):
            cls.infer_shape = _checked_infer_shape(user_shape)

    # --- identity -----------------------------------------------------------------------
    def __eq__(self, other: Any) -> bool:
        if not self._has_props:
            return self is other
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self) -> int:
        if not self._has_props:
            return object.__hash__(self)
        return hash((type(self), self._props()))

    def _props_dict(self) -> Dict[str, Any]:
        return {p: getattr(self, p) for p in self.__props__}

    def __str__(self) -> str:
        props = self.__props__ if self._has_props else ()
        if not props:
            return type(self).__name__
        try:
            return f"{type(self).__name__}{{{', '.join(f'{p}={getattr(self, p)!r}' for p in props)}}}"
        except Exception:  # a property not set yet: error messages name the op anyway
            return type(self).__name__

    __repr__ = __str__

    # --- building -----------------------------------------------------------------------
    def make_node(self, *inputs: Any) -> Apply:
        """The default ``make_node`` of an op that declares ``itypes`` and ``otypes``: inputs of
        those types (numbers and arrays become constants), outputs of ``otypes``."""
        if self.itypes is None or self.otypes is None:
            raise TypeError(f"op {self} ({type(self).__name__}) defines neither make_node() nor itypes and otypes: "
                            "an op must say how it builds its node")
        itypes = [_as_type(t, f"{self}.itypes") for t in self.itypes]
        otypes = [_as_type(t, f"{self}.otypes") for t in self.otypes]
        if len(inputs) != len(itypes):
            raise ValueError(f"op {self} expected {len(itypes)} input(s), got {len(inputs)} "
                             f"(at {format_trace(user_trace())})")
        converted = []
        for k, (x, t) in enumerate(zip(inputs, itypes)):
            x = x if isinstance(x, Variable) else as_tensor_variable(x)
            if not (x.type == t or (isinstance(t, TensorType) and t.is_compatible(x.type))):
                raise TypeError(f"op {self}: input {k} must be of type {t}, got {x} of type {x.type} "
                                f"(at {format_trace(user_trace())})")
            converted.append(x)
        return Apply(self, converted, [t() for t in otypes])

    def __call__(self, *inputs: Any, **kwargs: Any) -> Any:
        return_list = kwargs.pop("return_list", False)
        trace = user_trace()
        node = self.make_node(*inputs, **kwargs)
        if not isinstance(node, _CoreApply):
            raise TypeError(f"op {self}: make_node() returned {type(node).__name__} {safe_str(node, 60)}, not an "
                            "Apply node (return theano.Apply(self, inputs, outputs)) "
                            f"(at {format_trace(trace)})")
        node.trace = trace
        outs = node.outputs
        if self.default_output is not None:
            out = outs[self.default_output]
            return [out] if return_list else out
        if return_list:
            return list(outs)
        return outs[0] if len(outs) == 1 else outs

    # --- running ------------------------------------------------------------------------
    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: List[List[Any]], params: Any = None) -> None:
        raise MethodNotDefined("perform", type(self), type(self).__name__,
                               "framework has no C back-end: an op runs through its perform()")

    def c_code(self, node: Apply, name: str, inputs: Sequence[str], outputs: Sequence[str], sub: Dict[str, Any]) -> str:
        raise MethodNotDefined("c_code", type(self), type(self).__name__, "framework has no C back-end")

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        return _perform_kernel(self, node, backend)

    def shape_constraints(self, node: Apply) -> Optional[list]:
        """With ``infer_shape``, reading the output's shape does not run ``perform`` (Theano's
        rule): no run-time size check is kept for it. Without it, nothing is known."""
        return [] if self._infers_shape() else None

    def _infers_shape(self) -> bool:
        return _overrides(type(self), "infer_shape")

    # --- gradients ----------------------------------------------------------------------
    def grad(self, node: Any, output_grads: Sequence[Any]) -> List[Any]:
        if isinstance(node, _CoreApply):
            return _framework_grad(self, node, output_grads)
        raise GradientError(f"op {self} ({type(self).__name__}) defines no grad(inputs, output_grads)")

    grad._framework_dispatch = True  # type: ignore[attr-defined]

    def L_op(self, inputs: Sequence[Any], outputs: Sequence[Any], output_grads: Sequence[Any]) -> List[Any]:
        """Theano's ``L_op``: by default, ``grad(inputs, output_grads)``."""
        return self.grad(list(inputs), list(output_grads))

    def R_op(self, inputs: Sequence[Any], eval_points: Sequence[Any]) -> List[Any]:
        raise MethodNotDefined("R_op", type(self), str(self), "theano.gradient.Rop builds it from the gradient")

    def do_constant_folding(self, node: Apply) -> bool:
        return True


PureOp = Op


def _dispatching_grad(user_grad: Callable[..., Any]) -> Callable[..., Any]:
    """A subclass's Theano ``grad(inputs, output_grads)``, also answering framework's
    ``grad(node, output_grads)`` (framework's gradient walk passes the Apply node)."""

    def grad(self: Op, node: Any, output_grads: Sequence[Any]) -> List[Any]:
        if isinstance(node, _CoreApply):
            return _framework_grad(self, node, output_grads)
        return user_grad(self, node, output_grads)

    grad.__wrapped__ = user_grad  # type: ignore[attr-defined]
    grad.__doc__ = user_grad.__doc__
    grad._framework_dispatch = True  # type: ignore[attr-defined]
    return grad


def _checked_infer_shape(user: Callable[..., Any]) -> Callable[..., Any]:
    """A subclass's ``infer_shape``, its answer checked and made tuples of sizes."""

    def infer_shape(self: Op, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return checked_shapes(self, node, user(self, node, [tuple(s) for s in input_shapes]))

    infer_shape.__wrapped__ = user  # type: ignore[attr-defined]
    infer_shape.__doc__ = user.__doc__
    infer_shape._checked = True  # type: ignore[attr-defined]
    return infer_shape


def checked_shapes(op: Any, node: Apply, shapes: Any) -> List[Tuple[Any, ...]]:
    """``shapes`` (what an op's ``infer_shape`` returned) as one tuple of sizes per output, or a
    ValueError naming the op and the line that built the node."""
    where = format_trace(node.trace)
    if not isinstance(shapes, (list, tuple)) or len(shapes) != len(node.outputs):
        n = len(shapes) if isinstance(shapes, (list, tuple)) else safe_str(shapes, 60)
        raise InferShapeError(f"{op}.infer_shape returned {n} shape(s) for {len(node.outputs)} output(s): it must return a "
                         f"list with one shape tuple per output (node built at {where})")
    out = []
    for k, (o, shp) in enumerate(zip(node.outputs, shapes)):
        if not isinstance(shp, (list, tuple)) or (isinstance(o.type, TensorType) and len(shp) != o.type.ndim):
            raise InferShapeError(f"{op}.infer_shape gave output {k} the shape {safe_str(shp, 60)}, but the output has "
                             f"{o.type.ndim} dimension(s) ({o.type}) (node built at {where})")
        dims = []
        for d in shp:
            if isinstance(d, (int, np.integer)) and not isinstance(d, (bool, np.bool_)):
                d = int(d)
            elif isinstance(d, Variable) and d.ndim == 0 and is_int(d.dtype):
                pass
            else:
                raise InferShapeError(f"{op}.infer_shape gave output {k} the size {safe_str(d, 60)}: sizes are integers or "
                                 f"integer scalar variables (node built at {where})")
            dims.append(d)
        out.append(tuple(dims))
    return out


# --- running perform() ------------------------------------------------------------------

def _perform_kernel(op: Op, node: Apply, backend: Any) -> Callable[..., Any]:
    """The kernel of a Theano-style op: ``perform`` with fresh output cells, its results
    converted and checked (types, aliasing, shapes against ``infer_shape``)."""
    perform = _performer(op, node)
    outs = node.outputs
    nout = len(outs)
    in_types = [i.type if isinstance(i.type, TensorType) else None for i in node.inputs]
    destroyed = {k for ks in (op.destroy_map or {}).values() for k in ks}
    declared = set(op.view_map or {}) | set(op.destroy_map or {})
    finish = [_output_finisher(op, k, o) for k, o in enumerate(outs)]
    check_shapes = _shape_checker(op, node)

    def as_input(k: int, v: Any) -> Any:
        t = in_types[k]
        if t is None:
            return v
        if v.__class__ is not np.ndarray:
            v = np.asarray(v, dtype=t.dtype)  # a weak constant's Python number, a NumPy scalar
        if k in destroyed:
            return np.array(v, copy=True)  # the op overwrites it: its own copy (Theano's DestroyHandler rule)
        v = v.view()
        v.flags.writeable = False  # inputs are immutable (Theano's contract)
        return v

    def run(*values: Any) -> Any:
        ins = [as_input(k, v) for k, v in enumerate(values)]
        cells: List[List[Any]] = [[None] for _ in range(nout)]
        perform(ins, cells)
        results = []
        for k in range(nout):
            v = finish[k](cells[k][0])
            if k not in declared and v.__class__ is np.ndarray and any(
                    i.__class__ is np.ndarray and np.may_share_memory(v, i) for i in ins):
                v = v.copy()  # an undeclared view of an input: the function's values must not alias
            results.append(v)
        if check_shapes is not None:
            check_shapes(ins, results)
        return results[0] if nout == 1 else tuple(results)

    if backend is None or backend.host_is_device:
        return run
    to_host, from_host = backend.to_host, backend.from_host
    host_out = [not isinstance(o.type, TensorType) for o in outs]

    def on_device(*values: Any) -> Any:
        # perform() is host code: its inputs come to the host and its outputs go back
        out = run(*[to_host(v, copy=False) if t is not None else v for v, t in zip(values, in_types)])
        if nout == 1:
            return out if host_out[0] else from_host(out, copy=False)
        return tuple(o if h else from_host(o, copy=False) for o, h in zip(out, host_out))

    return on_device


def _performer(op: Op, node: Apply) -> Callable[[List[Any], List[List[Any]]], None]:
    """``perform`` bound to ``node`` (and to its params, where the op has them)."""
    cls = type(op)
    if not _overrides(cls, "perform"):
        if hasattr(op, "make_thunk"):
            what = "make_thunk() (Theano's storage-map runtime)"
        elif _overrides(cls, "c_code"):
            what = "only C code (c_code())"
        else:
            what = "no implementation"
        who = str(op) if str(op) == cls.__name__ else f"{op} ({cls.__name__})"
        raise TypeError(f"op {who} has {what}, and framework has no C back-end: define "
                        f"perform(self, node, inputs, output_storage) to run it (node built at "
                        f"{format_trace(node.trace)})")
    perform = op.perform
    if _overrides(cls, "get_params"):
        params = op.get_params(node)
    elif getattr(op, "params_type", None) is not None:
        params = _pytypes.SimpleNamespace(**op._props_dict())  # Theano's Params: the props by name
    else:
        return lambda ins, cells: perform(node, ins, cells)
    return lambda ins, cells: perform(node, ins, cells, params)


def _output_finisher(op: Op, k: int, out: Variable) -> Callable[[Any], Any]:
    """What checks and converts the value ``perform`` stored for output ``k``."""
    t = out.type

    def missing() -> None:
        raise ValueError(f"op {op}: perform() left output_storage[{k}] empty; it must store output {k} "
                         f"in output_storage[{k}][0]")

    if not isinstance(t, TensorType):
        def finish_other(v: Any) -> Any:
            if v is None:
                missing()
            return v

        return finish_other
    dt, ndim, static = np.dtype(t.dtype), t.ndim, [(a, d) for a, d in enumerate(t.shape) if d is not None]

    def finish(v: Any) -> Any:
        if v.__class__ is np.ndarray and v.dtype == dt and v.ndim == ndim and all(v.shape[a] == d for a, d in static):
            return v
        if v is None:
            missing()
        try:
            # Theano's TensorType.filter: a safe or lossless conversion, the rank and static sizes checked
            return t.filter(v, name=f"output {k}")
        except ShapeError as exc:
            raise ShapeError(f"op {op}: perform() stored {describe_value(v)} in {exc}") from None
        except (TypeError, ValueError) as exc:
            if getattr(v, "ndim", ndim) != ndim:
                why = f"it has {v.ndim} dimension(s), the output {ndim}"
            elif getattr(v, "dtype", dt) != dt:
                why = (f"dtype {v.dtype} does not convert to {t.dtype} without losing information (store "
                       f"value.astype('{t.dtype}') to round it)")
            else:
                why = safe_str(exc)
            raise TypeError(f"op {op}: perform() stored {describe_value(v)} in output {k}, declared {t}: {why}") from None

    return finish


def _shape_checker(op: Op, node: Apply) -> Optional[Callable[[List[Any], List[Any]], None]]:
    """What compares ``perform``'s output shapes with ``infer_shape``'s, or None (no
    ``infer_shape``, or only 0-d outputs). ``infer_shape`` is evaluated once per call on the
    input sizes (and, where it reads them, input values) by a small compiled function."""
    if not op._infers_shape():
        return None
    from ....core.function import function
    from ....core.shape_infer import as_dim
    from ....core.shape_ops import make_vector
    from ....core.types import TensorType as TT

    # the sizes infer_shape is given: ints where static (as the shape rewrites give them), else variables
    unknown_at: List[Tuple[int, int]] = []
    dims = []
    for k, i in enumerate(node.inputs):
        ds = []
        for a, d in enumerate(i.type.shape if isinstance(i.type, TensorType) else ()):
            if d is None:
                unknown_at.append((k, a))
                d = TT("int64", ())(f"{i.name or 'input'}{k}_dim{a}")
            ds.append(d)
        dims.append(tuple(ds))
    try:
        shapes = op.infer_shape(node, dims)
    except InferShapeError:
        raise
    except Exception as exc:
        raise InferShapeError(f"{op}.infer_shape failed for the node built at {format_trace(node.trace)}: "
                              f"{type(exc).__name__}: {safe_str(exc)}") from exc
    tensor_outs = [k for k, o in enumerate(node.outputs) if isinstance(o.type, TensorType) and o.type.ndim]
    if not tensor_outs:
        return None
    flat = [as_dim(d) for k in tensor_outs for d in shapes[k]]
    # sizes that read the inputs' values (rare) read them from stand-ins the checker is given
    stand_ins = {i: i.type.make_variable() for i in node.inputs if not isinstance(i, Constant)}
    (vector,) = clone_replace([make_vector(*flat, dtype="int64")], stand_ins)
    roots = set(inputs_of([vector]))
    size_inputs = [dims[k][a] for k, a in unknown_at]
    value_inputs = [k for k, i in enumerate(node.inputs) if stand_ins.get(i) in roots]
    unknown = roots - set(size_inputs) - {stand_ins[node.inputs[k]] for k in value_inputs}
    if any(not isinstance(r, Constant) and getattr(r, "get_value", None) is None for r in unknown):
        raise InferShapeError(f"{op}.infer_shape gave sizes that depend on variables other than the node's inputs "
                         f"(node built at {format_trace(node.trace)})")
    expected = function(size_inputs + [stand_ins[node.inputs[k]] for k in value_inputs], vector,
                        mode="FAST_COMPILE", on_unused_input="ignore", device="cpu")
    splits = np.cumsum([0] + [node.outputs[k].type.ndim for k in tensor_outs])

    def check(ins: List[Any], results: List[Any]) -> None:
        sizes = [np.shape(ins[k])[a] for k, a in unknown_at]
        want = expected(*sizes, *[ins[k] for k in value_inputs])
        for j, k in enumerate(tensor_outs):
            got = tuple(np.shape(results[k]))
            says = tuple(int(s) for s in want[splits[j]:splits[j + 1]])
            if got != says:
                raise ShapeError(f"op {op}: perform() returned output {k} of shape {got}, but the op's infer_shape() "
                                 f"says {says} for inputs of shapes "
                                 f"{', '.join(str(tuple(np.shape(v))) for v in ins)}; the two must agree")

    return check


# --- gradients --------------------------------------------------------------------------

def _framework_grad(op: Op, node: Apply, output_grads: Sequence[Any]) -> List[Any]:
    """framework's ``grad(node, output_grads)`` answered by the op's Theano ``L_op``/``grad``,
    with Theano's conventions and checks (``theano/gradient.py``)."""
    from ..gradient import DisconnectedType
    from ....core.elemwise import cast
    from ....core.grad import is_null

    cls = type(op)
    if not (_overrides(cls, "grad") or _overrides(cls, "L_op")):
        return _CoreOp.grad(op, node, output_grads)
    where = format_trace(node.trace)
    ogs = []
    for o, g in zip(node.outputs, output_grads):
        if g is None:
            g = DisconnectedType()()
        elif not is_null(g) and isinstance(o.type, TensorType) and not is_int(o.dtype) and g.dtype != o.dtype:
            g = cast(g, o.dtype)  # an output's gradient has the output's float dtype (Theano)
        ogs.append(g)
    terms = op.L_op(list(node.inputs), list(node.outputs), ogs)
    if terms is None or not isinstance(terms, (list, tuple)):
        raise GradContractError(f"{op}.grad returned {type(terms).__name__}, expected a list with one gradient term per "
                        f"input (node built at {where})")
    if len(terms) != len(node.inputs):
        raise GradientError(f"{op}.grad returned the wrong number of gradient terms: {len(terms)} for "
                            f"{len(node.inputs)} input(s) (node built at {where})")
    pattern = op.connection_pattern(node) if hasattr(op, "connection_pattern") else None
    reached = [g is not None for g in output_grads]
    result: List[Any] = []
    for k, (x, term) in enumerate(zip(node.inputs, terms)):
        connected = pattern is None or any(p and r for p, r in zip(pattern[k], reached))
        if term is None:
            raise GradContractError(f"{op}.grad returned None for the gradient of input {k}, which Theano prohibits: return "
                            "x.zeros_like(), theano.gradient.DisconnectedType()(), or grad_undefined/"
                            f"grad_not_implemented (node built at {where})")
        if isinstance(getattr(term, "type", None), DisconnectedType):
            if pattern is not None and connected:
                raise GradContractError(f"{op}.grad returned DisconnectedType for input {k}; its connection_pattern() does not "
                                f"allow this (node built at {where})")
            result.append(None)
            continue
        if not connected:
            raise GradContractError(f"{op}.grad returned {term} for input {k}; its connection_pattern() says that input is "
                            f"disconnected, so DisconnectedType()() was expected (node built at {where})")
        if is_null(term):
            result.append(term)
            continue
        if not isinstance(term, Variable):
            raise GradContractError(f"{op}.grad returned {type(term).__name__} {safe_str(term, 40)} for input {k}, expected a "
                            f"symbolic variable (node built at {where})")
        if isinstance(x.type, TensorType):
            if term.ndim != x.ndim:
                raise GradientError(f"{op}.grad returned a term with {term.ndim} dimension(s) for input {k}, which has "
                                    f"{x.ndim} (node built at {where})")
            if is_int(term.dtype):
                raise GradContractError(f"{op}.grad illegally returned an integer-valued variable for input {k} (dtype "
                                f"{term.dtype}); gradients are float (node built at {where})")
            if not _same_shape(term, x):
                term = GradShapeCheck(str(op), k, node.trace)(term, x)
        result.append(term)
    return result


def _same_shape(term: Variable, x: Variable) -> bool:
    """Whether ``term`` provably has ``x``'s shape when the function runs (static sizes, or the
    shape signatures the ops' own ``infer_shape`` give): then no run-time check is needed."""
    from ....core.shape_sig import shape_signature

    if all(a is not None and a == b for a, b in zip(term.type.shape, x.type.shape)):
        return True
    try:
        return shape_signature(term) == shape_signature(x)
    except Exception:  # an op's shape rule that cannot be read here: keep the check
        return False


class GradShapeCheck(_CoreOp):
    """``term`` unchanged, after checking that it has the shape of ``x``: the gradient term a
    Theano-style op's ``grad`` returned for its input ``index`` (Theano checks it with test
    values; here it is checked when the function runs, wherever the shapes are not known equal)."""
    complex_grad = True  # structural

    __props__ = ("label", "index", "trace")
    view_map = {0: [0]}
    name = "grad_shape_check"

    def __init__(self, label: str, index: int, trace: Any) -> None:
        self.label, self.index, self.trace = label, index, trace

    def __str__(self) -> str:
        return f"grad_shape_check{{{self.label}, input {self.index}}}"

    def make_node(self, term: Any, x: Any) -> _CoreApply:
        term, x = as_tensor_variable(term), as_tensor_variable(x)
        return _CoreApply(self, [term, x], [term.type], trace=self.trace)

    def infer_shape(self, node: _CoreApply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [input_shapes[0]]

    def shape_constraints(self, node: _CoreApply) -> list:
        return [("equal", (0, a), (1, a)) for a in range(node.inputs[0].type.ndim)]

    def make_kernel(self, node: _CoreApply, backend: Any) -> Callable[..., Any]:
        label, index, trace = self.label, self.index, self.trace

        def grad_shape_check(term: Any, x: Any) -> Any:
            if term.shape != x.shape:
                raise ShapeError(f"{label}.grad returned a gradient term of shape {tuple(term.shape)} for input "
                                 f"{index}, which has shape {tuple(x.shape)} (node built at {format_trace(trace)})")
            return term

        return grad_shape_check

    def impl(self, xp: Any, term: Any, x: Any) -> Any:
        return self.make_kernel(None, None)(term, x)  # type: ignore[arg-type]

    def explain_failure(self, node: _CoreApply, exc: BaseException, values: Sequence[Any]) -> Optional[BaseException]:
        """The message names the op whose gradient is wrong and its user's line already."""
        from ....core.shape_infer import ShapeCheckError

        return ShapeCheckError(str(exc)) if isinstance(exc, ShapeError) else None

    def grad(self, node: _CoreApply, output_grads: Sequence[Any]) -> List[Any]:
        return [output_grads[0], None]


# --- R_op ------------------------------------------------------------------------------

def uses_own_r_op(op: Any) -> bool:
    """Whether ``op`` is a Theano-style op that declares its own ``R_op``."""
    return isinstance(op, Op) and _overrides(type(op), "R_op")


def rop_forward(fs: Sequence[Variable], wrts: Sequence[Variable], points: Sequence[Any],
                local_rop: Callable[[Apply, List[Any]], List[Any]]) -> List[Optional[Variable]]:
    """The Jacobian-vector products ``d f / d wrt . points`` by a forward walk from ``wrts``:
    a node whose op declares ``R_op`` (Theano's contract: ``R_op(inputs, eval_points)``, None
    for an input or output without a tangent) uses it; any other node ``local_rop(node,
    eval_points)``. None for an ``f`` the walk does not reach."""
    from ....core.graph import toposort

    tangent: Dict[Variable, Any] = {w: as_tensor_variable(p) for w, p in zip(wrts, points) if p is not None}
    for node in toposort(list(fs), blockers=list(wrts)):
        ev = [tangent.get(i) for i in node.inputs]
        if all(e is None for e in ev):
            continue
        if uses_own_r_op(node.op):
            outs = node.op.R_op(list(node.inputs), ev)
            if not isinstance(outs, (list, tuple)) or len(outs) != len(node.outputs):
                raise ValueError(f"{node.op}.R_op returned {safe_str(outs, 60)}: it must return a list with one entry "
                                 f"(a variable or None) per output (node built at {format_trace(node.trace)})")
        else:
            outs = local_rop(node, ev)
        for o, t in zip(node.outputs, outs):
            if t is not None:
                tangent[o] = as_tensor_variable(t)
    return [tangent.get(f) for f in fs]

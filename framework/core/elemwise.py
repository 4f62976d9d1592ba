"""The element-wise family: one table, one op class.

Each row of :data:`SCALAR_OPS` declares a scalar function once: its name and
arity, its reference implementation over an array namespace ``xp``, its
gradient rule and how it prints. How a backend computes a row (a CUDA
expression, a NumPy ufunc call) lives in that backend's table, keyed by the
row's name; a plugin's row may bring per-backend expressions (``exprs``).
:class:`Elemwise` applies a row with NumPy broadcasting; dtypes follow NumPy
exactly because the output dtype is taken from the reference implementation
run on one-element stand-ins when the node is built.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .errors import ShapeError, format_trace, user_trace
from .graph import Apply, Constant, Variable
from .op import Op
from .types import TensorType, as_dtype, broadcast_shapes, is_int
from .variable import TensorVariable, as_tensor_variable

GradRule = Callable[[Sequence[Variable], Variable, Variable], List[Optional[Variable]]]


@dataclass(frozen=True, eq=False)
class ScalarOp:
    """One scalar function of the element-wise table."""

    name: str
    nin: int
    impl: Callable[..., Any]  # impl(xp, *arrays)
    grad: Optional[GradRule] = None  # grad(inputs, output, gz) -> input grads
    ufunc: Optional[str] = None  # name of the xp function that is exactly this op
    symbol: Optional[str] = None  # infix symbol for printing
    exprs: Mapping[str, str] = field(default_factory=dict)  # a plugin row's per-backend expressions
    is_comparison: bool = False
    doc: str = ""
    dtype_rule: Optional[Callable[..., str]] = None  # f(*input dtypes) -> dtype; default: run impl
    buffered: bool = False  # impl is a chain of ufuncs: a backend may compute it into an existing buffer
    api: Tuple[str, ...] = ()  # the names of its user-facing function (``T.<name>``, see API)
    params: Tuple[str, ...] = ()  # that function's parameter names (default x / x, y)
    plugin: str = "kernel"  # provenance: who declared the row
    # every output in [lo, hi] or NaN, for any input (infinities included; NaN only from a NaN)
    bounds: Optional[Tuple[float, float]] = None
    # the inputs read only for their shape (``second``'s first): no gradient, not even a null one,
    # flows into them (Theano's connection pattern)
    shape_only: Tuple[int, ...] = ()
    # the gradient rule is right for complex values too (with the convention dC/dx + i dC/dy for
    # z = x + iy: a holomorphic f passes g * conj(f'(z))); other rows refuse complex gradients
    complex_grad: bool = False
    # the row is a holomorphic function (off its branch cuts) and its rule is ``g * f'(x)`` with a
    # derivative that holds for complex values: on complex values the gradient is then
    # ``g * conj(f'(z))``, the rule's own derivative (taken with g = 1) conjugated
    holomorphic: bool = False

    def __post_init__(self) -> None:
        b = self.bounds
        ok = b is None or (isinstance(b, tuple) and len(b) == 2
                           and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in b)
                           and b[0] <= b[1])
        if not ok:
            who = f" (declared by plugin {self.plugin!r})" if self.plugin and self.plugin != "kernel" else ""
            raise ValueError(f"element-wise row {self.name!r}{who}: bounds must be None or a pair (lo, hi) of "
                             f"numbers with lo <= hi, got {b!r:.60}")

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self) -> Any:
        from .pickling import scalar_op

        return (scalar_op, (self.name,))  # rows are found by name: their functions are not picklable


class _Table(Dict[str, ScalarOp]):
    """The built-in rows, then the rows plugins give (``framework_scalar_ops``),
    looked up in the plugin registry each time so register / unregister /
    reset take effect at once."""

    _from_specs: Dict[int, Tuple[Any, ScalarOp]] = {}

    def _plugin_row(self, name: str, load: bool = True) -> Optional[ScalarOp]:
        from .. import plugins

        if not load and not plugins.is_loaded():
            return None  # a membership test never loads plugins (modules test names at import)
        spec = plugins.scalar_ops().get(name)
        if spec is None:
            return None
        hit = self._from_specs.get(id(spec))
        if hit is None or hit[0] is not spec:
            hit = self._from_specs[id(spec)] = (spec, _row_from_spec(spec))
        return hit[1]

    def __missing__(self, name: str) -> ScalarOp:
        row = self._plugin_row(name)
        if row is None:
            raise KeyError(name)
        return row

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        row = dict.get(self, name)
        if row is None:
            row = self._plugin_row(name)
        return default if row is None else row

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or (isinstance(name, str) and self._plugin_row(name, False) is not None)


def _row_from_spec(spec: Any) -> ScalarOp:
    impl, ufunc = spec.impl, None
    if isinstance(impl, str):
        impl, ufunc = _ufunc(spec.impl), spec.impl
    grad = spec.grad
    return ScalarOp(spec.name, spec.nin, impl, grad, ufunc=ufunc, symbol=spec.symbol,
                    exprs=dict(spec.exprs), doc=spec.doc, dtype_rule=spec.dtype, plugin=spec.plugin,
                    bounds=spec.bounds)


SCALAR_OPS: Dict[str, ScalarOp] = _Table()


def _ufunc(name: str) -> Callable[..., Any]:
    return lambda xp, *args: getattr(xp, name)(*args)


def declare(name: str, nin: int, impl: Any, grad: Optional[GradRule] = None, **kw: Any) -> ScalarOp:
    """Add a built-in row to the table; ``impl`` is an xp function name or
    ``f(xp, *args)``. ``api`` (default: the row's name) names its user-facing
    function in :data:`API`. Plugins give rows with the ``framework_scalar_ops`` hook."""
    if dict.__contains__(SCALAR_OPS, name):
        raise ValueError(f"element-wise row {name!r} is already declared")
    if isinstance(impl, str):
        kw.setdefault("ufunc", impl)
        impl = _ufunc(impl)
    kw.setdefault("api", (name,))
    row = ScalarOp(name, nin, impl, grad, **kw)
    SCALAR_OPS[name] = row
    if row.api:
        API.update(dict.fromkeys(row.api, row_function(name)))
    return row


API: Dict[str, Callable[..., Any]] = {}
"""The user-facing element-wise functions, public name -> function: what
``framework.tensor`` (``T``) binds. One function is generated per built-in row
from its ``api`` names, ``params`` and ``doc``; the few with other parameters
(``cast``, ``zeros_like(x, dtype)``, ``fill``, ...) are written below and added."""


def row_function(name: str) -> Callable[..., TensorVariable]:
    """The user-facing function of row ``name``: ``f(x)``, ``f(x, y)`` or the
    row's ``params``, applying the row (keyword arguments work)."""
    row = SCALAR_OPS[name]
    params = row.params or ("x", "y", "z")[:row.nin]
    if row.nin == 1:
        def f(x: Any) -> TensorVariable:
            return apply(name, x)
    elif row.nin == 2:
        def f(x: Any, y: Any) -> TensorVariable:
            return apply(name, x, y)
    else:
        def f(x: Any, y: Any, z: Any) -> TensorVariable:
            return apply(name, x, y, z)
    f.__code__ = f.__code__.replace(co_varnames=tuple(params))
    f.__annotations__ = {**{p: "Any" for p in params}, "return": "TensorVariable"}
    f.__name__ = f.__qualname__ = name
    f.__doc__ = row.doc or f"Element-wise {name}{' with broadcasting' if row.nin > 1 else ''}."
    return f


# --- the op --------------------------------------------------------------------

_dtype_cache: Dict[Tuple[Any, ...], str] = {}


def _stand_in(v: Variable) -> Any:
    if isinstance(v, Constant) and v.weak:
        return v.data
    return np.ones((1,) * v.type.ndim, dtype=v.type.dtype)


def infer_dtype(impl: Callable[..., Any], inputs: Sequence[Variable], key: Any) -> str:
    """The dtype NumPy gives ``impl`` on these inputs (cached per dtypes)."""
    sig = (key,) + tuple(
        ("weak", type(i.data), _int_range(i.data)) if isinstance(i, Constant) and i.weak
        else (i.type.dtype, i.type.ndim)
        for i in inputs
    )
    dt = _dtype_cache.get(sig)
    if dt is None:
        with np.errstate(all="ignore"):
            dt = np.asarray(impl(np, *[_stand_in(i) for i in inputs])).dtype.name
        _dtype_cache[sig] = dt
    return dt


def _int_range(value: Any) -> Any:
    """Part of the dtype cache key for a weak Python int: ints outside 0..127 may not fit
    a small integer dtype (NumPy 2 raises OverflowError). Whether one fits depends only on
    the smallest dtype holding it, and the dtype NumPy gives the int alone (``second(x,
    2**63 - 1)`` is int64, ``second(x, 2**64 - 1)`` uint64: both fit uint64 at least), so
    those are the key (a few entries in all, not one per distinct constant: the cache
    cannot grow over a long session)."""
    if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= 127:
        if -2 ** 63 <= value < 2 ** 64:
            return np.min_scalar_type(value).name, np.asarray(value).dtype.name
        return value  # too large for any dtype: NumPy's error, each its own (rare) entry
    return None


class Elemwise(Op):
    """Applies a scalar function element by element, with NumPy broadcasting."""
    complex_grad = True  # each row's own ScalarOp.complex_grad / holomorphic decides, in grad
    fresh_storage = True  # outputs are new arrays
    host_bookkeeping = True  # cheap on small host values (GPU placement)

    __props__ = ("scalar",)

    def __init__(self, scalar: ScalarOp) -> None:
        self.scalar = scalar
        self.name = scalar.name
        self.is_comparison = scalar.is_comparison

    def __str__(self) -> str:
        return self.name

    def output_bounds(self, node: Apply, index: int) -> Optional[Tuple[float, float]]:
        # a row's bounds are for real values (a complex sigmoid or tanh is unbounded)
        return None if str(node.outputs[index].type.dtype).startswith("complex") else self.scalar.bounds

    def shape_only_inputs(self, node: Apply) -> Tuple[int, ...]:
        """The inputs read only for their shape: a null gradient does not flow into them."""
        return self.scalar.shape_only

    def make_node(self, *inputs: Any) -> Apply:
        s = self.scalar
        if len(inputs) != s.nin:
            raise TypeError(f"{s.name} takes {s.nin} input(s), got {len(inputs)}")
        ins = [as_tensor_variable(i) for i in inputs]
        shape = broadcast_shapes([i.type.shape for i in ins])
        if shape is None:
            shapes = ", ".join(str(i.type.shape).replace("None", "?") for i in ins)
            raise ShapeError(
                f"op '{s.name}': input shapes {shapes} cannot be broadcast together "
                f"(at {format_trace(user_trace())})"
            )
        try:
            dtype = (infer_dtype(s.impl, ins, s.name) if s.dtype_rule is None
                     else as_dtype(s.dtype_rule(*[i.type.dtype for i in ins])))
        except TypeError as exc:
            kinds = ", ".join(i.type.dtype for i in ins)
            raise TypeError(f"op '{s.name}' is not defined for dtypes ({kinds}): {exc} "
                            f"(at {format_trace(user_trace())})") from None
        except ValueError as exc:  # a constant NumPy refuses whatever the values (an integer to a negative power)
            kinds = ", ".join(repr(i.data) if isinstance(i, Constant) and i.weak else i.type.dtype for i in ins)
            raise ValueError(f"op '{s.name}' on ({kinds}): {exc} (at {format_trace(user_trace())})") from None
        except OverflowError as exc:  # a Python int that does not fit the other input's dtype
            kinds = ", ".join(repr(i.data) if isinstance(i, Constant) and i.weak else i.type.dtype for i in ins)
            raise OverflowError(
                f"op '{s.name}' on ({kinds}): {exc}; cast the tensor to a wider dtype first "
                f"(at {format_trace(user_trace())})"
            ) from None
        return Apply(self, ins, [TensorType(dtype, shape)])

    def _deciders(self, node: Apply, axis: int) -> List[Tuple[int, int, Any]]:
        """(input, its axis, signature token) of the inputs that may decide the
        output's size on ``axis``, one per distinct token, root variables first."""
        from .shape_sig import shape_signature

        nd, seen, out = node.outputs[0].ndim, set(), []
        order = sorted(range(len(node.inputs)), key=lambda i: node.inputs[i].owner is not None)
        for i in order:
            x = node.inputs[i]
            ax = axis - (nd - x.type.ndim)
            if ax < 0 or x.type.shape[ax] == 1:
                continue  # no axis there, or size 1: it never decides
            key = shape_signature(x)[ax]
            if key not in seen:
                seen.add(key)
                out.append((i, ax, key))
        return out

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        from .shape_infer import broadcast_dim

        shape = []
        for axis, static in enumerate(node.outputs[0].type.shape):
            ds = [input_shapes[i][ax] for i, ax, _ in self._deciders(node, axis)]
            shape.append(static if static is not None else 1 if not ds else ds[0] if len(ds) == 1
                         else broadcast_dim(*ds))
        return [tuple(shape)] * len(node.outputs)

    def shape_constraints(self, node: Apply) -> List[Tuple[str, Tuple[int, int], Tuple[int, int]]]:
        out = []
        for axis in range(node.outputs[0].ndim):
            ds = self._deciders(node, axis)
            out += [("broadcast", ds[j][:2], d[:2]) for k, d in enumerate(ds) for j in range(k)]
        return out

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        s = self.scalar
        if s.grad is None:
            return super().grad(node, output_grads)
        g = output_grads[0]
        if not s.complex_grad and any(str(v.type.dtype).startswith("complex") for v in (*node.inputs, *node.outputs)):
            if not s.holomorphic:
                from .errors import GradientError

                raise GradientError(
                    f"grad: the gradient of op '{s.name}' on complex values is not implemented (its rule is for "
                    f"real values; a wrong complex gradient would be silent); node built at "
                    f"{format_trace(node.trace)}")
            # f'(z) from the real rule itself (its g set to 1), conjugated: g * conj(f'(z))
            derivs = s.grad(node.inputs, node.outputs[0], 1)
            grads = [None if d is None else g * _cj(as_tensor_variable(d)) for d in derivs]
            return [None if d is None else reduce_to(d, x) for d, x in zip(grads, node.inputs)]
        grads = s.grad(node.inputs, node.outputs[0], g)
        return [None if g is None else reduce_to(g, x) for g, x in zip(grads, node.inputs)]

    def make_kernel(self, node: Apply, backend: Any) -> Callable[..., Any]:
        if self.scalar.ufunc is not None:
            fn = getattr(backend.xp, self.scalar.ufunc, None)
            if fn is not None:
                return fn
        return functools.partial(self.scalar.impl, backend.xp)

    def impl(self, xp: Any, *values: Any) -> Any:
        return self.scalar.impl(xp, *values)

    def pp(self, node: Apply, args: Sequence[str]) -> Tuple[str, int]:
        sym = self.scalar.symbol
        if sym is not None and len(args) == 2:
            return f"({args[0]} {sym} {args[1]})", 0
        if sym is not None and len(args) == 1:
            return f"{sym}{args[0]}", 0
        return f"{self.name}({', '.join(args)})", 0


_ELEMWISE: Dict[str, Elemwise] = {}


def elemwise_op(name: str) -> Elemwise:
    op = _ELEMWISE.get(name)
    if op is None:
        row = SCALAR_OPS.get(name)
        if row is None:
            raise KeyError(f"no element-wise op {name!r}: not a built-in row, and no plugin gives it")
        op = Elemwise(row)
        if row.plugin == "kernel":
            _ELEMWISE[name] = op
    return op


def apply(name: str, *inputs: Any) -> TensorVariable:
    """Apply the element-wise op ``name`` (a row of the table)."""
    return elemwise_op(name).make_node(*inputs).outputs[0]


# --- casting (one op per target dtype) -------------------------------------------

def cast(x: Any, dtype: Any) -> TensorVariable:
    """``x`` converted to ``dtype`` (``'floatX'`` allowed)."""
    dtype = as_dtype(dtype)
    x = as_tensor_variable(x)
    if x.type.dtype == dtype:
        return x
    name = f"cast_{dtype}"
    if name not in SCALAR_OPS:
        declare(
            name,
            1,
            lambda xp, a, _dt=dtype: xp.asarray(a).astype(_dt),
            grad=lambda ins, out, g: [cast(_real_share(ins[0], g), ins[0].dtype) if not is_int(ins[0].dtype)
                                      else None],
            api=(), complex_grad=True,
        )
    return apply(name, x)


# --- undoing broadcasting in gradients -------------------------------------------

class SumToShape(Op):
    """Sum ``g`` down to a run-time shape (undoes broadcasting in gradients).

    Inputs: ``g`` and one int64 scalar per target axis (usually
    ``shape_i(x, k)``, which the shape rewrites trace to their cheapest
    source). Used when static shapes cannot tell whether an input was
    broadcast; returns ``g`` itself when the shapes already agree.
    """
    complex_grad = True  # linear
    host_int_inputs = Op.inputs_after_first  # inputs 1.. are sizes

    name = "sum_to_shape"
    view_map = {0: [0]}

    def make_node(self, g: Any, *dims: Any) -> Apply:
        from .shape_ops import static_int

        g = as_tensor_variable(g)
        dims = [as_tensor_variable(d) for d in dims]
        return Apply(self, [g] + dims, [TensorType(g.type.dtype, [static_int(d) for d in dims])])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [tuple(node.inputs[1:])]

    def shape_constraints(self, node: Apply) -> List[Tuple[str, Tuple[int, Optional[int]], Tuple[int, int]]]:
        lead = node.inputs[0].ndim - (len(node.inputs) - 1)  # g's extra leading axes are summed away
        return [("to", (1 + k, None), (0, lead + k)) for k in range(len(node.inputs) - 1) if lead + k >= 0]

    def impl(self, xp: Any, g: Any, *dims: Any) -> Any:
        xshape = tuple(map(int, dims))
        gshape = getattr(g, "shape", ())
        if gshape == xshape:
            return g
        lead = len(gshape) - len(xshape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, (a, b) in enumerate(zip(xshape, gshape[lead:])) if a == 1 and b != 1
        )
        return xp.asarray(g).sum(axis=axes, keepdims=True).reshape(xshape)

    def grad(self, node: Apply, output_grads):
        from .shape_ops import broadcast_like

        return [broadcast_like(output_grads[0], node.inputs[0])] + [None] * (len(node.inputs) - 1)


_sum_to_shape = SumToShape()


def sum_to_shape(g: Any, x: Any) -> TensorVariable:
    """``g`` summed down to the run-time shape of ``x``."""
    from .shape_ops import Shape_i

    # shape_i nodes even for static sizes (rewrites fold them): x stays an input of the gradient
    return _sum_to_shape(g, *[Shape_i(k)(x) for k in range(x.ndim)])


def reduce_to(g: Variable, x: Variable) -> Variable:
    """``g`` (broadcast to an op's output) summed back to ``x``'s shape."""
    g = _real_share(x, g)  # a real input's share of a complex gradient: dC/dx, its real part
    if x.type.dtype != g.type.dtype and not is_int(x.type.dtype):
        g = cast(g, x.type.dtype)
    gs, xs = g.type.shape, x.type.shape
    if gs == xs and None not in xs:
        return g
    if len(gs) == len(xs):
        from .shape_sig import shape_signature

        if shape_signature(g) == shape_signature(x):
            return g  # provably the same run-time shape: nothing was broadcast
    lead = len(gs) - len(xs)
    static_axes, ambiguous = list(range(lead)), False
    for i, (a, b) in enumerate(zip(xs, gs[lead:])):
        if a == 1 and b != 1:
            static_axes.append(lead + i)
        elif a is None or (a != b):
            ambiguous = ambiguous or a is None and b != 1 or a != b
    if ambiguous:
        return sum_to_shape(g, x)
    if static_axes:
        from . import reduce

        if len(static_axes) == lead:  # only leading axes: one plain sum
            return reduce.sum(g, axis=tuple(static_axes))
        s = reduce.sum(g, axis=tuple(static_axes), keepdims=True)
        if lead:
            from . import shape_ops

            s = shape_ops.dimshuffle(s, tuple(range(lead, len(gs))))
        return s
    return g


# --- the table ---------------------------------------------------------------------
# Gradient rules get the inputs, the output and the output gradient; they are
# written with the functions defined below, so they read like the maths.

def _cj(v: Variable) -> Variable:
    """``conj(v)`` for a complex ``v``, else ``v`` itself (no node: real graphs are unchanged)."""
    return apply("conj", v) if str(v.type.dtype).startswith("complex") else v


def _real_share(x: Variable, g: Variable) -> Variable:
    """``g`` for ``x``, or its real part where ``g`` is complex and ``x`` real (``dC/dx``)."""
    if str(g.type.dtype).startswith("complex") and not str(x.type.dtype).startswith("complex"):
        return apply("real", g)
    return g


def _zeros(*xs: Variable) -> List[Optional[Variable]]:
    return [zeros_like(x) if not is_int(x.dtype) else None for x in xs]


def in_float(xp: Any, *args: Any) -> Tuple[Any, ...]:
    """``args`` as arrays of the float dtype a row computes in: NumPy's promotion of
    the arguments, raised to a float kind when it is not one (bool/uint8 -> float16,
    int16 -> float32, int32/int64 -> float64, as ``numpy.exp`` does). Rows made of
    several steps call it first, so that ``-x`` or ``x - y`` never wraps around in an
    unsigned or bool dtype (``softplus(uint8(2))`` is 2.13, not inf)."""
    if all(getattr(a, "dtype", None) is None or a.dtype.kind in "fc" for a in args):
        return args
    dt = xp.result_type(*args)
    if dt.kind not in "fc":
        dt = xp.result_type(dt, xp.float16)
    return tuple(a.astype(dt) if getattr(a, "dtype", None) is not None and a.dtype != dt else a for a in args)


def _sigmoid(xp: Any, x: Any) -> Any:
    (x,) = in_float(xp, x)
    # exp(-x) overflows to inf below x = -709 (float64), which gives the exact limit 0;
    # about 12x faster than exp(-logaddexp(0, -x)) in NumPy. Fusion emits the same steps.
    errstate = getattr(xp, "errstate", None)
    if errstate is None:
        return 1 / (1 + xp.exp(-x))
    with errstate(over="ignore"):
        return 1 / (1 + xp.exp(-x))


def _real_only(name: str, *args: Any) -> None:
    """A row whose stable form compares with 0 or takes ``|x|`` has no meaning for complex values:
    refuse them (when the graph is built: the dtype rule runs the row once) instead of answering
    something that is not the function."""
    if any(getattr(a, "dtype", None) is not None and a.dtype.kind == "c" for a in args):
        raise TypeError(f"{name} is defined here for real values only (its stable form compares with 0); "
                        "for a complex z write log1p(exp(z))")


def _softplus(xp: Any, x: Any) -> Any:
    (x,) = in_float(xp, x)
    _real_only("softplus", x)
    # max(x, 0) + log1p(exp(-|x|)): never overflows; about 3x faster than logaddexp(0, x)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


def _sigmoid_xent(xp: Any, z: Any, t: Any) -> Any:
    z, t = in_float(xp, z, t)
    _real_only("sigmoid_xent", z, t)
    # max(z, 0) - t*z + log1p(exp(-|z|)): the large terms cancel first, so a tiny
    # loss (t = 1, z = 50) keeps its digits; never overflows
    tz = t * z
    z = xp.asarray(z, dtype=tz.dtype)  # all in the result's dtype (float32 z, float64 t: float64)
    return xp.maximum(z, 0) - tz + xp.log1p(xp.exp(-xp.abs(z)))


declare("add", 2, "add", lambda i, z, g: [g, g], symbol="+", complex_grad=True)
declare("sub", 2, "subtract", lambda i, z, g: [g, -g], symbol="-", complex_grad=True)
declare("mul", 2, "multiply", lambda i, z, g: [g * _cj(i[1]), g * _cj(i[0])], symbol="*", complex_grad=True)
declare("true_div", 2, "true_divide", lambda i, z, g: [g / _cj(i[1]), -g * _cj(z) / _cj(i[1])], symbol="/",
        api=("true_div", "true_divide"), complex_grad=True)
declare("int_div", 2, "floor_divide", lambda i, z, g: _zeros(*i), symbol="//", api=("int_div", "floor_divide"))
declare("mod", 2, "remainder", lambda i, z, g: [g, -g * floor(i[0] / i[1])], symbol="%")
declare("pow", 2, "power",
        lambda i, z, g: [g * i[1] * i[0] ** (i[1] - 1), g * z * log(i[0])], symbol="**", holomorphic=True)
declare("maximum", 2, "maximum",
        lambda i, z, g: [switch(ge(i[0], i[1]), g, 0), switch(lt(i[0], i[1]), g, 0)])
declare("minimum", 2, "minimum",
        lambda i, z, g: [switch(le(i[0], i[1]), g, 0), switch(gt(i[0], i[1]), g, 0)])
declare("neg", 1, "negative", lambda i, z, g: [-g], symbol="-", complex_grad=True)
declare("abs", 1, "abs", lambda i, z, g: [g * sgn(i[0])], api=("abs_",), complex_grad=True)  # z/|z| for complex
declare("sgn", 1, "sign", lambda i, z, g: _zeros(*i))
declare("floor", 1, "floor", lambda i, z, g: _zeros(*i))
declare("ceil", 1, "ceil", lambda i, z, g: _zeros(*i))
declare("round", 1, "round", lambda i, z, g: _zeros(*i), doc="rounds half to even, as NumPy", api=("round",))
declare("trunc", 1, "trunc", lambda i, z, g: _zeros(*i), doc="rounds towards zero, as NumPy's trunc")
declare("exp", 1, "exp", lambda i, z, g: [g * _cj(z)], complex_grad=True)
declare("exp2", 1, "exp2", lambda i, z, g: [g * z * np.log(2.0)], holomorphic=True)
declare("expm1", 1, "expm1", lambda i, z, g: [g * (z + 1)], holomorphic=True)
declare("log", 1, "log", lambda i, z, g: [g / _cj(i[0])], complex_grad=True)
declare("log2", 1, "log2", lambda i, z, g: [g / (i[0] * np.log(2.0))], holomorphic=True)
declare("log10", 1, "log10", lambda i, z, g: [g / (i[0] * np.log(10.0))], holomorphic=True)
declare("log1p", 1, "log1p", lambda i, z, g: [g / (1 + i[0])], holomorphic=True)
declare("sqrt", 1, "sqrt", lambda i, z, g: [g * 0.5 / _cj(z)], complex_grad=True)
declare("sqr", 1, "square", lambda i, z, g: [g * 2 * _cj(i[0])], complex_grad=True)
declare("tanh", 1, "tanh", lambda i, z, g: [g * (1 - z * z)], holomorphic=True, bounds=(-1.0, 1.0))
declare("sin", 1, "sin", lambda i, z, g: [g * cos(i[0])], holomorphic=True)
declare("cos", 1, "cos", lambda i, z, g: [-g * sin(i[0])], holomorphic=True)
declare("tan", 1, "tan", lambda i, z, g: [g * (1 + z * z)], holomorphic=True)
declare("arctan", 1, "arctan", lambda i, z, g: [g / (1 + sqr(i[0]))], holomorphic=True)
declare("arcsin", 1, "arcsin", lambda i, z, g: [g / sqrt(1 - sqr(i[0]))], holomorphic=True)
declare("arccos", 1, "arccos", lambda i, z, g: [-g / sqrt(1 - sqr(i[0]))], holomorphic=True)
declare("arctan2", 2, "arctan2", lambda i, z, g: [g * i[1] / (sqr(i[0]) + sqr(i[1])),
                                                 -g * i[0] / (sqr(i[0]) + sqr(i[1]))],
        params=("y", "x"), doc="the angle of the point (x, y), NumPy's arctan2(y, x)")
declare("arcsinh", 1, "arcsinh", lambda i, z, g: [g / sqrt(sqr(i[0]) + 1)], holomorphic=True)
declare("arccosh", 1, "arccosh", lambda i, z, g: [g / sqrt(sqr(i[0]) - 1)])
declare("arctanh", 1, "arctanh", lambda i, z, g: [g / (1 - sqr(i[0]))], holomorphic=True)
declare("sinh", 1, "sinh", lambda i, z, g: [g * cosh(i[0])], holomorphic=True)
declare("cosh", 1, "cosh", lambda i, z, g: [g * sinh(i[0])], holomorphic=True)
declare("sigmoid", 1, _sigmoid, lambda i, z, g: [g * z * (1 - z)], buffered=True, bounds=(0.0, 1.0), holomorphic=True,
        doc="1 / (1 + exp(-x)), computed without overflow")
declare("softplus", 1, _softplus, lambda i, z, g: [g * sigmoid(i[0])], buffered=True, doc="log(1 + exp(x)), stable")
declare("sigmoid_xent", 2, _sigmoid_xent, lambda i, z, g: [g * (sigmoid(i[0]) - i[1]), -g * i[0]], buffered=True,
        doc="softplus(z) - t*z: the cross-entropy -(t*log(sigmoid(z)) + (1-t)*log(1-sigmoid(z))) from the "
            "logits z, finite for every z; its gradient in z is sigmoid(z) - t", api=())
declare("logaddexp", 2, "logaddexp", lambda i, z, g: [g * sigmoid(i[0] - i[1]), g * sigmoid(i[1] - i[0])],
        doc="log(exp(a) + exp(b)) without overflow (NumPy's logaddexp); what the stabilisation makes of "
            "log(exp(a) + exp(b))")
declare("relu", 1, lambda xp, x: xp.maximum(x, 0), lambda i, z, g: [switch(gt(i[0], 0), g, 0)], buffered=True)
declare("lt", 2, "less", lambda i, z, g: _zeros(*i), symbol="<", is_comparison=True)
declare("le", 2, "less_equal", lambda i, z, g: _zeros(*i), symbol="<=", is_comparison=True)
declare("gt", 2, "greater", lambda i, z, g: _zeros(*i), symbol=">", is_comparison=True)
declare("ge", 2, "greater_equal", lambda i, z, g: _zeros(*i), symbol=">=", is_comparison=True)
declare("eq", 2, "equal", lambda i, z, g: _zeros(*i), symbol="==", is_comparison=True)
declare("neq", 2, "not_equal", lambda i, z, g: _zeros(*i), symbol="!=", is_comparison=True)
declare("and", 2, "bitwise_and", lambda i, z, g: _zeros(*i), symbol="&", api=("and_", "bitwise_and"))
declare("or", 2, "bitwise_or", lambda i, z, g: _zeros(*i), symbol="|", api=("or_", "bitwise_or"))
declare("xor", 2, "bitwise_xor", lambda i, z, g: _zeros(*i), symbol="^", api=("xor", "bitwise_xor"))
declare("invert", 1, "invert", lambda i, z, g: _zeros(*i), symbol="~", api=("invert", "bitwise_not"))
declare("isnan", 1, "isnan", lambda i, z, g: _zeros(*i), is_comparison=True)
declare("isinf", 1, "isinf", lambda i, z, g: _zeros(*i), is_comparison=True)
def _switch(xp: Any, cond: Any, ift: Any, iff: Any) -> Any:
    # NumPy's where casts a Python int branch to the other branch's integer dtype by wrapping
    # it (``where(c, int8_x, 300)`` holds 44) where its arithmetic raises OverflowError (NEP
    # 50); switch raises too -- when the graph is built, as ``int8_x + 300`` does
    if type(ift) is int or type(iff) is int:  # only a weak Python int branch needs the check
        for a, b in ((ift, iff), (iff, ift)):
            if type(a) is int and getattr(b, "dtype", None) is not None and b.dtype.kind in "iu":
                info = np.iinfo(b.dtype)
                if not info.min <= a <= info.max:
                    raise OverflowError(f"Python integer {a} out of bounds for {b.dtype}")
    return xp.where(cond, ift, iff)


declare("switch", 3, _switch, lambda i, z, g: [None, switch(i[0], g, 0), switch(i[0], 0, g)], ufunc="where",
        complex_grad=True, api=("switch", "where"), params=("cond", "ift", "iff"), doc="Element-wise ``ift if cond else iff`` (NumPy's ``where``).")
declare("clip", 3, "clip",
        lambda i, z, g: [switch(and_(ge(i[0], i[1]), le(i[0], i[2])), g, 0),
                         switch(lt(i[0], i[1]), g, 0), switch(gt(i[0], i[2]), g, 0)],
        params=("x", "a_min", "a_max"))
declare("identity", 1, lambda xp, x: xp.array(x, copy=True), lambda i, z, g: [g], complex_grad=True)
declare("zeros_like", 1, "zeros_like", lambda i, z, g: [None], api=(), shape_only=(0,), complex_grad=True)
declare("ones_like", 1, "ones_like", lambda i, z, g: [None], api=(), shape_only=(0,), complex_grad=True)
declare("second", 2, lambda xp, a, b: xp.broadcast_to(xp.asarray(b, dtype=xp.asarray(b).dtype), xp.broadcast_shapes(xp.shape(a), xp.shape(b))).copy(),
        lambda i, z, g: [None, g], doc="fill: b broadcast to the shape of a and b", api=(), shape_only=(0,),
        complex_grad=True)
declare("conj", 1, "conjugate", lambda i, z, g: [_cj(g)], complex_grad=True,
        doc="the complex conjugate (a real value itself); gradients of complex values use it")
declare("real", 1, lambda xp, x: xp.real(x).copy() if xp.iscomplexobj(x) else xp.array(x, copy=True),
        lambda i, z, g: [cast(g, i[0].dtype) if str(i[0].type.dtype).startswith("complex") else g],
        complex_grad=True, doc="the real part (a real value itself); a complex value's gradient is complex(g, 0)")


def _imag(xp: Any, x: Any) -> Any:
    return xp.imag(x).copy() if xp.iscomplexobj(x) else xp.zeros_like(x)


def _complex(xp: Any, re: Any, im: Any) -> Any:
    """``re + i im`` with each part stored as given (``re + 1j * im`` would turn an infinite ``im``
    into a NaN real part: ``inf * 0``), in the complex dtype of the parts' precision (integers as
    Theano upgraded them: up to 16 bits complex64, wider complex128)."""
    if xp.iscomplexobj(re) or xp.iscomplexobj(im):
        raise TypeError("complex(real, imag): both parts must be real (take real() / imag() of a complex value)")
    re, im = xp.broadcast_arrays(xp.asarray(re), xp.asarray(im))
    out = xp.empty(re.shape, dtype=xp.result_type(re, im, xp.complex64))
    out.real, out.imag = re, im
    return out


declare("imag", 1, _imag,
        lambda i, z, g: [apply("complex", zeros_like(g), g) if str(i[0].type.dtype).startswith("complex") else None],
        complex_grad=True, doc="the imaginary part (zeros of a real value's dtype, as NumPy's); a complex "
        "value's gradient is complex(0, g)")
declare("complex", 2, _complex, lambda i, z, g: [apply("real", g), apply("imag", g)], complex_grad=True,
        params=("real", "imag"), doc="the complex number real + i imag, each part exact (Theano's T.complex)")


# --- user-facing functions: generated from the table (API), a few by hand ---------------

globals().update({n: f for n, f in API.items() if n not in ("round", "complex")})  # the builtins stay
round_, sigmoid_xent = API["round"], row_function("sigmoid_xent")


def sigmoid_binary_crossentropy(output: Any, target: Any) -> TensorVariable:
    """Element-wise cross-entropy of ``sigmoid(output)`` against ``target``, from the
    logits ``output``: ``-(t*log(sigmoid(o)) + (1-t)*log(1-sigmoid(o)))``, computed as
    ``max(o, 0) - t*o + log1p(exp(-|o|))`` (finite for every ``o``). Its gradient in
    ``output`` is ``sigmoid(output) - target``."""
    return apply("sigmoid_xent", output, target)


def zeros_like(x: Any, dtype: Any = None) -> TensorVariable:
    out = apply("zeros_like", x)
    return out if dtype is None else cast(out, dtype)


def ones_like(x: Any, dtype: Any = None) -> TensorVariable:
    out = apply("ones_like", x)
    return out if dtype is None else cast(out, dtype)


def fill(model: Any, value: Any) -> TensorVariable:
    """``value`` broadcast to the shape of ``model`` (Theano's ``fill``/``second``)."""
    return apply("second", model, value)


second = fill
API.update(cast=cast, zeros_like=zeros_like, ones_like=ones_like, fill=fill, second=fill,
           sigmoid_binary_crossentropy=sigmoid_binary_crossentropy)


def is_builtin_row(name: str) -> bool:
    """Whether the kernel declared row ``name`` (a plugin row of that name is an error)."""
    return dict.__contains__(SCALAR_OPS, name)

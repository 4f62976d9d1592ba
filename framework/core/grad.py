"""Reverse-mode differentiation that builds graph, not numbers.

``grad`` walks the nodes between the cost and the wanted variables in reverse
topological order, asks each op for its gradient rule and sums the
contributions per variable. The result is an ordinary graph: it is rewritten,
compiled and can be differentiated again.
"""
from __future__ import annotations

import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import DisconnectedInputError, GradientError, format_trace, user_trace
from .graph import Apply, Variable, ancestors, toposort
from .op import Op
from .types import TensorType, Type, is_int
from .variable import TensorVariable, as_tensor_variable
from . import elemwise as E


class GradientOnly(Op):
    """What the gradient-only ops share: the identity on their first input in the forward pass
    (its shape, no checks), other inputs only parametrise the gradient. The
    ``gradient_only_identity`` rewrite removes them from compiled graphs (they only matter to
    ``grad``)."""

    view_map = {0: [0]}
    gradient_only = True

    def impl(self, xp: Any, x: Any, *params: Any) -> Any:
        return x

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [input_shapes[0]]

    def shape_constraints(self, node: Apply) -> list:
        return []


class GradCut(GradientOnly):
    """Identity in the forward pass; the gradient is cut (``disconnected_grad``),
    replaced by zeros (``zero_grad``) or declared undefined (``undefined_grad``:
    a null gradient, so ``grad`` raises :class:`NullTypeGradError` for any
    ``wrt`` it reaches)."""
    complex_grad = True  # identity or a cut

    __props__ = ("mode",)

    _NAMES = {"disconnected": "disconnected_grad", "zero": "zero_grad", "undefined": "undefined_grad"}

    def __init__(self, mode: str) -> None:
        if mode not in self._NAMES:
            raise ValueError(f"GradCut: mode must be one of {', '.join(map(repr, self._NAMES))}, got {mode!r}")
        self.mode = mode
        self.name = self._NAMES[mode]

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type])

    def grad(self, node: Apply, output_grads):
        if self.mode == "disconnected":
            return [None]
        if self.mode == "undefined":
            return [grad_undefined(self, 0, node.inputs[0], "Its gradient was declared undefined with "
                                   "undefined_grad.")]
        return [E.zeros_like(node.inputs[0])]


def disconnected_grad(x: Any) -> TensorVariable:
    """``x`` in the forward pass; no gradient flows back through it."""
    return GradCut("disconnected")(x)


def zero_grad(x: Any) -> TensorVariable:
    """``x`` in the forward pass; the gradient through it is zero."""
    return GradCut("zero")(x)


def undefined_grad(x: Any) -> TensorVariable:
    """``x`` in the forward pass; its gradient is undefined: taking a gradient through it raises
    :class:`NullTypeGradError` (Theano's ``undefined_grad``)."""
    return GradCut("undefined")(x)


def _scalar_operand(v: Any, what: str, x: Variable) -> Variable:
    try:
        t = as_tensor_variable(v)
    except TypeError:
        raise TypeError(f"{what} must be a number or a 0-d symbolic variable, got {type(v).__name__} "
                        f"{v!r:.40} (at {format_trace(user_trace())})") from None
    if t.ndim != 0:
        got = f"{v!r:.40}" if not isinstance(v, Variable) else str(v)
        raise TypeError(f"{what} must be a number or a 0-d symbolic variable, got {got}, a {t.ndim}-d "
                        f"{t.dtype} value (at {format_trace(user_trace())})")
    return t


class GradClip(GradientOnly):
    """``grad_clip(x, lower, upper)``: identity in the forward pass; the gradient that flows back
    through it is clipped element-wise to ``[lower, upper]``. The bounds are inputs (numbers become
    constants; 0-d variables work too) and get no gradient. Gradient-only: compiled graphs lose it."""
    complex_grad = False  # clips with real bounds

    name = "grad_clip"
    __props__ = ()

    def make_node(self, x: Any, lower: Any, upper: Any) -> Apply:
        x = as_tensor_variable(x)
        lo = _scalar_operand(lower, "grad_clip: the lower bound", x)
        hi = _scalar_operand(upper, "grad_clip: the upper bound", x)
        if isinstance(lower, (int, float, np.number)) and isinstance(upper, (int, float, np.number)) \
                and lower > upper:
            raise ValueError(f"grad_clip: the lower bound {lower!r} is above the upper bound {upper!r} "
                             f"(at {format_trace(user_trace())})")
        return Apply(self, [x, lo, hi], [x.type])

    def grad(self, node: Apply, output_grads):
        _, lo, hi = node.inputs
        return [E.clip(output_grads[0], lo, hi), None, None]


class GradScale(GradientOnly):
    """``grad_scale(x, multiplier)``: identity in the forward pass; the gradient that flows back
    through it is multiplied by ``multiplier`` (a number or a 0-d variable, which gets no
    gradient; -1 reverses the gradient). Gradient-only: compiled graphs lose it."""
    complex_grad = True  # linear

    name = "grad_scale"
    __props__ = ()

    def make_node(self, x: Any, multiplier: Any) -> Apply:
        x = as_tensor_variable(x)
        m = _scalar_operand(multiplier, "grad_scale: the multiplier", x)
        return Apply(self, [x, m], [x.type])

    def grad(self, node: Apply, output_grads):
        return [node.inputs[1] * output_grads[0], None]


def grad_clip(x: Any, lower: Any, upper: Any) -> TensorVariable:
    """``x`` in the forward pass; the gradient through it is clipped element-wise to
    ``[lower, upper]`` (Theano's ``grad_clip``)."""
    return GradClip()(x, lower, upper)


def grad_scale(x: Any, multiplier: Any) -> TensorVariable:
    """``x`` in the forward pass; the gradient through it is multiplied by ``multiplier``
    (Theano's ``grad_scale``; ``grad_scale(x, -1)`` reverses it)."""
    return GradScale()(x, multiplier)


GRADIENT_ONLY_OPS = ("zero_grad", "disconnected_grad", "grad_clip", "grad_scale")
"""Names of the ops that are the identity in the forward pass and only change gradients: the
rewrites plugin's ``gradient_only_identity`` removes them from compiled graphs."""


# --- null gradients ---------------------------------------------------------------------------


class NullType(Type):
    """The type of a gradient that does not exist: mathematically undefined, or not implemented by
    an op (Theano's ``NullType``). An op's ``grad`` may return ``grad_undefined(...)`` or
    ``grad_not_implemented(...)`` for an input; ``grad`` carries such a gradient to everything that
    depends on it and, when it reaches a ``wrt``, raises :class:`NullTypeGradError` (or returns the
    null variable with ``null_gradients='return'``). A null variable has no value: compiling a
    function that needs one is a ``TypeError`` giving ``why_null``."""

    dtype = "object"

    def __init__(self, why_null: str = "(no explanation given)") -> None:
        self.why_null = why_null

    def filter(self, value: Any, name: str = "input", allow_downcast: Optional[bool] = None) -> Any:
        raise TypeError(f"{name} is a null gradient (NullType) and cannot hold a value: {self.why_null}")

    def __eq__(self, other: Any) -> bool:
        return type(other) is NullType and other.why_null == self.why_null

    def __hash__(self) -> int:
        return hash(("NullType", self.why_null))

    def __repr__(self) -> str:
        return "NullType"


class NullTypeGradError(GradientError, TypeError):
    """``grad`` found a null gradient (undefined or not implemented) for one of its ``wrt``."""


def is_null(v: Any) -> bool:
    """Whether ``v`` is a null gradient (a variable of :class:`NullType`)."""
    return isinstance(getattr(v, "type", None), NullType)


def _op_label(op: Any) -> str:
    return str(op) if isinstance(op, Op) else getattr(op, "__name__", None) or repr(op)


def grad_not_implemented(op: Any, x_pos: int, x: Any, comment: str = "") -> Variable:
    """For an op's ``grad``: the gradient of input ``x_pos`` (``x``) is not implemented. Returns a
    null variable; ``grad`` raises :class:`NullTypeGradError` if it reaches a ``wrt``."""
    return NullType(f"This variable is Null because the grad method for input {x_pos} ({x}) of the "
                    f"{_op_label(op)} op is not implemented. {comment}".rstrip())()


def grad_undefined(op: Any, x_pos: int, x: Any, comment: str = "") -> Variable:
    """For an op's ``grad``: the gradient of input ``x_pos`` (``x``) is mathematically undefined.
    Returns a null variable; ``grad`` raises :class:`NullTypeGradError` if it reaches a ``wrt``."""
    return NullType(f"This variable is Null because the grad method for input {x_pos} ({x}) of the "
                    f"{_op_label(op)} op is mathematically undefined. {comment}".rstrip())()


def _add_grad(acc: Dict[Variable, Variable], v: Variable, g: Variable) -> None:
    prev = acc.get(v)
    if prev is None:
        acc[v] = g
    elif is_null(prev):
        pass  # a null term makes the sum null; the first one found is kept (as in Theano)
    elif is_null(g):
        acc[v] = g
    else:
        acc[v] = prev + g


def grad(
    cost: Optional[Variable],
    wrt: Union[Variable, Sequence[Variable]],
    consider_constant: Optional[Sequence[Variable]] = None,
    disconnected_inputs: str = "raise",
    known_grads: Optional[Dict[Variable, Any]] = None,
    return_disconnected: str = "zero",
    stabilize: bool = True,
    int_grads: str = "zero",
    null_gradients: str = "raise",
) -> Union[TensorVariable, List[TensorVariable]]:
    """Symbolic gradient of the scalar ``cost`` with respect to ``wrt``.

    ``consider_constant``: variables treated as constants (nothing flows
    through them). ``disconnected_inputs``: 'raise', 'warn' or 'ignore' when a
    ``wrt`` does not influence the cost. ``known_grads``: {variable: gradient}
    to start from (``cost`` may then be None).

    ``int_grads``: what an integer variable gets. ``'zero'`` (the default): zeros, and an
    integer cost is an error. ``'real'`` (Theano 1.0's rule, what ``theano.grad`` uses): the
    gradient as if the integers were real numbers where they reach the cost through a float
    result (``grad((iv * 2.5).sum(), iv)`` is 2.5 everywhere), zeros where every way runs
    through integer results (``iv * 2`` is a step function), and an integer cost is allowed
    (its own gradient is 1, in floatX).

    With ``stabilize`` (the default) the cost is first passed through the
    ``canonicalize`` and ``stabilize`` rewrite stages, so the gradient of a
    hand-written ``log(1 / (1 + exp(-z)))`` is built from ``-softplus(-z)``
    and stays finite where the sigmoid saturates (as Theano's tutorial
    expects). Random draws, ``wrt``, ``consider_constant`` and
    ``known_grads`` variables are kept as they are, so the gradient uses the
    very samples the cost used.

    ``null_gradients``: what happens when a ``wrt``'s gradient is null (an op's gradient rule
    said ``grad_undefined`` or ``grad_not_implemented`` on the way): ``'raise'`` (the default)
    raises :class:`NullTypeGradError` with the op's explanation, ``'return'`` returns the null
    variable (of :class:`NullType`) in that place. A null gradient passes through every op it
    meets (but ``disconnected_grad``) and makes any sum it is part of null.
    """
    if null_gradients not in ("raise", "return"):
        raise ValueError(f"null_gradients must be 'raise' or 'return', not {null_gradients!r}")
    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError(f"disconnected_inputs must be 'raise', 'warn' or 'ignore', not {disconnected_inputs!r}")
    if int_grads not in ("zero", "real"):
        raise ValueError(f"int_grads must be 'zero' or 'real', not {int_grads!r}")
    real_ints = int_grads == "real"
    single = isinstance(wrt, Variable)
    wrt_list = [wrt] if single else list(wrt)
    for w in wrt_list:
        if not isinstance(w, Variable):
            raise TypeError(f"grad: wrt must be symbolic variables, got {type(w).__name__} {w!r:.40}")
    seeds: Dict[Variable, Variable] = {}
    if cost is not None:
        if not isinstance(cost, Variable):
            raise TypeError(f"grad: cost must be a symbolic variable, got {type(cost).__name__}")
        if cost.ndim != 0:
            where = f" (built at {format_trace(cost.owner.trace)})" if cost.owner else ""
            from .errors import expression as pp

            raise TypeError(
                f"grad: the cost must be a scalar, but {pp(cost)} has type {cost.type}{where}; "
                "reduce it first, e.g. cost.sum() or cost.mean(), or use jacobian()"
            )
        if is_int(cost.dtype) and not real_ints:
            raise TypeError(f"grad: the cost {cost} has integer dtype {cost.dtype}; gradients need a float cost")
        # ones_like keeps the gradient a function of the cost's inputs (as in Theano);
        # the constant-shape rewrite folds it, so the cost itself is not computed
        seeds[cost] = E.ones_like(cost, dtype=_float_for(cost)) if is_int(cost.dtype) else E.ones_like(cost)
    for v, g in (known_grads or {}).items():
        if is_null(g):
            _add_grad(seeds, v, g)
            continue
        g = as_tensor_variable(g)
        if g.ndim != v.ndim:
            raise ValueError(f"known_grads: gradient for {v} has {g.ndim} dims, the variable has {v.ndim}")
        _add_grad(seeds, v, g)
    if not seeds:
        raise ValueError("grad needs a cost or known_grads")

    constants = set(consider_constant or ())
    if cost is not None and stabilize:
        stable = _stabilized(cost, set(wrt_list) | constants | set(known_grads or ()))
        if stable is not cost:
            seeds[stable] = seeds.pop(cost)
    roots = list(seeds)
    nodes = toposort(roots, blockers=constants)
    # keep only nodes through which some wrt can influence the roots
    wanted = set(wrt_list)
    depends: set = set(wanted)
    relevant: List[Apply] = []
    for node in nodes:
        if any(i in depends for i in node.inputs):
            depends.update(node.outputs)
            relevant.append(node)

    grads: Dict[Variable, Variable] = dict(seeds)
    int_reached: set = set()  # integer variables the walk reached: what feeds them has a zero gradient
    for node in reversed(relevant):
        out_grads = [grads.get(o) for o in node.outputs]
        if real_ints:  # an integer result is a step function of the node's inputs: zero flows back
            for k, o in enumerate(node.outputs):
                if out_grads[k] is not None and not is_null(out_grads[k]) and isinstance(o.type, TensorType) and is_int(o.dtype):
                    out_grads[k] = None
                    int_reached.add(o)
        if all(g is None for g in out_grads):
            continue
        if len(node.outputs) == 1 and out_grads[0] is None:
            continue
        null = next((g for g in out_grads if is_null(g)), None)
        if null is not None:  # an undefined gradient makes everything it flows into undefined
            if isinstance(node.op, GradCut) and node.op.mode == "disconnected":
                continue
            shape_only = getattr(node.op, "shape_only_inputs", None)
            skip = shape_only(node) if shape_only is not None else ()
            for k, x in enumerate(node.inputs):
                if k not in skip and x in depends and not (x in constants and x not in wanted):
                    _add_grad(grads, x, null)
            continue
        declared = getattr(node.op, "complex_grad", None)
        if declared is not True and type(node.op).grad is not Op.grad and any(
                str(getattr(v.type, "dtype", "")).startswith("complex") for v in (*node.inputs, *node.outputs)):
            # a rule written for real values only, or not declared right for complex ones: a complex
            # gradient from it could be silently wrong
            why = ("its rule is for real values" if declared is False else
                   f"{type(node.op).__name__} does not declare its rule right for complex values: its author "
                   "sets complex_grad = True where it is (docs/plugins.md)")
            raise GradientError(f"grad: the gradient of op '{node.op}' on complex values is not implemented "
                                f"({why}); node built at {format_trace(node.trace)}")
        try:
            in_grads = node.op.grad(node, out_grads)
        except GradientError:
            raise
        except Exception as exc:
            raise GradientError(
                f"building the gradient of op '{node.op}' failed: {exc} "
                f"(node built at {format_trace(node.trace)})"
            ) from exc
        if len(in_grads) != len(node.inputs):
            raise GradientError(f"op '{node.op}' returned {len(in_grads)} gradients for {len(node.inputs)} inputs")
        if real_ints:
            in_grads = _real_int_grads(node, out_grads, list(in_grads), depends)
        for x, g in zip(node.inputs, in_grads):
            if x not in depends or (x in constants and x not in wanted):
                continue  # a constant asked for itself gets its gradient; nothing flows past it
            if is_null(g):
                _add_grad(grads, x, g)
                continue
            if is_int(x.dtype) and isinstance(x.type, TensorType):
                if not (real_ints and g is not None and _float_result(node)):
                    int_reached.add(x)
                    continue
                g = as_tensor_variable(g)  # 'real': the op's gradient, kept in its float dtype
                if is_int(g.dtype):
                    g = E.cast(g, _float_for(x))
                _add_grad(grads, x, g)
                continue
            if g is None or not isinstance(x.type, TensorType):
                continue
            g = as_tensor_variable(g)
            if g.dtype != x.dtype:
                g = E.cast(g, x.dtype)
            _add_grad(grads, x, g)

    results = []
    reach: List[set] = []

    def connected() -> set:
        """What the cost (the seeds) depends on: an integer ``wrt`` outside it is disconnected."""
        if not reach:
            reach.append(set(ancestors(roots, blockers=constants)))
        return reach[0]

    for w in wrt_list:
        g = grads.get(w)
        if is_null(g):
            if null_gradients == "raise":
                raise NullTypeGradError(f"grad: the gradient with respect to {w} is null: {g.type.why_null}")
            results.append(g)
            continue
        if g is None:
            # an integer gets zeros (framework's rule, connected or not); under Theano's rule
            # (int_grads='real') only one the cost depends on -- a disconnected one is disconnected
            if is_int(w.dtype) and (not real_ints or w in seeds or w in connected()):
                g = E.zeros_like(w, dtype=_float_for(w))
            elif int_reached and w in set(ancestors(list(int_reached), blockers=constants)):
                g = E.zeros_like(w)  # the cost depends on w only through integer values: zero, not disconnected
            else:
                msg = (
                    f"grad: the cost does not depend on {w} ({w.type}); pass "
                    "disconnected_inputs='ignore' or 'warn' to get zeros instead"
                )
                if disconnected_inputs == "raise" and w not in seeds:
                    raise DisconnectedInputError(msg)
                if disconnected_inputs == "warn":
                    warnings.warn(msg, stacklevel=2)
                if return_disconnected == "none":
                    results.append(None)
                    continue
                g = E.zeros_like(w)
        results.append(g)
    return results[0] if single else results


def _real_int_grads(node: Apply, out_grads: List[Optional[Variable]], in_grads: List[Any],
                    depends: set) -> List[Any]:
    """``int_grads='real'``: ops give no gradient to their integer inputs (``dot`` skips it,
    a table row's rule may); where the node has a float result, the gradient an integer input
    gets is the one the same op gives that input cast to the result's float dtype."""
    wanted = [k for k, x in enumerate(node.inputs)
              if in_grads[k] is None and x in depends and isinstance(x.type, TensorType) and is_int(x.dtype)]
    if not wanted or not _float_result(node):
        return in_grads
    fdt = next(o.dtype for o in node.outputs if isinstance(o.type, TensorType) and not is_int(o.dtype))
    try:
        proxy = node.op.make_node(*[E.cast(x, fdt) if k in wanted else x for k, x in enumerate(node.inputs)])
    except Exception:  # an input that must be integer (an index, a size): a step, zero
        return in_grads
    if [o.type for o in proxy.outputs] != [o.type for o in node.outputs]:
        return in_grads  # the op types its result otherwise for float inputs: no proxy
    proxy_grads = node.op.grad(proxy, out_grads)
    for k in wanted:
        in_grads[k] = proxy_grads[k]
    return in_grads


def _float_result(node: Apply) -> bool:
    """Whether some output of ``node`` is a float tensor: a way for its integer inputs to
    influence a cost other than in steps (``int_grads='real'``)."""
    return any(isinstance(o.type, TensorType) and not is_int(o.dtype) for o in node.outputs)


def _float_for(v: Variable) -> str:
    from ..config import config

    return config.floatX


def verify_grad(fun, pt: Sequence[Any], n_tests: int = 2, rng=None, eps: Optional[float] = None,
                abs_tol: Optional[float] = None, rel_tol: Optional[float] = None, mode=None,
                cast_to_output_type: bool = False, no_debug_ref: bool = True) -> None:
    """Check the symbolic gradient of ``fun`` against finite differences.

    ``fun`` takes symbolic tensors shaped like the arrays in ``pt`` and
    returns one symbolic tensor. The check uses a random projection of the
    output to a scalar; on mismatch a :class:`GradientError` gives the
    largest absolute and relative errors and where they happen.
    """
    from .function import function
    from .types import TensorType as TT

    rng = rng if rng is not None else np.random.RandomState(42)
    pt = [np.array(p) for p in pt]
    for p in pt:
        if not np.issubdtype(p.dtype, np.floating):
            raise TypeError(f"verify_grad: points must be float arrays, got dtype {p.dtype}")
    low_precision = any(p.dtype in (np.float16, np.float32) for p in pt)
    eps = eps if eps is not None else (1e-2 if low_precision else 1e-7)
    abs_tol = abs_tol if abs_tol is not None else (1e-2 if low_precision else 1e-4)
    rel_tol = rel_tol if rel_tol is not None else (1e-2 if low_precision else 1e-4)
    inputs = [TT(p.dtype, (None,) * p.ndim)(f"input_{i}") for i, p in enumerate(pt)]
    out = as_tensor_variable(fun(*inputs))
    f_out = function(inputs, out, mode=mode, on_unused_input="ignore")
    out_shape = np.shape(f_out(*pt))
    for _ in range(n_tests):
        proj = np.asarray(rng.rand(*out_shape)).astype(out.dtype if out.dtype.startswith("float") else "float64")
        t_proj = as_tensor_variable(proj)
        cost = (out * t_proj).sum()
        gs = grad(cost, inputs, disconnected_inputs="ignore")
        f_cost = function(inputs, cost, mode=mode, on_unused_input="ignore")
        f_grad = function(inputs, gs, mode=mode, on_unused_input="ignore")
        analytic = f_grad(*pt)
        for k, p in enumerate(pt):
            num = np.zeros_like(p, dtype="float64")
            flat = p.reshape(-1)
            for j in range(flat.size):
                orig = flat[j]
                flat[j] = orig + eps
                plus = float(f_cost(*pt))
                flat[j] = orig - eps
                minus = float(f_cost(*pt))
                flat[j] = orig
                num.reshape(-1)[j] = (plus - minus) / (2 * eps)
            a = np.asarray(analytic[k], dtype="float64")
            abs_err = np.abs(a - num)
            rel_err = abs_err / np.maximum(np.abs(a) + np.abs(num), 1e-8)
            bad = (abs_err > abs_tol) & (rel_err > rel_tol)
            if np.any(bad):
                pos = np.unravel_index(int(np.argmax(np.where(bad, abs_err, -1))), p.shape) if p.ndim else ()
                raise GradientError(
                    f"verify_grad: gradient of input {k} (shape {p.shape}) disagrees with finite "
                    f"differences: max abs error {abs_err.max():.3g}, max rel error {rel_err.max():.3g}; "
                    f"at index {pos}: symbolic {a[pos] if p.ndim else a!r}, numeric {num[pos] if p.ndim else num!r}"
                )


def _stabilized(cost: Variable, keep: set) -> Variable:
    """``cost`` rewritten by the canonicalize, scan_pushout and stabilize stages, or ``cost``
    itself when no rewrite fires.

    Variables in ``keep`` and the samples of random draws stay shared with the user's graph, so
    the gradient uses the very numbers the cost used. A loop that draws (a scan with generator
    states) must not be duplicated either, but its node is what ``scan_pushout`` works on: the
    copy gets its own node for it, over the user's very inputs, and afterwards every such node
    the rewrites left as it was is swapped back for the user's. So ``log(nv_means[-1])`` of a
    Gibbs chain whose body also returns the pre-sigmoid activation becomes ``log(sigmoid(
    pre[-1]))`` read from the user's own loop, and is stabilised. When the push-out has to make
    the loop output something new, the copy's loop is another loop over the same generator
    states: it draws the same numbers (a draw is a function of its state, and a state read by two
    loops is never advanced in place); its outputs are the user's loop's and more, so the rewrites
    plugin's ``scan_merge_forward`` runs the two as one loop when compiling."""
    from .fgraph import FunctionGraph
    from .graph import Tag, ancestors, clone_replace, inputs_of, toposort
    from .mode import FAST_RUN
    from .rewrite import rewrite

    blockers = set(keep)
    loops: List[Apply] = []
    for v in ancestors([cost], keep):
        node = v.owner
        if node is None or not _draws_random(node.op):
            continue
        if _is_loop(node.op):
            if node not in loops:
                loops.append(node)
            blockers.update(node.inputs)
        else:
            blockers.update(node.outputs)
    if cost in blockers:
        return cost
    memo: Dict[Variable, Variable] = {b: b for b in blockers}
    for node in toposort([cost], blockers=blockers):
        new = node.clone_with_new_inputs([memo.get(i, i) for i in node.inputs])
        for old, nv in zip(node.outputs, new.outputs):
            nv.tag = Tag(old.tag)
            memo[old] = nv
    clone = memo.get(cost, cost)
    fgraph = FunctionGraph(inputs_of([clone], blockers), [clone])
    report = rewrite(fgraph, FAST_RUN, stages=_STAGES, quiet=True, specs=_stabilizers())
    if not report.fired:
        return cost
    out = fgraph.outputs[0]
    if out.type.dtype != cost.type.dtype or out.ndim != 0:
        return cost
    # the user's loops back in place of the copy's untouched ones (same op, same inputs)
    back: Dict[Variable, Variable] = {}
    copies = {}
    for n in loops:
        mine = memo.get(n.outputs[0])
        if mine is not None and mine is not n.outputs[0]:
            copies[mine.owner] = n
    for node in toposort([out], blockers=blockers):
        original = copies.get(node)
        if original is not None and node.op is original.op and len(node.inputs) == len(original.inputs)                 and all(a is b for a, b in zip(node.inputs, original.inputs)):
            back.update(zip(node.outputs, original.outputs))
    if back:
        (out,) = clone_replace([out], back)
    return out


def _is_loop(op: Any) -> bool:
    return getattr(op, "n_rng", 0) > 0


_STAGES = ("canonicalize", "scan_pushout", "stabilize")


def _stabilizers() -> List[Any]:
    """The kernel's own stabilisation rewrites, plus the registered rewrites of
    the stages ``grad`` runs (a plugin's rewrite of the same name replaces ours)."""
    from .. import plugins
    from .stabilize import REWRITES

    specs = {s.name: s for s in REWRITES}
    specs.update((s.name, s) for s in plugins.rewrites() if s.stage in _STAGES)
    return list(specs.values())


def _draws_random(op: Any) -> bool:
    """Ops whose outputs must not be duplicated: random draws, loops that draw."""
    from .random_ops import RandomVariable

    return isinstance(op, RandomVariable) or getattr(op, "n_rng", 0) > 0

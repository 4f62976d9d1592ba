"""``theano.gradient``: ``grad`` with Theano 1.0's keywords, ``Lop``/``Rop``, gradient cuts."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Union

from ...core import grad as _g
from ...core.errors import DisconnectedInputError, GradientError
from ...core.elemwise import zeros_like
from ...core.graph import clone_replace, toposort
from ...core.grad import (GradClip, GradCut, GradScale, NullType, NullTypeGradError, disconnected_grad, grad_clip,
                          grad_not_implemented, grad_scale, grad_undefined, is_null, undefined_grad, zero_grad)
from ...gradient import hessian, jacobian  # built on grad above the kernel (a scan over rows)
from ...core.variable import as_tensor_variable
from .gof.op import rop_forward, uses_own_r_op

__all__ = ["grad", "Lop", "Rop", "jacobian", "hessian", "verify_grad", "disconnected_grad", "zero_grad",
           "consider_constant", "GradientError", "DisconnectedInputError", "DisconnectedType", "NullTypeGradError",
           "NullType", "grad_clip", "grad_scale", "grad_undefined", "grad_not_implemented", "subgraph_grad",
           "GradClip", "GradScale", "undefined_grad", "numeric_grad"]

# the op instances Theano's tests look for in compiled graphs (they are removed there)
zero_grad_ = GradCut("zero")
disconnected_grad_ = GradCut("disconnected")
undefined_grad_ = GradCut("undefined")
consider_constant_ = zero_grad_


class DisconnectedType:
    """Theano's type of "no gradient flows here": ``DisconnectedType()()`` is a variable that, given
    as a ``known_grads`` value, says the variable it is given for is disconnected from the cost;
    ``grad(..., return_disconnected='Disconnected')`` returns such variables for disconnected
    ``wrt``."""

    def __call__(self, name: Optional[str] = None) -> "DisconnectedVariable":
        return DisconnectedVariable(name)

    def __eq__(self, other: Any) -> bool:
        return type(other) is DisconnectedType

    def __hash__(self) -> int:
        return hash(DisconnectedType)

    def __repr__(self) -> str:
        return "DisconnectedType"


class DisconnectedVariable:
    """A disconnected gradient (``DisconnectedType()()``); not a tensor, it cannot be computed."""

    type = DisconnectedType()

    def __init__(self, name: Optional[str] = None) -> None:
        self.name = name

    def __repr__(self) -> str:
        return "DisconnectedType()()"


_RETURN_DISCONNECTED = ("zero", "None", "Disconnected")
_CHOICES = ("raise", "warn", "ignore")


def grad(cost: Any, wrt: Any, consider_constant: Optional[Sequence[Any]] = None, disconnected_inputs: str = "raise",
         add_names: bool = True, known_grads: Optional[dict] = None, return_disconnected: str = "zero",
         null_gradients: str = "raise") -> Any:
    """``theano.grad`` (also ``theano.tensor.grad``) with Theano 1.0's keywords.

    Integers follow Theano 1.0 (``int_grads='real'`` of framework's ``grad``): ``grad((iv * 2.5).sum(),
    iv)`` is 2.5 everywhere, as for a float ``iv``; through integer results only it is zero; an
    integer cost is allowed. ``return_disconnected``: 'zero' (zeros), 'None' or 'Disconnected' (a ``DisconnectedType()()``)
    for a ``wrt`` the cost does not depend on. ``known_grads`` values may be
    ``DisconnectedType()()``. ``add_names`` names each gradient ``(dcost/dwrt)`` when both have
    names. ``null_gradients``: a gradient that an op's rule made null (``grad_undefined``,
    ``grad_not_implemented``, a ``NullType()()`` in ``known_grads``) raises ``NullTypeGradError``
    where it reaches a ``wrt`` ('raise') or is returned ('return'); an op without any gradient rule
    raises ``GradientError`` when ``grad`` is called."""
    if return_disconnected not in _RETURN_DISCONNECTED:
        raise ValueError(f"grad: return_disconnected must be one of {', '.join(map(repr, _RETURN_DISCONNECTED))}, "
                         f"not {return_disconnected!r}")
    if null_gradients not in ("raise", "return"):
        raise ValueError(f"grad: null_gradients must be 'raise' or 'return', not {null_gradients!r}")
    if disconnected_inputs not in _CHOICES:
        raise ValueError(f"grad: disconnected_inputs must be 'raise', 'warn' or 'ignore', not {disconnected_inputs!r}")
    single = not isinstance(wrt, (list, tuple))
    wrt_list = [wrt] if single else list(wrt)
    known = dict(known_grads or {})
    if cost is not None and isinstance(known.get(cost), DisconnectedVariable):
        cost = None  # the cost itself said to be disconnected
    known = {k: v for k, v in known.items() if not isinstance(v, DisconnectedVariable)}
    if cost is None and not known:
        out: List[Any] = []
        for w in wrt_list:
            _disconnected(w, disconnected_inputs)
            out.append(None)
    else:
        out = _g.grad(cost, wrt_list, consider_constant=consider_constant, disconnected_inputs=disconnected_inputs,
                      known_grads=known or None, return_disconnected="none", int_grads="real",
                      null_gradients=null_gradients)
    results = []
    for w, g in zip(wrt_list, out):
        if g is None:
            g = (_zeros_for(w) if return_disconnected == "zero" else None if return_disconnected == "None"
                 else DisconnectedType()())
        elif is_null(g):
            pass
        elif add_names and cost is not None and cost.name is not None and getattr(w, "name", None) is not None \
                and g.owner is not None and g.name is None:
            g.name = f"(d{cost.name}/d{w.name})"
        results.append(g)
    return results[0] if single else results


def _zeros_for(w: Any) -> Any:
    from ...config import config
    from ...core.types import is_int

    w = as_tensor_variable(w)
    return zeros_like(w, dtype=config.floatX) if is_int(w.dtype) else zeros_like(w)


def _disconnected(w: Any, how: str) -> None:
    msg = f"grad: the cost does not depend on {w}; pass disconnected_inputs='ignore' or 'warn' to get zeros instead"
    if how == "raise":
        raise DisconnectedInputError(msg)
    if how == "warn":
        import warnings

        warnings.warn(msg, stacklevel=3)


def consider_constant(x: Any) -> Any:
    """Theano's ``consider_constant(x)``: ``x`` in the forward pass; the gradient through it is
    zero (connected: ``grad(consider_constant(x).sum(), x)`` is zeros, not an error -- Theano's
    ``TestConsiderConstant``). ``disconnected_grad`` is the one that disconnects."""
    return zero_grad(x)


def _listed(x: Any) -> List[Any]:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def Lop(f: Any, wrt: Any, eval_points: Any, consider_constant: Optional[Sequence[Any]] = None,
        disconnected_inputs: str = "raise") -> Any:  # noqa: N802 -- Theano's name
    """The vector-Jacobian product ``eval_points^T . d f / d wrt``."""
    fs, points = _listed(f), _listed(eval_points)
    if len(fs) != len(points):
        raise ValueError(f"Lop: {len(fs)} expression(s) but {len(points)} eval point(s)")
    known = {as_tensor_variable(a): as_tensor_variable(b) for a, b in zip(fs, points)}
    out = _g.grad(None, _listed(wrt), consider_constant=consider_constant, known_grads=known,
                  disconnected_inputs=disconnected_inputs)
    return out if isinstance(wrt, (list, tuple)) else out[0]


def Rop(f: Any, wrt: Any, eval_points: Any) -> Any:  # noqa: N802 -- Theano's name
    """The Jacobian-vector product ``d f / d wrt . eval_points``, built from two vector-Jacobian
    products (the gradient of ``u^T J v`` with respect to ``u``), so every op with a gradient has one.
    Where the graph holds a Theano-style op (``theano.Op``) that declares its own ``R_op``, the
    product is built node by node instead, and that op's ``R_op`` is used (Theano's rule)."""
    fs, wrts, points = _listed(f), _listed(wrt), _listed(eval_points)
    if len(wrts) != len(points):
        raise ValueError(f"Rop: {len(wrts)} variable(s) but {len(points)} eval point(s)")
    fs = [as_tensor_variable(v) for v in fs]
    if any(uses_own_r_op(n.op) for n in toposort(fs, blockers=wrts)):
        out = [t if t is not None else zeros_like(v)
               for v, t in zip(fs, rop_forward(fs, wrts, points, _node_rop))]
        return out if isinstance(f, (list, tuple)) else out[0]
    return _rop_by_vjp(fs, wrts, points, f)


def _node_rop(node: Any, eval_points: List[Any]) -> List[Any]:
    """One node's Jacobian-vector product (None for an output without one), by two VJPs on a
    copy of the node whose inputs are stand-ins (so only this node's own derivative counts)."""
    stand = [i.type.make_variable() for i in node.inputs]
    copy = node.op.make_node(*stand)
    ins = [s for s, e in zip(stand, eval_points) if e is not None]
    outs = [o for o in copy.outputs if hasattr(o, "ndim")]
    jvp = _rop_by_vjp(outs, ins, [e for e in eval_points if e is not None], outs)
    back = dict(zip(stand, node.inputs))
    back.update(zip(copy.outputs, node.outputs))
    by_out = dict(zip(outs, clone_replace(jvp, back)))
    return [by_out.get(o) for o in copy.outputs]


def _rop_by_vjp(fs: List[Any], wrts: List[Any], points: List[Any], f: Any) -> Any:
    us = [v.type.make_variable(f"u_{v.name or 'f'}") for v in fs]
    vjp = _g.grad(None, wrts, known_grads=dict(zip(fs, us)), disconnected_inputs="ignore")
    total = None
    for g, p in zip(vjp, points):
        term = (g * as_tensor_variable(p)).sum()
        total = term if total is None else total + term
    out = _g.grad(total, us, disconnected_inputs="ignore")
    # the result is linear in u's value but may still read its shape: give u f's shape (zeros)
    out = clone_replace(out, {u: zeros_like(v) for u, v in zip(us, fs)})
    return out if isinstance(f, (list, tuple)) else out[0]




def subgraph_grad(wrt: List[Any], end: List[Any], start: Optional[dict] = None, cost: Any = None,
                  details: bool = False) -> tuple:
    """Theano's block-wise back-propagation helper: the gradients of ``cost`` (optional) and of the
    known gradients ``start`` ({variable: its gradient}, optional) with respect to ``wrt`` and to
    ``end``, stopping at ``end`` (its variables are taken as constants). Returns ``(wrt_grads,
    end_grads)``, and with ``details`` also the lists of what ``start`` and ``cost`` each gave for
    ``wrt`` and ``end`` together (``None`` for the one not given). Disconnected variables get zeros.
    Feeding ``dict(zip(end, end_grads))`` to the next call as ``start`` back-propagates a network
    one block at a time (``test_subgraph_grad``). As Theano warns: a gradient of ``cost`` with
    respect to a ``start`` variable that ``start`` already holds is counted twice."""
    if cost is None and start is None:
        raise ValueError("subgraph_grad needs a cost, known gradients (start), or both")
    if not isinstance(end, list):
        raise TypeError(f"subgraph_grad: end must be a list of variables, got {type(end).__name__}")
    if not isinstance(wrt, list):
        raise TypeError(f"subgraph_grad: wrt must be a list of variables, got {type(wrt).__name__}")
    if start is not None and not isinstance(start, dict):
        raise TypeError(f"subgraph_grad: start must be a dict {{variable: gradient}}, got {type(start).__name__}")
    params: List[Any] = []
    for v in wrt + end:
        if not any(v is p for p in params):
            params.append(v)
    start_grads = cost_grads = None
    if start is not None:
        start_grads = list(grad(None, params, known_grads=start, consider_constant=end, disconnected_inputs="ignore"))
    if cost is not None:
        cost_grads = list(grad(cost, params, consider_constant=end, disconnected_inputs="ignore"))
    if start_grads is None:
        grads = cost_grads
    else:
        grads = list(start_grads)
        if cost_grads is not None:
            grads = [a + b for a, b in zip(grads, cost_grads)]
    by_id = {id(p): g for p, g in zip(params, grads)}
    wrt_grads = [by_id[id(v)] for v in wrt]
    end_grads = [by_id[id(v)] for v in end]
    if details:
        return wrt_grads, end_grads, start_grads, cost_grads
    return wrt_grads, end_grads


def verify_grad(fun: Any, pt: Sequence[Any], n_tests: int = 2, rng: Any = None, eps: Optional[float] = None,
                out_type: Optional[str] = None, abs_tol: Optional[float] = None, rel_tol: Optional[float] = None,
                mode: Any = None, cast_to_output_type: bool = False, no_debug_ref: bool = True) -> None:
    """Theano's ``verify_grad(fun, pt, n_tests, rng, eps, out_type, abs_tol, rel_tol, mode, ...)``:
    compares the symbolic gradient of ``fun`` at the points ``pt`` with finite differences and
    raises ``verify_grad.E_grad`` (:class:`GradientError`) on a mismatch. The arguments are in
    Theano's order (``out_type``, the dtype of a complex output in Theano, before the
    tolerances; outputs here are real, so it has no effect)."""
    _g.verify_grad(fun, pt, n_tests=n_tests, rng=rng, eps=eps, abs_tol=abs_tol, rel_tol=rel_tol, mode=mode,
                   cast_to_output_type=cast_to_output_type, no_debug_ref=no_debug_ref)


verify_grad.E_grad = GradientError  # ``except verify_grad.E_grad:``, as Theano's tests write it


class numeric_grad:  # noqa: N801 -- Theano's name
    """Theano's finite-difference gradient: ``numeric_grad(f, pt, eps=None, out_type=None)``.

    ``f`` takes NumPy arrays and returns a scalar; ``pt`` is an array or a list/tuple of arrays
    (float16, float32 or float64). Every entry is stepped forward by ``eps`` in turn (one-sided
    differences); ``eps`` defaults to the largest of the inputs' :attr:`type_eps`, and the
    arrays ``f`` receives are in the most precise of their dtypes (as Theano: compile ``f``
    with ``allow_input_downcast=True``). ``gf`` holds the estimate, an array per input (one
    array when ``pt`` was one array). ``max_err(g_pt, abs_tol, rel_tol)`` compares an analytic
    gradient with it, as ``verify_grad`` does."""

    type_eps = {"float64": 1e-7, "float32": 3e-4, "float16": 1e-1}

    def __init__(self, f: Any, pt: Any, eps: Optional[float] = None, out_type: Optional[str] = None) -> None:
        import numpy as np

        single = not isinstance(pt, (list, tuple))
        points = [np.array(p) for p in ([pt] if single else pt)]
        dtypes = [str(p.dtype) for p in points]
        for k, dt in enumerate(dtypes):
            if dt not in self.type_eps:
                raise TypeError(f"numeric_grad: input {k} has dtype {dt}; finite differences need float16, float32 "
                                f"or float64 inputs")
        work = min(dtypes, key=lambda d: self.type_eps[d])  # the most precise dtype present
        step = max(self.type_eps[d] for d in dtypes) if eps is None else eps
        total = sum(p.size for p in points)
        flat = np.empty(total, dtype=work)
        out_dtype = out_type if out_type is not None and str(out_type).startswith("complex") else work
        grads = np.empty(total, dtype=out_dtype)
        views, self.gf = [], []
        start = 0
        for p in points:  # each input a view of one flat buffer, each estimate a view of another
            view = flat[start:start + p.size].reshape(p.shape)
            view[...] = p
            views.append(view)
            self.gf.append(grads[start:start + p.size].reshape(p.shape))
            start += p.size
        at_pt = f(*[v.copy() for v in views])
        base = flat.copy()
        for i in range(total):
            flat[:] = base
            flat[i] += step
            grads[i] = (f(*views) - at_pt) / step
        self.eps = step
        if single:
            self.gf = self.gf[0]

    @staticmethod
    def abs_rel_err(a: Any, b: Any) -> Any:
        """``(|a - b|, |a - b| / max(|a| + |b|, 1e-8))`` as arrays."""
        import numpy as np

        abs_err = np.asarray(abs(a - b))
        return abs_err, np.asarray(abs_err / np.maximum(abs(a) + abs(b), 1e-8))

    def abs_rel_errors(self, g_pt: Sequence[Any]) -> List[Any]:
        """:meth:`abs_rel_err` of each array of ``g_pt`` against the estimate (a ValueError for a
        list of another length or an array of another shape)."""
        estimate = self.gf if isinstance(self.gf, list) else [self.gf]
        if len(g_pt) != len(estimate):
            raise ValueError(f"numeric_grad: {len(g_pt)} gradients given for {len(estimate)} inputs")
        out = []
        for k, (a, b) in enumerate(zip(g_pt, estimate)):
            if a.shape != b.shape:
                raise ValueError(f"numeric_grad: gradient {k} has shape {a.shape}, the input {b.shape}")
            out.append(self.abs_rel_err(a, b))
        return out

    def max_err(self, g_pt: Sequence[Any], abs_tol: float, rel_tol: float) -> Any:
        """``(input, flat position, abs error, rel error)`` where ``min(abs_err / abs_tol, rel_err /
        rel_tol)`` is largest over ``g_pt``: above 1 means both tolerances are exceeded there. A
        non-finite error is a ValueError."""
        import numpy as np

        best = []
        for abs_err, rel_err in self.abs_rel_errors(g_pt):
            if not (np.all(np.isfinite(abs_err)) and np.all(np.isfinite(rel_err))):
                raise ValueError(f"numeric_grad: a non-finite error ({abs_err!r}, {rel_err!r})")
            scaled = np.minimum(abs_err / abs_tol, rel_err / rel_tol).reshape(-1)
            i = int(scaled.argmax()) if scaled.size else 0
            best.append((scaled[i] if scaled.size else 0.0, i, abs_err.reshape(-1)[i] if scaled.size else 0.0,
                         rel_err.reshape(-1)[i] if scaled.size else 0.0))
        arg = int(np.argmax([b[0] for b in best]))
        return arg, best[arg][1], best[arg][2], best[arg][3]


from ._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

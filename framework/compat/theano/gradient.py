"""``theano.gradient``: ``grad`` with Theano 1.0's keywords, ``Lop``/``Rop``, gradient cuts."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Union

from ...core import grad as _g
from ...core.errors import DisconnectedInputError, GradientError
from ...core.elemwise import zeros_like
from ...core.graph import clone_replace
from ...core.grad import disconnected_grad, verify_grad, zero_grad
from ...gradient import hessian, jacobian  # built on grad above the kernel (a scan over rows)
from ...core.variable import as_tensor_variable

__all__ = ["grad", "Lop", "Rop", "jacobian", "hessian", "verify_grad", "disconnected_grad", "zero_grad",
           "consider_constant", "GradientError", "DisconnectedInputError", "DisconnectedType", "NullTypeGradError"]

NullTypeGradError = GradientError
DisconnectedType = DisconnectedInputError


def grad(cost: Any, wrt: Any, consider_constant: Optional[Sequence[Any]] = None, disconnected_inputs: str = "raise",
         add_names: bool = True, known_grads: Optional[dict] = None, return_disconnected: str = "zero",
         null_gradients: str = "raise") -> Any:
    """``theano.grad``: ``add_names`` and ``null_gradients`` are accepted (gradients here are never
    null: an op without one raises GradientError when ``grad`` is called)."""
    return _g.grad(cost, wrt, consider_constant=consider_constant, disconnected_inputs=disconnected_inputs,
                   known_grads=known_grads, return_disconnected=return_disconnected)


def consider_constant(x: Any) -> Any:
    """Theano's ``consider_constant(x)``: ``x`` with no gradient flowing through it."""
    return disconnected_grad(x)


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
    products (the gradient of ``u^T J v`` with respect to ``u``), so every op with a gradient has one."""
    fs, wrts, points = _listed(f), _listed(wrt), _listed(eval_points)
    if len(wrts) != len(points):
        raise ValueError(f"Rop: {len(wrts)} variable(s) but {len(points)} eval point(s)")
    fs = [as_tensor_variable(v) for v in fs]
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



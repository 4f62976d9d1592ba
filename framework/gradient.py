"""Gradients: ``grad``, ``jacobian``, ``hessian``, ``verify_grad`` and gradient cuts.

``grad`` is the kernel's (framework/core/grad.py); ``jacobian`` and ``hessian``
are built on it here, above the kernel, because a Jacobian of unknown length
is a ``scan`` over the expression's elements.
"""
from typing import Sequence, Union

from .core.errors import DisconnectedInputError, GradientError
from .core.grad import (NullType, NullTypeGradError, disconnected_grad, grad, grad_clip, grad_not_implemented,
                        grad_scale, grad_undefined, undefined_grad, verify_grad, zero_grad)
from .core.graph import Variable
from .core.variable import as_tensor_variable

__all__ = ["grad", "jacobian", "hessian", "verify_grad", "disconnected_grad", "zero_grad", "undefined_grad", "grad_clip",
           "grad_scale",
           "grad_undefined", "grad_not_implemented", "NullType", "NullTypeGradError",
           "GradientError", "DisconnectedInputError"]


def jacobian(expression: Variable, wrt: Union[Variable, Sequence[Variable]],
             consider_constant=None, disconnected_inputs: str = "raise"):
    """d expression / d wrt: one row of gradients per element of ``expression``.

    The rows are computed with ``scan`` over the flattened expression (as
    Theano does), so the expression's length need not be known when building.
    """
    from .core import shape_ops
    from .core.shape_ops import arange, flatten, join, reshape, shape, shape_padleft

    single = isinstance(wrt, Variable)
    wrt_list = [wrt] if single else list(wrt)
    expression = as_tensor_variable(expression)
    if expression.ndim == 0:
        out = grad(expression, wrt_list, consider_constant=consider_constant,
                   disconnected_inputs=disconnected_inputs)
        return out[0] if single else out
    flat = flatten(expression)
    n = flat.type.shape[0]
    results = []
    if n is not None:
        rows = [grad(flat[i], wrt_list, consider_constant=consider_constant,
                     disconnected_inputs=disconnected_inputs) for i in range(n)]
        for k, w in enumerate(wrt_list):
            stacked = join(0, *[shape_padleft(r[k]) for r in rows])
            results.append(reshape(stacked, shape_ops.make_vector(*([shape(expression)[i] for i in range(expression.ndim)]
                                                                    + [shape(w)[i] for i in range(w.ndim)]), dtype="int64"),
                                   ndim=expression.ndim + w.ndim))
    else:
        from .scan_module import scan

        def row(i, flat_, *ws):
            return grad(flat_[i], list(ws), consider_constant=consider_constant,
                        disconnected_inputs=disconnected_inputs)

        seqs, _ = scan(row, sequences=arange(flat.shape[0]), non_sequences=[flat] + wrt_list)
        seqs = seqs if isinstance(seqs, list) else [seqs]
        for w, s in zip(wrt_list, seqs):
            results.append(reshape(s, shape_ops.make_vector(*([shape(expression)[i] for i in range(expression.ndim)]
                                                              + [shape(w)[i] for i in range(w.ndim)]), dtype="int64"),
                                   ndim=expression.ndim + w.ndim))
    return results[0] if single else results


def hessian(cost: Variable, wrt: Union[Variable, Sequence[Variable]],
            consider_constant=None, disconnected_inputs: str = "raise"):
    """Matrix of second derivatives of a scalar cost (for each vector ``wrt``)."""
    single = isinstance(wrt, Variable)
    wrt_list = [wrt] if single else list(wrt)
    out = []
    for w in wrt_list:
        if w.ndim != 1:
            raise TypeError(f"hessian: wrt must be vectors, got {w} of type {w.type}")
        g = grad(cost, w, consider_constant=consider_constant, disconnected_inputs=disconnected_inputs)
        out.append(jacobian(g, w, consider_constant=consider_constant, disconnected_inputs="ignore"))
    return out[0] if single else out

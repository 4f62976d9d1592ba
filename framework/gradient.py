"""Gradients: ``grad``, ``jacobian``, ``hessian``, ``verify_grad`` and gradient cuts."""
from .core.errors import DisconnectedInputError, GradientError
from .core.grad import disconnected_grad, grad, hessian, jacobian, verify_grad, zero_grad

__all__ = ["grad", "jacobian", "hessian", "verify_grad", "disconnected_grad", "zero_grad",
           "GradientError", "DisconnectedInputError"]

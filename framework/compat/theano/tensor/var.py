"""``theano.tensor.var``: the symbolic tensor classes."""
from ....core.variable import TensorConstant, TensorVariable

__all__ = ["TensorVariable", "TensorConstant"]

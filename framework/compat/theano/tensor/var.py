"""``theano.tensor.var``: the symbolic tensor classes."""
from ....core.variable import TensorConstant, TensorVariable

__all__ = ["TensorVariable", "TensorConstant"]


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

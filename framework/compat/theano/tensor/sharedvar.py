"""``theano.tensor.sharedvar``: shared tensors."""
from ....core.shared import TensorSharedVariable, shared

tensor_constructor = shared

__all__ = ["TensorSharedVariable", "tensor_constructor"]

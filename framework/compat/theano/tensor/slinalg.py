"""``theano.tensor.slinalg``: cholesky and solve (with gradients)."""
from ....core.linalg import Cholesky, CholeskyGrad, Solve, cholesky, solve

__all__ = ["cholesky", "solve", "Cholesky", "CholeskyGrad", "Solve"]

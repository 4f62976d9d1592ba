"""Linear and logistic regression, built from the framework's symbolic API.

Both classes follow the deeplearning.net tutorials' conventions: the model
is built around a symbolic ``input`` (a ``T.matrix`` by default), its
parameters are shared variables listed in ``params``, and the methods that
take targets (``cost``, ``negative_log_likelihood``, ``errors``) return
symbolic expressions to compile with :func:`framework.function`.
``predict(values)`` is the one numeric convenience: it compiles (once) and
runs the prediction on NumPy data.
"""
from __future__ import annotations

from typing import Any, List, Optional

import numpy as np

import framework
import framework.tensor as T
from framework import config, shared

__all__ = ["LinearRegression", "LogisticRegression"]


def _check_penalty(name: str, value: float) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return value


class _LinearModel:
    """What both models share: the affine map ``dot(input, W) + b`` and the penalties."""

    def __init__(self, input: Any, n_in: int, n_out: int, W: Any, b: Any, l1: float, l2: float,
                 name: str) -> None:
        if int(n_in) < 1 or int(n_out) < 1:
            raise ValueError(f"{name}: n_in and n_out must be >= 1, got n_in={n_in}, n_out={n_out}")
        self.n_in, self.n_out = int(n_in), int(n_out)
        self.l1, self.l2 = _check_penalty("l1", l1), _check_penalty("l2", l2)
        if input is None:
            input = T.matrix("x")
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: input must be a vector (one feature) or a matrix (one example per row), "
                             f"got a {input.ndim}-d {input.type}")
        if input.ndim == 1 and self.n_in != 1:
            raise ValueError(f"{name}: a vector input has one feature per example, but n_in={n_in}")
        self.input = input
        dtype = config.floatX
        # A vector input (one feature) gets scalar parameters, as in the seed
        # lab's ``y = w * x + b``; a matrix input gets W of shape
        # (n_in,) or (n_in, n_out) and b of shape () or (n_out,).
        if input.ndim == 1:
            w_shape: tuple = ()
        elif self.n_out == 1:
            w_shape = (self.n_in,)
        else:
            w_shape = (self.n_in, self.n_out)
        b_shape: tuple = () if self.n_out == 1 else (self.n_out,)
        self.W = W if W is not None else shared(np.zeros(w_shape, dtype=dtype), name="W")
        self.b = b if b is not None else shared(np.zeros(b_shape, dtype=dtype), name="b")
        self.params: List[Any] = [self.W, self.b]
        if input.ndim == 1:
            self.linear_output = self.W * input + self.b
        else:
            self.linear_output = T.dot(input, self.W) + self.b
        self.y_pred: Any = self.linear_output  # subclasses refine it
        self._predict_fn: Optional[Any] = None

    def penalty(self) -> Any:
        """``l1 * sum|W| + l2 * sum W**2`` (0 when both are 0); biases are not penalised."""
        term: Any = 0.0
        if self.l1:
            term = term + self.l1 * T.sum(abs(self.W))
        if self.l2:
            term = term + self.l2 * T.sum(self.W ** 2)
        return term

    def predict(self, values: Any) -> np.ndarray:
        """Predictions for NumPy ``values`` (one example per row), via a compiled function."""
        if self._predict_fn is None:
            self._predict_fn = framework.function([self.input], self.y_pred, name="predict")
        return np.asarray(self._predict_fn(values))


class LinearRegression(_LinearModel):
    """``y_pred = dot(input, W) + b``, fitted by least squares.

    ``input`` may be a vector (one feature per example: ``W`` and ``b`` are
    scalars, the seed lab's ``y = w * x + b``) or a matrix with ``n_in``
    columns. ``n_out > 1`` predicts several targets at once. ``W`` and ``b``
    start at 0 unless given (as shared variables). ``l1``/``l2`` add penalties
    on ``W`` to :meth:`cost`.
    """

    def __init__(self, input: Any = None, n_in: int = 1, n_out: int = 1, W: Any = None, b: Any = None,
                 l1: float = 0.0, l2: float = 0.0) -> None:
        super().__init__(input, n_in, n_out, W, b, l1, l2, "LinearRegression")
        self.y_pred = self.linear_output

    def _check_target(self, y: Any) -> Any:
        want = self.y_pred.ndim
        if y.ndim != want:
            raise ValueError(f"LinearRegression: the target must be {want}-d like the prediction "
                             f"({self.y_pred.type}), got {y.type}")
        return y

    def squared_error(self, y: Any) -> Any:
        """Mean over examples of the squared error (summed over targets)."""
        diff = self.y_pred - self._check_target(y)
        if diff.ndim == 2:
            return T.mean(T.sum(diff ** 2, axis=1))
        return T.mean(diff ** 2)

    def cost(self, y: Any) -> Any:
        """The training cost: mean squared error plus the penalties."""
        return self.squared_error(y) + self.penalty()

    def errors(self, y: Any) -> Any:
        """The mean squared error (no penalties): what to report on held-out data."""
        return self.squared_error(y)


class LogisticRegression(_LinearModel):
    """Logistic regression: binary (``n_out=1``, sigmoid) or multi-class (softmax).

    * ``n_out == 1``: ``p_1 = sigmoid(dot(input, W) + b)``, targets are 0/1,
      ``y_pred = p_1 > 0.5`` -- the Theano tutorial's example.
    * ``n_out >= 2``: ``p_y_given_x = softmax(dot(input, W) + b)``, targets
      are class indices, ``y_pred = argmax`` -- the deeplearning.net
      ``logistic_sgd`` model.

    The negative log-likelihood is computed from the logits (softplus /
    log-softmax), so it stays finite where ``log(sigmoid(...))`` would not.
    ``cost = negative_log_likelihood + l1 * |W|_1 + l2 * |W|^2``.
    """

    def __init__(self, input: Any = None, n_in: int = 784, n_out: int = 1, W: Any = None, b: Any = None,
                 l1: float = 0.0, l2: float = 0.0) -> None:
        super().__init__(input, n_in, n_out, W, b, l1, l2, "LogisticRegression")
        z = self.linear_output
        self.binary = self.n_out == 1
        if self.binary:
            self.p_1 = T.nnet.sigmoid(z)
            self.p_y_given_x = self.p_1
            self.y_pred = T.cast(self.p_1 > 0.5, "int64")
        else:
            self.p_y_given_x = T.nnet.softmax(z)
            self.y_pred = T.argmax(z, axis=-1)

    def _check_target(self, y: Any) -> Any:
        if y.ndim != self.y_pred.ndim:
            raise ValueError(f"LogisticRegression: the target must be {self.y_pred.ndim}-d like y_pred, "
                             f"got {y.type}")
        if not self.binary and not str(y.dtype).startswith(("int", "uint")):
            raise TypeError(f"LogisticRegression: multi-class targets are class indices (an int vector), "
                            f"got {y.type}")
        return y

    def negative_log_likelihood(self, y: Any) -> Any:
        """Mean negative log-likelihood of the targets ``y`` under the model."""
        y = self._check_target(y)
        z = self.linear_output
        if self.binary:
            # -y log(sigmoid(z)) - (1 - y) log(1 - sigmoid(z)), written stably
            return T.mean(y * T.nnet.softplus(-z) + (1 - y) * T.nnet.softplus(z))
        log_p = T.nnet.log_softmax(z)
        return -T.mean(log_p[T.arange(y.shape[0]), y])

    def cost(self, y: Any) -> Any:
        """The training cost: negative log-likelihood plus the penalties."""
        return self.negative_log_likelihood(y) + self.penalty()

    def errors(self, y: Any) -> Any:
        """The fraction of examples whose predicted class is not ``y``."""
        y = self._check_target(y)
        return T.mean(T.neq(self.y_pred, y))

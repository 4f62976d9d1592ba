"""LeNet: the classic convolutional network of the deeplearning.net tutorial.

Two convolution + max-pooling layers with ``tanh`` (20 then 50 filters of
5x5, pooling 2x2), a fully connected ``tanh`` hidden layer (500 units) and a
softmax output layer, trained on the negative log-likelihood::

    x (N, 1, 28, 28) -> conv 5x5, 20 -> pool 2x2 -> tanh   (N, 20, 12, 12)
                     -> conv 5x5, 50 -> pool 2x2 -> tanh   (N, 50, 4, 4)
                     -> flatten -> tanh(. W + b), 500 -> softmax(. W + b), 10

Every size is a parameter, so smaller images and nets work the same way.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

import framework.tensor as T
from framework import config, shared

from .conv import conv2d
from .pool import pool_2d

__all__ = ["LeNet"]


def _uniform(rng: np.random.RandomState, fan_in: int, fan_out: int, shape: Tuple[int, ...], dtype: str) -> Any:
    """Glorot's uniform initialisation, as in the tutorial (``tanh`` units)."""
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


class LeNet:
    """A LeNet-5-style convolutional classifier built from the framework's symbolic API.

    ``input`` is a 4-d tensor (N, channels, rows, columns) or a matrix of
    flattened images (reshaped to ``image_shape``). ``params`` lists the
    shared parameters; ``p_y_given_x``, ``y_pred`` are symbolic;
    ``negative_log_likelihood(y)`` / ``cost(y)`` and ``errors(y)`` take
    integer labels.
    """

    def __init__(self, input: Any = None, image_shape: Sequence[int] = (1, 28, 28),
                 nkerns: Sequence[int] = (20, 50), filter_size: int = 5, pool_size: int = 2, n_hidden: int = 500,
                 n_out: int = 10, seed: int = 23455, dtype: Optional[str] = None) -> None:
        dtype = dtype or config.floatX
        if len(image_shape) != 3:
            raise ValueError(f"LeNet: image_shape must be (channels, rows, columns), got {tuple(image_shape)}")
        if len(nkerns) < 1 or any(int(k) < 1 for k in nkerns):
            raise ValueError(f"LeNet: nkerns must list at least one positive number of filters, got {nkerns}")
        channels, rows, cols = (int(v) for v in image_shape)
        size = (rows, cols)
        for depth in nkerns:  # each layer: a valid convolution, then side-by-side pooling
            size = tuple((s - filter_size + 1) // pool_size for s in size)
            if min(size) < 1:
                raise ValueError(f"LeNet: images of {rows}x{cols} are too small for {len(nkerns)} layers of "
                                 f"{filter_size}x{filter_size} filters and {pool_size}x{pool_size} pooling")
        self.image_shape = (channels, rows, cols)
        self.nkerns, self.filter_size, self.pool_size = tuple(int(k) for k in nkerns), filter_size, pool_size
        self.n_hidden, self.n_out = int(n_hidden), int(n_out)
        rng = np.random.RandomState(seed)
        if input is None:
            input = T.tensor4("x", dtype=dtype)
        self.input = input
        x = input.reshape((-1, channels, rows, cols)) if input.ndim == 2 else input
        if x.ndim != 4:
            raise ValueError(f"LeNet: input must be a matrix of flattened images or a 4-d tensor, got {input.type}")

        self.params: List[Any] = []
        self.conv_W: List[Any] = []
        layer, depth_in = x, channels
        for i, depth in enumerate(self.nkerns):
            fan_in = depth_in * filter_size ** 2
            fan_out = depth * filter_size ** 2 // pool_size ** 2
            W = shared(_uniform(rng, fan_in, fan_out, (depth, depth_in, filter_size, filter_size), dtype),
                       name=f"conv{i}_W")
            b = shared(np.zeros(depth, dtype=dtype), name=f"conv{i}_b")
            conv = conv2d(layer, W, filter_shape=(depth, depth_in, filter_size, filter_size))
            pooled = pool_2d(conv, (pool_size, pool_size), ignore_border=True)
            layer = T.tanh(pooled + b.dimshuffle("x", 0, "x", "x"))
            self.params += [W, b]
            self.conv_W.append(W)
            depth_in = depth
        n_flat = depth_in * size[0] * size[1]
        self.hidden_W = shared(_uniform(rng, n_flat, self.n_hidden, (n_flat, self.n_hidden), dtype), name="hidden_W")
        self.hidden_b = shared(np.zeros(self.n_hidden, dtype=dtype), name="hidden_b")
        hidden = T.tanh(T.dot(layer.flatten(2), self.hidden_W) + self.hidden_b)
        self.out_W = shared(np.zeros((self.n_hidden, self.n_out), dtype=dtype), name="out_W")
        self.out_b = shared(np.zeros(self.n_out, dtype=dtype), name="out_b")
        logits = T.dot(hidden, self.out_W) + self.out_b
        self.p_y_given_x = T.nnet.softmax(logits)
        self.log_p_y_given_x = T.nnet.log_softmax(logits)  # stable for confident predictions
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params += [self.hidden_W, self.hidden_b, self.out_W, self.out_b]

    @property
    def state(self) -> dict:
        """Every parameter by its name (what a checkpoint saves)."""
        return {p.name: p for p in self.params}

    def negative_log_likelihood(self, y: Any) -> Any:
        """The mean negative log-probability of the labels ``y`` (integers)."""
        return -T.mean(self.log_p_y_given_x[T.arange(y.shape[0]), y])

    cost = negative_log_likelihood

    def errors(self, y: Any) -> Any:
        """The fraction of examples whose predicted class is not ``y``."""
        return T.mean(T.neq(self.y_pred, y))

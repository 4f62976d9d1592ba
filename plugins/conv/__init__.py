"""Convolutional networks: ``conv2d`` and ``pool_2d`` as ops, their kernels, and LeNet.

A bundled plugin registered exactly as a third party's would be (the
``framework.plugins`` entry point ``conv``):

* ``framework_ops()``: ``framework.ops.conv2d``, ``conv2d_grad_wrt_inputs``,
  ``conv2d_grad_wrt_weights``, ``pool_2d`` and ``max_pool_2d_same_size`` -- the
  user's functions, which
  build the ops of :mod:`.conv` and :mod:`.pool` (type and shape rules,
  gradients, reference implementations);
* ``framework_kernels()``: fast kernels for the ``numpy`` backend
  (:mod:`.cpu`: im2col + GEMM) and the ``cupy`` backend (:mod:`.gpu`:
  im2col + cuBLAS GEMM);
* ``framework_models()``: the ``lenet`` family (``framework train lenet``).
"""
from __future__ import annotations

from typing import Iterator

from framework.plugins import KernelSpec, ModelSpec, OpSpec, hookimpl

from .lenet import LeNet
from .conv import Conv2d, Conv2dGradInputs, Conv2dGradWeights, conv2d, conv2d_grad_wrt_inputs, conv2d_grad_wrt_weights
from .pool import AveragePool2dGrad, MaxPool2dGrad, MaxPool2dGradGrad, Pool2d, max_pool_2d_same_size, pool_2d

__version__ = "0.1.0"
__all__ = ["LeNet", "conv2d", "conv2d_grad_wrt_inputs", "conv2d_grad_wrt_weights", "pool_2d", "max_pool_2d_same_size", "Conv2d",
           "Conv2dGradInputs", "Conv2dGradWeights", "Pool2d", "MaxPool2dGrad", "MaxPool2dGradGrad",
           "AveragePool2dGrad"]

OPS = (
    ("conv2d", conv2d, "2-d convolution of NCHW images with a bank of filters (Theano 1.0's conv2d)"),
    ("conv2d_grad_wrt_inputs", conv2d_grad_wrt_inputs, "the transposed convolution (gradient w.r.t. the input)"),
    ("conv2d_grad_wrt_weights", conv2d_grad_wrt_weights, "the gradient of conv2d w.r.t. its filters"),
    ("pool_2d", pool_2d, "max / sum / average pooling over the last two axes (Theano 1.0's pool_2d)"),
    ("max_pool_2d_same_size", max_pool_2d_same_size,
     "zero every element that is not its window's maximum (Theano 1.0's max_pool_2d_same_size)"),
)


@hookimpl
def framework_ops() -> Iterator[OpSpec]:
    for name, build, doc in OPS:
        yield OpSpec(name=name, build=build, doc=doc)


@hookimpl
def framework_kernels() -> Iterator[KernelSpec]:
    from . import cpu, gpu

    for backend, table in (("numpy", cpu.KERNELS), ("cupy", gpu.KERNELS)):
        for name, op, build, doc in table:
            yield KernelSpec(name=name, op=op, backend=backend, build=build, doc=doc)


def _add_lenet(parser):
    from .cli import add_lenet_arguments

    add_lenet_arguments(parser)


def _train_lenet(args):
    from .cli import train_lenet

    return train_lenet(args)


@hookimpl
def framework_models() -> Iterator[ModelSpec]:
    yield ModelSpec(name="lenet", factory=LeNet, add_arguments=_add_lenet, train=_train_lenet,
                    doc="LeNet: two convolution + max-pooling layers, a tanh hidden layer and a softmax.")

"""``theano.tensor.nnet.conv``: the old spelling of ``conv2d`` (from the convolution plugin)."""
from ..._plugin_ops import plugin_function

conv2d = plugin_function("conv2d", "theano.tensor.nnet.conv.conv2d")

__all__ = ["conv2d"]

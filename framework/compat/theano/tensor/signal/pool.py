"""``theano.tensor.signal.pool``: ``pool_2d`` & co., from the plugin that registers them."""
from ..._plugin_ops import plugin_function

pool_2d = plugin_function("pool_2d", "theano.tensor.signal.pool.pool_2d")
max_pool_2d_same_size = plugin_function("max_pool_2d_same_size", "theano.tensor.signal.pool.max_pool_2d_same_size")

__all__ = ["pool_2d", "max_pool_2d_same_size", "Pool", "MaxPoolGrad", "AveragePoolGrad"]


def _named(*names: str):
    return staticmethod(lambda op: getattr(op, "name", None) in names)


from ..elemwise import _TheanoOpClass  # noqa: E402


class Pool(metaclass=_TheanoOpClass):
    """A pooling node (the plugin's ``pool_2d``), for ``isinstance(node.op, Pool)``."""

    _module = "theano.tensor.signal.pool"
    _is = _named("pool_2d")
    _build_with = "pool_2d(input, ws, ignore_border, stride, pad, mode)"


class MaxPoolGrad(metaclass=_TheanoOpClass):
    """The gradient of max pooling."""

    _module = "theano.tensor.signal.pool"
    _is = _named("max_pool_2d_grad")
    _build_with = "T.grad of a pool_2d cost"


class AveragePoolGrad(metaclass=_TheanoOpClass):
    """The gradient of sum and average pooling."""

    _module = "theano.tensor.signal.pool"
    _is = _named("average_pool_2d_grad")
    _build_with = "T.grad of a pool_2d cost"


from ..._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

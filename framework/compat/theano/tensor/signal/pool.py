"""``theano.tensor.signal.pool``: ``pool_2d`` & co., from the plugin that registers them."""
from ..._plugin_ops import plugin_function

pool_2d = plugin_function("pool_2d", "theano.tensor.signal.pool.pool_2d")
max_pool_2d_same_size = plugin_function("max_pool_2d_same_size", "theano.tensor.signal.pool.max_pool_2d_same_size")

__all__ = ["pool_2d", "max_pool_2d_same_size"]


from ..._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

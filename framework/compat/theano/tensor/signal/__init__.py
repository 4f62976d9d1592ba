"""``theano.tensor.signal``: ``pool`` (pooling, from the convolution plugin)."""


from ..._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

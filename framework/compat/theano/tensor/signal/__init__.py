"""``theano.tensor.signal``: ``pool`` (pooling, from the convolution plugin)."""

"""``theano.sandbox``: ``rng_mrg.MRG_RandomStreams``."""


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

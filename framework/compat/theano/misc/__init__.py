"""``theano.misc``: ``pkl_utils`` (pickles whose arrays are .npy members of a zip)."""


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

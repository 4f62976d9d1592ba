"""``theano.updates``: ``OrderedUpdates``, the ordered dict of (shared variable, new value) pairs."""
from collections import OrderedDict


class OrderedUpdates(OrderedDict):
    """Updates for ``theano.function``, kept in the order they were added (any dict works the same here)."""


__all__ = ["OrderedUpdates"]


from ._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

"""``theano.printing``: ``pp``/``pprint``, ``debugprint``, ``pydotprint`` and the ``Print`` op."""
from ...printing import Print, debugprint, pp, pydotprint

pprint = pp

__all__ = ["pp", "pprint", "debugprint", "pydotprint", "Print"]

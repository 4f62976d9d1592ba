"""``theano.compat``: the Python 2/3 helpers Theano programs import (``OrderedDict``, ``izip``...)."""
from collections import OrderedDict

izip, imap, ifilter = zip, map, filter
string_types = (str,)
integer_types = (int,)
PY3 = True

__all__ = ["OrderedDict", "izip", "imap", "ifilter", "string_types", "integer_types", "PY3"]


from ._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

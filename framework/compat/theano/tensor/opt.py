"""``theano.tensor.opt``: the names of Theano's graph-optimisation module that programs and test
suites use -- ``Assert`` (``assert_``, ``assert_op``) and the shape op ``Shape_i`` (the node
``x.shape[i]`` becomes). Theano's optimiser databases and local optimisers have no counterpart:
framework's rewrites are plugins (``framework plugins`` lists them; docs/theano.md)."""
from ....core.shape_ops import Shape_i
from .checks import Assert, assert_, assert_op

__all__ = ["Assert", "assert_", "assert_op", "Shape_i"]

from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__, "Theano's graph optimisations (local_* optimisers, register_canonicalize & co., "
                                 "the optimiser databases) have no counterpart; framework's rewrites are plugins "
                                 "(framework_rewrites(), docs/plugins.md), switched off by name with mode.excluding(...)")

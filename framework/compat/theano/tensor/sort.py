"""``theano.tensor.sort``: sort, argsort, topk, argtopk, topk_and_argtopk (framework.core.sort).

Theano binds ``theano.tensor.sort`` to the *function* (``T.sort(x)``) while
``theano.tensor.sort`` is also this module. Importing the module by that name
(``from theano.tensor.sort import topk``) makes Python set the package's
attribute ``sort`` to the module, so the module is callable too: ``T.sort(x)``
sorts either way.
"""
from __future__ import annotations

import sys
import types
from typing import Any

from ....core.sort import ArgSort, Sort, argsort, argtopk, sort, topk, topk_and_argtopk

SortOp, ArgSortOp = Sort, ArgSort  # Theano's class names

__all__ = ["sort", "argsort", "topk", "argtopk", "topk_and_argtopk", "SortOp", "ArgSortOp"]


class _CallableModule(types.ModuleType):
    """This module, callable as :func:`sort` (see the module's docstring)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return sort(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

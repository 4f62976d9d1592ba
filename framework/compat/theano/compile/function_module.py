"""``theano.compile.function_module``: the compiled-function classes and the input errors, under
the module Theano defined them in (``from theano.compile.function_module import
UnusedInputError`` and the like)."""
from ....core.function import Function, FunctionMaker, MissingInputError, UnusedInputError

__all__ = ["Function", "FunctionMaker", "UnusedInputError", "MissingInputError"]


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

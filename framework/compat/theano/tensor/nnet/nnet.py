"""``theano.tensor.nnet.nnet``: the module Theano 1.0 defined its activations, softmax and losses in
(``from theano.tensor.nnet.nnet import softmax``); the same functions as ``theano.tensor.nnet``."""
from __future__ import annotations

import sys

_package = sys.modules[__package__]
_SUBMODULES = ("conv", "bn", "abstract_conv", "neighbours")
__all__ = [n for n in _package.__all__ if n not in _SUBMODULES and not n.startswith(("conv2d", "conv3d"))]
globals().update({n: getattr(_package, n) for n in __all__})

from ..._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

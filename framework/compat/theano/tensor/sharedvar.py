"""``theano.tensor.sharedvar``: shared tensors -- the classes (``SharedVariable``,
``TensorSharedVariable``) and Theano's constructors (``tensor_constructor``, ``scalar_constructor``)."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ....core.shared import SharedVariable, TensorSharedVariable, shared

__all__ = ["SharedVariable", "TensorSharedVariable", "tensor_constructor", "scalar_constructor"]

tensor_constructor = shared


def scalar_constructor(value: Any, name: Optional[str] = None, strict: bool = False, allow_downcast: Any = None,
                       borrow: bool = False, target: str = "cpu") -> TensorSharedVariable:
    """Theano's shared constructor for a number: a 0-d shared variable of the number's NumPy dtype
    (a Python float is float64, an int int64). Anything but a number or a 0-d array is a
    ``TypeError``, as in Theano. ``strict``/``allow_downcast``/``target`` are accepted."""
    if isinstance(value, (bool, str, bytes)) or not isinstance(value, (int, float, complex, np.number, np.ndarray)):
        raise TypeError(f"scalar_constructor: expected a number, got {type(value).__name__} {value!r:.60}")
    arr = np.asarray(value)
    if arr.ndim != 0:
        raise TypeError(f"scalar_constructor: expected a number, got an array of shape {arr.shape}; use shared()")
    return shared(np.array(arr), name=name, borrow=borrow)


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

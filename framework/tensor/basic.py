"""Variable constructors: ``T.matrix('x')``, ``T.dvector()``, ``T.fscalars('a', 'b')`` ..."""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence

from ..core.types import TensorType, as_dtype
from ..core.variable import TensorVariable


def tensor(dtype: Any = None, shape: Optional[Sequence[Optional[int]]] = None, name: Optional[str] = None,
           ndim: Optional[int] = None) -> TensorVariable:
    """A symbolic tensor of ``dtype`` (default ``config.floatX``); ``shape``
    entries may be ints (known sizes) or None."""
    if shape is None:
        shape = (None,) * (ndim or 0)
    v = TensorType(as_dtype(dtype), shape).make_variable(name)
    v.tag["user_variable"] = True  # compute_test_value='raise' asks test values of these only (not of internals)
    return v


def _maker(ndim: int, dtype: Optional[str], label: str) -> Callable[..., TensorVariable]:
    def make(name: Optional[str] = None, dtype: Any = dtype, shape: Optional[Sequence[Optional[int]]] = None):
        if shape is not None and len(shape) != ndim:
            raise ValueError(f"{label}: shape {tuple(shape)} must have {ndim} entries")
        return tensor(dtype, shape if shape is not None else (None,) * ndim, name)

    make.__name__ = label
    make.__doc__ = f"A symbolic {ndim}-d tensor{'' if dtype else ' (dtype config.floatX unless given)'}."
    return make


def _plural(single: Callable[..., TensorVariable]) -> Callable[..., List[TensorVariable]]:
    def many(*names: str):
        if len(names) == 1 and isinstance(names[0], int):
            return [single() for _ in range(names[0])]
        out = [single(n) for n in names]
        return out[0] if len(out) == 1 else out

    many.__name__ = single.__name__ + "s"
    return many


_NDIMS = {"scalar": 0, "vector": 1, "matrix": 2, "tensor3": 3, "tensor4": 4}
_PREFIX = {"": None, "d": "float64", "f": "float32", "i": "int32", "l": "int64", "b": "int8", "w": "int16",
           "c": "complex64", "z": "complex128"}

CONSTRUCTORS = {}
for _p, _dt in _PREFIX.items():
    for _kind, _nd in _NDIMS.items():
        CONSTRUCTORS[_p + _kind] = _maker(_nd, _dt, _p + _kind)
PLURALS = {k + "s" if not k.endswith("x") else k[:-2] + "ices": _plural(v) for k, v in CONSTRUCTORS.items()}
# 'matrices' style plurals, plus the Theano spellings 'tensor3s' etc.
for _k, _v in CONSTRUCTORS.items():
    PLURALS.setdefault(_k + "s", _plural(_v))

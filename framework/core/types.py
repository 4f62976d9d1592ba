"""Types of symbolic variables.

A :class:`TensorType` is a dtype plus a static shape whose entries are ints
(known sizes) or ``None`` (unknown until run time). Types check and convert
the host values given to compiled functions (:meth:`TensorType.filter`).
NumPy is used here only as the host-side description of dtypes and values;
running ops goes through a backend.
"""
from __future__ import annotations

import numbers
import sys
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

from .errors import InputError, ShapeError

Shape = Tuple[Optional[int], ...]

FLOAT_DTYPES = ("float16", "float32", "float64")
INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


_NAMES: Dict[Any, str] = {}  # what as_dtype has seen -> its name (a few dozen spellings at most)
_NAMES_MAX = 512


def as_dtype(dtype: Any) -> str:
    """Normalise ``'floatX'``, ``np.float32``, ``'f4'`` ... to a dtype name.

    Called for every type a graph builds (thousands per compile): a spelling seen
    before is one dictionary look-up, where ``numpy.dtype(x).name`` costs a few
    microseconds and a new string each time."""
    try:
        return _NAMES[dtype]
    except (KeyError, TypeError):  # not seen yet, or unhashable
        pass
    if dtype == "floatX" or dtype is None:  # follows config.floatX: never cached
        from ..config import config

        return config.floatX
    try:
        # one shared string per dtype name (long sessions keep many types alive in caches)
        name = sys.intern(np.dtype(dtype).name)
    except TypeError:
        raise TypeError(f"{dtype!r} is not a dtype") from None
    if len(_NAMES) < _NAMES_MAX:
        try:
            _NAMES[dtype] = name
        except TypeError:
            pass
    return name


def is_float(dtype: str) -> bool:
    return dtype in FLOAT_DTYPES or dtype.startswith("complex")


def is_int(dtype: str) -> bool:
    return dtype in INT_DTYPES or dtype == "bool"


def broadcast_shapes(shapes: Sequence[Shape]) -> Optional[Shape]:
    """NumPy broadcasting of static shapes; None when known sizes clash."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for axis in range(ndim):
        dims = [s[axis - ndim + len(s)] for s in shapes if axis - ndim + len(s) >= 0]
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            return None
        if known:
            out.append(known.pop())
        elif all(d == 1 for d in dims):
            out.append(1)
        else:
            out.append(None)
    return tuple(out)


class Type:
    """Base of all variable types."""

    ndim = 0
    dtype = "object"
    shape: Shape = ()

    def make_variable(self, name: Optional[str] = None):
        from .graph import Variable

        return Variable(self, name=name)

    def __call__(self, name: Optional[str] = None):
        return self.make_variable(name)

    def filter(self, value: Any, name: str = "input", allow_downcast: Optional[bool] = None) -> Any:
        return value

    def is_compatible(self, other: "Type") -> bool:
        return self == other


def _static_size(d: Any, shape: Any) -> int:
    """One entry of a static shape: a size >= 0 (None, kept by the caller, means unknown)."""
    if isinstance(d, (bool, np.bool_)) or not hasattr(d, "__index__") or int(d) < 0:
        raise ValueError(f"a static shape holds sizes >= 0 or None (unknown), got {d!r} in {tuple(shape)!r}")
    return int(d)


class TensorType(Type):
    """dtype + static shape (ints or None)."""

    __slots__ = ("dtype", "shape", "_np_dtype")

    def __init__(self, dtype: Any, shape: Sequence[Optional[int]] = ()) -> None:
        self.dtype = as_dtype(dtype)
        self.shape = tuple(None if d is None else _static_size(d, shape) for d in shape)
        self._np_dtype = np.dtype(self.dtype)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def broadcastable(self) -> Tuple[bool, ...]:
        return tuple(d == 1 for d in self.shape)

    def clone(self, dtype: Any = None, shape: Optional[Sequence[Optional[int]]] = None) -> "TensorType":
        return TensorType(self.dtype if dtype is None else dtype, self.shape if shape is None else shape)

    def make_variable(self, name: Optional[str] = None):
        from .variable import TensorVariable

        return TensorVariable(self, name=name)

    def __eq__(self, other: Any) -> bool:
        return type(other) is TensorType and other.dtype == self.dtype and other.shape == self.shape

    def __hash__(self) -> int:
        return hash((self.dtype, self.shape))

    def is_compatible(self, other: Type) -> bool:
        """Same dtype and ndim, and no known size that contradicts the other's."""
        if not isinstance(other, TensorType) or other.dtype != self.dtype or other.ndim != self.ndim:
            return False
        return all(a is None or b is None or a == b for a, b in zip(self.shape, other.shape))

    def __repr__(self) -> str:
        shape = ", ".join("?" if d is None else str(d) for d in self.shape)
        if len(self.shape) == 1:
            shape += ","
        return f"TensorType({self.dtype}, ({shape}))"

    __str__ = __repr__

    def filter(self, value: Any, name: str = "input", allow_downcast: Optional[bool] = None) -> np.ndarray:
        """Convert a host value for this type, following the conversion rules of SPEC §2.

        NumPy arrays are accepted when their dtype casts safely (or with
        ``allow_downcast=True``); Python numbers and sequences when no value
        changes on conversion. Anything else is an :class:`InputError`.
        """
        dt = self._np_dtype
        if type(value) in (float, int, bool) and not self.shape:
            return self._filter_python_scalar(value, name, allow_downcast)
        if isinstance(value, np.ndarray) or isinstance(value, np.generic):
            arr = np.asarray(value)
            if arr.dtype != dt:
                if not (allow_downcast or np.can_cast(arr.dtype, dt, "safe")):
                    raise InputError(
                        f"{name}: got an array of dtype {arr.dtype}, expected {self.dtype}; "
                        f"{arr.dtype} -> {self.dtype} could lose information. Cast it yourself "
                        f"(x.astype('{self.dtype}')) or pass allow_input_downcast=True"
                    )
                arr = arr.astype(dt)
        elif isinstance(value, (numbers.Number, list, tuple, range)):
            try:
                raw = np.asarray(value)
            except ValueError as exc:  # ragged nested lists
                raise InputError(f"{name}: cannot make an array from {type(value).__name__}: {exc}") from None
            if raw.dtype == object or raw.dtype.kind in "USV":
                raise InputError(f"{name}: expected numbers for a {self.dtype} input, got {value!r:.60}")
            if raw.dtype.kind == "c" and dt.kind != "c":  # refuse before NumPy warns about it
                if not allow_downcast and np.any(raw.imag != 0):
                    raise InputError(f"{name}: the complex value {value!r:.60} does not fit dtype {self.dtype}")
                raw = raw.real
            with np.errstate(all="ignore"):
                arr = raw.astype(dt)
            same = arr.astype(raw.dtype) == raw if raw.size else True
            if not (allow_downcast or np.all(same) or (raw.dtype.kind == "f" and dt.kind == "f")):
                raise InputError(
                    f"{name}: the value {value!r:.60} does not fit dtype {self.dtype} without "
                    f"changing; pass allow_input_downcast=True to round it"
                )
        else:
            raise InputError(
                f"{name}: expected a number, sequence or array for a {self.dtype} input of "
                f"{self.ndim} dimension(s), got {type(value).__name__}"
            )
        if arr.ndim != self.ndim:
            raise InputError(
                f"{name}: expected {self.ndim} dimension(s) ({self}), got an array of shape {arr.shape}"
            )
        for axis, (want, got) in enumerate(zip(self.shape, arr.shape)):
            if want is not None and want != got:
                raise ShapeError(f"{name}: expected size {want} on axis {axis} ({self}), got shape {arr.shape}")
        return arr

    def _filter_python_scalar(self, value: Any, name: str, allow_downcast: Optional[bool]) -> np.ndarray:
        """Fast path for a Python number given to a 0-d input."""
        dt = self._np_dtype
        try:
            arr = np.asarray(value, dtype=dt)
        except OverflowError:
            if allow_downcast and dt.kind in "iu" and type(value) is int:
                # asked to downcast: wrap around as a C cast does (what an array input of the same
                # value gets), rather than refuse only the Python int
                bits = 8 * dt.itemsize
                return np.asarray(value & ((1 << bits) - 1), dtype=f"uint{bits}").astype(dt)
            raise InputError(f"{name}: the value {value!r} does not fit dtype {self.dtype}"
                             + ("" if allow_downcast else "; pass allow_input_downcast=True to wrap it")) from None
        if not allow_downcast and dt.kind != "f" and dt.kind != "c" and arr.item() != value:
            raise InputError(
                f"{name}: the value {value!r} does not fit dtype {self.dtype} without changing; "
                "pass allow_input_downcast=True to round it"
            )
        if not allow_downcast and dt.kind == "f" and type(value) is int and arr.item() != value:
            raise InputError(f"{name}: the integer {value!r} cannot be represented exactly as {self.dtype}")
        return arr


class GenericType(Type):
    """A type for opaque values (a random generator's state, a Python object)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __eq__(self, other: Any) -> bool:
        return type(other) is type(self) and other.kind == self.kind

    def __hash__(self) -> int:
        return hash(("generic", self.kind))

    def __repr__(self) -> str:
        return f"{self.kind}Type"

    dtype = "object"


def tensor_type(dtype: Any = None, shape: Sequence[Optional[int]] = ()) -> TensorType:
    return TensorType(as_dtype(dtype), shape)

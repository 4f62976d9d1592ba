"""Shared variables: state that persists between calls of compiled functions.

The value lives on the device of the backend chosen when the variable was
made (``config.device``); ``get_value`` returns a host copy.
"""
from __future__ import annotations

import numbers
from typing import Any, Optional

import numpy as np

from .backend import Backend, get_backend
from .errors import InputError
from .graph import Variable
from .types import GenericType, TensorType
from .variable import TensorVariable


class Container:
    """The storage cell a compiled function reads and writes."""

    __slots__ = ("value", "backend")

    def __init__(self, value: Any, backend: Backend) -> None:
        self.value = value
        self.backend = backend

    def __getstate__(self) -> Any:
        from .pickling import container_state

        return container_state(self)  # a host copy and the device name, never the backend object

    def __setstate__(self, state: Any) -> None:
        from .pickling import restore_container

        restore_container(self, state)


class SharedVariable(Variable):
    """A variable with a value that persists between function calls."""

    # read when a function is compiled; a class default, so ``del s.default_update`` (as Theano
    # programs write to drop one) leaves no update rather than a variable without the attribute
    default_update: Optional[Variable] = None

    def __init__(self, type, value: Any, name: Optional[str], backend: Backend, borrow: bool = False) -> None:
        Variable.__init__(self, type, None, None, name)
        self.container = Container(None, backend)
        self.default_update: Optional[Variable] = None
        self.set_value(value, borrow=borrow)

    def get_value(self, borrow: bool = False, return_internal_type: bool = False) -> Any:
        """The current value as a host array (a copy unless ``borrow``).

        With ``borrow=True`` (or ``return_internal_type``) the backend's own
        storage comes back: on a GPU, the device array.
        """
        v = self.container.value
        if borrow or return_internal_type:
            return v
        return self.container.backend.to_host(v, copy=True)

    def set_value(self, value: Any, borrow: bool = False) -> None:
        """Replace the value (a copy of it, unless ``borrow``)."""
        be = self.container.backend
        label = f"shared variable {self.name or ''}".strip()
        if be.is_array(value):
            t = self.type
            if str(value.dtype) == t.dtype and value.ndim == t.ndim and all(
                    d is None or d == s for d, s in zip(t.shape, value.shape)):
                self.container.value = value if borrow else be.copy(value)
                return
            if not be.host_is_device:
                raise self._refusal(value, "a device array", device=True) or InputError(
                    f"{label}: expected {t}, got a device array of dtype {value.dtype} and shape "
                    f"{tuple(value.shape)}")
        try:
            host = self.type.filter(value, name=label)
        except InputError as exc:
            # filter() speaks of function inputs (allow_input_downcast); say what set_value needs
            what = ("an array" if isinstance(value, np.ndarray) else "a NumPy scalar" if isinstance(value, np.generic)
                    else f"the value {value!r:.60}")
            refusal = self._refusal(value, what)
            if refusal is None:
                raise
            raise refusal from exc
        # filter() may already have made a fresh array; copy only what the caller still owns
        self.container.value = be.from_host(host, copy=not borrow and host is value)

    def _refusal(self, value: Any, what: str, device: bool = False) -> Optional[InputError]:
        """The error for a value of the wrong dtype or rank: names this variable, the value's dtype
        and shape, the variable's type and what to do. None for values that are not numbers (the
        type's own message says that best)."""
        t = self.type
        if not isinstance(t, TensorType):
            return None
        try:
            given = value if hasattr(value, "dtype") and hasattr(value, "shape") else np.asarray(value)
            dtype, ndim = np.dtype(str(given.dtype)), len(given.shape)
        except Exception:
            return None
        if dtype.kind not in "biufc":
            return None
        problems, fixes = [], []
        if ndim != t.ndim:
            problems.append(f"it has {ndim} dimension(s), the variable {t.ndim}")
            fixes.append("reshape the value (set_value keeps the number of dimensions)")
        if dtype.name != t.dtype:
            if device:
                problem = f"a device array must already be {t.dtype} (set_value does not convert on the device)"
            else:
                problem = (f"{dtype.name} -> {t.dtype} could lose information, and set_value never casts down "
                           "(allow_input_downcast is an option of function(), not of set_value)")
                try:  # the conversion rule of function inputs, at the value's own rank
                    TensorType(t.dtype, (None,) * ndim).filter(value)
                    problem = ""
                except InputError:
                    pass
            if problem:
                problems.append(problem)
                cast = "value.astype" if hasattr(value, "astype") else "numpy.asarray(value).astype"
                prefix = f"{self.name}." if self.name else ""
                fixes.append(f"cast the value yourself: {prefix}set_value({cast}('{t.dtype}'))")
        if not problems:
            return None
        label = f"shared variable {self.name}" if self.name else "unnamed shared variable"
        fix = "; ".join(fixes)
        return InputError(f"{label}: set_value got {what} of dtype {dtype.name} and shape {tuple(given.shape)}, "
                          f"but {self.name or 'the variable'} is {t}: {'; '.join(problems)}. "
                          f"{fix[0].upper()}{fix[1:]}.")

    def clone(self) -> "SharedVariable":
        return self

    def __repr__(self) -> str:
        return self.name or f"<shared {self.type}>"

    __str__ = __repr__


class TensorSharedVariable(TensorVariable, SharedVariable):
    """A shared tensor; supports every tensor operator."""

    __hash__ = Variable.__hash__
    __eq__ = Variable.__eq__

    def __init__(self, type, value, name, backend, borrow=False):
        SharedVariable.__init__(self, type, value, name, backend, borrow)

    __repr__ = SharedVariable.__repr__
    __str__ = SharedVariable.__str__


class RandomStateType(GenericType):
    """The type of a random generator's state held in a shared variable."""

    def __init__(self) -> None:
        super().__init__("RandomState")

    def filter(self, value: Any, name: str = "input", allow_downcast=None) -> Any:
        return value


class RNGSharedVariable(SharedVariable):
    """A shared random generator state (``numpy.random.RandomState`` on the CPU)."""

    def set_value(self, value: Any, borrow: bool = False) -> None:
        be = self.container.backend
        if not borrow:
            import copy

            value = copy.deepcopy(value)
        self.container.value = be.rng_from_host(value)

    def get_value(self, borrow: bool = False, return_internal_type: bool = False) -> Any:
        v = self.container.value
        if borrow or return_internal_type:
            return v
        import copy

        return copy.deepcopy(self.container.backend.rng_to_host(v))


def shared(value: Any, name: Optional[str] = None, borrow: bool = False, strict: bool = False,
           allow_downcast: Optional[bool] = None, shape: Any = None, device: Optional[str] = None) -> SharedVariable:
    """A shared variable holding ``value`` (copied unless ``borrow``).

    Arrays and Python numbers make tensors (their dtype is kept: Python floats
    are float64, as in Theano); ``numpy.random.RandomState`` / ``Generator``
    make random states. ``shape`` may fix static sizes (default: all unknown,
    so ``set_value`` may change the shape).
    """
    if isinstance(value, Variable):
        raise TypeError(f"shared() takes a value, not the symbolic variable {value}; use it directly")
    backend = get_backend(device)
    if isinstance(value, (np.random.RandomState, np.random.Generator)) or (
        not isinstance(value, (np.ndarray, numbers.Number, list, tuple)) and _is_rng(value)
    ):
        return RNGSharedVariable(RandomStateType(), value, name, backend, borrow)
    if backend.is_array(value):
        arr_dtype, ndim = str(value.dtype), value.ndim
    else:
        try:
            host = np.asarray(value)
        except Exception as exc:
            raise TypeError(f"shared(): cannot store a {type(value).__name__}: {exc}") from None
        if host.dtype == object or host.dtype.kind in "USV":
            raise TypeError(f"shared(): cannot store {value!r:.60} (dtype {host.dtype}) as a tensor")
        arr_dtype, ndim = host.dtype.name, host.ndim
        if not isinstance(value, np.ndarray):
            value, borrow = host, True
    static = tuple(shape) if shape is not None else (None,) * ndim
    return TensorSharedVariable(TensorType(arr_dtype, static), value, name, backend, borrow)


def _is_rng(value: Any) -> bool:
    mod = type(value).__module__ or ""
    return "random" in mod and hasattr(value, "random") or "random" in mod and hasattr(value, "uniform")

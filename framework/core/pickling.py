"""Pickling graphs, shared variables, random streams and compiled functions.

What a pickle holds, and how each kind comes back:

* variables and apply nodes: their fields; a variable gets a fresh identity
  number in the loading process (identity numbers order things, they are not
  names);
* element-wise rows (:class:`~framework.core.elemwise.ScalarOp`): their name,
  looked up in the table when loaded (a row a plugin declared needs that plugin);
* shared variables' storage (:class:`~framework.core.shared.Container`): a
  host copy of the value (a NumPy array, or the generator state) and the
  device it was on; loaded on that device when it is available there, else on
  ``config.device``;
* compiled functions: what they were compiled from (inputs, outputs,
  updates, givens, mode...), never generated code; loading compiles again
  for the current backend, so a CPU pickle loads on a GPU machine and back.

Objects pickled together stay together: a model's shared variables and a
function updating them, dumped in one ``pickle.dump``, still share storage
after loading (pickle's memo keeps identities within one stream).

Loading a pickle runs code chosen by whoever wrote it: load only pickles you
trust. framework's own training checkpoints never use pickle (see
docs/theano.md).
"""
from __future__ import annotations

import warnings
from typing import Any, Dict, Tuple


def variable_state(var: Any) -> Dict[str, Any]:
    """The fields of a variable or apply node (slots and ``__dict__``), for pickling."""
    state = dict(getattr(var, "__dict__", {}))
    for cls in type(var).__mro__:
        for key in getattr(cls, "__slots__", ()):
            if key not in ("__weakref__", "__dict__") and hasattr(var, key):
                state[key] = getattr(var, key)
    return state


def set_variable_state(var: Any, state: Dict[str, Any], fresh_id: Any = None) -> None:
    for key, value in state.items():
        object.__setattr__(var, key, value)
    if fresh_id is not None:
        object.__setattr__(var, "_id", fresh_id)


def scalar_op(name: str) -> Any:
    """The element-wise row called ``name`` (unpickling)."""
    from .elemwise import SCALAR_OPS, cast
    from .types import TensorType

    if name.startswith("cast_") and name not in SCALAR_OPS:  # cast rows are declared on first use
        target = name[len("cast_"):]
        cast(TensorType("int8" if target != "int8" else "int16", ()).make_variable(), target)
    try:
        return SCALAR_OPS[name]
    except KeyError:
        raise ValueError(f"unpickling: the element-wise op {name!r} is not declared in this process; "
                         "install or import the plugin that declares it before loading") from None


def container_state(container: Any) -> Tuple[Any, str, str]:
    """(host value, kind, device) of a shared variable's storage."""
    import numpy as np

    backend = container.backend
    value = container.value
    if backend.is_array(value) or isinstance(value, (np.ndarray, np.generic)):  # 0-d results may be scalars
        return np.asarray(backend.to_host(value, copy=True)), "array", backend.device
    return backend.rng_to_host(value), "rng", backend.device


def restore_container(container: Any, state: Tuple[Any, str, str]) -> None:
    import numpy as np

    from .backend import BackendError, get_backend

    host, kind, device = state
    try:
        backend = get_backend(device)
    except BackendError as exc:
        backend = get_backend(None)
        warnings.warn(f"unpickling a shared value stored on {device!r}, which is not available here ({exc}); "
                      f"it goes to {backend.device!r} (config.device)", stacklevel=3)
    container.backend = backend
    container.value = backend.from_host(np.asarray(host)) if kind == "array" else backend.rng_from_host(host)


def rebuild_function(spec: Dict[str, Any]) -> Any:
    """Compile a pickled function again, on its device if that is available here, else on config.device."""
    from .backend import BackendError
    from .function import function

    spec = dict(spec)
    try:
        return function(**spec)
    except BackendError as exc:
        if spec.get("device") is None:
            raise
        warnings.warn(f"unpickling a function compiled for device {spec['device']!r}, which is not available "
                      f"here ({exc}); it is compiled for config.device instead", stacklevel=2)
        spec["device"] = None
        return function(**spec)

"""A training run's state as checkpoint arrays, and back.

The :class:`~framework.training.loop.Trainer` checkpoints every shared
variable a family lists as its state: tensors as they are, random generator
states as arrays (:func:`rng_arrays`). Restoring checks every saved value
against the run before setting any (all or nothing), so a checkpoint of
another model never half-loads. Also here: which shared variables a compiled
function writes back (:func:`updated_shared`), so a family can check its
state list covers them.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Optional

import numpy as np

from .checkpoint import (
    CheckpointError,
    check_training_meta,
    load_checkpoint,
    rng_state_from_arrays,
    rng_state_to_arrays,
)

__all__ = ["CHECKPOINT_NAME", "read_checkpoint", "is_rng_variable", "state_kinds", "state_arrays",
           "restore_state", "updated_shared"]

CHECKPOINT_NAME = "checkpoint.npz"
"""File name of the checkpoint inside the log directory."""


def read_checkpoint(logdir: str, family: Optional[str] = None) -> tuple:
    """``(arrays, meta)`` of the checkpoint in ``logdir``, checked to belong to ``family``."""
    path = os.path.join(os.fspath(logdir), CHECKPOINT_NAME)
    arrays, meta = load_checkpoint(path)
    if family is not None and meta.get("family") != family:
        raise CheckpointError(
            f"checkpoint {path} was written by model family {meta.get('family')!r}, not {family!r}")
    check_training_meta(meta, path)
    return arrays, meta


def _is_rng_variable(var: Any) -> bool:
    from ..core.shared import RNGSharedVariable

    return isinstance(var, RNGSharedVariable)


def is_rng_variable(var: Any) -> bool:
    """Whether ``var`` holds a random generator (checkpointed as its state, not as a tensor)."""
    from ..core.shared import RNGSharedVariable

    return isinstance(var, RNGSharedVariable)


def state_kinds(state: Mapping[str, Any]) -> Dict[str, str]:
    """``{name: "rng" | "tensor"}``: what the checkpoint's metadata records of each state variable."""
    return {name: ("rng" if is_rng_variable(var) else "tensor") for name, var in state.items()}


def state_arrays(state: Mapping[str, Any]) -> Dict[str, np.ndarray]:
    """Every state variable as arrays; random states as in :func:`rng_arrays`."""
    arrays: Dict[str, np.ndarray] = {}
    for name, var in state.items():
        if is_rng_variable(var):
            arrays.update(rng_arrays(name, var.get_value()))
        else:
            arrays[name] = np.asarray(var.get_value())
    return arrays


def restore_state(state: Mapping[str, Any], arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any],
                  path: str) -> None:
    """Check every saved value against this run's ``state``, then set them all (all or nothing)."""
    kinds = meta.get("state", {})
    wanted = state_kinds(state)
    if set(kinds) != set(wanted):
        raise CheckpointError(
            f"checkpoint {path} holds state {sorted(kinds)}, this run needs {sorted(wanted)}")
    values: Dict[str, Any] = {}
    for name, var in state.items():
        if kinds[name] != wanted[name]:
            raise CheckpointError(f"checkpoint {path}: {name!r} is a {kinds[name]}, this run needs a {wanted[name]}")
        if wanted[name] == "rng":
            values[name] = rng_from_arrays(name, arrays, path)
            continue
        if name not in arrays:
            raise CheckpointError(f"checkpoint {path} has no array {name!r}")
        saved = arrays[name]
        current = np.asarray(var.get_value(borrow=False))
        if saved.shape != current.shape or saved.dtype != current.dtype:
            raise CheckpointError(
                f"checkpoint {path}: {name!r} has shape {saved.shape} and dtype {saved.dtype}, "
                f"this run's model has shape {current.shape} and dtype {current.dtype}")
        values[name] = saved
    for name, value in values.items():
        state[name].set_value(value)


def rng_arrays(name: str, rng: Any) -> Dict[str, np.ndarray]:
    """A generator state as arrays.

    A ``numpy.random.RandomState`` (the CPU backend's) is stored whole with
    :func:`rng_state_to_arrays` under ``<name>_keys`` & co.; another backend's
    state whose ``get_state()`` is ``(tag, int, int, ...)`` (the GPU's
    ``('philox4x32-10', key0, key1, counter)``) as ``<name>_tag`` (the tag's
    UTF-8 bytes) and ``<name>_words`` (the integers, uint64).
    """
    if isinstance(rng, np.random.RandomState):
        return rng_state_to_arrays(rng, prefix=name)
    state = rng.get_state() if hasattr(rng, "get_state") else None
    if (isinstance(state, tuple) and len(state) >= 2 and isinstance(state[0], str)
            and all(isinstance(w, (int, np.integer)) and 0 <= int(w) < 2 ** 64 for w in state[1:])):
        return {f"{name}_tag": np.frombuffer(state[0].encode("utf-8"), dtype=np.uint8).copy(),
                f"{name}_words": np.array([int(w) for w in state[1:]], dtype=np.uint64)}
    raise CheckpointError(
        f"cannot checkpoint random state {name!r}: a {type(rng).__name__} has neither the state of a "
        "numpy.random.RandomState nor a get_state() of (tag, integers...)")


def rng_from_arrays(name: str, arrays: Mapping[str, np.ndarray], path: str) -> Any:
    """The value to ``set_value`` for a random state saved by :func:`rng_arrays`."""
    if f"{name}_tag" in arrays:
        if f"{name}_words" not in arrays:
            raise CheckpointError(f"checkpoint {path}: random state {name!r} is incomplete (no {name}_words)")
        try:
            tag = arrays[f"{name}_tag"].astype(np.uint8).tobytes().decode("utf-8")
        except UnicodeDecodeError:
            raise CheckpointError(f"checkpoint {path}: random state {name!r} has an unreadable tag") from None
        return (tag,) + tuple(int(w) for w in np.asarray(arrays[f"{name}_words"]).ravel())
    return rng_state_from_arrays(arrays, prefix=name)


def updated_shared(function: Any) -> List[Any]:
    """The shared variables a compiled function writes back (explicit and default updates)."""
    from ..core.function import _default_updates
    from ..core.shared import SharedVariable

    spec = function.maker.spec
    explicit = {s: v for s, v in spec.get("updates", []) if isinstance(s, SharedVariable)}
    if spec.get("no_default_updates") is True:
        return list(explicit)
    outputs = function.outputs
    defaults = _default_updates(list(outputs) + list(explicit.values()), explicit,
                                spec.get("no_default_updates") or False)
    return list(explicit) + [s for s, _ in defaults]

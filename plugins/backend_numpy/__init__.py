"""The CPU backend: NumPy. The default device ('cpu') and the reference backend.

It is a plugin like any other: registered through ``framework_backends()``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from framework.core.backend import Backend
from framework.plugins import BackendSpec, hookimpl

__version__ = "0.1.0"


class NumpyBackend(Backend):
    """Arrays are NumPy arrays on the host; ops run their reference implementations."""

    name = "numpy"
    xp = np
    host_is_device = True

    def from_host(self, value: Any, copy: bool = True) -> np.ndarray:
        return np.array(value, copy=True) if copy else np.asarray(value)

    def to_host(self, value: Any, copy: bool = True) -> np.ndarray:
        return np.array(value, copy=True) if copy else np.asarray(value)

    def copy(self, value: Any) -> Any:
        return np.array(value, copy=True)

    def is_array(self, value: Any) -> bool:
        return isinstance(value, np.ndarray)

    # random numbers: the state is a numpy.random.RandomState
    def new_rng(self, seed: Any) -> np.random.RandomState:
        return np.random.RandomState(seed)


@hookimpl
def framework_backends():
    yield BackendSpec(
        name="numpy",
        devices=("cpu",),
        available=lambda: True,
        create=NumpyBackend,
        doc="NumPy on the CPU (the default backend)",
    )

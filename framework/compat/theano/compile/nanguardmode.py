"""``theano.compile.nanguardmode``: :class:`NanGuardMode`, a mode that raises when a node's
input or output holds a NaN, an infinity or a value beyond 1e10 in absolute value.

Each check is switched by its argument (None: ``config.NanGuardMode.<name>``, True by
default). The error is an ``AssertionError``, as Theano's, naming what was found, the node,
whether it was an input or an output, and the line of the user's script that built the node.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from ....config import config
from ....core.errors import node_error_message
from . import Mode

__all__ = ["NanGuardMode"]

BIG = 1e10
"""Theano's threshold for ``big_is_error``."""


def _host(value: Any) -> Optional[np.ndarray]:
    """The value as a NumPy array of numbers, or None (random states, other values)."""
    if value is None or isinstance(value, np.random.RandomState) or isinstance(value, (str, bytes)):
        return None
    if hasattr(value, "get") and not isinstance(value, np.ndarray):  # a CuPy array
        value = value.get()
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001 -- not an array: nothing to check
        return None
    return arr if arr.dtype.kind in "biufc" else None


class NanGuardMode(Mode):
    """``NanGuardMode(nan_is_error=None, inf_is_error=None, big_is_error=None, optimizer='default',
    linker=None)``: every node's inputs (before it runs) and outputs (after) are checked; the
    first NaN, Inf or big value raises ``AssertionError``. At least one check must be on."""

    def __init__(self, nan_is_error: Optional[bool] = None, inf_is_error: Optional[bool] = None,
                 big_is_error: Optional[bool] = None, optimizer: Any = "default", linker: Any = None) -> None:
        flags = config.NanGuardMode
        self.nan_is_error = flags.nan_is_error if nan_is_error is None else bool(nan_is_error)
        self.inf_is_error = flags.inf_is_error if inf_is_error is None else bool(inf_is_error)
        self.big_is_error = flags.big_is_error if big_is_error is None else bool(big_is_error)
        if not (self.nan_is_error or self.inf_is_error or self.big_is_error):
            raise ValueError("NanGuardMode needs at least one of nan_is_error, inf_is_error, big_is_error to be True")
        super().__init__("debug", optimizer, name="NanGuardMode", monitor=(self._check_inputs, self._check_outputs))

    def _problem(self, value: Any) -> Optional[str]:
        arr = _host(value)
        if arr is None or arr.size == 0:
            return None
        if arr.dtype.kind in "fc":
            if self.nan_is_error and np.isnan(arr).any():
                return "NaN detected"
            if self.inf_is_error and np.isinf(arr).any():
                return "Inf detected"
        if self.big_is_error and arr.dtype.kind != "b":
            finite = arr[np.isfinite(arr)] if arr.dtype.kind in "fc" else arr
            if finite.size and float(np.abs(finite).max()) > BIG:
                return "Big value detected"
        return None

    def _check(self, node: Any, values: Sequence[Any], where: str, inputs: Sequence[Any]) -> None:
        for k, value in enumerate(values):
            problem = self._problem(value)
            if problem is not None:
                raise AssertionError("NanGuardMode: " + node_error_message(
                    node, f"{problem} in {where} {k}", inputs))

    def _check_inputs(self, i: int, node: Any, inputs: Sequence[Any], outputs: Sequence[Any]) -> None:
        self._check(node, inputs, "input", inputs)

    def _check_outputs(self, i: int, node: Any, inputs: Sequence[Any], outputs: Sequence[Any]) -> None:
        self._check(node, outputs, "output", inputs)


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

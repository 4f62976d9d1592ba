"""``theano.compile.monitormode``: :class:`MonitorMode`, a mode that calls the user's functions
around every node, and :func:`detect_nan`, the documented example of such a function.

The function runs node by node (framework's debug linker, with the mode's rewrites); before
node ``i`` runs, ``pre_func(i, node, fn)`` is called, after it ``post_func(i, node, fn)``.
As in Theano, ``fn.inputs`` and ``fn.outputs`` are lists of one-element storage cells
(``fn.outputs[0][0]`` is the first output's value; None before the node ran), so the
functions Theano's documentation shows ("How do I print an intermediate value?",
"Dealing with NaNs") run unchanged. NaN and Inf are the functions' to judge: a monitored
function does not raise on them.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence

import numpy as np

from . import Mode

__all__ = ["MonitorMode", "detect_nan"]


class _Thunk:
    """What Theano's ``fn`` argument offers: the node's input and output storage cells."""

    __slots__ = ("inputs", "outputs")

    def __init__(self, inputs: Sequence[Any], outputs: Sequence[Any]) -> None:
        self.inputs: List[List[Any]] = [[v] for v in inputs]
        self.outputs: List[List[Any]] = [[v] for v in outputs]

    def __call__(self) -> None:
        raise TypeError("MonitorMode: the node runs between pre_func and post_func; fn() cannot run it again "
                        "here (read fn.inputs and fn.outputs instead)")


def _cells(func: Optional[Callable[..., Any]]) -> Optional[Callable[..., None]]:
    """framework's per-node hook ``(i, node, inputs, outputs)`` calling Theano's ``func(i, node, fn)``."""
    if func is None:
        return None

    def hook(i: int, node: Any, inputs: Sequence[Any], outputs: Sequence[Any]) -> None:
        func(i, node, _Thunk(inputs, outputs))

    return hook


class MonitorMode(Mode):
    """``MonitorMode(pre_func=None, post_func=None, optimizer='default', linker=None)``: each
    compiled function calls ``pre_func(i, node, fn)`` before and ``post_func(i, node, fn)``
    after every node (``i`` its position in the schedule). ``linker`` must be None (the mode
    runs node by node), as in Theano; ``excluding('fusion')`` & co. keep the functions."""

    def __init__(self, pre_func: Optional[Callable[..., Any]] = None, post_func: Optional[Callable[..., Any]] = None,
                 optimizer: Any = "default", linker: Any = None) -> None:
        if linker is not None:
            raise ValueError(f"MonitorMode runs the graph node by node with its own linker; got linker={linker!r} "
                             "(leave it out)")
        self.pre_func = pre_func
        self.post_func = post_func
        super().__init__("debug", optimizer, name="MonitorMode", monitor=(_cells(pre_func), _cells(post_func)))

    def eval(self, i: int, node: Any, fn: Any) -> None:
        """Theano's per-node step: ``pre_func``, the node (``fn()``, where ``fn`` is callable), ``post_func``."""
        if self.pre_func is not None:
            self.pre_func(i, node, fn)
        if not isinstance(fn, _Thunk):
            fn()
        if self.post_func is not None:
            self.post_func(i, node, fn)


def detect_nan(i: int, node: Any, fn: Any) -> None:
    """A ``post_func`` for :class:`MonitorMode`: prints the node, its inputs and outputs when an
    output holds a NaN (the example of Theano's "Dealing with NaNs")."""
    from ..printing import debugprint

    for output in fn.outputs:
        value = output[0]
        if isinstance(value, np.random.RandomState) or value is None:
            continue
        arr = np.asarray(value)
        if arr.dtype.kind in "fc" and np.isnan(arr).any():
            print("*** NaN detected ***")
            debugprint(node)
            print(f"Inputs : {[c[0] for c in fn.inputs]}")
            print(f"Outputs: {[c[0] for c in fn.outputs]}")
            break


from .._missing import missing as _missing  # noqa: E402

__getattr__ = _missing(__name__)

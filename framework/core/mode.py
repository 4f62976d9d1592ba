"""Compilation modes: which rewrites run and how the graph is executed.

``'FAST_RUN'``: every rewrite stage; ``'FAST_COMPILE'``: only the rewrites
needed to run at all; ``'DEBUG'``: no rewrites, and every node's output is
checked for NaN/Inf and its declared shape.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional, Tuple, Union


class Mode:
    """``Mode(optimizer='fast_run', linker='schedule', including=(), excluding=(), monitor=None)``.

    ``excluding``/``including`` take rewrite names or tags; ``including``
    also switches on rewrites a mode would not run (in FAST_COMPILE, say).
    ``monitor`` (only with ``linker='debug'``) is a pair ``(pre, post)`` of callables
    or Nones, called as ``pre(i, node, inputs, outputs)`` before node ``i`` (its position
    in the schedule) runs and ``post(i, node, inputs, outputs)`` after, with the node's
    input values and its output values (None before it ran): a per-node hook for
    tools that watch values (Theano's ``MonitorMode``, ``NanGuardMode``). A monitored
    function leaves NaN/Inf to the monitor (dtype and shape are still checked).
    """

    def __init__(self, optimizer: Optional[str] = "fast_run", linker: str = "schedule",
                 including: Iterable[str] = (), excluding: Iterable[str] = (), name: Optional[str] = None,
                 monitor: Optional[Tuple[Any, Any]] = None):
        if optimizer not in ("fast_run", "fast_compile", None):
            raise ValueError(f"Mode: optimizer must be 'fast_run', 'fast_compile' or None, not {optimizer!r}")
        if linker not in ("schedule", "debug"):
            raise ValueError(f"Mode: linker must be 'schedule' or 'debug', not {linker!r}")
        if monitor is not None and linker != "debug":
            raise ValueError("Mode: a monitor runs node by node: it needs linker='debug'")
        self.optimizer = optimizer
        self.linker = linker
        self.including: Tuple[str, ...] = tuple(including)
        self.excluding: Tuple[str, ...] = tuple(excluding)
        self.monitor = monitor
        self.name = name or {"fast_run": "FAST_RUN", "fast_compile": "FAST_COMPILE", None: "NONE"}[optimizer]

    def including_(self, *names: str) -> "Mode":
        return Mode(self.optimizer, self.linker, self.including + names, self.excluding, monitor=self.monitor)

    def excluding_(self, *names: str) -> "Mode":
        return Mode(self.optimizer, self.linker, self.including, self.excluding + names, monitor=self.monitor)

    def __repr__(self) -> str:
        extra = ""
        if self.including:
            extra += f", including={list(self.including)}"
        if self.excluding:
            extra += f", excluding={list(self.excluding)}"
        return f"Mode({self.name}{extra})"


FAST_RUN = Mode("fast_run", name="FAST_RUN")
FAST_COMPILE = Mode("fast_compile", name="FAST_COMPILE")
DEBUG = Mode(None, linker="debug", name="DEBUG")
_PREDEFINED = {"FAST_RUN": FAST_RUN, "FAST_COMPILE": FAST_COMPILE, "DEBUG": DEBUG, "DebugMode": DEBUG}


def get_mode(mode: Union[None, str, Mode]) -> Mode:
    if mode is None:
        from ..config import config

        mode = config.mode
    if isinstance(mode, Mode):
        return mode
    if isinstance(mode, str) and mode in _PREDEFINED:
        return _PREDEFINED[mode]
    raise ValueError(f"unknown mode {mode!r}: use 'FAST_RUN', 'FAST_COMPILE', 'DEBUG' or a Mode(...)")

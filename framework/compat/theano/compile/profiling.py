"""``theano.compile.profiling.ProfileStats``: what ``theano.function(..., profile=True)`` records.

Theano 1.0's contract, kept: ``profile=True`` (or a name, or a ``ProfileStats`` to share between
functions, or ``config.profile = True`` for every function) gives the compiled function a
``profile`` attribute; it counts the calls and their time (``fct_callcount``,
``fct_call_time``), the compile time (``compile_time``) and each node's time and calls
(``apply_time``, ``apply_callcount``, keyed by the compiled graph's nodes); ``summary(file,
n_ops_to_print, n_apply_to_print)`` prints them by op class, by op and by node, and a
``ProfileStats(atexit_print=True)`` -- the default -- prints its summary to stderr when the
program exits, as Theano's does.

How: a profiled function runs node by node (framework's debug linker, with the mode's rewrites)
with a timer around each node, so its calls are slower than the unprofiled function's, and each
node's time includes the linker's dtype/shape check of its outputs (about a microsecond). A
function of a mode that already runs node by node and checks for NaN (``DebugMode``) keeps its
checks and records the calls only (``apply_time`` stays empty). docs/theano.md.
"""
from __future__ import annotations

import atexit
import sys
import time
from typing import Any, Dict, List, Optional, TextIO

__all__ = ["ProfileStats"]

_AT_EXIT: List["ProfileStats"] = []
_REGISTERED: List[bool] = []


def _print_at_exit() -> None:
    for stats in _AT_EXIT:
        if stats.fct_callcount or stats.compile_time:
            stats.summary(file=sys.stderr)


class ProfileStats:
    """Calls, times and per-node times of the functions compiled with it (module docstring)."""

    def __init__(self, atexit_print: bool = True, flag_time_thunks: Any = None, gpu_checks: bool = True,
                 message: Optional[str] = None, **kwargs: Any) -> None:
        self.message = message or ""
        self.atexit_print = bool(atexit_print)
        self.compile_time = 0.0
        self.fct_callcount = 0
        self.fct_call_time = 0.0
        self.apply_time: Dict[Any, float] = {}
        self.apply_callcount: Dict[Any, int] = {}
        self._started = 0.0
        if self.atexit_print:
            _AT_EXIT.append(self)
            if not _REGISTERED:
                _REGISTERED.append(True)
                atexit.register(_print_at_exit)

    # --- the hooks a profiled function calls -----------------------------------------------------
    def _before_node(self, i: int, node: Any, inputs: Any, outputs: Any) -> None:
        self._started = time.perf_counter()

    def _after_node(self, i: int, node: Any, inputs: Any, outputs: Any) -> None:
        spent = time.perf_counter() - self._started
        self.apply_time[node] = self.apply_time.get(node, 0.0) + spent
        self.apply_callcount[node] = self.apply_callcount.get(node, 0) + 1

    # --- aggregates (Theano's names) -------------------------------------------------------------
    def class_time(self) -> Dict[type, float]:
        """Seconds spent in each op class."""
        out: Dict[type, float] = {}
        for node, t in self.apply_time.items():
            out[type(node.op)] = out.get(type(node.op), 0.0) + t
        return out

    def class_callcount(self) -> Dict[type, int]:
        out: Dict[type, int] = {}
        for node, n in self.apply_callcount.items():
            out[type(node.op)] = out.get(type(node.op), 0) + n
        return out

    def op_time(self) -> Dict[Any, float]:
        """Seconds spent in each op (equal ops together)."""
        out: Dict[Any, float] = {}
        for node, t in self.apply_time.items():
            out[node.op] = out.get(node.op, 0.0) + t
        return out

    def op_callcount(self) -> Dict[Any, int]:
        out: Dict[Any, int] = {}
        for node, n in self.apply_callcount.items():
            out[node.op] = out.get(node.op, 0) + n
        return out

    # --- printing -----------------------------------------------------------------------------------
    def summary_function(self, file: TextIO = sys.stderr) -> None:
        calls = self.fct_callcount
        print(f"Function profiling\n==================\n  Message: {self.message}", file=file)
        print(f"  Time in {calls} calls to Function.__call__: {self.fct_call_time:e}s", file=file)
        if calls:
            print(f"  Time per call: {self.fct_call_time / calls:e}s", file=file)
        nodes = sum(self.apply_time.values())
        if self.fct_call_time > 0 and self.apply_time:
            print(f"  Time in nodes: {nodes:e}s ({100 * nodes / self.fct_call_time:.1f}% of the calls)", file=file)
        print(f"  Compile time: {self.compile_time:e}s", file=file)

    def _table(self, title: str, times: Dict[Any, float], counts: Dict[Any, int], label: Any, n: int,
               file: TextIO) -> None:
        total = sum(times.values())
        if not times:
            return
        print(f"\n{title}\n---\n  <% time> <sum %> <time> <#call> <time per call> <name>", file=file)
        running = 0.0
        rows = sorted(times.items(), key=lambda kv: -kv[1])
        for key, t in rows[:n]:
            running += t
            share = 100 * t / total if total else 0.0
            calls = counts.get(key, 0)
            per = t / calls if calls else 0.0
            print(f"  {share:6.1f}% {100 * running / total if total else 0.0:6.1f}% {t:.3e}s {calls:7d} "
                  f"{per:.3e}s {label(key)}", file=file)
        if len(rows) > n:
            print(f"  ... (remaining {len(rows) - n} entries)", file=file)

    def summary_class(self, file: TextIO = sys.stderr, N: Optional[int] = None) -> None:  # noqa: N803
        self._table("Class", self.class_time(), self.class_callcount(), lambda c: c.__name__,
                    N if N is not None else len(self.apply_time), file)

    def summary_ops(self, file: TextIO = sys.stderr, N: Optional[int] = None) -> None:  # noqa: N803
        self._table("Ops", self.op_time(), self.op_callcount(), str, N if N is not None else len(self.apply_time), file)

    def summary_nodes(self, file: TextIO = sys.stderr, N: Optional[int] = None) -> None:  # noqa: N803
        def label(node: Any) -> str:
            args = ", ".join(getattr(v, "name", None) or str(v.type) for v in node.inputs)
            return f"{node.op}({args})"

        self._table("Apply", self.apply_time, self.apply_callcount, label,
                    N if N is not None else len(self.apply_time), file)

    def summary(self, file: TextIO = sys.stderr, n_ops_to_print: int = 20, n_apply_to_print: int = 20) -> None:
        """Theano's report: the function's calls, then op classes, ops and nodes by time."""
        self.summary_function(file)
        if self.apply_time:
            self.summary_class(file, n_ops_to_print)
            self.summary_ops(file, n_ops_to_print)
            self.summary_nodes(file, n_apply_to_print)
        else:
            print("  (no node was timed: the graph has no node, the function has not run, or its mode checks "
                  "every node itself)",
                  file=file)


def profiled(stats: ProfileStats, mode: Any, compile_fn: Any) -> Any:
    """Compile with ``compile_fn(mode)`` for ``stats``: the mode run node by node with the timers
    (unless it checks every node itself), the compile timed, the calls counted and timed."""
    from ....core.mode import Mode as _NativeMode

    timed_nodes = not (mode.linker == "debug" and mode.monitor is None)
    if timed_nodes:
        pre, post = mode.monitor if mode.monitor is not None else (None, None)

        def before(i: int, node: Any, ins: Any, outs: Any) -> None:
            if pre is not None:
                pre(i, node, ins, outs)
            stats._before_node(i, node, ins, outs)

        def after(i: int, node: Any, ins: Any, outs: Any) -> None:
            stats._after_node(i, node, ins, outs)
            if post is not None:
                post(i, node, ins, outs)

        mode = _NativeMode(mode.optimizer, "debug", tuple(mode.including), tuple(mode.excluding),
                           name=mode.name, monitor=(before, after))
    started = time.perf_counter()
    f = compile_fn(mode)
    stats.compile_time += time.perf_counter() - started
    run = f._run

    def counted(*args: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return run(*args)
        finally:
            stats.fct_call_time += time.perf_counter() - t0
            stats.fct_callcount += 1

    f._run = counted
    f.profile = stats
    return f

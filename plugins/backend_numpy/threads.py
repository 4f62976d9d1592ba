"""A helper thread that runs NumPy work while the main thread computes something else.

NumPy releases the GIL inside its loops (a ``Generator`` fill, a ufunc on a
large array) and OpenBLAS inside a GEMM, so a second thread can keep a second
core busy while the first is in a GEMM. The benchmarks pin OpenBLAS to one
thread (docs/benchmarks.md), and NumPy's ufuncs use one core regardless: the
other core is idle unless something gives it work.

What uses it (issue 16): the uniforms of a Bernoulli draw do not depend on
``p``, only on the generator state and the shape, so the draw can start as
soon as the shape is known -- typically before the GEMM that computes ``p``
(see :mod:`.random_draws` and ``plugins/rewrites/draw_ahead.py``).

One daemon thread per process, started on first use and started again in a
child after ``fork``. Jobs run one at a time in submission order, so two jobs
on the same generator state draw in the order the schedule asked for them.
A machine with a single usable core gets no thread: :func:`available` is
False and callers do the work themselves.
"""
from __future__ import annotations

import _thread
import os
import queue
import threading
from typing import Any, Callable, Optional


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Job:
    """One piece of work for the helper thread; :meth:`wait` returns its result or raises its error."""

    __slots__ = ("fn", "result", "error", "_lock", "_done")

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.result: Any = None
        self.error: Optional[BaseException] = None
        self._done = False
        self._lock = _thread.allocate_lock()
        self._lock.acquire()  # released by the helper when the job has run

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:  # handed to whoever waits
            self.error = exc
        finally:
            self.fn = None
            self._lock.release()

    def wait(self) -> Any:
        if not self._done:
            self._lock.acquire()
            self._done = True
        if self.error is not None:
            raise self.error
        return self.result

    def finished(self) -> None:
        """Block until the job has run, without raising its error."""
        if not self._done:
            self._lock.acquire()
            self._done = True


class _Helper:
    def __init__(self) -> None:
        self.jobs: Optional["queue.SimpleQueue[Optional[Job]]"] = None
        self.pid = -1
        self.enabled = _usable_cores() >= 2

    def _loop(self, jobs: "queue.SimpleQueue[Optional[Job]]") -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            job.run()

    def submit(self, fn: Callable[[], Any]) -> Job:
        if self.pid != os.getpid():  # first use, or a child process after fork: no thread yet
            self.jobs = queue.SimpleQueue()
            self.pid = os.getpid()
            threading.Thread(target=self._loop, args=(self.jobs,), name="framework-helper", daemon=True).start()
        job = Job(fn)
        self.jobs.put(job)  # type: ignore[union-attr]
        return job


_HELPER = _Helper()


def available() -> bool:
    """Whether work handed to :func:`submit` can run beside the caller (a second usable core)."""
    return _HELPER.enabled


def set_enabled(flag: bool) -> bool:
    """Switch the helper thread on or off for later jobs (tests, benchmarks); returns the old setting."""
    old, _HELPER.enabled = _HELPER.enabled, bool(flag)
    return old


def submit(fn: Callable[[], Any]) -> Job:
    """Run ``fn()`` on the helper thread; ``.wait()`` on the result returns what it returned."""
    return _HELPER.submit(fn)


__all__ = ["Job", "available", "set_enabled", "submit"]

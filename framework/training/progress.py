"""A dependency-free progress bar for training loops.

On a terminal it redraws one line in place (with ``'\\r'``)::

    epoch 4/15: 37/60 [61%] 412.5 batch/s 0:00:01 cost=-61.23

When the stream is not a terminal (a log file, a CI job, a pipe) it never
writes ``'\\r'``; instead it prints a plain line every ``every`` updates —
by default about ten per run — and one summary line at the end::

    epoch 4/15: done 60/60 in 0:00:01 (48.7 batch/s) cost=-60.98

:meth:`Progress.restart` counts again from zero under a new label on the
same line, which is how a training run shows all its epochs on one
terminal line (and one summary line per epoch elsewhere, with
``every=total``).
"""
from __future__ import annotations

import math
import sys
import time
from typing import Any, Callable, Dict, Optional, TextIO

__all__ = ["Progress"]


def _format_duration(seconds: float) -> str:
    """``H:MM:SS`` for a number of seconds."""
    seconds = int(max(seconds, 0))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _format_value(value: Any) -> str:
    """Short, readable rendering of a postfix value (floats to 4 significant digits)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) or (hasattr(value, "dtype") and getattr(value, "ndim", 1) == 0):
        try:
            return f"{float(value):.4g}"
        except (TypeError, ValueError):
            pass
    return str(value)


class Progress:
    """Progress of ``total`` steps (minibatches), shown on ``stream``.

    Parameters
    ----------
    total:
        Number of steps expected (``None`` if unknown: no percentage).
    desc:
        Label at the start of the line, e.g. ``"epoch 3"``.
    stream:
        Where to write (default ``sys.stderr``).
    every:
        Non-terminal mode only: print a line every ``every`` steps. The
        default, ``ceil(total / 10)``, gives at most about ten lines.
    unit:
        Name of a step in the rate (``batch/s``).
    tty:
        Force terminal (``True``) or plain-line (``False``) mode; by default
        ``stream.isatty()`` decides.
    min_interval:
        Terminal mode only: redraw at most this often (seconds).
    clock:
        Time source (seconds); replaceable for tests.

    Use it as a context manager, calling :meth:`update` once per step;
    keyword arguments to :meth:`update` (``cost=...``) are shown after the
    rate and keep their last value.
    """

    def __init__(
        self,
        total: Optional[int],
        desc: str = "",
        stream: Optional[TextIO] = None,
        every: Optional[int] = None,
        unit: str = "batch",
        tty: Optional[bool] = None,
        min_interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if total is not None and total < 0:
            raise ValueError(f"Progress: total must be >= 0, got {total}")
        self.total = total
        self.desc = desc
        self.stream = stream if stream is not None else sys.stderr
        self.unit = unit
        if tty is None:
            try:
                tty = bool(self.stream.isatty())
            except (AttributeError, ValueError):  # no isatty, or a closed stream
                tty = False
        self.tty = tty
        if every is None:
            every = max(1, math.ceil(total / 10)) if total else 1
        if every < 1:
            raise ValueError(f"Progress: every must be >= 1, got {every}")
        self.every = every
        self.min_interval = min_interval
        self.clock = clock
        self.n = 0
        self.postfix: Dict[str, Any] = {}
        self.closed = False
        self._start = clock()
        self._last_draw = -math.inf
        self._last_width = 0
        self._summarized = False  # plain mode: the current count's summary line is written

    # -- context manager ---------------------------------------------------

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(interrupted=exc_type is not None)

    # -- reporting ----------------------------------------------------------

    @property
    def elapsed(self) -> float:
        """Seconds since the bar was created."""
        return self.clock() - self._start

    @property
    def rate(self) -> Optional[float]:
        """Steps per second so far, or ``None`` before any time has passed."""
        elapsed = self.elapsed
        return self.n / elapsed if elapsed > 0 else None

    def update(self, n: int = 1, **postfix: Any) -> None:
        """Record ``n`` more steps done and the current ``postfix`` values."""
        if self.closed:
            raise RuntimeError("Progress.update called after close()")
        self.n += n
        self.postfix.update(postfix)
        if self.tty:
            now = self.clock()
            finished = self.total is not None and self.n >= self.total
            if finished or now - self._last_draw >= self.min_interval:
                self._last_draw = now
                self._redraw()
        else:
            # Plain lines at multiples of `every`; the last step is covered by
            # the summary written by close().
            unfinished = self.total is None or self.n < self.total
            if unfinished and self.n // self.every > (self.n - n) // self.every:
                self._write(self._status_line() + "\n")

    def restart(self, total: Optional[int], desc: Optional[str] = None) -> None:
        """Count again from zero (new ``total``, label, clock and postfix) on the same line.

        On a terminal the next redraw overwrites the previous count's line;
        elsewhere nothing is written (call :meth:`summarize` first to leave a
        summary line for the previous count).
        """
        if self.closed:
            raise RuntimeError("Progress.restart called after close()")
        if total is not None and total < 0:
            raise ValueError(f"Progress: total must be >= 0, got {total}")
        self.total = total
        if desc is not None:
            self.desc = desc
        self.n = 0
        self.postfix = {}
        self._start = self.clock()
        self._last_draw = -math.inf
        self._summarized = False

    def summarize(self) -> None:
        """Show the count as finished: a redraw (terminal) or the summary line (plain), once."""
        if self.tty:
            self._last_draw = self.clock()
            self._redraw()
        elif not self._summarized:
            self._write(self._summary_line(False) + "\n")
        self._summarized = True

    def set_postfix(self, **postfix: Any) -> None:
        """Change the values shown after the rate without counting a step."""
        self.postfix.update(postfix)

    def close(self, interrupted: bool = False) -> None:
        """Finish the bar: a final redraw (terminal) or a summary line."""
        if self.closed:
            return
        self.closed = True
        if self.tty:
            self._redraw()
            self._write("\n")
        elif interrupted or not self._summarized:
            self._write(self._summary_line(interrupted) + "\n")

    # -- formatting -----------------------------------------------------------

    def _counts(self) -> str:
        if self.total is None:
            return f"{self.n}"
        percent = 100.0 * self.n / self.total if self.total else 100.0
        return f"{self.n}/{self.total} [{percent:3.0f}%]"

    def _rate_text(self) -> str:
        rate = self.rate
        return f"{rate:.1f} {self.unit}/s" if rate is not None else f"? {self.unit}/s"

    def _postfix_text(self) -> str:
        return " ".join(f"{key}={_format_value(value)}" for key, value in self.postfix.items())

    def _prefix(self) -> str:
        return f"{self.desc}: " if self.desc else ""

    def _status_line(self) -> str:
        parts = [self._counts(), self._rate_text(), _format_duration(self.elapsed)]
        postfix = self._postfix_text()
        if postfix:
            parts.append(postfix)
        return self._prefix() + " ".join(parts)

    def _summary_line(self, interrupted: bool) -> str:
        counted = f"{self.n}/{self.total}" if self.total is not None else f"{self.n}"
        state = "interrupted at" if interrupted else "done"
        line = f"{self._prefix()}{state} {counted} in {_format_duration(self.elapsed)} ({self._rate_text()})"
        postfix = self._postfix_text()
        return f"{line} {postfix}" if postfix else line

    def _redraw(self) -> None:
        # A line longer than the terminal would wrap, and '\r' would then redraw only its
        # last part: cut it to the terminal's width (less one column for the cursor).
        import shutil

        line = self._status_line()[: max(shutil.get_terminal_size((120, 24)).columns - 1, 20)]
        # Pad with spaces to wipe what is left of a longer previous line.
        padding = " " * max(self._last_width - len(line), 0)
        self._last_width = len(line)
        self._write("\r" + line + padding)

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed or broken stream must not stop training

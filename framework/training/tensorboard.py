"""TensorBoard logging for training runs, through tensorboardX.

:class:`RunLogger` is a thin wrapper over ``tensorboardX.SummaryWriter`` that
fixes the conventions the training command relies on:

* everything of one run — scalars, images, histograms, text *and* the
  hyper-parameters — lands in one directory (``tensorboardX``'s own
  ``add_hparams`` would start a sub-run per call), so
  ``tensorboard --logdir runs`` shows one run per training run;
* images are ``uint8`` arrays ``H x W`` (grayscale) or ``H x W x C``, as
  :func:`framework.utils.tile_raster_images` returns them;
* bad values never stop training: non-finite entries are left out of
  histograms, and hyper-parameter values that TensorBoard cannot show are
  logged as strings;
* one logger writes one event file, synchronously (no background thread),
  and :meth:`RunLogger.flush` fsyncs it: after ``flush`` returns, a crash or
  ``kill -9`` loses nothing logged before it.

tensorboardX is imported only when a logger is created, so importing this
module is cheap -- and without the heavy optional packages it tries at its own
import (:func:`import_tensorboardx`).
"""
from __future__ import annotations

import atexit
import contextlib
import os
import socket
import sys
import struct
import threading
import time
import weakref
from typing import Any, BinaryIO, Dict, Iterator, Mapping, Optional, Union

import numpy as np

from .checkpoint import _fsync_directory

__all__ = ["RunLogger"]

PathLike = Union[str, "os.PathLike[str]"]


def _hparam_value(value: Any) -> Union[bool, str, float, int]:
    """Coerce a hyper-parameter to a type the hparams plugin displays."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, str, int, float)):
        return value
    return str(value)  # None, tuples, paths, ...: shown as text


def _as_image(image: Any, tag: str) -> tuple:
    """Return ``(uint8 array, dataformats)`` for an image given to :meth:`RunLogger.image`."""
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))) or array.size == 0:
        raise ValueError(
            f"RunLogger.image({tag!r}): expected a non-empty H x W, H x W x 3 or H x W x 4 image, "
            f"got shape {array.shape}")
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif np.issubdtype(array.dtype, np.floating):
        # Floats are taken to be intensities in [0, 1].
        array = (np.clip(np.nan_to_num(array), 0.0, 1.0) * 255).round().astype(np.uint8)
    elif array.dtype != np.uint8:
        raise TypeError(f"RunLogger.image({tag!r}): expected uint8 (or floats in [0, 1]), got {array.dtype}")
    return array, ("HW" if array.ndim == 2 else "HWC")


class _EventFile:
    """One TensorBoard event file, written synchronously in the caller's thread.

    Stands in for tensorboardX's ``EventFileWriter``, whose events go through
    a queue to a background thread: its ``flush`` flushes the file but does
    not wait for the queue, so events logged just before it could still be
    missing afterwards. Here every event is framed as a TFRecord (length,
    masked CRC-32C of the length, the serialized ``Event``, masked CRC-32C of
    the data) and written at once; :meth:`flush` flushes Python's buffer and
    fsyncs the file (and, the first time, the directory, so the file's name
    survives a power loss too). Between flushes the file is also flushed
    (without fsync) every ``flush_secs`` when events arrive, so a live
    TensorBoard sees progress.
    """

    def __init__(self, logdir: str, filename_suffix: str, flush_secs: float) -> None:
        import_tensorboardx()
        from tensorboardX.proto.event_pb2 import Event
        from tensorboardX.record_writer import masked_crc32c

        self._masked_crc = masked_crc32c
        self._logdir = logdir
        os.makedirs(logdir, exist_ok=True)
        # TensorBoard's name pattern (it reads files whose name has "tfevents",
        # in name order); "x" mode never clobbers an existing file.
        self.path = os.path.join(
            logdir, f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}{filename_suffix}")
        self._file: Optional[BinaryIO] = open(self.path, "xb")
        self._lock = threading.Lock()
        self._flush_secs = float(flush_secs)
        self._next_flush = time.monotonic() + self._flush_secs
        self._directory_synced = False
        self._write(Event(wall_time=time.time(), file_version="brain.Event:2").SerializeToString())
        atexit.register(_close_at_exit, weakref.ref(self))

    def _write(self, data: bytes) -> None:
        header = struct.pack("<Q", len(data))
        record = (header + struct.pack("<I", self._masked_crc(header)) + data
                  + struct.pack("<I", self._masked_crc(data)))
        with self._lock:
            if self._file is None:
                return  # closed: tensorboardX drops late events too
            with _naming(self.path):
                self._file.write(record)  # one write per record
                if time.monotonic() >= self._next_flush:
                    self._file.flush()
                    self._next_flush = time.monotonic() + self._flush_secs

    # -- what tensorboardX's FileWriter calls on its event writer --------------

    def get_logdir(self) -> str:
        return self._logdir

    def add_event(self, event: Any) -> None:
        self._write(event.SerializeToString())

    def flush(self) -> None:
        """Everything written so far reaches the disk before this returns."""
        with self._lock:
            if self._file is None:
                return
            with _naming(self.path):
                self._file.flush()
                os.fsync(self._file.fileno())
            if not self._directory_synced:
                _fsync_directory(self._logdir)
                self._directory_synced = True
            self._next_flush = time.monotonic() + self._flush_secs

    def close(self) -> None:
        self.flush()
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def reopen(self) -> None:
        """tensorboardX's hook to start a new file after ``close``; a RunLogger never reopens."""


@contextlib.contextmanager
def _naming(path: str) -> Iterator[None]:
    """Give a failed write (disk full, file too large) the file's name, which
    ``write``/``flush`` errors lack, so the user learns which file it was."""
    try:
        yield
    except OSError as exc:
        if exc.errno is None or exc.filename:
            raise
        raise type(exc)(exc.errno, f"{exc.strerror} while writing", path) from None


def _close_at_exit(ref: "weakref.ReferenceType[_EventFile]") -> None:
    """At interpreter exit, put a still-open event file's events on disk (as tensorboardX does)."""
    event_file = ref()
    if event_file is not None:
        try:
            event_file.close()
        except (OSError, ValueError):
            pass


_WRITER_CLASS: Any = None


# Packages tensorboardX imports when they are installed, only to accept their objects
# (torch tensors) or to write to cloud storage (boto3, google.cloud): importing torch
# alone took ~8 s on a developer's machine, at every `framework train` start. The
# training code passes NumPy arrays and writes local files, so it needs none of them.
_TENSORBOARDX_OPTIONAL = ("torch", "boto3", "google.cloud")


def import_tensorboardx() -> None:
    """Import tensorboardX without the packages of :data:`_TENSORBOARDX_OPTIONAL` that are
    not imported yet: while it imports, they read as missing (``sys.modules[name] = None``
    makes ``import name`` raise ImportError, which tensorboardX catches), then they are
    importable again. A package the program imported already is left alone (tensorboardX
    then uses it, as it would have)."""
    if "tensorboardX" in sys.modules:
        return
    hidden = [name for name in _TENSORBOARDX_OPTIONAL if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import tensorboardX  # noqa: F401
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def _summary_writer_class() -> Any:
    """``tensorboardX.SummaryWriter`` writing through :class:`_EventFile` (made on first use).

    tensorboardX itself is kept for what it does well -- turning images,
    histograms, text and hyper-parameters into summaries -- and only the
    writing of the file is replaced, through ``SummaryWriter._get_file_writer``
    (the method that makes its file writer) and a ``FileWriter`` whose event
    writer is an :class:`_EventFile`.
    """
    global _WRITER_CLASS
    if _WRITER_CLASS is not None:
        return _WRITER_CLASS
    try:
        import_tensorboardx()
        from tensorboardX import FileWriter, SummaryWriter
        from tensorboardX.proto.event_pb2 import Event, SessionLog
    except ImportError as exc:  # a dependency, but give a clear message if it is broken
        raise ImportError(f"TensorBoard logging needs tensorboardX: pip install tensorboardX ({exc})") from exc

    class SyncFileWriter(FileWriter):
        """tensorboardX's ``FileWriter`` over one synchronously written :class:`_EventFile`."""

        def __init__(self, logdir: str, flush_secs: float, filename_suffix: str) -> None:
            # FileWriter.__init__ would start tensorboardX's queue and thread; the
            # inherited methods only use these two attributes.
            self.event_writer = _EventFile(str(logdir), filename_suffix, flush_secs)
            self._default_metadata: Dict[str, Any] = {}

    class SyncSummaryWriter(SummaryWriter):
        """``SummaryWriter`` whose events are written at once and fsynced by ``flush``."""

        def _get_file_writer(self) -> Any:
            if self.file_writer is None or self.all_writers is None:
                self.file_writer = SyncFileWriter(self.logdir, self._flush_secs, self._filename_suffix)
                if self.purge_step is not None:
                    # what tensorboardX writes for purge_step: TensorBoard hides the
                    # earlier files' events whose step is >= purge_step
                    self.file_writer.add_event(Event(step=self.purge_step, file_version="brain.Event:2"))
                    self.file_writer.add_event(
                        Event(step=self.purge_step, session_log=SessionLog(status=SessionLog.START)))
                self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            return self.file_writer

    _WRITER_CLASS = SyncSummaryWriter
    return _WRITER_CLASS


TRAIN_ROLE = "train"
"""The role of the event files a training run writes (see :class:`RunLogger`)."""


def event_file_role(name: str) -> str:
    """The role an event file's name ends with ('' for none: another writer's, or one from before
    roles), for files named by :class:`RunLogger`: ``events.out.tfevents.<s>.<host>.<ns>.<pid>[.<role>]``."""
    last = os.path.basename(name).rsplit(".", 1)[-1]
    return last if last.isalpha() else ""


class RunLogger:
    """Writes one run's TensorBoard events into ``logdir``.

    Usable as a context manager (closes the writer on exit). ``step`` is the
    global step of each event: the epoch for per-epoch values, the minibatch
    count for per-minibatch ones.

    A logger writes one event file (created on first use), synchronously:
    tensorboardX's ``SummaryWriter`` makes the summaries, but its
    background-queue file writer (whose ``flush`` does not wait for the
    queue) is replaced by one that writes each event at once. :meth:`flush`
    flushes and fsyncs that file, so once it returns everything logged so far
    is on disk and survives a crash or ``kill -9``. An fsync costs a
    disk round trip: call it at the end of an epoch, not after every
    minibatch. A run that is resumed opens a second logger, hence a second
    event file in the same directory (TensorBoard reads all the event files
    of a directory as one run).

    ``purge_step`` (for a resumed run) tells TensorBoard to drop events of
    the earlier, interrupted run whose step is ``>= purge_step`` — for *all*
    tags, so it only makes sense when every tag counts steps the same way.

    ``role`` (letters only) ends the event file's name (``....<pid>.<role>``):
    a resumed training run cuts back only the files of training (role
    :data:`TRAIN_ROLE`, or none: files written before roles existed), never
    those another command wrote into the same directory (``framework
    sample``'s, role ``"sample"``). :func:`event_file_role` reads it back.
    """

    def __init__(self, logdir: PathLike, flush_secs: int = 10, purge_step: Optional[int] = None,
                 role: str = "") -> None:
        if role and not role.isalpha():
            raise ValueError(f"RunLogger role must be letters only, got {role!r}")
        self._role = role
        self._summary_writer_class = _summary_writer_class()
        self.logdir = os.fspath(logdir)
        os.makedirs(self.logdir, exist_ok=True)
        self._flush_secs = flush_secs
        self._purge_step = purge_step
        self._current: Any = None
        self._event_file: Optional[str] = None
        self._closed = False
        self._described: set = set()

    @property
    def writer(self) -> Any:
        """The underlying ``tensorboardX.SummaryWriter`` (opened on first use)."""
        if self._closed:
            raise RuntimeError(f"RunLogger for {self.logdir} is closed")
        if self._current is None:
            # tensorboardX-style names carry the second only; a nanosecond time
            # stamp and the process id keep the files of two loggers opened in
            # one second (a run and its resumption) apart and in creation order
            # (TensorBoard reads a directory's files in name order).
            suffix = f".{time.time_ns():020d}.{os.getpid()}" + (f".{self._role}" if self._role else "")
            self._current = self._summary_writer_class(
                logdir=self.logdir, flush_secs=self._flush_secs, filename_suffix=suffix, purge_step=self._purge_step)
            self._event_file = self._current.file_writer.event_writer.path
        return self._current

    @property
    def event_file(self) -> Optional[str]:
        """The path of this logger's one event file (None until something is logged)."""
        return self._event_file

    # -- context manager ---------------------------------------------------

    def __enter__(self) -> "RunLogger":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()

    # -- events ----------------------------------------------------------------

    def _description(self, tag: str, description: Optional[str]) -> str:
        """``description`` the first time ``tag`` is logged (TensorBoard reads it from there), else ''."""
        if not description or tag in self._described:
            return ""
        self._described.add(tag)
        return str(description)

    def scalar(self, tag: str, value: float, step: int, description: Optional[str] = None) -> None:
        """Log one number (e.g. ``rbm/pseudo_log_likelihood``) at ``step``.

        ``description`` (Markdown) is shown by TensorBoard beside the chart;
        it is written with the tag's first point.
        """
        text = self._description(tag, description)
        if not text:
            self.writer.add_scalar(tag, float(value), int(step))
            return
        from tensorboardX.summary import scalar as scalar_summary

        summary = scalar_summary(tag, float(value), summary_description=text)
        self._write_described(summary, "scalars", int(step))

    def image(self, tag: str, image: np.ndarray, step: int, description: Optional[str] = None) -> None:
        """Log an image: ``uint8`` ``H x W`` (grayscale) or ``H x W x 3/4``, with an optional description."""
        array, dataformats = _as_image(image, tag)
        text = self._description(tag, description)
        if not text:
            self.writer.add_image(tag, array, int(step), dataformats=dataformats)
            return
        from tensorboardX.summary import image as image_summary

        summary = image_summary(tag, array, dataformats=dataformats)
        for value in summary.value:
            value.metadata.summary_description = text
        self._write_described(summary, "images", int(step))

    def _write_described(self, summary: Any, plugin: str, step: int) -> None:
        """Write a summary whose metadata carries a description, naming the dashboard it belongs to
        (TensorBoard's readers expect a plugin name wherever there is metadata)."""
        for value in summary.value:
            value.metadata.plugin_data.plugin_name = plugin
        self.writer._get_file_writer().add_summary(summary, step)

    def custom_scalars(self, layout: Mapping[str, Mapping[str, list]]) -> None:
        """A Custom Scalars layout: ``{category: {chart: ["Multiline"|"Margin", [tags...]]}}``."""
        self.writer.add_custom_scalars({k: dict(v) for k, v in layout.items()})

    def graph(self, function: Any) -> None:
        """Log a compiled function's graph for TensorBoard's Graphs tab (see :mod:`.graphdef`)."""
        from tensorboardX.proto.event_pb2 import Event

        from .graphdef import graph_def

        data = graph_def(function).SerializeToString()
        self.writer._get_file_writer().add_event(Event(wall_time=time.time(), graph_def=data))

    def histogram(self, tag: str, values: np.ndarray, step: int) -> None:
        """Log the distribution of ``values`` (e.g. a parameter) at ``step``.

        Non-finite entries are dropped (a diverged run still logs the rest);
        if nothing finite is left, nothing is logged.
        """
        array = np.asarray(values, dtype=np.float64).ravel()
        array = array[np.isfinite(array)]
        if array.size == 0:
            return
        self.writer.add_histogram(tag, array, int(step))

    def text(self, tag: str, text: str, step: int = 0, preformatted: bool = False) -> None:
        """Log text (rendered as Markdown by TensorBoard; stored as tag ``<tag>/text_summary``).

        ``preformatted=True`` indents every line so TensorBoard shows it as a
        code block, keeping the layout of e.g. a ``debugprint``.
        """
        if preformatted:
            text = "\n".join("    " + line for line in str(text).splitlines())
        self.writer.add_text(tag, str(text), int(step))

    def hparams(self, hparams: Mapping[str, Any], metrics: Optional[Mapping[str, float]] = None,
                step: int = 0) -> None:
        """Record the run's hyper-parameters and summary metrics in this run's directory.

        ``metrics`` maps tags to final values (e.g. ``{"hparam/final_cost":
        -60.1}``); each is also logged as a scalar at ``step``, which is what
        the HPARAMS dashboard reads. Use tags that are not already logged as
        ordinary scalars, or the two series mix. Values TensorBoard cannot
        show (``None``, tuples, ...) are logged as strings.
        """
        from tensorboardX.summary import hparams as hparams_summaries

        clean: Dict[str, Any] = {str(k): _hparam_value(v) for k, v in hparams.items()}
        metric_values = {str(k): float(v) for k, v in (metrics or {}).items()}
        experiment, session_start, session_end = hparams_summaries(clean, metric_values)
        # Written with this run's own file writer (not add_hparams, which
        # makes a sub-directory), so the hyper-parameters belong to this run.
        writer = self.writer
        file_writer = writer._get_file_writer()
        for summary in (experiment, session_start, session_end):
            file_writer.add_summary(summary, int(step))
        for tag, value in metric_values.items():
            writer.add_scalar(tag, value, int(step))

    # -- lifecycle ----------------------------------------------------------

    def flush(self) -> None:
        """Put every event logged so far on disk: flush and fsync the event file (which stays open)."""
        if self._current is not None:
            self._current.flush()

    def close(self) -> None:
        """Flush and close the event file (safe to call twice; ``flush`` after it does nothing)."""
        if not self._closed:
            if self._current is not None:
                self._current.close()
            self._closed = True


def tensorboard_command(logdir: str) -> str:
    """The exact command that opens ``logdir`` in TensorBoard from the current directory.

    The ``tensorboard`` installed beside this Python (the virtual
    environment's) when there is one, so it works without activating it.
    """
    import shlex

    beside = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    program = "tensorboard"
    if os.path.exists(beside):
        relative = os.path.relpath(beside)
        program = relative if not relative.startswith("..") else beside
    target = os.path.relpath(logdir) if not os.path.relpath(logdir).startswith("..") else os.path.abspath(logdir)
    return f"{shlex.quote(program)} --logdir {shlex.quote(target)}"

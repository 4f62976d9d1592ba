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
  logged as strings.

tensorboardX is imported only when a logger is created, so importing this
module is cheap.
"""
from __future__ import annotations

import os
import time
from typing import Any, Dict, Mapping, Optional, Union

import numpy as np

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


class RunLogger:
    """Writes one run's TensorBoard events into ``logdir``.

    Usable as a context manager (closes the writer on exit). ``step`` is the
    global step of each event: the epoch for per-epoch values, the minibatch
    count for per-minibatch ones.

    :meth:`flush` really puts everything logged so far on disk:
    tensorboardX writes from a background queue that its own ``flush`` does
    not drain, so here flushing closes the current event file, and the next
    event starts a new one in the same directory (TensorBoard reads all the
    event files of a directory as one run). Call it at the end of an epoch,
    not after every minibatch.

    ``purge_step`` (for a resumed run) tells TensorBoard to drop events of
    the earlier, interrupted run whose step is ``>= purge_step`` — for *all*
    tags, so it only makes sense when every tag counts steps the same way.
    """

    def __init__(self, logdir: PathLike, flush_secs: int = 10, purge_step: Optional[int] = None) -> None:
        try:
            from tensorboardX import SummaryWriter
        except ImportError as exc:  # a dependency, but give a clear message if it is broken
            raise ImportError(
                "TensorBoard logging needs tensorboardX: pip install tensorboardX "
                f"({exc})") from exc
        self._summary_writer_class = SummaryWriter
        self.logdir = os.fspath(logdir)
        os.makedirs(self.logdir, exist_ok=True)
        self._flush_secs = flush_secs
        self._purge_step = purge_step
        self._files_opened = 0
        self._current: Any = None
        self._closed = False

    @property
    def writer(self) -> Any:
        """The underlying ``tensorboardX.SummaryWriter`` (opened on first use)."""
        if self._closed:
            raise RuntimeError(f"RunLogger for {self.logdir} is closed")
        if self._current is None:
            # tensorboardX names files by the second, so two files opened
            # within one second would collide; a nanosecond time stamp makes
            # names unique and keeps them in creation order (TensorBoard reads
            # a directory's files in name order).
            self._files_opened += 1
            suffix = f".{time.time_ns():020d}.{os.getpid()}"
            purge = self._purge_step if self._files_opened == 1 else None
            self._current = self._summary_writer_class(
                logdir=self.logdir, flush_secs=self._flush_secs, filename_suffix=suffix, purge_step=purge)
        return self._current

    # -- context manager ---------------------------------------------------

    def __enter__(self) -> "RunLogger":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()

    # -- events ----------------------------------------------------------------

    def scalar(self, tag: str, value: float, step: int) -> None:
        """Log one number (e.g. ``train/cost``) at ``step``."""
        self.writer.add_scalar(tag, float(value), int(step))

    def image(self, tag: str, image: np.ndarray, step: int) -> None:
        """Log an image: ``uint8`` ``H x W`` (grayscale) or ``H x W x 3/4``."""
        array, dataformats = _as_image(image, tag)
        self.writer.add_image(tag, array, int(step), dataformats=dataformats)

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
        """Put every event logged so far on disk (closes the current event file)."""
        if self._current is not None:
            self._current.close()  # drains tensorboardX's queue, then flushes and closes
            self._current = None

    def close(self) -> None:
        """Flush and close (safe to call twice)."""
        if not self._closed:
            self.flush()
            self._closed = True

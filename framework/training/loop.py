"""The training loop shared by every model family's ``framework train``.

A family builds its compiled training step (``step(batch_index) -> cost``)
and hands it to a :class:`Trainer` together with the shared variables that
make up its state. The trainer does everything else the same way for all
families:

* a progress bar per epoch (plain lines when the output is not a terminal);
* TensorBoard events in ``logdir`` through :class:`RunLogger`:
  ``train/cost_step`` per minibatch (step = global minibatch index),
  ``train/cost`` per epoch (step = epoch index, from 0 as in the tutorial),
  any extra per-epoch scalars the family computes (``valid/error``, ...),
  a histogram of every parameter per epoch (``params/<name>``), the
  ``filters`` image per epoch, the ``samples`` image, the hyper-parameters,
  and the compiled step's ``debugprint`` as text (tag ``debugprint``);
* the same images as PNG files beside the events: ``filters_at_epoch_N.png``
  and ``samples.png`` (written atomically);
* a checkpoint (``checkpoint.npz``: every state variable -- parameters,
  persistent chains, random generator states, counters -- plus the epoch,
  the per-epoch costs and the hyper-parameters), written atomically at the
  end of every epoch, after the epoch's events are on disk.

Resuming (``resume=True``) restores every state variable, so the rest of
the run is exactly what an uninterrupted run with the same seed computes;
TensorBoard is told to drop the events the interrupted run logged after its
last checkpoint (``purge_step``). A checkpoint of another model family, or
with different hyper-parameters, is refused with a clear error.
"""
from __future__ import annotations

import glob
import math
import contextlib
import contextvars
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, TextIO

import numpy as np

from ..core.errors import FrameworkError
from .checkpoint import (
    CheckpointError,
    check_compatible,
    check_training_meta,
    load_checkpoint,
    rng_state_from_arrays,
    rng_state_to_arrays,
    save_checkpoint,
    save_png,
)
from .progress import Progress
from .tensorboard import RunLogger

__all__ = ["Trainer", "TrainResult", "TrainingError", "CHECKPOINT_NAME", "filters_png_name", "updated_shared",
           "SAMPLES_PNG_NAME", "read_checkpoint", "observe"]

CHECKPOINT_NAME = "checkpoint.npz"
"""File name of the checkpoint inside the log directory."""

SAMPLES_PNG_NAME = "samples.png"


def filters_png_name(epoch: int) -> str:
    """``filters_at_epoch_N.png``: the tutorial's name, ``N`` counted from 0."""
    return f"filters_at_epoch_{epoch}.png"


_observers: "contextvars.ContextVar[tuple]" = contextvars.ContextVar("framework_training_observers", default=())


@contextlib.contextmanager
def observe(observer: Any) -> Iterator[Any]:
    """Let ``observer`` watch every :class:`Trainer` run in this context (this thread).

    It is how a caller that does not build the trainer -- a hyper-parameter
    sweep running a family's ``train(args)`` -- sees the run. Each method is
    optional: ``on_start(trainer)`` once the run is open (``trainer.start_epoch``
    says where a resumed run restarts); ``on_epoch(trainer, epoch, scalars)``
    after each epoch's events and checkpoint are written, with that epoch's
    scalars (``train/cost`` and the family's extra ones); an exception it
    raises stops the run there (early stopping); ``on_finish(trainer,
    metrics)`` before the final hyper-parameter record is written, and may add
    entries to ``metrics`` (the dict that record holds).
    """
    token = _observers.set(_observers.get() + (observer,))
    try:
        yield observer
    finally:
        _observers.reset(token)


def _notify(event: str, *args: Any) -> None:
    for observer in _observers.get():
        method = getattr(observer, event, None)
        if method is not None:
            method(*args)


class TrainingError(FrameworkError, RuntimeError):
    """A training run cannot start or continue (the message says what to do)."""


@dataclass
class TrainResult:
    """What :meth:`Trainer.fit` did."""

    costs: List[float]  # mean cost of every epoch of the run, resumed ones included
    start_epoch: int  # first epoch trained by this call (0 for a fresh run)
    epochs: int  # the run's total number of epochs
    seconds: float  # wall time of this call's epochs
    extra: Dict[str, List[float]] = field(default_factory=dict)  # per-epoch extra scalars


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


class Trainer:
    """Runs epochs of a compiled training step with monitoring and checkpoints.

    Parameters
    ----------
    logdir:
        Directory for events, PNGs and the checkpoint (created if needed).
    family:
        The model family's name (``'rbm'``); stored in the checkpoint.
    step:
        ``step(batch_index) -> cost`` trains on one minibatch.
    n_batches, epochs:
        Minibatches per epoch and the total number of epochs of the run.
    state:
        ``name -> shared variable``: everything the step changes (parameters,
        persistent chains, random generator states, counters). It is what the
        checkpoint saves and ``resume`` restores; :meth:`check_state_covers`
        verifies that nothing the compiled step updates is missing.
    params:
        ``name -> shared variable`` for the per-epoch histograms.
    hparams:
        The run's hyper-parameters (logged, and stored in the checkpoint).
    resume_keys:
        The hyper-parameters a resumed run must share with its checkpoint
        (default: all of ``hparams``).
    filters:
        ``filters() -> uint8 image`` of the weights, logged every epoch.
    evaluate:
        ``evaluate(epoch) -> {tag: value}``: extra scalars logged every epoch.
    graph:
        The compiled step, whose ``debugprint`` is logged as text.
    resume / overwrite:
        Continue from ``logdir``'s checkpoint / start again, deleting the
        run files (events, PNGs, checkpoint) already in ``logdir``. With
        neither, a ``logdir`` that holds a checkpoint is an error, so a saved
        run is never clobbered by accident.
    checkpoint_every:
        Flush events and write the checkpoint every this many epochs (and
        after the last one). 1 (every epoch) unless epochs are tiny.
    progress:
        ``'epoch'``: one progress bar per epoch (minibatches, rate, cost);
        ``'run'``: one bar over the epochs, for families whose epochs are a
        single step (the seed lab's 1000 full-batch steps).
    """

    def __init__(
        self,
        logdir: str,
        *,
        family: str,
        step: Callable[[int], Any],
        n_batches: int,
        epochs: int,
        state: Mapping[str, Any],
        params: Mapping[str, Any],
        hparams: Mapping[str, Any],
        resume_keys: Optional[Sequence[str]] = None,
        filters: Optional[Callable[[], np.ndarray]] = None,
        evaluate: Optional[Callable[[int], Mapping[str, float]]] = None,
        graph: Any = None,
        resume: bool = False,
        overwrite: bool = False,
        checkpoint_every: int = 1,
        stream: Optional[TextIO] = None,
        out: Optional[TextIO] = None,
        progress: str = "epoch",
    ) -> None:
        if progress not in ("epoch", "run"):
            raise ValueError(f"progress must be 'epoch' or 'run', got {progress!r}")
        if n_batches < 1:
            raise TrainingError(f"there is nothing to train on: {n_batches} minibatches per epoch")
        if epochs < 0:
            raise TrainingError(f"the number of epochs must be >= 0, got {epochs}")
        if checkpoint_every < 1:
            raise TrainingError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
        self.logdir = os.fspath(logdir)
        self.family = family
        self.step = step
        self.n_batches = int(n_batches)
        self.epochs = int(epochs)
        self.state = dict(state)
        self.params = dict(params)
        self.hparams = dict(hparams)
        self.resume_keys = list(resume_keys) if resume_keys is not None else list(self.hparams)
        self.filters = filters
        self.evaluate = evaluate
        self.graph = graph
        self.resume = resume
        self.overwrite = overwrite
        self.checkpoint_every = int(checkpoint_every)
        self.stream = stream if stream is not None else sys.stderr
        self.out = out if out is not None else sys.stdout
        self.checkpoint_path = os.path.join(self.logdir, CHECKPOINT_NAME)
        self.progress = progress

        self.start_epoch = 0
        self.costs: List[float] = []
        self.extra: Dict[str, List[float]] = {}
        self._logger: Optional[RunLogger] = None
        self._prepared = False
        if graph is not None:
            self.check_state_covers(graph)

    # -- state ----------------------------------------------------------------

    def check_state_covers(self, function: Any) -> None:
        """Refuse to train if ``function`` updates a shared variable not in ``state``.

        Such a variable would not be checkpointed, and a resumed run would
        silently differ from an uninterrupted one.
        """
        from ..core.shared import SharedVariable

        updated = updated_shared(function)
        known = {id(v) for v in self.state.values()}
        missing = [v for v in updated if isinstance(v, SharedVariable) and id(v) not in known]
        if missing:
            names = ", ".join(str(v) for v in missing)
            raise TrainingError(
                f"the training function updates {names}, which the {self.family!r} family does not list "
                "in its checkpoint state; a resumed run could not reproduce the uninterrupted one")

    def _state_arrays(self) -> Dict[str, np.ndarray]:
        """Every state variable as arrays; random states as in :func:`_rng_arrays`."""
        arrays: Dict[str, np.ndarray] = {}
        for name, var in self.state.items():
            if _is_rng_variable(var):
                arrays.update(_rng_arrays(name, var.get_value()))
            else:
                arrays[name] = np.asarray(var.get_value())
        return arrays

    def _restore(self, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> None:
        """Check every saved value against this run, then set them all (all or nothing)."""
        path = self.checkpoint_path
        kinds = meta.get("state", {})
        wanted = {name: ("rng" if _is_rng_variable(var) else "tensor") for name, var in self.state.items()}
        if set(kinds) != set(wanted):
            raise CheckpointError(
                f"checkpoint {path} holds state {sorted(kinds)}, this run needs {sorted(wanted)}")
        values: Dict[str, Any] = {}
        for name, var in self.state.items():
            if kinds[name] != wanted[name]:
                raise CheckpointError(f"checkpoint {path}: {name!r} is a {kinds[name]}, this run needs a {wanted[name]}")
            if wanted[name] == "rng":
                values[name] = _rng_from_arrays(name, arrays, path)
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
            self.state[name].set_value(value)

    def _save(self, epochs_done: int) -> None:
        meta = {
            "family": self.family,
            "epoch": epochs_done,
            "epochs": self.epochs,
            "n_batches": self.n_batches,
            "costs": self.costs,
            "extra": self.extra,
            "hparams": self.hparams,
            "state": {name: ("rng" if _is_rng_variable(v) else "tensor") for name, v in self.state.items()},
        }
        event_file = self._logger.event_file if self._logger is not None else None
        if event_file is not None and os.path.exists(event_file):
            # where the (just flushed) events stood: a resumed run cuts off what came later
            meta["events"] = {"file": os.path.basename(event_file), "bytes": os.path.getsize(event_file)}
        save_checkpoint(self.checkpoint_path, self._state_arrays(), meta)

    def _drop_events_after_checkpoint(self, meta: Mapping[str, Any]) -> None:
        """Cut the event files back to where they stood when the checkpoint was written.

        An epoch's events are flushed before its checkpoint, so a run killed in
        between leaves events the checkpoint does not know about. TensorBoard's
        ``purge_step`` cannot drop them all (per-epoch tags count epochs, per-minibatch
        tags minibatches), so the resumed run truncates the checkpoint's event file to
        its recorded size and removes the event files written after it."""
        events = meta.get("events")
        if not isinstance(events, dict) or not isinstance(events.get("file"), str):
            return
        name, size = os.path.basename(events["file"]), events.get("bytes")
        path = os.path.join(self.logdir, name)
        if not isinstance(size, int) or not os.path.exists(path):
            return
        if os.path.getsize(path) > size:
            os.truncate(path, size)
        for other in glob.glob(os.path.join(glob.escape(self.logdir), "events.out.tfevents.*")):
            if os.path.basename(other) > name:  # names sort in creation order
                os.remove(other)

    # -- the run directory ----------------------------------------------------------

    def _run_files(self) -> List[str]:
        patterns = ("events.out.tfevents.*", "filters_at_epoch_*.png", SAMPLES_PNG_NAME, CHECKPOINT_NAME)
        found: List[str] = []
        for pattern in patterns:
            found.extend(glob.glob(os.path.join(glob.escape(self.logdir), pattern)))
        return sorted(found)

    def prepare(self) -> None:
        """Open the run: check/clean ``logdir``, restore the checkpoint when resuming."""
        if self._prepared:
            return
        if os.path.exists(self.logdir) and not os.path.isdir(self.logdir):
            raise TrainingError(f"--logdir {self.logdir} exists and is not a directory")
        has_checkpoint = os.path.exists(self.checkpoint_path)
        if self.resume and self.overwrite:
            raise TrainingError("--resume and --overwrite contradict each other: choose one")
        if has_checkpoint and not (self.resume or self.overwrite):
            raise TrainingError(
                f"{self.logdir} already holds a training run ({CHECKPOINT_NAME}); pass --resume to continue "
                "it, --overwrite to start again from scratch, or choose another --logdir")
        if self.overwrite:
            for path in self._run_files():
                os.remove(path)
            has_checkpoint = False
        if self.resume and has_checkpoint:
            arrays, meta = read_checkpoint(self.logdir, self.family)
            check_compatible(meta["hparams"], {k: self.hparams[k] for k in self.resume_keys if k in self.hparams},
                             self.checkpoint_path)
            if meta.get("n_batches") != self.n_batches:
                raise CheckpointError(
                    f"checkpoint {self.checkpoint_path} was trained with {meta.get('n_batches')} minibatches "
                    f"per epoch, this run has {self.n_batches} (different data or batch size)")
            self._restore(arrays, meta)
            self._drop_events_after_checkpoint(meta)
            self.start_epoch = int(meta["epoch"])
            self.costs = [float(c) for c in meta.get("costs", [])][: self.start_epoch]
            self.extra = {k: [float(x) for x in v][: self.start_epoch] for k, v in meta.get("extra", {}).items()}
            self._say(f"resuming {self.family} from {self.checkpoint_path}: {self.start_epoch} of "
                      f"{self.epochs} epochs done")
        elif self.resume:
            self._say(f"no checkpoint in {self.logdir}: starting a new run")
        os.makedirs(self.logdir, exist_ok=True)
        # Tell TensorBoard to forget whatever an interrupted run logged after
        # its last checkpoint (for a fresh run: everything already there).
        self._logger = RunLogger(self.logdir, purge_step=self.start_epoch * self.n_batches)
        self._prepared = True
        _notify("on_start", self)

    @property
    def logger(self) -> RunLogger:
        self.prepare()
        assert self._logger is not None
        return self._logger

    def _say(self, text: str) -> None:
        try:
            self.out.write(text + "\n")
            self.out.flush()
        except (OSError, ValueError):
            pass

    # -- training ---------------------------------------------------------------

    def fit(self) -> TrainResult:
        """Train the remaining epochs; returns the per-epoch costs of the whole run."""
        self.prepare()
        log = self.logger
        started = time.perf_counter()
        if self.start_epoch == 0 and self.graph is not None:
            from ..printing import debugprint

            log.text("debugprint", debugprint(self.graph, file="str"), step=0, preformatted=True)
        if self.start_epoch >= self.epochs:
            self._say(f"all {self.epochs} epochs are already done")
        run_bar = None
        if self.progress == "run":
            run_bar = Progress(self.epochs - self.start_epoch, desc=f"{self.family} epochs {self.start_epoch}.."
                               f"{self.epochs - 1}", stream=self.stream, unit="epoch")
        try:
            with _stop_at_batch_boundary() as self._stop:
                for epoch in range(self.start_epoch, self.epochs):
                    self._epoch(epoch, log, run_bar)
                if self._stop.is_set():  # Ctrl-C after the last minibatch: stop before sampling & co.
                    raise KeyboardInterrupt
        except BaseException:
            if run_bar is not None:
                run_bar.close(interrupted=True)
            raise
        if run_bar is not None:
            run_bar.close()
        return TrainResult(costs=list(self.costs), start_epoch=self.start_epoch, epochs=self.epochs,
                           seconds=time.perf_counter() - started, extra=dict(self.extra))

    def _run_batches(self, epoch: int, log: RunLogger, costs: np.ndarray, bar: Any) -> None:
        base = epoch * self.n_batches
        step = self.step
        stop = getattr(self, "_stop", None)
        for index in range(self.n_batches):
            if stop is not None and stop.is_set():
                raise KeyboardInterrupt
            cost = float(np.asarray(step(index)))
            costs[index] = cost
            log.scalar("train/cost_step", cost, base + index)
            if bar is not None:
                bar.update(cost=cost)

    def _epoch(self, epoch: int, log: RunLogger, run_bar: Optional[Progress]) -> None:
        """Train one epoch, log it, and checkpoint when due."""
        costs = np.empty(self.n_batches, dtype=np.float64)
        if run_bar is None:
            with Progress(self.n_batches, desc=f"epoch {epoch}", stream=self.stream) as bar:
                self._run_batches(epoch, log, costs, bar)
                bar.set_postfix(cost=float(np.mean(costs)))  # the summary line shows the epoch's mean
        else:
            self._run_batches(epoch, log, costs, None)
            run_bar.update(cost=float(np.mean(costs)))
        mean = float(np.mean(costs))
        self.costs.append(mean)
        log.scalar("train/cost", mean, epoch)
        scalars = {"train/cost": mean}
        if self.evaluate is not None:
            for tag, value in self.evaluate(epoch).items():
                log.scalar(tag, float(value), epoch)
                self.extra.setdefault(tag, []).append(float(value))
                scalars[tag] = float(value)
        for name, var in self.params.items():
            log.histogram(f"params/{name}", np.asarray(var.get_value()), epoch)
        if self.filters is not None:
            image = self.filters()
            log.image("filters", image, epoch)
            save_png(os.path.join(self.logdir, filters_png_name(epoch)), image)
        if not math.isfinite(mean):
            self._say(f"warning: epoch {epoch} cost is {mean}; the run has diverged (lower --lr?)")
        last = epoch == self.epochs - 1
        if last or (epoch + 1) % self.checkpoint_every == 0:
            log.flush()  # the epoch's events are on disk before the checkpoint says it is done
            self._save(epoch + 1)
        _notify("on_epoch", self, epoch, scalars)

    def log_samples(self, image: np.ndarray, step: Optional[int] = None) -> str:
        """Log the ``samples`` image and write ``samples.png``; returns the PNG's path."""
        path = os.path.join(self.logdir, SAMPLES_PNG_NAME)
        self.logger.image("samples", image, self.epochs if step is None else step)
        save_png(path, image)
        self.logger.flush()
        return path

    def finish(self, metrics: Optional[Mapping[str, float]] = None) -> None:
        """Log the hyper-parameters with the run's final metrics, and close the event files."""
        final = {"hparam/final_cost": self.costs[-1]} if self.costs else {}
        final.update({k: float(v) for k, v in (metrics or {}).items()})
        _notify("on_finish", self, final)
        self.logger.hparams(self.hparams, final, step=self.epochs)
        self.close()

    def close(self) -> None:
        if self._logger is not None:
            self._logger.close()


def _rng_arrays(name: str, rng: Any) -> Dict[str, np.ndarray]:
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


def _rng_from_arrays(name: str, arrays: Mapping[str, np.ndarray], path: str) -> Any:
    """The value to ``set_value`` for a random state saved by :func:`_rng_arrays`."""
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


@contextlib.contextmanager
def _stop_at_batch_boundary():
    """Turn the first Ctrl-C into a request to stop before the next minibatch.

    A KeyboardInterrupt raised at an arbitrary point can leave the TensorBoard
    writer's queue or a half-built checkpoint in a bad state; stopping between
    minibatches keeps every file consistent. A second Ctrl-C interrupts at once.
    """
    event = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield event
        return

    def handler(signum, frame):
        if event.is_set():
            raise KeyboardInterrupt
        event.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield event
    finally:
        signal.signal(signal.SIGINT, previous)

"""The training loop shared by every model family's ``framework train``.

A family builds its compiled training step (``step(batch_index) -> cost``)
and hands it to a :class:`Trainer` together with the shared variables that
make up its state. The trainer does everything else the same way for all
families:

* progress on standard error: on a terminal one line, redrawn through the
  whole run (``epoch 4/15: 37/59 ...``); elsewhere one summary line per epoch;
* TensorBoard events in ``logdir`` through :class:`RunLogger`, every tag
  named by what it measures and carrying a description that TensorBoard
  shows beside its chart: the family's training measure (``cost_tag``, e.g.
  ``rbm/pseudo_log_likelihood``) per epoch (step = epoch index, from 0 as in
  the tutorial) and, per minibatch, its running mean over the epoch so far
  (``<cost_tag>_running_mean``; step = global minibatch index), any extra
  per-epoch scalars the family computes, a histogram of every parameter per
  epoch (``params/<name>``), the ``filters`` image per epoch (upscaled, with
  the epoch written on it), the ``samples`` image, the hyper-parameters, the
  compiled step's graph (TensorBoard's Graphs tab) and its ``debugprint`` as
  text (tag ``debugprint``);
* the same images as PNG files beside the events: ``filters_at_epoch_N.png``
  and ``samples.png`` (written atomically);
* a checkpoint (``checkpoint.npz``: every state variable -- parameters,
  persistent chains, random generator states, counters -- plus the epoch,
  the per-epoch costs and the hyper-parameters), written atomically at the
  end of every epoch, after the epoch's events are on disk.

Resuming (``resume=True``) restores every state variable, so the rest of
the run is exactly what an uninterrupted run with the same seed computes. It
trains up to the number of epochs stored in the checkpoint, unless
``epochs`` was chosen by the user (a :class:`DefaultEpochs` is a family's
default, not a choice); when nothing is left to train it says so and
trains nothing.
TensorBoard is told to drop the events the interrupted run logged after its
last checkpoint (``purge_step``). A checkpoint of another model family, or
with different hyper-parameters, is refused with a clear error.
"""
from __future__ import annotations

import glob
import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, TextIO

import numpy as np

from ..core.errors import FrameworkError
from .checkpoint import CheckpointError, check_compatible, save_checkpoint, save_png
from .images import caption, upscale
from .observers import notify, observe, stop_at_batch_boundary
from .progress import Progress
from .run_state import CHECKPOINT_NAME, read_checkpoint, restore_state, state_arrays, state_kinds, updated_shared
from .tensorboard import TRAIN_ROLE, RunLogger, event_file_role, tensorboard_command

__all__ = ["Trainer", "TrainResult", "TrainingError", "CHECKPOINT_NAME", "filters_png_name", "updated_shared",
           "SAMPLES_PNG_NAME", "read_checkpoint", "DefaultEpochs", "observe"]

SAMPLES_PNG_NAME = "samples.png"


def filters_png_name(epoch: int) -> str:
    """``filters_at_epoch_N.png``: the tutorial's name, ``N`` counted from 0."""
    return f"filters_at_epoch_{epoch}.png"


class DefaultEpochs(int):
    """An epoch count that is a family's default, not the user's choice.

    ``add_run_arguments`` gives ``--epochs`` such a default, so that
    ``--resume`` without ``--epochs`` continues to the epochs the run was
    started with (stored in its checkpoint) instead of the default.
    """

    def __repr__(self) -> str:
        return f"DefaultEpochs({int(self)})"


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
    trained: int = 0  # epochs this call trained (0 when a resumed run was already complete)


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
        The compiled step, logged as a graph (Graphs tab) and as ``debugprint`` text.
    cost_tag, cost_description:
        The TensorBoard tag of what ``step`` returns (``rbm/pseudo_log_likelihood``,
        ``logistic/nll``, ...) and the description shown with its chart; the
        progress line shows it by its last component.
    descriptions:
        ``tag -> description`` of the scalars ``evaluate`` returns.
    hparams_shown:
        The hyper-parameters that matter, for TensorBoard's HPARAMS tab (which
        shows only the first few of a long list); default: all of ``hparams``.
        The checkpoint always stores all of them.
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
        cost_tag: str = "train/cost",
        cost_description: str = "",
        descriptions: Optional[Mapping[str, str]] = None,
        hparams_shown: Optional[Sequence[str]] = None,
    ) -> None:
        if progress not in ("epoch", "run"):
            raise ValueError(f"progress must be 'epoch' or 'run', got {progress!r}")
        if n_batches < 1:
            raise TrainingError(f"there is nothing to train on: {n_batches} minibatches per epoch")
        if epochs < 0:
            raise TrainingError(f"the number of epochs must be >= 0, got {epochs}")
        self.epochs_chosen = not isinstance(epochs, DefaultEpochs)
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
        self.cost_tag = cost_tag
        self.cost_name = cost_tag.rsplit("/", 1)[-1]
        self.descriptions: Dict[str, str] = dict(descriptions or {})
        self.descriptions.setdefault(cost_tag, cost_description or f"{self.cost_name}: mean over the epoch's minibatches")
        self.descriptions.setdefault(
            self.step_tag, f"{self.cost_name}: mean over the minibatches of the current epoch so far "
            "(x axis: minibatches trained); at an epoch's last minibatch it equals that epoch's point of "
            f"{cost_tag}")
        self.trained = 0
        self.hparams_shown = list(hparams_shown) if hparams_shown is not None else None

        self.start_epoch = 0
        self.costs: List[float] = []
        self.extra: Dict[str, List[float]] = {}
        self._logger: Optional[RunLogger] = None
        self._prepared = False
        if graph is not None:
            self.check_state_covers(graph)

    @property
    def step_tag(self) -> str:
        """The per-minibatch tag: the running mean of ``cost_tag`` over the epoch so far."""
        return f"{self.cost_tag}_running_mean"

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

    def _save(self, epochs_done: int) -> None:
        meta = {
            "family": self.family,
            "epoch": epochs_done,
            "epochs": self.epochs,
            "n_batches": self.n_batches,
            "costs": self.costs,
            "extra": self.extra,
            "hparams": self.hparams,
            "state": state_kinds(self.state),
        }
        event_file = self._logger.event_file if self._logger is not None else None
        if event_file is not None and os.path.exists(event_file):
            # where the (just flushed) events stood: a resumed run cuts off what came later
            meta["events"] = {"file": os.path.basename(event_file), "bytes": os.path.getsize(event_file)}
        save_checkpoint(self.checkpoint_path, state_arrays(self.state), meta)

    def _drop_events_after_checkpoint(self, meta: Mapping[str, Any]) -> None:
        """Cut the event files back to where they stood when the checkpoint was written.

        An epoch's events are flushed before its checkpoint, so a run killed in
        between leaves events the checkpoint does not know about. TensorBoard's
        ``purge_step`` cannot drop them all (per-epoch tags count epochs, per-minibatch
        tags minibatches), so the resumed run truncates the checkpoint's event file to
        its recorded size and removes the training event files written after it
        (another command's, such as ``framework sample``'s, are left alone: see
        ``RunLogger``'s ``role``)."""
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
            # names sort in creation order; only training's files go (framework sample's stay)
            if os.path.basename(other) > name and event_file_role(other) in ("", TRAIN_ROLE):
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
            restore_state(self.state, arrays, meta, self.checkpoint_path)
            self._drop_events_after_checkpoint(meta)
            self.start_epoch = int(meta["epoch"])
            self.costs = [float(c) for c in meta.get("costs", [])][: self.start_epoch]
            self.extra = {k: [float(x) for x in v][: self.start_epoch] for k, v in meta.get("extra", {}).items()}
            stored = meta.get("epochs")
            if not self.epochs_chosen and isinstance(stored, int) and stored >= 0:
                self.epochs = stored  # the run's own length, not the family's default
            if "epochs" in self.hparams:
                self.hparams["epochs"] = self.epochs
            self._say(f"resuming {self.family} from {self.checkpoint_path}: {self._resume_text()}")
        elif self.resume:
            self._say(f"no checkpoint in {self.logdir}: starting a new run")
        os.makedirs(self.logdir, exist_ok=True)
        # Tell TensorBoard to forget whatever an interrupted run logged after
        # its last checkpoint (for a fresh run: everything already there).
        self._logger = RunLogger(self.logdir, purge_step=self.start_epoch * self.n_batches, role=TRAIN_ROLE)
        self._prepared = True
        notify("on_start", self)

    def _resume_text(self) -> str:
        done, total = self.start_epoch, self.epochs
        if done < total:
            return f"{done} of {total} epochs done, {total - done} to go"
        if done == total:
            return f"all {total} epochs already done; nothing to train (pass --epochs N with N > {done} to train longer)"
        return (f"the checkpoint has {done} epochs, more than the {total} asked for; nothing to train "
                f"(pass --epochs N with N > {done} to train longer)")

    @property
    def nothing_to_train(self) -> bool:
        """A resumed run whose checkpoint already has every epoch asked for."""
        self.prepare()
        return self.start_epoch > 0 and self.start_epoch >= self.epochs

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
        started = time.perf_counter()
        self.trained = 0
        if self.start_epoch < self.epochs:
            log = self.logger
            if self.start_epoch == 0 and self.graph is not None:
                self._log_graph(log)
            self._train(log)
        return TrainResult(costs=list(self.costs), start_epoch=self.start_epoch, epochs=self.epochs,
                           seconds=time.perf_counter() - started, extra=dict(self.extra), trained=self.trained)

    def _log_graph(self, log: RunLogger) -> None:
        """The compiled step as a graph (Graphs tab) and as ``debugprint`` text."""
        from ..printing import debugprint

        log.text("debugprint", debugprint(self.graph, file="str"), step=0, preformatted=True)
        try:
            log.graph(self.graph)
        except Exception as exc:  # a picture of the graph must never stop training
            self._say(f"warning: could not log the graph of the training function for TensorBoard: {exc}")

    def _train(self, log: RunLogger) -> None:
        if self.progress == "run":
            bar = Progress(self.epochs - self.start_epoch, desc=f"epochs {self.start_epoch + 1}-{self.epochs}",
                           stream=self.stream, unit="epoch")
        else:
            # one line redrawn through the run on a terminal; one summary line per epoch elsewhere
            bar = Progress(self.n_batches, stream=self.stream, every=self.n_batches)
        try:
            with stop_at_batch_boundary() as self._stop:
                for epoch in range(self.start_epoch, self.epochs):
                    self._epoch(epoch, log, bar)
                    self.trained += 1
                if self._stop.is_set():  # Ctrl-C after the last minibatch: stop before sampling & co.
                    raise KeyboardInterrupt
        except BaseException:
            bar.close(interrupted=True)
            raise
        bar.close()

    def _run_batches(self, epoch: int, log: RunLogger, costs: np.ndarray, bar: Optional[Progress]) -> None:
        base = epoch * self.n_batches
        step = self.step
        stop = getattr(self, "_stop", None)
        tag, name = self.step_tag, self.cost_name
        per_step = self.n_batches > 1  # with one minibatch an epoch, the per-epoch tag says it all
        total = 0.0
        for index in range(self.n_batches):
            if stop is not None and stop.is_set():
                raise KeyboardInterrupt
            cost = float(np.asarray(step(index)))
            costs[index] = cost
            total += cost
            running = total / (index + 1)  # what the per-epoch point will be, so far
            if per_step:
                log.scalar(tag, running, base + index, description=self.descriptions.get(tag))
            if bar is not None:
                bar.update(**{name: running})

    def _epoch(self, epoch: int, log: RunLogger, bar: Progress) -> None:
        """Train one epoch, log it, and checkpoint when due."""
        costs = np.empty(self.n_batches, dtype=np.float64)
        if self.progress == "epoch":
            bar.restart(self.n_batches, desc=f"epoch {epoch + 1}/{self.epochs}")
            self._run_batches(epoch, log, costs, bar)
            bar.set_postfix(**{self.cost_name: float(np.mean(costs))})
            bar.summarize()
        else:
            self._run_batches(epoch, log, costs, None)
            bar.update(**{self.cost_name: float(np.mean(costs))})
        mean = float(np.mean(costs))
        self.costs.append(mean)
        log.scalar(self.cost_tag, mean, epoch, description=self.descriptions.get(self.cost_tag))
        # observers (framework sweep) see the family's measure by its tag and as the generic train/cost
        scalars = {"train/cost": mean, self.cost_tag: mean}
        if self.evaluate is not None:
            for tag, value in self.evaluate(epoch).items():
                log.scalar(tag, float(value), epoch, description=self.descriptions.get(tag))
                self.extra.setdefault(tag, []).append(float(value))
                scalars[tag] = float(value)
        for name, var in self.params.items():
            log.histogram(f"params/{name}", np.asarray(var.get_value()), epoch)
        if self.filters is not None:
            image = upscale(self.filters())
            log.image("filters", caption(image, f"epoch {epoch + 1}/{self.epochs}"), epoch,
                      description=self.descriptions.get(
                          "filters", "the weights after each epoch, one tile per unit, each scaled to [0, 1]; "
                          f"step = epoch - 1 (also saved as {filters_png_name(epoch)})"))
            save_png(os.path.join(self.logdir, filters_png_name(epoch)), image)
        if not math.isfinite(mean):
            self._say(f"warning: epoch {epoch + 1} {self.cost_name} is {mean}; the run has diverged (lower --lr?)")
        last = epoch == self.epochs - 1
        if last or (epoch + 1) % self.checkpoint_every == 0:
            log.flush()  # the epoch's events are on disk before the checkpoint says it is done
            self._save(epoch + 1)
        notify("on_epoch", self, epoch, scalars)

    def log_samples(self, image: np.ndarray, step: Optional[int] = None, description: str = "") -> str:
        """Log the ``samples`` image and write ``samples.png`` (both upscaled); returns the PNG's path."""
        path = os.path.join(self.logdir, SAMPLES_PNG_NAME)
        image = upscale(image)
        self.logger.image("samples", image, self.epochs if step is None else step, description=description or None)
        save_png(path, image)
        self.logger.flush()
        return path

    def finish(self, metrics: Optional[Mapping[str, float]] = None) -> None:
        """Log the hyper-parameters with the run's final metrics, and close the event files.

        A resumed run that trained nothing logs nothing new.
        """
        if not self.nothing_to_train:
            final = {"hparam/final_cost": self.costs[-1]} if self.costs else {}
            final.update({k: float(v) for k, v in (metrics or {}).items()})
            notify("on_finish", self, final)
            shown = self.hparams if self.hparams_shown is None else {
                k: self.hparams[k] for k in self.hparams_shown if k in self.hparams}
            self.logger.hparams(shown, final, step=self.epochs)
        self.close()

    def outputs_summary(self) -> str:
        """What the run directory holds, file by file, and the command that shows it in TensorBoard."""
        logdir = self.logdir
        lines = [f"outputs in {logdir}{os.sep}:"]
        filters = sorted(glob.glob(os.path.join(glob.escape(logdir), "filters_at_epoch_*.png")),
                         key=lambda p: int(os.path.basename(p)[len("filters_at_epoch_"):-len(".png")] or 0))
        if filters:
            first, last = os.path.basename(filters[0]), os.path.basename(filters[-1])
            span = first if len(filters) == 1 else f"{first} .. {last}"
            count = f"{len(filters)} PNG{'s' if len(filters) != 1 else ''}"
            lines.append(f"  {span:<44} the filters after each epoch ({count})")
        if os.path.exists(os.path.join(logdir, SAMPLES_PNG_NAME)):
            lines.append(f"  {SAMPLES_PNG_NAME:<44} samples drawn from the model")
        if os.path.exists(self.checkpoint_path):
            lines.append(f"  {CHECKPOINT_NAME:<44} the checkpoint (--resume continues from it)")
        events = sorted(glob.glob(os.path.join(glob.escape(logdir), "events.out.tfevents.*")))
        for path in events:
            lines.append(f"  {os.path.basename(path):<44} TensorBoard events")
        lines.append(f"see them in TensorBoard: {tensorboard_command(logdir)}   (then open http://localhost:6006)")
        return "\n".join(lines)

    def close(self) -> None:
        if self._logger is not None:
            self._logger.close()



"""One trial, as it runs on a worker: the family's ``train(args)`` in its own run directory.

The trial always runs with ``--resume``: when the engine re-runs it after
its worker died, it continues from the run directory's last checkpoint (and,
the project's resume being bit-identical, ends exactly as an uninterrupted
run would). Each epoch's scalars are reported to the Optuna study (in the
sweep's journal file, on the shared path) so its pruner can stop a bad trial
early; the chosen metric is added to the run's TensorBoard hyper-parameter
record, so the HParams tab compares the trials on it.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

from .space import SweepError, metric_key

__all__ = ["TrialTask", "run_trial", "TrialPruned", "open_study_storage", "TRIAL_LOG"]

TRIAL_LOG = "train.log"
"""What the family's ``train`` printed, in the trial's run directory (appended on each attempt)."""

TRIAL_RESULT = "trial.json"
"""The finished trial's result, in its run directory: a re-run of a finished trial (its worker died
before the result reached the sweep, or the sweep stopped then) returns it instead of training again."""


class TrialPruned(Exception):
    """Raised from the epoch hook when the pruner stops the trial."""


@dataclass
class TrialTask:
    """Everything a worker needs to run one trial (sent to it pickled)."""

    family: str
    argv: List[str]
    run_dir: str
    name: str
    metric: str
    journal: Optional[str]  # the study's journal file, for pruning (None: no pruning)
    study_name: str
    trial_id: int
    pruner: Any = None
    on_epoch: Optional[Callable[[str, int, Dict[str, float]], None]] = None


def open_study_storage(journal: str) -> Any:
    """The Optuna storage of a sweep: a journal file every process appends to under a lock."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    return JournalStorage(JournalFileBackend(journal, lock_obj=JournalFileOpenLock(journal)))


class _Reporter:
    """Reports a trial's per-epoch metric to its Optuna trial and asks the pruner."""

    def __init__(self, task: TrialTask) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.load_study(study_name=task.study_name, storage=open_study_storage(task.journal),
                                  sampler=optuna.samplers.RandomSampler(), pruner=task.pruner)
        self.trial = optuna.trial.Trial(study, task.trial_id)

    def should_stop(self, epoch: int, value: float) -> bool:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a resumed trial re-reports the epochs it already had
            self.trial.report(value, epoch)
        return self.trial.should_prune()


class _Observer:
    """Watches the family's :class:`~framework.training.loop.Trainer` (see ``framework.training.loop.observe``)."""

    def __init__(self, task: TrialTask) -> None:
        self.task = task
        self.reporter: Optional[_Reporter] = _Reporter(task) if task.journal and task.pruner is not None else None
        self.start_epoch: Optional[int] = None
        self.epochs_done = 0
        self.last: Dict[str, float] = {}
        self.final: Dict[str, float] = {}
        self.finished = False
        self.pruned_at: Optional[int] = None
        self.reports = 0  # epochs whose scalars held the metric

    def on_start(self, trainer: Any) -> None:
        if self.start_epoch is None:
            self.start_epoch = int(trainer.start_epoch)
            self.epochs_done = self.start_epoch
            # A resumed run: the epochs its checkpoint holds are not reported again.
            if trainer.costs:
                self.last["train_cost"] = float(trainer.costs[-1])
            for tag, values in trainer.extra.items():
                if values:
                    self.last[metric_key(tag)] = float(values[-1])

    def on_epoch(self, trainer: Any, epoch: int, scalars: Dict[str, float]) -> None:
        self.epochs_done = epoch + 1
        named = {metric_key(tag): float(v) for tag, v in scalars.items()}
        self.last.update(named)
        if self.task.on_epoch is not None:
            self.task.on_epoch(self.task.name, epoch, dict(named))
        value = named.get(self.task.metric)
        self.reports += value is not None
        if self.reporter is not None and value is not None and math.isfinite(value):
            if self.reporter.should_stop(epoch, value) and epoch + 1 < trainer.epochs:
                self.pruned_at = epoch
                trainer.finish({})  # the pruned run still gets its hyper-parameter record
                raise TrialPruned(f"pruned after epoch {epoch}")

    def on_finish(self, trainer: Any, metrics: Dict[str, float]) -> None:
        self.finished = True
        named = {metric_key(tag): float(v) for tag, v in metrics.items()}
        tag = "hparam/" + self.task.metric
        if self.task.metric not in named and self.task.metric in self.last:
            metrics[tag] = self.last[self.task.metric]  # the chosen metric, for the HParams tab
            named[self.task.metric] = metrics[tag]
        self.final.update(named)

    def metrics(self) -> Dict[str, float]:
        out = dict(self.last)
        out.update(self.final)
        return out


def _describe(exc: BaseException) -> str:
    try:
        text = str(exc).strip() or type(exc).__name__
    except Exception:  # noqa: BLE001 -- the message can never fail
        text = type(exc).__name__
    return text.splitlines()[0] if text else type(exc).__name__


def run_trial(task: TrialTask) -> Dict[str, Any]:
    """Run one trial to its end (or its pruning) and say how it went; runs on a worker.

    Errors of the trial itself (a value the family refuses at run time, a
    diverged run...) come back as ``{"state": "failed", "error": ...}``; a
    worker dying is the engine's to handle (it re-runs the task elsewhere,
    and the trial resumes from its checkpoint).
    """
    from .. import models
    from ..training.loop import observe
    from .space import family_parser

    os.makedirs(task.run_dir, exist_ok=True)
    done = _finished_result(task)
    if done is not None:
        return done
    started = time.perf_counter()
    observer = _Observer(task)
    result: Dict[str, Any] = {"name": task.name, "pid": os.getpid()}
    log_path = os.path.join(task.run_dir, TRIAL_LOG)
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"--- framework train {task.family} {' '.join(task.argv)}\n")
        log.flush()
        try:
            spec = models.specs()[task.family]
            args = family_parser(task.family, spec).parse_args(task.argv)
            with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log), observe(observer):
                status = spec.train(args)
            if status:
                raise SweepError(f"`framework train {task.family}` exited with status {status}")
            result["state"] = "complete"
        except TrialPruned:
            result["state"] = "pruned"
        except Exception as exc:  # noqa: BLE001 -- a failed trial is reported, the sweep goes on
            result["state"] = "failed"
            result["error"] = _describe(exc)
            log.write(f"error: {result['error']}\n")
        if not observer.finished and result["state"] == "complete":
            _write_hparams(task, observer)
    result.update({"metrics": observer.metrics(), "epochs_done": observer.epochs_done, "reports": observer.reports,
                   "resumed_from": observer.start_epoch or 0, "seconds": time.perf_counter() - started})
    if result["state"] == "complete" and task.metric not in result["metrics"]:
        reported = ", ".join(sorted(result["metrics"])) or "nothing"
        result["state"] = "failed"
        result["error"] = f"the trial reported no metric {task.metric!r} (it reported {reported})"
        result["unknown_metric"] = True
    if result["state"] in ("complete", "pruned"):
        from ..training.checkpoint import atomic_write_bytes

        record = {**result, "argv": task.argv}
        atomic_write_bytes(os.path.join(task.run_dir, TRIAL_RESULT), json.dumps(record).encode("utf-8"))
    return result


def _finished_result(task: TrialTask) -> Optional[Dict[str, Any]]:
    """The result a finished attempt of this very trial left in its run directory, if any."""
    try:
        with open(os.path.join(task.run_dir, TRIAL_RESULT), encoding="utf-8") as f:
            record = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.pop("argv", None) != task.argv:
        return None
    record.update(pid=os.getpid(), seconds=0.0)
    return record


def _write_hparams(task: TrialTask, observer: _Observer) -> None:
    """A hyper-parameter record for a family whose ``train`` did not write one."""
    from ..training.tensorboard import RunLogger

    value = observer.metrics().get(task.metric)
    if value is None:
        return
    logger = RunLogger(task.run_dir)
    try:
        hparams = {"family": task.family, "trial": task.name}
        logger.hparams(hparams, {"hparam/" + task.metric: value}, step=observer.epochs_done)
    finally:
        logger.close()

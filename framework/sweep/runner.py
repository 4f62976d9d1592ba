"""The sweep driver: asks Optuna for trials, runs them on Dask, writes the summary.

The Optuna study lives in ``<logdir>/optuna.journal`` (a journal file every
process appends to under a lock): the workers report per-epoch values to it
for pruning, and ``resume=True`` reads it back to run only the trials that
had not finished. Each trial's settings and result are also stored as the
trial's user attributes, from which the summary is written.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, TextIO, Union

from ..training.checkpoint import atomic_write_bytes
from .engine import DEFAULT_CONNECT_TIMEOUT, connect, require
from .space import Param, Plan, SweepError, make_plan, typed
from .trial import TrialTask, open_study_storage, run_trial

__all__ = ["run", "SweepResult", "TrialRecord", "SWEEP_FILE", "JOURNAL_FILE", "SUMMARY_CSV", "SUMMARY_JSON"]

SWEEP_FILE = "sweep.json"
JOURNAL_FILE = "optuna.journal"
SUMMARY_CSV = "summary.csv"
SUMMARY_JSON = "summary.json"
STUDY_NAME = "sweep"


@dataclass
class TrialRecord:
    """One trial of a sweep, as the summary lists it."""

    name: str
    state: str  # complete | pruned | failed | unfinished
    params: Dict[str, Any]
    seed: int
    value: Optional[float]  # the chosen metric's final value
    metrics: Dict[str, float] = field(default_factory=dict)
    epochs_done: int = 0
    resumed_from: int = 0  # the epoch its last attempt started from (> 0: resumed from a checkpoint)
    seconds: float = 0.0
    run_dir: str = ""
    error: str = ""


@dataclass
class SweepResult:
    """What :func:`run` did: every trial (ranked, best first), and how long it took."""

    metric: str
    mode: str
    trials: List[TrialRecord]
    ran: int  # trials run by this call
    seconds: float
    logdir: str

    @property
    def best(self) -> Optional[TrialRecord]:
        return self.trials[0] if self.trials and self.trials[0].state == "complete" else None


def _pruner(name: str) -> Any:
    import optuna

    # Optuna's own pruners; asha is its asynchronous successive halving.
    table: Dict[str, Callable[[], Any]] = {
        "none": lambda: None,
        "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
        "asha": lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2),
    }
    return table[name]()


def _grid_sampler(space: Mapping[str, List[Any]]) -> Any:
    """Optuna's GridSampler, minus its ``study.stop()`` once the grid is used up.

    That call only ends ``study.optimize``'s loop, and raises outside it; the
    sweep drives the study with ask/tell and counts the grid itself.
    """
    import optuna

    class _Grid(optuna.samplers.GridSampler):
        def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
            return None

    return _Grid(space, seed=0)


def _sampler(plan: Plan) -> Any:
    import optuna

    if plan.search == "grid":
        space: Dict[str, List[Any]] = {p.name: list(p.values) for p in plan.params}
        if len(plan.seeds) > 1:
            space["seed"] = [str(s) for s in plan.seeds]
        return _grid_sampler(space)
    seed = plan.seeds[0]
    if plan.search == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, max(2, plan.n_trials // 4)))


def _storage_id(study: Any, number: int) -> int:
    """The storage's id of trial ``number`` (what ``optuna.trial.Trial(study, id)`` takes)."""
    for frozen in study.get_trials(deepcopy=False):
        if frozen.number == number:
            return frozen._trial_id
    raise SweepError(f"the sweep's study has no trial {number}")


def _write_json(path: str, data: Any) -> None:
    atomic_write_bytes(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))


class _Sweep:
    def __init__(self, plan: Plan, logdir: str, on_epoch: Any, out: TextIO) -> None:
        self.plan = plan
        self.logdir = logdir
        self.on_epoch = on_epoch
        self.out = out
        self.journal = os.path.join(logdir, JOURNAL_FILE)
        self.pruner = _pruner(plan.prune)

    # -- the study ---------------------------------------------------------------

    def open_study(self, resume: bool) -> Any:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        direction = "maximize" if self.plan.mode == "max" else "minimize"
        return optuna.create_study(study_name=STUDY_NAME, storage=open_study_storage(self.journal),
                                   sampler=_sampler(self.plan), pruner=self.pruner, direction=direction,
                                   load_if_exists=resume)

    def new_trial(self, study: Any) -> Optional[tuple]:
        """Ask the sampler for a configuration not run yet and name its run directory.

        Returns ``(trial number, attributes)``, or None once the sampler only
        proposes configurations the sweep already has (random and TPE search
        pick from the listed values, so they can repeat one): such a repeat is
        told the earlier result, so the sampler learns, and is not run again.
        """
        import optuna

        by_name = {t.user_attrs["name"]: t for t in study.get_trials(deepcopy=False) if "name" in t.user_attrs}
        for _ in range(100):
            number, attrs = self._ask(study)
            earlier = by_name.get(attrs["name"])
            if earlier is None:
                for key, value in attrs.items():
                    optuna.trial.Trial(study, _storage_id(study, number)).set_user_attr(key, value)
                return number, attrs
            if earlier.state == optuna.trial.TrialState.COMPLETE:
                study.tell(number, earlier.value)
            else:
                study.tell(number, state=optuna.trial.TrialState.FAIL)
        return None

    def _ask(self, study: Any) -> tuple:
        trial = study.ask()
        values = {p.name: str(trial.suggest_categorical(p.name, list(p.values))) for p in self.plan.params}
        if self.plan.search == "grid" and len(self.plan.seeds) > 1:
            seed = int(trial.suggest_categorical("seed", [str(s) for s in self.plan.seeds]))
        elif "seed" in trial.user_attrs:
            seed = int(trial.user_attrs["seed"])  # another seed of a configuration already sampled
        else:
            seed = self.plan.seeds[0]
            for other in self.plan.seeds[1:]:
                study.enqueue_trial(dict(values), user_attrs={"seed": other})
        return trial.number, {"name": self.plan.trial_name(values, seed), "values": values, "seed": seed}

    def task(self, trial_id: int, name: str, values: Mapping[str, str], seed: int) -> TrialTask:
        run_dir = os.path.join(self.logdir, name)
        return TrialTask(family=self.plan.family, argv=self.plan.trial_argv(values, seed, run_dir), run_dir=run_dir,
                         name=name, metric=self.plan.metric, journal=self.journal, study_name=STUDY_NAME,
                         trial_id=trial_id, pruner=self.pruner, on_epoch=self.on_epoch)

    def unfinished(self, study: Any) -> bool:
        """Whether the study has a trial left to run (one not started, or one that did not finish)."""
        import optuna

        State = optuna.trial.TrialState
        named = [t for t in study.get_trials(deepcopy=False) if "name" in t.user_attrs]
        return len(named) < self.plan.n_trials or any(t.state in (State.RUNNING, State.WAITING) for t in named)

    # -- running ---------------------------------------------------------------

    def drive(self, study: Any, client: Any) -> int:
        """Run every trial not finished yet; returns how many ran."""
        import optuna
        from distributed import as_completed

        State = optuna.trial.TrialState
        named = [t for t in study.get_trials(deepcopy=False) if "name" in t.user_attrs]
        again = [t for t in named if t.state in (State.RUNNING, State.WAITING)]
        remaining = max(0, self.plan.n_trials - len(named))
        capacity = max(1, sum(client.nthreads().values()))
        in_flight: Dict[Any, Any] = {}
        queue = as_completed()
        ran = 0
        warned_no_reports = False

        def submit(trial_id: int, attrs: Mapping[str, Any]) -> None:
            task = self.task(_storage_id(study, trial_id), attrs["name"], attrs["values"], int(attrs["seed"]))
            future = client.submit(run_trial, task, key=f"trial-{attrs['name']}-{uuid.uuid4().hex[:8]}", pure=False)
            in_flight[future] = (trial_id, attrs["name"])
            queue.add(future)

        def fill() -> None:
            nonlocal remaining
            while len(in_flight) < capacity and (again or remaining > 0):
                if again:
                    frozen = again.pop(0)
                    submit(frozen.number, frozen.user_attrs)
                else:
                    remaining -= 1
                    fresh = self.new_trial(study)
                    if fresh is None:
                        remaining = 0
                    else:
                        submit(*fresh)

        fill()
        if not in_flight:
            self.out.write(f"all {len(named)} trials of the sweep in {self.logdir} are already done\n")
        try:
            for future in queue:
                trial_id, name = in_flight.pop(future)
                result = self._outcome(future, name)
                ran += 1
                self._tell(study, trial_id, result)
                self.out.write(self._line(name, result) + "\n")
                if (self.pruner is not None and result["state"] == "complete" and not result.get("reports")
                        and not warned_no_reports):
                    warned_no_reports = True
                    self.out.write(f"warning: --prune {self.plan.prune} has nothing to judge: the trials do not log "
                                   f"{self.plan.metric} every epoch (choose a per-epoch --metric to prune)\n")
                self.out.flush()
                if result.get("unknown_metric"):
                    raise SweepError(f"--metric {self.plan.metric}: trial {name} finished but its run "
                                     f"{result['error'].split('(', 1)[-1].rstrip(')')}; choose one of those")
                fill()
        finally:
            for future in list(in_flight):
                future.cancel()
        return ran

    def _outcome(self, future: Any, name: str) -> Dict[str, Any]:
        try:
            return future.result()
        except Exception as exc:  # noqa: BLE001 -- e.g. KilledWorker after repeated worker deaths
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            return {"name": name, "state": "failed", "error": f"{type(exc).__name__}: {text}".rstrip(": "),
                    "metrics": {}, "epochs_done": 0, "resumed_from": 0, "seconds": 0.0}

    def _tell(self, study: Any, trial_id: int, result: Dict[str, Any]) -> None:
        import optuna

        State = optuna.trial.TrialState
        value = result.get("metrics", {}).get(self.plan.metric)
        if result["state"] == "complete" and (value is None or not math.isfinite(value)):
            result["state"], result["error"] = "failed", f"{self.plan.metric} is {value}"
        stored = {k: result.get(k) for k in ("state", "metrics", "epochs_done", "resumed_from", "seconds", "error")}
        optuna.trial.Trial(study, _storage_id(study, trial_id)).set_user_attr("result", stored)
        if result["state"] == "complete":
            study.tell(trial_id, float(value))
        elif result["state"] == "pruned":
            study.tell(trial_id, state=State.PRUNED)
        else:
            study.tell(trial_id, state=State.FAIL)

    def _line(self, name: str, result: Mapping[str, Any]) -> str:
        value = result.get("metrics", {}).get(self.plan.metric)
        parts = [f"trial {name}: {result['state']}"]
        if isinstance(value, float) and result["state"] != "failed":
            parts.append(f"{self.plan.metric}={value:.6g}")
        if result.get("resumed_from"):
            parts.append(f"resumed from epoch {result['resumed_from']}")
        parts.append(f"({result.get('seconds', 0):.1f} s)")
        return " ".join(parts) + (f": {result['error']}" if result.get("error") else "")

    # -- the summary ---------------------------------------------------------------

    def records(self, study: Any) -> List[TrialRecord]:
        records: List[TrialRecord] = []
        for t in study.get_trials(deepcopy=False):
            attrs = t.user_attrs
            if "name" not in attrs:
                continue
            result = attrs.get("result") or {}
            metrics = {k: float(v) for k, v in (result.get("metrics") or {}).items()}
            state = result.get("state") or "unfinished"
            params = {p.name: typed(attrs["values"][p.name]) for p in self.plan.params}
            records.append(TrialRecord(
                name=attrs["name"], state=state, params=params, seed=int(attrs["seed"]),
                value=metrics.get(self.plan.metric) if state == "complete" else None, metrics=metrics,
                epochs_done=int(result.get("epochs_done") or 0), resumed_from=int(result.get("resumed_from") or 0),
                seconds=float(result.get("seconds") or 0.0), run_dir=os.path.join(self.logdir, attrs["name"]),
                error=result.get("error") or ""))
        order = {"complete": 0, "pruned": 1, "failed": 2, "unfinished": 3}
        sign = -1.0 if self.plan.mode == "max" else 1.0
        records.sort(key=lambda r: (order.get(r.state, 4), sign * r.value if r.value is not None else 0.0, r.name))
        return records

    def write_summary(self, records: Sequence[TrialRecord]) -> None:
        names = [p.name for p in self.plan.params]
        rows = []
        for rank, r in enumerate(records, 1):
            rows.append({"rank": rank, "trial": r.name, "state": r.state, **r.params, "seed": r.seed,
                         self.plan.metric: r.value, "epochs": r.epochs_done, "resumed_from": r.resumed_from,
                         "seconds": round(r.seconds, 3), "run_dir": r.run_dir, "error": r.error})
        buffer = io.StringIO()
        columns = ["rank", "trial", "state", *names, "seed", self.plan.metric, "epochs", "resumed_from", "seconds",
                   "run_dir", "error"]
        writer = csv.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
        atomic_write_bytes(os.path.join(self.logdir, SUMMARY_CSV), buffer.getvalue().encode("utf-8"))
        _write_json(os.path.join(self.logdir, SUMMARY_JSON),
                    {"family": self.plan.family, "metric": self.plan.metric, "mode": self.plan.mode,
                     "trials": [{**row, "metrics": r.metrics} for row, r in zip(rows, records)]})

    def table(self, records: Sequence[TrialRecord]) -> str:
        """The ranked table printed at the end."""
        names = [p.name for p in self.plan.params] + (["seed"] if len(self.plan.seeds) > 1 else [])
        header = ["rank", *names, self.plan.metric, "state", "epochs", "seconds"]
        lines = [header]
        for rank, r in enumerate(records, 1):
            values = {**r.params, "seed": r.seed}
            lines.append([str(rank), *[str(values[n]) for n in names],
                          f"{r.value:.6g}" if r.value is not None else "-", r.state, str(r.epochs_done),
                          f"{r.seconds:.1f}"])
        widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
        text = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in lines]
        best = "max" if self.plan.mode == "max" else "min"
        return f"trials ranked by {self.plan.metric} ({best} is best):\n" + "\n".join(text)


def _prepare_logdir(logdir: str, plan: Plan, resume: bool, overwrite: bool) -> None:
    """Check ``logdir`` against ``resume``/``overwrite`` before anything runs (writes nothing)."""
    if resume and overwrite:
        raise SweepError("--resume and --overwrite contradict each other: choose one")
    path = os.path.join(logdir, SWEEP_FILE)
    if os.path.exists(logdir) and not os.path.isdir(logdir):
        raise SweepError(f"--logdir {logdir} exists and is not a directory")
    exists = os.path.exists(path)
    if exists and not (resume or overwrite):
        raise SweepError(f"{logdir} already holds a sweep ({SWEEP_FILE}); pass --resume to finish it, "
                         "--overwrite to start again from scratch, or choose another --logdir")
    if resume and exists:
        try:
            with open(path, encoding="utf-8") as f:
                saved = json.load(f)
        except (OSError, ValueError) as exc:
            raise SweepError(f"cannot read {path}: {exc}") from None
        wanted = json.loads(json.dumps(plan.describe()))
        differ = [k for k in [*wanted, *sorted(set(saved) - set(wanted))] if saved.get(k) != wanted.get(k)]
        if differ:
            k = differ[0]
            raise SweepError(f"--resume: the sweep in {logdir} was started with {k} = {saved.get(k)!r}, this "
                             f"command asks for {wanted.get(k)!r}; resume with the same settings")


def _clear(logdir: str) -> None:
    """Delete a previous sweep in ``logdir``: its files and the run directories its summary lists."""
    names: List[str] = []
    try:
        with open(os.path.join(logdir, SUMMARY_JSON), encoding="utf-8") as f:
            names = [t["trial"] for t in json.load(f).get("trials", [])]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        import optuna

        study = optuna.load_study(study_name=STUDY_NAME, storage=open_study_storage(os.path.join(logdir, JOURNAL_FILE)))
        names += [t.user_attrs["name"] for t in study.get_trials(deepcopy=False) if "name" in t.user_attrs]
    except Exception:  # noqa: BLE001 -- no readable journal: nothing more to delete
        pass
    for name in set(names):
        path = os.path.join(logdir, name)
        if name and os.path.dirname(os.path.normpath(path)) == os.path.normpath(logdir) and os.path.isdir(path):
            shutil.rmtree(path)
    for file in (SWEEP_FILE, JOURNAL_FILE, JOURNAL_FILE + ".lock", SUMMARY_CSV, SUMMARY_JSON):
        with contextlib.suppress(OSError):
            os.remove(os.path.join(logdir, file))


def run(model: str, params: Union[Mapping[str, Sequence[Any]], Sequence[str]] = (), *, logdir: str,
        search: str = "grid", trials: Optional[int] = None, seeds: int = 1, metric: Optional[str] = None,
        mode: Optional[str] = None, prune: Optional[str] = None, workers: Optional[int] = None,
        address: Optional[str] = None, resume: bool = False, overwrite: bool = False,
        train_args: Sequence[str] = (), connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        on_epoch: Optional[Callable[[str, int, Dict[str, float]], None]] = None,
        out: Optional[TextIO] = None) -> SweepResult:
    """Run a hyper-parameter sweep of model family ``model``; the Python side of ``framework sweep``.

    ``params`` maps an option of ``framework train <model>`` to its values
    (``{"lr": [0.01, 0.1], "hidden": [8, 16]}``) or is a list of
    ``"lr=0.01,0.1"`` strings. ``train_args`` are passed to every trial
    (``["--epochs", "5"]``). ``on_epoch(trial_name, epoch, metrics)`` is
    called in the worker after each epoch of each trial (for monitoring).
    Everything else is as the command's options (docs/cli.md). Raises
    :class:`SweepError` for a setting it cannot run.
    """
    from .. import models

    out = out if out is not None else sys.stdout
    if isinstance(params, Mapping):
        items = [Param(str(k).replace("-", "_"), tuple(_text(v) for v in vs)) for k, vs in params.items()]
    else:
        items = list(params)
    plan = make_plan(model, items, specs=models.specs(), seeds=seeds, search=search, trials=trials, metric=metric,
                     mode=mode, prune=prune, train_args=[str(a) for a in train_args])
    logdir = os.fspath(logdir)
    require()
    _prepare_logdir(logdir, plan, resume, overwrite)
    started = time.perf_counter()
    sweep = _Sweep(plan, logdir, on_epoch, out)
    if resume and os.path.exists(os.path.join(logdir, SWEEP_FILE)) and os.path.exists(sweep.journal):
        study = sweep.open_study(resume=True)
        if not sweep.unfinished(study):  # nothing to run: no cluster to start
            out.write(f"all {plan.n_trials} trials of the sweep in {logdir} are already done\n")
            return _finish(sweep, study, 0, started, out)
    with connect(workers, address, connect_timeout) as client:
        if overwrite:
            _clear(logdir)
        os.makedirs(logdir, exist_ok=True)
        _write_json(os.path.join(logdir, SWEEP_FILE), plan.describe())
        study = sweep.open_study(resume)
        where = f"the Dask cluster at {address}" if address else f"{sum(client.nthreads().values())} local worker(s)"
        out.write(f"sweep of {model}: {plan.n_trials} trials ({plan.search} search, {plan.metric} "
                  f"{'max' if plan.mode == 'max' else 'min'} is best, pruning {plan.prune}) on {where}; "
                  f"runs in {logdir}\n")
        out.flush()
        ran = 0
        try:
            ran = sweep.drive(study, client)
        finally:
            sweep.write_summary(sweep.records(study))
    return _finish(sweep, study, ran, started, out)


def _finish(sweep: _Sweep, study: Any, ran: int, started: float, out: TextIO) -> SweepResult:
    """Write the summary, print the ranked table, and say what was done."""
    records = sweep.records(study)
    sweep.write_summary(records)
    seconds = time.perf_counter() - started
    out.write(sweep.table(records) + "\n")
    out.write(f"{ran} trial(s) run in {seconds:.1f} s; summary in {os.path.join(sweep.logdir, SUMMARY_CSV)}\n")
    out.flush()
    plan = sweep.plan
    return SweepResult(metric=plan.metric, mode=plan.mode, trials=records, ran=ran, seconds=seconds,
                       logdir=sweep.logdir)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

"""What a sweep runs: the parameters, their values, and each trial's command line.

A sweep drives a model family only through the :class:`~framework.plugins.ModelSpec`
its plugin registered: the family's own ``add_arguments`` parser checks every
value before anything runs, and a trial is the family's ``train(args)`` with
the arguments ``framework train <family> ...`` would have parsed.
"""
from __future__ import annotations

import argparse
import math
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

__all__ = ["SweepError", "Param", "parse_param", "Plan", "make_plan", "metric_key", "GENERIC_METRICS",
           "SEARCHES", "PRUNERS", "FORBIDDEN_TRIAL_OPTIONS"]

SEARCHES = ("grid", "random", "tpe")
PRUNERS = ("none", "median", "asha")
GENERIC_METRICS: Tuple[Tuple[str, str], ...] = (("final_cost", "min"), ("train_cost", "min"))
"""Metrics every training run reports (the trainer logs them for every family)."""

FORBIDDEN_TRIAL_OPTIONS = ("--logdir", "--resume", "--overwrite")
"""Options the sweep sets for each trial itself; a user cannot pass them after ``--``."""


class SweepError(ValueError):
    """A sweep cannot start or go on; the message says what the user asked for and why."""


@dataclass(frozen=True)
class Param:
    """One swept option: ``name`` (the family's ``--name``) and its values, as typed on the command line."""

    name: str
    values: Tuple[str, ...]


_PARAM = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_-]*)\s*=(.*)$")


def parse_param(text: str) -> Param:
    """``"lr=0.01,0.05"`` -> ``Param("lr", ("0.01", "0.05"))``; a clear :class:`SweepError` otherwise."""
    match = _PARAM.match(text)
    if not match:
        raise SweepError(f"--param {text!r}: expected NAME=VALUE[,VALUE...], e.g. --param lr=0.01,0.1")
    name, rest = match.group(1), match.group(2)
    values = tuple(v.strip() for v in rest.split(","))
    if not rest.strip() or any(v == "" for v in values):
        raise SweepError(f"--param {text!r}: empty value; expected NAME=VALUE[,VALUE...], e.g. --param lr=0.01,0.1")
    if len(set(values)) != len(values):
        raise SweepError(f"--param {text!r}: a value is given twice")
    return Param(name.replace("-", "_"), values)


def typed(text: str) -> Union[bool, int, float, str]:
    """A value as the summary shows it: an int, a float, a bool or the text itself."""
    low = text.lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


_GENERIC_PREFIXES = ("train", "valid", "test")


def metric_key(tag: str) -> str:
    """The metric name of a logged tag.

    ``hparam/test_error`` -> ``test_error``; a family's own tag drops the
    family (``logistic/valid_error`` -> ``valid_error``,
    ``rbm/test_log_likelihood`` -> ``test_log_likelihood``); the generic
    ``train/cost`` -> ``train_cost`` (and ``valid/error`` -> ``valid_error``).
    """
    if tag.startswith("hparam/"):
        tag = tag[len("hparam/"):]
    head, _, rest = tag.partition("/")
    if rest and head not in _GENERIC_PREFIXES:
        tag = rest
    return tag.replace("/", "_")


_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


class _Raising(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise SweepError(message)


def family_parser(family: str, spec: Any) -> argparse.ArgumentParser:
    """The family's ``framework train <family>`` parser, raising :class:`SweepError` on bad input."""
    parser = _Raising(prog=f"framework train {family}", add_help=False)
    if spec.add_arguments is not None:
        spec.add_arguments(parser)
    return parser


def _action(parser: argparse.ArgumentParser, name: str) -> Optional[argparse.Action]:
    option = "--" + name.replace("_", "-")
    for action in parser._actions:  # argparse has no public lookup by option string
        if option in action.option_strings:
            return action
    return None


def _flag(action: argparse.Action, name: str, value: str) -> List[str]:
    """The command-line words that set option ``name`` to ``value``."""
    option = "--" + name.replace("_", "-")
    if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction, argparse.BooleanOptionalAction)):
        low = value.lower()
        if low not in _TRUE + _FALSE:
            raise SweepError(f"--param {name}={value}: {option} is a switch; its values are true or false")
        on = low in _TRUE
        if isinstance(action, argparse.BooleanOptionalAction):
            return [option] if on else ["--no-" + option[2:]]
        wants = isinstance(action, argparse._StoreTrueAction)
        return [option] if on == wants else []
    return [f"{option}={value}"]


@dataclass
class Plan:
    """Everything a sweep will do, checked before any trial runs."""

    family: str
    params: List[Param]
    seeds: List[int]
    search: str
    n_trials: int  # trials in all (configurations x seeds)
    n_configs: int  # configurations (the grid's size for grid search)
    metric: str
    mode: str
    prune: str
    train_args: List[str]
    _flags: Dict[Tuple[str, str], List[str]] = field(default_factory=dict, repr=False)

    def describe(self) -> Dict[str, Any]:
        """What must match when a sweep is resumed (stored in ``sweep.json``)."""
        return {"family": self.family, "params": {p.name: list(p.values) for p in self.params},
                "seeds": self.seeds, "search": self.search, "n_trials": self.n_trials, "metric": self.metric,
                "mode": self.mode, "prune": self.prune, "train_args": self.train_args}

    def trial_name(self, values: Mapping[str, str], seed: int) -> str:
        """The run directory's name: ``hidden=100,lr=0.01`` (``,seed=124`` when several seeds run)."""
        parts = [f"{p.name}={values[p.name]}" for p in self.params]
        if len(self.seeds) > 1:
            parts.append(f"seed={seed}")
        name = ",".join(parts) or f"seed={seed}"
        return re.sub(r"[^A-Za-z0-9._=+,-]", "_", name)

    def trial_argv(self, values: Mapping[str, str], seed: int, logdir: str) -> List[str]:
        """The ``framework train <family>`` arguments of one trial (always resumable)."""
        argv = list(self.train_args)
        for p in self.params:
            argv += self._flags[(p.name, values[p.name])]
        return argv + [f"--seed={seed}", "--logdir", logdir, "--resume"]


def _parse_trial(parser: argparse.ArgumentParser, argv: Sequence[str], what: str) -> argparse.Namespace:
    try:
        args = parser.parse_args(list(argv))
    except SweepError as exc:
        raise SweepError(f"{what}: {exc}") from None
    return args


def make_plan(family: str, params: Sequence[Union[str, Param]], *, specs: Mapping[str, Any], seeds: int = 1,
              search: str = "grid", trials: Optional[int] = None, metric: Optional[str] = None,
              mode: Optional[str] = None, prune: Optional[str] = None,
              train_args: Sequence[str] = ()) -> Plan:
    """Check a sweep's settings against the family's own options and return its :class:`Plan`."""
    trainable = sorted(n for n, s in specs.items() if s.train is not None)
    if family not in specs or specs[family].train is None:
        raise SweepError(f"unknown model family {family!r} for `framework sweep`: known families are "
                         f"{', '.join(trainable) or 'none'} (see `framework plugins`)")
    spec = specs[family]
    if search not in SEARCHES:
        raise SweepError(f"--search {search!r}: choose one of {', '.join(SEARCHES)}")
    prune = prune or "none"
    if prune not in PRUNERS:
        raise SweepError(f"--prune {prune!r}: choose one of {', '.join(PRUNERS)}")
    if seeds < 1:
        raise SweepError(f"--seeds must be >= 1, got {seeds}")
    if trials is not None and trials < 1:
        raise SweepError(f"--trials must be >= 1, got {trials}")
    parsed = [p if isinstance(p, Param) else parse_param(p) for p in params]
    names = [p.name for p in parsed]
    for name in names:
        if names.count(name) > 1:
            raise SweepError(f"--param {name} is given twice: list every value in one --param {name}=A,B")
    if not parsed and seeds == 1:
        raise SweepError("nothing to sweep: give at least one --param NAME=VALUE[,VALUE...] (or --seeds N)")
    extra = list(train_args)
    for word in extra:
        if word.split("=", 1)[0] in FORBIDDEN_TRIAL_OPTIONS:
            raise SweepError(f"{word.split('=', 1)[0]} cannot be passed to the trials: the sweep gives each trial "
                             "its own run directory under the sweep's --logdir (and resumes it itself)")

    parser = family_parser(family, spec)
    base = _parse_trial(parser, extra + ["--logdir", "x"], f"the trial arguments {' '.join(extra) or '(none)'}")
    flags: Dict[Tuple[str, str], List[str]] = {}
    for p in parsed:
        if p.name in ("logdir", "resume", "overwrite"):
            raise SweepError(f"--param {p.name}: the sweep sets --{p.name} of each trial itself")
        if p.name == "seed" and seeds > 1:
            raise SweepError("--param seed=... and --seeds N both choose seeds: use one of them")
        action = _action(parser, p.name)
        if action is None or not action.option_strings:
            raise SweepError(f"--param {p.name}: `framework train {family}` has no option "
                             f"--{p.name.replace('_', '-')} (see `framework train {family} -h`)")
        for value in p.values:
            words = _flag(action, p.name, value)
            _parse_trial(parser, extra + words + ["--logdir", "x"], f"--param {p.name}={value}")
            flags[(p.name, value)] = words
    base_seed = getattr(base, "seed", 0) or 0
    seed_list = [int(base_seed) + i for i in range(seeds)]

    n_configs = math.prod(len(p.values) for p in parsed) if parsed else 1
    if search == "grid":
        n_trials = n_configs * seeds if trials is None else min(trials, n_configs * seeds)
    else:
        n_trials = min(trials if trials is not None else 10, n_configs) * seeds

    known = dict(GENERIC_METRICS)
    declared = dict(getattr(spec, "metrics", ()) or ())
    known.update(declared)
    if metric is None:
        metric = next(iter(declared), "final_cost")
    metric = metric_key(metric)
    if declared and metric not in known:
        raise SweepError(f"--metric {metric}: `framework train {family}` reports "
                         f"{', '.join(sorted(known))}; choose one of them")
    if mode is None:
        if metric not in known:
            raise SweepError(f"--metric {metric} is not one the {family!r} family declares: "
                             "say whether bigger is better with --mode max or --mode min")
        mode = known[metric]
    if mode not in ("max", "min"):
        raise SweepError(f"--mode {mode!r}: choose max or min")
    return Plan(family=family, params=parsed, seeds=seed_list, search=search, n_trials=n_trials,
                n_configs=n_configs, metric=metric, mode=mode, prune=prune, train_args=extra, _flags=flags)

"""``framework sweep MODEL ...``: the command over :func:`framework.sweep.run`.

Registered by :func:`add_command` from ``framework/cli.py``. Everything after
``--`` is passed to every trial's ``framework train MODEL``.
"""
from __future__ import annotations

import argparse
from typing import Any

from .engine import DEFAULT_CONNECT_TIMEOUT
from .space import PRUNERS, SEARCHES

__all__ = ["add_command"]

EPILOG = """\
examples:
  framework sweep rbm --param lr=0.01,0.05,0.1 --param hidden=50,100 --workers 2 --logdir runs/sweep1 -- --epochs 5
  framework sweep logistic --param lr=0.01,0.1,1 --metric valid_error --prune median --logdir runs/sweep2
  framework sweep rbm --param k=1,15 --seeds 3 --address tcp://head:8786 --logdir /shared/runs/sweep3
  framework sweep rbm ... --logdir runs/sweep1 --resume      # run only the trials that did not finish

Each trial is a run directory under --logdir named by its parameters (tensorboard --logdir runs/sweep1
compares them; the HPARAMS tab shows the metric); summary.csv / summary.json list every trial, ranked.
See docs/cli.md and docs/scale.md."""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text}")
    return value


def add_command(commands: Any) -> None:
    """Add ``sweep`` to the ``framework`` command's subparsers."""
    sub = commands.add_parser(
        "sweep", help="hyper-parameter sweep of a model family on a Dask cluster (local by default)",
        description="Run `framework train MODEL` once per combination of --param values (or per Optuna "
                    "suggestion), in parallel on Dask workers, and rank the trials by --metric.",
        usage="framework sweep MODEL --param NAME=V1,V2,... [options] --logdir DIR [-- TRAIN_ARGS ...]",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub.add_argument("model", metavar="MODEL", help="a model family with a `framework train` command (rbm, logistic...)")
    sub.add_argument("--param", action="append", default=[], metavar="NAME=V1,V2,...",
                     help="an option of `framework train MODEL` and the values to try (repeatable)")
    sub.add_argument("--search", choices=SEARCHES, default="grid",
                     help="grid: every combination; random / tpe: --trials suggestions of Optuna's sampler "
                          "(default grid)")
    sub.add_argument("--trials", type=_positive, default=None,
                     help="configurations to try (random/tpe, default min(grid size, 10)); for grid: at most this "
                          "many trials")
    sub.add_argument("--seeds", type=_positive, default=1,
                     help="run each configuration with this many seeds: --seed, --seed+1, ... (default 1)")
    sub.add_argument("--metric", default=None,
                     help="what ranks the trials, e.g. test_log_likelihood (rbm), valid_error or test_error "
                          "(logistic), mse (linear), final_cost (any); default: the family's first")
    sub.add_argument("--mode", choices=("max", "min"), default=None,
                     help="whether a bigger --metric is better (default: what the family declares)")
    sub.add_argument("--prune", choices=PRUNERS, default="none",
                     help="stop bad trials early on their per-epoch --metric: Optuna's MedianPruner or its "
                          "asynchronous successive halving (asha) (default none)")
    sub.add_argument("--workers", type=_positive, default=None,
                     help="start a local Dask cluster of this many worker processes for the sweep (default 1)")
    sub.add_argument("--address", default=None,
                     help="use the running Dask cluster whose scheduler is at this address (tcp://HOST:8786); "
                          "--logdir must then be on a path every worker sees")
    sub.add_argument("--connect-timeout", type=_seconds, default=DEFAULT_CONNECT_TIMEOUT,
                     help=f"seconds to wait for the scheduler at --address (default {DEFAULT_CONNECT_TIMEOUT:g})")
    sub.add_argument("--logdir", required=True, help="the sweep's directory: one run directory per trial, summaries")
    sub.add_argument("--resume", action="store_true",
                     help="finish the sweep in --logdir: run only its unfinished trials (same settings required)")
    sub.add_argument("--overwrite", action="store_true",
                     help="delete the sweep already in --logdir (its trials' run directories too) and start again")
    sub.set_defaults(_handler=_command, trial_args=[])
    _split_at_double_dash(sub)


def _split_at_double_dash(parser: argparse.ArgumentParser) -> None:
    """Make everything after ``--`` the trials' arguments (``args.trial_args``), whatever they look like.

    A ``nargs="*"`` positional cannot do it: argparse fills it (empty) when it
    meets MODEL, before the ``--``. The subcommand's parser is called through
    ``parse_known_args``, so that is where the line is split.
    """
    parse = parser.parse_known_args

    def parse_known_args(args: Any = None, namespace: Any = None) -> Any:
        words = list(args) if args is not None else []
        head, tail = (words[:words.index("--")], words[words.index("--") + 1:]) if "--" in words else (words, [])
        namespace, extras = parse(head, namespace)
        namespace.trial_args = tail
        return namespace, extras

    parser.parse_known_args = parse_known_args  # type: ignore[method-assign]


def _command(args: argparse.Namespace) -> int:
    from .runner import run

    result = run(args.model, args.param, logdir=args.logdir, search=args.search, trials=args.trials,
                 seeds=args.seeds, metric=args.metric, mode=args.mode, prune=args.prune, workers=args.workers,
                 address=args.address, resume=args.resume, overwrite=args.overwrite, train_args=args.trial_args,
                 connect_timeout=args.connect_timeout)
    failed = [t for t in result.trials if t.state == "failed"]
    return 1 if failed and len(failed) == len(result.trials) else 0

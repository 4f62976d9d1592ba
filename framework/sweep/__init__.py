"""Hyper-parameter sweeps of any model family, on Dask, searched and pruned by Optuna.

``framework sweep rbm --param lr=0.01,0.1 --param hidden=8,16 --workers 2
--logdir runs/sweep1 -- --epochs 5`` or, from Python::

    import framework.sweep
    result = framework.sweep.run("rbm", {"lr": [0.01, 0.1], "hidden": [8, 16]}, workers=2,
                                 logdir="runs/sweep1", train_args=["--epochs", "5"])
    print(result.best)

Each trial is an ordinary ``framework train <family>`` run directory under
``logdir``, named by its parameters. See docs/scale.md (the engine and how
to run on a cluster) and docs/cli.md (the options). Dask and Optuna are
imported only when a sweep runs (``pip install 'framework[sweep]'``).
"""
from .runner import SUMMARY_CSV, SUMMARY_JSON, SweepResult, TrialRecord, run
from .space import SweepError, parse_param

__all__ = ["run", "SweepResult", "TrialRecord", "SweepError", "parse_param", "SUMMARY_CSV", "SUMMARY_JSON"]

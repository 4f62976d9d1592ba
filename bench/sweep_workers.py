"""Wall time of a 12-trial ``framework sweep`` with 1 and with 2 local Dask workers.

The sweep: ``framework sweep rbm`` on the bundled digits, a grid of
lr=0.01,0.05,0.1 x hidden=8,16 x k=1,15 (12 trials), 3 epochs each, no
sampling; every trial ends with the exact test log-likelihood. Each figure
is the whole command -- starting and stopping the local cluster included --
and the two worker counts alternate (``--rounds`` each); the best round of
each is reported. BLAS runs one thread per process (``_threads``), so two
workers use the two cores of a two-core machine.

    python bench/sweep_workers.py [--rounds 2] [--workers 1,2]
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _threads  # noqa: E402,F401 -- pins BLAS threads before NumPy loads

GRID = {"lr": [0.01, 0.05, 0.1], "hidden": [8, 16], "k": [1, 15]}
TRAIN_ARGS = ["--epochs", "3", "--n-samples", "0"]


def one_sweep(workers: int, root: str) -> float:
    import framework.sweep

    logdir = os.path.join(root, f"w{workers}-{time.monotonic_ns()}")
    started = time.perf_counter()
    result = framework.sweep.run("rbm", GRID, workers=workers, logdir=logdir, train_args=TRAIN_ARGS, out=io.StringIO())
    seconds = time.perf_counter() - started
    assert len(result.trials) == 12 and all(t.state == "complete" for t in result.trials), result.trials
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--threads", default="1", help="BLAS threads per process (see _threads.py)")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    times = {w: [] for w in counts}
    with tempfile.TemporaryDirectory() as root:
        for _ in range(args.rounds):
            for w in counts:
                times[w].append(one_sweep(w, root))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    for w in counts:
        print(f"12-trial sweep, {w} worker(s): best {min(times[w]):.1f} s of {[round(t, 1) for t in times[w]]}")
    print(json.dumps({"bench": "sweep_workers", "seconds": {str(w): min(t) for w, t in times.items()},
                      "all": times, "cpus": os.cpu_count(), "load_1min": load}))


if __name__ == "__main__":
    main()

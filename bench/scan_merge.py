"""Cost and gradient through a scan that draws: one forward loop (``scan_merge_forward``) or two.

Two graphs, each compiled twice in one process -- in FAST_RUN, and in FAST_RUN
without ``scan_merge_forward`` (the forward loop and the copy ``grad``
replays to collect the samples) -- and timed in alternating rounds of
``--calls`` calls; the medians of the rounds' ms per call are printed, and the
best round's. The two functions give the same bits from the same generator
state (checked first).

* ``example``: docs/scan.md's noisy ``tanh`` loop, 50 steps over a vector of
  ``--size`` (10), ``cost = (hs[-1] ** 2).sum()`` and its gradient wrt ``x0``;
* ``rnn``: 200 steps of ``h = tanh(h @ W + 0.1 * normal)`` with ``W`` 100 x 100
  and ``h`` a vector of 100, the same cost, gradients wrt ``h0`` and ``W``.

    python bench/scan_merge.py [--rounds 9] [--calls 50]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _threads  # noqa: E402,F401  (pins BLAS threads before NumPy loads)

import numpy as np  # noqa: E402


def build(case: str, size: int):
    import framework
    import framework.tensor as T
    from framework import Mode
    from framework.random import RandomStreams

    srng = RandomStreams(1)
    rng = np.random.RandomState(0)
    if case == "example":
        x0 = T.dvector("x0")
        hs, upd = framework.scan(lambda h: T.tanh(h + srng.normal(h.shape) * 0.1), outputs_info=[x0], n_steps=50)
        ins, wrt, args = [x0], [x0], [rng.randn(size)]
    else:
        h0, W = T.dvector("h0"), T.dmatrix("W")
        hs, upd = framework.scan(lambda h, W: T.tanh(T.dot(h, W) + srng.normal(h.shape) * 0.1), outputs_info=[h0],
                                 non_sequences=W, n_steps=200)
        ins, wrt, args = [h0, W], [h0, W], [rng.randn(100), rng.randn(100, 100) * 0.1]
    cost = (hs[-1] ** 2).sum()
    outs = [cost] + T.grad(cost, wrt)
    fns = {"one loop": framework.function(ins, outs, updates=upd),
           "two loops": framework.function(ins, outs, updates=upd,
                                           mode=Mode("fast_run", excluding=["scan_merge_forward"]))}
    (state,) = upd
    start = state.get_value()
    got = {}
    for name, f in fns.items():
        state.set_value(start)
        got[name] = [np.asarray(v).tobytes() for v in f(*args)]
    if got["one loop"] != got["two loops"]:
        raise SystemExit(f"{case}: the two functions disagree")
    loops = {name: sum(1 for n in f.maker.fgraph.toposort() if type(n.op).__name__ == "Scan")
             for name, f in fns.items()}
    return {name: (lambda f=f: f(*args)) for name, f in fns.items()}, loops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--size", type=int, default=10)
    parser.add_argument("--threads", default="1")  # read by _threads
    args = parser.parse_args()
    result = {}
    for case in ("example", "rnn"):
        calls, loops = build(case, args.size)
        times = {name: [] for name in calls}
        for name, c in calls.items():  # warm up
            for _ in range(3):
                c()
        for _ in range(args.rounds):
            for name, c in calls.items():
                t0 = time.perf_counter()
                for _ in range(args.calls):
                    c()
                times[name].append((time.perf_counter() - t0) / args.calls)
        ms = {name: 1e3 * statistics.median(t) for name, t in times.items()}
        best = {name: 1e3 * min(t) for name, t in times.items()}
        print(f"{case}: scan nodes {loops}; ms per call, median of rounds: two loops {ms['two loops']:.3f}, "
              f"one loop {ms['one loop']:.3f} ({ms['one loop'] / ms['two loops']:.3f}x); best round: two loops "
              f"{best['two loops']:.3f}, one loop {best['one loop']:.3f} ({best['one loop'] / best['two loops']:.3f}x)")
        result[case] = {"median_ms": ms, "best_ms": best, "scan_nodes": loops}
    print(json.dumps(result))


if __name__ == "__main__":
    main()

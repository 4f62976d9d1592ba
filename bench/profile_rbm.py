"""Where the milliseconds of one PCD-15 (or CD-1) step go: time every kernel the compiled step runs.

Each node's kernel is wrapped in a timer (at link time, so the scan body's
nodes are timed too); the step is run ``--steps`` times and the time per step
of each op kind is printed, largest first, with the step's total measured
without the timers. The timers add about a microsecond per kernel call.

    python bench/profile_rbm.py [--cd1] [--steps 40]
"""
from __future__ import annotations

import argparse
import collections
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _threads  # noqa: E402,F401

import numpy as np  # noqa: E402


def _label(node) -> str:
    op = node.op
    shapes = []
    for o in node.outputs[-1:]:
        shapes.append(str(getattr(o.type, "ndim", "")))
    return f"{op}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cd1", action="store_true", help="profile CD-1 instead of PCD-15")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--threads", default=_threads.THREADS)
    args = parser.parse_args()
    import rbm_step as b
    from framework.core.backend import Backend

    times: collections.Counter = collections.Counter()
    calls: collections.Counter = collections.Counter()
    original = Backend.kernel

    def timed_kernel(self, node):
        kern = original(self, node)
        label = _label(node)
        clock = time.perf_counter

        def run(*a):
            t0 = clock()
            out = kern(*a)
            times[label] += clock() - t0
            calls[label] += 1
            return out
        return run

    data = b.make_data()
    persistent, k = (False, 1) if args.cd1 else (True, 15)
    plain = b.build_framework_step(data, persistent, k)["step"]
    Backend.kernel = timed_kernel
    try:
        profiled = b.build_framework_step(data, persistent, k)["step"]
    finally:
        Backend.kernel = original
    for f in (plain, profiled):
        for i in range(3):
            f(i)
    times.clear()
    calls.clear()
    t0 = time.perf_counter()
    for i in range(args.steps):
        plain(i % 50)
    total = (time.perf_counter() - t0) / args.steps
    for i in range(args.steps):
        profiled(i % 50)
    scan_labels = [lab for lab in times if lab.startswith("scan")]
    print(f"step: {total * 1e3:.3f} ms (without timers)")
    print(f"{'op':70s} {'ms/step':>8s} {'calls/step':>10s}")
    for label, t in times.most_common():
        print(f"{label[:70]:70s} {t / args.steps * 1e3:8.3f} {calls[label] / args.steps:10.1f}")
    inner = sum(t for lab, t in times.items() if not lab.startswith("scan"))
    print(f"sum of kernels other than scan: {inner / args.steps * 1e3:.3f} ms/step; scan labels: {scan_labels}")


if __name__ == "__main__":
    main()

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
    depth = [0]  # > 0 while a scan's kernel is made: its body is linked then

    def timed_kernel(self, node):
        is_scan = str(node.op).startswith("scan")
        depth[0] += is_scan
        try:
            kern = original(self, node)
        finally:
            depth[0] -= is_scan
        label = ("body: " if depth[0] else "") + _label(node)
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
    # what one timer costs (two clock reads, two counter updates), subtracted per call below
    clock, tick, n_probe = time.perf_counter, collections.Counter(), 20000
    start = clock()
    for _ in range(n_probe):
        a = clock()
        tick["t"] += clock() - a
        tick["n"] += 1
    timer = (clock() - start) / n_probe
    per_call = {lab: (t - calls[lab] * timer) / args.steps for lab, t in times.items()}
    n = {lab: calls[lab] / args.steps for lab in times}
    print(f"step: {total * 1e3:.3f} ms (without timers); one timer ~{timer * 1e6:.2f} us, subtracted below")
    print(f"{'op (body: inside the loop)':70s} {'ms/step':>8s} {'calls/step':>10s}")
    for label, t in sorted(per_call.items(), key=lambda kv: -kv[1]):
        print(f"{label[:70]:70s} {t * 1e3:8.3f} {n[label]:10.1f}")
    scan = [lab for lab in times if lab.startswith("scan")]
    body = [lab for lab in times if lab.startswith("body: ")]
    outer = [lab for lab in times if lab not in scan and lab not in body]
    scan_t = sum(per_call[lab] for lab in scan)
    body_t = sum(per_call[lab] for lab in body)
    body_n = sum(n[lab] for lab in body)
    outer_t = sum(per_call[lab] for lab in outer)
    loop = scan_t - body_t - body_n * timer  # the body's timers ran inside the scan's
    print(f"kernels inside the loop {body_t * 1e3:.3f} ms ({body_n:.0f} calls); loop overhead (the scan kernel "
          f"minus its body's kernels) {loop * 1e3:.3f} ms")
    print(f"kernels outside the loop {outer_t * 1e3:.3f} ms ({sum(n[lab] for lab in outer):.0f} calls); "
          f"schedule overhead outside {(total - scan_t - outer_t) * 1e3:.3f} ms (the step without timers "
          f"minus every kernel)")


if __name__ == "__main__":
    main()

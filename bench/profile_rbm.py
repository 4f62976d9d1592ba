"""Where the milliseconds of one PCD-15 (or CD-1) step go: time every kernel the compiled step runs.

Each node's kernel is wrapped in a timer (at link time, so the scan body's
nodes are timed too); the step is run ``--steps`` times and the time per step
of each op kind is printed, largest first, with the step's total measured
without the timers. The timers add about a microsecond per kernel call.

    python bench/profile_rbm.py [--cd1] [--steps 40] [--reference]

``--reference`` also times the careful NumPy step (``bench/numpy_rbm.py``)
call by call in the same process, alternating with the framework's step:
every NumPy function it calls through ``np.`` and its generator's draws, by
function name and operand shapes (the in-place operators ``+=``/``*=`` are
not calls: they land in its "between the calls" line).
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


class _TimedNumpy:
    """Stands in for the ``np`` module inside ``numpy_rbm``: every function called through it is timed."""

    def __init__(self, times: collections.Counter, calls: collections.Counter, clock) -> None:
        self._times, self._calls, self._clock = times, calls, clock
        self._wrapped: dict = {}

    def __getattr__(self, name: str):
        obj = getattr(np, name)
        if not callable(obj) or isinstance(obj, type):
            return obj
        fn = self._wrapped.get(name)
        if fn is None:
            times, calls, clock = self._times, self._calls, self._clock

            def fn(*a, **k):
                label = f"{name}{_shapes(a)}"
                t0 = clock()
                out = obj(*a, **k)
                times[label] += clock() - t0
                calls[label] += 1
                return out
            self._wrapped[name] = fn
        return fn


def _shapes(args) -> str:
    return "(" + ", ".join("x".join(map(str, a.shape)) if isinstance(a, np.ndarray) and a.ndim else
                           type(a).__name__ if not isinstance(a, np.ndarray) else "0-d" for a in args) + ")"


class _TimedGenerator:
    """The reference's Generator, its ``random`` draws timed."""

    def __init__(self, gen, times: collections.Counter, calls: collections.Counter, clock) -> None:
        self._gen, self._times, self._calls, self._clock = gen, times, calls, clock

    def random(self, *a, **k):
        out = k.get("out")
        label = f"Generator.random({'x'.join(map(str, out.shape)) if out is not None else ''})"
        t0 = self._clock()
        r = self._gen.random(*a, **k)
        self._times[label] += self._clock() - t0
        self._calls[label] += 1
        return r

    @property
    def bit_generator(self):
        """The generator's own bit generator (the contract reference saves its state, advances it)."""
        return self._gen.bit_generator


def profile_reference(b, persistent: bool, k: int, steps: int, timer: float, contract: bool = False) -> None:
    """Time the careful NumPy step (``contract``: the contract reference) call by call (see the
    module's docstring)."""
    import numpy_rbm

    times: collections.Counter = collections.Counter()
    calls: collections.Counter = collections.Counter()
    clock = time.perf_counter
    data = b.make_data()
    plain = b.build_numpy_step(data, persistent, k, contract=contract)
    model = numpy_rbm.NumpyRBM(b.N_VISIBLE, b.N_HIDDEN, b.BATCH, "float32", persistent=persistent,
                               generator=b.GENERATOR, contract=contract)
    model.gen = _TimedGenerator(model.gen, times, calls, clock)
    batches = len(data) // b.BATCH

    def profiled(i: int) -> None:
        j = i % batches
        real, numpy_rbm.np = numpy_rbm.np, _TimedNumpy(times, calls, clock)
        try:
            model.step(data[j * b.BATCH:(j + 1) * b.BATCH], lr=0.1, k=k)
        finally:
            numpy_rbm.np = real

    for i in range(3):
        plain(i)
        profiled(i)
    times.clear()
    calls.clear()
    t0 = time.perf_counter()
    for i in range(steps):
        plain(i % 50)
    total = (time.perf_counter() - t0) / steps
    for i in range(steps):
        profiled(i % 50)
    per_call = {lab: (t - calls[lab] * timer) / steps for lab, t in times.items()}
    print(f"\n{'contract ' if contract else ''}reference (bench/numpy_rbm.py) step: {total * 1e3:.3f} ms (without timers)")
    print(f"{'NumPy call (operand shapes)':70s} {'ms/step':>8s} {'calls/step':>10s}")
    for label, t in sorted(per_call.items(), key=lambda kv: -kv[1]):
        print(f"{label[:70]:70s} {t * 1e3:8.3f} {calls[label] / steps:10.1f}")
    timed = sum(per_call.values())
    print(f"calls {timed * 1e3:.3f} ms ({sum(calls.values()) / steps:.0f} calls); between the calls (in-place "
          f"operators, Python) {(total - timed) * 1e3:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cd1", action="store_true", help="profile CD-1 instead of PCD-15")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--threads", default=_threads.THREADS)
    parser.add_argument("--reference", action="store_true",
                        help="also time the careful NumPy reference call by call, in the same process")
    parser.add_argument("--contract", action="store_true",
                        help="with --reference: time the contract reference (numpy_rbm.ContractRBM) instead")
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
    if args.reference:
        profile_reference(b, persistent, k, args.steps, timer, contract=args.contract)


if __name__ == "__main__":
    main()

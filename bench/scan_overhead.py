"""Per-step overhead of scan against a Python loop doing the same NumPy operation.

The body is ``x + 1`` on a float64 scalar, run for 10,000 steps (CPU backend,
FAST_RUN), in two forms:

* **all steps**: ``scan(lambda v: v + 1, outputs_info=x, n_steps=10000)``
  returning every step, against a Python loop ``v = numpy.add(v, 1);
  out[t] = v`` writing into a preallocated array;
* **last step**: the same scan returning ``result[-1]`` (the memory rewrite
  keeps one step), against the loop without the array.

The reference loops call ``numpy.add`` -- the operation the compiled body
runs. A loop on NumPy *scalars* with the ``+`` operator is faster still (it
skips the ufunc machinery); it is printed too, for context.

Times are medians over batches, framework and NumPy timed alternately in one
process; the NumPy loops are also timed alone in a fresh subprocess and the
worse ratio is reported (see ``_timing.py``).

    python bench/scan_overhead.py              # table
    python bench/scan_overhead.py --json       # and one JSON line
    python bench/scan_overhead.py --numpy-only # the references alone, JSON (used internally)
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import alternate, cpu_model, run_alone  # noqa: E402

STEPS = 10_000
CALLS, REPEATS = 1, 15


def numpy_cases():
    """The reference loops (each returns what the matching compiled function returns)."""
    x0 = np.asarray(0.0)
    add = np.add

    def all_steps():
        out = np.empty(STEPS)
        v = x0
        for t in range(STEPS):
            v = add(v, 1)
            out[t] = v
        return out

    def last_step():
        v = x0
        for _ in range(STEPS):
            v = add(v, 1)
        return v

    def scalar_operator():
        v = np.float64(0.0)
        for _ in range(STEPS):
            v = v + 1
        return v

    return {"all steps": all_steps, "last step": last_step, "scalar +": scalar_operator}


def framework_cases():
    import framework.tensor as T
    from framework import function
    from framework.scan_module import scan

    x = T.dscalar("x")
    result, updates = scan(lambda v: v + 1, outputs_info=x, n_steps=STEPS)
    f_all = function([x], result, updates=updates)
    f_last = function([x], result[-1], updates=updates)
    assert f_all(0.0)[-1] == STEPS and f_last(0.0) == STEPS
    x0 = np.asarray(0.0)
    return {"all steps": lambda: f_all(x0), "last step": lambda: f_last(x0)}


def main() -> None:
    if "--numpy-only" in sys.argv:
        print(json.dumps(alternate(numpy_cases(), CALLS, REPEATS)))
        return
    ref = numpy_cases()
    fw = framework_cases()
    fns = {f"scan {k}": v for k, v in fw.items()}
    fns.update({f"numpy {k}": v for k, v in ref.items()})
    together = alternate(fns, CALLS, REPEATS)
    alone = run_alone(__file__, ["--numpy-only"])
    rows = []
    for case in fw:
        s = together[f"scan {case}"]
        n_together, n_alone = together[f"numpy {case}"], alone[case]
        n = min(n_together, n_alone)  # the faster reference gives the worse ratio
        rows.append({"case": case, "scan_ns_per_step": s / STEPS * 1e9, "numpy_ns_per_step": n / STEPS * 1e9,
                     "ratio": s / n, "overhead_ns_per_step": (s - n) / STEPS * 1e9})
    scalar = min(together["numpy scalar +"], alone["scalar +"]) / STEPS * 1e9
    print(f"scan per-step overhead: body x + 1 on a float64 scalar, {STEPS} steps ({cpu_model()})")
    print(f"{'case':<12}{'scan ns/step':>14}{'numpy.add loop':>16}{'ratio':>8}{'overhead ns':>13}")
    for r in rows:
        print(f"{r['case']:<12}{r['scan_ns_per_step']:>14.0f}{r['numpy_ns_per_step']:>16.0f}"
              f"{r['ratio']:>8.2f}{r['overhead_ns_per_step']:>13.0f}")
    print(f"(for context: a loop of NumPy-scalar `v + 1` takes {scalar:.0f} ns/step)")
    if "--json" in sys.argv:
        print(json.dumps({"rows": rows, "scalar_operator_ns_per_step": scalar, "cpu": cpu_model()}))


if __name__ == "__main__":
    main()

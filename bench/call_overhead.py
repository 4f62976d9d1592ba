"""Call overhead of a compiled function against the same work in plain NumPy.

Two cases, both with the default mode (FAST_RUN) on the CPU backend:

* ``f(x, y) = x + y`` on float64 scalars (0-d arrays in, a NumPy scalar out);
* the same with Python floats as arguments (converted by the input check),
  against ``numpy.add`` on Python floats;
* a 3-node graph ``exp(x * y) + x`` on float64 vectors of 16 elements
  (FAST_RUN fuses it into one node), and the same in FAST_COMPILE (3 nodes).

Goal (issue 2): at most 5 µs per call above the NumPy version. The median
per-call time is measured over batches of calls, alternating framework and
NumPy batches in one process; the NumPy reference is also timed alone in a
subprocess, and the worse of the two comparisons is reported.

    python bench/call_overhead.py            # prints a table (and JSON with --json)
    python bench/call_overhead.py --numpy-only   # the reference alone, JSON (used internally)
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import alternate, cpu_model, run_alone  # noqa: E402

CALLS, REPEATS = 500, 101


def numpy_cases():
    """The NumPy references and their arguments (the same values the framework gets)."""
    xs, ys = np.array(1.5), np.array(2.5)
    xv, yv = np.linspace(-1, 1, 16), np.linspace(0, 2, 16)

    def add(x, y):
        return x + y

    def three(x, y):
        return np.exp(x * y) + x

    return {"scalar add": (add, (xs, ys)), "add, Py floats": (np.add, (1.5, 2.5)),
            "3-node graph": (three, (xv, yv)), "3-node unfused": (three, (xv, yv))}


def framework_cases():
    import framework.tensor as T
    from framework import function

    x, y = T.dscalars("x", "y")
    add = function([x, y], x + y)
    xv, yv = T.dvectors("xv", "yv")
    three = function([xv, yv], T.exp(xv * yv) + xv)
    unfused = function([xv, yv], T.exp(xv * yv) + xv, mode="FAST_COMPILE")
    fns = {"scalar add": add, "add, Py floats": add, "3-node graph": three, "3-node unfused": unfused}
    return fns, {name: len(f.maker.fgraph.toposort()) for name, f in fns.items()}


def numpy_alone() -> dict:
    timed = {name: (lambda fn=fn, a=args: fn(*a)) for name, (fn, args) in numpy_cases().items()}
    return alternate(timed, CALLS, REPEATS)


def main() -> int:
    if "--numpy-only" in sys.argv:
        print(json.dumps(numpy_alone()))
        return 0
    refs = numpy_cases()
    fns, nodes = framework_cases()
    timed = {}
    for name, (ref, args) in refs.items():
        np.testing.assert_allclose(fns[name](*args), ref(*args))
        timed[("framework", name)] = lambda f=fns[name], a=args: f(*a)
        timed[("numpy", name)] = lambda r=ref, a=args: r(*a)
    medians = alternate(timed, CALLS, REPEATS)  # every case in turn, batch by batch
    results = {name: {"framework": medians[("framework", name)], "numpy": medians[("numpy", name)]}
               for name in refs}
    alone = run_alone(os.path.abspath(__file__), ["--numpy-only"])
    rows = []
    for name, both in results.items():
        fw, np_same, np_alone = both["framework"], both["numpy"], alone[name]
        over = max(fw - np_same, fw - np_alone)
        ratio = max(fw / np_same, fw / np_alone)
        rows.append(dict(case=name, nodes=nodes[name], framework_us=fw * 1e6, numpy_same_process_us=np_same * 1e6,
                         numpy_alone_us=np_alone * 1e6, overhead_us=over * 1e6, ratio=ratio,
                         goal_met=over * 1e6 <= 5.0))
    print(f"CPU: {cpu_model()}; NumPy {np.__version__}; Python {sys.version.split()[0]}")
    print(f"{'case':<14} {'nodes':>5} {'framework':>11} {'numpy(same)':>12} {'numpy(alone)':>13} "
          f"{'overhead':>10} {'ratio':>6}  goal <= 5 us")
    for r in rows:
        print(f"{r['case']:<14} {r['nodes']:>5} {r['framework_us']:>9.2f}us {r['numpy_same_process_us']:>10.2f}us "
              f"{r['numpy_alone_us']:>11.2f}us {r['overhead_us']:>8.2f}us {r['ratio']:>6.2f}  "
              f"{'met' if r['goal_met'] else 'NOT met'}")
    if "--json" in sys.argv:
        print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What generating scan's steady-state steps buys: the generated steps against a generic Python loop.

Issue 18 made scan's loop a plain Python function and kept source generation
only for steps 1..T-1 (a call of the body, a buffer write per stored output, a
rename per carry). This measures, on the body of ``bench/scan_overhead.py``
(``x + 1`` on a float64 scalar, every step stored), the ns per step of:

* **generated**: the compiled function (the scan node's kernel as it is);
* **generic**: the same compiled body driven by a generic Python loop over the
  op's layout (argument list and carries rebuilt from the output list each
  step, a loop over the stored outputs) -- what the loop would be without
  the generated lines;
* **numpy.add**: the Python loop of ``bench/scan_overhead.py``'s reference.

Best of ``--repeats`` runs of 10,000 steps each, the three alternated.

    python bench/scan_loop_forms.py [--repeats 25]
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

STEPS = 10_000


def generic_loop(run, T, args, n_seqs, n_carry, carry_src, stored):
    """Steps 0..T-1 of a scan, written for any layout (what the generated lines replace)."""
    seqs = args[:n_seqs]
    bufs = None
    for t in range(T):
        if n_seqs:
            args[:n_seqs] = [q[t] for q in seqs]
        outs = run(*args)
        if bufs is None:
            bufs = [np.empty((T,) + np.shape(outs[k])) for k in stored]
        for buf, k in zip(bufs, stored):
            buf[t] = outs[k]
        args[n_seqs:n_seqs + n_carry] = [outs[k] for k in carry_src]
    return bufs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=25)
    args = parser.parse_args()
    import framework.tensor as T
    from framework import function
    from framework.core.scan import Scan
    from framework.scan_module import scan

    x = T.dscalar("x")
    result, _ = scan(lambda v: v + 1, outputs_info=x, n_steps=STEPS)
    f = function([x], result)
    (node,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    op = node.op
    run = op.compile_inner(f.maker.backend).run
    x0 = np.asarray(0.0)
    add = np.add

    def generated():
        return f(x0)

    def generic():
        return generic_loop(run, STEPS, [x0], op.n_seqs, op.n_rec + op.n_state, op.carry_outputs,
                            list(range(op.n_rec + op.n_nonrec)))

    def reference():
        out = np.empty(STEPS)
        v = x0
        for t in range(STEPS):
            v = add(v, 1)
            out[t] = v
        return out

    np.testing.assert_array_equal(generated(), generic()[0])
    best = {"generated": 1e9, "generic": 1e9, "numpy.add": 1e9}
    fns = {"generated": generated, "generic": generic, "numpy.add": reference}
    for _ in range(args.repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    ns = {k: v / STEPS * 1e9 for k, v in best.items()}
    for k, v in ns.items():
        print(f"{k:<10} {v:8.0f} ns/step   (+{v - ns['numpy.add']:.0f} over numpy.add)")
    print(json.dumps(ns))


if __name__ == "__main__":
    main()

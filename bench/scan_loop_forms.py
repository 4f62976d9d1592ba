"""Scan's per-step cost, best-of timing (steady on a loaded machine), and what generating its steps buys.

The body of ``bench/scan_overhead.py`` (``x + 1`` on a float64 scalar) for
``--steps`` steps, in these forms, alternated, each timed ``--repeats``
times and the **best** run kept (a median of runs, as scan_overhead.py
reports, moves by 2x between runs when other jobs share the machine):

* ``scan all`` / ``scan last``: the compiled functions returning every step /
  ``result[-1]`` (the loop's steps 1..T-1 are generated lines, issue 18);
* ``generic``: the same compiled body driven by a generic Python loop over the
  op's layout (argument list and carries rebuilt from the output list each
  step, a loop over the stored outputs) -- the loop without generated lines;
* ``numpy.add all`` / ``numpy.add last``: scan_overhead.py's reference loops;
* ``taps all`` / ``taps last``: an output with two taps, ``dict(initial=x0,
  taps=[-2, -1])`` on rows of 3 floats, body ``b - a`` (a shift register of two
  carries: docs/benchmarks.md, "Not within target: outputs with several
  taps"), against ``numpy taps all`` / ``numpy taps last``, the same loop with
  ``numpy.subtract``.

``--no-generic`` leaves out the generic loop, so the script also runs against
an older framework (an A/B of the loop: ``PYTHONPATH=<old tree> python
bench/scan_loop_forms.py --no-generic``).

    python bench/scan_loop_forms.py [--steps 2000] [--repeats 80] [--no-generic]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scan_overhead  # noqa: E402


def generic_loop(run, T, args, n_seqs, n_carry, carry_src, stored, single):
    """Steps 0..T-1 of a scan, written for any layout (what the generated lines replace)."""
    seqs = args[:n_seqs]
    bufs = None
    for t in range(T):
        if n_seqs:
            args[:n_seqs] = [q[t] for q in seqs]
        outs = run(*args)
        if single:
            outs = [outs]
        if bufs is None:
            bufs = [np.empty((T,) + np.shape(outs[k])) for k in stored]
        for buf, k in zip(bufs, stored):
            buf[t] = outs[k]
        args[n_seqs:n_seqs + n_carry] = [outs[k] for k in carry_src]
    return bufs


def taps_cases(steps):
    """The two-tap output's compiled functions and its NumPy reference loops."""
    import framework.tensor as T
    from framework import function
    from framework.scan_module import scan

    x0 = T.dmatrix("x0")
    result, _ = scan(lambda a, b: b - a, outputs_info=dict(initial=x0, taps=[-2, -1]), n_steps=steps)
    f_all, f_last = function([x0], result), function([x0], result[-1])
    v0, sub = np.arange(6.0).reshape(2, 3), np.subtract

    def numpy_all():
        out, a, b = np.empty((steps, 3)), v0[0], v0[1]
        for t in range(steps):
            a, b = b, sub(b, a)
            out[t] = b
        return out

    def numpy_last():
        a, b = v0[0], v0[1]
        for _ in range(steps):
            a, b = b, sub(b, a)
        return b

    np.testing.assert_array_equal(f_all(v0), numpy_all())
    return {"taps all": lambda: f_all(v0), "taps last": lambda: f_last(v0),
            "numpy taps all": numpy_all, "numpy taps last": numpy_last}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=80)
    parser.add_argument("--no-generic", action="store_true")
    args = parser.parse_args()
    import framework.tensor as T
    from framework import function
    from framework.core.scan import Scan
    from framework.scan_module import scan

    steps = args.steps
    x = T.dscalar("x")
    result, _ = scan(lambda v: v + 1, outputs_info=x, n_steps=steps)
    f_all, f_last = function([x], result), function([x], result[-1])
    x0 = np.asarray(0.0)
    scan_overhead.STEPS = steps  # its reference loops, for this many steps
    ref = scan_overhead.numpy_cases()
    fns = {"scan all": lambda: f_all(x0), "scan last": lambda: f_last(x0),
           "numpy.add all": ref["all steps"], "numpy.add last": ref["last step"], **taps_cases(steps)}
    if not args.no_generic:
        (node,) = [n for n in f_all.maker.fgraph.toposort() if isinstance(n.op, Scan)]
        op = node.op
        run = op.compile_inner(f_all.maker.backend).run

        def generic():
            return generic_loop(run, steps, [x0], op.n_seqs, op.n_rec + op.n_state, op.carry_outputs,
                                list(range(op.n_rec + op.n_nonrec)), len(op.inner.outputs) == 1)

        np.testing.assert_array_equal(f_all(x0), generic()[0])
        fns["generic"] = generic
    best = {name: 1e9 for name in fns}
    for _ in range(args.repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    ns = {k: v / steps * 1e9 for k, v in best.items()}
    over = {"scan all": ns["scan all"] - ns["numpy.add all"], "scan last": ns["scan last"] - ns["numpy.add last"],
            "taps all": ns["taps all"] - ns["numpy taps all"], "taps last": ns["taps last"] - ns["numpy taps last"]}
    if "generic" in ns:
        over["generic"] = ns["generic"] - ns["numpy.add all"]
    for k, v in ns.items():
        extra = f"   overhead {over[k]:+.0f} ns/step" if k in over else ""
        print(f"{k:<16}{v:8.0f} ns/step{extra}")
    print(json.dumps({"ns_per_step": ns, "overhead_ns_per_step": over}))


if __name__ == "__main__":
    main()

"""The RBM's CD-1 step with its one-step Gibbs chain as a scan, and inlined (``scan_inline_one_step``).

``bench/rbm_step.py``'s CD-1 training function (784-500, minibatches of 20,
float32) compiled twice in one process: in FAST_RUN, and in FAST_RUN plus the
opt-in rewrite ``scan_inline_one_step`` (the chain's body in the outer graph).
Rounds of ``--steps`` calls alternate between the two; the medians of the
rounds' ms per step are printed, and the best round's (steadier on a loaded machine). The two functions compute the same numbers
(checked on the first call from equal states).

    python bench/scan_inline.py [--rounds 9] [--steps 40]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _threads  # noqa: E402,F401  (pins BLAS threads before NumPy loads)

import rbm_step as b  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args()
    from framework import Mode

    data = b.make_data()
    steps = {"scan": b.build_framework_step(data, False, 1, mode=Mode("fast_run", excluding=["scan_inline_one_step"]))["step"],
             "inlined": b.build_framework_step(data, False, 1, mode=Mode("fast_run", including=["scan_inline_one_step"]))["step"]}
    first = {name: float(s(0)) for name, s in steps.items()}
    if first["scan"] != first["inlined"]:
        raise SystemExit(f"the two functions disagree: {first}")
    times = {name: [] for name in steps}
    for r in range(args.rounds):
        for name, s in steps.items():
            times[name].append(b.time_round(s, args.steps, 1 + r * args.steps))
    ms = {name: 1e3 * statistics.median(t) for name, t in times.items()}
    best = {name: 1e3 * min(t) for name, t in times.items()}
    print(f"CD-1 step, median of rounds: scan {ms['scan']:.3f} ms, inlined {ms['inlined']:.3f} ms "
          f"({ms['inlined'] - ms['scan']:+.3f} ms); best round: scan {best['scan']:.3f} ms, inlined "
          f"{best['inlined']:.3f} ms ({best['inlined'] - best['scan']:+.3f} ms)")
    print(json.dumps({"median_ms": ms, "best_ms": best}))


if __name__ == "__main__":
    main()

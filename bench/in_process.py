"""The compiled step against both NumPy references, timed in turn in one process (in-process protocol).

The in-process protocol of docs/benchmarks.md: the compiled step, the careful reference and the
contract reference, timed in turn in ONE process, block by block, for many rounds.

The scripts' own protocol (``rbm_step.py``, ``logreg.py``) also times the reference alone in fresh
interpreters, whose timings move by 5-10 % with where their arrays land; this one keeps all three
in one process so that differences of 1-3 % show. It reports each one's median and 10th
percentile per step and the framework's ratios to both references (issue 16: the goal is at
most 1.0 against the careful reference; the contract reference shows what the framework's
contract costs -- see "Eleventh session" in docs/benchmarks.md). The order within a round
alternates, so neither side always runs right after the other.

    python bench/in_process.py --step cd1               # CD-1, blocks of 20 steps, 150 rounds
    python bench/in_process.py --step pcd15 --block 2 --rounds 100
    python bench/in_process.py --step logreg --block 50 --rounds 400
    python bench/in_process.py --step all --json    # the three steps, then one JSON line (make bench)
"""
from __future__ import annotations

import _threads  # noqa: F401 - pins BLAS threads before NumPy loads

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from typing import Callable, Dict, List

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

DEFAULTS = {"pcd15": (2, 100), "cd1": (20, 150), "logreg": (50, 400)}  # (block, rounds)


def steps(which: str) -> Dict[str, Callable[[int], object]]:
    """The three steps of ``which``, each a function of the minibatch index."""
    if which == "logreg":
        import logreg

        x, y, w0 = logreg.data()
        train = logreg.compile_train(w0)[0]
        careful, contract = logreg.NumpyStep(w0), logreg.ContractStep(w0)
        return {"framework": lambda i: train(x, y), "careful": lambda i: careful(x, y),
                "contract": lambda i: contract(x, y)}
    import rbm_step

    data = rbm_step.make_data()
    persistent, k = (True, 15) if which == "pcd15" else (False, 1)
    return {"framework": rbm_step.build_framework_step(data, persistent, k)["step"],
            "careful": rbm_step.build_numpy_step(data, persistent, k),
            "contract": rbm_step.build_numpy_step(data, persistent, k, contract=True)}


def measure(fns: Dict[str, Callable[[int], object]], block: int, rounds: int) -> Dict[str, List[float]]:
    """Seconds per step of each function, one sample per block, the order reversed every round."""
    names = list(fns)
    for name in names:  # warm up: caches, allocator, the first calls' compilation
        for i in range(3 * block):
            fns[name](i % 50)
    samples: Dict[str, List[float]] = {name: [] for name in names}
    offset = 0
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            fn = fns[name]
            t0 = time.perf_counter()
            for i in range(block):
                fn((offset + i) % 50)
            samples[name].append((time.perf_counter() - t0) / block)
        offset += block
    return samples


def _p10(v: List[float]) -> float:
    return sorted(v)[int(0.1 * (len(v) - 1))]


def report(step: str, block: int, rounds: int, threads: str) -> Dict[str, float]:
    """Time ``step``'s three in one process; print them; return their medians and the ratios."""
    samples = measure(steps(step), block, rounds)
    unit, scale = ("us", 1e6) if step == "logreg" else ("ms", 1e3)
    print(f"{step}: {rounds} rounds of {block} steps each, in one process (BLAS threads {threads})")
    for name, v in samples.items():
        print(f"  {name:10s} median {statistics.median(v) * scale:9.3f} {unit}   10th percentile "
              f"{_p10(v) * scale:9.3f} {unit}")
    fw = samples["framework"]
    result = {f"{name}_s": statistics.median(v) for name, v in samples.items()}
    for ref in ("careful", "contract"):
        v = samples[ref]
        result[f"vs_{ref}"] = statistics.median(fw) / statistics.median(v)
        result[f"vs_{ref}_p10"] = _p10(fw) / _p10(v)
        print(f"  framework / {ref:8s} median {result[f'vs_{ref}']:.3f}   10th percentile {result[f'vs_{ref}_p10']:.3f}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", choices=sorted(DEFAULTS) + ["all"], default="cd1")
    parser.add_argument("--block", type=int, help="steps per timed block (default: pcd15 2, cd1 20, logreg 50)")
    parser.add_argument("--rounds", type=int, help="rounds of one block each (default: pcd15 100, cd1 150, logreg 400)")
    parser.add_argument("--threads", default=_threads.THREADS, help="BLAS threads for all three (default 1)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of every step's figures")
    args = parser.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)  # the careful logistic regression's log(0): its algebra
    np.seterr(all="ignore")
    results = {}
    for step in (sorted(DEFAULTS) if args.step == "all" else [args.step]):
        block, rounds = DEFAULTS[step]
        results[step] = report(step, args.block or block, args.rounds or rounds, args.threads)
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

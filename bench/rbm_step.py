"""One training step of the tutorial's RBM: this framework against hand-written NumPy.

The step is the deeplearning.net tutorial's ``train_rbm`` (784 visible, 500
hidden, minibatches of 20, float32), built with this API exactly as the
tutorial builds it: ``RBM.get_cost_updates(lr=0.1, persistent=chain, k=15)``
(PCD-15, pseudo-likelihood monitor) compiled with ``function([index], cost,
updates=updates, givens={x: train_set_x[index * 20:(index + 1) * 20]})``.
The reference is ``bench/numpy_rbm.py``: the same computation written by hand
as the fastest NumPy we know (in place, float32 throughout, Generator draws,
one GEMM for the gradient, a contiguous ``W.T``; see its docstring). The same
is measured for CD-1 (``persistent=None, k=1``, reconstruction monitor).

Timing: both run alternately in this process (rounds of ``--steps`` calls
each, the median per-step time of the rounds is kept), and the NumPy reference
also runs alone in a subprocess (so that neither can slow the other down
through caches, allocator or thread state). The ratio reported is the worse
of framework / NumPy-in-process and framework / NumPy-alone (the median of
three fresh processes: one process's timing depends on where its arrays
land). Also reported: the time to build the graph (``get_cost_updates``) and
to compile it (``function``).

``--contract`` also times ``bench/numpy_rbm.py``'s :class:`ContractRBM`, the
same step by hand held to the framework's contract (each draw checks ``p``,
the stacked gradient is guarded against overflow, the update is rounded as
written, ``W``'s old value is kept), in process and alone: the framework's
ratio to it says how much of the gap to the careful step that contract is.

``--both-alone`` also times the compiled step alone in fresh interpreters, as the reference's
alone column is: the reference alone is often 5-10 % faster than beside the framework, and the
framework alone gains as much (docs/benchmarks.md, "Twelfth session"), so the worse ratio's
alone column partly measures where a fresh process's arrays land rather than the code.

    python bench/rbm_step.py [--rounds 7] [--steps 20] [--markdown] [--draw-ahead] [--contract] [--both-alone]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _threads  # noqa: E402,F401  (pins BLAS threads before NumPy loads)

import numpy as np  # noqa: E402

from numpy_rbm import ContractRBM, NumpyRBM  # noqa: E402

N_VISIBLE, N_HIDDEN, BATCH, N_EXAMPLES = 784, 500, 20, 1000


def make_data(seed: int = 0, n: int = N_EXAMPLES) -> np.ndarray:
    """MNIST-shaped binary data (the values do not change the cost of a step)."""
    return (np.random.RandomState(seed).rand(n, N_VISIBLE) < 0.13).astype("float32")


def build_framework_step(data: np.ndarray, persistent: bool, k: int, batch: int = BATCH,
                         n_hidden: int = N_HIDDEN, mode: object = None) -> Dict[str, object]:
    """The tutorial's training function, built with this API; also times building and compiling."""
    import framework
    import framework.tensor as T
    from framework.models import RBM
    from framework.random import RandomStreams

    framework.config.floatX = "float32"
    index = T.lscalar()
    x = T.matrix("x")
    train_set_x = framework.shared(data, borrow=True)
    rng = np.random.RandomState(123)
    theano_rng = RandomStreams(rng.randint(2 ** 30))
    chain = framework.shared(np.zeros((batch, n_hidden), dtype="float32"), borrow=True) if persistent else None
    t0 = time.perf_counter()
    rbm = RBM(input=x, n_visible=N_VISIBLE, n_hidden=n_hidden, numpy_rng=rng, theano_rng=theano_rng)
    cost, updates = rbm.get_cost_updates(lr=0.1, persistent=chain, k=k)
    t1 = time.perf_counter()
    train_rbm = framework.function([index], cost, updates=updates, name="train_rbm", mode=mode,
                                   givens={x: train_set_x[index * batch:(index + 1) * batch]})
    t2 = time.perf_counter()
    return {"step": train_rbm, "build_s": t1 - t0, "compile_s": t2 - t1}


GENERATOR = os.environ.get("BENCH_REFERENCE_GENERATOR", "pcg64")  # or mt19937 (set by --reference-generator)


def build_numpy_step(data: np.ndarray, persistent: bool, k: int, batch: int = BATCH, n_hidden: int = N_HIDDEN,
                     contract: bool = False):
    """The careful reference's step (``contract``: :class:`ContractRBM`'s) over ``data``'s minibatches."""
    cls = ContractRBM if contract else NumpyRBM
    model = cls(N_VISIBLE, n_hidden, batch, "float32", persistent=persistent, generator=GENERATOR)
    batches = len(data) // batch

    def step(i: int) -> float:
        j = i % batches
        return model.step(data[j * batch:(j + 1) * batch], lr=0.1, k=k)

    return step


def time_round(step, steps: int, offset: int) -> float:
    """Seconds per step over ``steps`` consecutive calls of ``step(i)``, i in 0..49 (the minibatches
    of 1,000 examples at batch 20: a step built for another batch size must wrap ``i`` itself)."""
    start = time.perf_counter()
    for i in range(steps):
        step((offset + i) % (N_EXAMPLES // BATCH))
    return (time.perf_counter() - start) / steps


ALONE_PROCESSES = 3  # the reference alone: the median of this many fresh interpreters


def numpy_alone(persistent: bool, k: int, rounds: int, steps: int, contract: bool = False,
                framework: bool = False) -> float:
    """The NumPy reference timed alone, each time in a fresh interpreter of its own: the median over
    :data:`ALONE_PROCESSES` interpreters of each one's median seconds per step. One interpreter's
    timing depends on where its arrays land (up to 6-10 % between two processes of the same code
    on the machine of docs/benchmarks.md); the median of three is the reference's typical time,
    not its luckiest or unluckiest. ``framework``: the compiled step alone instead, the same way
    (``--both-alone``: each side in processes of its own, the comparison the issue's "alone"
    column makes for the reference only)."""
    code = (f"import sys; sys.path.insert(0, {HERE!r}); import rbm_step as b, json; "
            f"print(json.dumps(b._numpy_only({persistent!r}, {k}, {rounds}, {steps}, {contract!r}, "
            f"{framework!r})))")
    times = []
    for _ in range(ALONE_PROCESSES):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        times.append(float(json.loads(out.stdout.strip().splitlines()[-1])))
    return statistics.median(times)


def _numpy_only(persistent: bool, k: int, rounds: int, steps: int, contract: bool = False,
                framework: bool = False) -> float:
    data = make_data()
    if framework:
        step = build_framework_step(data, persistent, k)["step"]
    else:
        step = build_numpy_step(data, persistent, k, contract=contract)
    time_round(step, 2, 0)  # warm-up
    return statistics.median(time_round(step, steps, r * steps) for r in range(rounds))


def build_with_draw_ahead(data: np.ndarray, persistent: bool, k: int, batch: int = BATCH,
                          n_hidden: int = N_HIDDEN):
    """The same step with the ``draw_ahead`` rewrite on (the Bernoulli draws' uniforms on a helper
    thread; off by default, see plugins/rewrites/draw_ahead.py), warmed up: the scan body is
    rewritten at the first call, which must see the switch on."""
    import framework_rewrites.draw_ahead as da

    old, da.ENABLED = da.ENABLED, True
    try:
        step = build_framework_step(data, persistent, k, batch, n_hidden)["step"]
        time_round(step, 2, 0)
    finally:
        da.ENABLED = old
    return step


def measure(persistent: bool, k: int, rounds: int, steps: int, draw_ahead: bool = False,
            contract: bool = False, both_alone: bool = False) -> Dict[str, float]:
    data = make_data()
    built = build_framework_step(data, persistent, k)
    steps_by_name = {"framework": built["step"], "numpy": build_numpy_step(data, persistent, k)}
    if contract:
        steps_by_name["contract"] = build_numpy_step(data, persistent, k, contract=True)
    if draw_ahead:
        steps_by_name["framework_ahead"] = build_with_draw_ahead(data, persistent, k)
    for step in steps_by_name.values():
        time_round(step, 2, 0)  # warm-up (first call allocates)
    times: Dict[str, List[float]] = {name: [] for name in steps_by_name}
    for r in range(rounds):
        for name, step in steps_by_name.items():
            times[name].append(time_round(step, steps, r * steps))
    fw_ms = 1e3 * statistics.median(times["framework"])
    np_ms = 1e3 * statistics.median(times["numpy"])
    alone_ms = 1e3 * numpy_alone(persistent, k, rounds, steps)
    out = {"framework_ms": fw_ms, "numpy_ms": np_ms, "numpy_alone_ms": alone_ms,
           "ratio": fw_ms / np_ms, "ratio_alone": fw_ms / alone_ms,
           "worse_ratio": max(fw_ms / np_ms, fw_ms / alone_ms),
           "build_s": float(built["build_s"]), "compile_s": float(built["compile_s"])}
    if contract:
        con_ms = 1e3 * statistics.median(times["contract"])
        con_alone_ms = 1e3 * numpy_alone(persistent, k, rounds, steps, contract=True)
        out.update(contract_ms=con_ms, contract_alone_ms=con_alone_ms,
                   contract_worse_ratio=max(fw_ms / con_ms, fw_ms / con_alone_ms))
    if draw_ahead:
        ahead_ms = 1e3 * statistics.median(times["framework_ahead"])
        out.update(framework_ahead_ms=ahead_ms, ahead_worse_ratio=max(ahead_ms / np_ms, ahead_ms / alone_ms))
    if both_alone:
        fw_alone_ms = 1e3 * numpy_alone(persistent, k, rounds, steps, framework=True)
        out.update(framework_alone_ms=fw_alone_ms, ratio_both_alone=fw_alone_ms / alone_ms)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table row per case")
    parser.add_argument("--threads", default=_threads.THREADS, help="BLAS threads for both sides (default 1)")
    parser.add_argument("--reference-generator", choices=["pcg64", "mt19937"], default="pcg64",
                        help="bit generator of the NumPy reference's draws (default pcg64, NumPy's fastest and "
                             "what the framework's native RandomStreams draw with; mt19937 is what the Theano "
                             "compatibility layer's RandomStreams draw with)")
    parser.add_argument("--contract", action="store_true",
                        help="also time the reference held to the framework's contract (numpy_rbm.ContractRBM: "
                             "p checked, the stacked gradient guarded, the update rounded as written, W's old "
                             "value kept)")
    parser.add_argument("--draw-ahead", action="store_true",
                        help="also time the step with the draw_ahead rewrite on (uniforms on a helper thread)")
    parser.add_argument("--both-alone", action="store_true",
                        help="also time the compiled step alone in fresh interpreters, as the reference's alone "
                             "column is, and print the ratio of the two alone times")
    args = parser.parse_args()
    globals()["GENERATOR"] = os.environ["BENCH_REFERENCE_GENERATOR"] = args.reference_generator
    results = {}
    for label, persistent, k in (("PCD-15", True, 15), ("CD-1", False, 1)):
        steps = args.steps if k > 1 else args.steps * 5
        r = measure(persistent, k, args.rounds, steps, args.draw_ahead, args.contract, args.both_alone)
        results[label] = r
        print(f"{label}: framework {r['framework_ms']:.2f} ms/step, NumPy {r['numpy_ms']:.2f} ms/step "
              f"(alone in a subprocess: {r['numpy_alone_ms']:.2f}), ratio {r['ratio']:.3f} "
              f"(vs alone {r['ratio_alone']:.3f}; worse {r['worse_ratio']:.3f}); "
              f"graph built in {r['build_s'] * 1e3:.0f} ms, compiled in {r['compile_s'] * 1e3:.0f} ms")
        if args.contract:
            print(f"{label} against the reference held to the contract: {r['contract_ms']:.2f} ms/step "
                  f"(alone {r['contract_alone_ms']:.2f}), worse ratio {r['contract_worse_ratio']:.3f}")
        if args.draw_ahead:
            print(f"{label} with draw_ahead: framework {r['framework_ahead_ms']:.2f} ms/step, "
                  f"worse ratio {r['ahead_worse_ratio']:.3f}")
        if args.both_alone:
            print(f"{label} each alone in fresh interpreters: framework {r['framework_alone_ms']:.2f} ms/step, "
                  f"NumPy {r['numpy_alone_ms']:.2f} ms/step, ratio {r['ratio_both_alone']:.3f}")
    if args.markdown:
        print("\n| step | framework ms | NumPy ms (in process) | NumPy ms (alone) | ratio (worse) | build ms | compile ms |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for label, r in results.items():
            print(f"| {label} | {r['framework_ms']:.2f} | {r['numpy_ms']:.2f} | {r['numpy_alone_ms']:.2f} | "
                  f"{r['worse_ratio']:.3f} | {r['build_s'] * 1e3:.0f} | {r['compile_s'] * 1e3:.0f} |")
    print(json.dumps(results))


if __name__ == "__main__":
    main()

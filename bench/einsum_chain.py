"""An einsum chain with one thin dimension: T.einsum vs numpy.einsum.

``'ij,jk,kl->il'`` with ``A`` (400, 400), ``B`` (400, 2), ``C`` (2, 400)
float64. The order matters: ``(A B) C`` costs 2 * 400*400*2 multiply-adds,
``A (B C)`` 400*2*400 + 400^3. ``T.einsum`` plans the contraction with
``opt_einsum.contract_path`` (once per operand shapes, cached) and runs it
pairwise through BLAS; ``numpy.einsum(..., optimize=False)`` runs one
four-index loop; ``optimize=True`` plans at every call, then uses BLAS.

All are timed alternately in one process (median over batches); the NumPy
variants are also timed alone in a fresh subprocess, and the worse ratio is
reported.

    python bench/einsum_chain.py [--threads N]
    python bench/einsum_chain.py --numpy-only   # the references alone, JSON (used internally)
"""
from __future__ import annotations

import json
import os
import sys

import _threads  # noqa: E402,F401  (pins BLAS threads before NumPy loads)

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import alternate, cpu_model, run_alone  # noqa: E402

SPEC = "ij,jk,kl->il"
SHAPES = ((400, 400), (400, 2), (2, 400))
CALLS_PER_BATCH, REPEATS = 20, 31
SLOW_CALLS, SLOW_REPEATS = 1, 7  # the unplanned einsum takes a tenth of a second a call


def data():
    rng = np.random.RandomState(1234)
    return [rng.randn(*s) for s in SHAPES]


def numpy_fns(ops):
    return {
        "numpy_optimize_true": lambda: np.einsum(SPEC, *ops, optimize=True),
        "numpy_optimize_false": lambda: np.einsum(SPEC, *ops, optimize=False),
    }


def time_numpy(ops) -> dict:
    fns = numpy_fns(ops)
    out = alternate({"numpy_optimize_true": fns["numpy_optimize_true"]}, CALLS_PER_BATCH, REPEATS)
    out.update(alternate({"numpy_optimize_false": fns["numpy_optimize_false"]}, SLOW_CALLS, SLOW_REPEATS, warmup=1))
    return out


def main() -> int:
    ops = data()
    if "--numpy-only" in sys.argv:
        print(json.dumps(time_numpy(ops)))
        return 0
    import framework.tensor as T
    from framework import function

    a, b, c = T.dmatrix("a"), T.dmatrix("b"), T.dmatrix("c")
    f = function([a, b, c], T.einsum(SPEC, a, b, c))
    ref = np.einsum(SPEC, *ops, optimize=True)
    scale = np.abs(ref).max()  # sums of products in other orders differ by rounding
    np.testing.assert_allclose(f(*ops), ref, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(np.einsum(SPEC, *ops, optimize=False), ref, rtol=0, atol=1e-12 * scale)

    fns = numpy_fns(ops)
    fast = alternate({"framework": lambda: f(*ops), "numpy_optimize_true": fns["numpy_optimize_true"]},
                     CALLS_PER_BATCH, REPEATS)
    slow = alternate({"numpy_optimize_false": fns["numpy_optimize_false"]}, SLOW_CALLS, SLOW_REPEATS, warmup=1)
    alone = run_alone(os.path.abspath(__file__), ["--numpy-only"])
    fw = fast["framework"]
    r_true = max(fw / fast["numpy_optimize_true"], fw / alone["numpy_optimize_true"])
    speedup_false = min(slow["numpy_optimize_false"], alone["numpy_optimize_false"]) / fw
    print(f"CPU: {cpu_model()}; NumPy {np.__version__}; Python {sys.version.split()[0]}; BLAS threads {_threads.THREADS}")
    print(f"einsum '{SPEC}' with shapes {SHAPES}, float64 (medians)")
    print(f"  framework (T.einsum)           {fw * 1e6:10.1f} us")
    print(f"  numpy optimize=True, same      {fast['numpy_optimize_true'] * 1e6:10.1f} us")
    print(f"  numpy optimize=True, alone     {alone['numpy_optimize_true'] * 1e6:10.1f} us")
    print(f"  numpy optimize=False, same     {slow['numpy_optimize_false'] * 1e6:10.1f} us")
    print(f"  numpy optimize=False, alone    {alone['numpy_optimize_false'] * 1e6:10.1f} us")
    print(f"  worse ratio vs optimize=True   {r_true:.3f}")
    print(f"  speedup vs optimize=False      {speedup_false:.0f}x (the smaller of the two measurements)")
    if "--json" in sys.argv:
        print(json.dumps(dict(framework_us=fw * 1e6, ratio_vs_optimize_true=r_true,
                              speedup_vs_optimize_false=speedup_false,
                              numpy_true_same_us=fast["numpy_optimize_true"] * 1e6,
                              numpy_true_alone_us=alone["numpy_optimize_true"] * 1e6,
                              numpy_false_same_us=slow["numpy_optimize_false"] * 1e6,
                              numpy_false_alone_us=alone["numpy_optimize_false"] * 1e6)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

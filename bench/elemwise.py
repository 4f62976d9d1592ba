"""An element-wise-heavy expression on 10^6 floats: FAST_RUN vs FAST_COMPILE vs NumPy.

The logistic cross-entropy with an L2 penalty, written as a user would::

    p = sigmoid(z)
    loss = mean(-t*log(p) - (1-t)*log(1-p)) + lam * sum(w**2)

for logits ``z``, targets ``t`` and weights ``w`` of 10^6 float64 each. The
NumPy reference is the same formula written as the fastest NumPy we know
(two buffers allocated once, every ufunc in place, ``sum(w**2)`` as a dot). FAST_COMPILE runs the graph as written; FAST_RUN
rewrites it (the cross-entropy is computed from the logits, ``sum(w**2)``
becomes ``dot(w, w)``, the element-wise chain is fused into one kernel that
reuses its buffers). Goal: FAST_RUN at most 1.0x the NumPy code.

All three are timed alternately in one process (median over batches); the
NumPy code is also timed alone in a fresh subprocess, and the worse ratio is
reported.

    python bench/elemwise.py [--threads N]
    python bench/elemwise.py --numpy-only   # the reference alone, JSON (used internally)
"""
from __future__ import annotations

import json
import os
import sys
import time

import _threads  # noqa: E402,F401  (pins BLAS threads before NumPy loads)

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import alternate, cpu_model, run_alone  # noqa: E402

N, LAM = 10 ** 6, 0.01
CALLS_PER_BATCH, REPEATS = 5, 61


def data():
    rng = np.random.RandomState(1234)
    z = rng.randn(N) * 3.0
    t = (rng.rand(N) > 0.5).astype("float64")
    w = rng.randn(N) * 0.1
    return z, t, w


_BUF = {}


def numpy_loss(z: np.ndarray, t: np.ndarray, w: np.ndarray) -> float:
    """The same formula written as the fastest NumPy we know: two buffers allocated once,
    every ufunc in place, ``log(1 - p)`` from the one buffer, ``sum(w**2)`` as a dot."""
    p = _BUF.get("p")
    if p is None or p.shape != z.shape:
        p = _BUF["p"] = np.empty_like(z)
        _BUF["q"] = np.empty_like(z)
    q = _BUF["q"]
    np.negative(z, out=p)
    np.exp(p, out=p)
    p += 1
    np.reciprocal(p, out=p)  # p = sigmoid(z)
    np.subtract(1, p, out=q)
    np.log(q, out=q)  # log(1 - p)
    np.log(p, out=p)  # log(p)
    # -t*log(p) - (1-t)*log(1-p) = -(log(1-p) + t*(log(p) - log(1-p)))
    p -= q
    p *= t
    p += q
    return -float(p.mean()) + LAM * float(np.dot(w, w))


def compile_loss(mode: str):
    import framework.tensor as T
    from framework import function

    z, t, w = T.dvector("z"), T.dvector("t"), T.dvector("w")
    p = T.nnet.sigmoid(z)
    loss = T.mean(-t * T.log(p) - (1 - t) * T.log(1 - p)) + LAM * T.sum(w ** 2)
    t0 = time.perf_counter()
    f = function([z, t, w], loss, mode=mode)
    return f, time.perf_counter() - t0


def numpy_alone() -> dict:
    z, t, w = data()
    return alternate({"numpy": lambda: numpy_loss(z, t, w)}, CALLS_PER_BATCH, REPEATS)


def main() -> int:
    if "--numpy-only" in sys.argv:
        print(json.dumps(numpy_alone()))
        return 0
    z, t, w = data()
    _, first_compile = compile_loss("FAST_RUN")  # the first compile also loads the plugins
    fast_run, compile_run = compile_loss("FAST_RUN")
    fast_compile, compile_compile = compile_loss("FAST_COMPILE")
    ref = numpy_loss(z, t, w)
    for f in (fast_run, fast_compile):
        np.testing.assert_allclose(f(z, t, w), ref, rtol=1e-12)

    both = alternate({"fast_run": lambda: fast_run(z, t, w), "fast_compile": lambda: fast_compile(z, t, w),
                      "numpy": lambda: numpy_loss(z, t, w)}, CALLS_PER_BATCH, REPEATS)
    alone = run_alone(os.path.abspath(__file__), ["--numpy-only"])["numpy"]
    np_same = both["numpy"]
    rows = {}
    for name in ("fast_run", "fast_compile"):
        rows[name] = (both[name], both[name] / np_same, both[name] / alone, max(both[name] / np_same, both[name] / alone))
    nodes = [str(n.op) for n in fast_run.maker.fgraph.toposort()]
    print(f"CPU: {cpu_model()}; NumPy {np.__version__}; Python {sys.version.split()[0]}; BLAS threads {_threads.THREADS}")
    print(f"logistic cross-entropy + L2 on {N:,} float64 (median of {REPEATS} batches of {CALLS_PER_BATCH} calls)")
    print(f"  numpy, same process  {np_same * 1e3:8.2f} ms")
    print(f"  numpy, alone         {alone * 1e3:8.2f} ms")
    for name, (secs, r_same, r_alone, worse) in rows.items():
        print(f"  {name:<20} {secs * 1e3:8.2f} ms   ratio {r_same:.3f} (same process), {r_alone:.3f} (alone): "
              f"worse {worse:.3f}")
    worse = rows["fast_run"][3]
    print(f"  FAST_RUN goal <= 1.0x NumPy: {'met' if worse <= 1.0 else 'NOT met'} ({worse:.3f})")
    print(f"  FAST_RUN graph: {nodes}")
    print(f"compile: FAST_RUN {compile_run * 1e3:.1f} ms, FAST_COMPILE {compile_compile * 1e3:.1f} ms "
          f"(the first compile in the process, loading the plugins: {first_compile * 1e3:.1f} ms)")
    if "--json" in sys.argv:
        print(json.dumps(dict(numpy_same_ms=np_same * 1e3, numpy_alone_ms=alone * 1e3,
                              **{f"{k}_ms": v[0] * 1e3 for k, v in rows.items()},
                              **{f"{k}_ratio": v[3] for k, v in rows.items()})))
    return 0


if __name__ == "__main__":
    sys.exit(main())

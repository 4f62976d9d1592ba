"""The contractive autoencoder's training step (deeplearning.net ``cA.py``): framework vs hand-written NumPy.

784 visible, 500 hidden, minibatches of 20, float32, contraction level 0.1,
learning rate 0.01, tied weights. The cost is the tutorial's: the
reconstruction cross-entropy plus ``contraction_level * mean(sum(J ** 2) //
batch)`` with the Jacobian ``J = reshape(h * (1 - h), (B, 1, H)) * reshape(W,
(1, V, H))`` -- a B x V x H tensor (7.8 million elements) -- and the gradient
is ``T.grad`` of it.

The NumPy reference is the same step written by hand, as fast as we can write
it while doing the same work: float32, in place, and the Jacobian penalty's
value and gradient built from the B x V x H tensor as the tutorial's formula
says (``J`` once, squared in place; its gradient ``2 J`` contracted with
``h(1-h)`` and ``W``). A second reference, "NumPy, factored", derives the
penalty and its gradient by hand from ``sum_i (a_bj W_ij)^2 = a_bj^2 sum_i
W_ij^2`` (no B x V x H tensor at all): what a person who does the algebra
writes, and the floor for any compiler. PyTensor, when installed, runs the
tutorial's graph too (optional; skipped when missing).

    python bench/cae.py [--rounds 5] [--steps 5] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Callable, Dict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _threads  # noqa: E402,F401

import numpy as np  # noqa: E402

from _timing import alternate, cpu_model, run_alone  # noqa: E402

V, H, B, LEVEL, LR = 784, 500, 20, 0.1, 0.01


def init(seed: int = 123):
    rng = np.random.RandomState(seed)
    bound = 4 * np.sqrt(6.0 / (H + V))
    W = rng.uniform(-bound, bound, (V, H)).astype("float32")
    data = (np.random.RandomState(0).rand(200, V) < 0.13).astype("float32")
    return W, np.zeros(H, "float32"), np.zeros(V, "float32"), data


def framework_step(T_mod: str = "framework") -> Callable[[int], float]:
    """The tutorial's cA graph in this API (or PyTensor's, with ``T_mod='pytensor'``)."""
    if T_mod == "pytensor":
        import pytensor as fw
        import pytensor.tensor as T
        sigmoid = T.sigmoid
        fw.config.floatX = "float32"
    else:
        import framework as fw
        import framework.tensor as T
        sigmoid = T.nnet.sigmoid
        fw.config.floatX = "float32"
    W0, b0, bp0, data = init()
    W, b, bp = fw.shared(W0.copy(), name="W"), fw.shared(b0.copy(), name="b"), fw.shared(bp0.copy(), name="b_prime")
    x = T.matrix("x")
    y = sigmoid(T.dot(x, W) + b)
    z = sigmoid(T.dot(y, W.T) + bp)
    J = T.reshape(y * (1 - y), (B, 1, H)) * T.reshape(W, (1, V, H))
    L_rec = -T.sum(x * T.log(z) + (1 - x) * T.log(1 - z), axis=1)
    L_jacob = T.sum(J ** 2) / B  # the tutorial writes //, whose gradient is zero: see the docstring
    cost = T.mean(L_rec) + LEVEL * T.mean(L_jacob)
    params = [W, b, bp]
    grads = T.grad(cost, params)
    updates = [(p, p - np.float32(LR) * g) for p, g in zip(params, grads)]
    t0 = time.perf_counter()
    f = fw.function([x], cost, updates=updates)
    n = len(data) // B
    step = lambda i: f(data[(i % n) * B:(i % n + 1) * B])  # noqa: E731
    t1 = time.perf_counter()
    step.first_cost = float(step(0))  # PyTensor's Numba backend compiles at the first call
    step.compile_s, step.first_call_s = t1 - t0, time.perf_counter() - t1
    return step


class NumpyCAE:
    """The same step by hand; ``factored`` uses the algebra instead of the B x V x H tensor."""

    def __init__(self, factored: bool) -> None:
        self.W, self.b, self.bp, self.data = init()
        self.factored = factored
        f = "float32"
        self.y, self.a = np.empty((B, H), f), np.empty((B, H), f)
        self.z, self.dz = np.empty((B, V), f), np.empty((B, V), f)
        self.J = None if factored else np.empty((B, V, H), f)
        self.gW = np.empty((V, H), f)

    def step(self, i: int) -> float:
        n = len(self.data) // B
        x = self.data[(i % n) * B:(i % n + 1) * B]
        W, b, bp, y, a, z = self.W, self.b, self.bp, self.y, self.a, self.z
        np.matmul(x, W, out=y)
        y += b
        np.negative(y, out=y); np.exp(y, out=y); y += 1; np.reciprocal(y, out=y)  # noqa: E702
        np.copyto(z, np.matmul(W, y.T).T)  # y @ W.T as OpenBLAS runs it fastest in float32 (numpy_rbm.py)
        z += bp
        np.negative(z, out=z); np.exp(z, out=z); z += 1; np.reciprocal(z, out=z)  # noqa: E702
        np.subtract(1, y, out=a)
        a *= y  # a = h(1-h)
        with np.errstate(divide="ignore", invalid="ignore"):
            rec = -(x * np.log(z) + (1 - x) * np.log1p(-z)).sum(axis=1)
        c = np.float32(LEVEL / B)  # d cost / d sum(J^2) (the floor-division is constant within a step)
        if self.factored:
            w2 = np.einsum("ij,ij->j", W, W)  # sum_i W_ij^2
            a2 = np.einsum("bj,bj->j", a, a)  # sum_b a_bj^2
            pen = float(a2 @ w2)
            gA = a * w2  # d/da (times 2c): a_bj * sum_i W_ij^2
            gWdirect = W * a2  # d/dW directly: W_ij * sum_b a_bj^2
        else:
            J = self.J
            np.multiply(a[:, None, :], W[None, :, :], out=J)
            np.multiply(J, J, out=J)
            pen = float(J.sum())
            # gradient of sum(J^2): 2 J; J was squared in place, rebuild J (cheaper than a copy)
            np.multiply(a[:, None, :], W[None, :, :], out=J)
            gA = np.einsum("bij,ij->bj", J, W)
            gWdirect = np.einsum("bij,bj->ij", J, a)
        cost = float(rec.mean()) + LEVEL * (pen / B)
        # backward: reconstruction part
        dz = self.dz
        np.subtract(z, x, out=dz)
        dz /= B  # d mean(L_rec) / d pre-activation of z
        gbp = dz.sum(axis=0)
        dy = dz @ W  # through z = sigmoid(y W^T + bp)
        # penalty's path through a = y(1-y): da/dy = 1 - 2y
        dy += (2 * c) * gA * (1 - 2 * y)
        dy *= y * (1 - y)  # through y's sigmoid
        gb = dy.sum(axis=0)
        np.matmul(x.T, dy, out=self.gW)
        self.gW += dz.T @ y  # tied weights: z's use of W.T
        self.gW += (2 * c) * gWdirect
        self.gW *= np.float32(LR)
        W -= self.gW
        b -= np.float32(LR) * gb
        bp -= np.float32(LR) * gbp
        return cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--numpy-only", choices=["plain", "factored"], help=argparse.SUPPRESS)
    parser.add_argument("--threads", default=_threads.THREADS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.numpy_only:
        m = NumpyCAE(args.numpy_only == "factored")
        print(json.dumps(alternate({"ref": lambda: m.step(0)}, args.steps, args.rounds)))
        return
    fns = {"framework": framework_step(), "numpy": NumpyCAE(False).step, "numpy_factored": NumpyCAE(True).step}
    compile_s = fns["framework"].compile_s
    pt_info = ""
    try:
        import pytensor
    except ImportError:
        pytensor = None
    if pytensor is not None:
        fns["pytensor"] = framework_step("pytensor")
        from pytensor.compile.mode import get_default_mode
        pt_info = (f"PyTensor {pytensor.__version__} ({type(get_default_mode().linker).__name__}): compile "
                   f"{fns['pytensor'].compile_s:.1f} s + first call {fns['pytensor'].first_call_s:.1f} s")
    # every version starts from the same weights and takes the same first step: the costs must agree
    ref_cost = NumpyCAE(False).step(0)
    for k, f in fns.items():
        c = f.first_cost if hasattr(f, "first_cost") else f(0)
        if not np.isclose(c, ref_cost, rtol=1e-4):
            raise SystemExit(f"{k}'s first cost {c!r} differs from the NumPy reference's {ref_cost!r}")
    calls = {k: (lambda f=f: f(0)) for k, f in fns.items()}
    med = alternate(calls, args.steps, args.rounds, warmup=1)
    alone = {k: run_alone(__file__, ["--numpy-only", k2, "--rounds", str(args.rounds), "--steps", str(args.steps)])["ref"]
             for k, k2 in (("numpy", "plain"), ("numpy_factored", "factored"))}
    print(f"CAE step 784-500, batch 20, float32 ({cpu_model()}, BLAS threads {_threads.THREADS}); "
          f"framework compile {compile_s * 1e3:.0f} ms")
    for k, v in med.items():
        extra = f" (alone: {alone[k] * 1e3:.2f} ms)" if k in alone else ""
        print(f"  {k:16s} {v * 1e3:8.2f} ms{extra}  framework/this (worse): {med['framework'] / min(v, alone.get(k, v)):.2f}x")
    if "pytensor" not in med:
        print("  pytensor         not installed (optional)")
    else:
        print(f"  {pt_info}")
    if args.json:
        print(json.dumps({"ms": {k: v * 1e3 for k, v in med.items()}, "alone_ms": {k: v * 1e3 for k, v in alone.items()},
                          "compile_s": compile_s,
                          "pytensor": pt_info or None}))


if __name__ == "__main__":
    main()

"""The RBM PCD-15 training step on a GPU: this framework vs hand-written CuPy (and PyTorch).

What is timed (784 visible, 500 hidden, float32, lr 0.1, PCD-15 with a
persistent chain and the pseudo-likelihood monitor -- the deeplearning.net
tutorial's ``train_rbm``):

* ``framework``: the tutorial's code with this API, on ``device='cuda'``:
  ``RBM(...).get_cost_updates(lr=0.1, persistent=chain, k=15)`` compiled by
  ``function([index], cost, updates=..., givens={x: data[index*B:(index+1)*B]})``;
  also with ``--cuda-graphs`` (the Gibbs chain's scan replayed as a CUDA graph);
* ``cupy``: the same step written by hand with CuPy as carefully as we know
  how (:class:`CarefulCupyRBM`: ``bench/numpy_rbm.py``'s careful reference
  carried to the GPU -- buffers allocated once, GEMMs into them, bias +
  sigmoid + Bernoulli compare as one fused kernel per layer, one stacked GEMM
  for the weight update);
* ``torch``: the same, written by hand with PyTorch on the same GPU, where
  PyTorch with CUDA is installed.

Each returns the monitoring cost as a Python float per step (as the
tutorial's loop does), so every step ends with one device-to-host copy in all
three. Per batch size (20: launch-bound; 1000: compute-bound) the median of
``--rounds`` rounds of ``--steps`` steps is reported, after a warm-up; the
CuPy reference is also timed alone in a fresh process, and each ratio is the
worse of the two; then one
epoch of MNIST-shaped data (50,000 x 784, batch 20 by default). The goals (issue
6): framework <= 1.1x hand-written CuPy at batch 1000, <= 1.5x at batch 20.

Needs CuPy and an NVIDIA GPU; elsewhere it says so and exits with status 0
(so ``make bench`` passes on a machine without one), or 2 with ``--require-gpu``.

    python bench/gpu_rbm.py [--batches 20 1000] [--rounds 5] [--steps 20] [--epoch-batch 20]
                            [--no-epoch] [--cuda-graphs] [--markdown] [--json OUT] [--require-gpu]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List, Optional

import numpy as np

N_VISIBLE, N_HIDDEN, K, LR = 784, 500, 15, 0.1
EPOCH_EXAMPLES = 50_000


def make_data(n: int, seed: int = 0) -> np.ndarray:
    """MNIST-shaped binary data (the values do not change a step's cost)."""
    return (np.random.RandomState(seed).rand(n, N_VISIBLE) < 0.13).astype("float32")


# --- the three implementations ---------------------------------------------------------------

def framework_step(data: np.ndarray, batch: int, cuda_graphs: bool) -> Callable[[int], float]:
    import framework
    import framework.tensor as T
    from framework.core.backend import get_backend
    from framework.models import RBM
    from framework.random import RandomStreams

    framework.config.floatX = "float32"
    framework.config.device = "cuda"
    get_backend("cuda").cuda_graphs = cuda_graphs
    index = T.lscalar()
    x = T.matrix("x")
    train_set_x = framework.shared(data, borrow=True)
    rng = np.random.RandomState(123)
    theano_rng = RandomStreams(rng.randint(2 ** 30))
    chain = framework.shared(np.zeros((batch, N_HIDDEN), dtype="float32"), borrow=True)
    rbm = RBM(input=x, n_visible=N_VISIBLE, n_hidden=N_HIDDEN, numpy_rng=rng, theano_rng=theano_rng)
    cost, updates = rbm.get_cost_updates(lr=LR, persistent=chain, k=K)
    train = framework.function([index], cost, updates=updates, name="train_rbm",
                               givens={x: train_set_x[index * batch:(index + 1) * batch]})
    return lambda i: float(train(i))


_KERNELS: Dict[str, Any] = {}


def _kernels(cupy: Any) -> Dict[str, Any]:
    """The reference's fused element-wise kernels (built once): each reads its
    inputs and writes its outputs in one pass, as a person writing CuPy by hand
    for a launch-bound step would."""
    if not _KERNELS:
        ek = cupy.ElementwiseKernel
        # mean and Bernoulli sample of a layer from its pre-activation, bias and uniforms
        _KERNELS["sample"] = ek("float32 a, float32 b, float32 u", "float32 p, float32 s",
                                "p = 1.0f / (1.0f + expf(-(a + b))); s = u < p ? 1.0f : 0.0f;", "ref_sample")
        # the mean alone (the data's hidden means)
        _KERNELS["mean"] = ek("float32 a, float32 b", "float32 p", "p = 1.0f / (1.0f + expf(-(a + b)));", "ref_mean")
        # softplus(a + b), never overflowing
        _KERNELS["softplus"] = ek("float32 a, float32 b", "float32 y",
                                  "float t = a + b; y = fmaxf(t, 0.0f) + log1pf(expf(-fabsf(t)));", "ref_softplus")
    return _KERNELS


class CarefulCupyRBM:
    """bench/numpy_rbm.py's careful PCD-k step, written for the GPU by hand.

    What a person tuning this for CuPy writes: every buffer allocated once;
    cuBLAS GEMMs writing into them (``matmul(out=)``; cuBLAS takes ``W.T`` as a
    transposed operand at no cost, so no contiguous copy); the bias, sigmoid and
    Bernoulli compare of a layer as one fused kernel that writes both the mean
    and the 0/1 sample (float32, no cast pass); float32 uniforms from CuPy's
    cuRAND generator; the weight update as one GEMM of stacked operands
    (``[x; nv].T @ [c*ph; -c*nh]``) added to ``W``; the monitor's ``xi_flip @
    W`` as a full GEMM, as the tutorial writes it. ``uniforms(shape)`` may be
    given to feed chosen uniforms (the tests compare the algebra with the plain
    NumPy transcription that way).
    """

    def __init__(self, xp: Any, batch: int, seed: int = 123,
                 uniforms: Optional[Callable[[Any], Any]] = None) -> None:
        self.xp = xp
        r = np.random.RandomState(seed)
        bound = 4 * np.sqrt(6.0 / (N_HIDDEN + N_VISIBLE))
        f32 = np.float32
        self.W = xp.asarray(r.uniform(-bound, bound, size=(N_VISIBLE, N_HIDDEN)).astype(f32))
        self.hbias = xp.zeros(N_HIDDEN, dtype=f32)
        self.vbias = xp.zeros(N_VISIBLE, dtype=f32)
        self.bit = 0
        self.k = _kernels(xp)
        self.uniforms = uniforms or (lambda shape: xp.random.random(shape, dtype=f32))
        B, V, H = batch, N_VISIBLE, N_HIDDEN
        e = lambda *shape: xp.empty(shape, dtype=f32)  # noqa: E731
        self.chain, self.h_next = xp.zeros((B, H), dtype=f32), e(B, H)
        self.vis2, self.hid2 = e(2 * B, V), e(2 * B, H)  # [x; nv] and [c*ph; -c*nh]
        self.pre_v, self.mean_v, self.pre_h = e(B, V), e(B, V), e(B, H)
        self.xi, self.fe_h = e(B, V), e(B, H)
        self.gW = e(V, H)

    def _free_energy(self, v: Any) -> Any:
        xp = self.xp
        xp.matmul(v, self.W, out=self.fe_h)
        self.k["softplus"](self.fe_h, self.hbias, self.fe_h)
        return -(v @ self.vbias) - self.fe_h.sum(axis=1)

    def step(self, x: Any, lr: float = LR) -> float:
        xp, k = self.xp, self.k
        B = x.shape[0]
        W = self.W
        x_top, nv = self.vis2[:B], self.vis2[B:]
        ph, nh = self.hid2[:B], self.hid2[B:]
        x_top[...] = x
        xp.matmul(x, W, out=self.pre_h)
        k["mean"](self.pre_h, self.hbias, ph)
        h, h_next = self.chain, self.h_next
        for _ in range(K):
            xp.matmul(h, W.T, out=self.pre_v)
            k["sample"](self.pre_v, self.vbias, self.uniforms(self.pre_v.shape), self.mean_v, nv)
            xp.matmul(nv, W, out=self.pre_h)
            k["sample"](self.pre_h, self.hbias, self.uniforms(self.pre_h.shape), nh, h_next)
            h, h_next = h_next, h
        self.chain, self.h_next = h, h_next
        # pseudo-likelihood monitor, from the parameters before the update
        xi = self.xi
        xp.around(x, out=xi)
        fe_xi = self._free_energy(xi)
        xi[:, self.bit] = 1 - xi[:, self.bit]
        d = fe_xi - self._free_energy(xi)
        cost = xp.mean(N_VISIBLE * -(xp.maximum(d, 0) + xp.log1p(xp.exp(-xp.abs(d)))))
        self.bit = (self.bit + 1) % N_VISIBLE
        # updates: W += c * (x.T @ ph - nv.T @ nh), c = lr / batch, as one GEMM
        c = np.float32(lr / B)
        self.hbias += c * (ph.sum(axis=0) - nh.sum(axis=0))
        self.vbias += c * (x.sum(axis=0) - nv.sum(axis=0))
        ph *= c
        nh *= -c
        xp.matmul(self.vis2.T, self.hid2, out=self.gW)
        W += self.gW
        return float(cost)


def cupy_step(data: np.ndarray, batch: int) -> Callable[[int], float]:
    import cupy

    model = CarefulCupyRBM(cupy, batch)
    dev = cupy.asarray(data)
    return lambda i: model.step(dev[i * batch:(i + 1) * batch])


def torch_step(data: np.ndarray, batch: int) -> Optional[Callable[[int], float]]:
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    dev = torch.device("cuda")
    torch.manual_seed(123)
    r = np.random.RandomState(123)
    bound = 4 * np.sqrt(6.0 / (N_HIDDEN + N_VISIBLE))
    st = {"W": torch.tensor(r.uniform(-bound, bound, size=(N_VISIBLE, N_HIDDEN)).astype("float32"), device=dev),
          "hb": torch.zeros(N_HIDDEN, device=dev), "vb": torch.zeros(N_VISIBLE, device=dev),
          "chain": torch.zeros((batch, N_HIDDEN), device=dev), "bit": 0}
    X = torch.tensor(data, device=dev)
    F = torch.nn.functional

    def fe(v: Any) -> Any:
        return -(v @ st["vb"]) - F.softplus(v @ st["W"] + st["hb"]).sum(dim=1)

    def step(i: int) -> float:
        x = X[i * batch:(i + 1) * batch]
        W, hb, vb = st["W"], st["hb"], st["vb"]
        ph = torch.sigmoid(x @ W + hb)
        h = st["chain"]
        for _ in range(K):
            nv = (torch.rand_like(x) < torch.sigmoid(h @ W.T + vb)).float()
            nh = torch.sigmoid(nv @ W + hb)
            h = (torch.rand_like(nh) < nh).float()
        n = float(len(x))
        gW = (nv.T @ nh - x.T @ ph) / n
        ghb = (nh.sum(0) - ph.sum(0)) / n
        gvb = (nv.sum(0) - x.sum(0)) / n
        xi = torch.round(x)
        flip = xi.clone()
        flip[:, st["bit"]] = 1 - flip[:, st["bit"]]
        cost = torch.mean(N_VISIBLE * -F.softplus(fe(xi) - fe(flip)))
        st["bit"] = (st["bit"] + 1) % N_VISIBLE
        st["chain"] = h
        st["W"], st["hb"], st["vb"] = W - LR * gW, hb - LR * ghb, vb - LR * gvb
        return float(cost)

    return step


# --- timing -----------------------------------------------------------------------------------

def _sync() -> None:
    import cupy

    cupy.cuda.Device().synchronize()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()
    except ImportError:
        pass


def time_steps(step: Callable[[int], float], steps: int, n_batches: int, offset: int) -> float:
    _sync()
    t0 = time.perf_counter()
    for i in range(steps):
        step((offset + i) % n_batches)
    _sync()
    return (time.perf_counter() - t0) / steps


def measure(batch: int, rounds: int, steps: int, cuda_graphs: bool) -> Dict[str, float]:
    n_batches = max(10, 20_000 // batch)
    data = make_data(n_batches * batch)
    impls = {"framework": framework_step(data, batch, False), "cupy": cupy_step(data, batch)}
    if cuda_graphs:
        impls["framework+graphs"] = framework_step(data, batch, True)
    t = torch_step(data, batch)
    if t is not None:
        impls["torch"] = t
    for fn in impls.values():  # warm-up: compile kernels, capture graphs
        time_steps(fn, 3, n_batches, 0)
    times: Dict[str, List[float]] = {k: [] for k in impls}
    for r in range(rounds):
        for name, fn in impls.items():
            times[name].append(time_steps(fn, steps, n_batches, r * steps))
    out = {f"{k}_ms": 1e3 * statistics.median(v) for k, v in times.items()}
    out["cupy_alone_ms"] = cupy_alone(batch, rounds, steps)
    for k in impls:
        if k != "cupy":
            # the worse of the two ratios: against the reference here and alone in its own process
            out[f"{k}/cupy"] = out[f"{k}_ms"] / min(out["cupy_ms"], out["cupy_alone_ms"])
    return out


def cupy_alone(batch: int, rounds: int, steps: int) -> float:
    """The hand-written CuPy step's median ms, timed in a fresh process of its own (nothing
    else compiled or allocated on the device there)."""
    here = os.path.abspath(__file__)
    code = (f"import sys, json; sys.path.insert(0, {os.path.dirname(here)!r}); import gpu_rbm as b; "
            f"print(json.dumps(b.cupy_only({batch}, {rounds}, {steps})))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(json.loads(proc.stdout.strip().splitlines()[-1]))


def cupy_only(batch: int, rounds: int, steps: int) -> float:
    n_batches = max(10, 20_000 // batch)
    step = cupy_step(make_data(n_batches * batch), batch)
    time_steps(step, 3, n_batches, 0)
    return 1e3 * statistics.median(time_steps(step, steps, n_batches, r * steps) for r in range(rounds))


def epoch(batch: int, cuda_graphs: bool) -> Dict[str, float]:
    data = make_data(EPOCH_EXAMPLES)
    n = EPOCH_EXAMPLES // batch
    out = {}
    impls = {"framework": framework_step(data, batch, cuda_graphs), "cupy": cupy_step(data, batch)}
    t = torch_step(data, batch)
    if t is not None:
        impls["torch"] = t
    for name, fn in impls.items():
        time_steps(fn, 3, n, 0)
        out[f"{name}_epoch_s"] = time_steps(fn, n, n, 0) * n
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[20, 1000])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--epoch-batch", type=int, default=20)
    parser.add_argument("--no-epoch", action="store_true")
    parser.add_argument("--cuda-graphs", action="store_true", help="also time the framework with CUDA-graph scans")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--json", default=None, help="write the results to this file")
    parser.add_argument("--require-gpu", action="store_true", help="exit with status 2 when no GPU can be used")
    args = parser.parse_args()

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from framework_backend_cupy.availability import available

    if not available():
        print(f"bench/gpu_rbm.py skipped: it needs CuPy and an NVIDIA GPU ({available.reason()})", file=sys.stderr)
        return 2 if args.require_gpu else 0
    import cupy

    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.runtime.getDevice())
    name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    results: Dict[str, Any] = {"device": name, "date": time.strftime("%Y-%m-%d"), "cupy": cupy.__version__}
    print(f"device: {name}, CuPy {cupy.__version__}, {results['date']}")
    for b in args.batches:
        r = measure(b, args.rounds, args.steps, args.cuda_graphs)
        results[f"batch_{b}"] = r
        parts = ", ".join(f"{k} {v:.3f}" for k, v in r.items())
        print(f"PCD-15 batch {b}: {parts}")
        if args.markdown:
            cols = " | ".join(f"{r.get(k + '_ms', float('nan')):.2f}" for k in ("framework", "framework+graphs",
                                                                              "cupy", "torch"))
            print(f"| PCD-15, batch {b} | {cols} | {r['framework/cupy']:.2f}x |")
    if not args.no_epoch:
        e = epoch(args.epoch_batch, args.cuda_graphs)
        results[f"epoch_batch_{args.epoch_batch}"] = e
        print(f"one epoch ({EPOCH_EXAMPLES} examples, batch {args.epoch_batch}): "
              + ", ".join(f"{k} {v:.2f}" for k, v in e.items()))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

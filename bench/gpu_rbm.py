"""The RBM PCD-15 training step on a GPU: this framework vs hand-written CuPy (and PyTorch).

What is timed (784 visible, 500 hidden, float32, lr 0.1, PCD-15 with a
persistent chain and the pseudo-likelihood monitor -- the deeplearning.net
tutorial's ``train_rbm``):

* ``framework``: the tutorial's code with this API, on ``device='cuda'``:
  ``RBM(...).get_cost_updates(lr=0.1, persistent=chain, k=15)`` compiled by
  ``function([index], cost, updates=..., givens={x: data[index*B:(index+1)*B]})``;
  also with ``--cuda-graphs`` (the Gibbs chain's scan replayed as a CUDA graph);
* ``cupy``: the same step written by hand with CuPy (``bench/numpy_rbm.py``'s
  NumPy reference, line for line, on ``cupy``; Bernoulli samples as
  ``cupy.random.random < p``);
* ``torch``: the same, written by hand with PyTorch on the same GPU, where
  PyTorch with CUDA is installed.

Each returns the monitoring cost as a Python float per step (as the
tutorial's loop does), so every step ends with one device-to-host copy in all
three. Per batch size (20: launch-bound; 1000: compute-bound) the median of
``--rounds`` rounds of ``--steps`` steps is reported, after a warm-up; then one
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


class _HandRBM:
    """bench/numpy_rbm.py's step over an array namespace (CuPy here)."""

    def __init__(self, xp: Any, batch: int, seed: int = 123) -> None:
        self.xp = xp
        r = np.random.RandomState(seed)
        bound = 4 * np.sqrt(6.0 / (N_HIDDEN + N_VISIBLE))
        self.W = xp.asarray(r.uniform(-bound, bound, size=(N_VISIBLE, N_HIDDEN)).astype("float32"))
        self.hbias = xp.zeros(N_HIDDEN, dtype="float32")
        self.vbias = xp.zeros(N_VISIBLE, dtype="float32")
        self.chain = xp.zeros((batch, N_HIDDEN), dtype="float32")
        self.bit = 0

    def _sigmoid(self, x: Any) -> Any:
        return 1.0 / (1.0 + self.xp.exp(-x))

    def _softplus(self, x: Any) -> Any:
        return self.xp.logaddexp(0, x)

    def _bernoulli(self, p: Any) -> Any:
        return (self.xp.random.random(p.shape, dtype="float32") < p).astype("float32")

    def free_energy(self, v: Any) -> Any:
        return -(v @ self.vbias) - self._softplus(v @ self.W + self.hbias).sum(axis=1)

    def step(self, x: Any) -> float:
        W, hb, vb = self.W, self.hbias, self.vbias
        ph_mean = self._sigmoid(x @ W + hb)
        h = self.chain
        for _ in range(K):
            nv = self._bernoulli(self._sigmoid(h @ W.T + vb))
            nh_mean = self._sigmoid(nv @ W + hb)
            h = self._bernoulli(nh_mean)
        n = np.float32(len(x))
        gW = (nv.T @ nh_mean - x.T @ ph_mean) / n
        ghb = (nh_mean.sum(axis=0) - ph_mean.sum(axis=0)) / n
        gvb = (nv.sum(axis=0) - x.sum(axis=0)) / n
        xi = self.xp.round(x)
        fe = self.free_energy(xi)
        flip = xi.copy()
        flip[:, self.bit] = 1 - flip[:, self.bit]
        cost = self.xp.mean(N_VISIBLE * -self._softplus(fe - self.free_energy(flip)))
        self.bit = (self.bit + 1) % N_VISIBLE
        self.chain = h
        self.W = W - np.float32(LR) * gW
        self.hbias = hb - np.float32(LR) * ghb
        self.vbias = vb - np.float32(LR) * gvb
        return float(cost)


def cupy_step(data: np.ndarray, batch: int) -> Callable[[int], float]:
    import cupy

    model = _HandRBM(cupy, batch)
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
    for k in impls:
        if k != "cupy":
            out[f"{k}/cupy"] = out[f"{k}_ms"] / out["cupy_ms"]
    return out


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

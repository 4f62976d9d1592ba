"""LeNet's training step and conv2d's forward pass: framework vs PyTorch (CPU) vs PyTensor vs NumPy im2col.

The tutorial's LeNet: 20 then 50 filters of 5x5, 2x2 max pooling, tanh, a
500-unit tanh layer and a 10-way softmax; float32, a minibatch of 500
images of 1x28x28, one SGD step (forward, gradients of every parameter,
update). Three implementations do exactly that work:

* ``framework``: the conv plugin's LeNet compiled with ``function``;
* ``numpy``: the fastest hand-written NumPy version we know: the same
  algorithm as the plugin's kernels, inlined (im2col and col2im as one
  strided copy / add per filter tap in a batch-innermost layout, one GEMM
  per layer and per gradient, pooling as in-place maxima of strided views);
* ``torch``: ``torch.nn.functional`` on the CPU (skipped cleanly when
  PyTorch is not installed; it is only an optional benchmark dependency);
* ``pytensor``: PyTensor's ``pytensor.tensor.conv.conv2d`` (its abstract
  convolution: the C im2col + GEMM ``CorrMM`` when PyTensor links a BLAS,
  its Python ``perform`` otherwise), the same LeNet with shared
  variables and SGD updates (skipped cleanly when PyTensor, or a PyTensor
  that still has ``pytensor.tensor.conv`` -- 2.30.3 has it, 2.38.3 and 3.x
  do not -- is not installed). Max pooling: ``pytensor.tensor.signal.pool.pool_2d`` where it
  exists, otherwise (every recent PyTensor) a reshape and a max over the two
  2x2 window axes, exact for non-overlapping 2x2 pools.

Also timed: conv2d's forward pass alone on each layer's shapes.
Each comparison is timed *interleaved* in one process (batch by batch, in
turn) and each implementation *alone* in a fresh process; every figure is
the best of ``--repeats`` batches (the machine is shared: the best is the
least disturbed). BLAS and PyTorch use ``--threads`` threads (default 1,
see _threads.py).

    python bench/lenet.py [--repeats 7] [--threads 1]
    python bench/lenet.py --only torch       # one implementation alone, JSON (used internally)
"""
from __future__ import annotations

import _threads  # noqa: F401  -- pins BLAS threads before NumPy loads

import json
import os
import subprocess
import sys
import time
from typing import Callable, Dict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import cpu_model, per_call_seconds  # noqa: E402

BATCH, IMAGE, NKERNS, K, HIDDEN, CLASSES, LR = 500, 28, (20, 50), 5, 500, 10, np.float32(0.1)
CONV_SHAPES = {"conv1": ((BATCH, 1, 28, 28), (20, 1, 5, 5)), "conv2": ((BATCH, 20, 12, 12), (50, 20, 5, 5))}


def data():
    r = np.random.RandomState(0)
    return r.rand(BATCH, 1, IMAGE, IMAGE).astype("float32"), r.randint(0, CLASSES, BATCH).astype("int64")


def initial_params():
    r = np.random.RandomState(1)
    shapes = [(20, 1, 5, 5), (20,), (50, 20, 5, 5), (50,), (50 * 4 * 4, HIDDEN), (HIDDEN,), (HIDDEN, CLASSES),
              (CLASSES,)]
    return [(r.uniform(-0.1, 0.1, s) if len(s) > 1 else np.zeros(s)).astype("float32") for s in shapes]


# --- framework ------------------------------------------------------------------

def framework_step(x0, y0):
    import framework.tensor as T
    from framework import function
    from framework_conv import LeNet

    model = LeNet(T.tensor4("x", dtype="float32"), dtype="float32")
    for p, v in zip(model.params, initial_params()):
        p.set_value(v)
    y = T.lvector("y")
    cost = model.cost(y)
    updates = [(p, p - LR * g) for p, g in zip(model.params, T.grad(cost, model.params))]
    f = function([model.input, y], cost, updates=updates)
    return lambda: f(x0, y0)


def framework_conv(x_shape, w_shape):
    import framework.tensor as T
    from framework import function
    from framework_conv import conv2d

    r = np.random.RandomState(2)
    xv, wv = r.rand(*x_shape).astype("float32"), r.rand(*w_shape).astype("float32")
    x, w = T.tensor4("x", dtype="float32"), T.tensor4("w", dtype="float32")
    f = function([x, w], conv2d(x, w))
    return lambda: f(xv, wv)


# --- hand-written NumPy -----------------------------------------------------------

def im2col(x, k):
    """(N, C, H, W) -> (C*k*k, Ho*Wo*N) columns, batch innermost (long contiguous copies)."""
    n, c, h, w = x.shape
    xt = np.ascontiguousarray(x.transpose(1, 2, 3, 0))  # (C, H, W, N); free for batch-inner inputs
    ho, wo = h - k + 1, w - k + 1
    cols = np.empty((c, k, k, ho, wo, n), dtype=x.dtype)
    for a in range(k):
        for b in range(k):
            cols[:, a, b] = xt[:, a:a + ho, b:b + wo, :]
    return cols.reshape(c * k * k, ho * wo * n), (n, ho, wo)


def col2im(gcols, x_shape, k):
    n, c, h, w = x_shape
    ho, wo = h - k + 1, w - k + 1
    g = gcols.reshape(c, k, k, ho, wo, n)
    gx = np.zeros((c, h, w, n), dtype=gcols.dtype)
    for a in range(k):
        for b in range(k):
            gx[:, a:a + ho, b:b + wo, :] += g[:, a, b]
    return gx.transpose(3, 0, 1, 2)


def maxpool(conv):
    """2x2 max pooling as three in-place maxima of strided views (keeps the layout)."""
    taps = [conv[..., a::2, b::2] for a in range(2) for b in range(2)]
    out = taps[0].copy(order="K")
    for t in taps[1:]:
        np.maximum(out, t, out=out)
    return out


def maxpool_grad(conv, pooled, gout):
    gconv = np.zeros_like(conv)
    zero = gout.dtype.type(0)
    for a in range(2):
        for b in range(2):
            np.copyto(gconv[..., a::2, b::2], np.where(conv[..., a::2, b::2] == pooled, gout, zero))
    return gconv


def numpy_step(x0, y0):
    params = initial_params()

    def layer(x, W, b):
        cols, (n, ho, wo) = im2col(x, K)
        conv = (W.reshape(W.shape[0], -1) @ cols).reshape(W.shape[0], ho, wo, n).transpose(3, 0, 1, 2)
        pooled = maxpool(conv)
        out = np.tanh(pooled + b[:, None, None])
        return out, (cols, conv, pooled, out)

    def layer_grad(gout, W, cache, x_shape, need_input):
        cols, conv, pooled, out = cache
        gpre = gout * (1 - out * out)
        gb = gpre.sum(axis=(0, 2, 3))
        gconv = maxpool_grad(conv, pooled, gpre)
        gz = np.ascontiguousarray(gconv.transpose(1, 2, 3, 0)).reshape(W.shape[0], -1)
        gW = (gz @ cols.T).reshape(W.shape)
        gx = col2im(W.reshape(W.shape[0], -1).T @ gz, x_shape, K) if need_input else None
        return gx, gW, gb

    def step():
        W0, b0, W1, b1, W2, b2, W3, b3 = params
        h0, c0 = layer(x0, W0, b0)
        h1, c1 = layer(h0, W1, b1)
        flat = h1.reshape(BATCH, -1)
        hid = np.tanh(flat @ W2 + b2)
        logits = hid @ W3 + b3
        logits = logits - logits.max(axis=1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        cost = -logp[np.arange(BATCH), y0].mean()
        glogits = np.exp(logp)
        glogits[np.arange(BATCH), y0] -= 1
        glogits /= BATCH
        gW3, gb3 = hid.T @ glogits, glogits.sum(axis=0)
        ghid = (glogits @ W3.T) * (1 - hid * hid)
        gW2, gb2 = flat.T @ ghid, ghid.sum(axis=0)
        gh1 = (ghid @ W2.T).reshape(h1.shape)
        gh0, gW1, gb1 = layer_grad(gh1, W1, c1, h0.shape, True)
        _, gW0, gb0 = layer_grad(gh0, W0, c0, x0.shape, False)
        for i, g in enumerate((gW0, gb0, gW1, gb1, gW2, gb2, gW3, gb3)):
            params[i] = params[i] - LR * g
        return cost

    return step


def numpy_conv(x_shape, w_shape):
    r = np.random.RandomState(2)
    xv, wv = r.rand(*x_shape).astype("float32"), r.rand(*w_shape).astype("float32")

    def conv():
        cols, (n, ho, wo) = im2col(xv, w_shape[2])
        return (wv.reshape(w_shape[0], -1) @ cols).reshape(w_shape[0], ho, wo, n).transpose(3, 0, 1, 2)

    return conv


# --- PyTorch ------------------------------------------------------------------------

def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def torch_step(x0, y0):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    params = [torch.tensor(p, requires_grad=True) for p in initial_params()]
    x, y = torch.from_numpy(x0), torch.from_numpy(y0)

    def step():
        W0, b0, W1, b1, W2, b2, W3, b3 = params
        h = torch.tanh(F.max_pool2d(F.conv2d(x, W0), 2) + b0[:, None, None])
        h = torch.tanh(F.max_pool2d(F.conv2d(h, W1), 2) + b1[:, None, None])
        h = torch.tanh(h.reshape(BATCH, -1) @ W2 + b2)
        cost = F.cross_entropy(h @ W3 + b3, y)
        grads = torch.autograd.grad(cost, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p -= float(LR) * g
        return cost

    return step


def torch_conv(x_shape, w_shape):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    r = np.random.RandomState(2)
    xv, wv = torch.from_numpy(r.rand(*x_shape).astype("float32")), torch.from_numpy(r.rand(*w_shape).astype("float32"))

    def conv():
        with torch.no_grad():
            return F.conv2d(xv, wv)

    return conv


# --- PyTensor ---------------------------------------------------------------------

def pytensor_available() -> bool:
    try:
        import pytensor.tensor.conv  # noqa: F401  -- the NN conv2d; PyTensor 3 has only signal.convolve2d
    except ImportError:
        return False
    return True


def _pytensor_pool(x):
    """2x2 max pooling: pool_2d where PyTensor still has it, else a reshape-max (windows don't overlap)."""
    try:
        from pytensor.tensor.signal.pool import pool_2d
    except ImportError:
        n, c, h, w = x.shape
        return x.reshape((n, c, h // 2, 2, w // 2, 2)).max(axis=(3, 5))
    return pool_2d(x, (2, 2), ignore_border=True)


def pytensor_step(x0, y0):
    import pytensor
    import pytensor.tensor as pt
    from pytensor.tensor.conv import conv2d

    params = [pytensor.shared(v) for v in initial_params()]
    W0, b0, W1, b1, W2, b2, W3, b3 = params
    x, y = pt.tensor4("x", dtype="float32"), pt.lvector("y")
    h = pt.tanh(_pytensor_pool(conv2d(x, W0, input_shape=(BATCH, 1, 28, 28), filter_shape=(20, 1, 5, 5)))
                + b0.dimshuffle("x", 0, "x", "x"))
    h = pt.tanh(_pytensor_pool(conv2d(h, W1, input_shape=(BATCH, 20, 12, 12), filter_shape=(50, 20, 5, 5)))
                + b1.dimshuffle("x", 0, "x", "x"))
    h = pt.tanh(pt.dot(h.flatten(2), W2) + b2)
    logp = pt.special.log_softmax(pt.dot(h, W3) + b3, axis=-1)
    cost = -pt.mean(logp[pt.arange(y.shape[0]), y])
    updates = [(p, p - LR * g) for p, g in zip(params, pytensor.grad(cost, params))]
    f = pytensor.function([x, y], cost, updates=updates)
    return lambda: f(x0, y0)


def pytensor_conv(x_shape, w_shape):
    import pytensor
    import pytensor.tensor as pt
    from pytensor.tensor.conv import conv2d

    r = np.random.RandomState(2)
    xv, wv = r.rand(*x_shape).astype("float32"), r.rand(*w_shape).astype("float32")
    x, w = pt.tensor4("x", dtype="float32"), pt.tensor4("w", dtype="float32")
    f = pytensor.function([x, w], conv2d(x, w, input_shape=x_shape, filter_shape=w_shape))
    return lambda: f(xv, wv)


# --- driver ---------------------------------------------------------------------------

BUILDERS = {"framework": (framework_step, framework_conv), "numpy": (numpy_step, numpy_conv),
            "torch": (torch_step, torch_conv), "pytensor": (pytensor_step, pytensor_conv)}


def workloads(names) -> Dict[str, Dict[str, Callable[[], object]]]:
    """{workload: {implementation: fn}} for the implementations ``names``."""
    x0, y0 = data()
    out: Dict[str, Dict[str, Callable[[], object]]] = {"step": {}}
    for name in names:
        step, conv = BUILDERS[name]
        out["step"][name] = step(x0, y0)
        for label, (xs, ws) in CONV_SHAPES.items():
            out.setdefault(label, {})[name] = conv(xs, ws)
    return out


def best_times(fns: Dict[str, Callable[[], object]], repeats: int, calls: Dict[str, int]) -> Dict[str, float]:
    """Best seconds per call of each function, timed in turn batch by batch (after a warm-up)."""
    for fn in fns.values():
        fn()
        fn()
    best = {name: float("inf") for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            best[name] = min(best[name], per_call_seconds(fn, calls[name]))
    return best


def calls_for(workload: str) -> int:
    return 2 if workload == "step" else 5


def alone(name: str, repeats: int) -> Dict[str, float]:
    proc = subprocess.run([sys.executable, __file__, "--only", name, "--repeats", str(repeats)], capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv) -> int:
    if "-h" in argv or "--help" in argv:
        print(__doc__)
        return 0
    repeats = int(argv[argv.index("--repeats") + 1]) if "--repeats" in argv else 7
    if "--only" in argv:
        name = argv[argv.index("--only") + 1]
        result = {wl: best_times({name: fn[name]}, repeats, {name: calls_for(wl)})[name]
                  for wl, fn in workloads([name]).items()}
        print(json.dumps(result))
        return 0
    names = (["framework", "numpy"] + (["torch"] if torch_available() else [])
             + (["pytensor"] if pytensor_available() else []))
    if "torch" not in names:
        print("PyTorch is not installed: the torch comparison is skipped (pip install torch, CPU wheel)")
    if "pytensor" not in names:
        print("PyTensor with pytensor.tensor.conv is not installed: the pytensor comparison is skipped "
              "(pip install 'pytensor<=2.30.3'; PyTensor 3 has no NN conv2d)")
    t0 = time.time()
    together = {wl: best_times(fns, repeats, {n: calls_for(wl) for n in fns}) for wl, fns in workloads(names).items()}
    solo = {name: alone(name, repeats) for name in names}
    load = os.getloadavg()
    versions = f"NumPy {np.__version__}"
    if "pytensor" in names:
        import pytensor
        versions += f"; PyTensor {pytensor.__version__}"
    print(f"CPU: {cpu_model()}; {os.cpu_count()} cores; BLAS/torch threads {os.environ.get('BENCH_THREADS')}; "
          f"{versions}; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(f"best of {repeats} batches; 'together' = interleaved in one process, 'alone' = own process "
          f"({time.time() - t0:.0f} s)")
    for wl in together:
        what = ("LeNet SGD step, batch 500 float32" if wl == "step"
                else f"conv2d forward {CONV_SHAPES[wl][0]} x {CONV_SHAPES[wl][1]}")
        print(f"{what}:")
        for name in names:
            line = f"  {name:9s} together {together[wl][name] * 1e3:8.1f} ms   alone {solo[name][wl] * 1e3:8.1f} ms"
            if name == "framework":
                for ref in [n for n in names if n != "framework"]:
                    line += (f"   vs {ref}: {together[wl][name] / together[wl][ref]:.2f}x together, "
                             f"{solo[name][wl] / solo[ref][wl]:.2f}x alone")
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Time per epoch of ``framework train rbm`` against a hand-written NumPy training loop.

Data: MNIST-shaped, generated -- 50,000 x 784 binary pixels (13% on, as
MNIST), float32 -- written to a temporary ``.npz`` and given to the command
as ``--dataset``. Training: the tutorial's PCD-15, 500 hidden units,
minibatches of 20, learning rate 0.1 (2,500 minibatches per epoch).

* framework: the ``framework train rbm`` code path itself (the command's
  parser and ``run_training``, with ``--n-samples 0 --ais-runs 0`` so that
  only training is timed), which also logs the per-minibatch running mean to TensorBoard
  for every minibatch and, at the end of the epoch, the histograms, the
  filters PNG and the checkpoint. The time is the Trainer's epoch time
  (compiling and loading the data are reported apart).
* NumPy: ``bench/numpy_rbm.py``'s step over the same minibatches.

Both run alternately in this process (``--rounds`` each), and the NumPy
loop also runs alone in a subprocess; the ratio reported is the worse one.
``--fraction 0.1`` trains on the first 10% of the data (250 minibatches) and
multiplies the times by 10: the cost of a minibatch does not depend on the
data's size, so this extrapolates to a full epoch (the per-epoch extras --
histograms, PNG, checkpoint -- are then counted 10 times over, which only
makes the framework's figure worse).

    python bench/rbm_epoch.py [--fraction 1.0] [--rounds 2]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _threads  # noqa: E402,F401  (pins BLAS threads before NumPy loads)

import numpy as np  # noqa: E402

from numpy_rbm import NumpyRBM  # noqa: E402

N_EXAMPLES, N_VISIBLE, N_HIDDEN, BATCH, K = 50_000, 784, 500, 20, 15


def make_data(n: int, seed: int = 0) -> np.ndarray:
    return (np.random.RandomState(seed).rand(n, N_VISIBLE) < 0.13).astype("float32")


def numpy_epoch(data: np.ndarray) -> float:
    """Seconds for one pass of the hand-written NumPy PCD-15 loop over ``data``."""
    model = NumpyRBM(N_VISIBLE, N_HIDDEN, BATCH, "float32", persistent=True, seed=123)
    n_batches = len(data) // BATCH
    start = time.perf_counter()
    for i in range(n_batches):
        model.step(data[i * BATCH:(i + 1) * BATCH], lr=0.1, k=K)
    return time.perf_counter() - start


def _numpy_alone(n: int) -> float:
    return numpy_epoch(make_data(n))


def framework_epoch(npz: str, logdir: str) -> dict:
    """One epoch of the real command (parsed as the console script would); its timings."""
    from framework.cli import build_parser
    from framework_rbm.cli import run_training

    args = build_parser().parse_args([
        "train", "rbm", "--dataset", npz, "--epochs", "1", "--hidden", str(N_HIDDEN), "--k", str(K),
        "--batch-size", str(BATCH), "--lr", "0.1", "--dtype", "float32", "--n-samples", "0",
        "--ais-runs", "0", "--logdir", logdir, "--overwrite"])
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        started = time.perf_counter()
        result = run_training(args)
        total = time.perf_counter() - started
    return {"epoch_s": result["train_seconds"], "compile_s": result["compile_seconds"], "command_s": total,
            "n_batches": result["n_batches"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fraction", type=float, default=1.0, help="part of the epoch to time (default 1.0)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", default=_threads.THREADS, help="BLAS threads for both sides (default 1)")
    args = parser.parse_args()
    n = int(round(N_EXAMPLES * args.fraction)) // BATCH * BATCH
    scale = N_EXAMPLES / n
    data = make_data(n)
    with tempfile.TemporaryDirectory() as tmp:
        npz = os.path.join(tmp, "mnist_shaped.npz")
        np.savez(npz, train_x=data, test_x=data[:100])
        fw, ref, extra = [], [], []
        for _ in range(args.rounds):
            timing = framework_epoch(npz, os.path.join(tmp, "run"))
            fw.append(timing["epoch_s"])
            extra.append(timing)
            ref.append(numpy_epoch(data))
    code = (f"import sys; sys.path.insert(0, {HERE!r}); import rbm_epoch as b; "
            f"print(b._numpy_alone({n}))")
    alone = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True).stdout.strip().splitlines()[-1])
    fw_s, np_s, alone_s = (statistics.median(fw) * scale, statistics.median(ref) * scale, alone * scale)
    worse = max(fw_s / np_s, fw_s / alone_s)
    what = "a full epoch" if n == N_EXAMPLES else f"{n // BATCH} minibatches x {scale:g}"
    print(f"PCD-15, {N_VISIBLE}x{N_HIDDEN}, batch {BATCH}, {N_EXAMPLES // BATCH} minibatches per epoch "
          f"(timed: {what}):")
    print(f"  framework train rbm: {fw_s:.1f} s/epoch ({1e3 * fw_s / (N_EXAMPLES // BATCH):.2f} ms/minibatch); "
          f"compile {extra[0]['compile_s'] * 1e3:.0f} ms")
    print(f"  NumPy loop: {np_s:.1f} s/epoch in process, {alone_s:.1f} s/epoch alone in a subprocess")
    print(f"  ratio: {fw_s / np_s:.3f} (in process), {fw_s / alone_s:.3f} (vs alone); worse {worse:.3f}")
    print(f"  15 epochs: framework {15 * fw_s / 60:.1f} min, NumPy {15 * min(np_s, alone_s) / 60:.1f} min")
    print(json.dumps({"framework_s_per_epoch": fw_s, "numpy_s_per_epoch": np_s, "numpy_alone_s_per_epoch": alone_s,
                      "worse_ratio": worse, "fraction": n / N_EXAMPLES, "rounds": args.rounds}))


if __name__ == "__main__":
    main()

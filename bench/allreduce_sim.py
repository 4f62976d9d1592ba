"""Data-parallel RBM training, simulated with processes: the gradient all-reduce of a 784-500 PCD-15 step.

Each of N processes holds the gradients of a 784-500 binary RBM -- W (784 x
500), hbias (500), vbias (784): 393,284 float32 values, 1.57 MB -- and they
average them with a ring all-reduce (reduce-scatter then all-gather, the
algorithm NCCL uses between GPUs): each process sends and receives
2(N-1)/N of the gradients per step, in 2(N-1) messages to its neighbour.
The messages go through Unix-domain socket pairs, so this measures the
algorithm's cost on this machine's memory and kernel -- not a network -- and
checks that the result is right. ``--compute`` also times the hand-written
NumPy PCD-15 step (``numpy_rbm.py``, batch 20) that the all-reduce would
follow; docs/scale.md turns both into figures for real links.

    python bench/allreduce_sim.py [--workers 2,8,64] [--reps 20] [--compute]

On a machine with fewer cores than workers the processes take turns, so
the times for large N are upper bounds of the algorithm's cost.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _threads  # noqa: E402,F401 -- pins BLAS threads before NumPy loads

import numpy as np  # noqa: E402

N_VISIBLE, N_HIDDEN = 784, 500
N_PARAMS = N_VISIBLE * N_HIDDEN + N_HIDDEN + N_VISIBLE


def ring_allreduce_bytes(n: int, n_bytes: int) -> float:
    """Bytes each worker sends (and receives) in one ring all-reduce of ``n_bytes``."""
    return 2.0 * (n - 1) / n * n_bytes


def _recv_into(sock: socket.socket, view: memoryview) -> None:
    got = 0
    while got < len(view):
        got += sock.recv_into(view[got:])


def _exchange(left: socket.socket, right: socket.socket, out: np.ndarray, into: np.ndarray) -> None:
    """Send ``out`` to the right neighbour while receiving ``into`` from the left one."""
    sender = threading.Thread(target=right.sendall, args=(memoryview(out).cast("B"),))
    sender.start()
    _recv_into(left, memoryview(into).cast("B"))
    sender.join()


def _worker(rank: int, n: int, left: socket.socket, right: socket.socket, reps: int, barrier, results) -> None:
    grads = np.full(N_PARAMS, rank + 1, dtype=np.float32)
    bounds = np.linspace(0, N_PARAMS, n + 1).astype(int)
    chunk = [slice(bounds[i], bounds[i + 1]) for i in range(n)]
    incoming = np.empty(bounds[1] - bounds[0] + 1, dtype=np.float32)
    times = []
    for _ in range(reps):
        buf = grads.copy()
        barrier.wait()
        start = time.perf_counter()
        for s in range(n - 1):  # reduce-scatter: after it, rank r holds the sum of chunk (r + 1) % n
            send, recv = (rank - s) % n, (rank - s - 1) % n
            size = chunk[recv].stop - chunk[recv].start
            _exchange(left, right, np.ascontiguousarray(buf[chunk[send]]), incoming[:size])
            buf[chunk[recv]] += incoming[:size]
        for s in range(n - 1):  # all-gather: pass the summed chunks round the ring
            send, recv = (rank - s + 1) % n, (rank - s) % n
            size = chunk[recv].stop - chunk[recv].start
            _exchange(left, right, np.ascontiguousarray(buf[chunk[send]]), incoming[:size])
            buf[chunk[recv]] = incoming[:size]
        buf /= n
        times.append(time.perf_counter() - start)
        barrier.wait()
    expected = (n + 1) / 2.0
    results.put((rank, min(times), float(np.median(times)), bool(np.allclose(buf, expected))))


def simulate(n: int, reps: int) -> dict:
    ctx = mp.get_context("fork")
    pairs = [socket.socketpair() for _ in range(n)]  # pair i links rank i (sends) to rank i + 1 (receives)
    barrier, results = ctx.Barrier(n), ctx.Queue()
    procs = []
    for rank in range(n):
        right = pairs[rank][0]
        left = pairs[(rank - 1) % n][1]
        procs.append(ctx.Process(target=_worker, args=(rank, n, left, right, reps, barrier, results)))
    for p in procs:
        p.start()
    rows = [results.get(timeout=600) for _ in range(n)]
    for p in procs:
        p.join()
    slowest_best = max(r[1] for r in rows)
    return {"workers": n, "bytes_per_worker": ring_allreduce_bytes(n, N_PARAMS * 4), "messages": 2 * (n - 1),
            "seconds_best": slowest_best, "seconds_median": max(r[2] for r in rows), "correct": all(r[3] for r in rows)}


def compute_seconds(steps: int = 10) -> float:
    from numpy_rbm import NumpyRBM

    rbm = NumpyRBM()
    x = (np.random.RandomState(0).uniform(size=(20, N_VISIBLE)) < 0.13).astype(np.float32)
    rbm.step(x)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(steps):
            rbm.step(x)
        best = min(best, (time.perf_counter() - start) / steps)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="2,8,64")
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--compute", action="store_true", help="also time the NumPy PCD-15 step (batch 20)")
    parser.add_argument("--threads", default="1", help="BLAS threads per process (see _threads.py)")
    args = parser.parse_args()
    out = {"params": N_PARAMS, "gradient_bytes": N_PARAMS * 4, "cpus": os.cpu_count(),
           "load_1min": os.getloadavg()[0], "runs": []}
    if args.compute:
        out["pcd15_step_seconds"] = compute_seconds()
        print(f"NumPy PCD-15 step, 784-500, batch 20: {out['pcd15_step_seconds'] * 1e3:.2f} ms")
    for n in (int(w) for w in args.workers.split(",")):
        row = simulate(n, args.reps if n <= 8 else max(3, args.reps // 5))
        out["runs"].append(row)
        print(f"{n:3d} workers: {row['bytes_per_worker'] / 1e6:.2f} MB sent per worker in {row['messages']} messages; "
              f"all-reduce best {row['seconds_best'] * 1e3:.2f} ms, median {row['seconds_median'] * 1e3:.2f} ms; "
              f"result {'right' if row['correct'] else 'WRONG'}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""The PCD-15 RBM step at several sizes: framework against the careful hand-written NumPy step.

Minibatches of 20, 100, 500 and 2,000 at 500 and 2,000 hidden units (784
visible, float32, the tutorial's graph with its pseudo-likelihood monitor).
At each size the framework's step and ``bench/numpy_rbm.py``'s step run
alternately in this process, and the NumPy step also alone in fresh
processes (the median of three, as in ``rbm_step.py``); the worse ratio is
reported. PyTensor runs the same tutorial graph
when it is installed (optional; skipped otherwise). ``--png PATH`` draws the
table as a plot (Pillow, already a dependency).

    python bench/rbm_scaling.py [--rounds 3] [--png docs/rbm_scaling.png] [--quick] [--sizes 20x500,100x500]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from typing import Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _threads  # noqa: E402,F401

import numpy as np  # noqa: E402

import rbm_step as rs  # noqa: E402

BATCHES = (20, 100, 500, 2000)
HIDDENS = (500, 2000)
K = 15


def _steps_for(batch: int, hidden: int) -> int:
    """Steps per timing batch: about the same wall time at every size."""
    work = batch * hidden
    return max(1, int(20 * (20 * 500) / work))


def _time(step, steps: int, offset: int) -> float:
    return rs.time_round(step, steps, offset)


def numpy_alone(batch: int, hidden: int, rounds: int, steps: int) -> float:
    """The reference timed alone: the median over ``rs.ALONE_PROCESSES`` fresh interpreters (as
    ``rbm_step.py`` does: one interpreter's time moves by up to 6 % with where its arrays land)."""
    code = (f"import sys; sys.path.insert(0, {HERE!r}); import rbm_scaling as b, json; "
            f"print(json.dumps(b._numpy_only({batch}, {hidden}, {rounds}, {steps})))")
    times = []
    for _ in range(rs.ALONE_PROCESSES):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        times.append(float(json.loads(out.stdout.strip().splitlines()[-1])))
    return statistics.median(times)


def _numpy_only(batch: int, hidden: int, rounds: int, steps: int) -> float:
    data = rs.make_data(n=max(2 * batch, 1000))
    step = rs.build_numpy_step(data, True, K, batch, hidden)
    _time(step, 1, 0)
    return statistics.median(_time(step, steps, r * steps) for r in range(rounds))


def pytensor_step(data: np.ndarray, batch: int, hidden: int):
    """The tutorial's PCD-15 step in PyTensor, or None when PyTensor is not installed."""
    try:
        import pytensor  # noqa: F401
    except ImportError:
        return None
    return _pytensor_build(data, batch, hidden)


def _pytensor_build(data: np.ndarray, batch: int, hidden: int):  # pragma: no cover - optional
    import pytensor
    import pytensor.tensor as T
    from pytensor.tensor.random.utils import RandomStream

    pytensor.config.floatX = "float32"
    rng = np.random.RandomState(123)
    bound = 4 * np.sqrt(6.0 / (hidden + rs.N_VISIBLE))
    W = pytensor.shared(rng.uniform(-bound, bound, (rs.N_VISIBLE, hidden)).astype("float32"))
    hb = pytensor.shared(np.zeros(hidden, "float32"))
    vb = pytensor.shared(np.zeros(rs.N_VISIBLE, "float32"))
    chain = pytensor.shared(np.zeros((batch, hidden), "float32"))
    bit = pytensor.shared(0)
    srng = RandomStream(1234)
    x = T.matrix("x")

    def fe(v):
        return -T.dot(v, vb) - T.sum(T.softplus(T.dot(v, W) + hb), axis=1)

    def gibbs(h):
        nv = srng.binomial(1, T.sigmoid(T.dot(h, W.T) + vb)).astype("float32")
        nh_mean = T.sigmoid(T.dot(nv, W) + hb)
        return nv, srng.binomial(1, nh_mean).astype("float32")

    h = chain
    for _ in range(K):
        nv, h = gibbs(h)
    cost = T.mean(fe(x)) - T.mean(fe(nv))
    grads = T.grad(cost, [W, hb, vb], consider_constant=[nv])
    updates = [(p, p - np.float32(0.1) * g) for p, g in zip([W, hb, vb], grads)]
    xi = T.round(x)
    flip = T.set_subtensor(xi[:, bit], 1 - xi[:, bit])
    pl = T.mean(rs.N_VISIBLE * -T.softplus(fe(xi) - fe(flip)))
    updates += [(chain, h), (bit, (bit + 1) % rs.N_VISIBLE)]
    f = pytensor.function([x], pl, updates=updates)
    n = len(data) // batch
    return lambda i: f(data[(i % n) * batch:(i % n + 1) * batch])


def measure(batch: int, hidden: int, rounds: int) -> Dict[str, Optional[float]]:
    data = rs.make_data(n=max(2 * batch, 1000))
    steps = _steps_for(batch, hidden)
    train, n = rs.build_framework_step(data, True, K, batch, hidden)["step"], len(data) // batch
    # every side takes minibatch i % n of the data: the compiled function's index must wrap too
    # (unwrapped, indices past the data gave it empty minibatches at batch >= 100 until 2026-12-07)
    fns = {"framework": lambda i: train(i % n),
           "numpy": rs.build_numpy_step(data, True, K, batch, hidden)}
    pt = pytensor_step(data, batch, hidden)
    if pt is not None:
        fns["pytensor"] = pt
    for name, f in fns.items():
        _time(f, 1, 0)
        costs = [f(i) for i in range(2 * n)]  # each minibatch of the data, twice: all real work
        if not np.all(np.isfinite(costs)):
            raise RuntimeError(f"{name} at batch {batch}, hidden {hidden}: a non-finite cost {costs}")
    samples: Dict[str, List[float]] = {k: [] for k in fns}
    for r in range(rounds):
        for k, f in fns.items():
            samples[k].append(_time(f, steps, r * steps))
    med = {k: statistics.median(v) for k, v in samples.items()}
    alone = numpy_alone(batch, hidden, rounds, steps)
    ref = min(med["numpy"], alone)
    return {"batch": batch, "hidden": hidden, "framework_ms": med["framework"] * 1e3,
            "numpy_ms": med["numpy"] * 1e3, "numpy_alone_ms": alone * 1e3,
            "pytensor_ms": med["pytensor"] * 1e3 if "pytensor" in med else None,
            "ratio": med["framework"] / ref}


def plot(rows: List[Dict[str, Optional[float]]], path: str, note: str = "") -> None:
    """A log-scale chart of ms/step against batch size, one line per implementation and width;
    ``note`` (the conditions: machine, load, date) is written under the title."""
    from PIL import Image, ImageDraw

    W_, H_, L, R, T_, B_ = 900, 560, 80, 220, 40, 60
    img = Image.new("RGB", (W_, H_), "white")
    d = ImageDraw.Draw(img)
    vals = [r[k] for r in rows for k in ("framework_ms", "numpy_ms", "pytensor_ms") if r.get(k)]
    lo, hi = np.log10(min(vals)) - 0.1, np.log10(max(vals)) + 0.1
    batches = sorted({r["batch"] for r in rows} | set(BATCHES))
    xs = {b: L + i * (W_ - L - R) / max(1, len(batches) - 1) for i, b in enumerate(batches)}

    def y(v: float) -> float:
        return T_ + (hi - np.log10(v)) / (hi - lo) * (H_ - T_ - B_)

    d.rectangle([L, T_, W_ - R, H_ - B_], outline="black")
    for e in range(int(np.floor(lo)), int(np.ceil(hi)) + 1):
        for m in (1, 2, 5):
            v = m * 10.0 ** e
            if lo <= np.log10(v) <= hi:
                d.line([L, y(v), W_ - R, y(v)], fill=(225, 225, 225))
                d.text((8, y(v) - 6), f"{v:g} ms", fill="black")
    for b, x in xs.items():
        d.text((x - 12, H_ - B_ + 8), str(b), fill="black")
    d.text(((W_ - R + L) / 2 - 60, H_ - 25), "minibatch size (log)", fill="black")
    d.text((L, 6), "PCD-15 RBM step, 784 visible, float32: ms per step (log scale)", fill="black")
    if note:
        d.text((L, 20), note, fill=(90, 90, 90))
    styles = {("framework_ms", 500): (200, 30, 30), ("numpy_ms", 500): (30, 30, 200),
              ("pytensor_ms", 500): (30, 150, 30), ("framework_ms", 2000): (255, 130, 130),
              ("numpy_ms", 2000): (130, 130, 255), ("pytensor_ms", 2000): (120, 210, 120)}
    names = {"framework_ms": "framework", "numpy_ms": "hand-written NumPy", "pytensor_ms": "PyTensor"}
    ly = T_ + 10
    for (key, hidden), color in styles.items():
        pts = [(xs[r["batch"]], y(r[key])) for r in rows if r["hidden"] == hidden and r.get(key)]
        if not pts:
            continue
        d.line(pts, fill=color, width=3 if hidden == 500 else 2)
        for px, py in pts:
            d.ellipse([px - 4, py - 4, px + 4, py + 4], fill=color)
        d.line([W_ - R + 15, ly + 6, W_ - R + 40, ly + 6], fill=color, width=3)
        d.text((W_ - R + 46, ly), f"{names[key]}, {hidden} hidden", fill="black")
        ly += 20
    tmp = path + ".tmp.png"
    img.save(tmp)
    os.replace(tmp, path)


def conditions(note: str = "") -> str:
    """The machine, its load and the date, for the plot (a saved run keeps its own)."""
    if note:
        return note
    import platform
    import time

    load = os.getloadavg()[0]
    return (f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load:.1f}, BLAS threads "
            f"{_threads.THREADS}, NumPy {np.__version__}, {time.strftime('%Y-%m-%d %H:%M')}; "
            "PyTensor: the tutorial graph as pip installs it")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--png", help="also draw the results as a PNG plot at this path")
    parser.add_argument("--quick", action="store_true", help="only batch 20 and 100 at 500 hidden")
    parser.add_argument("--sizes", help="only these sizes, BATCHxHIDDEN separated by commas (e.g. 20x500)")
    parser.add_argument("--threads", default=_threads.THREADS)
    parser.add_argument("--replot", metavar="JSON",
                        help="only draw --png from the JSON line a previous run printed (a file holding it)")
    args = parser.parse_args()
    if args.replot:
        with open(args.replot) as fh:
            rows = json.loads(fh.read().strip().splitlines()[-1])
        plot(rows, args.png, conditions(rows[0].get("note", "")))
        print(f"plot written to {args.png}")
        return
    sizes = [(b, h) for h in HIDDENS for b in BATCHES]
    if args.quick:
        sizes = [(20, 500), (100, 500)]
    if args.sizes:
        try:
            sizes = [(int(b), int(h)) for b, h in (part.lower().split("x") for part in args.sizes.split(","))]
        except ValueError:
            parser.error(f"--sizes {args.sizes!r}: expected BATCHxHIDDEN[,BATCHxHIDDEN...], e.g. 20x500")
    rows = []
    print("| hidden | batch | framework ms | NumPy ms (in process / alone) | PyTensor ms | ratio (worse) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for b, h in sizes:
        r = measure(b, h, args.rounds)
        rows.append(r)
        pt = f"{r['pytensor_ms']:.2f}" if r["pytensor_ms"] else "not installed"
        print(f"| {h} | {b} | {r['framework_ms']:.2f} | {r['numpy_ms']:.2f} / {r['numpy_alone_ms']:.2f} | "
              f"{pt} | {r['ratio']:.3f} |", flush=True)
    note = conditions()
    for r in rows:
        r["note"] = note
    if args.png:
        plot(rows, args.png, note)
        print(f"plot written to {args.png}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()

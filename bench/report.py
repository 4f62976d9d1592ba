"""Run every benchmark in bench/ and print one table (what ``make bench`` runs).

Each script runs in its own process with ``--json`` (or its JSON last line);
this collects the framework's time, the reference's (the faster of "same
process" and "alone", so the ratio is the worse one) and the ratio against
the goal of docs/benchmarks.md. The RBM steps and the logistic regression also
get a row against their reference held to the framework's contract
(``--contract``: what the compiled step must do that the careful step does
not; docs/benchmarks.md), and rows from ``in_process.py``: the three steps
against both references in one process, the protocol of the status table. The header says the machine's load, the BLAS
library and the kernel OpenBLAS chose (``threadpoolctl``).

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, when set (some machines set them for
older OpenBLAS builds, and they slow a current NumPy), are removed together
from the benchmarks' environment only -- never from tests or CI.

    python bench/report.py [--quick]   # --quick: fewer rounds, no scaling sweep, no epoch
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
Row = Tuple[str, str, str, str, str]


def bench_env() -> Dict[str, str]:
    env = dict(os.environ)
    if "OPENBLAS_CORETYPE" in env or "OPENBLAS_L2_SIZE" in env:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    return env


def run(script: str, *args: str, timeout: int = 3600, show_stderr: bool = False) -> Tuple[Optional[Any], str]:
    """``(last JSON line or None, the whole stdout)`` of one benchmark (with its stderr when it
    fails, or with ``show_stderr``: a script that skips, e.g. without a GPU, says why there)."""
    proc = subprocess.run([sys.executable, os.path.join(HERE, script), *args], capture_output=True, text=True,
                          env=bench_env(), timeout=timeout)
    out = proc.stdout
    if proc.returncode != 0:
        return None, out + proc.stderr
    if show_stderr and proc.stderr.strip():
        out = out + proc.stderr
    for line in reversed(out.strip().splitlines()):
        line = line.strip()
        if line.startswith("{") or line.startswith("["):
            try:
                return json.loads(line), out
            except ValueError:
                continue
    return None, out


def blas_info() -> str:
    code = ("import sys; sys.path.insert(0, %r); import _threads, numpy, json; "
            "from threadpoolctl import threadpool_info; "
            "print(json.dumps([(i.get('internal_api'), i.get('architecture'), i.get('num_threads'), i.get('version')) "
            "for i in threadpool_info()]))") % HERE
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=bench_env(),
                             timeout=120).stdout
        libs = json.loads(out.strip().splitlines()[-1])
    except Exception:  # threadpoolctl missing or no BLAS found: say so, do not fail the report
        return "unknown (threadpoolctl not available)"
    return "; ".join(f"{api} {ver} kernel {arch}, {n} thread(s)" for api, arch, n, ver in libs) or "none found"


def rbm_rows(res: Any, generator: str = "pcg64") -> List[Row]:
    rows = []
    for label, goal in (("PCD-15", "<= 1.0x"), ("CD-1", "<= 1.0x")):
        r = res[label]
        ref = min(r["numpy_ms"], r["numpy_alone_ms"])
        rows.append((f"RBM {label} step 784-500, batch 20, reference drawing with {generator} (rbm_step.py)",
                     f"{r['framework_ms']:.2f} ms", f"{ref:.2f} ms", f"{r['worse_ratio']:.3f}x",
                     goal if generator == "pcg64" else "--"))
        if "contract_ms" in r:
            rows.append(("same, against the reference held to the framework's contract (numpy_rbm.ContractRBM)",
                         f"{r['framework_ms']:.2f} ms", f"{min(r['contract_ms'], r['contract_alone_ms']):.2f} ms",
                         f"{r['contract_worse_ratio']:.3f}x", "--"))
        if "framework_ahead_ms" in r:
            rows.append(("same, draw_ahead on (uniforms on a helper thread; off by default)",
                         f"{r['framework_ahead_ms']:.2f} ms", f"{ref:.2f} ms", f"{r['ahead_worse_ratio']:.3f}x", "--"))
    if generator == "pcg64":
        r = res["PCD-15"]
        rows.append(("RBM PCD-15 training-function compile", f"{r['compile_s'] * 1e3:.0f} ms", "", "", "<= 100 ms"))
    return rows


def logreg_rows(res: Any) -> List[Row]:
    ref = min(res["numpy_same_us"], res["numpy_alone_us"])
    rows = [("logistic regression step 400x784 float64 (logreg.py)", f"{res['framework_us']:.1f} us",
             f"{ref:.1f} us", f"{res['ratio']:.3f}x", "<= 1.0x")]
    if "contract_us" in res:
        rows.append(("same, against the reference held to the framework's contract (logreg.ContractStep)",
                     f"{res['framework_us']:.1f} us", f"{min(res['contract_us'], res['contract_alone_us']):.1f} us",
                     f"{res['contract_ratio']:.3f}x", "--"))
    return rows


def overhead_rows(res: Any) -> List[Row]:
    out = []
    for r in res:
        ref = min(r["numpy_same_process_us"], r["numpy_alone_us"])
        out.append((f"call overhead, {r['case']} (call_overhead.py)", f"{r['framework_us']:.2f} us",
                    f"{ref:.2f} us", f"+{r['overhead_us']:.2f} us", "<= +1 us"))
    return out


def cae_rows(res: Any) -> List[Row]:
    ms, alone = res["ms"], res["alone_ms"]
    rows = []
    for key, label in (("numpy", "NumPy building J"), ("numpy_factored", "NumPy, factored by hand")):
        ref = min(ms[key], alone[key])
        rows.append((f"CAE step 784-500, batch 20 vs {label} (cae.py)", f"{ms['framework']:.2f} ms", f"{ref:.2f} ms",
                     f"{ms['framework'] / ref:.3f}x", "<= PyTensor" if key == "numpy" else "--"))
    if "pytensor" in ms:
        rows.append(("CAE step vs PyTensor", f"{ms['framework']:.2f} ms", f"{ms['pytensor']:.2f} ms",
                     f"{ms['framework'] / ms['pytensor']:.3f}x", "<= 1.0x"))
    return rows


def elemwise_rows(res: Any) -> List[Row]:
    ref = min(res["numpy_same_ms"], res["numpy_alone_ms"])
    return [("element-wise cross-entropy on 10^6 floats, FAST_RUN (elemwise.py)", f"{res['fast_run_ms']:.2f} ms",
             f"{ref:.2f} ms", f"{res['fast_run_ratio']:.3f}x", "<= 1.0x")]


def in_process_rows(res: Any) -> List[Row]:
    """The steps against both references in one process (in_process.py): the status table's protocol."""
    rows = []
    for step, label, unit, scale in (("pcd15", "RBM PCD-15 step", "ms", 1e3), ("cd1", "RBM CD-1 step", "ms", 1e3),
                                     ("logreg", "logistic regression step", "us", 1e6)):
        r = res[step]
        rows.append((f"{label}, in one process against the careful reference (in_process.py)",
                     f"{r['framework_s'] * scale:.2f} {unit}", f"{r['careful_s'] * scale:.2f} {unit}",
                     f"{r['vs_careful']:.3f}x", "<= 1.0x"))
        rows.append(("same, against the contract reference", f"{r['framework_s'] * scale:.2f} {unit}",
                     f"{r['contract_s'] * scale:.2f} {unit}", f"{r['vs_contract']:.3f}x", "--"))
    return rows


def scaling_rows(res: Any) -> List[Row]:
    return [(f"RBM PCD-15 step, hidden {r['hidden']}, batch {r['batch']} (rbm_scaling.py)",
             f"{r['framework_ms']:.2f} ms", f"{min(r['numpy_ms'], r['numpy_alone_ms']):.2f} ms",
             f"{r['ratio']:.3f}x", "<= 1.0x") for r in res]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    q = args.quick
    jobs: List[Tuple[str, List[str], Callable[[Any], List[Row]]]] = [
        ("rbm_step.py", ["--rounds", "3" if q else "7", "--draw-ahead", "--contract"], rbm_rows),
        ("rbm_step.py", ["--rounds", "3" if q else "7", "--reference-generator", "mt19937"],
         lambda res: rbm_rows(res, "mt19937")),
        ("logreg.py", ["--json", "--contract"], logreg_rows),
        ("in_process.py", ["--step", "all", "--json"] + (["--rounds", "40"] if q else []), in_process_rows),
        ("call_overhead.py", ["--json"], overhead_rows),
        ("cae.py", ["--json", "--rounds", "3" if q else "5"], cae_rows),
        ("elemwise.py", ["--json"], elemwise_rows),
    ]
    if not q:
        jobs.append(("rbm_scaling.py", ["--rounds", "3", "--png", os.path.join(HERE, "..", "docs", "rbm_scaling.png")],
                     scaling_rows))
    load = os.getloadavg()
    print(f"machine load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} on {os.cpu_count()} CPUs; "
          f"BLAS: {blas_info()}; {time.strftime('%Y-%m-%d %H:%M')}")
    rows: List[Row] = []
    failed = []
    for script, a, summarise in jobs:
        res, out = run(script, *a)
        if res is None:
            failed.append(script)
            print(f"--- {script} gave no result:\n{out[-2000:]}", file=sys.stderr)
            continue
        try:
            rows.extend(summarise(res))
        except (KeyError, TypeError) as exc:
            failed.append(script)
            print(f"--- {script}: unexpected result ({exc!r})", file=sys.stderr)
    for script in ("scan_overhead.py", "einsum_chain.py", "gpu_rbm.py"):
        _, out = run(script, show_stderr=True)
        print(f"--- {script}\n{out.strip()}")
    print()
    print("| benchmark | framework | reference (faster of same process / alone) | ratio (worse) | goal |")
    print("|---|---:|---:|---:|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

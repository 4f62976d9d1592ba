"""Shared timing helpers for the benchmarks (not a benchmark itself).

Every benchmark times the framework and the NumPy reference *alternately* in
one process (so both see the same machine state), and also times the NumPy
reference alone in a fresh subprocess (so it cannot be slowed by anything the
framework left behind: imports, caches, memory). It reports the worse ratio.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List, Sequence


def per_call_seconds(fn: Callable[[], object], calls: int) -> float:
    """Seconds per call of ``fn`` over one batch of ``calls`` calls."""
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls


def alternate(fns: Dict[Any, Callable[[], object]], calls: int, repeats: int, warmup: int = 3) -> Dict[Any, float]:
    """Median seconds per call of each function, timing them in turn, batch by batch."""
    for fn in fns.values():
        for _ in range(warmup):
            per_call_seconds(fn, calls)
    samples: Dict[Any, List[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            samples[name].append(per_call_seconds(fn, calls))
    return {name: statistics.median(s) for name, s in samples.items()}


def run_alone(script: str, args: Sequence[str]) -> Dict[str, float]:
    """Run ``script`` with ``args`` in a fresh interpreter; it prints one JSON line."""
    proc = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def in_rounds(fns: Dict[Any, Callable[[], object]], ours: Any, ref: Any, script: str, args: Sequence[str],
              calls: int, repeats: int, rounds: int = 3, also: Sequence[Any] = ()) -> Dict[str, Any]:
    """Both protocols, ``rounds`` times over, each round timing ``fns``
    alternately in this process and then ``ref`` alone in a fresh one.

    A shared machine drifts by several percent between one minute and the
    next; comparing our time with a reference timed in the same round (not
    one timed minutes apart) keeps that drift out of the ratios. Returns the
    median per-call seconds of ``ours`` and of ``ref`` (same process and
    alone) and the median ratio of each protocol. ``also`` names further
    references in ``fns`` (the script run alone must print them too): their
    figures come back under ``"also"``, keyed by name, in the same form.
    """
    names = [ref, *also]
    fw: List[float] = []
    same: Dict[Any, List[float]] = {n: [] for n in names}
    alone: Dict[Any, List[float]] = {n: [] for n in names}
    ref_same: Dict[Any, List[float]] = {n: [] for n in names}
    ref_alone: Dict[Any, List[float]] = {n: [] for n in names}
    for _ in range(rounds):
        both = alternate(fns, calls, repeats)
        solo = run_alone(script, args)
        fw.append(both[ours])
        for n in names:
            ref_same[n].append(both[n])
            ref_alone[n].append(solo[n])
            same[n].append(both[ours] / both[n])
            alone[n].append(both[ours] / solo[n])
    med = statistics.median

    def figures(n: Any) -> Dict[str, float]:
        return {"ours": med(fw), "ref_same": med(ref_same[n]), "ref_alone": med(ref_alone[n]),
                "ratio_same": med(same[n]), "ratio_alone": med(alone[n])}

    out: Dict[str, Any] = figures(ref)
    if also:
        out["also"] = {n: figures(n) for n in also}
    return out


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        return "unknown CPU"
    for line in out.splitlines():
        if line.startswith("Model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"

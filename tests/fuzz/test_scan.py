"""Random scans against a NumPy loop, and FAST_RUN against FAST_COMPILE.

Each case draws 0-1 sequences with taps ([0], [-1, 0], [0, 1], [-2, 0]), 1 recurrent output
with taps ([-1], [-2, -1], [-3, -1], [-1, -3]) or none, an optional non-sequence matrix, an
optional ``until`` condition and 0-4 steps (zero-step loops included), and a body of tanh,
sigmoid, linear, dot and max terms. The loop is compiled in both modes (outputs and their last
rows; or, in the gradient variant, the gradients of the sum of squares of every output with
respect to every input): the modes must agree to 1e-9 in values and shapes, or fail alike. The
values are also checked against ``reference``, a plain Python loop over the same body in NumPy
that stops after the step where ``until`` holds.
"""
from __future__ import annotations

import random
import types

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework.scan_module import until

from .generators import MODES, Outcome, check_seeds, fd_grad, outcome_difference, run_graph, seed_blocks

SMOKE = range(0, 15)

NUMPY_OPS = types.SimpleNamespace(tanh=np.tanh, sigmoid=lambda x: 1 / (1 + np.exp(-x)), dot=np.dot,
                                  maximum=np.maximum)
SYMBOLIC_OPS = types.SimpleNamespace(tanh=T.tanh, sigmoid=T.nnet.sigmoid, dot=T.dot, maximum=T.maximum)


def make_case(seed: int) -> dict:
    R = random.Random(seed)
    rng = np.random.RandomState(seed)
    d = R.randint(1, 3)
    n_seq = R.randint(0, 2)
    n_steps = R.randint(0, 5)
    seq_taps = [R.choice([[0], [-1, 0], [0, 1], [-2, 0]]) for _ in range(n_seq)]
    out_taps = [R.choice([[-1], [-2, -1], [-3, -1], [-1, -3], None]) for _ in range(R.randint(1, 2))]
    if all(t is None for t in out_taps):
        out_taps[0] = [-1]
    use_ns = R.random() < .6
    use_until = R.random() < .2
    ops = [R.choice(["tanh", "sig", "lin", "dot", "max"]) for _ in range(6)]
    coefs = [R.choice([0.5, -0.7, 1.1, 0.3]) for _ in range(12)]
    pads = [max(0, -min(t)) + max(0, max(t)) for t in seq_taps]
    return dict(
        d=d, seq_taps=seq_taps, out_taps=out_taps, use_ns=use_ns, until=use_until, ops=ops, coefs=coefs,
        T=n_steps,
        seq_vals=[rng.uniform(-1, 1, size=(n_steps + p, d)) for p in pads],
        init_vals=[rng.uniform(-1, 1, size=(max(-min(t), 1), d)) if t is not None else None for t in out_taps],
        ns_val=rng.uniform(-1, 1, size=(d, d)))


def describe(case: dict) -> str:
    return str({k: v for k, v in case.items() if k not in ("seq_vals", "init_vals", "ns_val", "coefs")})


def body(case: dict, M, args: list) -> list:
    """The step, in NumPy (``M = NUMPY_OPS``) or symbolically: ``args`` are the step's inputs in
    scan's order (sequence taps, output taps, non-sequence)."""
    vals = list(args)
    ns = vals.pop() if case["use_ns"] else None
    acc = 0
    for k, v in enumerate(vals):
        op, a = case["ops"][k % 6], case["coefs"][k % 12]
        if op == "tanh":
            term = M.tanh(v * a)
        elif op == "sig":
            term = M.sigmoid(v) * a
        elif op == "lin":
            term = v * a + 0.1
        elif op == "dot":
            term = M.dot(v, ns) * a if ns is not None else v * a
        else:
            term = M.maximum(v, 0) * a
        acc = acc + term
    return [M.tanh(acc * case["coefs"][j + 6] + j) for j in range(len(case["out_taps"]))]


def reference(case: dict) -> list:
    """Each output's rows from a Python loop (None for an output that never ran a step)."""
    history = [list(iv) if iv is not None else None for iv in case["init_vals"]]
    rows = [[] for _ in case["out_taps"]]
    for t in range(case["T"]):
        args = []
        for seq, taps in zip(case["seq_vals"], case["seq_taps"]):
            offset = max(0, -min(taps))
            args += [seq[t + offset + tap] for tap in taps]
        for j, taps in enumerate(case["out_taps"]):
            if taps is not None:
                args += [history[j][len(history[j]) + tap] for tap in taps]
        if case["use_ns"]:
            args.append(case["ns_val"])
        outs = body(case, NUMPY_OPS, args)
        for j, o in enumerate(outs):
            rows[j].append(o)
            if history[j] is not None:
                history[j].append(o)
        if case["until"] and np.sum(outs[0]) > 0.5:
            break
    return [np.array(r) if r else None for r in rows]


def build(case: dict):
    seqs = [T.dmatrix(f"s{k}") for k in range(len(case["seq_vals"]))]
    inits = [T.dmatrix(f"i{k}") if iv is not None else None for k, iv in enumerate(case["init_vals"])]
    ns = T.dmatrix("ns")
    outputs_info = []
    for init, taps in zip(inits, case["out_taps"]):
        if taps is None:
            outputs_info.append(None)
        elif taps == [-1]:
            outputs_info.append(init[-1])
        else:
            outputs_info.append(dict(initial=init, taps=taps))

    def step(*args):
        outs = body(case, SYMBOLIC_OPS, list(args))
        return (outs, until(T.sum(outs[0]) > 0.5)) if case["until"] else outs

    kwargs = dict(sequences=[dict(input=s, taps=t) for s, t in zip(seqs, case["seq_taps"])],
                  outputs_info=outputs_info, non_sequences=[ns] if case["use_ns"] else [])
    if not seqs or case["until"]:
        kwargs["n_steps"] = case["T"]
    res, updates = framework.scan(step, **kwargs)
    res = list(res) if isinstance(res, (list, tuple)) else [res]
    ins = seqs + [i for i in inits if i is not None] + [ns]
    vals = case["seq_vals"] + [v for v in case["init_vals"] if v is not None] + [case["ns_val"]]
    return ins, vals, res, updates


def run(case: dict, mode: str, grad: bool) -> Outcome:
    ins, vals, res, updates = build(case)
    outs = res + ([r[-1] for r in res] if case["T"] > 0 else [])
    if grad:
        outs = T.grad(sum((r ** 2).sum() for r in res), ins, disconnected_inputs="ignore")
    return run_graph(ins, vals, outs, mode, updates=updates)


def scan_agrees(seed: int, grad: bool) -> str | None:
    case = make_case(seed)
    fast_run, fast_compile = (run(case, mode, grad) for mode in MODES)
    diff = outcome_difference(fast_run, fast_compile, tol=1e-9)
    if diff is not None:
        return f"{describe(case)}: {diff}"
    if grad or fast_run.status != "ok":
        return None
    for j, (want, got) in enumerate(zip(reference(case), fast_run.values)):
        if want is None:
            if got.shape[0] != 0:
                return f"{describe(case)}: output {j} has {got.shape[0]} rows, the loop ran no step"
        elif want.shape != got.shape or not np.allclose(want, got, rtol=1e-9, atol=1e-12):
            return f"{describe(case)}: output {j} {got.shape} against the NumPy loop's {want.shape}"
    return None


def gradient_matches_differences(seed: int) -> str | None:
    """FAST_RUN's gradient of a weighted sum of squares of every output, with respect to every
    input, against central finite differences of the same compiled cost (the loop runs at
    least one step; the modes' agreement is :func:`scan_agrees`'s)."""
    case = make_case(seed)
    if case["T"] == 0:
        return None
    ins, vals, res, updates = build(case)
    cost = sum(((r ** 2) * (0.3 * (k + 1))).sum() for k, r in enumerate(res))
    try:
        f = framework.function(ins, cost, updates=updates, on_unused_input="ignore")
        g = framework.function(ins, T.grad(cost, ins, disconnected_inputs="ignore"), updates=updates,
                               on_unused_input="ignore")
        grads = g(*[v.copy() for v in vals])
    except Exception:
        return None  # a case the modes' comparison covers (an error in both)
    for k, v in enumerate(vals):
        def cost_at(x, k=k):
            args = [a.copy() for a in vals]
            args[k] = x
            return float(f(*args))
        num = fd_grad(cost_at, v)
        if not np.allclose(grads[k], num, rtol=1e-5, atol=1e-6):
            return f"{describe(case)}: gradient of input {k} off by {np.max(np.abs(grads[k] - num)):.3g}"
    return None


def test_scan_gradient_differences_smoke():
    check_seeds(SMOKE, gradient_matches_differences)


@pytest.mark.slow
@pytest.mark.parametrize("seeds", seed_blocks(400, block=50))
def test_scan_gradient_differences(seeds):
    check_seeds(seeds, gradient_matches_differences)


@pytest.mark.parametrize("grad", [False, True], ids=["values", "gradients"])
def test_scan_smoke(grad):
    check_seeds(SMOKE, lambda seed: scan_agrees(seed, grad))


@pytest.mark.slow
@pytest.mark.parametrize("seeds", seed_blocks(2000, block=100))
def test_scan_values(seeds):
    check_seeds(seeds, lambda seed: scan_agrees(seed, False))


@pytest.mark.slow
@pytest.mark.parametrize("seeds", seed_blocks(600, block=50))
def test_scan_gradients(seeds):
    check_seeds(seeds, lambda seed: scan_agrees(seed, True))

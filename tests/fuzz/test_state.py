"""State carried between calls does not depend on the compilation mode, and a failed call stores
nothing.

Each seed builds a program over 2-4 shared variables (float64/float32 vectors and matrices of
one size ``d``) and a stream of draws, with inputs ``x`` (a matrix that should be ``d`` wide)
and ``p`` (a probability). Its outputs and ``updates=`` mix plain updates, swaps of two shared
variables, accumulators, updates that read other shared variables, outputs that are a shared
variable itself, draws (uniform, normal, Bernoulli with ``p`` from a sigmoid or the input),
*dead* draws (the sample read by nothing, the state update passed explicitly) and a 2-3 step
``scan`` whose body reads shared variables and ``x``, draws, and updates a shared variable.
``T.dot(x, M)`` fails when ``x`` is too wide and ``binomial(p=p)`` when ``p`` leaves [0, 1],
in the outer graph or inside the loop (``p + 0.1 * t``: p = 0.95 fails at step 1), so a call
can fail after draws that FAST_RUN makes in place. Half the programs also compile a second
function over the same state (another output, half of the updates), and the calls alternate.

The program is built twice (fresh shared variables and streams, same seeds) and compiled in
FAST_RUN and in FAST_COMPILE; both run the same four calls, some with inputs that fail. After
every call the modes must agree on the outputs (raw draws bit-identical, the rest to the
dtype's tolerance), on whether the call raised and the kind of error, and on every shared
variable's value (generator states by what a copy draws next, uniform and normal). Within
each mode: a call that raised leaves every shared variable and generator state exactly as it
was; a call that succeeded stores what the updates compute from the *old* values where NumPy
says it simply (swaps exactly, plain updates and reads of other variables to the tolerance),
returns a shared variable's old value, and leaves the earlier call's results as they were.
``state_program(N, mode)`` rebuilds seed N's program, ``call_inputs(N, d)`` its calls.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import pytest

import framework.tensor as T
from framework import function, scan, shared
from framework.random import RandomStreams

from .generators import MODES, Outcome, check_seeds, outcome_difference, seed_blocks, tolerance

SMOKE = range(0, 20)
N_CALLS = 4


@dataclass
class Program:
    fns: list      # f, and the second function over the same state (or f again)
    tensors: list  # the shared tensor variables, in build order
    srng: RandomStreams
    exact: set     # f's outputs that are raw draws: bit-identical
    raw: dict      # f's output position -> the shared tensor it returns
    oracles: dict  # tensor position -> its new value (NumPy) from the old values, for f's calls
    d: int


def state_program(seed: int, mode: str) -> Program:
    R, rng = random.Random(seed), np.random.RandomState(seed)
    d, srng = R.randint(2, 3), RandomStreams(seed)
    x, p = T.dmatrix("x"), T.dscalar("p")
    tensors = [shared(rng.uniform(-1, 1, size=(d,) * R.choice([1, 2])).astype(R.choice(["float64", "float32"])),
                      name=f"s{k}") for k in range(R.randint(2, 4))]
    mats = [s for s in tensors if s.ndim == 2]

    def vec(s):  # a (d,) view of a shared variable
        return s if s.ndim == 1 else s.sum(axis=0)

    pool, outputs, exact, raw = [x.mean() * T.ones((d,))], [], set(), {}
    for _ in range(R.randint(1, 4)):
        kind = R.choice(["unif", "norm", "norm_x", "bern_p", "bern_sig", "dotx", "dotx", "shared", "raw"])
        dtype = R.choice(["float64", "float32"])
        if kind == "dotx" and mats:
            pool.append(T.dot(x, R.choice(mats)).sum(axis=0))  # fails when x is not d wide
        elif kind == "shared":
            pool.append(vec(R.choice(tensors)) * 2)
        elif kind == "raw":  # the variable itself: its old value, whatever the updates store
            raw[len(outputs)] = R.randrange(len(tensors))
            outputs.append(tensors[raw[len(outputs)]])
        elif kind != "dotx":
            term = (srng.uniform(size=(d,), low=-1, high=R.choice([1, 2]), dtype=dtype) if kind == "unif" else
                    srng.normal(size=(d,), avg=0.5, std=2.0, dtype=dtype) if kind == "norm" else
                    srng.normal(size=x.shape, avg=-1.0, std=0.5, dtype=dtype) if kind == "norm_x" else
                    srng.binomial(size=(d,), n=1, p=p, dtype=dtype) if kind == "bern_p" else
                    srng.binomial(size=(d,), n=1, p=T.nnet.sigmoid(vec(R.choice(tensors))), dtype=dtype))
            if R.random() < .3:  # dead: only the state moves on (if its update is passed below)
                continue
            if R.random() < .6:
                exact.add(len(outputs))
                outputs.append(term)
            pool.append(term.mean(axis=0) if kind == "norm_x" else term)

    updates, updated, oracles = [], set(), {}
    if R.random() < .6:
        scanned, reads = R.choice(tensors), R.choice(tensors)
        updated.add(scanned)
        use_x, bern = R.random() < .5, R.random() < .4

        def step(t, h):
            dr = srng.binomial(size=(d,), n=1, p=p + 0.1 * t, dtype="float64") if bern else srng.uniform(size=(d,))
            new = T.tanh(h * 0.7 + dr + vec(reads) * 0.1)
            if use_x:
                new = new + T.dot(x, h).mean() * 0.1  # fails inside the loop when x is not d wide
            return new, {scanned: T.cast(scanned * 0.5 + new.mean(), scanned.dtype)}

        chain, scan_updates = scan(step, sequences=T.arange(R.randint(2, 3)),
                                   outputs_info=T.cast(R.choice(pool), "float64"))
        updates += list(scan_updates.items())
        pool.append(chain[-1])
        if R.random() < .5:
            outputs.append(chain if R.random() < .5 else chain[-1])
    for i, s in enumerate(tensors):
        kind = R.choice(["none", "plain", "swap", "acc", "other"])
        if s in updated or kind == "none":
            continue
        if kind == "swap":
            for j, t in enumerate(tensors):
                if t is not s and t not in updated and t.type == s.type:
                    updates += [(s, t), (t, s)]
                    updated |= {s, t}
                    oracles[i], oracles[j] = (lambda old, j=j: old[j]), (lambda old, i=i: old[i])
                    break
            continue
        if kind == "plain":
            updates.append((s, T.cast(T.tanh(s) * 0.9 + 0.1, s.dtype)))
            oracles[i] = lambda old, i=i: np.tanh(old[i]) * 0.9 + 0.1
        elif kind == "acc":
            updates.append((s, T.cast(s + R.choice(pool), s.dtype)))
        else:
            j = R.randrange(len(tensors))
            fold = tensors[j].ndim > s.ndim
            updates.append((s, T.cast(s + 0.5 * (tensors[j].sum(axis=0) if fold else tensors[j]), s.dtype)))
            oracles[i] = lambda old, i=i, j=j, fold=fold: old[i] + 0.5 * (old[j].sum(axis=0) if fold else old[j])
        updated.add(s)
    dead = [(r, new) for r, new in srng.updates() if not any(r is u for u, _ in updates)]
    updates += [(r, new) for r, new in dead if R.random() < .5]  # the others advance where reachable
    fns = [function([x, p], outputs or [R.choice(pool)], updates=updates, mode=mode, on_unused_input="ignore")]
    if R.random() < .5:
        fns.append(function([x, p], R.choice(pool), updates=[u for u in updates if R.random() < .5], mode=mode,
                            on_unused_input="ignore"))
    return Program(fns, tensors, srng, exact, raw, oracles, d)


def call_inputs(seed: int, d: int) -> list:
    """The calls' (function, x, p): about a third with x one column too wide or p out of range."""
    rng = np.random.RandomState(seed + 7)
    calls = []
    for _ in range(N_CALLS):
        width, pv = d, rng.uniform(0.1, 0.9)
        if rng.rand() < .35:
            if rng.rand() < .5:
                width = d + 1
            else:
                pv = rng.choice([1.5, -0.5, 0.95])
        calls.append((rng.randint(2), rng.uniform(-1, 1, size=(rng.randint(1, 4), width)), float(pv)))
    return calls


def state_of(prog: Program) -> list:
    """Every shared tensor's value, then what a copy of every generator state draws next
    (normals too: a ``RandomState`` keeps a Gaussian cached outside its bit generator)."""
    return [s.get_value() for s in prog.tensors] + [
        np.concatenate([(g := r.get_value()).uniform(size=4), g.normal(size=3)]) for r, _ in prog.srng.updates()]


def same_arrays(a: list, b: list, tol: float, what: str = "state") -> str | None:
    for k, (u, v) in enumerate(zip(a, b)):
        if u.shape != v.shape or u.dtype != v.dtype:
            return f"{what} {k}: {u.shape} {u.dtype} against {v.shape} {v.dtype}"
        if not (np.array_equal(u, v, equal_nan=True) if tol == 0 else
                np.allclose(u, v, rtol=tol, atol=tol, equal_nan=True)):
            return f"{what} {k}: {u.ravel()[:4]} against {v.ravel()[:4]}"
    return None


def run_calls(prog: Program, calls: list) -> tuple[list, str | None]:
    """Each call's (function used, outcome, state after it); and what broke the contract
    within this mode, if anything."""
    before, results, held = state_of(prog), [], None
    for c, (fi, xv, pv) in enumerate(calls):
        fi = fi if len(prog.fns) > 1 else 0
        try:
            got = prog.fns[fi](xv.copy(), pv)
            got = got if isinstance(got, list) else [got]
            outcome = Outcome("ok", [np.array(o, copy=True) for o in got])
        except Exception as e:
            got, outcome = None, Outcome("error", error=e)
        after = state_of(prog)
        results.append((fi, outcome, after))
        if held is not None and (diff := same_arrays(held[0], held[1], 0.0, "output")):
            return results, f"call {c} changed the results of an earlier call: {diff}"
        if outcome.status == "error" and (diff := same_arrays(before, after, 0.0)):
            return results, f"call {c} failed ({outcome}) but stored something: {diff}"
        if outcome.status == "ok" and fi == 0:
            for k, i in prog.raw.items():
                if diff := same_arrays([outcome.values[k]], [before[i]], 0.0, "output"):
                    return results, f"call {c}: output {k} is not s{i}'s old value: {diff}"
            for i, expect in prog.oracles.items():
                want = np.asarray(expect(before), dtype=before[i].dtype)
                if diff := same_arrays([after[i]], [want], tolerance(str(want.dtype))):
                    return results, f"call {c}: s{i} is not its update computed from the old values: {diff}"
        held = (got, outcome.values) if got is not None else held
        before = after
    return results, None


def state_matches(seed: int) -> str | None:
    progs = [state_program(seed, mode) for mode in MODES]
    runs = []
    for mode, prog in zip(MODES, progs):
        results, broken = run_calls(prog, call_inputs(seed, prog.d))
        if broken:
            return f"{mode}: {broken}"
        runs.append(results)
    n_tensors = len(progs[0].tensors)
    for c, ((fi, a, sa), (_, b, sb)) in enumerate(zip(*runs)):
        pairs = [(k, Outcome("ok", [u]), Outcome("ok", [v])) for k, (u, v) in enumerate(zip(a.values, b.values))]
        if a.status != b.status or a.status != "ok" or len(a.values) != len(b.values):
            pairs = [(-1, a, b)]
        for k, oa, ob in pairs:
            exact = fi == 0 and k in progs[0].exact
            if diff := outcome_difference(oa, ob, 0.0 if exact else tolerance(str(oa.values[0].dtype) if k >= 0 else "")):
                return f"call {c} (function {fi}){f' output {k}' if k >= 0 else ''}: {diff}"
        for k in range(len(sa)):
            if diff := same_arrays([sa[k]], [sb[k]], 0.0 if k >= n_tensors else tolerance(str(sa[k].dtype))):
                return f"call {c} (function {fi}, {a}): {MODES[0]} against {MODES[1]}: {diff.replace('state 0', f'state {k}')}"
    return None


def test_state_smoke():
    check_seeds(SMOKE, state_matches)


@pytest.mark.slow
@pytest.mark.parametrize("seeds", seed_blocks(1000, block=100))
def test_state(seeds):
    check_seeds(seeds, state_matches)

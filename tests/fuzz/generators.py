"""Shared pieces of the fuzz tests: seed blocks, the random-graph builder, running a graph in
one mode, comparing two modes' outcomes, and central finite differences.

The random graphs mix the ops whose rewrites have bitten before -- dot (and sums of dots),
transpose, broadcasting, sums and means, ``set_subtensor``/``inc_subtensor``, ``concatenate``,
element-wise unary and binary ops -- on 0-2 dimensional float16/float32/float64 inputs, sometimes with
an ``inf``/``nan`` planted. A build step that the graph refuses (shapes that cannot match) is
skipped, the same way in every mode. Each seed always builds the same graph and values, so a
failure message's ``seed=N`` reproduces it: ``random_graph(N)``.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import pytest

import framework.tensor as T
from framework import function
from framework.core.types import TensorType

#: The two modes every family compares: all rewrites against (nearly) none.
MODES = ("FAST_RUN", "FAST_COMPILE")


def seed_blocks(count: int, block: int = 50, start: int = 1000) -> list[Any]:
    """``count`` seeds from ``start`` in ``pytest.param`` blocks of ``block``, with ids like
    ``seeds1000-1049``, so a failing test id names the block to rerun. The slow tier starts at
    1000 so that it does not repeat the smoke tier's seeds (0, 1, 2, ...)."""
    params = []
    for lo in range(start, start + count, block):
        hi = min(lo + block, start + count)
        params.append(pytest.param(range(lo, hi), id=f"seeds{lo}-{hi - 1}"))
    return params


def check_seeds(seeds: Sequence[int], check: Callable[[int], str | None]) -> None:
    """Run ``check(seed)`` for every seed; fail once, listing every seed whose check returned
    a message (``seed=N: what differed``)."""
    failures = [f"seed={seed}: {msg}" for seed in seeds if (msg := check(seed)) is not None]
    assert not failures, f"{len(failures)} of {len(seeds)} seeds failed:\n" + "\n".join(failures)


def fuzz_tests(check: Callable[[int], str | None], smoke: Sequence[int], slow_count: int, block: int = 100):
    """The two tiers of a family with one check per seed: a smoke test over ``smoke`` (default
    run) and a ``slow`` test over ``slow_count`` seeds in blocks. Bind them to ``test_*`` names
    in the module: ``test_pool_smoke, test_pool = fuzz_tests(pool_matches, range(25), 3000)``."""
    def smoke_test() -> None:
        check_seeds(smoke, check)

    @pytest.mark.slow
    @pytest.mark.parametrize("seeds", seed_blocks(slow_count, block))
    def slow_test(seeds: range) -> None:
        check_seeds(seeds, check)

    return smoke_test, slow_test


def fd_grad(cost: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of the scalar ``cost`` at ``x`` (float64), entry by entry."""
    grad = np.zeros_like(x, dtype="float64")
    for idx in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        grad[idx] = (cost(up) - cost(down)) / (2 * eps)
    return grad


# --------------------------------------------------------------------------- random graphs

@dataclass
class Graph:
    """A random graph: its inputs and their values, the outputs to compile, and the places
    where the graph has a kink (``maximum(a, b)`` at a == b, ``abs(a)`` at a == 0), each as
    the symbolic difference that is zero at the kink."""

    inputs: list
    values: list
    outputs: list
    dtype: str
    kinks: list = field(default_factory=list)

    def describe(self) -> str:
        return f"dtype={self.dtype} input shapes={[v.shape for v in self.values]}"


def _random_value(rng: np.random.RandomState, shape: tuple, dtype: str, nonfinite: bool) -> np.ndarray:
    value = rng.uniform(-2, 2, size=shape).astype(dtype)
    if nonfinite and value.size and rng.rand() < 0.5:
        idx = tuple(rng.randint(0, s) for s in shape)
        value[idx] = rng.choice([np.inf, -np.inf, np.nan])
    return value


_KINDS = ["dot", "dot", "T", "bin", "scal", "sum", "setsub", "incsub", "join", "unary", "bcast",
          "dotsum", "outer", "mean", "xent"]
_BINARY = [("add", lambda x, y: x + y), ("mul", lambda x, y: x * y), ("sub", lambda x, y: x - y),
           ("maximum", T.maximum)]
_SCALAR = [lambda x: x * -0.05, lambda x: x + 1, lambda x: 2 * x, lambda x: x / 3.0]
_UNARY = [("sigmoid", T.sigmoid), ("tanh", T.tanh), ("exp", T.exp), ("softplus", T.softplus),
          ("abs", abs), ("neg", lambda x: -x)]


def _step(R: random.Random, pool: list, kinks: list) -> Any:
    """One random op on values from ``pool``; None where the drawn op does not apply."""
    a, b = R.choice(pool), R.choice(pool)
    kind = R.choice(_KINDS)
    if kind == "dot" and a.ndim in (1, 2) and b.ndim in (1, 2):
        return T.dot(a, b)
    if kind == "dotsum" and a.ndim == 2 and b.ndim == 2:
        c, d = R.choice(pool), R.choice(pool)
        if c.ndim != 2 or d.ndim != 2:
            return None
        return T.dot(a.T, b) - T.dot(c.T, d) if R.random() < .5 else T.dot(a, b) + T.dot(c, d)
    if kind == "T" and a.ndim == 2:
        return a.T
    if kind == "bin":
        name, op = R.choice(_BINARY)
        out = op(a, b)
        if name == "maximum":
            kinks.append(a - b)
        return out
    if kind == "scal":
        return R.choice(_SCALAR)(a)
    if kind == "sum" and a.ndim >= 1:
        return a.sum(axis=R.randint(0, a.ndim - 1))
    if kind == "mean":
        return a.mean() if R.random() < .5 or a.ndim == 0 else a.mean(axis=0)
    if kind == "setsub" and a.ndim == 2:
        j = R.randint(0, 2)
        col = b if b.ndim <= 1 else b[0]
        return T.set_subtensor(a[:, j], col) if R.random() < .5 else T.set_subtensor(a[:, j], 1 - a[:, j])
    if kind == "incsub" and a.ndim >= 1:
        return T.inc_subtensor(a[0], b if b.ndim < a.ndim else b[0])
    if kind == "join" and a.ndim == b.ndim and a.ndim >= 1:
        return T.concatenate([a, b], axis=R.randint(0, a.ndim - 1))
    if kind == "unary":
        name, op = R.choice(_UNARY)
        if name == "abs":
            kinks.append(a)
        return op(a)
    if kind == "bcast" and a.ndim == 1:
        if R.random() < .5:
            return a.dimshuffle('x', 0) * (b if b.ndim == 2 else 1.0)
        return a.dimshuffle(0, 'x') + b
    if kind == "outer" and a.ndim == 1 and b.ndim == 1:
        return T.outer(a, b)
    if kind == "xent" and (a.ndim == b.ndim or b.ndim <= 1):
        # the cross-entropy from logits, negated as the RBM's reconstruction cost is (the NumPy
        # backend folds the negation into the row), sometimes against targets of the other float
        # dtype (the row's own function then: the fold must not apply)
        t = b
        if R.random() < .5:
            t = T.cast(b, "float32" if b.dtype == "float64" else "float64")
            if b.dtype == "float64":
                # a float32 round trip is a staircase: finite differences across it mean nothing
                # (test_gradients skips a graph with a kink at distance 0, as this one is)
                kinks.append(b * 0.0)
        xent = _sigmoid_xent(a, t)
        return -xent if R.random() < .7 else xent
    return None


def _sigmoid_xent(a: Any, t: Any) -> Any:
    from framework.core.elemwise import sigmoid_xent

    return sigmoid_xent(a, t)


def random_graph(seed: int, grad: bool = False) -> Graph | None:
    """The random graph of ``seed``: 1-3 inputs, 1-6 ops; its last one or two results as
    outputs, or (``grad=True``) the gradients of a scalar made from the last one with respect
    to every input. None where the gradient is refused."""
    R = random.Random(seed)
    rng = np.random.RandomState(seed)
    dtype = R.choice(["float64", "float32", "float16"])
    nonfinite = R.random() < 0.3
    inputs, values, pool, kinks = [], [], [], []
    for k in range(R.randint(1, 4)):
        nd = R.choice([1, 2, 2, 2, 0])
        shape = tuple(R.randint(1, 4) for _ in range(nd))
        var = TensorType(dtype, (None,) * nd)(f"x{k}")
        inputs.append(var)
        values.append(_random_value(rng, shape, dtype, nonfinite))
        pool.append(var)
    for _ in range(R.randint(1, 7)):
        try:
            out = _step(R, pool, kinks)
        except Exception:  # refused at build time (e.g. static shapes): the same in every mode
            continue
        if out is not None:
            pool.append(out)
    outputs = pool[-1:] if R.random() < .6 else pool[-2:]
    if grad and outputs[-1] not in inputs:
        last = outputs[-1]
        cost = (last * (1 + last * 0.1)).sum() if R.random() < .5 else last.sum()
        try:
            outputs = T.grad(cost, inputs, disconnected_inputs="ignore")
        except Exception:
            return None
    return Graph(inputs, values, list(outputs), dtype, kinks)


# --------------------------------------------------------------------------- outcomes

@dataclass
class Outcome:
    """What compiling and calling a graph in one mode gave: ``status`` is "ok", "error" (at
    the call) or "compile-error"; ``values`` the outputs, or ``error`` the exception."""

    status: str
    values: list = field(default_factory=list)
    error: BaseException | None = None

    def __str__(self) -> str:
        if self.status != "ok":
            return f"{self.status} {type(self.error).__name__}: {str(self.error)[:200]}"
        return str([(v.shape, str(v.dtype)) for v in self.values])


def run_graph(inputs: list, values: list, outputs: list, mode: str, **kwargs: Any) -> Outcome:
    """Compile ``outputs`` in ``mode`` and call it on copies of ``values``."""
    try:
        f = function(inputs, outputs, mode=mode, on_unused_input="ignore", **kwargs)
    except Exception as e:
        return Outcome("compile-error", error=e)
    try:
        return Outcome("ok", [np.asarray(v) for v in f(*[v.copy() for v in values])])
    except Exception as e:
        return Outcome("error", error=e)


def _allclose_nonfinite(x: np.ndarray, y: np.ndarray, tol: float) -> bool:
    """Close where finite; ``nan``/``inf`` at the same places (same sign for ``inf``)."""
    if np.allclose(x, y, rtol=tol, atol=tol, equal_nan=True):
        return True
    if not (np.array_equal(np.isnan(x), np.isnan(y)) and np.array_equal(np.isposinf(x), np.isposinf(y))
            and np.array_equal(np.isneginf(x), np.isneginf(y))):
        return False
    finite = np.isfinite(x)
    return np.allclose(x[finite], y[finite], rtol=tol, atol=tol)


def _builtin_bases(error: BaseException | None) -> set:
    """The built-in exception classes ``error`` is an instance of, less the catch-alls: the
    modes may word an error differently (FAST_RUN checks shapes up front and raises
    ShapeCheckError, FAST_COMPILE lets NumPy raise ValueError) but not change its kind."""
    return {c for c in type(error).__mro__ if c.__module__ == "builtins"} - {Exception, BaseException, object}


def outcome_difference(a: Outcome, b: Outcome, tol: float) -> str | None:
    """None where two modes' outcomes agree: the same status and kind of error (a common built-in base class), or outputs of the
    same shapes and dtypes with values within ``tol`` and non-finite values at the same places.
    Otherwise a message saying what differed."""
    if a.status != b.status:
        return f"{MODES[0]} gave {a}, {MODES[1]} gave {b}"
    if a.status != "ok":
        if not _builtin_bases(a.error) & _builtin_bases(b.error):
            return f"different kinds of error: {MODES[0]} {a}, {MODES[1]} {b}"
        return None
    if len(a.values) != len(b.values):
        return f"{len(a.values)} outputs against {len(b.values)}"
    for i, (x, y) in enumerate(zip(a.values, b.values)):
        if x.shape != y.shape or x.dtype != y.dtype:
            return f"output {i}: {x.shape} {x.dtype} against {y.shape} {y.dtype}"
        if not _allclose_nonfinite(x, y, tol):
            return f"output {i} values differ: {x.ravel()[:6]} against {y.ravel()[:6]}"
    return None


def tolerance(dtype: str) -> float:
    """The modes may sum in different orders: float16 agrees to about 2e-2 (11-bit significands; a
    product of a few sums), float32 to about 1e-4, float64 to 1e-9."""
    return {"float16": 2e-2, "float32": 1e-4}.get(dtype, 1e-9)

"""Random element-wise (and other order-free) graphs give FAST_RUN's bits in FAST_COMPILE: no rewrite
changes a value.

docs/rewrites.md: "No rewrite of the default modes changes a result, a shape or an error on any
input, NaN and infinities included." ``test_graphs`` compares the modes to a tolerance, because
dots and sums may add in another order; element-wise graphs have no order to change, so here the
comparison is bit for bit (any NaN equals any NaN). The graphs are built from the forms rewrites
look for -- constant powers, ``x * 1``, ``-(-x)``, ``exp(log(x))``, ``x - x``, ``sqrt(sqr(x))``,
casts, ``switch``, ``1 - sigmoid(x)``... -- over inputs of mixed dtypes (float16 included) where most
values are special (signed zeros, infinities, NaN, subnormals, the edges of ``exp``'s range). The
``stabilize`` stage is left out: it exists to change values that overflow or lose precision
into accurate ones (``test_stabilize`` holds it to SciPy), and ``fast_math`` is off, as by default.

This family found ``pow_specialize`` rounding ``x**3`` and ``x**-2`` twice where ``power`` rounds
once (a quarter of random values differed in the last bit).

The second family, ``order_free_bits``, adds the other operations that round nothing or round
once whatever the order: ``max``/``min``/``argmax``/``argmin``/``any``/``all`` along an axis or
all of them, sorting, indexing, ``set_subtensor``, reshapes, transposes, joins and stacks, over
vectors and matrices (including the rewrites' favourite forms, ``max(x * 2)``, ``-max(-x)``,
``exp(max(x))``...). The third, ``gradient_bits``, compares the gradients of ``sum(graph)`` of the
first family's graphs: element-wise as well; the fourth, ``scan_bits``, loops whose step is such a
graph, and their gradients; the fifth, ``integer_reduction_bits``, integer sums, products and dots
(exact in any order: integers wrap alike).
"""
from __future__ import annotations

import random
from typing import Any, Callable, List

import numpy as np

import framework.tensor as T
from framework import Mode, function
from framework.core.types import TensorType

from .generators import fuzz_tests

UNARY: List[Callable[[Any], Any]] = [
    T.exp, T.log, T.sqrt, T.tanh, T.sigmoid, abs, lambda x: -x, T.sqr, T.log1p, T.expm1, T.sin, T.cos, T.floor,
    T.ceil, T.sgn, lambda x: 1 / x, lambda x: x ** 2, lambda x: x ** 3, lambda x: x ** -1, lambda x: x ** 0.5,
    lambda x: x ** -2, lambda x: x ** 1, lambda x: x ** 0, T.softplus, lambda x: T.exp(T.log(x)),
    lambda x: T.log(T.exp(x)), lambda x: x * 1, lambda x: x + 0, lambda x: x - x, lambda x: x / x, lambda x: x * 0,
    lambda x: 0 * x, lambda x: -(-x), lambda x: abs(abs(x)), lambda x: T.sqrt(T.sqr(x)), lambda x: T.sqr(T.sqrt(x)),
    lambda x: x / 2, lambda x: x * 0.5, lambda x: T.cast(x, "float32"), lambda x: T.cast(x, "float64"),
    lambda x: T.cast(x, "int32"), lambda x: T.clip(x, -1, 1), lambda x: T.switch(x > 0, x, 0),
    lambda x: T.maximum(x, 0), lambda x: 1 - x, lambda x: 1 - T.sigmoid(x), lambda x: T.sigmoid(-x),
    lambda x: T.exp(-x), lambda x: x * x, lambda x: x * x * x, lambda x: T.true_div(x, 3.0), lambda x: x // 2,
    lambda x: x % 2, lambda x: T.tanh(x) * 0.5 + 0.5, lambda x: T.neq(x, x), lambda x: T.eq(x, x) * x,
]
BINARY: List[Callable[[Any, Any], Any]] = [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b, T.maximum, T.minimum,
    lambda a, b: a ** b, lambda a, b: T.switch(a < b, a, b), lambda a, b: a * b + a, lambda a, b: a * b - a * b,
    lambda a, b: (a + b) - b, lambda a, b: a * b / b, T.arctan2, lambda a, b: -a + b, lambda a, b: a - (-b),
    lambda a, b: a * (-b), lambda a, b: (-a) * (-b), lambda a, b: a / (-b), lambda a, b: T.exp(a) * T.exp(b),
    lambda a, b: T.log(a) + T.log(b), lambda a, b: a * 2 + b * 2, lambda a, b: (a + b) * 2,
    lambda a, b: T.sqr(a - b), lambda a, b: abs(a) * abs(b), lambda a, b: abs(a * b),
]
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0, -2.5, 1e-3, 1e-30, 1e-40, 1e-310, 1e30, 1e38, 3.5e38, 1e200,
           1e308, np.inf, -np.inf, np.nan, 88.0, 89.0, -88.0, -104.0, 710.0, -745.0, 37.0, -37.0, 17.0, 1e-8,
           65504.0, 6.1e-5, 6e-8, 11.0, -17.5]  # the last five: float16's largest, smallest normal and subnormal, exp's edge
DTYPES = ["float16", "float16", "float32", "float64", "float32", "float64", "int32", "int64", "int8", "uint8", "bool"]
DEFAULT_WITHOUT_STABILIZE = Mode("fast_run", excluding=["stabilize"])


def _values(rng: np.random.RandomState, dtype: str, size: int = 40) -> np.ndarray:
    v = rng.uniform(-3, 3, size)
    special = rng.rand(size) < .6
    v[special] = rng.choice(SPECIAL, special.sum())
    if dtype[0] == "f":
        with np.errstate(all="ignore"):
            return v.astype(dtype)
    return np.nan_to_num(np.clip(v, -300, 300)).astype(dtype)


def _run(inputs: list, output: Any, values: list, mode: Any) -> tuple:
    try:
        f = function(inputs, output, mode=mode, on_unused_input="ignore")
    except Exception as exc:  # refused at compile time: must be refused the same way
        return ("compile-error", type(exc))
    try:
        with np.errstate(all="ignore"):
            return ("ok", np.asarray(f(*[v.copy() for v in values])))
    except Exception as exc:
        return ("error", type(exc))


def _differing(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if x.dtype.kind in "fc":
        nx, ny = np.isnan(x), np.isnan(y)
        bits = x.view(f"u{x.itemsize}") if x.dtype.kind == "f" else x.view("u1").reshape(x.shape + (-1,))
        other = y.view(f"u{y.itemsize}") if y.dtype.kind == "f" else y.view("u1").reshape(y.shape + (-1,))
        same = bits == other if x.dtype.kind == "f" else (bits == other).all(axis=-1)
        return (nx != ny) | (~nx & ~same)
    return x != y


def _compare(inputs: list, output: Any, values: list, dtypes: list) -> str | None:
    """None where both modes give the same kind of error or the same dtype, shape and bits."""
    ours, written = (_run(inputs, output, values, mode) for mode in (DEFAULT_WITHOUT_STABILIZE, "FAST_COMPILE"))
    if ours[0] != written[0] or (ours[0] != "ok" and ours[1] is not written[1]):
        return f"FAST_RUN {ours[0]} {ours[1]}, FAST_COMPILE {written[0]} {written[1]} (inputs {dtypes})"
    if ours[0] != "ok":
        return None
    x, y = ours[1], written[1]
    if x.dtype != y.dtype or x.shape != y.shape:
        return f"FAST_RUN {x.dtype}{x.shape}, FAST_COMPILE {y.dtype}{y.shape} (inputs {dtypes})"
    bad = _differing(x, y)
    if bad.any():
        return (f"{bad.sum()} of {bad.size} values differ: FAST_RUN {x.ravel()[:4].tolist()}, FAST_COMPILE "
                f"{y.ravel()[:4].tolist()}; inputs {[v.tolist() for v in values]}")
    return None


def _grow(R: random.Random, pool: list, unary: Callable[[random.Random, Any], Any], steps: int) -> None:
    """Apply ``steps`` random ops to values of ``pool``; an op refused while building is skipped."""
    for _ in range(steps):
        try:
            if R.random() < .6 or len(pool) < 2:
                pool.append(unary(R, R.choice(pool)))
            else:
                pool.append(R.choice(BINARY)(R.choice(pool), R.choice(pool)))
        except Exception:  # refused while building (a dtype or shape an op does not take): no node
            pass


def same_bits(seed: int) -> str | None:
    R = random.Random(seed)
    rng = np.random.RandomState(seed)
    dtypes = [R.choice(DTYPES) for _ in range(R.randint(1, 3))]
    inputs = [TensorType(d, (None,))(f"x{k}") for k, d in enumerate(dtypes)]
    pool: list = list(inputs)
    _grow(R, pool, lambda R, x: R.choice(UNARY)(x), R.randint(1, 5))
    if pool[-1] in inputs:
        return None
    return _compare(inputs, pool[-1], [_values(rng, d) for d in dtypes], dtypes)


def _order_free(R: random.Random, x: Any) -> Any:
    """A random order-free op on ``x`` (an element-wise one, or one of those the module names)."""
    nd = x.ndim
    ops: List[Callable[[], Any]] = [lambda: R.choice(UNARY)(x)]
    if nd >= 1:
        ax = R.randint(0, nd - 1)
        ops += [lambda: x.max(axis=ax), lambda: x.min(axis=ax), lambda: T.argmax(x, axis=ax),
                lambda: T.argmin(x, axis=ax), lambda: x.max(), lambda: -T.max(-x, axis=ax),
                lambda: (x > 0).any(axis=ax), lambda: (x > 0).all(), lambda: x[::-1], lambda: x[1:], lambda: x[0],
                lambda: x[-1:], lambda: x.flatten(), lambda: T.concatenate([x, x], axis=ax),
                lambda: T.set_subtensor(x[0], 7), lambda: x.sort(axis=ax), lambda: T.argsort(x, axis=ax),
                lambda: x.reshape((-1,)), lambda: T.stack([x, -x]), lambda: x.dimshuffle(*range(nd), "x"),
                lambda: T.max(x * 2, axis=ax), lambda: T.max(x, axis=ax) * 2, lambda: T.exp(T.max(x, axis=ax)),
                lambda: T.max(T.exp(x), axis=ax), lambda: T.max(x + 1, axis=ax) - 1,
                lambda: T.max(abs(x), axis=ax), lambda: T.max(x, axis=ax, keepdims=True) - x]
    if nd == 2:
        ops += [lambda: x.T, lambda: x.T[0], lambda: x[:, 0], lambda: T.set_subtensor(x[:, 1:], 0.5),
                lambda: x[:, ::-1].T, lambda: x.dimshuffle(1, 0).max(axis=0),
                lambda: x.reshape((x.shape[1], x.shape[0]))]
    return R.choice(ops)()


def _array_graph_bits(seed: int, dtypes: List[str], largest: int,
                      op: Callable[[random.Random, Any], Any]) -> str | None:
    """One or two vector or matrix inputs of one dtype of ``dtypes`` (sizes up to ``largest``), a
    few ops drawn by ``op``, and the two modes compared bit for bit."""
    R = random.Random(seed)
    rng = np.random.RandomState(seed)
    dtype = R.choice(dtypes)
    shapes = [tuple(R.randint(1, largest) for _ in range(R.choice([1, 2, 2]))) for _ in range(R.randint(1, 2))]
    inputs = [TensorType(dtype, (None,) * len(s))(f"x{k}") for k, s in enumerate(shapes)]
    pool: list = list(inputs)
    _grow(R, pool, op, R.randint(1, 5))
    if pool[-1] in inputs:
        return None
    values = [_values(rng, dtype, int(np.prod(s))).reshape(s) for s in shapes]
    return _compare(inputs, pool[-1], values, [dtype] * len(shapes))


def order_free_bits(seed: int) -> str | None:
    return _array_graph_bits(seed, ["float32", "float64", "int32", "int64", "float64"], 4, _order_free)


def gradient_bits(seed: int) -> str | None:
    """The gradients of ``sum(graph)`` with respect to every input: element-wise graphs too (the
    sum's gradient is a broadcast of ones), so they must agree bit for bit as well."""
    R = random.Random(seed)
    rng = np.random.RandomState(seed)
    dtypes = [R.choice(["float16", "float32", "float64"]) for _ in range(R.randint(1, 3))]
    inputs = [TensorType(d, (None,))(f"x{k}") for k, d in enumerate(dtypes)]
    pool: list = list(inputs)
    _grow(R, pool, lambda R, x: R.choice(UNARY)(x), R.randint(1, 4))
    output = pool[-1]
    if output in inputs or not str(output.dtype).startswith("float"):
        return None
    try:
        grads = T.grad(T.sum(output), inputs, disconnected_inputs="ignore")
    except Exception:  # a graph without a gradient (an integer step): nothing to compare
        return None
    values = [_values(rng, d) for d in dtypes]
    for k, g in enumerate(grads):
        diff = _compare(inputs, g, values, dtypes)
        if diff is not None:
            return f"gradient with respect to x{k}: {diff}"
    return None


def scan_bits(seed: int) -> str | None:
    """A ``scan`` whose step is an element-wise graph of the carry and a sequence's row (1-3 steps):
    its outputs (all of them, or the last) and the gradient of the last with respect to the
    initial carry -- element-wise step by step, so bit for bit too (the loop rewrites: one-step
    inlining, merging, the carry's storage)."""
    from framework import scan

    R = random.Random(seed)
    rng = np.random.RandomState(seed)
    dtype = R.choice(["float16", "float32", "float64"])
    x0, seq = TensorType(dtype, (None,))("x0"), TensorType(dtype, (None, None))("seq")
    unary = [R.choice(UNARY) for _ in range(R.randint(1, 3))]
    binary = [R.choice(BINARY) for _ in range(R.randint(0, 2))]

    def step(s_t: Any, h: Any) -> Any:
        v = h
        for op in unary:
            v = op(v)
        for op in binary:
            v = op(v, s_t)
        return T.cast(v, dtype) if v.dtype != dtype else v

    try:
        out, _ = scan(step, sequences=[seq], outputs_info=[x0])
    except Exception:  # a step scan refuses (a carry whose type changes): nothing to compare
        return None
    values = [_values(rng, dtype, 5), np.stack([_values(rng, dtype, 5) for _ in range(R.randint(1, 3))])]
    diff = _compare([x0, seq], out[-1] if R.random() < .5 else out, values, [dtype, dtype])
    if diff is not None:
        return f"outputs: {diff}"
    try:
        grad = T.grad(T.sum(out[-1]), x0)
    except Exception:  # no gradient through an integer step
        return None
    diff = _compare([x0, seq], grad, values, [dtype, dtype])
    return None if diff is None else f"gradient: {diff}"


def _integer_op(R: random.Random, x: Any) -> Any:
    """An element-wise op, or (of integers only) a sum, product, running sum or product, mean or dot of
    ``x``. An element-wise op may give floats (``softplus`` of an int16): their sums are not
    order-free, and FAST_RUN may add them in another order (``sum_to_dot``, docs/rewrites.md)."""
    nd = x.ndim
    ops: List[Callable[[], Any]] = [lambda: R.choice(UNARY)(x)]
    if nd >= 1 and str(x.dtype).startswith(("int", "uint")):
        ax = R.randint(0, nd - 1)
        ops += [lambda: x.sum(axis=ax), lambda: x.sum(), lambda: T.prod(x, axis=ax), lambda: T.cumsum(x, axis=ax),
                lambda: T.cumprod(x, axis=ax), lambda: (x * 3).sum(axis=ax), lambda: (x * x).sum(),
                lambda: x.mean(axis=ax), lambda: T.sum(x, axis=ax, dtype="int8"), lambda: T.sum(x, acc_dtype="int64"),
                lambda: (x + 1).sum(axis=ax) - x.shape[ax]]
        if nd == 1:
            ops.append(lambda: T.dot(x, x))
    if nd == 2:
        ops += [lambda: T.dot(x, x.T), lambda: T.dot(x.T, x), lambda: x.sum(axis=0).sum()]
    return R.choice(ops)()


def integer_reduction_bits(seed: int) -> str | None:
    """Sums, products and dots of integers wrap the same way in any order: those graphs (and the
    element-wise ops between them) must agree bit for bit too."""
    return _array_graph_bits(seed, ["int8", "int16", "int32", "int64", "uint8"], 5, _integer_op)


test_same_bits_smoke, test_same_bits = fuzz_tests(same_bits, range(300), 20000, block=1000)
test_integer_reduction_bits_smoke, test_integer_reduction_bits = fuzz_tests(integer_reduction_bits, range(100),
                                                                            10000, block=1000)
test_scan_bits_smoke, test_scan_bits = fuzz_tests(scan_bits, range(40), 3000, block=500)
test_gradient_bits_smoke, test_gradient_bits = fuzz_tests(gradient_bits, range(100), 5000, block=1000)
test_order_free_bits_smoke, test_order_free_bits = fuzz_tests(order_free_bits, range(300), 20000, block=1000)

"""``out.shape`` compiled on its own gives the shape computing ``out`` gives -- or fails where it fails.

FAST_RUN does not run a node to learn its output's shape: the ops' ``infer_shape`` rules give it
from the inputs' shapes (``shape_i`` lifting, docs/rewrites.md), and a node whose kernel would
have checked the shapes leaves a ``check_shapes`` node behind (issue 17). A wrong rule, or a lost
check, returns a wrong shape, or a shape where the computation raises -- silently. Each seed
builds a random graph (:func:`generators.random_graph`, and a second builder of the shape
operations: reshapes with ``-1``, transposes and broadcastable axes, symbolic indices and
slices, joins and stacks, reductions with ``keepdims``, ``repeat``, ``alloc``, ``arange``,
``outer`` and ``dot`` of vectors; a third of ``conv2d``/``pool_2d`` and their gradients; loops;
``ifelse``) and compares, in both modes, ``function(inputs, [o.shape for o in outputs])`` with
the shapes of ``function(inputs, outputs)`` in FAST_COMPILE: the same tuples, or both raising an
error of the same kind.
"""
from __future__ import annotations

import random
from typing import Any, List

import numpy as np

import framework.tensor as T
from framework import function
from framework.core.types import TensorType

from .generators import MODES, _builtin_bases, fd_grad, fuzz_tests, outcome_difference, random_graph, run_graph


def _outcome(fn_inputs: list, outputs: list, values: list, mode: str, shapes: bool) -> Any:
    """``("ok", [shape, ...])`` or ``("error", exception)``."""
    try:
        f = function(fn_inputs, [o.shape for o in outputs] if shapes else outputs, mode=mode,
                     on_unused_input="ignore")
        with np.errstate(all="ignore"):
            got = f(*[np.copy(v) for v in values])
    except Exception as exc:
        return ("error", exc)
    return ("ok", [tuple(int(d) for d in np.asarray(g)) if shapes else np.shape(g) for g in got])


def _compare(inputs: list, outputs: list, values: list) -> str | None:
    want = _outcome(inputs, outputs, values, "FAST_COMPILE", shapes=False)
    for mode in MODES:
        got = _outcome(inputs, outputs, values, mode, shapes=True)
        if got[0] != want[0]:
            return f"{mode}: shapes {got[0]} ({got[1]!s:.200}) where computing gave {want[0]} ({want[1]!s:.200})"
        if got[0] == "ok" and got[1] != want[1]:
            return f"{mode}: shapes {got[1]} where computing gave {want[1]}"
        if got[0] == "error" and not _builtin_bases(got[1]) & _builtin_bases(want[1]):
            return f"{mode}: {type(got[1]).__name__} ({got[1]!s:.200}) where computing raised {type(want[1]).__name__}"
    return None


def shape_of_random_graph(seed: int) -> str | None:
    graph = random_graph(seed)
    if graph is None:
        return None
    return _compare(graph.inputs, graph.outputs, graph.values)


def _shape_step(R: random.Random, pool: list, ints: list) -> Any:
    """One shape operation on a value of ``pool`` (``ints``: 0-d integer inputs for indices); half the
    time on the latest value, so that chains (a reshape of a reshape) are common."""
    x = pool[-1] if R.random() < .5 else R.choice(pool)
    nd = x.ndim
    i = R.choice(ints)
    kind = R.choice(["reshape", "flatten", "T", "dimshuffle", "index", "slice", "join", "stack", "sum", "max",
                     "repeat", "alloc", "arange", "outer", "dot", "elemwise", "setsub", "argmax", "sort",
                     "take", "zeros", "incsub", "advanced", "cumsum", "tensordot", "squeeze", "where"])
    if kind == "zeros":
        return T.zeros((i + 1, 2)) + x.sum()
    if kind == "squeeze":
        return T.squeeze(x)
    if kind == "reshape":
        n = R.choice([-1, 1, 2, 3, 4, 6])
        return x.reshape((n, -1) if R.random() < .5 else (-1,)) if n != -1 else x.reshape((-1,))
    if kind == "flatten":
        return T.flatten(x, R.randint(1, max(nd, 1)))
    if kind == "T":
        return x.T
    if kind == "dimshuffle":
        return x.dimshuffle(*(["x"] + list(range(nd))))
    if nd == 0:
        return x + 1
    ax = R.randint(0, nd - 1)
    if kind == "index":
        return x[i] if R.random() < .5 else x[(slice(None),) * ax + (i,)]
    if kind == "slice":
        lo, hi = R.choice([None, i, -i, 1]), R.choice([None, i + 2, -1, i * 2])
        return x[(slice(None),) * ax + (slice(lo, hi, R.choice([None, 1, 2, -1])),)]
    if kind == "join":
        y = R.choice([v for v in pool if v.ndim == nd])
        return T.concatenate([x, y], axis=ax)
    if kind == "stack":
        y = R.choice([v for v in pool if v.ndim == nd])
        return T.stack([x, y], axis=R.randint(0, nd))
    if kind == "sum":
        return x.sum(axis=ax, keepdims=R.random() < .5)
    if kind == "max":
        return T.max(x, axis=ax, keepdims=R.random() < .5)
    if kind == "argmax":
        return T.argmax(x, axis=ax)
    if kind == "sort":
        return T.sort(x, axis=ax)
    if kind == "repeat":
        return T.repeat(x, R.choice([2, i]), axis=ax)
    if kind == "alloc":
        return T.alloc(np.float64(0.5), i + 2, *[x.shape[k] for k in range(nd)])
    if kind == "arange":
        return T.arange(i + 3) * T.cast(x.sum(), "int64")
    if kind == "outer" and nd == 1:
        return T.outer(x, R.choice([v for v in pool if v.ndim == 1]))
    if kind == "dot":
        y = R.choice([v for v in pool if 1 <= v.ndim <= 2])
        return T.dot(x, y) if nd <= 2 else x.sum()
    if kind == "take":
        return T.take(x, T.stack([i, 0]), axis=ax)
    if kind == "advanced":
        return x[(slice(None),) * ax + (T.stack([i, -1]),)]
    if kind == "incsub":
        y = R.choice(pool)
        return T.inc_subtensor(x[(slice(None),) * ax + (slice(None, i),)], y)
    if kind == "cumsum":
        return T.cumsum(x, axis=ax)
    if kind == "tensordot":
        y = R.choice(pool)
        return T.tensordot(x, y, axes=[[ax], [R.randint(0, max(y.ndim - 1, 0))]]) if y.ndim else x * y
    if kind == "where":
        y = R.choice(pool)
        return T.switch(x > 0, x, y)
    if kind == "setsub":
        return T.set_subtensor(x[(slice(None),) * ax + (slice(i, None),)], 1.0)
    y = R.choice(pool)
    return x * y if R.random() < .5 else x + y[..., None] if y.ndim and y.ndim < nd else x - y


def _shape_ops_graph(seed: int) -> Any:
    """(inputs, outputs, values) of the shape-operations builder, or None."""
    R = random.Random(seed)
    rng = np.random.RandomState(seed)
    inputs, values, pool = [], [], []
    for k in range(R.randint(1, 3)):
        shape = tuple(R.randint(0, 4) if R.random() < .1 else R.randint(1, 4) for _ in range(R.choice([1, 2, 2, 3])))
        var = TensorType("float64", (None,) * len(shape))(f"x{k}")
        inputs.append(var)
        values.append(rng.uniform(-2, 2, size=shape))
        pool.append(var)
    ints = []
    for k in range(R.randint(1, 2)):
        i = T.lscalar(f"i{k}")
        inputs.append(i)
        values.append(np.asarray(R.choice([0, 1, 2, -1, 3, 5, -4]), dtype="int64"))
        ints.append(i)
    for _ in range(R.randint(1, 5)):
        try:
            out = _shape_step(R, pool, ints)
        except Exception:  # refused while building (static shapes, dtypes): the same in every mode
            continue
        if out is not None:
            pool.append(out)
    outputs = pool[-1:] if R.random() < .6 else pool[-2:]
    if all(o in inputs for o in outputs):
        return None
    return inputs, outputs, values


def shape_of_shape_ops(seed: int) -> str | None:
    built = _shape_ops_graph(seed)
    return None if built is None else _compare(*built)


def values_of_shape_ops(seed: int) -> str | None:
    """The same graphs' values in both modes (a rewrite of the shape operations that drops a
    failing node returns a value where FAST_COMPILE raises: ``reshape_chain`` did)."""
    return _values_in_both_modes(_shape_ops_graph(seed))


def _values_in_both_modes(built: Any) -> str | None:
    """What differs between the modes' values (or errors) of ``(inputs, outputs, values)``."""
    if built is None:
        return None
    inputs, outputs, values = built
    with np.errstate(all="ignore"):
        outcomes = [run_graph(inputs, values, outputs, mode) for mode in MODES]
    return outcome_difference(*outcomes, 1e-9)


test_shape_of_smoke, test_shape_of = fuzz_tests(shape_of_random_graph, range(100), 1500, block=100)
test_shape_of_shape_ops_smoke, test_shape_of_shape_ops = fuzz_tests(shape_of_shape_ops, range(200), 5000, block=500)


def shape_of_conv_pool(seed: int) -> str | None:
    """``conv2d`` (groups, dilation, strides, every border mode, channels that may not match) and
    ``pool_2d`` (every mode, padding, strides) and their gradients: the conv plugin's shape rules
    against running the ops."""
    from framework.ops import conv2d, pool_2d

    R = random.Random(seed)
    rng = np.random.RandomState(seed)
    x, w = T.dtensor4("x"), T.dtensor4("w")
    groups = R.choice([1, 1, 2])
    channels = groups * R.randint(1, 2) + (1 if R.random() < .1 else 0)  # sometimes not divisible
    n_filters = groups * R.randint(1, 2)
    kh, kw = R.randint(1, 4), R.randint(1, 4)
    xv = rng.randn(R.randint(1, 2), channels, R.randint(1, 6), R.randint(1, 6))
    wv = rng.randn(n_filters, max(channels // groups, 1) + (1 if R.random() < .1 else 0), kh, kw)
    outs = []
    try:
        if R.random() < .7:
            y = conv2d(x, w, border_mode=R.choice(["valid", "full", "half", 1, (1, 0), (0, 2)]),
                       subsample=(R.randint(1, 2), R.randint(1, 3)), filter_flip=R.random() < .5,
                       filter_dilation=(R.randint(1, 2), R.randint(1, 2)), num_groups=groups)
        else:
            y = x
        ws = (R.randint(1, 3), R.randint(1, 3))
        ignore_border = R.random() < .6
        pad = (R.randint(0, ws[0] - 1), R.randint(0, ws[1] - 1)) if ignore_border and R.random() < .5 else (0, 0)
        z = pool_2d(y, ws=ws, ignore_border=ignore_border, pad=pad,
                    stride=(R.randint(1, 3), R.randint(1, 3)) if R.random() < .7 else None,
                    mode=R.choice(["max", "sum", "average_inc_pad", "average_exc_pad"]))
        outs = [z] if R.random() < .5 else [y, z]
        if R.random() < .5:
            outs += [g for g in T.grad((z * z).sum(), [x, w] if y is not x else [x], disconnected_inputs="ignore")]
    except Exception:  # refused while building: the same in both modes
        return None
    return _compare([x, w], outs, [xv, wv])


test_values_of_shape_ops_smoke, test_values_of_shape_ops = fuzz_tests(values_of_shape_ops, range(100), 5000,
                                                                      block=500)
test_shape_of_conv_pool_smoke, test_shape_of_conv_pool = fuzz_tests(shape_of_conv_pool, range(40), 1500, block=250)


def _scan_case(seed: int) -> Any:
    """(inputs, outputs, values) of a perturbed ``test_scan`` case, or None (see :func:`shape_of_scan`)."""
    from . import test_scan

    case = test_scan.make_case(seed)
    R = random.Random(seed + 7)
    if R.random() < .5:
        what = R.choice(["seq", "init", "ns"])
        if what == "seq" and case["seq_vals"]:
            k = R.randrange(len(case["seq_vals"]))
            case["seq_vals"][k] = case["seq_vals"][k][:max(len(case["seq_vals"][k]) - R.randint(1, 2), 0)]
        elif what == "init" and any(v is not None for v in case["init_vals"]):
            k = R.choice([j for j, v in enumerate(case["init_vals"]) if v is not None])
            v = case["init_vals"][k]
            case["init_vals"][k] = np.resize(v, (v.shape[0], v.shape[1] + 1))
        elif case["use_ns"]:
            case["ns_val"] = np.resize(case["ns_val"], (case["d"] + 1, case["d"]))
    try:
        ins, vals, res, _ = test_scan.build(case)
        outs = res + ([r[-1] for r in res] if R.random() < .3 else [])
    except Exception:  # refused while building (a loop of no steps has no last row): both modes alike
        return None
    return ins, outs, vals


def values_of_scan(seed: int) -> str | None:
    """The perturbed loops' values in both modes: an inlined one-step loop kept none of the
    checks of a carry nobody reads (a tap's shift register) and returned values where the loop
    raised."""
    return _values_in_both_modes(_scan_case(seed))


def shape_of_scan(seed: int) -> str | None:
    """Random loops (``test_scan``'s cases: sequence and output taps, non-sequences, ``until``,
    0-4 steps) with values that sometimes do not fit -- a sequence too short for its taps or
    ``n_steps``, an initial value of another width, a non-sequence of another size: the shapes of
    the stacked outputs (read from the body's own rules, docs/scan.md) against running the loop."""
    built = _scan_case(seed)
    return None if built is None else _compare(*built)


test_shape_of_scan_smoke, test_shape_of_scan = fuzz_tests(shape_of_scan, range(40), 1500, block=250)
test_values_of_scan_smoke, test_values_of_scan = fuzz_tests(values_of_scan, range(40), 1500, block=250)


_KINKS = frozenset({"max", "min", "argmax", "argmin", "sort", "argsort", "switch"})


def gradient_of_shape_ops(seed: int) -> str | None:
    """The gradients of the shape operations' graphs (``sum(out * w)`` for a random ``w``, with
    respect to every float input) against central finite differences. Graphs through a kink are
    left out: ``max`` of tied values (``repeat``, a join of ``x`` with itself) gives each tie the
    whole gradient, Theano's rule, where a difference quotient splits it."""
    from framework.core.graph import ancestors

    built = _shape_ops_graph(seed)
    if built is None:
        return None
    inputs, outputs, values = built
    out = outputs[-1]
    if out in inputs or not str(out.dtype).startswith("float"):
        return None
    if {str(v.owner.op).split("{")[0] for v in ancestors([out]) if v.owner is not None} & _KINKS:
        return None
    floats = [k for k, v in enumerate(inputs) if str(v.dtype).startswith("float")]
    try:
        forward = function(inputs, out, on_unused_input="ignore")
        y0 = forward(*values)
    except Exception:
        return None  # the forward pass fails: the other families compare the errors
    w = np.random.RandomState(seed).randn(*np.shape(y0))
    grads = function(inputs, T.grad((out * w).sum(), [inputs[k] for k in floats], disconnected_inputs="ignore"),
                     on_unused_input="ignore")(*values)
    for g, k in zip(grads, floats):
        def cost(v: np.ndarray, k: int = k) -> float:
            args = list(values)
            args[k] = v
            return float((forward(*args) * w).sum())

        num = fd_grad(cost, values[k])
        if not np.allclose(g, num, rtol=1e-5, atol=1e-5):
            return f"gradient of input {k}: {np.ravel(g)[:6]}, finite differences {np.ravel(num)[:6]}"
    return None


test_gradient_of_shape_ops_smoke, test_gradient_of_shape_ops = fuzz_tests(gradient_of_shape_ops, range(60), 2000,
                                                                          block=500)


def shape_of_ifelse(seed: int) -> str | None:
    """``test_ifelse``'s two random graphs as the branches of an ``ifelse`` (shapes may differ
    between them; the untaken one may fail): the output's shape for each condition, read alone,
    against computing it -- the shape read stays lazy as the value is."""
    from framework.core.ifelse import ifelse

    from .test_ifelse import _branches

    built = _branches(seed)
    if built is None:
        return None
    inputs, values, then, other = built[:4]
    cond = T.iscalar("cond")
    try:
        out = ifelse(cond, then, other)
    except Exception:  # branch types the conditional refuses (its own tests check them)
        return None
    for taken in (1, 0):
        msg = _compare(inputs + [cond], [out], values + [np.int32(taken)])
        if msg is not None:
            return f"cond={taken}: {msg}"
    return None


test_shape_of_ifelse_smoke, test_shape_of_ifelse = fuzz_tests(shape_of_ifelse, range(40), 1500, block=500)

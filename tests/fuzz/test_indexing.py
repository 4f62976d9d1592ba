"""Indexing, ``set_subtensor`` and ``inc_subtensor`` against NumPy, in both modes.

Each case takes a float64 array of 1-2 dimensions and an index -- an int (negative too), a
slice (negative start/stop/step), an int array (repeated and negative entries), a bool mask
(of the first axis, of the whole array, or of the second axis after a slice or an int; some
all-False, some of the wrong length; constant, or a symbolic input) -- and either reads
``x[idx] * 2`` or sets/increments ``x[idx]`` by ``y`` (``y`` of the indexed shape or broadcast
from its trailing shape). The NumPy reference is ``z[idx] = y`` for set and ``np.add.at`` for
increments by an int array (so repeated positions add up). Both modes must match the
reference, or both raise where NumPy raises (a mask of the wrong shape: IndexError, never a
result); the gradients of ``sum(out ** 2)`` are compiled in the same function, must agree
between the modes, and must match central finite differences of the NumPy reference (except
a set through an int array with repeated positions: which write wins is not defined there).
"""
from __future__ import annotations

import random

import numpy as np

import framework.tensor as T
from framework import function

from .generators import MODES, fd_grad, fuzz_tests

SMOKE = range(0, 40)


def make_case(seed: int) -> dict:
    R = random.Random(seed)
    rng = np.random.RandomState(seed)
    nd = R.randint(1, 3)
    shape = tuple(R.randint(1, 4) for _ in range(nd))
    xv = rng.randn(*shape)
    kind = R.choice(["set_int", "inc_int", "set_slice", "inc_slice", "inc_arr", "set_arr", "adv_get", "inc_bool",
                     "neg_step", "set_bool", "get_bool"])
    n = shape[0]
    if kind in ("set_int", "inc_int"):
        idx = R.randint(-n, n - 1)
    elif kind in ("set_slice", "inc_slice", "neg_step"):
        idx = slice(R.choice([None, 0, 1, -1]), R.choice([None, -1, 2, 3]),
                    R.choice([None, 1, 2, -1]) if kind != "neg_step" else -1)
    elif kind in ("inc_arr", "set_arr", "adv_get"):
        idx = np.array([R.randint(-n, n - 1) for _ in range(R.randint(1, 4))])
    else:
        idx = bool_index(R, rng, shape)
    try:
        sub = xv[idx]
    except IndexError:  # a mask of the wrong shape: any value, the error is what is compared
        sub = np.zeros(())
    yv = rng.randn(*sub.shape) if R.random() < .7 or sub.ndim == 0 else rng.randn(*sub.shape[1:])
    return dict(kind=kind, idx=idx, xv=xv, yv=yv, symbolic_mask=R.random() < .5)


def bool_index(R: random.Random, rng: np.random.RandomState, shape: tuple) -> object:
    """A boolean index for an array of ``shape``: a mask of the first axis, of every axis, or of
    the second axis after a slice or an int; some all-False, some one entry too short or long."""
    where = R.choice(["first", "all", "second"] if len(shape) == 2 else ["first", "all"])
    mshape = {"first": shape[:1], "all": shape, "second": shape[1:]}[where]
    if R.random() < .15:  # the wrong length on one axis
        axis = R.randrange(len(mshape))
        mshape = mshape[:axis] + (max(0, mshape[axis] + R.choice([-1, 1])),) + mshape[axis + 1:]
    mask = rng.rand(*mshape) > (0.5 if R.random() < .85 else 2.0)
    if where != "second":
        return mask
    return (R.choice([slice(None), slice(1, None), slice(None, None, -1), R.randint(-shape[0], shape[0] - 1)]), mask)


def _with_symbolic_masks(idx: object, masks: list) -> object:
    """``idx`` with each boolean array replaced by a new bool input (appended to ``masks``)."""
    items = idx if isinstance(idx, tuple) else (idx,)
    out = []
    for item in items:
        if isinstance(item, np.ndarray) and item.dtype == bool:
            masks.append((T.TensorType("bool", (None,) * item.ndim)("m"), item))
            item = masks[-1][0]
        out.append(item)
    return tuple(out) if isinstance(idx, tuple) else out[0]


def reference(case: dict, xv: np.ndarray, yv: np.ndarray) -> np.ndarray:
    kind, idx = case["kind"], case["idx"]
    if kind in ("adv_get", "get_bool"):
        return xv[idx] * 2
    z = xv.copy()
    if kind.startswith("set") or kind == "neg_step":
        z[idx] = yv
    elif isinstance(idx, np.ndarray) and idx.dtype != bool:
        np.add.at(z, idx, yv)
    else:
        z[idx] += yv
    return z


def describe(case: dict) -> str:
    mask = " (symbolic mask)" if case["symbolic_mask"] and "bool" in case["kind"] else ""
    return f"{case['kind']} x{case['xv'].shape}[{case['idx']!r}]{mask} y{np.shape(case['yv'])}"


def indexing_matches(seed: int) -> str | None:
    case = make_case(seed)
    kind, idx, xv, yv = case["kind"], case["idx"], case["xv"], case["yv"]
    x = T.TensorType("float64", (None,) * xv.ndim)("x")
    y = T.TensorType("float64", (None,) * np.ndim(yv))("y")
    masks: list = []
    sym = _with_symbolic_masks(idx, masks) if case["symbolic_mask"] else idx
    reads = kind in ("adv_get", "get_bool")
    try:
        if reads:
            out = x[sym] * 2
        elif kind.startswith("set") or kind == "neg_step":
            out = T.set_subtensor(x[sym], y)
        else:
            out = T.inc_subtensor(x[sym], y)
        wrt = [x] if reads else [x, y]
        grads = T.grad((out * out).sum(), wrt)
    except Exception:
        return None  # refused while building (a shape known not to fit)
    try:
        want = reference(case, xv, yv)
    except Exception as e:
        want = e
    got = {}
    for mode in MODES:
        try:
            got[mode] = function([x, y] + [m for m, _ in masks], [out] + grads, mode=mode,
                                 on_unused_input="ignore")(xv, yv, *[v for _, v in masks])
        except Exception as e:
            got[mode] = e
    a, b = (got[mode] for mode in MODES)
    raised = [isinstance(r, Exception) for r in (want, a, b)]
    if any(raised):
        if all(raised):
            return None
        return f"{describe(case)}: NumPy {want!r:.200}, FAST_RUN {a!r:.200}, FAST_COMPILE {b!r:.200}"
    for i, (u, v) in enumerate(zip(a, b)):
        if u.shape != v.shape or not np.allclose(u, v):
            return f"{describe(case)}: output {i} differs between the modes: {u.shape} against {v.shape}"
    if a[0].shape != want.shape or not np.allclose(a[0], want):
        return f"{describe(case)}: {a[0].ravel()[:6]} {a[0].shape}, NumPy {want.ravel()[:6]} {want.shape}"
    if kind == "set_arr" and len(np.unique(idx % xv.shape[0])) < len(idx):
        return None  # which of the repeated writes wins is not defined: no gradient to compare
    numeric = [fd_grad(lambda v: float((reference(case, v, yv) ** 2).sum()), xv)]
    if not reads:
        numeric.append(fd_grad(lambda v: float((reference(case, xv, v) ** 2).sum()), np.asarray(yv, dtype="float64")))
    for name, g, num in zip(["x", "y"], a[1:], numeric):
        if g.shape != num.shape or not np.allclose(g, num, rtol=1e-5, atol=1e-6):
            return f"{describe(case)}: gradient wrt {name} {g.ravel()[:6]}, finite differences {num.ravel()[:6]}"
    return None


test_indexing_smoke, test_indexing = fuzz_tests(indexing_matches, SMOKE, slow_count=3000)

"""``framework.ops.pool_2d`` against an independent reading of Theano's Pool C code.

The reference loops over output pixels: the output size follows Theano's rules for
``ignore_border`` (full windows only) and without it (a last, partial window whenever the
stride leaves pixels over); each window is clipped to the unpadded image for max, sum and
``average_exc_pad`` (which divides by the clipped window's size), while ``average_inc_pad``
with ``ignore_border`` divides by the full ``ws[0] * ws[1]``. Random cases cover window,
stride, padding (with ``ignore_border`` only, as Theano requires) and every mode. Gradients of
``sum(y ** 2)`` are checked by central finite differences for the smooth modes (sum and the
averages; max has kinks).
"""
from __future__ import annotations

import random

import numpy as np

import framework.tensor as T
from framework import function
from framework.ops import pool_2d

from .generators import fd_grad, fuzz_tests

SMOKE = range(0, 25)


def out_len(size: int, ws: int, st: int, pad: int, ignore_border: bool) -> int:
    size = size + 2 * pad
    if ignore_border:
        return max((size - ws) // st + 1, 0)
    if st >= ws:
        return (size - 1) // st + 1
    return max(0, (size - 1 - ws) // st + 1) + 1


def ref_pool(x, ws, st, pad, ignore_border, mode):
    rows, cols = x.shape[-2:]
    padded_rows, padded_cols = rows + 2 * pad[0], cols + 2 * pad[1]
    out_rows = out_len(rows, ws[0], st[0], pad[0], ignore_border)
    out_cols = out_len(cols, ws[1], st[1], pad[1], ignore_border)
    out = np.zeros(x.shape[:-2] + (out_rows, out_cols))
    for i in range(out_rows):
        r0 = max(i * st[0], pad[0]) - pad[0]
        r1 = min(i * st[0] + ws[0], padded_rows - pad[0]) - pad[0]
        if ignore_border:
            r1 = min(r1, rows)
        for j in range(out_cols):
            c0 = max(j * st[1], pad[1]) - pad[1]
            c1 = min(j * st[1] + ws[1], padded_cols - pad[1]) - pad[1]
            if ignore_border:
                c1 = min(c1, cols)
            window = x[..., r0:r1, c0:c1]
            if mode == "max":
                out[..., i, j] = window.max(axis=(-2, -1))
            elif mode == "sum":
                out[..., i, j] = window.sum(axis=(-2, -1))
            elif mode == "average_inc_pad" and ignore_border:
                out[..., i, j] = window.sum(axis=(-2, -1)) / (ws[0] * ws[1])
            else:
                out[..., i, j] = window.sum(axis=(-2, -1)) / ((r1 - r0) * (c1 - c0))
    return out


def pool_matches(seed: int) -> str | None:
    R = random.Random(seed)
    rng = np.random.RandomState(seed)
    ws = (R.randint(1, 3), R.randint(1, 3))
    st = (R.randint(1, 3), R.randint(1, 3)) if R.random() < .7 else ws
    ignore_border = R.random() < .6
    pad = (R.randint(0, ws[0] - 1), R.randint(0, ws[1] - 1)) if ignore_border and R.random() < .5 else (0, 0)
    mode = R.choice(["max", "sum", "average_inc_pad", "average_exc_pad"])
    shape = (R.randint(1, 2), R.randint(1, 2), R.randint(1, 5), R.randint(1, 5))
    xv = rng.randn(*shape)
    where = f"{dict(ws=ws, st=st, pad=pad, ignore_border=ignore_border, mode=mode)} x{shape}"
    want = ref_pool(xv, ws, st, pad, ignore_border, mode)
    x = T.dtensor4("x")
    try:
        y = pool_2d(x, ws=ws, ignore_border=ignore_border, stride=st, pad=pad, mode=mode)
        got, grad = function([x], [y, T.grad((y * y).sum(), x)], mode="FAST_RUN")(xv)
    except Exception as e:
        if want.size == 0:
            return None  # no full window fits: refusing is acceptable
        return f"{where}: raised {e!r:.300}"
    if got.shape != want.shape or not np.allclose(got, want):
        return f"{where}: {got.ravel()[:6]} {got.shape}, reference {want.ravel()[:6]} {want.shape}"
    if mode != "max" and want.size:
        num = fd_grad(lambda v: (ref_pool(v, ws, st, pad, ignore_border, mode) ** 2).sum(), xv)
        if not np.allclose(grad, num, atol=1e-5):
            return f"{where}: gradient off by up to {np.max(np.abs(grad - num)):.3g}"
    return None


test_pool_smoke, test_pool = fuzz_tests(pool_matches, SMOKE, slow_count=3000)

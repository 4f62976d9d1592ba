"""``framework.ops.conv2d`` against a direct loop written from Theano 1.0's definitions.

The reference pads explicitly -- 'valid' none, 'full' the dilated filter's size less one,
'half' ``((k - 1) * d + 1) // 2`` per side (Theano's definition; the project's own test
reference once had ``(k // 2) * d``, which differs for even filters with dilation), an int or a
pair as given -- flips the filters when ``filter_flip`` (convolution rather than correlation),
and sums each output pixel's dilated, strided window over its group's channels. Random cases
cover every border mode, subsample, dilation, flip and ``num_groups``. A filter that does not
fit the padded image (an empty reference output) must raise. Gradients of ``sum(y ** 2)`` with
respect to image and filters are checked by central finite differences of the reference.
"""
from __future__ import annotations

import random

import numpy as np

import framework.tensor as T
from framework import function
from framework.ops import conv2d

from .generators import fd_grad, fuzz_tests

SMOKE = range(0, 20)


def padding(border, dilated: tuple) -> tuple:
    if border == "valid":
        return (0, 0)
    if border == "full":
        return (dilated[0] - 1, dilated[1] - 1)
    if border == "half":
        return (dilated[0] // 2, dilated[1] // 2)  # ((k - 1) * d + 1) // 2
    if isinstance(border, int):
        return (border, border)
    return border


def ref_conv(x, w, border, sub, flip, dil, groups):
    batch, channels, rows, cols = x.shape
    n_filters, _, kh, kw = w.shape
    dilated = ((kh - 1) * dil[0] + 1, (kw - 1) * dil[1] + 1)
    p = padding(border, dilated)
    xp = np.zeros((batch, channels, rows + 2 * p[0], cols + 2 * p[1]))
    xp[:, :, p[0]:p[0] + rows, p[1]:p[1] + cols] = x
    wf = w[:, :, ::-1, ::-1] if flip else w
    out_rows = max((rows + 2 * p[0] - dilated[0]) // sub[0] + 1, 0)
    out_cols = max((cols + 2 * p[1] - dilated[1]) // sub[1] + 1, 0)
    out = np.zeros((batch, n_filters, out_rows, out_cols))
    per_group_in, per_group_out = channels // groups, n_filters // groups
    for k in range(n_filters):
        g = k // per_group_out
        for i in range(out_rows):
            for j in range(out_cols):
                window = xp[:, g * per_group_in:(g + 1) * per_group_in,
                            i * sub[0]:i * sub[0] + dilated[0]:dil[0], j * sub[1]:j * sub[1] + dilated[1]:dil[1]]
                out[:, k, i, j] = (window * wf[k]).sum(axis=(1, 2, 3))
    return out


def conv_matches(seed: int) -> str | None:
    R = random.Random(seed)
    rng = np.random.RandomState(seed)
    groups = R.choice([1, 1, 2])
    channels, n_filters = groups * R.randint(1, 2), groups * R.randint(1, 2)
    kh, kw = R.randint(1, 3), R.randint(1, 3)
    rows, cols = R.randint(1, 6), R.randint(1, 6)
    border = R.choice(["valid", "full", "half", 1, (1, 0), (0, 2)])
    sub = (R.randint(1, 2), R.randint(1, 3))
    dil = (R.randint(1, 2), R.randint(1, 2))
    flip = R.random() < .7
    xv = rng.randn(R.randint(1, 2), channels, rows, cols)
    wv = rng.randn(n_filters, channels // groups, kh, kw)
    params = dict(border=border, sub=sub, dil=dil, flip=flip, groups=groups)
    where = f"{params} x{xv.shape} w{wv.shape}"
    want = ref_conv(xv, wv, border, sub, flip, dil, groups)
    x, w = T.dtensor4("x"), T.dtensor4("w")
    try:
        y = conv2d(x, w, border_mode=border, subsample=sub, filter_flip=flip, filter_dilation=dil, num_groups=groups)
        gx, gw = T.grad((y * y).sum(), [x, w])
        got, gxv, gwv = function([x, w], [y, gx, gw], mode="FAST_RUN")(xv, wv)
    except Exception as e:
        if want.size == 0:
            return None  # the filters do not fit: an error is what Theano documents
        return f"{where}: raised {e!r:.300}"
    if want.size == 0:
        return f"{where}: the filters do not fit, but conv2d returned shape {got.shape}"
    if got.shape != want.shape or not np.allclose(got, want):
        return f"{where}: shape {got.shape}, reference {want.shape}" + (
            "" if got.shape != want.shape else f", max error {np.max(np.abs(got - want)):.3g}")
    num_x = fd_grad(lambda v: (ref_conv(v, wv, border, sub, flip, dil, groups) ** 2).sum(), xv)
    num_w = fd_grad(lambda v: (ref_conv(xv, v, border, sub, flip, dil, groups) ** 2).sum(), wv)
    if not np.allclose(gxv, num_x, atol=1e-4):
        return f"{where}: image gradient off by up to {np.max(np.abs(gxv - num_x)):.3g}"
    if not np.allclose(gwv, num_w, atol=1e-4):
        return f"{where}: filter gradient off by up to {np.max(np.abs(gwv - num_w)):.3g}"
    return None


test_conv2d_smoke, test_conv2d = fuzz_tests(conv_matches, SMOKE, slow_count=1500)

"""Direct, slow loops over every output pixel: the independent references the tests compare with.

They follow Theano 1.0's definitions (``abstract_conv`` and ``Pool.perform``)
literally, one output element at a time, and share no code with the plugin.
"""
from __future__ import annotations

import itertools

import numpy as np


def conv_padding(border_mode, kshp, dil):
    if border_mode == "valid":
        return (0, 0)
    if border_mode == "full":
        return (dil[0] * (kshp[0] - 1), dil[1] * (kshp[1] - 1))
    if border_mode == "half":  # abstract_conv: dil_kernel_shape // 2, dil_kernel_shape = (k - 1) * d + 1
        return (((kshp[0] - 1) * dil[0] + 1) // 2, ((kshp[1] - 1) * dil[1] + 1) // 2)
    if isinstance(border_mode, int):
        return (border_mode, border_mode)
    return tuple(border_mode)


def conv2d(x, w, border_mode="valid", subsample=(1, 1), filter_flip=True, filter_dilation=(1, 1), num_groups=1):
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    pad = conv_padding(border_mode, (kh, kw), filter_dilation)
    if filter_flip:
        w = w[:, :, ::-1, ::-1]
    xp = np.zeros((n, c, h + 2 * pad[0], wd + 2 * pad[1]))
    xp[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + wd] = x
    (sh, sw), (dh, dw) = subsample, filter_dilation
    ho = (h + 2 * pad[0] - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pad[1] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, f, ho, wo))
    fg = f // num_groups
    for b, k, i, j in itertools.product(range(n), range(f), range(ho), range(wo)):
        g = k // fg
        total = 0.0
        for ch, a, bb in itertools.product(range(cg), range(kh), range(kw)):
            total += xp[b, g * cg + ch, i * sh + a * dh, j * sw + bb * dw] * w[k, ch, a, bb]
        out[b, k, i, j] = total
    return out


def pool_out(size, ws, st, pad, ignore_border):
    v = size + 2 * pad
    if ignore_border:
        return max((v - ws) // st + 1, 0)
    if st >= ws:
        return (v - 1) // st + 1
    return max(0, (v - 1 - ws + st) // st) + 1


def pool2d(x, ws, ignore_border=True, stride=None, pad=(0, 0), mode="max"):
    """Theano's ``Pool.perform``, one window at a time."""
    stride = stride or ws
    h, w = x.shape[-2:]
    ho = pool_out(h, ws[0], stride[0], pad[0], ignore_border)
    wo = pool_out(w, ws[1], stride[1], pad[1], ignore_border)
    img = (h + 2 * pad[0], w + 2 * pad[1])
    y = np.zeros(x.shape[:-2] + img)
    y[..., pad[0]:pad[0] + h, pad[1]:pad[1] + w] = x
    out = np.zeros(x.shape[:-2] + (ho, wo))
    inc_pad = mode == "average_inc_pad"
    reduce = {"max": np.max, "sum": np.sum, "average_inc_pad": np.mean, "average_exc_pad": np.mean}[mode]
    for k in np.ndindex(*x.shape[:-2]):
        for r, c in itertools.product(range(ho), range(wo)):
            bounds = []
            for axis, pos in enumerate((r, c)):
                start = pos * stride[axis]
                end = min(start + ws[axis], img[axis])
                if not inc_pad:
                    start = max(start, pad[axis])
                    end = min(end, img[axis] - pad[axis])
                bounds.append(slice(start, end))
            out[k + (r, c)] = reduce(y[k][bounds[0], bounds[1]])
    return out

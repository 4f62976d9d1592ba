"""Reference implementations over an array namespace ``xp`` (NumPy's or CuPy's API).

They loop over the *taps* of a filter or pooling window (25 for a 5x5
filter), never over pixels: each tap is one strided slice of the whole
batch and one small contraction. Slower than the GEMM kernels of
``cpu.py`` / ``gpu.py``, but short enough to check by eye, and they run
on any backend. All convolutions here are *correlations*: the ops flip
the filters first when ``filter_flip`` is set.

Shapes: ``x`` is (N, C, H, W); ``w`` is (F, C / groups, kh, kw);
``gz`` (the output or its gradient) is (N, F, Ho, Wo).
"""
from __future__ import annotations

from typing import Any, Tuple

Pair = Tuple[int, int]


def out_size(size: int, k: int, pad: int, stride: int, dil: int) -> int:
    return (size + 2 * pad - (dil * (k - 1) + 1)) // stride + 1


def tap(a: int, b: int, dil: Pair, stride: Pair, n_out: Pair) -> Tuple[slice, slice]:
    """The rows and columns of the padded input that filter tap (a, b) meets, for every output pixel."""
    r0, c0 = a * dil[0], b * dil[1]
    return (slice(r0, r0 + stride[0] * (n_out[0] - 1) + 1, stride[0]),
            slice(c0, c0 + stride[1] * (n_out[1] - 1) + 1, stride[1]))


def pad_hw(xp: Any, x: Any, pads: Pair, fill: Any = 0, extra: Pair = (0, 0)) -> Any:
    """``x`` with ``pads`` rows/columns of ``fill`` on both sides of its last two axes
    (and ``extra`` more at the end)."""
    ph, pw = pads
    if ph == pw == 0 and extra == (0, 0):
        return x
    shape = tuple(x.shape[:-2]) + (x.shape[-2] + 2 * ph + extra[0], x.shape[-1] + 2 * pw + extra[1])
    out = xp.full(shape, fill, dtype=x.dtype)
    out[..., ph:ph + x.shape[-2], pw:pw + x.shape[-1]] = x
    return out


def corr2d(xp: Any, x: Any, w: Any, pads: Pair, stride: Pair, dil: Pair, groups: int, dtype: Any) -> Any:
    """The forward correlation: (N, C, H, W) x (F, C/g, kh, kw) -> (N, F, Ho, Wo)."""
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    ho, wo = out_size(h, kh, pads[0], stride[0], dil[0]), out_size(wd, kw, pads[1], stride[1], dil[1])
    out = xp.zeros((n, groups, f // groups, max(ho, 0), max(wo, 0)), dtype=dtype)
    if ho > 0 and wo > 0:
        xg = pad_hw(xp, x, pads).reshape(n, groups, cg, h + 2 * pads[0], wd + 2 * pads[1])
        wg = w.reshape(groups, f // groups, cg, kh, kw)
        for a in range(kh):
            for b in range(kw):
                rows, cols = tap(a, b, dil, stride, (ho, wo))
                out += xp.einsum("ngchw,gfc->ngfhw", xg[:, :, :, rows, cols], wg[:, :, :, a, b])
    return out.reshape(n, f, max(ho, 0), max(wo, 0))


def corr2d_grad_input(xp: Any, w: Any, gz: Any, hw: Pair, pads: Pair, stride: Pair, dil: Pair, groups: int,
                      dtype: Any) -> Any:
    """The transposed correlation: the gradient of ``corr2d`` w.r.t. an input of rows/columns ``hw``."""
    n, f, ho, wo = gz.shape
    _, cg, kh, kw = w.shape
    h, wd = hw
    gx = xp.zeros((n, groups, cg, h + 2 * pads[0], wd + 2 * pads[1]), dtype=dtype)
    if ho > 0 and wo > 0:
        gzg = gz.reshape(n, groups, f // groups, ho, wo)
        wg = w.reshape(groups, f // groups, cg, kh, kw)
        for a in range(kh):
            for b in range(kw):
                rows, cols = tap(a, b, dil, stride, (ho, wo))
                gx[:, :, :, rows, cols] += xp.einsum("ngfhw,gfc->ngchw", gzg, wg[:, :, :, a, b])
    gx = gx[:, :, :, pads[0]:pads[0] + h, pads[1]:pads[1] + wd]
    return gx.reshape(n, groups * cg, h, wd)


def corr2d_grad_weights(xp: Any, x: Any, gz: Any, khw: Pair, pads: Pair, stride: Pair, dil: Pair, groups: int,
                        dtype: Any) -> Any:
    """The gradient of ``corr2d`` w.r.t. filters of rows/columns ``khw``."""
    n, c, h, wd = x.shape
    _, f, ho, wo = gz.shape
    kh, kw = khw
    cg = c // groups
    gw = xp.zeros((groups, f // groups, cg, kh, kw), dtype=dtype)
    if ho > 0 and wo > 0:
        xg = pad_hw(xp, x, pads).reshape(n, groups, cg, h + 2 * pads[0], wd + 2 * pads[1])
        gzg = gz.reshape(n, groups, f // groups, ho, wo)
        for a in range(kh):
            for b in range(kw):
                rows, cols = tap(a, b, dil, stride, (ho, wo))
                gw[:, :, :, a, b] = xp.einsum("ngchw,ngfhw->gfc", xg[:, :, :, rows, cols], gzg)
    return gw.reshape(f, cg, kh, kw)


# --- pooling --------------------------------------------------------------------

def pool_fill(mode: str, dtype: Any) -> Any:
    """What padding holds: the identity of the window's reduction."""
    import numpy as np

    if mode != "max":
        return 0
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return -np.inf
    return np.iinfo(dt).min if dt.kind in "iu" else False


def pool_layout(params: Any, h: int, w: int) -> Tuple[Pair, Pair]:
    """((Ho, Wo), extra rows/columns past the padded input that partial windows reach)."""
    ho, need_h = params.window_starts_span(h, 0)
    wo, need_w = params.window_starts_span(w, 1)
    extra = (max(need_h - (h + 2 * params.pad[0]), 0), max(need_w - (w + 2 * params.pad[1]), 0))
    return (ho, wo), extra


def pool_counts(params: Any, h: int, w: int, n_out: Pair, dtype: Any = "float64") -> Any:
    """How many elements each average divides by, as a host (Ho, Wo) array (Theano's rule:
    'average_inc_pad' counts padding but not the part of a window past the border,
    'average_exc_pad' counts only the input's own elements)."""
    import numpy as np

    per_axis = []
    for axis, size in enumerate((h, w)):
        starts = np.arange(n_out[axis]) * params.stride[axis]
        ends = starts + params.ws[axis]
        pad = params.pad[axis]
        if params.mode == "average_inc_pad":
            lo, hi = starts, np.minimum(ends, size + 2 * pad)
        else:
            lo, hi = np.maximum(starts, pad), np.minimum(ends, size + pad)
        per_axis.append(np.maximum(hi - lo, 1))
    return np.outer(per_axis[0], per_axis[1]).astype(dtype)


def pool2d(xp: Any, x: Any, params: Any) -> Any:
    """Pool the last two axes of ``x`` (any number of leading axes)."""
    h, w = x.shape[-2:]
    (ho, wo), extra = pool_layout(params, h, w)
    lead = tuple(x.shape[:-2])
    if ho == 0 or wo == 0:
        return xp.zeros(lead + (ho, wo), dtype=x.dtype)
    xpad = pad_hw(xp, x, params.pad, pool_fill(params.mode, x.dtype), extra)
    acc = None
    for a in range(params.ws[0]):
        for b in range(params.ws[1]):
            rows, cols = tap(a, b, (1, 1), params.stride, (ho, wo))
            t = xpad[..., rows, cols]
            if acc is None:
                acc = t.copy() if params.mode == "max" else t.astype(_acc_dtype(x.dtype))
            elif params.mode == "max":
                acc = xp.maximum(acc, t)
            else:
                acc = acc + t
    if params.mode.startswith("average"):
        acc = acc / xp.asarray(pool_counts(params, h, w, (ho, wo), acc.dtype))
    return acc.astype(x.dtype, copy=False)


def _acc_dtype(dtype: Any) -> Any:
    import numpy as np

    return np.dtype(dtype) if np.dtype(dtype).kind == "f" else np.float64


def pool2d_grad(xp: Any, x: Any, out: Any, gz: Any, params: Any) -> Any:
    """The gradient of ``pool2d`` w.r.t. ``x``: for 'max', ``gz`` goes to every element equal
    to its window's maximum (as in Theano); otherwise it is spread over the window
    (divided by the window's count for averages). ``out`` is only read for 'max'."""
    h, w = x.shape[-2:]
    (ho, wo), extra = pool_layout(params, h, w)
    gx = xp.zeros(tuple(x.shape[:-2]) + (h + 2 * params.pad[0] + extra[0], w + 2 * params.pad[1] + extra[1]),
                  dtype=gz.dtype)
    if ho > 0 and wo > 0:
        if params.mode == "max":
            xpad = pad_hw(xp, x, params.pad, pool_fill("max", x.dtype), extra)
        else:
            g = gz / xp.asarray(pool_counts(params, h, w, (ho, wo), gz.dtype)) if params.mode.startswith("average") else gz
        for a in range(params.ws[0]):
            for b in range(params.ws[1]):
                rows, cols = tap(a, b, (1, 1), params.stride, (ho, wo))
                if params.mode == "max":
                    gx[..., rows, cols] += xp.where(xpad[..., rows, cols] == out, gz, 0)
                else:
                    gx[..., rows, cols] += g
    return gx[..., params.pad[0]:params.pad[0] + h, params.pad[1]:params.pad[1] + w]


def pool2d_grad_grad(xp: Any, x: Any, out: Any, ggx: Any, params: Any) -> Any:
    """The adjoint of the max-pooling gradient in ``gz``: each window's sum of ``ggx``
    over the elements equal to its maximum."""
    h, w = x.shape[-2:]
    (ho, wo), extra = pool_layout(params, h, w)
    ggz = xp.zeros(tuple(x.shape[:-2]) + (ho, wo), dtype=ggx.dtype)
    if ho > 0 and wo > 0:
        xpad = pad_hw(xp, x, params.pad, pool_fill("max", x.dtype), extra)
        gpad = pad_hw(xp, ggx, params.pad, 0, extra)
        for a in range(params.ws[0]):
            for b in range(params.ws[1]):
                rows, cols = tap(a, b, (1, 1), params.stride, (ho, wo))
                ggz += xp.where(xpad[..., rows, cols] == out, gpad[..., rows, cols], 0)
    return ggz

"""Kernels for the ``numpy`` backend: im2col, then one GEMM through the backend's BLAS.

Layout is what makes NumPy fast here. The kernels work in a *batch-innermost*
layout, (channels, rows, columns, batch) -- cuda-convnet's -- so that every
copy and every add of im2col / col2im runs over long contiguous stretches
(a row of output pixels times the batch: thousands of elements) rather than
over rows of a few pixels. The columns are gathered with one strided copy
per filter tap into a (channels x taps) by (pixels x batch) matrix per group;
``numpy.matmul`` multiplies it by the filters in one BLAS call per group.
Results are returned as NCHW *views* of that layout (no copy): element-wise
ops keep the layout, the next layer's im2col and the gradients read it
without a transposing copy.

Pooling with side-by-side windows (stride = window, no padding) runs one
in-place element-wise maximum (or sum) per window tap; every other pooling
runs the reference, which is the same loop over taps with padding.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

import numpy as np

from framework.core.graph import Apply

from . import reference

Pair = Tuple[int, int]


def _batch_inner(x: np.ndarray, pads: Pair) -> np.ndarray:
    """``x`` (N, C, H, W) as a contiguous (C, H + 2 ph, W + 2 pw, N) array, zero-padded
    (free when ``x`` is already such a view and needs no padding)."""
    n, c, h, w = x.shape
    ph, pw = pads
    if ph == pw == 0:
        return np.ascontiguousarray(x.transpose(1, 2, 3, 0))
    out = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)
    out[:, ph:ph + h, pw:pw + w, :] = x.transpose(1, 2, 3, 0)
    return out


def _columns(xt: np.ndarray, khw: Pair, stride: Pair, dil: Pair, out_hw: Pair) -> np.ndarray:
    """im2col of a (C, Hp, Wp, N) input: the (C, kh, kw, Ho, Wo, N) array holding, for each
    filter tap, its input at every output pixel -- one strided copy per tap."""
    c, n = xt.shape[0], xt.shape[3]
    cols = np.empty((c, khw[0], khw[1]) + tuple(out_hw) + (n,), dtype=xt.dtype)
    for a in range(khw[0]):
        for b in range(khw[1]):
            rows, cs = reference.tap(a, b, dil, stride, out_hw)
            cols[:, a, b] = xt[:, rows, cs, :]
    return cols


def _nchw(out: np.ndarray) -> np.ndarray:
    """A (F, Ho, Wo, N) array as its (N, F, Ho, Wo) view."""
    return out.transpose(3, 0, 1, 2)


def _grouped_gz(gz: np.ndarray, groups: int) -> np.ndarray:
    """``gz`` (N, F, Ho, Wo) as (groups, F / groups, Ho * Wo * N); free when ``gz`` already
    has the batch-innermost layout."""
    n, f, ho, wo = gz.shape
    return np.ascontiguousarray(gz.transpose(1, 2, 3, 0)).reshape(groups, f // groups, ho * wo * n)


def corr2d(x: np.ndarray, w: np.ndarray, pads: Pair, stride: Pair, dil: Pair, groups: int,
           dtype: Any) -> np.ndarray:
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    ho = reference.out_size(h, kh, pads[0], stride[0], dil[0])
    wo = reference.out_size(wd, kw, pads[1], stride[1], dil[1])
    if ho <= 0 or wo <= 0 or n == 0:
        return np.zeros((n, f, max(ho, 0), max(wo, 0)), dtype=dtype)
    cols = _columns(_batch_inner(x.astype(dtype, copy=False), pads), (kh, kw), stride, dil, (ho, wo))
    cols = cols.reshape(groups, cg * kh * kw, ho * wo * n)
    out = np.matmul(np.ascontiguousarray(w, dtype=dtype).reshape(groups, f // groups, cg * kh * kw), cols)
    return _nchw(out.reshape(f, ho, wo, n))


def corr2d_grad_input(w: np.ndarray, gz: np.ndarray, hw: Pair, pads: Pair, stride: Pair, dil: Pair,
                      groups: int, dtype: Any) -> np.ndarray:
    n, f, ho, wo = gz.shape
    _, cg, kh, kw = w.shape
    h, wd = hw
    gx = np.zeros((groups * cg, h + 2 * pads[0], wd + 2 * pads[1], n), dtype=dtype)
    if n and ho > 0 and wo > 0:
        wg = np.ascontiguousarray(w, dtype=dtype).reshape(groups, f // groups, cg * kh * kw)
        gcols = np.matmul(wg.transpose(0, 2, 1), _grouped_gz(gz.astype(dtype, copy=False), groups))
        gcols = gcols.reshape(groups * cg, kh, kw, ho, wo, n)
        for a in range(kh):  # col2im: one strided add per filter tap
            for b in range(kw):
                rows, cs = reference.tap(a, b, dil, stride, (ho, wo))
                gx[:, rows, cs, :] += gcols[:, a, b]
    return _nchw(gx[:, pads[0]:pads[0] + h, pads[1]:pads[1] + wd, :])


def corr2d_grad_weights(x: np.ndarray, gz: np.ndarray, khw: Pair, pads: Pair, stride: Pair, dil: Pair,
                        groups: int, dtype: Any) -> np.ndarray:
    n, c, h, wd = x.shape
    _, f, ho, wo = gz.shape
    cg = c // groups
    if n == 0 or ho <= 0 or wo <= 0:
        return np.zeros((f, cg) + tuple(khw), dtype=dtype)
    cols = _columns(_batch_inner(x.astype(dtype, copy=False), pads), khw, stride, dil, (ho, wo))
    cols = cols.reshape(groups, cg * khw[0] * khw[1], ho * wo * n)
    gw = np.matmul(_grouped_gz(gz.astype(dtype, copy=False), groups), cols.transpose(0, 2, 1))
    return gw.reshape(f, cg, khw[0], khw[1])


# --- builders (KernelSpec.build) ------------------------------------------------------

def build_conv2d(node: Apply, backend: Any) -> Callable[..., Any]:
    from .conv import _check_run

    op = node.op
    p = op.params

    def conv2d(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        _check_run(op, x.shape, w.shape)
        return corr2d(x, op.flip(w), op.pads(w.shape[2:]), p.subsample, p.filter_dilation, p.num_groups,
                      np.result_type(x.dtype, w.dtype))

    return conv2d


def build_conv2d_grad_inputs(node: Apply, backend: Any) -> Callable[..., Any]:
    op = node.op

    def kernel(xp: Any, *args: Any) -> Any:
        return corr2d_grad_input(*args)

    return lambda w, gz, hw: op.run(np, w, gz, (int(hw[0]), int(hw[1])), kernel)


def build_conv2d_grad_weights(node: Apply, backend: Any) -> Callable[..., Any]:
    op = node.op

    def kernel(xp: Any, *args: Any) -> Any:
        return corr2d_grad_weights(*args)

    return lambda x, gz, khw: op.run(np, x, gz, (int(khw[0]), int(khw[1])), kernel)


def _side_by_side(params: Any) -> bool:
    return params.stride == params.ws and params.pad == (0, 0) and params.ignore_border


def _taps(x: np.ndarray, params: Any) -> Any:
    """The window taps of side-by-side pooling: for each (a, b) in the window, the strided
    view of ``x`` holding that tap of every window (no copy)."""
    (wh, ww) = params.ws
    ho, wo = x.shape[-2] // wh, x.shape[-1] // ww
    for a in range(wh):
        for b in range(ww):
            yield x[..., a:a + wh * ho:wh, b:b + ww * wo:ww]


def build_pool_2d(node: Apply, backend: Any) -> Optional[Callable[..., Any]]:
    """Side-by-side windows: one element-wise maximum (or sum) per window tap, in place.
    (A reshape to (..., Ho, wh, Wo, ww) and a reduction over two axes is 10-20x slower
    in NumPy on the filters-major layout convolutions return.)"""
    params = node.op.params
    if not _side_by_side(params):
        return None  # overlapping, padded or partial windows: the reference (also a loop over taps)
    reduce = np.maximum if params.mode == "max" else np.add
    scale = None if params.mode in ("max", "sum") else 1.0 / (params.ws[0] * params.ws[1])

    def pool(x: np.ndarray) -> np.ndarray:
        taps = _taps(x, params)
        out = next(taps).copy(order="K")  # keep the input's layout
        for t in taps:
            reduce(out, t, out=out)
        if scale is not None:
            out *= out.dtype.type(scale)
        return out

    return pool


def build_max_pool_2d_grad(node: Apply, backend: Any) -> Optional[Callable[..., Any]]:
    params = node.op.params
    if not _side_by_side(params):
        return None

    def max_pool_grad(x: np.ndarray, out: np.ndarray, gz: np.ndarray) -> np.ndarray:
        gx = np.zeros_like(x, dtype=gz.dtype)  # the input's layout
        zero = gz.dtype.type(0)
        for xt, gt in zip(_taps(x, params), _taps(gx, params)):
            np.copyto(gt, np.where(xt == out, gz, zero))
        return gx

    return max_pool_grad


KERNELS = (
    ("conv2d_numpy", "conv2d", build_conv2d, "im2col (sliding windows) and one GEMM per group"),
    ("conv2d_grad_inputs_numpy", "conv2d_grad_inputs", build_conv2d_grad_inputs,
     "one GEMM per group and a col2im of one strided add per filter tap"),
    ("conv2d_grad_weights_numpy", "conv2d_grad_weights", build_conv2d_grad_weights,
     "im2col (sliding windows) and one GEMM per group"),
    ("pool_2d_numpy", "pool_2d", build_pool_2d, "side-by-side windows as a reshape and one reduction"),
    ("max_pool_2d_grad_numpy", "max_pool_2d_grad", build_max_pool_2d_grad,
     "side-by-side windows as a reshape and one comparison"),
)
"""(kernel name, op name, builder, what it does) for the ``numpy`` backend."""

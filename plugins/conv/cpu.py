"""Kernels for the ``numpy`` backend: im2col through sliding windows, then one GEMM.

The columns of a convolution are a zero-copy ``sliding_window_view`` of the
padded input; one transposing copy lays them out as a (channels x filter
taps) by (batch x output pixels) matrix per group, and the backend's BLAS
(``numpy.matmul``) does the rest in one call per group. Outputs are
returned as transposed views (filters-major memory) rather than copied into
NCHW order: element-wise ops keep that layout, the next convolution's
windows read any layout, and the gradients come back in the order the
GEMM wants, so no copy is spent on layout.

Pooling with side-by-side windows (stride = window, no padding) is a
reshape and one reduction; every other pooling runs the reference.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from framework.core.graph import Apply

from . import reference

Pair = Tuple[int, int]


def _columns(x: np.ndarray, khw: Pair, pads: Pair, stride: Pair, dil: Pair, out_hw: Pair) -> np.ndarray:
    """im2col: the (C, kh, kw, N, Ho, Wo) array of every tap's input for every output pixel."""
    xpad = reference.pad_hw(np, x, pads)
    span = (dil[0] * (khw[0] - 1) + 1, dil[1] * (khw[1] - 1) + 1)
    win = sliding_window_view(xpad, span, axis=(2, 3))  # (N, C, H', W', span_h, span_w), no copy
    win = win[:, :, ::stride[0], ::stride[1], ::dil[0], ::dil[1]][:, :, :out_hw[0], :out_hw[1]]
    cols = np.empty((x.shape[1], khw[0], khw[1], x.shape[0]) + tuple(out_hw), dtype=x.dtype)
    cols[...] = win.transpose(1, 4, 5, 0, 2, 3)
    return cols


def corr2d(x: np.ndarray, w: np.ndarray, pads: Pair, stride: Pair, dil: Pair, groups: int,
           dtype: Any) -> np.ndarray:
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    ho = reference.out_size(h, kh, pads[0], stride[0], dil[0])
    wo = reference.out_size(wd, kw, pads[1], stride[1], dil[1])
    if ho <= 0 or wo <= 0 or n == 0:
        return np.zeros((n, f, max(ho, 0), max(wo, 0)), dtype=dtype)
    x = x.astype(dtype, copy=False)
    cols = _columns(x, (kh, kw), pads, stride, dil, (ho, wo)).reshape(groups, cg * kh * kw, n * ho * wo)
    out = np.matmul(w.astype(dtype, copy=False).reshape(groups, f // groups, cg * kh * kw), cols)
    return out.reshape(f, n, ho, wo).transpose(1, 0, 2, 3)


def _filters_major(gz: np.ndarray, groups: int) -> np.ndarray:
    """``gz`` (N, F, Ho, Wo) as (groups, F / groups, N * Ho * Wo); free when ``gz`` already
    has the filters-major layout :func:`corr2d` returns."""
    n, f, ho, wo = gz.shape
    return gz.transpose(1, 0, 2, 3).reshape(groups, f // groups, n * ho * wo)


def corr2d_grad_input(w: np.ndarray, gz: np.ndarray, hw: Pair, pads: Pair, stride: Pair, dil: Pair,
                      groups: int, dtype: Any) -> np.ndarray:
    n, f, ho, wo = gz.shape
    _, cg, kh, kw = w.shape
    h, wd = hw
    gx = np.zeros((groups * cg, n, h + 2 * pads[0], wd + 2 * pads[1]), dtype=dtype)
    if n and ho > 0 and wo > 0:
        wg = w.astype(dtype, copy=False).reshape(groups, f // groups, cg * kh * kw)
        gcols = np.matmul(wg.transpose(0, 2, 1), _filters_major(gz.astype(dtype, copy=False), groups))
        gcols = gcols.reshape(groups * cg, kh, kw, n, ho, wo)
        for a in range(kh):  # col2im: one strided add per filter tap
            for b in range(kw):
                rows, cols = reference.tap(a, b, dil, stride, (ho, wo))
                gx[:, :, rows, cols] += gcols[:, a, b]
    return gx[:, :, pads[0]:pads[0] + h, pads[1]:pads[1] + wd].transpose(1, 0, 2, 3)


def corr2d_grad_weights(x: np.ndarray, gz: np.ndarray, khw: Pair, pads: Pair, stride: Pair, dil: Pair,
                        groups: int, dtype: Any) -> np.ndarray:
    n, c, h, wd = x.shape
    _, f, ho, wo = gz.shape
    cg = c // groups
    if n == 0 or ho <= 0 or wo <= 0:
        return np.zeros((f, cg) + tuple(khw), dtype=dtype)
    cols = _columns(x.astype(dtype, copy=False), khw, pads, stride, dil, (ho, wo))
    cols = cols.reshape(groups, cg * khw[0] * khw[1], n * ho * wo)
    gw = np.matmul(_filters_major(gz.astype(dtype, copy=False), groups), cols.transpose(0, 2, 1))
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


def _blocks(x: np.ndarray, params: Any) -> np.ndarray:
    """``x`` cropped to whole windows and viewed as (..., Ho, wh, Wo, ww) -- no copy."""
    (wh, ww) = params.ws
    ho, wo = x.shape[-2] // wh, x.shape[-1] // ww
    return x[..., :ho * wh, :wo * ww].reshape(tuple(x.shape[:-2]) + (ho, wh, wo, ww))


def build_pool_2d(node: Apply, backend: Any) -> Optional[Callable[..., Any]]:
    params = node.op.params
    if not _side_by_side(params):
        return None  # overlapping, padded or partial windows: the reference (a loop over window taps)
    if params.mode == "max":
        return lambda x: _blocks(x, params).max(axis=(-3, -1))
    if params.mode == "sum" or x_is_int(node):
        return lambda x: _blocks(x, params).sum(axis=(-3, -1), dtype=x.dtype)
    scale = 1.0 / (params.ws[0] * params.ws[1])
    return lambda x: _blocks(x, params).sum(axis=(-3, -1)) * x.dtype.type(scale)


def x_is_int(node: Apply) -> bool:
    return not node.inputs[0].dtype.startswith("float")


def build_max_pool_2d_grad(node: Apply, backend: Any) -> Optional[Callable[..., Any]]:
    params = node.op.params
    if not _side_by_side(params):
        return None

    def max_pool_grad(x: np.ndarray, out: np.ndarray, gz: np.ndarray) -> np.ndarray:
        gx = np.zeros(x.shape, dtype=gz.dtype)
        blocks = _blocks(x, params)
        mask = blocks == out[..., :, None, :, None]
        _blocks(gx, params)[...] = np.where(mask, gz[..., :, None, :, None], 0)
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

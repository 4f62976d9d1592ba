"""Kernels for the ``cupy`` backend: im2col on the device, then one cuBLAS GEMM.

The columns are gathered with one strided device copy per filter tap (25
for a 5x5 filter) into a (channels, kh, kw, batch, Ho, Wo) buffer, then
``cupy.matmul`` -- cuBLAS -- multiplies them by the filters, one batched
call for all groups. The gradient w.r.t. the input is the transposed GEMM
followed by col2im (one strided add per tap); w.r.t. the filters, im2col
and the GEMM with the output gradient. No value is read back to the host:
the only host data are the shapes.

The functions take the array namespace ``xp``, so the same code runs (and
is tested) on NumPy and on the CPU stand-in for CuPy; the builders bind
CuPy. Importing this module does not import CuPy.
"""
from __future__ import annotations

from typing import Any, Callable, Tuple

import numpy as np

from framework.core.graph import Apply

from . import reference

Pair = Tuple[int, int]


def columns(xp: Any, x: Any, khw: Pair, pads: Pair, stride: Pair, dil: Pair, out_hw: Pair) -> Any:
    """im2col: the (C, kh, kw, N, Ho, Wo) array of every tap's input for every output pixel."""
    xpad = reference.pad_hw(xp, x, pads)
    cols = xp.empty((x.shape[1], khw[0], khw[1], x.shape[0]) + tuple(out_hw), dtype=x.dtype)
    for a in range(khw[0]):
        for b in range(khw[1]):
            rows, cs = reference.tap(a, b, dil, stride, out_hw)
            cols[:, a, b] = xpad[:, :, rows, cs].transpose(1, 0, 2, 3)
    return cols


def corr2d(xp: Any, x: Any, w: Any, pads: Pair, stride: Pair, dil: Pair, groups: int, dtype: Any) -> Any:
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    ho = reference.out_size(h, kh, pads[0], stride[0], dil[0])
    wo = reference.out_size(wd, kw, pads[1], stride[1], dil[1])
    if ho <= 0 or wo <= 0 or n == 0:
        return xp.zeros((n, f, max(ho, 0), max(wo, 0)), dtype=dtype)
    cols = columns(xp, x.astype(dtype, copy=False), (kh, kw), pads, stride, dil, (ho, wo))
    cols = cols.reshape(groups, cg * kh * kw, n * ho * wo)
    out = xp.matmul(xp.ascontiguousarray(w.astype(dtype, copy=False)).reshape(groups, f // groups, -1), cols)
    return xp.ascontiguousarray(out.reshape(f, n, ho, wo).transpose(1, 0, 2, 3))


def _filters_major(xp: Any, gz: Any, groups: int) -> Any:
    n, f, ho, wo = gz.shape
    return xp.ascontiguousarray(gz.transpose(1, 0, 2, 3)).reshape(groups, f // groups, n * ho * wo)


def corr2d_grad_input(xp: Any, w: Any, gz: Any, hw: Pair, pads: Pair, stride: Pair, dil: Pair, groups: int,
                      dtype: Any) -> Any:
    n, f, ho, wo = gz.shape
    _, cg, kh, kw = w.shape
    h, wd = hw
    gx = xp.zeros((groups * cg, n, h + 2 * pads[0], wd + 2 * pads[1]), dtype=dtype)
    if n and ho > 0 and wo > 0:
        wg = xp.ascontiguousarray(w.astype(dtype, copy=False)).reshape(groups, f // groups, cg * kh * kw)
        gcols = xp.matmul(wg.transpose(0, 2, 1), _filters_major(xp, gz.astype(dtype, copy=False), groups))
        gcols = gcols.reshape(groups * cg, kh, kw, n, ho, wo)
        for a in range(kh):
            for b in range(kw):
                rows, cs = reference.tap(a, b, dil, stride, (ho, wo))
                gx[:, :, rows, cs] += gcols[:, a, b]
    gx = gx[:, :, pads[0]:pads[0] + h, pads[1]:pads[1] + wd].transpose(1, 0, 2, 3)
    return xp.ascontiguousarray(gx)


def corr2d_grad_weights(xp: Any, x: Any, gz: Any, khw: Pair, pads: Pair, stride: Pair, dil: Pair, groups: int,
                        dtype: Any) -> Any:
    n, c, h, wd = x.shape
    _, f, ho, wo = gz.shape
    cg = c // groups
    if n == 0 or ho <= 0 or wo <= 0:
        return xp.zeros((f, cg) + tuple(khw), dtype=dtype)
    cols = columns(xp, x.astype(dtype, copy=False), khw, pads, stride, dil, (ho, wo))
    cols = cols.reshape(groups, cg * khw[0] * khw[1], n * ho * wo)
    gw = xp.matmul(_filters_major(xp, gz.astype(dtype, copy=False), groups), cols.transpose(0, 2, 1))
    return gw.reshape(f, cg, khw[0], khw[1])


# --- builders (KernelSpec.build) ------------------------------------------------------

def build_conv2d(node: Apply, backend: Any) -> Callable[..., Any]:
    from .conv import _check_run

    op, p, xp = node.op, node.op.params, backend.xp

    def conv2d(x: Any, w: Any) -> Any:
        _check_run(op, x.shape, w.shape)
        return corr2d(xp, x, op.flip(w), op.pads(w.shape[2:]), p.subsample, p.filter_dilation, p.num_groups,
                      np.result_type(x.dtype, w.dtype))

    return conv2d


def build_conv2d_grad_inputs(node: Apply, backend: Any) -> Callable[..., Any]:
    op, xp = node.op, backend.xp
    return lambda w, gz, hw: op.run(xp, w, gz, (int(hw[0]), int(hw[1])), corr2d_grad_input)


def build_conv2d_grad_weights(node: Apply, backend: Any) -> Callable[..., Any]:
    op, xp = node.op, backend.xp
    return lambda x, gz, khw: op.run(xp, x, gz, (int(khw[0]), int(khw[1])), corr2d_grad_weights)


KERNELS = (
    ("conv2d_cupy", "conv2d", build_conv2d, "im2col on the device and one cuBLAS GEMM (cupy.matmul)"),
    ("conv2d_grad_inputs_cupy", "conv2d_grad_inputs", build_conv2d_grad_inputs,
     "a cuBLAS GEMM and col2im (one strided add per filter tap)"),
    ("conv2d_grad_weights_cupy", "conv2d_grad_weights", build_conv2d_grad_weights,
     "im2col on the device and one cuBLAS GEMM"),
)
"""(kernel name, op name, builder, what it does) for the ``cupy`` backend."""

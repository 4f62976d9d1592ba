"""Kernels this plugin gives the ``cupy`` backend where the reference is not GPU-friendly.

Each is registered through ``framework_kernels()`` as a
:class:`~framework.plugins.KernelSpec` (op name and class, backend ``'cupy'``); a
``build`` returns None to keep the reference implementation for a node it
does not improve. Importing this module does not import CuPy; the builders
run only when a ``cuda`` function is linked.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from framework.core.blas import Dot
from framework.core.graph import Apply, Constant
from framework.core.shape_ops import Reshape
from framework.core.subtensor import IncSubtensor


def build_reshape(node: Apply, backend: Any) -> Optional[Callable[..., Any]]:
    """``reshape`` with a constant shape: the target shape is a Python tuple made
    once, so no shape value is ever read at run time."""
    shp = node.inputs[1]
    if not isinstance(shp, Constant):
        return None  # the host shape vector reaches the reference as NumPy ints
    static = tuple(int(s) for s in np.asarray(shp.data).reshape(-1))
    return lambda x, _shape: x.reshape(static)


def build_inc_subtensor(node: Apply, backend: Any) -> Optional[Callable[..., Any]]:
    """``inc_subtensor`` through index arrays that may repeat positions:
    ``cupyx.scatter_add`` adds every contribution with atomics (NumPy's
    ``add.at``), where ``out[idx] += y`` would keep only one."""
    from framework.core.subtensor import ARRAY, build_index

    op = node.op
    if ARRAY not in op.template:
        return None  # basic indices select each position once: the reference is exact
    import cupy
    import cupyx

    template, inplace = op.template, op.inplace
    dtype = np.dtype(node.outputs[0].type.dtype)
    if dtype.kind not in "fiu" or dtype.itemsize < 4 and dtype.kind != "f":
        return None  # no atomic add for this dtype: keep the reference
    reference = op.make_kernel(node, backend)

    def inc_subtensor(x: Any, y: Any, *index_values: Any) -> Any:
        out = x if inplace else x.copy()
        idx = build_index(template, cupy, index_values)
        try:
            cupyx.scatter_add(out, idx, cupy.asarray(y, dtype=out.dtype))
        except (TypeError, NotImplementedError):
            return reference(x, y, *index_values)
        return out

    return inc_subtensor


def build_dot(node: Apply, backend: Any) -> Optional[Callable[..., Any]]:
    """Matrix products through cuBLAS (``cupy.matmul``); vectors through ``cupy.dot``."""
    import cupy

    a, b = node.inputs
    if a.type.ndim == 2 and b.type.ndim == 2:
        dtype = np.dtype(node.outputs[0].type.dtype)

        def dot(x: Any, y: Any) -> Any:
            if x.dtype != dtype:
                x = x.astype(dtype)
            if y.dtype != dtype:
                y = y.astype(dtype)
            return cupy.matmul(x, y)

        return dot
    return None


KERNELS = (
    ("cupy_reshape", "reshape", Reshape, build_reshape, "static shapes as Python tuples"),
    ("cupy_inc_subtensor", "inc_subtensor", IncSubtensor, build_inc_subtensor,
     "increments through repeated index arrays with cupyx.scatter_add"),
    ("cupy_dot", "dot", Dot, build_dot, "matrix products through cuBLAS (cupy.matmul)"),
)
"""(kernel name, op name, the op's class, builder, what it does): each kernel is for that class only."""

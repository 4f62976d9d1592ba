"""A product with a transposed matrix, handed to the BLAS the way it runs fastest.

``h @ W.T`` (the RBM's downward pass, and every dense layer's backward pass
``gz @ W.T``) gives OpenBLAS a C-ordered left operand and a Fortran-ordered
right one. For float32 with few rows on the left, OpenBLAS computes the same
product much faster the other way round, ``(W @ h.T).T``: measured on the
machine of docs/benchmarks.md (1 BLAS thread), 20 x 500 times 500 x 784
takes 338 us as written and 218 us swapped (+ 10 us to lay the result out in C
order); 8 rows 312 -> 155 us, 64 rows 665 -> 548 us, 128 rows 1114 -> 1008 us;
2,000 rows the same. In float64 the swapped form is not faster, so it is not
used there. Each element is the same sum of the same products; which
accumulation order the BLAS picks for each call is its own (as between any
two BLAS calls of other layouts; see ``plugins/rewrites/layout.py``) -- on the
tested shapes the results were bit-for-bit equal.

The lowering applies to ``dot`` nodes whose right operand is a transpose
(``dimshuffle{1,0}``) in float32; the kernel checks the layouts at run time
and otherwise calls ``numpy.dot`` as the op's own kernel does (errors
included).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import numpy as np

from framework.core.backend import lowering_for
from framework.core.blas import Dot
from framework.core.shape_ops import DimShuffle

_F32 = np.dtype(np.float32)


@lowering_for(Dot)
def lower_dot(node: Any, backend: Any) -> Optional[Callable[..., Any]]:
    """The kernel of ``dot(a, W.T)`` in float32: the swapped product where it is faster, else ``numpy.dot``."""
    if type(node.op) is not Dot:
        return None
    a, b = node.inputs
    producer = b.owner
    if (a.type.ndim != 2 or b.type.ndim != 2 or node.outputs[0].type.dtype != "float32" or producer is None
            or not isinstance(producer.op, DimShuffle) or tuple(producer.op.pattern) != (1, 0)):
        return None
    dot, contiguous = np.dot, np.ascontiguousarray

    def kernel(a: Any, b: Any) -> Any:
        if (a.dtype is _F32 and b.dtype is _F32 and a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0]
                and b.flags.f_contiguous and not b.flags.c_contiguous):
            return contiguous(dot(b.T, a.T).T)
        return dot(a, b)

    return kernel


LOWERINGS: Dict[str, Callable[[Any, Any], Optional[Callable[..., Any]]]] = {"dot": lower_dot}

__all__ = ["LOWERINGS", "lower_dot"]

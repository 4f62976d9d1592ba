"""``theano.tensor.nlinalg``: matrix_inverse, det, trace, extract_diag, alloc_diag, matrix_dot."""
from __future__ import annotations

from functools import reduce as _reduce
from typing import Any

from ....core.blas import dot
from ....core.linalg import (AllocDiag, Det, ExtractDiag, MatrixInverse, alloc_diag, det, extract_diag,
                             matrix_inverse, trace)

__all__ = ["matrix_inverse", "det", "trace", "extract_diag", "alloc_diag", "matrix_dot", "MatrixInverse", "Det",
           "ExtractDiag", "AllocDiag"]


def matrix_dot(*args: Any) -> Any:
    """``dot(dot(a, b), c)...``: the product of several matrices, left to right."""
    return _reduce(dot, args)

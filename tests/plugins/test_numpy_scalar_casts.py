"""A 0-d cast inside a fused NumPy kernel is the dtype's scalar constructor (``numpy.float64(n)``,
five times cheaper than ``asarray(n).astype``: the RBM's ``1 / batch``, the mean's ``1 / n``) only
for the casts listed in ``_EXACT_CASTS``, and gives what the op's own kernel gives, bit for bit."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import framework.tensor as T
from framework import function
from framework_backend_numpy.fused import _EXACT_CASTS


def _fused_sources(f):
    return "".join(getattr(k, "__source__", "") for k in f._linked.run.__globals__.values())


def _values(src):
    if src == "bool":
        return [True, False]
    if np.dtype(src).kind in "iu":
        info = np.iinfo(src)
        return [0, 1, info.max, info.min, info.max - 1, info.max // 3]
    info = np.finfo(src)
    return [0.0, -0.0, 1.5, info.max, -info.max, info.tiny, np.inf, -np.inf, np.nan, 1 / 3]


CASES = [(dst, src) for dst, srcs in sorted(_EXACT_CASTS.items()) for src in sorted(srcs) if src != dst]  # (a cast to
# the same dtype is no node)


@pytest.mark.parametrize("dst,src", CASES)
def test_exact_scalar_casts_match_the_ops_kernel(dst, src):
    n = T.scalar("n", dtype=src)
    x = T.vector("x", dtype=dst)
    out = x * T.cast(n, dst) + 1
    fast = function([x, n], out)
    slow = function([x, n], out, mode="FAST_COMPILE")
    assert f"D_{dst}(" in _fused_sources(fast)  # the constructor form was chosen
    xv = np.array([1.0, -2.0, 0.5], dtype=dst)
    for v in _values(src):
        nv = np.asarray(v, dtype=src)
        with warnings.catch_warnings(record=True) as ours:
            warnings.simplefilter("always")
            with np.errstate(all="warn"):
                got = fast(xv, nv)
        with warnings.catch_warnings(record=True) as theirs:
            warnings.simplefilter("always")
            with np.errstate(all="warn"):
                want = slow(xv, nv)
        assert got.dtype == want.dtype == np.dtype(dst)
        np.testing.assert_array_equal(got.view(f"u{got.itemsize}"), want.view(f"u{want.itemsize}"))
        assert sorted(str(w.message) for w in ours) == sorted(str(w.message) for w in theirs)


@pytest.mark.parametrize("dst,src", [("float32", "float64"), ("int32", "float64"), ("int64", "float32"),
                                     ("float16", "int64")])
def test_casts_that_may_overflow_or_meet_nan_keep_the_general_form(dst, src):
    n = T.scalar("n", dtype=src)
    x = T.vector("x", dtype=dst)
    f = function([x, n], x * T.cast(n, dst))
    assert f"D_{dst}(" not in _fused_sources(f)

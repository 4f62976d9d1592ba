"""``broadcast_like``'s kernel for a 0-d value spread over one axis (the gradient of a mean over a
batch) gives what the op's ``impl`` gives: dtype, values, a fresh array for small sizes, a
broadcast view for large ones, the same error for a negative size."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework.core.backend import get_backend
from framework.core.shape_ops import BroadcastLike, broadcast_like


def _kernel():
    node = broadcast_like(T.scalar("c"), T.vector("x")).owner
    return BroadcastLike().make_kernel(node, get_backend("cpu"))


@pytest.mark.parametrize("g", [np.float32(0.5), np.asarray(-0.0, dtype=np.float32), np.asarray(2.5),
                               np.int64(7), np.asarray(np.nan, dtype=np.float16)])
@pytest.mark.parametrize("n", [0, 1, 20, 4096, 4097])
def test_same_as_impl(g, n):
    got, want = _kernel()(g, np.int64(n)), BroadcastLike().impl(np, g, np.int64(n))
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got.view(np.uint8), want.view(np.uint8)) if n <= 4096 else np.array_equal(got, want,
                                                                                                  equal_nan=True)
    assert got.flags.writeable == want.flags.writeable  # fresh up to 4096, a read-only view beyond


def test_negative_size():
    with pytest.raises(ValueError) as want:
        BroadcastLike().impl(np, np.float32(1), np.int64(-1))
    with pytest.raises(ValueError) as got:
        _kernel()(np.float32(1), np.int64(-1))
    assert str(got.value) == str(want.value)

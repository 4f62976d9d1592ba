"""``permute_row_elements(x, y, inverse)`` (Theano's): rows of ``x`` reordered by rows of ``y``, the
leading axes broadcast; values against NumPy's ``take_along_axis`` / ``put_along_axis``, shapes
while building and when run, errors, and the gradient against finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function, grad
from framework.gradient import verify_grad

MODES = ["FAST_RUN", "FAST_COMPILE"]


def _reference(x, y, inverse):
    lead = np.broadcast_shapes(x.shape[:-1], y.shape[:-1])
    xb = np.broadcast_to(x, lead + x.shape[-1:])
    yb = np.broadcast_to(y, lead + y.shape[-1:])
    if not inverse:
        return np.take_along_axis(xb, yb, axis=-1)
    out = np.empty(xb.shape, dtype=x.dtype)
    np.put_along_axis(out, yb, xb, axis=-1)
    return out


def _perms(rng, lead, n):
    return np.asarray([rng.permutation(n) for _ in range(int(np.prod(lead, dtype=int)))]).reshape(lead + (n,))


CASES = [((2, 4), (2, 4)), ((4,), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 4)), ((5,), (5,))]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("xs,ys", CASES)
def test_values_and_shapes_are_numpys(mode, inverse, xs, ys):
    rng = np.random.RandomState(0)
    xv, yv = rng.standard_normal(xs), _perms(rng, ys[:-1], ys[-1])
    x, y = T.tensor("float64", (None,) * len(xs)), T.tensor("int64", (None,) * len(ys))
    out = T.permute_row_elements(x, y, inverse)
    got, shape = function([x, y], [out, out.shape], mode=mode)(xv, yv)
    want = _reference(xv, yv, inverse)
    np.testing.assert_array_equal(got, want)
    assert tuple(shape) == want.shape and out.ndim == want.ndim


def test_static_shapes_and_errors():
    x, y = T.tensor("float32", (2, 4)), T.tensor("int32", (None, 4))
    assert T.permute_row_elements(x, y).type.shape == (2, 4)
    assert T.permute_row_elements(x, y).dtype == "float32"
    with pytest.raises(ValueError, match="do not fit"):
        T.permute_row_elements(T.tensor("float64", (2, 4)), T.tensor("int64", (2, 5)))
    with pytest.raises(TypeError, match="integer"):
        T.permute_row_elements(T.dmatrix(), T.dmatrix())
    a, b = T.dmatrix("a"), T.lmatrix("b")
    f = function([a, b], T.permute_row_elements(a, b, inverse=True))
    with pytest.raises(ValueError, match="permutation of range"):
        f(np.zeros((2, 3)), np.array([[0, 0, 1], [0, 1, 2]]))
    g = function([a, b], T.permute_row_elements(a, b))
    with pytest.raises(ValueError, match="rows of length"):
        g(np.zeros((2, 3)), np.zeros((2, 4), dtype=np.int64))


@pytest.mark.parametrize("inverse", [False, True])
@pytest.mark.parametrize("xs,ys", CASES)
def test_gradient_matches_finite_differences(inverse, xs, ys):
    rng = np.random.RandomState(1)
    yv = _perms(rng, ys[:-1], ys[-1])
    verify_grad(lambda x: T.permute_row_elements(x, T.constant(yv), inverse), [rng.standard_normal(xs)], rng=rng)


def test_the_gradient_of_a_gather_with_repeats_refuses_instead_of_answering_wrong():
    """Not a permutation: the forward gather is defined, its gradient would need a scatter-add; the
    inverse permutation the gradient takes refuses the row."""
    x, y = T.dvector("x"), T.lvector("y")
    out = T.permute_row_elements(x, y)
    np.testing.assert_array_equal(function([x, y], out)(np.array([1.0, 2.0, 3.0]), np.array([0, 0, 2])),
                                  [1.0, 1.0, 3.0])
    gx = function([x, y], grad(out.sum(), x))
    np.testing.assert_array_equal(gx(np.array([1.0, 2.0, 3.0]), np.array([2, 0, 1])), [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="permutation of range"):
        gx(np.array([1.0, 2.0, 3.0]), np.array([0, 0, 2]))

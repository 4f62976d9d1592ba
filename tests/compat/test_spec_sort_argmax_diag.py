"""Theano 1.0's ``theano.tensor.sort`` (sort, argsort, topk & co.), argmax/argmin/max_and_argmax
over several axes, and ``diag(v, k)`` off the main diagonal, against NumPy."""
from __future__ import annotations

import numpy as np
import pytest

MODES = ["FAST_RUN", "FAST_COMPILE"]
rng = np.random.RandomState(11)


# --- sort / argsort -------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_sort_and_argsort_as_theano(mode):
    import theano
    import theano.tensor as T

    x = T.dmatrix("x")
    v = np.array([[3.0, np.nan, 1.0, 1.0], [0.5, -2.0, 7.0, 0.5]])
    f = theano.function([x], [T.sort(x), T.argsort(x, kind="mergesort"), T.sort(x, axis=None), x.sort(axis=0),
                              x.argsort(axis=None, kind="stable"), T.sort(x, 0, "heapsort")], mode=mode)
    s, a, flat, s0, aflat, heap = f(v)
    np.testing.assert_array_equal(s, np.sort(v))
    np.testing.assert_array_equal(a, np.argsort(v, kind="mergesort"))
    np.testing.assert_array_equal(flat, np.sort(v, axis=None))
    np.testing.assert_array_equal(s0, np.sort(v, axis=0))
    np.testing.assert_array_equal(aflat, np.argsort(v, axis=None, kind="stable"))
    np.testing.assert_array_equal(heap, np.sort(v, 0))
    assert a.dtype == np.int64 and T.argsort(x).dtype == "int64" and T.sort(T.fvector()).dtype == "float32"


def test_theano_tensor_sort_is_the_function_and_the_module():
    import theano.tensor as T

    x = T.dvector("x")
    assert T.sort(x).eval({x: np.array([2.0, 1.0])}).tolist() == [1.0, 2.0]
    from theano.tensor.sort import ArgSortOp, SortOp, argsort, argtopk, sort, topk, topk_and_argtopk  # noqa: F401
    import theano.tensor.sort as sort_module  # noqa: F401 -- binds T.sort to the module, as Python does

    # whichever object T.sort is now, calling it sorts
    assert T.sort(x).eval({x: np.array([2.0, 1.0])}).tolist() == [1.0, 2.0]
    assert isinstance(T.sort(x).owner.op, SortOp) and T.argsort is argsort


@pytest.mark.parametrize("mode", MODES)
def test_sort_gradient_as_theano(mode):
    import theano.tensor as T

    for axis in (-1, 0, None):
        T.verify_grad(lambda a: T.sort(a, axis), [rng.rand(3, 4)], rng=rng, mode=mode)


def test_sort_shape_without_sorting():
    import theano
    import theano.tensor as T

    x = T.dtensor3("x")
    f = theano.function([x], [T.sort(x, 1).shape, T.argsort(x).shape])
    assert not [n for n in f.maker.fgraph.toposort() if n.op.name in ("sort", "argsort")]
    a, b = f(np.ones((2, 3, 4)))
    assert tuple(a) == tuple(b) == (2, 3, 4)


def test_sort_errors_name_the_op_and_the_line():
    import theano.tensor as T

    with pytest.raises(ValueError) as info:
        T.sort(T.dvector(), axis=1)  # a vector has one axis
    assert "sort" in str(info.value) and "a vector has one axis" in str(info.value)


@pytest.mark.parametrize("mode", MODES)
def test_topk_family_as_theano(mode):
    import theano
    from theano.tensor.sort import argtopk, topk, topk_and_argtopk
    import theano.tensor as T

    x = T.dmatrix("x")
    v = rng.randn(4, 5)
    f = theano.function([x], [topk(x, 2, sorted=False), argtopk(x, -2, axis=0), *topk_and_argtopk(x, 3, axis=None)],
                        mode=mode)
    top, low_pos, flat_vals, flat_pos = f(v)
    np.testing.assert_array_equal(np.sort(top, axis=-1), np.sort(v, axis=-1)[:, -2:])
    np.testing.assert_array_equal(low_pos, np.argsort(v, axis=0, kind="stable")[:2])
    np.testing.assert_array_equal(flat_vals, np.sort(v, axis=None)[::-1][:3])
    np.testing.assert_array_equal(v.ravel()[flat_pos], flat_vals)
    T.verify_grad(lambda a: topk(a, 2, sorted=False), [rng.rand(3, 4)], rng=rng, mode=mode)


# --- argmax / argmin / max_and_argmax over several axes ------------------------------------------

def _theano_argmax(a, axes, keepdims=False, fn=np.argmax):
    """Theano 1.0's rule written out with NumPy: kept axes first, the reduced ones (sorted) flattened last."""
    axes = sorted({ax % a.ndim for ax in axes}) or list(range(a.ndim))
    keep = [i for i in range(a.ndim) if i not in axes]
    t = np.transpose(a, keep + axes)
    r = fn(t.reshape(t.shape[:len(keep)] + (int(np.prod([a.shape[i] for i in axes])),)), axis=-1)
    return np.expand_dims(r, tuple(axes)) if keepdims else r


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("axes", [[0, 1], (1, 2), [0, 2], [2, 0], [-1, 0], [1, 1, 2], [0, 1, 2], []])
@pytest.mark.parametrize("keepdims", [False, True])
def test_arg_reductions_over_several_axes(mode, axes, keepdims):
    import theano
    import theano.tensor as T

    x = T.dtensor3("x")
    v = rng.randn(2, 3, 4)
    mx, am = T.max_and_argmax(x, axes, keepdims=keepdims)
    f = theano.function([x], [mx, am, T.argmax(x, axes, keepdims), T.argmin(x, axis=axes, keepdims=keepdims)],
                        mode=mode)
    got_max, got_am, got_argmax, got_argmin = f(v)
    want = _theano_argmax(v, axes, keepdims)
    norm = tuple(sorted({a % 3 for a in axes})) or None
    np.testing.assert_array_equal(got_max, np.max(v, axis=norm, keepdims=keepdims))
    np.testing.assert_array_equal(got_am, want)
    np.testing.assert_array_equal(got_argmax, want)
    np.testing.assert_array_equal(got_argmin, _theano_argmax(v, axes, keepdims, np.argmin))
    assert got_am.dtype == np.int64 and am.ndim == want.ndim == got_am.ndim
    # the index picks the maximum out of the selected axes
    red = sorted({a % 3 for a in axes}) or [0, 1, 2]
    keep = [i for i in range(3) if i not in red]
    t = np.transpose(v, keep + red).reshape([v.shape[i] for i in keep] + [-1])
    np.testing.assert_array_equal(np.take_along_axis(t, want.reshape(t.shape[:-1] + (1,)), -1)[..., 0],
                                  np.max(v, axis=tuple(red)))


def test_several_axes_shapes_static_and_at_run_time():
    import theano
    import theano.tensor as T

    x = T.tensor("float64", (2, None, 4), "x")
    assert T.argmax(x, [0, 2]).type.shape == (None,)
    assert T.argmax(x, [0, 2], keepdims=True).type.shape == (1, None, 1)
    assert T.argmin(x, [1, 2]).type.shape == (2,)
    f = theano.function([x], [T.argmax(x, [0, 2]).shape, T.argmax(x, [1, 2], keepdims=True).shape])
    a, b = f(np.ones((2, 5, 4)))
    assert tuple(a) == (5,) and tuple(b) == (2, 1, 1)


def test_several_axes_ties_and_nan_follow_numpy():
    import theano.tensor as T

    x = T.dtensor3("x")
    v = np.zeros((2, 2, 3))
    v[0, 1, 2] = v[1, 0, 2] = v[1, 0, 1] = 5.0  # a tie in column 2: the first in the flattened axes wins
    v[1, 1, 0] = np.nan
    got = T.argmax(x, [0, 1]).eval({x: v})
    np.testing.assert_array_equal(got, _theano_argmax(v, [0, 1]))
    assert got.tolist() == [3, 2, 1]


def test_several_axes_of_an_empty_array_fail_as_numpy():
    import theano
    import theano.tensor as T

    x = T.dtensor3("x")
    f = theano.function([x], T.argmax(x, [1, 2]))
    assert f(np.zeros((0, 2, 3))).shape == (0,)
    with pytest.raises(ValueError):
        f(np.zeros((2, 0, 3)))


def test_several_axes_gradient_of_the_max():
    import theano.tensor as T

    T.verify_grad(lambda a: T.max_and_argmax(a, [0, 2])[0], [rng.rand(2, 3, 4)], rng=rng)
    x = T.dtensor3("x")
    g = T.grad(T.cast(T.argmax(x, [0, 1]), "float64").sum() + x.sum(), x)
    np.testing.assert_array_equal(g.eval({x: np.ones((2, 2, 2))}), np.ones((2, 2, 2)))


def test_several_axes_bad_axis_names_the_op_and_the_line():
    import theano.tensor as T

    with pytest.raises(ValueError) as info:
        T.argmax(T.dmatrix(), [0, 2])  # no axis 2 here
    assert "argmax" in str(info.value) and "axis 2" in str(info.value) and "no axis 2 here" in str(info.value)
    with pytest.raises(ValueError, match="max_and_argmax"):
        T.max_and_argmax(T.dmatrix(), [-3, 0])


# --- diag(v, k) -----------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("k", [-3, -1, 0, 1, 2, 5])
def test_diag_off_the_main_diagonal(mode, k):
    import theano
    import theano.tensor as T

    v, m = T.dvector("v"), T.dmatrix("m")
    f = theano.function([v, m], [T.diag(v, k), T.diag(m, k), T.diag(v, k).shape, T.diag(m, k).shape], mode=mode)
    vv, mv = rng.randn(3), rng.randn(3, 4)
    a, b, sa, sb = f(vv, mv)
    np.testing.assert_array_equal(a, np.diag(vv, k))
    np.testing.assert_array_equal(b, np.diag(mv, k))
    assert tuple(sa) == a.shape and tuple(sb) == b.shape
    for vv, mv in ((np.zeros(0), np.zeros((0, 2))), (rng.randn(1), rng.randn(4, 1))):
        a, b, _, _ = f(vv, mv)
        np.testing.assert_array_equal(a, np.diag(vv, k))
        np.testing.assert_array_equal(b, np.diag(mv, k))


@pytest.mark.parametrize("k", [-2, 1, 3])
def test_diag_static_shapes_and_dtypes(k):
    import theano.tensor as T

    assert T.diag(T.tensor("float32", (3,)), k).type.shape == (3 + abs(k), 3 + abs(k))
    assert T.diag(T.tensor("int32", (3, 4)), k).type.shape == (np.diag(np.ones((3, 4)), k).shape[0],)
    assert T.diag(T.fvector(), k).dtype == "float32" and T.diag(T.imatrix(), k).dtype == "int32"
    iv = T.ivector("iv")
    got = T.diag(iv, k).eval({iv: np.array([1, 2], dtype="int32")})
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, np.diag(np.array([1, 2]), k))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("k", [-2, -1, 1, 2])
def test_diag_gradients(mode, k):
    import theano.tensor as T

    T.verify_grad(lambda a: T.diag(a, k), [rng.rand(3)], rng=rng, mode=mode)
    T.verify_grad(lambda a: T.diag(a, k), [rng.rand(3, 4)], rng=rng, mode=mode)
    T.verify_grad(lambda a: T.diag(a, k), [rng.rand(4, 3)], rng=rng, mode=mode)


def test_diag_errors_name_the_call():
    import theano.tensor as T

    with pytest.raises(ValueError) as info:
        T.diag(T.dtensor3(), 1)  # a 3-d diag
    assert "diag" in str(info.value) and "a 3-d diag" in str(info.value)
    with pytest.raises(TypeError, match="k must be an integer"):
        T.diag(T.dvector(), 1.5)

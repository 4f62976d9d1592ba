"""``T.sort``, ``T.argsort`` (ops declared once in framework/core/sort.py) and ``T.topk`` & co.
(built from argsort and indexing), against NumPy."""
import numpy as np
import pytest

import framework.tensor as T
from framework import function, grad
from framework.core.sort import ArgSort, Sort
from framework.core.types import TensorType
from framework.gradient import verify_grad

MODES = ["FAST_RUN", "FAST_COMPILE"]
rng = np.random.RandomState(7)


def _ops(f):
    return [n.op.name for n in f.maker.fgraph.toposort()]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("axis", [-1, 0, 1, 2, None])
def test_sort_and_argsort_match_numpy(mode, axis):
    x = T.dtensor3("x")
    v = rng.randn(3, 4, 5)
    f = function([x], [T.sort(x, axis), T.argsort(x, axis), x.sort(axis), x.argsort(axis)], mode=mode)
    s, a, ms, ma = f(v)
    np.testing.assert_array_equal(s, np.sort(v, axis))
    np.testing.assert_array_equal(a, np.argsort(v, axis))
    np.testing.assert_array_equal(ms, s)
    np.testing.assert_array_equal(ma, a)
    assert a.dtype == np.int64 and s.dtype == np.float64


@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "int32", "uint16", "int64", "bool"])
def test_dtypes_follow_numpy(dtype):
    x = T.tensor(dtype, (None, None), "x")
    s, a = T.sort(x), T.argsort(x)
    assert s.dtype == dtype and a.dtype == "int64"
    v = (rng.randn(4, 6) * 10).astype(dtype)
    got_s, got_a = function([x], [s, a])(v)
    assert got_s.dtype == np.dtype(dtype) and got_a.dtype == np.int64
    np.testing.assert_array_equal(got_s, np.sort(v))
    np.testing.assert_array_equal(got_a, np.argsort(v))


def test_static_shapes():
    x = T.tensor("float64", (2, None, 4), "x")
    assert T.sort(x).type == TensorType("float64", (2, None, 4))
    assert T.argsort(x, 1).type == TensorType("int64", (2, None, 4))
    assert T.sort(x, None).type.shape == (None,)
    assert T.sort(T.tensor("float32", (2, 3, 4)), None).type.shape == (24,)
    assert T.argsort(T.dscalar("s"), None).type.shape == (1,)


@pytest.mark.parametrize("mode", MODES)
def test_nan_sorts_last_as_in_numpy(mode):
    x = T.dmatrix("x")
    v = np.array([[3.0, np.nan, 1.0, -np.inf], [np.nan, 2.0, np.inf, np.nan]])
    s, a = function([x], [T.sort(x), T.argsort(x, kind="stable")], mode=mode)(v)
    np.testing.assert_array_equal(s, np.sort(v))
    np.testing.assert_array_equal(a, np.argsort(v, kind="stable"))
    assert np.isnan(s[0, -1]) and np.isnan(s[1, -2:]).all()


@pytest.mark.parametrize("kind", ["quicksort", "mergesort", "heapsort", "stable"])
def test_ties_follow_numpy_with_the_same_kind(kind):
    x = T.lvector("x")
    v = np.array([2, 1, 2, 0, 1, 2, 2, 1, 0, 0, 2, 1] * 3)
    got = function([x], T.argsort(x, kind=kind))(v)
    np.testing.assert_array_equal(got, np.argsort(v, kind=kind))
    np.testing.assert_array_equal(v[got], np.sort(v))


def test_stable_argsort_keeps_the_input_order_of_ties():
    x = T.dvector("x")
    got = function([x], T.argsort(x, kind="stable"))(np.array([1.0, 0.0, 1.0, 0.0, 1.0]))
    assert got.tolist() == [1, 3, 0, 2, 4]


@pytest.mark.parametrize("mode", MODES)
def test_empty_arrays(mode):
    x = T.dmatrix("x")
    f = function([x], [T.sort(x, 0), T.argsort(x), T.sort(x, None), x.sort().shape], mode=mode)
    for v in (np.zeros((0, 3)), np.zeros((2, 0))):
        s, a, flat, shape = f(v)
        assert s.shape == v.shape and a.shape == v.shape and a.dtype == np.int64 and flat.shape == (0,)
        assert tuple(shape) == v.shape


@pytest.mark.parametrize("mode", MODES)
def test_sort_gradient_by_finite_differences(mode):
    for axis in (0, 1, -1, None):
        verify_grad(lambda a: T.sort(a, axis), [rng.rand(3, 4)], rng=rng, mode=mode)
    verify_grad(lambda a: T.sort(a, 1, kind="stable") * T.sort(a, 0), [rng.rand(3, 3)], rng=rng, mode=mode)
    verify_grad(lambda a: a.sort(axis=1), [rng.rand(2, 3, 4)], rng=rng, mode=mode)


@pytest.mark.parametrize("mode", MODES)
def test_sort_gradient_goes_back_through_the_permutation(mode):
    x = T.dvector("x")
    w = np.array([10.0, 20.0, 30.0, 40.0])
    g = function([x], grad((T.sort(x) * w).sum(), x), mode=mode)
    # x[2] is the smallest, then x[0], x[3], x[1]
    np.testing.assert_array_equal(g(np.array([1.0, 9.0, -5.0, 3.0])), [20.0, 40.0, 10.0, 30.0])
    # ties: each tied entry gets one slot's gradient, the slots of the tie are all used once
    got = g(np.array([1.0, 1.0, 0.0, 1.0]))
    assert got[2] == 10.0 and sorted(got[[0, 1, 3]]) == [20.0, 30.0, 40.0]


def test_argsort_has_no_gradient_and_integers_none():
    x = T.dvector("x")
    cost = (T.cast(T.argsort(x), "float64") * x).sum()
    np.testing.assert_array_equal(function([x], grad(cost, x))(np.array([3.0, 1.0, 2.0])), [1.0, 2.0, 0.0])
    i = T.lvector("i")
    assert Sort(0).grad(Sort(0).make_node(i), [T.lvector()]) == [None]
    assert ArgSort(0).grad(ArgSort(0).make_node(x), [T.lvector()]) == [None]


def test_shape_of_a_sort_is_read_without_sorting():
    x = T.dtensor3("x")
    for mode in MODES:
        f = function([x], [x.sort().shape, T.argsort(x, 1).shape[2], T.sort(x, None).shape], mode=mode)
        shape, last, flat = f(np.ones((2, 3, 4)))
        assert tuple(shape) == (2, 3, 4) and last == 4 and tuple(flat) == (24,)
    f = function([x], [x.sort().shape, T.argsort(x, 1).shape])
    assert "sort" not in _ops(f) and "argsort" not in _ops(f)
    assert Sort(1).infer_shape(None, [(2, 3, 4)]) == [(2, 3, 4)]


def test_bad_axis_names_the_op_and_the_users_line():
    x = T.dmatrix("x")
    with pytest.raises(ValueError) as info:
        T.sort(x, 2)  # sort on a third axis
    assert "sort" in str(info.value) and "axis 2" in str(info.value) and "sort on a third axis" in str(info.value)
    with pytest.raises(ValueError) as info:
        x.argsort(axis=-3)  # argsort here
    assert "argsort" in str(info.value) and "argsort here" in str(info.value)
    with pytest.raises(TypeError, match="sort: axis must be an integer"):
        T.sort(x, 1.5)
    with pytest.raises(ValueError, match="0-d input"):
        T.sort(T.dscalar())
    with pytest.raises(ValueError, match="kind must be one of"):
        T.argsort(x, kind="bubble")
    with pytest.raises(ValueError, match="structured array"):
        T.sort(x, order=["a"])
    with pytest.raises(TypeError, match="complex"):
        T.sort(T.zvector())


def test_sort_of_a_scalar_with_axis_none_is_a_one_element_vector():
    s = T.dscalar("s")
    assert function([s], T.sort(s, None))(2.5).tolist() == [2.5]


def test_printing_names_the_op():
    from framework import pp

    x = T.dmatrix("x")
    assert pp(T.sort(x, 0)) == "sort(x, axis=0)"
    assert pp(T.argsort(x, kind="stable")) == "argsort(x, axis=1, kind='stable')"


# --- topk: the k largest entries ------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kth", [1, 2, 4, -1, -3])
def test_topk_matches_numpy(mode, kth):
    x = T.dmatrix("x")
    v = rng.randn(3, 4)
    vals, pos = function([x], list(T.topk_and_argtopk(x, kth)), mode=mode)(v)
    order = np.argsort(v, axis=-1, kind="stable")
    want = order[:, ::-1][:, :kth] if kth > 0 else order[:, :-kth]
    np.testing.assert_array_equal(pos, want)
    np.testing.assert_array_equal(vals, np.take_along_axis(v, want, -1))
    assert pos.dtype == np.int64
    if abs(kth) <= 3:
        np.testing.assert_array_equal(function([x], T.topk(x, kth, axis=0), mode=mode)(v),
                                      -np.sort(-v, axis=0)[:kth] if kth > 0 else np.sort(v, axis=0)[:-kth])


def test_topk_with_a_symbolic_k_axis_none_and_idx_dtype():
    x, k = T.dmatrix("x"), T.lscalar("k")
    v = rng.randn(3, 4)
    f = function([x, k], [T.topk(x, k, axis=None), T.argtopk(x, k, axis=0, idx_dtype="int32")])
    vals, pos = f(v, 3)
    np.testing.assert_array_equal(vals, np.sort(v, axis=None)[::-1][:3])
    assert pos.dtype == np.int32 and pos.shape == (3, 4)
    vals, pos = f(v, -2)
    np.testing.assert_array_equal(vals, np.sort(v, axis=None)[:2])
    with pytest.raises(ValueError, match="larger than the size"):
        f(v, 5)
    with pytest.raises(ValueError, match="must not be 0"):
        f(v, 0)


def test_topk_errors_name_the_op_and_the_users_line():
    x = T.dmatrix("x")
    with pytest.raises(ValueError) as info:
        T.topk(T.tensor("float64", (2, 3)), 4)  # too many
    assert "topk" in str(info.value) and "too many" in str(info.value)
    with pytest.raises(ValueError, match="must not be 0"):
        T.argtopk(x, 0)
    with pytest.raises(TypeError, match="integer scalar"):
        T.topk(x, 1.5)
    with pytest.raises(TypeError, match="idx_dtype"):
        T.argtopk(x, 1, idx_dtype="float32")
    with pytest.raises(ValueError, match="axis 2"):
        T.topk(x, 1, axis=2)
    f = function([x], T.topk(x, 3))  # the axis's size is known only when running
    with pytest.raises(ValueError, match="larger than the size"):
        f(np.ones((2, 2)))


@pytest.mark.parametrize("mode", MODES)
def test_topk_gradient(mode):
    verify_grad(lambda a: T.topk(a, 2), [rng.rand(3, 4)], rng=rng, mode=mode)
    verify_grad(lambda a: T.topk(a, -2, axis=0), [rng.rand(3, 4)], rng=rng, mode=mode)
    verify_grad(lambda a: T.topk(a, 3, axis=None), [rng.rand(3, 4)], rng=rng, mode=mode)

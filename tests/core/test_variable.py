"""Tensor variables: Python operators, methods, attributes, bool() and
iteration rules, constants."""
from __future__ import annotations

import operator

import numpy as np
import pytest

import framework.tensor as T
from framework import function
from framework.core.graph import Apply, Constant, Variable

A = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])
B = np.array([2.0, 3.0, -0.5])


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
                                operator.mod, operator.pow, operator.lt, operator.le, operator.gt, operator.ge],
                         ids=lambda f: f.__name__)
def test_binary_operators_match_numpy(op):
    x, y = T.dmatrix("x"), T.dvector("y")
    a, b = np.abs(A), np.abs(B)  # pow needs a positive base
    f = function([x, y], [op(x, y), op(y, x), op(x, 2), op(2.5, x), op(x, b), op(a, y)])
    with np.errstate(all="ignore"):
        want = [op(a, b), op(b, a), op(a, 2), op(2.5, a), op(a, b), op(a, b)]
    for got, w in zip(f(a, b), want):
        assert got.dtype == w.dtype
        np.testing.assert_allclose(got, w)


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor], ids=lambda f: f.__name__)
def test_bitwise_operators(op):
    i, j = T.ivector("i"), T.ivector("j")
    a, b = np.array([1, 6, 3], "int32"), np.array([3, 5, 0], "int32")
    got = function([i, j], [op(i, j), op(i, 4), op(4, i)])(a, b)
    np.testing.assert_array_equal(got[0], op(a, b))
    np.testing.assert_array_equal(got[1], op(a, 4))
    np.testing.assert_array_equal(got[2], op(4, a))
    c, d = T.tensor("bool", (None,)), T.tensor("bool", (None,))
    cv, dv = np.array([True, False, True]), np.array([True, True, False])
    np.testing.assert_array_equal(function([c, d], op(c, d))(cv, dv), op(cv, dv))


def test_unary_operators():
    x = T.dmatrix("x")
    neg, pos, ab = function([x], [-x, +x, abs(x)])(A)
    np.testing.assert_array_equal(neg, -A)
    np.testing.assert_array_equal(pos, A)
    np.testing.assert_array_equal(ab, np.abs(A))
    assert (+x) is x
    i = T.ivector("i")
    np.testing.assert_array_equal((~i).eval({i: np.array([0, 5], "int32")}), [-1, -6])
    b = T.tensor("bool", (None,))
    np.testing.assert_array_equal((~b).eval({b: np.array([True, False])}), [False, True])


def test_equality_is_identity_so_variables_are_dict_keys():
    """Documented choice (as Theano): ``x == y`` compares the variables, use T.eq for values."""
    x, y = T.dvector("x"), T.dvector("y")
    assert (x == x) is True and (x == y) is False
    d = {x: 1, y: 2}
    assert d[x] == 1 and len({x, y, x}) == 2
    np.testing.assert_array_equal(T.eq(x, y).eval({x: [1.0, 2.0], y: [1.0, 3.0]}), [True, False])
    np.testing.assert_array_equal(T.neq(x, y).eval({x: [1.0, 2.0], y: [1.0, 3.0]}), [False, True])


# --- bool() ------------------------------------------------------------------------------------------

def test_bool_of_a_variable_is_true_as_in_theano():
    x = T.dvector("x")
    assert bool(x) is True
    assert bool(x * 2) and bool(x.sum()) and bool(T.constant(0.0))
    input_ = x
    if not input_:  # the tutorial's idiom
        pytest.fail("a variable must be truthy")
    assert (x or None) is x


@pytest.mark.parametrize("make", [lambda x, y: x < y, lambda x, y: x <= y, lambda x, y: x > y,
                                  lambda x, y: x >= y, lambda x, y: T.eq(x, y), lambda x, y: T.neq(x, y),
                                  lambda x, y: T.isnan(x), lambda x, y: T.isinf(x)])
def test_bool_of_a_comparison_is_a_type_error(make):
    x, y = T.dscalars("x", "y")
    c = make(x, y)
    with pytest.raises(TypeError) as info:
        bool(c)
    assert "switch" in str(info.value)
    with pytest.raises(TypeError):
        if c:
            pass


def test_chained_comparisons_cannot_silently_mislead():
    a, b, c = T.dscalars("a", "b", "c")
    with pytest.raises(TypeError):
        a < b < c
    with pytest.raises(TypeError):
        0 < a < 1


def test_logical_combinations_use_the_operators():
    a = T.dvector("a")
    inside = (a > 0) & (a < 1)
    np.testing.assert_array_equal(inside.eval({a: [-1.0, 0.5, 2.0]}), [False, True, False])
    outside = T.or_(a < 0, a > 1)
    np.testing.assert_array_equal(outside.eval({a: [-1.0, 0.5, 2.0]}), [True, False, True])


# --- iteration and len ----------------------------------------------------------------------------

def test_iterating_a_tensor_of_unknown_length_is_a_type_error():
    m = T.dmatrix("m")
    with pytest.raises(TypeError, match="scan"):
        iter(m)
    with pytest.raises(TypeError, match="shape"):
        len(m)
    with pytest.raises(TypeError):
        a, b = m


def test_iterating_a_tensor_of_static_length_gives_its_rows():
    m = T.tensor("float64", (3, None), name="m")
    assert len(m) == 3
    rows = list(m)
    assert len(rows) == 3
    got = function([m], rows)(np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(got[2], [4.0, 5.0])
    a, b, c = m
    assert c.ndim == 1


def test_scalars_cannot_be_iterated():
    s = T.dscalar("s")
    with pytest.raises(TypeError):
        iter(s)
    with pytest.raises(TypeError):
        len(s)


# --- attributes and methods ---------------------------------------------------------------------------

def test_attributes():
    x = T.dmatrix("x")
    y = x * 2
    assert x.name == "x" and x.dtype == "float64" and x.ndim == 2 and x.owner is None
    assert isinstance(y.owner, Apply) and y.owner.inputs[0] is x and y.owner.outputs[0] is y
    assert y.owner.op.name == "mul" and y.index == 0
    assert x.type.shape == (None, None) and x.broadcastable == (False, False)
    assert repr(x) == "x" and str(x) == "x"
    y.name = "doubled"
    assert repr(y) == "doubled"


def test_every_node_records_the_users_line():
    x = T.dvector("x")
    y = x + 1  # this line
    fname, line = y.owner.trace
    assert fname == __file__
    import linecache

    assert linecache.getline(fname, line).strip() == "y = x + 1  # this line"


@pytest.mark.parametrize("method,args,ref", [
    ("sum", (), lambda a: a.sum()), ("sum", (0,), lambda a: a.sum(0)), ("mean", (1,), lambda a: a.mean(1)),
    ("max", (), lambda a: a.max()), ("min", (0,), lambda a: a.min(0)), ("prod", (), lambda a: a.prod()),
    ("argmax", (1,), lambda a: a.argmax(1)), ("argmin", (), lambda a: a.argmin()),
    ("var", (), lambda a: a.var()), ("std", (0,), lambda a: a.std(0)), ("flatten", (), lambda a: a.flatten()),
    ("reshape", ((3, 2),), lambda a: a.reshape((3, 2))), ("transpose", (), lambda a: a.transpose()),
    ("dimshuffle", ((1, 0),), lambda a: a.T), ("clip", (-1.0, 1.0), lambda a: a.clip(-1.0, 1.0)),
    ("astype", ("int32",), lambda a: a.astype("int32")), ("copy", (), lambda a: a.copy()),
    ("dot", (np.ones(3),), lambda a: a.dot(np.ones(3))),
])
def test_methods_match_numpy(method, args, ref):
    x = T.dmatrix("x")
    out = getattr(x, method)(*args)
    got = out.eval({x: A})
    want = ref(A)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    np.testing.assert_allclose(got, want)


def test_properties():
    x = T.dmatrix("x")
    np.testing.assert_array_equal(x.T.eval({x: A}), A.T)
    np.testing.assert_array_equal(x.shape.eval({x: A}), [2, 3])
    assert x.size.eval({x: A}) == 6
    assert x.copy(name="c").name == "c"


# --- constants --------------------------------------------------------------------------------------

def test_python_scalars_become_weak_constants():
    c = T.constant(2.0)
    assert isinstance(c, Constant) and c.weak and c.dtype == "float64" and c.ndim == 0
    assert not T.constant(np.float32(2.0)).weak
    assert T.constant(2.0, dtype="float32").dtype == "float32"
    assert not T.constant(2.0, dtype="float32").weak


def test_array_constants_are_read_only_copies():
    a = np.arange(3.0)
    c = T.constant(a, name="c")
    a[0] = 99.0
    assert c.data[0] == 0.0 and c.name == "c" and c.type.shape == (3,)
    with pytest.raises(ValueError):
        c.data[0] = 1.0


def test_constant_errors():
    with pytest.raises(TypeError):
        T.constant(T.dscalar())
    with pytest.raises(TypeError):
        T.constant("text")
    with pytest.raises(TypeError):
        T.constant([1, [2, 3]])


def test_as_tensor_variable():
    x = T.dvector("x")
    assert T.as_tensor_variable(x) is x
    c = T.as_tensor_variable([[1, 2], [3, 4]])
    assert c.type.shape == (2, 2) and c.dtype == "int64"
    with pytest.raises(TypeError, match="2-d"):
        T.as_tensor_variable(x, ndim=2)
    assert T.as_tensor_variable(T.constant(np.ones((1, 1))), ndim=3).ndim == 3
    from framework.core.types import GenericType

    with pytest.raises(TypeError, match="not a tensor"):
        T.as_tensor_variable(Variable(GenericType("thing")))


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_numpy_and_theano_methods_match_numpy(mode):
    """The methods Theano's variables had and NumPy's arrays have (``x.any()``, ``x.take``,
    ``x.cumsum``...): a Theano script calling them failed with AttributeError. Each against
    NumPy: values and dtypes."""
    import framework
    import framework.tensor as T

    x = T.dmatrix("x")
    v = np.array([[1.0, -2.0, 3.0], [0.0, 5.0, -6.0]])
    cases = [
        (x.any(), v.any()), (x.all(axis=1), v.all(axis=1)), (x.any(keepdims=True), v.any(keepdims=True)),
        (x.ptp(axis=0), np.ptp(v, axis=0)), (x.cumsum(axis=1), v.cumsum(axis=1)), (x.cumprod(), v.cumprod()),
        (x.repeat(2, axis=0), v.repeat(2, axis=0)), (x.take([2, 0], axis=1), v.take([2, 0], axis=1)),
        (x.take([5, -1]), v.take([5, -1])), (T.take(x, [3], axis=0, mode="wrap"), v.take([3], axis=0, mode="wrap")),
        (T.take(x, [-4, 9], axis=1, mode="clip"), v.take([-4, 9], axis=1, mode="clip")),
        ((x / 4).round(), (v / 4).round()), (x.ravel(), v.ravel()), (x.swapaxes(0, 1), v.swapaxes(0, 1)),
        (x.fill(7.0), np.full_like(v, 7.0)), (x[:, :2].trace(), v[:, :2].trace()),
        (x.diagonal(), v.diagonal()), (x.diagonal(1), v.diagonal(1)), (x.diagonal(-1, 1, 0), v.diagonal(-1, 1, 0)),
        (x.diagonal(9), v.diagonal(9)),
    ]
    got = framework.function([x], [c[0] for c in cases], mode=mode)(v)
    for (expr, want), g in zip(cases, got):
        assert np.asarray(g).dtype == np.asarray(want).dtype, expr
        np.testing.assert_array_equal(g, want)


def test_take_out_of_range_raises_when_run():
    import framework
    import framework.tensor as T

    x = T.dvector("x")
    f = framework.function([x], x.take([3]))
    with pytest.raises(IndexError):
        f(np.zeros(3))

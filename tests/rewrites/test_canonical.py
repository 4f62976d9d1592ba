"""Canonical forms: useless arithmetic, negations, casts, reshapes, dimshuffles, allocs."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import Mode, function

from .conftest import assert_same, compare, rand, sym, top_ops, without

NO_FUSION = ("fuse_elemwise", "inplace")


def ops(f):
    return top_ops(f)


@pytest.mark.parametrize("build", [
    lambda x: x * 1, lambda x: 1 * x, lambda x: x + 0, lambda x: 0.0 + x, lambda x: x - 0, lambda x: x / 1,
])
def test_identity_elements_disappear(build):
    """Exact identities go by default; float ``x + 0`` only in fast math (signed zeros)."""
    x = T.dmatrix("x")
    signed_zero = build(x).owner.op.scalar.name == "add"
    mode = Mode("fast_run", including=["fast_math"], excluding=NO_FUSION) if signed_zero else without(*NO_FUSION)
    f = function([x], build(x) * 2.0, mode=mode)
    assert ops(f) == ["mul"]
    compare([x], build(x) * 2.0, lambda: [rand((3, 4))], "add_float_zero" if signed_zero else "useless_arithmetic")


def test_identity_element_that_broadcasts_is_kept():
    """x * ones((3, 1)) broadcasts a row vector: the multiplication is not a no-op."""
    x = T.dvector("x")
    y = x * T.constant(np.ones((3, 1)))
    f = function([x], y, mode=without(*NO_FUSION))
    assert f(np.arange(2.0)).shape == (3, 2)


def test_int_plus_float_zero_keeps_the_float_dtype():
    x = T.ivector("x")
    f = function([x], x + 0.0)
    out = f(np.array([1, 2], dtype="int32"))
    assert out.dtype == np.float64
    assert "add" not in [s for s in top_ops(f)]


def test_zero_minus_x_is_negation():
    """Exact for integers; for floats ``0.0 - 0.0`` is ``+0.0`` but ``-0.0`` negated, so fast math."""
    x = T.dvector("x")
    fast = Mode("fast_run", including=["fast_math"], excluding=NO_FUSION)
    f = function([x], (0 - x) * 3.0, mode=fast)
    assert ops(f) == ["neg", "mul"]
    i = T.lvector("i")
    g = function([i], (0 - i) * 3, mode=without(*NO_FUSION))
    assert ops(g) == ["neg", "mul"]


def test_double_negation_disappears():
    x = T.dvector("x")
    f = function([x], -(-x) * 2.0, mode=without(*NO_FUSION))
    assert ops(f) == ["mul"]
    compare([x], -(-x) * 2.0, lambda: [rand((5,))], "double_negation")


def test_x_minus_x_is_zeros_only_in_fast_math():
    x = T.dmatrix("x")
    fast = Mode("fast_run", including=["fast_math"], excluding=NO_FUSION)
    f = function([x], (x - x) + x.sum(), mode=fast)
    assert "sub" not in ops(f) and "zeros_like" in ops(f)
    v = rand((2, 3))
    assert_same(f(v), function([x], (x - x) + x.sum(), mode="FAST_COMPILE")(v))


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_x_minus_x_keeps_nan_for_non_finite_x(mode):
    """inf - inf and nan - nan are nan: the default modes may not assume finite values."""
    x = T.dvector("x")
    with np.errstate(invalid="ignore"):
        got = function([x], x - x, mode=mode)(np.array([np.nan, np.inf, -np.inf, 2.0]))
    np.testing.assert_array_equal(got, [np.nan, np.nan, np.nan, 0.0])


@pytest.mark.parametrize("build,expect", [
    (lambda x, y: x + (-y), "sub"),
    (lambda x, y: (-x) + y, "sub"),
    (lambda x, y: x - (-y), "add"),
    (lambda x, y: -(x - y), "sub"),
    (lambda x, y: (-x) * (-y), "mul"),
])
def test_sums_of_negations_lose_their_negations(build, expect):
    """Exact forms go by default; float ``-(x - y)`` -> ``y - x`` only in fast math (the sign of a
    zero result: ``-(1.0 - 1.0)`` is ``-0.0``). Integers: all by default."""
    x, y = T.dvector("x"), T.dvector("y")
    signed_zero = build(x, y).owner.op.scalar.name == "neg"
    mode = Mode("fast_run", including=["fast_math"], excluding=NO_FUSION) if signed_zero else without(*NO_FUSION)
    f = function([x, y], build(x, y), mode=mode)
    assert "neg" not in ops(f) and expect in ops(f)
    compare([x, y], build(x, y), lambda: [rand((4,)), rand((4,))], "negated_sum" if signed_zero else "sum_of_negations")
    i, j = T.lvector("i"), T.lvector("j")
    g = function([i, j], build(i, j), mode=without(*NO_FUSION))
    assert "neg" not in ops(g) and expect in ops(g)
    compare([i, j], build(i, j), lambda: [rand((4,), "int64", -100, 100), rand((4,), "int64", -100, 100)],
            "sum_of_negations")


def test_negated_sum_of_negations():
    """``-x + -y`` -> ``-(x + y)``: integers by default, floats in fast math (signed zeros)."""
    x, y = T.dvector("x"), T.dvector("y")
    f = function([x, y], (-x) + (-y), mode=Mode("fast_run", including=["fast_math"], excluding=NO_FUSION))
    assert ops(f).count("neg") == 1
    i, j = T.lvector("i"), T.lvector("j")
    g = function([i, j], (-i) + (-j), mode=without(*NO_FUSION))
    assert ops(g).count("neg") == 1


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_negations_keep_the_sign_of_zero(mode):
    """``-(x - y)`` at ``x == y`` is ``-0.0`` and ``-x + -y`` at ``x = -y`` is ``+0.0``, as NumPy
    (found by tests/fuzz/test_numpy_semantics.py: FAST_RUN gave the other zero)."""
    x, y = T.dvector("x"), T.dvector("y")
    f = function([x, y], [-(x - y), (-x) + (-y)], mode=mode)
    xv, yv = np.array([1.0, 0.0, 2.0]), np.array([1.0, -0.0, -2.0])
    got = f(xv, yv)
    for g, want in zip(got, [-(xv - yv), (-xv) + (-yv)]):
        np.testing.assert_array_equal(np.signbit(g), np.signbit(want))
        np.testing.assert_array_equal(g, want)


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_negation_of_a_narrower_integer_is_not_moved(mode):
    """``int8 + -uint8`` negates in uint8 (``-1`` wraps to 255) before promoting to int16, so it is
    not ``int8 - uint8``; the same for ``-a * -b`` and ``a - -b`` with a narrower negated operand
    (found by tests/fuzz/test_numpy_semantics.py: FAST_RUN gave -1 where NumPy gives 255)."""
    a, b = T.bvector("a"), T.tensor("uint8", (None,), "b")
    f = function([a, b], [a + -b, (-a) * (-b), (-b) + a, a - (-a), T.cast(a, "int16") - -a], mode=mode)
    av, bv = np.array([0, 3, -128], dtype="int8"), np.array([1, 2, 0], dtype="uint8")
    with np.errstate(over="ignore"):
        want = [av + -bv, (-av) * (-bv), (-bv) + av, av - (-av), av.astype("int16") - -av]
    for g, w in zip(f(av, bv), want):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


def test_cast_to_same_dtype_and_cast_chains():
    x = T.ivector("x")
    y = T.cast(T.cast(x, "int64"), "float64")  # int32 -> int64 -> float64 == int32 -> float64
    f = function([x], y, mode=without(*NO_FUSION))
    assert ops(f) == ["cast_float64"]
    compare([x], y, lambda: [rand((6,), "int32", -100, 100)], "useless_cast")
    # a narrowing inner cast is kept: it changes values
    z = T.cast(T.cast(T.dvector("d"), "int8"), "float64")
    g = function(list(z.owner.inputs[0].owner.inputs), z, mode=without(*NO_FUSION))
    assert ops(g) == ["cast_int8", "cast_float64"]


def test_identity_is_removed_but_outputs_stay_copies():
    x = T.dvector("x")
    f = function([x], T.identity(x))
    assert ops(f) == []
    a = np.arange(3.0)
    out = f(a)
    assert not np.shares_memory(out, a)


def test_reshape_chains_collapse():
    x = T.dmatrix("x")
    y = x.reshape((6,)).reshape((3, 2)).reshape((2, 3))
    f = function([x], y * 2.0, mode=without(*NO_FUSION))
    assert ops(f).count("reshape") == 1
    compare([x], y * 2.0, lambda: [rand((2, 3))], "reshape_chain")


def test_reshape_to_own_static_shape_disappears():
    x = sym((2, 3), static=True)
    f = function([x], x.reshape((2, 3)) + 1.0, mode=without(*NO_FUSION))
    assert "reshape" not in ops(f)


def test_dimshuffle_chains_collapse_and_double_transpose_disappears():
    x = T.tensor3("x")
    y = x.dimshuffle(2, 0, 1).dimshuffle(0, "x", 2, 1)
    f = function([x], y * 1.5, mode=without(*NO_FUSION))
    assert ops(f).count("dimshuffle") == 1
    compare([x], y * 1.5, lambda: [rand((2, 3, 4))], "dimshuffle_chain")
    m = T.dmatrix("m")
    g = function([m], m.T.T * 2.0, mode=without(*NO_FUSION))
    assert ops(g) == ["mul"]


def test_alloc_of_known_shape_and_fill_disappear():
    x = sym((2, 3), static=True)
    f = function([x], T.alloc(x, 2, 3) * 2.0, mode=without(*NO_FUSION))
    assert "alloc" not in ops(f)
    y = T.dmatrix("y")
    g = function([y], T.fill(y, y * 2.0) + 1.0, mode=without(*NO_FUSION))
    assert "second" not in ops(g)
    compare([y], T.fill(y, y * 2.0) + 1.0, lambda: [rand((3, 2))], "useless_alloc")


def test_elemwise_reads_value_instead_of_its_fill():
    """Gradients build fill(cost, 1) * ...: the fill is dropped when its model is also read."""
    x = T.dmatrix("x")
    y = T.fill(x, 3.0) * x
    f = function([x], y, mode=without(*NO_FUSION))
    assert "second" not in ops(f)
    compare([x], y, lambda: [rand((2, 4))], "elemwise_of_alloc")


def test_canonical_forms_keep_values_across_shapes():
    for shape in [(1,), (5,), (3, 1), (2, 3, 4)]:
        x, y = T.tensor("float64", (None,) * len(shape)), T.tensor("float64", (None,) * len(shape))
        outs = [(x * 1 + 0) - (-y), -(x - y) * (-(-x)), (x - x) + y / 1, 0 - x]
        f = compare([x, y], outs, lambda: [rand(shape), rand(shape)], "canonicalize")
        assert f  # compiled


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8"])
def test_zero_minus_x_compiles_and_keeps_values_for_small_dtypes(dtype):
    """``0 - b`` for bool b is an int64 negation (bool has no ``neg``); an int64 0
    minus int8 -128 is 128, not the -128 that negating in int8 gives."""
    b = T.tensor(dtype, (None,))
    vals = {"bool": np.array([True, False]), "int8": np.array([-128, 5], "int8"),
            "uint8": np.array([0, 7], "uint8")}[dtype]
    for zero in (0, np.int64(0)):
        y = T.constant(zero) - b if isinstance(zero, np.integer) else zero - b
        got = function([b], y)(vals)
        ref = function([b], y, mode="FAST_COMPILE")(vals)
        assert_same(got, ref)


def test_adding_a_zero_keeps_signed_zeros():
    """``x + 0`` and ``0 - x`` are not ``x`` and ``-x`` at ``x = ±0.0`` (NumPy gives ``+0.0``);
    FAST_RUN must agree with FAST_COMPILE bit for bit, ``1 / result`` shows the sign."""
    import numpy as np
    import framework
    import framework.tensor as T

    x = T.dvector("x")
    outs = [1 / (x + 0), 1 / (0 - x), 1 / (x - 0), 1 / (x + -0.0)]
    xv = np.array([-0.0, 0.0, 2.0])
    with np.errstate(divide="ignore"):
        fast = framework.function([x], outs, mode="FAST_RUN")(xv)
        ref = framework.function([x], outs, mode="FAST_COMPILE")(xv)
        want = [1 / (xv + 0), 1 / (0 - xv), 1 / (xv - 0), 1 / (xv + -0.0)]
    for a, b, w in zip(fast, ref, want):
        np.testing.assert_array_equal(a, w)
        np.testing.assert_array_equal(b, w)


def test_adding_an_integer_zero_is_still_removed():
    import framework
    import framework.tensor as T

    x = T.lvector("x")
    f = framework.function([x], x + 0, mode="FAST_RUN")
    assert not any(getattr(n.op, "scalar", None) is not None and n.op.scalar.name == "add"
                   for n in f.maker.fgraph.toposort())


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_fill_read_for_its_shape_keeps_the_checks_of_what_it_no_longer_computes(mode):
    """fill(m, v) -> v drops m's computation when m cannot enlarge v: a dot of mismatched vectors
    (0-d) must still raise, in FAST_RUN as in FAST_COMPILE, and the fill still equal v otherwise."""
    a, b = T.dvectors("a", "b")
    x = T.dscalar("x")
    for out in (T.fill(T.dot(a, b), x), T.second(T.dot(a, b), x)):
        f = function([a, b, x], out, mode=mode)
        assert f(np.ones(3), np.ones(3), 2.0) == 2.0
        with pytest.raises(ValueError):
            f(np.ones(2), np.ones(3), 2.0)


def test_a_weak_constant_never_replaces_a_typed_value():
    """``fill(s, 2.5)`` (0-d float32 ``s``) is a float64 tensor; ``fill(m, v) -> v`` once put the
    weak Python 2.5 in its place, so ``x * fill(s, 2.5)`` (float32 ``x``) gave float32 values
    under its float64 type in FAST_RUN, float64 in FAST_COMPILE (found by the CuPy codegen
    fuzzer). A weak constant now replaces only as a constant of the replaced variable's dtype."""
    x = T.fvector("x")
    s = T.fscalar("s")
    out = x * T.fill(s, 2.5)
    assert out.type.dtype == "float64"
    args = (np.float32(1), np.ones(2, "float32"))
    got = function([s, x], out)(*args)
    want = function([s, x], out, mode="FAST_COMPILE")(*args)
    assert got.dtype == want.dtype == np.float64
    np.testing.assert_array_equal(got, want)

"""Boolean masks in ``x[...]`` and the ``nonzero`` family, against NumPy.

Random shapes (empty axes too), masks (all-False ones too) and indices that put a mask among
slices, ints, ``None``, ``...`` and integer arrays, with the mask constant or symbolic and the
tensor's sizes static or not; ``x[mask].shape`` read symbolically; masks of the wrong shape
raise NumPy's IndexError in every mode (also when only the result's shape is compiled);
``set_subtensor``/``inc_subtensor`` through masks with broadcast values, and their gradients
against central finite differences and between the modes.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import framework
import framework.gradient
import framework.tensor as T
from framework import function, grad
from framework.core.nonzero import Nonzero
from framework.core.types import TensorType

MODES = ("FAST_RUN", "FAST_COMPILE")
SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def _same(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, want.shape, got.dtype, want.dtype)
    np.testing.assert_array_equal(got, want)


@st.composite
def masked_indices(draw):
    """(x's value, the index as NumPy takes it, which mask positions are symbolic)."""
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(0, 3)) for _ in range(ndim))
    x = np.arange(int(np.prod(shape)), dtype="float64").reshape(shape) - 2.0
    k = draw(st.integers(1, ndim))
    start = draw(st.integers(0, ndim - k))
    items: list = []
    for axis in range(ndim):
        if axis == start:
            fill = draw(st.sampled_from(["random", "none", "all"]))
            mshape = shape[axis:axis + k]
            mask = {"none": np.zeros(mshape, bool), "all": np.ones(mshape, bool)}.get(
                fill, np.array(draw(st.lists(st.booleans(), min_size=int(np.prod(mshape)),
                                             max_size=int(np.prod(mshape)))), bool).reshape(mshape))
            items.append(mask)
        if start <= axis < start + k:
            continue
        n = shape[axis]
        choices = ["slice", "full"] + (["int", "array"] if n else [])
        kind = draw(st.sampled_from(choices))
        if kind == "slice":
            items.append(slice(draw(st.sampled_from([None, 0, 1, -1])), draw(st.sampled_from([None, 2, -1])),
                               draw(st.sampled_from([None, 1, -1, 2]))))
        elif kind == "full":
            items.append(slice(None))
        elif kind == "int":
            items.append(draw(st.integers(-n, n - 1)))
        else:
            items.append(np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=1))))
    for _ in range(draw(st.integers(0, 2))):  # new axes anywhere
        items.insert(draw(st.integers(0, len(items))), None)
    if draw(st.booleans()):  # a run of full slices at the end becomes an ellipsis
        while items and isinstance(items[-1], slice) and items[-1] == slice(None):
            items.pop()
        items.append(Ellipsis)
    return x, tuple(items), draw(st.booleans()), draw(st.booleans())


@settings(max_examples=120, **SETTINGS)
@given(masked_indices())
def test_masked_reads_match_numpy(case):
    xv, idx, symbolic_mask, static_x = case
    try:
        want = xv[idx]
    except IndexError:  # NumPy refuses the combination (advanced indices that do not broadcast)
        want = None
    x = TensorType("float64", xv.shape if static_x else (None,) * xv.ndim)("x")
    feeds, values, sym_idx = [x], [xv], []
    for item in idx:
        if isinstance(item, np.ndarray) and item.dtype == bool and symbolic_mask:
            m = TensorType("bool", (None,) * item.ndim)("m")
            feeds.append(m)
            values.append(item)
            sym_idx.append(m)
        else:
            sym_idx.append(item)
    try:
        y = x[tuple(sym_idx)]
    except IndexError:
        assert want is None  # refused while building: only where NumPy refuses
        return
    for mode in MODES:
        try:
            got, shape = function(feeds, [y, y.shape], mode=mode)(*values)
        except IndexError:
            assert want is None, mode
            continue
        assert want is not None, (mode, got)
        _same(got, want)
        _same(shape, np.array(want.shape, dtype="int64"))


def test_all_false_masks_give_empty_results():
    x = T.dmatrix("x")
    xv = np.arange(6.0).reshape(2, 3)
    f = function([x], [x[x > 100], x[:, np.zeros(3, bool)], x[np.zeros(2, bool), 1], (x[x > 100] * 2).sum()])
    a, b, c, s = f(xv)
    _same(a, np.zeros((0,)))
    _same(b, np.zeros((2, 0)))
    _same(c, np.zeros((0,)))
    assert s == 0


@pytest.mark.parametrize("idx", [
    lambda m, r: (m,),
    lambda m, r: (m, 0),
    lambda m, r: (m, slice(1, None)),
    lambda m, r: (None, m, None),
    lambda m, r: (Ellipsis, r),
    lambda m, r: (slice(None), r, None),
    lambda m, r: (np.array([1, 0]), r),
    lambda m, r: (m, np.array([0, 3])),
], ids=["alone", "int", "slice", "newaxes", "ellipsis", "second-axis", "with-array", "array-after"])
def test_masks_among_other_indices(idx):
    xv = np.arange(12.0).reshape(3, 4)
    mv, rv = np.array([True, False, True]), np.array([False, True, True, False])
    x, m, r = T.dmatrix("x"), TensorType("bool", (None,))("m"), TensorType("bool", (None,))("r")
    want = xv[idx(mv, rv)]
    for mode in MODES:
        got = function([x, m, r], x[idx(m, r)], mode=mode, on_unused_input="ignore")(xv, mv, rv)
        _same(got, want)
        _same(function([x], x[idx(mv, rv)], mode=mode)(xv), want)  # the same with constant masks


def test_a_two_d_mask_of_a_three_d_tensor():
    xv = np.arange(24.0).reshape(2, 3, 4)
    mv = xv[:, :, 0] % 3 == 0
    x, m = T.dtensor3("x"), TensorType("bool", (None, None))("m")
    for mode in MODES:
        _same(function([x, m], x[m], mode=mode)(xv, mv), xv[mv])
        _same(function([x], x[:, x[0] > 4], mode=mode)(xv), xv[:, xv[0] > 4])


def test_the_result_shape_is_symbolic_and_counts_the_true_entries():
    x = T.dvector("x")
    y = x[x > 0]
    assert y.type.shape == (None,)
    f = function([x], y.shape[0])
    assert f(np.array([1.0, -1.0, 2.0, np.nan])) == 2  # nan > 0 is False
    assert f(np.zeros(0)) == 0


@pytest.mark.parametrize("mode", MODES + ("DEBUG",))
@pytest.mark.parametrize("mask", [[True, False], [True, False, True, True], [True, True]],
                         ids=["short", "long", "short-all-true"])
def test_a_mask_of_the_wrong_length_raises_like_numpy(mode, mask):
    x, m = T.dvector("x"), TensorType("bool", (None,))("m")
    xv, mv = np.arange(3.0) + 1, np.array(mask)
    with pytest.raises(IndexError):
        xv[mv]
    # (all True and too short: picking the first entries would be a silently wrong result)
    outs = {"read": x[m], "shape": x[m].shape, "sum": x[m].sum(), "set": T.set_subtensor(x[m], 0.0),
            "inc": T.inc_subtensor(x[m], 1.0), "grad": grad(x[m].sum(), x)}
    for name, out in outs.items():
        f = function([x, m], out, mode=mode)
        with pytest.raises(IndexError, match=f"axis has size 3 but the mask's axis 0 has size {len(mv)}") as info:
            f(xv, mv)
        assert "test_bool_mask.py" in str(info.value), name  # the user's line


def test_a_constant_mask_of_the_wrong_shape_is_an_index_error_when_the_sizes_are_known():
    x = TensorType("float64", (3, 4))("x")
    with pytest.raises(IndexError, match="size 4 but the mask's axis 0 has size 3"):
        x[:, np.array([True, False, True])]
    with pytest.raises(IndexError, match="size 3 but the mask's axis 0 has size 2"):
        x[TensorType("bool", (2, 4))("m")]
    with pytest.raises(IndexError, match="too many indices"):
        x[np.ones((3, 4, 1), bool)]


def test_a_constant_mask_on_unknown_sizes_is_checked_when_run():
    x = T.dmatrix("x")
    f = function([x], x[np.array([True, False])])
    _same(f(np.ones((2, 2))), np.ones((1, 2)))
    with pytest.raises(IndexError, match="boolean index did not match"):
        f(np.ones((3, 2)))


def test_integer_arrays_stay_positions():
    x = T.dvector("x")
    xv = np.arange(4.0)
    _same(function([x], x[np.array([1, 0, 1], dtype="int8")])(xv), xv[[1, 0, 1]])
    _same(function([x], x[[0, False]])(xv), xv[[0, False]])  # NumPy: a mixed list is integers


@pytest.mark.parametrize("yshape", [(), (1,), (4,), (2, 1)], ids=["scalar", "one", "row", "column"])
def test_set_and_inc_through_a_mask_broadcast_the_value(yshape):
    xv = np.arange(12.0).reshape(3, 4)
    mv = np.array([True, False, True])
    yv = np.arange(np.prod(yshape), dtype="float64").reshape(yshape) + 100
    x, m, y = T.dmatrix("x"), TensorType("bool", (None,))("m"), TensorType("float64", (None,) * len(yshape))("y")
    want_set, want_inc = xv.copy(), xv.copy()
    want_set[mv] = yv
    want_inc[mv] += yv
    for mode in MODES:
        got = function([x, m, y], [T.set_subtensor(x[m], y), T.inc_subtensor(x[m], y)], mode=mode)(xv, mv, yv)
        _same(got[0], want_set)
        _same(got[1], want_inc)


@pytest.mark.parametrize("kind", ["read", "set", "inc"])
def test_gradients_through_a_mask_match_finite_differences_in_both_modes(kind):
    """The mask is ``x > 0``, made from ``x`` itself (the finite differences' steps never flip it);
    ``verify_grad`` compares with central differences of the compiled function, whose values the
    tests above compare with NumPy."""
    rng = np.random.RandomState(3)
    xv, yv = rng.randn(3, 4), rng.randn(4)

    def fn(x, y):
        m = x > 0
        region = T.broadcast_like(y, x)[m]
        out = {"read": lambda: x[m], "set": lambda: T.set_subtensor(x[m], region),
               "inc": lambda: T.inc_subtensor(x[m], region)}[kind]()
        return T.sin(out) ** 2

    for mode in MODES:
        framework.gradient.verify_grad(fn, [xv, yv], rng=np.random.RandomState(0), mode=mode)
    x, y = T.dmatrix("x"), T.dvector("y")
    gs = grad(fn(x, y).sum(), [x, y], disconnected_inputs="ignore")
    got = [function([x, y], gs, mode=mode, on_unused_input="ignore")(xv, yv) for mode in MODES]
    for a, b in zip(*got):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    want_gx = {"read": np.where(xv > 0, np.sin(2 * xv), 0.0), "set": np.where(xv > 0, 0.0, np.sin(2 * xv)),
               "inc": np.sin(2 * (xv + np.where(xv > 0, yv, 0.0)))}[kind]
    np.testing.assert_allclose(got[0][0], want_gx, rtol=1e-12)  # d sin(u)^2 / du = sin(2u)


def test_a_mask_inside_scan():
    x = T.dmatrix("x")
    sums, _ = framework.scan(lambda row: row[row > 0].sum(), sequences=[x])
    xv = np.array([[1.0, -1.0, 2.0], [-3.0, -4.0, 0.5]])
    _same(function([x], sums)(xv), np.array([3.0, 0.5]))


# --- the nonzero family -------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 0, 3), (2, 3, 2)])
def test_nonzero_flatnonzero_and_nonzero_values_match_numpy(shape):
    rng = np.random.RandomState(len(shape))
    av = rng.randint(-1, 2, size=shape).astype("float64")
    if av.size:
        av.flat[0] = np.nan  # NaN is non-zero, as in NumPy
    a = TensorType("float64", (None,) * len(shape))("a")
    for mode in MODES:
        outs = function([a], list(T.nonzero(a)) + [T.flatnonzero(a), T.nonzero_values(a)]
                        + list(a.nonzero()), mode=mode)(av)
        want = list(np.nonzero(av)) + [np.flatnonzero(av), av[np.nonzero(av)]] + list(av.nonzero())
        for got, exp in zip(outs, want):
            np.testing.assert_array_equal(got, exp)
            assert got.shape == exp.shape and got.dtype == exp.dtype


def test_nonzero_of_a_0d_tensor_is_a_value_error_but_flatnonzero_takes_it():
    s = T.dscalar("s")
    with pytest.raises(ValueError, match="0-d"):
        T.nonzero(s)
    f = function([s], [T.flatnonzero(s), T.nonzero_values(s)])
    for v in (0.0, 2.5):
        got = f(v)
        _same(got[0], np.flatnonzero(np.float64(v)))
        _same(got[1], np.float64(v)[np.newaxis][np.flatnonzero(np.float64(v))])


def test_nonzero_return_matrix_stacks_the_positions():
    a = T.lmatrix("a")
    av = np.array([[0, 3], [4, 0]])
    _same(function([a], T.nonzero(a, return_matrix=True))(av), np.vstack(np.nonzero(av)))


def test_the_length_of_nonzero_is_read_without_running_it():
    """The shape rule counts the non-zero entries, so a graph that needs only the length
    computes ``sum(a != 0)`` and drops the nonzero node (which checks nothing)."""
    a = T.dmatrix("a")
    f = function([a], T.nonzero(a)[1].shape[0])
    assert not any(isinstance(n.op, Nonzero) for n in f.maker.fgraph.toposort())
    assert f(np.array([[0.0, 1.0], [np.nan, 0.0]])) == 2


def test_a_mask_check_is_never_dropped_for_a_shape():
    """The mask's node checks sizes the shape rewrites cannot keep: it stays, whatever is read."""
    x, m = T.dvector("x"), TensorType("bool", (None,))("m")
    f = function([x, m], x[m].shape[0])
    assert any(isinstance(n.op, Nonzero) for n in f.maker.fgraph.toposort())


def test_nonzero_gives_no_gradient_but_nonzero_values_does():
    a = T.dvector("a")
    av = np.array([0.0, 2.0, -1.0])
    g = grad(T.nonzero_values(a).sum() * 3, a)
    _same(function([a], g)(av), np.array([0.0, 3.0, 3.0]))
    positions = grad(T.cast(T.nonzero(a)[0], "float64").sum(), a)  # integer results: zero, as argsort's
    _same(function([a], positions)(av), np.zeros(3))


@pytest.mark.parametrize("shape, mshape", [((2, 4), (0,)), ((3, 1), (3, 0)), ((2, 3), (0, 3)), ((1,), (0,))])
def test_a_mask_axis_of_size_zero_fits_any_axis_as_in_numpy(shape, mshape):
    xv, mv = np.ones(shape), np.zeros(mshape, bool)
    x, m = TensorType("float64", (None,) * len(shape))("x"), TensorType("bool", (None,) * len(mshape))("m")
    for mode in MODES:
        _same(function([x, m], x[m], mode=mode)(xv, mv), xv[mv])
        _same(function([x], x[mv], mode=mode)(xv), xv[mv])
    with pytest.raises(IndexError):  # but a non-empty axis must match
        function([x, m], x[m])(xv, np.zeros((5,) + mshape[1:] if len(mshape) > 1 else (5,), bool))


def test_scan_reads_the_length_of_nonzero_from_its_shape_rule():
    """A loop of no step still gives its output's per-step shape: scan's shape walk computes the
    count of non-zero entries of the non-sequence from the op's rule, without running the body."""
    w, n = T.dvector("w"), T.lscalar("n")
    out, _ = framework.scan(lambda v: T.nonzero(v)[0] * 2, non_sequences=[w], n_steps=n)
    f = function([w, n], [out, out.shape])
    wv = np.array([0.0, 1.0, 2.0, 0.0])
    for steps in (3, 0):
        got, shape = f(wv, steps)
        _same(got, np.tile(np.nonzero(wv)[0] * 2, (steps, 1)))
        _same(shape, np.array([steps, 2]))

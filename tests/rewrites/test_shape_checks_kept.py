"""Shapes read without running a node fail where running it fails (found by
``tests/fuzz/test_shape_of.py``, fourteenth session): each case returned a shape -- or, for the
reshape chain, a value -- in FAST_RUN where FAST_COMPILE raised."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function

MODES = ["FAST_RUN", "FAST_COMPILE"]


def _raises(f, args, kind):
    with pytest.raises(kind) as info:
        f(*args)
    return str(info.value)


@pytest.mark.parametrize("mode", MODES)
def test_alloc_of_a_negative_size(mode):
    i = T.lscalar("i")
    f = function([i], T.alloc(np.float64(0.5), i, 3).shape, mode=mode)
    assert list(f(2)) == [2, 3]
    msg = _raises(f, [-2], ValueError)
    assert "alloc" in msg and ("-2" in msg or mode == "FAST_COMPILE")  # FAST_COMPILE: NumPy's own message


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reduce", [lambda x: T.max(x, axis=0, keepdims=True), lambda x: T.argmax(x, axis=1),
                                    lambda x: T.min(x), lambda x: T.argmin(x, axis=0)])
def test_reductions_without_identity_over_an_empty_axis(mode, reduce):
    x = T.dmatrix("x")
    f = function([x], reduce(x).shape, mode=mode)
    want = function([x], reduce(x), mode="FAST_COMPILE")(np.ones((2, 3))).shape
    assert tuple(f(np.ones((2, 3)))) == want
    _raises(f, [np.ones((0, 0))], ValueError)


@pytest.mark.parametrize("mode", MODES)
def test_sum_over_an_empty_axis_still_has_a_shape(mode):
    x = T.dmatrix("x")
    f = function([x], x.sum(axis=0).shape, mode=mode)
    assert list(f(np.ones((0, 3)))) == [3]


@pytest.mark.parametrize("mode", MODES)
def test_out_of_range_index_under_a_static_shape(mode):
    """``x[i][None]`` has the static shape (1,): its size 1 was a constant, and the index was lost."""
    x, i = T.dvector("x"), T.lscalar("i")
    f = function([x, i], x[i][None].shape[0], mode=mode)
    assert int(f(np.ones(3), -3)) == 1
    msg = _raises(f, [np.ones(3), 3], IndexError)
    assert "3" in msg
    g = function([x], x[-2][None].shape, mode=mode)
    _raises(g, [np.ones(1)], IndexError)


@pytest.mark.parametrize("mode", MODES)
def test_reshape_chain_keeps_the_inner_reshapes_error(mode):
    x = T.dvector("x")
    f = function([x], x.reshape((3, -1)).reshape((-1,)), mode=mode)
    assert f(np.ones(6)).shape == (6,)
    _raises(f, [np.ones(1)], ValueError)


def test_reshape_chain_still_collapses_where_no_error_is_lost():
    x = T.dvector("x")
    for y in (x.reshape((6,)).reshape((3, 2)), x.reshape((2, -1)).reshape((4, -1)), x.reshape((2, -1)).reshape((2, 4))):
        f = function([x], y)
        assert [n.op.name for n in f.maker.fgraph.toposort()].count("reshape") == 1
        ref = function([x], y, mode="FAST_COMPILE")
        for n in (1, 6, 8, 12):
            try:
                want = ref(np.arange(float(n)))
            except ValueError:
                with pytest.raises(ValueError):
                    f(np.arange(float(n)))
            else:
                np.testing.assert_array_equal(f(np.arange(float(n))), want)


@pytest.mark.parametrize("mode", MODES)
def test_scan_shape_checks_its_sequence_length(mode):
    """A loop of 20 steps over a sequence: its output's shape is read without running it, and a
    sequence shorter than 20 still fails (it returned 20 before)."""
    from framework import scan

    x = T.dvector("x")
    outs, _ = scan(lambda v, acc: (v + 1, acc + v), sequences=x, outputs_info=[None, x[0]], n_steps=20)
    f = function([x], [outs[0].shape[0], outs[1].shape[0]], mode=mode)
    assert [int(v) for v in f(np.ones(30))] == [20, 20]
    _raises(f, [np.ones(5)], ValueError)
    _raises(f, [np.ones(0)], IndexError)


def _two_tap_loop():
    from framework import scan

    i0, i1 = T.dmatrix("i0"), T.dmatrix("i1")

    def step(a3, a1, b2, b1):  # the second output's width follows the first's (broadcast)
        return [T.tanh(a3 + a1), T.tanh(b2 * b1 + a1)]

    res, _ = scan(step, outputs_info=[dict(initial=i0, taps=[-3, -1]), dict(initial=i1, taps=[-2, -1])], n_steps=1)
    return [i0, i1], res


@pytest.mark.parametrize("mode", MODES)
def test_inlined_one_step_loop_checks_every_carry(mode):
    """A loop of one step is inlined in FAST_RUN; a carry nobody reads (the shift register of a
    multi-tap output) must still keep its initial shape, as the loop checks it."""
    ins, res = _two_tap_loop()
    f = function(ins, res, mode=mode)
    ok = f(np.ones((3, 2)), np.ones((2, 2)))
    assert [r.shape for r in ok] == [(1, 2), (1, 2)]
    _raises(f, [np.ones((3, 2)), np.ones((2, 1))], ValueError)  # returned (1, 2) in FAST_RUN before
    g = function(ins, [r.shape for r in res], mode=mode)
    _raises(g, [np.ones((3, 2)), np.ones((2, 1))], ValueError)


def test_a_shape_read_past_a_check_keeps_it():
    """``check_shapes`` declares its own constraints: reading the shape of its value does not drop it."""
    from framework.core.shape_infer import CheckShapes

    x, y = T.dvector("x"), T.dvector("y")
    checked = CheckShapes("mine", None, (("equal", (0, 0), (1, 0)),))(x * 2, x, y)
    f = function([x, y], checked.shape)
    assert list(f(np.ones(3), np.ones(3))) == [3]
    _raises(f, [np.ones(3), np.ones(4)], ValueError)


def test_signature_sees_through_a_shape_entry():
    from framework.core.shape_sig import dim_key, shape_signature

    x = T.dmatrix("x")
    assert dim_key(x.shape[1]) == shape_signature(x)[1]
    assert dim_key(x.shape[-2]) == shape_signature(x)[0]

"""A loop that runs no step returns stacked outputs of the shape its body would give each step,
read from the body's graph with its ops' shape rules, the body never run; its gradient is zeros
of its inputs' shapes; and ``Scan.infer_shape`` lets ``r.shape`` be read without running the loop,
keeping the checks the loop would have made (found by a fuzzer: sizes the body's types do not
give were 0, and the gradient of such a loop failed in ``set_subtensor``)."""
from __future__ import annotations

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import function, shared
from framework.core.errors import ShapeError
from framework.core.scan import InnerGraph, Scan
from framework.random import RandomStreams
from framework.scan_module import scan, until

from test_scan_carries import numeric_grad, scan_nodes  # pytest puts tests/scan (no __init__.py) on sys.path

MODES = ["FAST_RUN", "FAST_COMPILE"]


def both_modes(ins, outs, *values, **kw):
    """The results in FAST_RUN and FAST_COMPILE, checked equal (shapes and values)."""
    got = []
    for mode in MODES:
        r = function(ins, outs, mode=mode, on_unused_input="ignore", **kw)(*values)
        got.append(r if isinstance(r, list) else [r])
    for a, b in zip(*got):
        assert np.shape(a) == np.shape(b)
        np.testing.assert_allclose(a, b, rtol=1e-12)
    return got[0] if isinstance(outs, list) else got[0][0]


# --- the results of a loop that runs no step ------------------------------------------------------

def test_the_fuzzers_cases():
    x0, n, s = T.dmatrix("x0"), T.lscalar("n"), T.dmatrix("s")
    r, _ = scan(lambda a, b: T.tanh(a + b), outputs_info=[dict(initial=x0, taps=[-2, -1])], n_steps=n)
    assert both_modes([x0, n], r, np.ones((2, 3)), 0).shape == (0, 3)
    r, _ = scan(lambda row: row * 2, sequences=[s])
    assert both_modes([s], r, np.ones((0, 3))).shape == (0, 3)
    assert both_modes([s], r.sum(axis=0), np.ones((0, 3))).shape == (3,)
    g = both_modes([s], T.grad((r ** 2).sum(), s), np.ones((0, 3)))
    np.testing.assert_array_equal(g, np.zeros((0, 3)))


@pytest.mark.parametrize("shape", [(0,), (0, 3), (0, 2, 4)])
def test_sequences_of_no_rows(shape):
    s = T.TensorType("float64", (None,) * len(shape))("s")
    w = T.dscalar("w")
    (doubled, total, outer), _ = scan(lambda row, acc, w: [row * w, acc + row.sum(), T.shape_padleft(row) * 2],
                                      sequences=[s], outputs_info=[None, np.float64(0), None], non_sequences=[w])
    a, b, c = both_modes([s, w], [doubled, total, outer], np.ones(shape), 2.0)
    assert a.shape == shape and b.shape == (0,) and c.shape == (0, 1) + shape[1:]


@pytest.mark.parametrize("taps", [[-1], [-2, -1], [-3, -1]])
@pytest.mark.parametrize("symbolic", [True, False])
def test_fed_back_outputs_of_any_taps(taps, symbolic):
    x0, n = T.dmatrix("x0"), T.lscalar("n")
    init = x0[-1] if taps == [-1] else dict(initial=x0, taps=taps)
    r, _ = scan(lambda *past: T.tanh(sum(past)), outputs_info=[init], n_steps=n if symbolic else 0)
    ins, values = ([x0, n], [np.ones((3, 4)), 0]) if symbolic else ([x0], [np.ones((3, 4))])
    assert both_modes(ins, r, *values).shape == (0, 4)


def test_outputs_not_fed_back_and_kept_steps():
    h0, n = T.dvector("h0"), T.lscalar("n")
    (h, side, mat), _ = scan(lambda h: [h + 1, h * 2, T.shape_padright(h) * T.shape_padleft(h)],
                             outputs_info=[h0, None, None], n_steps=n)
    outs = [h, side, mat, side[-1:], mat[-2:], h.sum(axis=0), mat.sum(axis=0)]
    got = both_modes([h0, n], outs, np.ones(4), 0)
    assert [g.shape for g in got] == [(0, 4), (0, 4), (0, 4, 4), (0, 4), (0, 4, 4), (4,), (4, 4)]
    np.testing.assert_array_equal(got[-1], np.zeros((4, 4)))


def test_a_non_sequence_matrix_product():
    X, W = T.dmatrix("X"), T.dmatrix("W")
    r, _ = scan(lambda x, w: T.dot(x, w), sequences=[X], non_sequences=[W])
    for rows in (0, 2):
        got = both_modes([X, W], [r, r.sum(axis=0)], np.ones((rows, 3)), np.ones((3, 5)))
        assert got[0].shape == (rows, 5) and got[1].shape == (5,)


def test_a_size_read_from_a_non_sequence_value():
    X, k = T.dmatrix("X"), T.lscalar("k")
    r, _ = scan(lambda x, k: T.zeros((k,)) + x.sum(), sequences=[X], non_sequences=[k])
    assert both_modes([X, k], r, np.ones((0, 3)), 7).shape == (0, 7)
    assert both_modes([X, k], r, np.ones((2, 3)), 7).shape == (2, 7)


def test_until_with_no_step():
    X, W = T.dmatrix("X"), T.dmatrix("W")
    r, _ = scan(lambda x: (T.dot(x, W), until(x.sum() > 10)), sequences=[X])
    assert both_modes([X, W], r, np.ones((0, 3)), np.ones((3, 5))).shape == (0, 5)
    assert both_modes([X, W], r, np.arange(12.0).reshape(4, 3), np.ones((3, 5))).shape == (2, 5)  # stops at step 1


def test_a_size_the_body_computes_from_its_data_is_0_as_documented():
    X = T.dmatrix("X")
    r, _ = scan(lambda x: T.arange(T.cast(x.sum(), "int64")), sequences=[X])
    assert both_modes([X], r, np.ones((0, 3))).shape == (0, 0)  # the body would have to run
    np.testing.assert_array_equal(both_modes([X], r, np.ones((2, 3))), [[0, 1, 2]] * 2)


def test_nested_scans():
    Z, W = T.dtensor3("Z"), T.dmatrix("W")
    r, _ = scan(lambda m: scan(lambda a: T.dot(a, W), sequences=[m])[0], sequences=[Z])
    assert both_modes([Z, W], r, np.ones((0, 2, 3)), np.ones((3, 5))).shape == (0, 2, 5)
    assert both_modes([Z, W], r, np.ones((2, 0, 3)), np.ones((3, 5))).shape == (2, 0, 5)


def draws_and_means(mode):
    X = T.dmatrix("X")
    srng = RandomStreams(7)
    (draws, means), upd = scan(lambda x: [srng.uniform(size=x.shape), T.tanh(x)], sequences=[X])
    return function([X], [draws, means], updates=upd, mode=mode)


@pytest.mark.parametrize("mode", MODES)
def test_draws_in_the_body_are_not_made_and_have_their_shapes(mode):
    f = draws_and_means(mode)
    a, b = f(np.ones((0, 4)))
    assert a.shape == (0, 4) and b.shape == (0, 4)
    after_none = f(np.ones((2, 4)))[0]
    np.testing.assert_array_equal(after_none, draws_and_means(mode)(np.ones((2, 4)))[0])  # nothing was drawn


def test_a_raw_scan_of_no_step_never_runs_its_body():
    class Boom(framework.core.op.Op):
        name = "boom"

        def make_node(self, x):
            return framework.core.graph.Apply(self, [x], [x.type])

        def infer_shape(self, node, shapes):
            return [shapes[0]]

        def impl(self, xp, x):
            raise AssertionError("the body ran")

    h = T.dvector("h")
    op = Scan(InnerGraph([h], [Boom()(h) * 2, Boom()(h)]), n_seqs=0, n_rec=0, n_nonrec=1, n_state=1, n_nonseqs=0)
    n, a = T.lscalar("n"), T.dvector("a")
    stacked, final = function([n, a], op.make_node(n, a).outputs, mode="FAST_COMPILE")(0, np.ones(3))
    assert stacked.shape == (0, 3)
    np.testing.assert_array_equal(final, np.ones(3))


def test_a_zero_step_loop_checks_its_bodys_sizes():
    """Its results' shapes come from the body's shapes, which must fit; the same check as
    where ``r.shape`` is read without running the loop."""
    X, W = T.dmatrix("X"), T.dmatrix("W")
    r, _ = scan(lambda x, w: T.dot(x, w), sequences=[X], non_sequences=[W])
    for mode in MODES:
        f = function([X, W], r, mode=mode)
        with pytest.raises(ShapeError, match="size 3 .* must equal size 4"):
            f(np.ones((0, 3)), np.ones((4, 5)))
        g = function([X, W], r.shape, mode=mode)
        with pytest.raises(ShapeError, match="size 3 .* must equal size 4"):
            g(np.ones((0, 3)), np.ones((4, 5)))


# --- gradients of a loop that runs no step ---------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("taps", [[-1], [-2, -1], [-3, -1]])
def test_grad_of_no_step_is_zeros_of_the_inputs_shapes(taps, mode):
    x0, n, w = T.dmatrix("x0"), T.lscalar("n"), T.dvector("w")
    init = x0[-1] if taps == [-1] else dict(initial=x0, taps=taps)
    r, _ = scan(lambda *a: T.tanh(sum(a[:-1]) * a[-1]), outputs_info=[init], non_sequences=[w], n_steps=n)
    cost = (r ** 2).sum()
    f = function([x0, w, n], T.grad(cost, [x0, w]), mode=mode)
    c = function([x0, w, n], cost, mode=mode)
    v0, wv = np.random.RandomState(0).rand(3, 4), np.random.RandomState(1).rand(4)
    for steps in (0, 1, 3):
        g0, gw = f(v0, wv, steps)
        np.testing.assert_allclose(g0, numeric_grad(lambda x: c(x, wv, steps), v0), atol=1e-7)
        np.testing.assert_allclose(gw, numeric_grad(lambda x: c(v0, x, steps), wv), atol=1e-7)
        if steps == 0:
            np.testing.assert_array_equal(g0, np.zeros((3, 4)))
            np.testing.assert_array_equal(gw, np.zeros(4))


@pytest.mark.parametrize("mode", MODES)
def test_grad_of_no_step_through_sequences_and_a_final_carry(mode):
    X, W = T.dmatrix("X"), T.dmatrix("W")
    acc = shared(np.arange(5.0), name="acc")
    (h, y), upd = scan(lambda x, w: ([T.tanh(T.dot(x, w)), x * 3], {acc: acc + T.dot(x, w)}),
                       sequences=[X], non_sequences=[W], outputs_info=[None, None])
    cost = (h ** 2).sum() + y.sum() + (upd[acc] ** 2).sum()
    f = function([X, W], T.grad(cost, [X, W, acc]), mode=mode, no_default_updates=True)
    gX, gW, gacc = f(np.ones((0, 3)), np.ones((3, 5)))
    assert gX.shape == (0, 3) and gW.shape == (3, 5)
    np.testing.assert_array_equal(gW, np.zeros((3, 5)))
    np.testing.assert_allclose(gacc, 2 * np.arange(5.0))  # the final carry is the initial one
    rng = np.random.RandomState(3)
    Xv, Wv = rng.rand(2, 3), rng.rand(3, 5)
    c = function([X, W], cost, mode=mode, no_default_updates=True)
    gX, gW, _ = f(Xv, Wv)
    np.testing.assert_allclose(gX, numeric_grad(lambda x: c(x, Wv), Xv), atol=1e-6)
    np.testing.assert_allclose(gW, numeric_grad(lambda x: c(Xv, x), Wv), atol=1e-6)


# --- Scan.infer_shape: reading r.shape without running the loop ------------------------------------

def test_shape_of_a_scan_output_does_not_run_the_loop():
    X, W, n = T.dmatrix("X"), T.dmatrix("W"), T.lscalar("n")
    r, _ = scan(lambda x, w: T.dot(x, w), sequences=[X], non_sequences=[W])
    f = function([X, W], [r.shape, r.shape[1]])
    assert not scan_nodes(f)
    shape, cols = f(np.ones((4, 3)), np.ones((3, 5)))
    assert tuple(shape) == (4, 5) and cols == 5
    h0 = T.dvector("h0")
    h, _ = scan(lambda h: h * 2, outputs_info=[h0], n_steps=n)
    g = function([h0, n], h.shape)
    assert not scan_nodes(g)
    assert tuple(g(np.ones(3), 6)) == (6, 3)


def test_shape_read_without_the_loop_keeps_its_checks():
    X, W, n = T.dmatrix("X"), T.dmatrix("W"), T.lscalar("n")
    r, _ = scan(lambda x, w: T.dot(x, w), sequences=[X], non_sequences=[W], n_steps=n)
    for mode in MODES:
        f = function([X, W, n], r.shape, mode=mode)
        assert not scan_nodes(f) or mode == "FAST_COMPILE"
        assert tuple(f(np.ones((4, 3)), np.ones((3, 5)), 2)) == (2, 5)
        with pytest.raises(ShapeError):  # a sequence shorter than n_steps
            f(np.ones((4, 3)), np.ones((3, 5)), 5)
        with pytest.raises(ValueError):  # a negative n_steps
            f(np.ones((4, 3)), np.ones((3, 5)), -1)
        with pytest.raises(ValueError):  # the body's dot cannot work
            f(np.ones((4, 3)), np.ones((4, 5)), 2)


def test_shape_of_an_until_loop_or_a_data_dependent_size_runs_the_loop():
    X = T.dmatrix("X")
    r, _ = scan(lambda x: (x * 2, until(x.sum() > 4)), sequences=[X])
    f = function([X], [r.shape, r.shape[1]])
    assert scan_nodes(f)  # the number of steps is known only by running
    shape, cols = f(np.arange(12.0).reshape(4, 3))
    assert tuple(shape) == (2, 3) and cols == 3
    assert not scan_nodes(function([X], r.shape[1]))  # the row's size is known
    a, _ = scan(lambda x: T.arange(T.cast(x.sum(), "int64")), sequences=[X])
    g = function([X], a.shape)
    assert scan_nodes(g)
    assert tuple(g(np.ones((2, 3)))) == (2, 3)


def test_infer_shape_names_unknown_sizes_as_the_outputs_own():
    from framework.core.shape_infer import infer_shapes
    from framework.core.shape_ops import Shape_i

    X = T.dmatrix("X")
    r, _ = scan(lambda x: T.arange(T.cast(x.sum(), "int64")), sequences=[X])
    (lead, size), = infer_shapes(r.owner)
    assert isinstance(size.owner.op, Shape_i) and size.owner.inputs[0] is r and size.owner.op.i == 1
    assert not (isinstance(lead.owner.op, Shape_i) and lead.owner.inputs[0] is r)

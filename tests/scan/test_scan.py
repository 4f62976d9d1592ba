"""scan: the Theano tutorial's loop examples as written there, taps, until,
updates, modes, errors and printing."""
from __future__ import annotations

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import function, shared
from framework.core.errors import ShapeError
from framework.core.scan import Scan
from framework.printing import debugprint
from framework.scan_module import ScanError, scan, until


def scan_nodes(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]


# --- the tutorial's examples -------------------------------------------------------------

def test_a_to_the_power_k():
    k = T.iscalar("k")
    A = T.vector("A")
    result, updates = framework.scan(fn=lambda prior_result, A: prior_result * A,
                                     outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    final_result = result[-1]
    power = function(inputs=[A, k], outputs=final_result, updates=updates)
    np.testing.assert_allclose(power(range(10), 2), [0., 1., 4., 9., 16., 25., 36., 49., 64., 81.])
    np.testing.assert_allclose(power(range(4), 3), [0., 1., 8., 27.])
    assert updates == {}


def test_polynomial_over_truncated_sequences():
    coefficients = T.vector("coefficients")
    x = T.scalar("x")
    max_coefficients_supported = 10000
    components, updates = framework.scan(
        fn=lambda coefficient, power, free_variable: coefficient * (free_variable ** power),
        outputs_info=None,
        sequences=[coefficients, T.arange(max_coefficients_supported)],
        non_sequences=x)
    polynomial = components.sum()
    calculate_polynomial = function(inputs=[coefficients, x], outputs=polynomial)
    test_coefficients = np.asarray([1, 0, 2], dtype=np.float32)
    test_value = 3
    assert calculate_polynomial(test_coefficients, test_value) == pytest.approx(19.0)
    assert calculate_polynomial([1, 1, 1, 1], 2) == pytest.approx(15.0)


def test_accumulation_into_a_scalar_from_as_tensor_variable():
    up_to = T.iscalar("up_to")

    def accumulate_by_adding(arange_val, sum_to_date):
        return sum_to_date + arange_val

    seq = T.arange(up_to)
    outputs_info = T.as_tensor_variable(np.asarray(0, seq.dtype))
    scan_result, scan_updates = framework.scan(fn=accumulate_by_adding, outputs_info=outputs_info, sequences=seq)
    triangular_sequence = function(inputs=[up_to], outputs=scan_result)
    some_num = 15
    out = triangular_sequence(some_num)
    np.testing.assert_array_equal(out, [n * (n + 1) // 2 for n in range(some_num)])
    assert out.dtype == np.int32


def test_fibonacci_with_taps():
    f0 = T.lvector("f0")
    fib, _ = scan(lambda fm2, fm1: fm2 + fm1, outputs_info=dict(initial=f0, taps=[-2, -1]), n_steps=10)
    np.testing.assert_array_equal(function([f0], fib)([0, 1]), [1, 2, 3, 5, 8, 13, 21, 34, 55, 89])


def test_taps_are_passed_in_the_order_given():
    x0 = T.dvector("x0")
    out, _ = scan(lambda a, b: a - b, outputs_info=dict(initial=x0, taps=[-1, -2]), n_steps=3)
    # y[t] = y[t-1] - y[t-2] from y[-2]=1, y[-1]=5
    np.testing.assert_array_equal(function([x0], out)([1.0, 5.0]), [4.0, -1.0, -5.0])


def test_manual_jacobian_calling_grad_in_the_body():
    x = T.dvector("x")
    y = x ** 2
    J, updates = framework.scan(lambda i, y, x: T.grad(y[i], x), sequences=T.arange(y.shape[0]),
                                non_sequences=[y, x])
    f = function([x], J, updates=updates)
    np.testing.assert_array_equal(f([4, 4]), [[8., 0.], [0., 8.]])
    np.testing.assert_array_equal(f([1, 2, 3]), np.diag([2., 4., 6.]))


def test_recurrence_with_two_taps_tutorial():
    X = T.matrix("X")
    W, U, V = T.matrix("W"), T.matrix("U"), T.matrix("V")
    b_sym = T.vector("b_sym")
    n_sym = T.iscalar("n_sym")
    results, updates = framework.scan(
        lambda x_tm2, x_tm1: T.dot(x_tm2, U) + T.dot(x_tm1, V) + T.tanh(T.dot(x_tm1, W) + b_sym),
        n_steps=n_sym, outputs_info=[dict(initial=X, taps=[-2, -1])])
    compute_seq2 = function(inputs=[X, U, V, W, b_sym, n_sym], outputs=results)
    x = np.zeros((2, 2))
    x[1, 1] = 1
    w = 0.5 * np.ones((2, 2))
    u = 0.5 * np.ones((2, 2))
    v = 0.5 * np.ones((2, 2))
    b = np.ones(2)
    n = 10
    ref = np.zeros((n, 2))
    ref[0] = x[0].dot(u) + x[1].dot(v) + np.tanh(x[1].dot(w) + b)
    ref[1] = x[1].dot(u) + ref[0].dot(v) + np.tanh(ref[0].dot(w) + b)
    for i in range(2, n):
        ref[i] = ref[i - 2].dot(u) + ref[i - 1].dot(v) + np.tanh(ref[i - 1].dot(w) + b)
    np.testing.assert_allclose(compute_seq2(x, u, v, w, b, n), ref)


def test_row_norms_and_trace():
    X = T.matrix("X")
    norms, _ = scan(lambda x_i: T.sqrt((x_i ** 2).sum()), sequences=[X])
    floatX = framework.config.floatX
    trace, _ = scan(lambda i, j, t_f: T.cast(X[i, j] + t_f, floatX),
                    sequences=[T.arange(X.shape[0]), T.arange(X.shape[1])],
                    outputs_info=np.asarray(0., dtype=floatX))
    x = np.arange(12.0).reshape(4, 3)
    n, tr = function([X], [norms, trace[-1]])(x)
    np.testing.assert_allclose(n, np.sqrt((x ** 2).sum(axis=1)))
    assert tr == pytest.approx(np.trace(x))


def test_accumulate_number_of_loops_with_a_shared_update():
    k = shared(0)
    n_sym = T.iscalar("n_sym")
    results, updates = framework.scan(lambda: {k: (k + 1)}, n_steps=n_sym)
    accumulator = function([n_sym], [], updates=updates, allow_input_downcast=True)
    assert k.get_value() == 0
    accumulator(5)
    assert k.get_value() == 5
    accumulator(3)
    assert k.get_value() == 8
    assert results is None


def test_conditional_ending_with_until():
    def power_of_2(previous_power, max_value):
        return previous_power * 2, until(previous_power * 2 > max_value)

    max_value = T.scalar()
    values, _ = framework.scan(power_of_2, outputs_info=T.constant(1.), non_sequences=max_value, n_steps=1024)
    f = function([max_value], values)
    np.testing.assert_array_equal(f(45), [2., 4., 8., 16., 32., 64.])
    np.testing.assert_array_equal(f(1e9)[-1], 2.0 ** 30)
    assert len(function([max_value], values, mode="DEBUG")(45)) == 6


def test_until_with_the_step_limit_reached():
    x = T.dscalar("x")
    values, _ = scan(lambda v: (v + 1, until(v > 100)), outputs_info=x, n_steps=4)
    np.testing.assert_array_equal(function([x], values)(0), [1., 2., 3., 4.])


# --- calling convention ------------------------------------------------------------------

def test_sequence_taps_and_truncation_to_the_shortest():
    x = T.dvector("x")
    y = T.dvector("y")
    out, _ = scan(lambda xm1, xp1, yy: xm1 * 100 + xp1 * 10 + yy,
                  sequences=[dict(input=x, taps=[-1, 1]), y])
    xv = np.arange(6.0)  # taps -1 and +1 leave 4 steps
    yv = np.arange(10.0)
    np.testing.assert_array_equal(function([x, y], out)(xv, yv),
                                  [xv[t] * 100 + xv[t + 2] * 10 + yv[t] for t in range(4)])


def test_several_outputs_some_fed_back():
    x = T.dvector("x")
    h0 = T.dscalar("h0")
    (h, doubled, tot), _ = scan(lambda xt, h, acc: [h + xt, 2 * xt, acc + h],
                                sequences=x, outputs_info=[h0, None, np.float64(0)])
    fh, fd, ft = function([x, h0], [h, doubled, tot])([1., 2., 3.], 10.)
    np.testing.assert_array_equal(fh, [11., 13., 16.])
    np.testing.assert_array_equal(fd, [2., 4., 6.])
    np.testing.assert_array_equal(ft, [10., 21., 34.])


def test_go_backwards():
    x = T.dvector("x")
    acc, _ = scan(lambda xt, a: a * 10 + xt, sequences=x, outputs_info=np.float64(0), go_backwards=True)
    np.testing.assert_array_equal(function([x], acc)([1., 2., 3.]), [3., 32., 321.])


def test_symbolic_n_steps_without_sequences_and_zero_steps():
    n = T.iscalar("n")
    x = T.dvector("x")
    out, _ = scan(lambda v: v * 2, outputs_info=x, n_steps=n)
    f = function([n, x], out)
    np.testing.assert_array_equal(f(3, [1., -1.]), [[2., -2.], [4., -4.], [8., -8.]])
    assert f(0, [1., -1.]).shape == (0, 2)
    mapped, _ = scan(lambda i: i * 2, sequences=T.arange(n))
    assert function([n], mapped)(0).shape == (0,)


def test_outer_variables_are_found_automatically_and_computed_once():
    W = T.dmatrix("W")
    b = shared(np.array([1.0, -1.0]), name="b")
    Wsq = T.dot(W, W)  # built before the loop: a loop constant
    h0 = T.dvector("h0")
    out, _ = scan(lambda h: T.dot(h, Wsq) + b, outputs_info=h0, n_steps=2)
    f = function([h0, W], out)
    w = np.array([[1.0, 2.0], [0.0, 1.0]])
    h = np.array([1.0, 1.0])
    r1 = h @ (w @ w) + [1, -1]
    np.testing.assert_allclose(f(h, w), [r1, r1 @ (w @ w) + [1, -1]])
    (node,) = scan_nodes(f)
    inner_nodes = node.op.compile_inner(f.maker.backend).fgraph.toposort()
    outer_nodes = f.maker.fgraph.toposort()
    assert sum(n.op.name == "dot" for n in inner_nodes) == 1  # h . Wsq
    assert sum(n.op.name == "dot" for n in outer_nodes) == 1  # W . W, once per call


def test_strict_refuses_shared_variables_not_given():
    b = shared(np.float64(1.0), name="b")
    with pytest.raises(ScanError, match="strict"):
        scan(lambda h: h + b, outputs_info=T.dscalar(), n_steps=2, strict=True)
    out, _ = scan(lambda h, b: h + b, outputs_info=T.dscalar("h"), non_sequences=[b], n_steps=2, strict=True)
    assert out.ndim == 1


def test_body_returning_outputs_and_updates():
    count = shared(np.int64(0), name="count")
    x = T.dvector("x")
    out, upd = scan(lambda xt: (xt * 3, {count: count + 1}), sequences=x)
    f = function([x], out, updates=upd)
    np.testing.assert_array_equal(f([1., 2.]), [3., 6.])
    assert count.get_value() == 2


def test_python_number_initial_value_adapts_to_the_body():
    x = T.fvector("x")
    # 0 is a Python int: the body makes floats, so the state becomes float (not an error)
    out, _ = scan(lambda xt, acc: acc * 0.5 + xt, sequences=x, outputs_info=0)
    assert out.dtype == "float64"
    np.testing.assert_allclose(function([x], out)(np.ones(3, "float32")), [1., 1.5, 1.75])
    # a typed initial value fixes the dtype
    out32, _ = scan(lambda xt, acc: acc * 0.5 + xt, sequences=x, outputs_info=np.float32(0))
    assert out32.dtype == "float32"


def test_givens_and_function_copy_reach_into_the_loop():
    w = shared(np.float64(2.0), name="w")
    w2 = shared(np.float64(3.0), name="w2")
    h0 = T.dscalar("h0")
    out, _ = scan(lambda h: h * w, outputs_info=h0, n_steps=3)
    f = function([h0], out)
    np.testing.assert_array_equal(f(1.0), [2., 4., 8.])
    np.testing.assert_array_equal(f.copy(swap={w: w2})(1.0), [3., 9., 27.])
    np.testing.assert_array_equal(function([h0], out, givens={w: T.constant(np.float64(-1.0))})(1.0),
                                  [-1., 1., -1.])


def test_modes_agree():
    x = T.dmatrix("x")
    h0 = T.dvector("h0")
    out, _ = scan(lambda xt, h: T.tanh(h + xt), sequences=x, outputs_info=h0)
    xv, hv = np.random.RandomState(0).randn(5, 3), np.zeros(3)
    ref = function([x, h0], out)(xv, hv)
    for mode in ("FAST_COMPILE", "DEBUG"):
        np.testing.assert_allclose(function([x, h0], out, mode=mode)(xv, hv), ref)
    np.testing.assert_allclose(function([x, h0], out, mode=framework.Mode(None))(xv, hv), ref)


def test_eval_and_return_list():
    x = T.dvector("x")
    out, _ = scan(lambda xt: xt + 1, sequences=x, return_list=True)
    assert isinstance(out, list) and len(out) == 1
    np.testing.assert_array_equal(out[0].eval({x: np.array([1.0, 2.0])}), [2.0, 3.0])


# --- the body is prepared once -----------------------------------------------------------------

def test_the_body_is_compiled_once_and_steps_do_not_walk_the_graph(monkeypatch):
    import framework.core.linker as linker

    x = T.dvector("x")
    out, _ = scan(lambda xt, h: h + xt, sequences=x, outputs_info=np.float64(0))
    links = []
    real_link = linker.link
    monkeypatch.setattr(linker, "link", lambda *a, **k: links.append(1) or real_link(*a, **k))
    f = function([x], out)
    g = function([x], out[-1])
    n_links = len(links)
    assert f(np.ones(1000))[-1] == 1000.0
    assert g(np.ones(50)) == 50.0
    assert len(links) == n_links  # running never links again
    (node,) = scan_nodes(f)
    inner = node.op.compile_inner(f.maker.backend)
    assert inner.run.__source__.count("\n") < 10  # a straight-line body, no checks
    assert "for t in range(1, T)" in f.maker.backend.kernel(node).__source__


# --- errors ---------------------------------------------------------------------------------

def test_sequence_shorter_than_n_steps():
    X = T.dmatrix("X")
    h0 = T.dvector("h0")
    r, _ = scan(lambda x, h: h + x, sequences=X, outputs_info=h0, n_steps=5)
    with pytest.raises(ShapeError, match=r"sequence 0 has 3 step\(s\), fewer than the 5"):
        function([X, h0], r)(np.ones((3, 2)), np.ones(2))


def test_failure_inside_the_body_names_the_step_the_op_and_the_line():
    X = T.dmatrix("X")
    h0 = T.dvector("h0")
    r, _ = scan(lambda x, h: h + x, sequences=X, outputs_info=h0)
    with pytest.raises(ValueError) as info:
        function([X, h0], r)(np.ones((3, 2)), np.ones(3))
    msg = str(info.value)
    assert "step 0" in msg and "op 'add'" in msg and "test_scan.py" in msg and "lambda x, h: h + x" in msg


def test_output_whose_shape_changes_between_steps():
    v = T.dvector("v")
    r, _ = scan(lambda i: T.ones_like(v)[:i + 1], sequences=T.arange(3))
    with pytest.raises(ShapeError, match=r"step 1: output 0 has shape \(2,\), but \(1,\) at step 0"):
        function([v], r)(np.ones(5))
    h0 = T.dvector("h0")
    r, _ = scan(lambda h: T.concatenate([h, h]), outputs_info=h0, n_steps=3)
    with pytest.raises(ShapeError, match="recurrent output 0 has shape"):
        function([h0], r)(np.ones(2))


def test_build_errors():
    h = T.ivector("h")
    with pytest.raises(ScanError, match="int32"):
        scan(lambda a: a * 1.5, outputs_info=h, n_steps=3)
    with pytest.raises(ScanError, match="1 entry"):
        scan(lambda a: [a, a], outputs_info=[h], n_steps=3)
    with pytest.raises(ScanError, match="n_steps"):
        scan(lambda: T.constant(1.0), n_steps=None)
    with pytest.raises(ScanError, match="scalar"):
        scan(lambda x: x, sequences=T.dscalar())
    with pytest.raises(ScanError, match="negative"):
        scan(lambda a: a, outputs_info=dict(initial=T.dvector(), taps=[1]), n_steps=2)
    with pytest.raises(ScanError, match="truncate_gradient"):
        scan(lambda a: a, outputs_info=T.dvector(), n_steps=2, truncate_gradient=0)


# --- printing --------------------------------------------------------------------------------

def test_debugprint_shows_the_inner_graph():
    x = T.dvector("x")
    W = T.dmatrix("W")
    h0 = T.dvector("h0")
    out, _ = scan(lambda xt, h: T.tanh(T.dot(W, h) + xt), sequences=T.shape_padright(x), outputs_info=h0,
                  name="rnn")
    text = debugprint(out, file="str")
    assert "scan{rnn}" in text
    assert "Inner graph of scan{rnn}" in text
    inner = text.split("Inner graph of")[1]
    assert "tanh" in inner and "dot" in inner and "h0[t-1]" in inner and "W" in inner
    f = function([x, W, h0], out[-1])
    ftext = debugprint(f, file="str")
    assert "scan{rnn, keep=1}" in ftext and "Inner graph" in ftext

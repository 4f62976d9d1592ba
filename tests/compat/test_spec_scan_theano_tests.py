"""Theano 1.0's scan tests (theano/scan_module/tests/test_scan.py, test_scan_opt.py,
test_scan_checkpoints.py) read as the specification of ``theano.scan``: each test below ports the
user-visible meaning of one Theano test (named in its comment) -- the values, shapes, dtypes,
gradients and errors an unmodified Theano program sees. Assertions about Theano's internals (the
``Scan`` op's attributes, optimizer names, C code, GPU transfers) are not ported; where such an
assertion stood for a user-visible consequence, the consequence is tested. Our own code and words."""
from __future__ import annotations

import pickle
from collections import OrderedDict

import numpy as np
import pytest

import framework.compat.theano as _compat

_compat.install()

import theano  # noqa: E402
import theano.tensor as T  # noqa: E402
from framework.core.scan import Scan  # noqa: E402

RNG_SEED = 4217


def _rng():
    return np.random.RandomState(RNG_SEED)


def _numeric_grads(f, args, eps=1e-6):
    """Central finite differences of the scalar ``f(*args)`` with respect to each float array."""
    args = [np.array(a, dtype="float64") if np.asarray(a).dtype.kind == "f" else np.asarray(a) for a in args]
    out = []
    for i, a in enumerate(args):
        if a.dtype.kind != "f":
            out.append(None)
            continue
        g = np.zeros_like(a)
        for pos in np.ndindex(*a.shape):
            hi, lo = a.copy(), a.copy()
            hi[pos] += eps
            lo[pos] -= eps
            g[pos] = (f(*(args[:i] + [hi] + args[i + 1:])) - f(*(args[:i] + [lo] + args[i + 1:]))) / (2 * eps)
        out.append(g)
    return out


def _check_grads(cost_fn, grad_fn, args, rtol=1e-4, atol=1e-6):
    analytic = grad_fn(*args)
    numeric = _numeric_grads(cost_fn, list(args))
    for k, (a, n) in enumerate(zip(analytic, numeric)):
        if n is None:
            continue
        np.testing.assert_allclose(a, n, rtol=rtol, atol=atol, err_msg=f"gradient {k}")


def _scan_nodes(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]


def _projected_cost(outputs, seed=123):
    """Theano's ``scan_project_sum``: the outputs summed with fixed random weights (the weights are
    drawn once per call from a stream that is never advanced, so every call sees the same ones)."""
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    srng = theano.tensor.shared_randomstreams.RandomStreams(seed)
    weights = [srng.uniform(size=o.shape, low=0.1, high=0.9) for o in outputs]
    return sum((o * w).sum() for o, w in zip(outputs, weights))


# ---------------------------------------------------------------- forward values


def test_pickling_a_function_with_a_scan():
    # test_pickling: a compiled function holding a scan survives pickle.dump/load and still runs
    state, n_steps = T.scalar("state"), T.iscalar("nsteps")
    output, updates = theano.scan(lambda x_tm1: 2 * x_tm1, [], state, [], n_steps=n_steps,
                                  truncate_gradient=-1, go_backwards=False)
    f = theano.function([state, n_steps], output, updates=updates, allow_input_downcast=True)
    g = pickle.loads(pickle.dumps(f, protocol=-1))
    s = _rng().uniform()
    np.testing.assert_allclose(g(s, 5), [s * 2 ** (k + 1) for k in range(5)])


def test_generator_one_output_scalar():
    # test_generator_one_output_scalar; test_inner_storage_leak (a second call gives the same values)
    state, n_steps = T.scalar("state"), T.iscalar("nsteps")
    output, updates = theano.scan(lambda x_tm1: 2 * x_tm1, [], state, [], n_steps=n_steps)
    f = theano.function([state, n_steps], output, updates=updates, allow_input_downcast=True)
    s = _rng().uniform()
    expected = [s * 2 ** (k + 1) for k in range(5)]
    np.testing.assert_allclose(f(s, 5), expected)
    np.testing.assert_allclose(f(s, 5), expected)


def test_subtensor_multiple_slices():
    # test_subtensor_multiple_slices: a reshape and two slices of the same output, both empty here
    state, n_steps, shape = T.vector("state"), T.iscalar("nsteps"), T.ivector("nw_shape")
    output, updates = theano.scan(lambda x_tm1: 2 * x_tm1, [], state, [], n_steps=n_steps)
    f = theano.function([state, n_steps, shape], [T.reshape(output, shape, ndim=3)[:-2], output[:-4]],
                        updates=updates, allow_input_downcast=True)
    a, b = f(_rng().uniform(size=(3,)), 4, np.int64([2, 2, 3]))
    assert a.shape == (0, 2, 3) and b.shape == (0, 3)


def test_only_nonseq_inputs():
    # test_only_nonseq_inputs: a body returning its non-sequence repeats it; the gradient counts the steps
    inp = T.matrix()
    out, _ = theano.scan(lambda x: x, non_sequences=[inp], n_steps=2)
    f = theano.function([inp], [out, T.grad(out.sum(), inp)])
    v = np.array([[1, 2], [3, 4]], dtype="float64")
    o, g = f(v)
    np.testing.assert_allclose(o, np.repeat(v[None], 2, axis=0))
    np.testing.assert_allclose(g, np.full(v.shape, 2.0))


def _rnn_reference(v_u, v_x0, w_in, w, backwards=False):
    out = np.zeros(len(v_u))
    prev = v_x0
    for t in range(len(v_u)):
        prev = v_u[len(v_u) - 1 - t if backwards else t] * w_in + prev * w
        out[t] = prev
    return out


@pytest.mark.parametrize("backwards", [False, True])
def test_one_sequence_one_output_weights(backwards):
    # test_one_sequence_one_output_weights; test_backwards (go_backwards reads u from its end)
    u, x0, W_in, W = T.vector("u"), T.scalar("x0"), T.scalar("win"), T.scalar("w")
    output, updates = theano.scan(lambda u_t, x_tm1, W_in, W: u_t * W_in + x_tm1 * W, u, x0, [W_in, W],
                                  n_steps=None, truncate_gradient=-1, go_backwards=backwards)
    f = theano.function([u, x0, W_in, W], output, updates=updates, allow_input_downcast=True)
    rng = _rng()
    v_u, v_x0, w, w_in = rng.uniform(size=(4,), low=-5.0, high=5.0), rng.uniform(), rng.uniform(), rng.uniform()
    np.testing.assert_allclose(f(v_u, v_x0, w_in, w), _rnn_reference(v_u, v_x0, w_in, w, backwards))


def test_one_sequence_one_output_weights_shared():
    # test_one_sequence_one_output_weights_shared: shared variables given as non_sequences
    rng = _rng()
    u, x0 = T.vector("u"), T.scalar("x0")
    W_in, W = theano.shared(rng.uniform(), name="w_in"), theano.shared(rng.uniform(), name="w")
    output, updates = theano.scan(lambda u_t, x_tm1, a, b: u_t * a + x_tm1 * b, u, x0, [W_in, W])
    f = theano.function([u, x0], output, updates=updates, allow_input_downcast=True)
    v_u, v_x0 = rng.uniform(size=(4,), low=-5.0, high=5.0), rng.uniform()
    np.testing.assert_allclose(f(v_u, v_x0), _rnn_reference(v_u, v_x0, W_in.get_value(), W.get_value()))


def _mimo_values():
    rng = _rng()
    return dict(W_in2=rng.uniform(size=(2,), low=-5.0, high=5.0), W=rng.uniform(size=(2, 2), low=-5.0, high=5.0),
                W_out=rng.uniform(size=(2,), low=-5.0, high=5.0), W_in1=rng.uniform(size=(2, 2), low=-5.0, high=5.0),
                u1=rng.uniform(size=(3, 2), low=-5.0, high=5.0), u2=rng.uniform(size=(3,), low=-5.0, high=5.0),
                x0=rng.uniform(size=(2,), low=-5.0, high=5.0), y0=rng.uniform(size=(3,)))


def test_multiple_inputs_multiple_outputs():
    # test_multiple_inputs_multiple_outputs: y's previous value is given to fn and not used
    v = _mimo_values()
    W_in2, W, W_out = (theano.shared(v[k], name=k) for k in ("W_in2", "W", "W_out"))
    W_in1, u1, u2, x0, y0 = T.matrix("win"), T.matrix("u1"), T.vector("u2"), T.vector("x0"), T.scalar("y0")

    def f_rnn_cmpl(u1_t, u2_t, x_tm1, y_tm1, W_in1):
        return [theano.dot(u1_t, W_in1) + u2_t * W_in2 + theano.dot(x_tm1, W), theano.dot(x_tm1, W_out)]

    outputs, updates = theano.scan(f_rnn_cmpl, [u1, u2], [x0, y0], W_in1)
    f = theano.function([u1, u2, x0, y0, W_in1], outputs, updates=updates, allow_input_downcast=True)
    vx, vy = np.zeros((3, 2)), np.zeros(3)
    prev = v["x0"]
    for i in range(3):
        vy[i] = prev @ v["W_out"]
        prev = vx[i] = v["u1"][i] @ v["W_in1"] + v["u2"][i] * v["W_in2"] + prev @ v["W"]
    tx, ty = f(v["u1"], v["u2"], v["x0"], v["y0"][0], v["W_in1"])
    np.testing.assert_allclose(tx, vx)
    np.testing.assert_allclose(ty, vy)


def _taps_model(go_backwards=False, with_nitsot=True, test_values=False):
    """test_multiple_outs_taps's network: sequence taps [-1, 0, 1], output taps [-1, -3] (in that order);
    ``test_values`` gives the inputs their values as ``tag.test_value``."""
    rng = _rng()
    l = 5
    vals = dict(W_in2=rng.uniform(size=(2,), low=-0.2, high=0.2), W=rng.uniform(size=(2, 2), low=-0.2, high=0.2),
                W_out=rng.uniform(size=(2,), low=-0.2, high=0.2), W_in1=rng.uniform(size=(2, 2), low=-0.2, high=0.2),
                u1=rng.uniform(size=(l, 2), low=-0.2, high=0.2), u2=rng.uniform(size=(l + 2, 2), low=-0.2, high=0.2),
                x0=rng.uniform(size=(2,), low=-0.2, high=0.2), y0=rng.uniform(size=(3,)))
    W_in2, W, W_out = (theano.shared(vals[k], name=k) for k in ("W_in2", "W", "W_out"))
    W_in1, u1, u2, x0, y0 = T.matrix("win"), T.matrix("u1"), T.matrix("u2"), T.vector("x0"), T.vector("y0")
    for var, key in ((u1, "u1"), (u2, "u2"), (x0, "x0"), (y0, "y0"), (W_in1, "W_in1")) if test_values else ():
        var.tag.test_value = vals[key]

    def f_rnn_cmpl(u1_t, u2_tm1, u2_t, u2_tp1, x_tm1, y_tm1, y_tm3, W_in1):
        outs = [theano.dot(u1_t, W_in1) + (u2_t + u2_tm1 * u2_tp1) * W_in2 + theano.dot(x_tm1, W),
                (y_tm1 + y_tm3) * theano.dot(x_tm1, W_out)]
        return outs + ([theano.dot(u1_t, W_in1)] if with_nitsot else [])

    outputs, updates = theano.scan(f_rnn_cmpl, [u1, dict(input=u2, taps=[-1, 0, 1])],
                                   [x0, dict(initial=y0, taps=[-1, -3])] + ([None] if with_nitsot else []), W_in1,
                                   go_backwards=go_backwards)
    return vals, [u1, u2, x0, y0, W_in1], outputs, updates


def test_multiple_outs_taps():
    # test_multiple_outs_taps: Theano computes the reference by hand (and never compares it); we do
    vals, ins, outputs, updates = _taps_model()
    f = theano.function(ins, outputs, updates=updates, allow_input_downcast=True)
    got = f(vals["u1"], vals["u2"], vals["x0"], vals["y0"], vals["W_in1"])
    u1, u2, w_in1, w_in2 = vals["u1"], vals["u2"], vals["W_in1"], vals["W_in2"]
    ys = list(vals["y0"])  # y[-3], y[-2], y[-1]
    x = vals["x0"]
    ny0, ny1, ny2 = np.zeros((5, 2)), np.zeros(5), np.zeros((5, 2))
    for t in range(5):
        ny1[t] = (ys[-1] + ys[-3]) * (x @ vals["W_out"])
        ny0[t] = u1[t] @ w_in1 + (u2[t + 1] + u2[t] * u2[t + 2]) * w_in2 + x @ vals["W"]
        ny2[t] = u1[t] @ w_in1
        x = ny0[t]
        ys.append(ny1[t])
    np.testing.assert_allclose(got[0], ny0)
    np.testing.assert_allclose(got[1], ny1)
    np.testing.assert_allclose(got[2], ny2)


def test_using_taps_sequence():
    # test_using_taps_sequence: a sequence read only at t-1 gives one step fewer
    x = T.dvector()
    y, updates = theano.scan(lambda x: [x], sequences=dict(input=x, taps=[-1]), outputs_info=[None])
    inp = np.arange(5).astype("float64")
    np.testing.assert_array_equal(theano.function([x], y, updates=updates)(inp), inp[:-1])


def test_using_negative_taps_sequence():
    # test_using_negative_taps_sequence: taps [-2, -1]; a Python list into an fvector
    x = T.fvector("x")
    res, upd = theano.scan(lambda a, b: a, sequences=dict(input=x, taps=[-2, -1]))
    out = theano.function([x], res, updates=upd)([1, 2, 3, 4, 5])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [1, 2, 3])


def test_connection_pattern_integer_initial_states():
    # test_connection_pattern: two outputs with taps [-2, -1] from integer shared initial values;
    # the gradient of a[-1] with respect to a0 can be built and run
    a0, b0 = theano.shared(np.arange(2)), theano.shared(np.arange(2))
    (a, b), _ = theano.scan(lambda a_m2, a_m1, b_m2, b_m1: (a_m1, b_m1),
                            outputs_info=[{"initial": a0, "taps": [-2, -1]}, {"initial": b0, "taps": [-2, -1]}],
                            n_steps=2)
    g = T.grad(a[-1], a0)
    np.testing.assert_array_equal(theano.function([], [a, b])(), [[1, 1], [1, 1]])
    # Theano 1.0's rule: an integer reaching the cost through integer results only gets zeros
    np.testing.assert_array_equal(theano.function([], g)(), [0, 0])


def test_connection_pattern2_mitmot_gradient():
    # test_connection_pattern2: taps [-2, -1] and a sequence; gradients with respect to both
    x, seq = T.matrix(), T.vector()
    out, _ = theano.scan(lambda s, old, cur: old * 2 + cur + s, sequences=seq,
                         outputs_info={"initial": x, "taps": [-2, -1]})
    g_seq, g_x = theano.grad(out.sum(), [seq, x])
    cost_f = theano.function([seq, x], out.sum())
    grad_f = theano.function([seq, x], [g_seq, g_x])
    rng = _rng()
    # a vector sequence added to matrix rows: each step's row broadcasts
    _check_grads(cost_f, grad_f, [rng.uniform(size=(4,)), rng.uniform(size=(2, 3))])


def test_grad_grad_mitsot_sitsot():
    # test_grad_grad_mitsot_sitsot: second derivatives through taps [-2, -1] and a one-tap output
    inputs = [T.matrix(), T.vector()]

    def inner_fct(m2, m1, s):
        out = (m2 + m1 + s) ** 1.05
        return out, out

    outs, _ = theano.scan(inner_fct, outputs_info=[dict(initial=inputs[0], taps=[-2, -1]), inputs[1]], n_steps=5)
    grads = [theano.grad(outs[0].sum(), inputs[0]), theano.grad(outs[1].sum(), inputs[1])]
    second = theano.grad(sum(g.sum() for g in grads), inputs[0])
    f = theano.function(inputs, second)
    rng = _rng()
    v0, v1 = rng.uniform(size=(2, 3)), rng.uniform(size=(3,))
    first = theano.function(inputs, sum(g.sum() for g in grads))
    np.testing.assert_allclose(f(v0, v1), _numeric_grads(lambda a: first(a, v1), [v0])[0], rtol=1e-4, atol=1e-6)


def test_verify_second_grad_sitsot_and_mitsot():
    # test_verify_second_grad_sitsot, test_verify_second_grad_mitsot1 (theano.gradient.verify_grad)
    def sum_of_grad_sitsot(inp):
        outs, _ = theano.scan(lambda x: x * 2, outputs_info=[inp], n_steps=5)
        return theano.grad(outs.sum(), inp).sum()

    def sum_of_grad_mitsot(input0, input1):
        def inner(m2, s):
            out = (m2 + s) ** 1.02
            return out, out

        outs, _ = theano.scan(inner, outputs_info=[dict(initial=input0, taps=[-2]), input1], n_steps=3)
        return theano.grad(outs[0].sum(), input0).sum() + theano.grad(outs[1].sum(), input1).sum()

    rng = _rng()
    theano.gradient.verify_grad(sum_of_grad_sitsot, [rng.random_sample(3)], rng=rng)
    theano.gradient.verify_grad(sum_of_grad_mitsot, [rng.random_sample((2, 3)), rng.random_sample(3)], rng=rng)


def test_grad_two_scans():
    # test_grad_two_scans: a scan over the outputs of another, a float32 shared weight, integer targets
    x, t = T.tensor3("x"), T.imatrix("t")
    W = theano.shared(np.random.RandomState(0).randn(2, 2).astype("float32"), name="W", borrow=True)
    y, _ = theano.scan(lambda x_t: T.nnet.softmax_graph(T.dot(x_t, W)), sequences=x, outputs_info=[None])
    L, _ = theano.scan(lambda y_t, t_t: T.mean(T.nnet.categorical_crossentropy(y_t, t_t)), sequences=[y, t],
                       outputs_info=[None])
    (gW,) = T.grad(T.mean(L), [W])
    f = theano.function([x, t], gW)
    rng = _rng()
    vx, vt = rng.uniform(size=(3, 4, 2)), rng.randint(0, 2, size=(3, 4)).astype("int32")
    cost = theano.function([x, t], T.mean(L))
    w0 = W.get_value()

    def cost_at(w):
        W.set_value(w.astype("float32"))
        return cost(vx, vt)

    got = f(vx, vt)
    W.set_value(w0)
    np.testing.assert_allclose(got, _numeric_grads(cost_at, [w0.astype("float64")], eps=1e-3)[0], rtol=2e-2, atol=1e-3)


@pytest.mark.parametrize("seq_taps", [-2, [-2, 2]])
def test_using_taps_input_output_and_future_taps(seq_taps):
    # test_using_taps_input_output (`taps=-2`, a bare int, on a sequence) and test_past_future_taps_shared
    # (taps [-2, 2]); output taps [-1, -2] (in that order)
    future = seq_taps != -2
    rng = _rng()
    vW, vW_in = rng.uniform(), rng.uniform()
    vu, vx0 = rng.uniform(size=(6 if future else 4,), low=-5.0, high=5.0), rng.uniform(size=(2,), low=-5.0, high=5.0)
    u, x0 = T.vector("u"), T.vector("x0")
    W_in, W = theano.shared(vW_in, name="w_in"), theano.shared(vW, name="w")

    def step(*args):  # u[t-2] (, u[t+2]), x[t-1], x[t-2]
        return (args[0] + (args[1] if future else 0)) * W_in + args[-2] * W + args[-1]

    outputs, updates = theano.scan(step, dict(input=u, taps=seq_taps), dict(initial=x0, taps=[-1, -2]), [])
    out = theano.function([u, x0], outputs, updates=updates, allow_input_downcast=True)(vu, vx0)
    seq = [vu[t] + (vu[t + 4] if future else 0) for t in range(2)]
    first = seq[0] * vW_in + vx0[1] * vW + vx0[0]
    np.testing.assert_allclose(out, [first, seq[1] * vW_in + first * vW + vx0[1]])


@pytest.mark.parametrize("variant", [1, 2])
def test_inplace_outputs_info_and_mutable_inputs(variant):
    # test_inplace1 / test_inplace2: `dict(initial=x0, inplace=u2)` and In(u, mutable=True) are accepted;
    # the values are the loop's (Theano's destroy_map is internal). The caller's arrays are not changed.
    rng = _rng()
    vW, vW_in = rng.uniform(), rng.uniform()
    sizes = (3, 3, 3) if variant == 1 else (3, 4, 5)
    vu0, vu1, vu2 = (rng.uniform(size=(s,), low=-5.0, high=5.0) for s in sizes)
    vx0, vx1 = rng.uniform(), rng.uniform()
    u0, u1, u2 = T.vector("u0"), T.vector("u1"), T.vector("u2")
    x0, x1 = T.scalar("x0"), T.scalar("y0")
    W_in, W = theano.shared(vW_in, "Win"), theano.shared(vW, "W")
    if variant == 1:
        def step(u0_t, u1_t, u2_t, x0_tm1, x1_tm1):
            return [u0_t * W_in + x0_tm1 * W + u1_t * u2_t, u0_t * W_in + x1_tm1 * W + u1_t + u2_t]
        seqs, infos = [u0, u1, u2], [dict(initial=x0, inplace=u2), dict(initial=x1, inplace=u1)]
    else:
        def step(u0_t, u1_t, u1_tp1, u2_tm1, u2_t, u2_tp1, x0_tm1, x1_tm1):
            return [u0_t * W_in + x0_tm1 * W + u1_t * u1_tp1, u0_t * W_in + x1_tm1 * W + u2_tm1 + u2_t + u2_tp1]
        seqs = [u0, dict(input=u1, taps=[0, 1]), dict(input=u2, taps=[-1, 0, +1])]
        infos = [dict(initial=x0), dict(initial=x1)]
    outputs, updates = theano.scan(step, seqs, infos, [])
    f = theano.function([theano.In(u0, mutable=variant == 2), theano.In(u1, mutable=True), theano.In(u2, mutable=True),
                         x0, x1], outputs, updates=updates, allow_input_downcast=True)
    n0, n1 = np.zeros(3), np.zeros(3)
    p0, p1 = vx0, vx1
    for i in range(3):
        if variant == 1:
            p0 = n0[i] = vu0[i] * vW_in + p0 * vW + vu1[i] * vu2[i]
            p1 = n1[i] = vu0[i] * vW_in + p1 * vW + vu1[i] + vu2[i]
        else:
            p0 = n0[i] = vu0[i] * vW_in + p0 * vW + vu1[i] * vu1[i + 1]
            p1 = n1[i] = vu0[i] * vW_in + p1 * vW + vu2[i] + vu2[i + 1] + vu2[i + 2]
    copies = [a.copy() for a in (vu0, vu1, vu2)]
    t0, t1 = f(vu0, vu1, vu2, vx0, vx1)
    np.testing.assert_allclose(t0, n0)
    np.testing.assert_allclose(t1, n1)
    for a, c in zip((vu0, vu1, vu2), copies):
        np.testing.assert_array_equal(a, c)


def test_shared_arguments_with_updates():
    # test_shared_arguments_with_updates: a shared variable as a sequence and as an initial value;
    # the body returns (outputs, [(W1, W1 + .1), (W2, W2 + .05)]): each step sees the updated W's
    rng = _rng()
    vW1, vW2 = rng.rand(2, 3), rng.rand(3, 2)
    vu1, vu2, vy0, vy1 = rng.rand(3, 2), rng.rand(3, 3), rng.rand(3, 2), rng.rand(2)
    W1, W2, u1, y1 = theano.shared(vW1, "W1"), theano.shared(vW2, "W2"), theano.shared(vu1, "u1"), theano.shared(vy1, "y1")

    def f(u1_t, u2_t, y0_tm3, y0_tm2, y0_tm1, y1_tm1):
        y0_t = theano.dot(theano.dot(u1_t, W1), W2) + 0.1 * y0_tm1 + 0.33 * y0_tm2 + 0.17 * y0_tm3
        y1_t = theano.dot(u2_t, W2) + y1_tm1
        y2_t = theano.dot(u1_t, W1)
        return [y0_t, y1_t, y2_t], [(W1, W1 + 0.1), (W2, W2 + 0.05)]

    u2, y0 = T.matrix("u2"), T.matrix("y0")
    outputs, updates = theano.scan(f, [u1, u2], [dict(initial=y0, taps=[-3, -2, -1]), y1, None], [])
    f10 = theano.function([u2, y0], outputs, updates=updates, allow_input_downcast=True)
    ty0, ty1, ty2 = f10(vu2, vy0)
    ny0, ny1, ny2 = np.zeros((6, 2)), np.zeros((4, 2)), np.zeros((3, 3))
    ny0[:3], ny1[0] = vy0, vy1
    w1, w2 = vW1.copy(), vW2.copy()
    for i in range(3):
        ny0[i + 3] = vu1[i] @ w1 @ w2 + 0.1 * ny0[i + 2] + 0.33 * ny0[i + 1] + 0.17 * ny0[i]
        ny1[i + 1] = vu2[i] @ w2 + ny1[i]
        ny2[i] = vu1[i] @ w1
        w1, w2 = w1 + 0.1, w2 + 0.05
    np.testing.assert_allclose(ty0, ny0[3:])
    np.testing.assert_allclose(ty1, ny1[1:])
    np.testing.assert_allclose(ty2, ny2)
    np.testing.assert_allclose(W1.get_value(), w1)
    np.testing.assert_allclose(W2.get_value(), w2)


def test_grad_dtype_change():
    # test_grad_dtype_change: an int32 carry beside float32 ones; the gradient runs
    x, y, c = T.fscalar("x"), T.fscalar("y"), T.iscalar("c")

    def inner_fn(cond, x, y):
        new_cond = T.cast(T.switch(cond, x, y), "int32")
        new_x = T.switch(cond, T.nnet.sigmoid(y * x), x)
        new_y = T.switch(cond, y, T.nnet.sigmoid(x))
        return new_cond, new_x, new_y

    values, _ = theano.scan(inner_fn, outputs_info=[c, x, y], n_steps=10)
    gX, gY = T.grad(values[1].sum(), [x, y])
    f = theano.function([c, x, y], [gX, gY], allow_input_downcast=True)
    gx, gy = f(np.int32(0), np.float32(1.0), np.float32(0.5))
    assert gx.dtype == np.float32 and np.isfinite(gx) and np.isfinite(gy)


def test_simple_shared_random():
    # test_simple_shared_random / test_simple_shared_mrg_random: a stream drawn in the body gives fresh
    # numbers each step and each call; RandomStreams(seed)'s numbers are NumPy's from the derived seed
    seed = RNG_SEED
    trng = theano.tensor.shared_randomstreams.RandomStreams(seed)
    values, updates = theano.scan(lambda: trng.uniform((2,), -1, 1), [], [], [], n_steps=5)
    f = theano.function([], values, updates=updates, allow_input_downcast=True)
    nrng = np.random.RandomState(int(np.random.RandomState(seed).randint(2 ** 30)))
    expected = np.array([nrng.uniform(-1, 1, size=(2,)) for _ in range(10)])
    np.testing.assert_allclose(f(), expected[:5])
    np.testing.assert_allclose(f(), expected[5:])
    import theano.sandbox.rng_mrg as rng_mrg

    mrg = rng_mrg.MRG_RandomStreams(seed)
    mv, mupd = theano.scan(lambda: mrg.uniform((2,), -1, 1), [], [], [], n_steps=5)
    g = theano.function([], mv, updates=mupd)
    a, b = g(), g()
    assert a.shape == (5, 2) and not np.allclose(a, b) and np.all(np.abs(a) <= 1)
    # the loop advances the MRG state as five calls drawing outside a loop would
    outside = theano.function([], rng_mrg.MRG_RandomStreams(seed).uniform((2,), -1, 1))
    np.testing.assert_allclose(a, [outside() for _ in range(5)])


def test_gibbs_chain_mrg():
    # ScanGpuTests.test_gibbs_chain, on the default device: MRG binomial draws times the previous sample,
    # a shared initial value; the result is a float32 0/1 sample that only loses ones along the chain
    import theano.sandbox.rng_mrg as rng_mrg

    v0 = np.random.RandomState(0).binomial(1, 0.5, size=(3, 20)).astype("float32")
    trng = rng_mrg.MRG_RandomStreams(RNG_SEED)
    samples, updates = theano.scan(lambda v: trng.binomial(v.shape, n=1, p=0.3, dtype="float32") * v, [],
                                   theano.shared(v0), [], n_steps=10)
    chain = theano.function([], samples, updates=updates, allow_input_downcast=True)()
    assert chain.dtype == np.float32 and set(np.unique(chain)) <= {0.0, 1.0}
    assert np.all(chain[1:] <= chain[:-1]) and np.all(chain[0] <= v0)


def test_gibbs_chain():
    # test_gibbs_chain: two binomial draws per step from one stream; NumPy's numbers from the two derived seeds
    seed = RNG_SEED
    rng = _rng()
    v_W = np.array(rng.rand(20, 30) - 0.5, dtype="float32")
    v_vsample = np.array(rng.binomial(1, 0.5, size=(3, 20)), dtype="float32")
    v_bvis, v_bhid = np.array(rng.rand(20) - 0.5, dtype="float32"), np.array(rng.rand(30) - 0.5, dtype="float32")
    W, bhid, bvis = theano.shared(v_W, "vW"), theano.shared(v_bhid, "vbhid"), theano.shared(v_bvis, "vbvis")
    vsample = T.matrix(dtype="float32")
    trng = theano.tensor.shared_randomstreams.RandomStreams(seed)

    def f(v_tm1):
        hmean = T.nnet.sigmoid(theano.dot(v_tm1, W) + bhid)
        hsample = T.cast(trng.binomial(hmean.shape, 1, hmean), dtype="float32")
        vmean = T.nnet.sigmoid(theano.dot(hsample, W.T) + bvis)
        return T.cast(trng.binomial(vmean.shape, 1, vmean), dtype="float32")

    samples, updates = theano.scan(f, [], vsample, [], n_steps=10)
    my_f = theano.function([vsample], samples[-1], updates=updates, allow_input_downcast=True)
    seeds = np.random.RandomState(seed)
    nrng1 = np.random.RandomState(int(seeds.randint(2 ** 30)))
    nrng2 = np.random.RandomState(int(seeds.randint(2 ** 30)))
    v = v_vsample
    for _ in range(10):
        hmean = 1.0 / (1.0 + np.exp(-(v @ v_W + v_bhid)))
        h = np.array(nrng1.binomial(1, hmean, size=hmean.shape), dtype="float32")
        vmean = 1.0 / (1.0 + np.exp(-(h @ v_W.T + v_bvis)))
        v = np.array(nrng2.binomial(1, vmean, size=vmean.shape), dtype="float32")
    np.testing.assert_allclose(my_f(v_vsample), v)


def test_only_shared_no_input_no_output():
    # test_only_shared_no_input_no_output: fn returns only an OrderedDict of updates; output is None
    v_state = _rng().uniform()
    state = theano.shared(v_state, "vstate")
    n_steps = T.iscalar("nstep")
    output, updates = theano.scan(lambda: OrderedDict([(state, 2 * state)]), [], [], [], n_steps=n_steps)
    assert output is None
    theano.function([n_steps], output, updates=updates, allow_input_downcast=True)(3)
    np.testing.assert_allclose(state.get_value(), v_state * 2 ** 3)


def test_map_functionality_map_and_reduce():
    # test_map_functionality (outputs_info=[]), test_map, test_reduce
    u = T.vector("u")
    outputs, updates = theano.scan(lambda u_t: u_t + 3, u, [], [])
    v = _rng().uniform(size=(5,), low=-5.0, high=5.0)
    np.testing.assert_allclose(theano.function([u], outputs, updates=updates)(v), v + 3)
    abs_expr, abs_updates = theano.map(lambda x: abs(x), u, [], truncate_gradient=-1, go_backwards=False)
    np.testing.assert_allclose(theano.function([u], abs_expr, updates=abs_updates)(v), abs(v))
    s = T.scalar("s")
    result, updates = theano.reduce(lambda x, y: x + y, u, s)
    assert abs(np.sum(v) - theano.function([u, s], result, updates=updates, allow_input_downcast=True)(v, 0.0)) < 1e-3


# ---------------------------------------------------------------- gradients


def test_grad_one_output():
    # test_grad_one_output: the gradient of a projected sum with respect to the sequence, the initial
    # state and both weights agrees with finite differences
    u, x0, W_in, W = T.vector("u"), T.scalar("x0"), T.scalar("W_in"), T.scalar("W")
    out, updates = theano.scan(lambda u_t, x_tm1, a, b: u_t * a + x_tm1 * b, u, x0, [W_in, W])
    cost = _projected_cost(out)
    grads = T.grad(cost, [u, x0, W_in, W])
    grad_fn = theano.function([u, x0, W_in, W], grads, updates=updates, no_default_updates=True)
    cost_fn = theano.function([u, x0, W_in, W], cost, updates=updates, no_default_updates=True)
    rng = _rng()
    _check_grads(cost_fn, grad_fn, [rng.uniform(size=(10,), low=-0.5, high=0.5), rng.uniform(), rng.uniform(),
                                    rng.uniform()])


def test_grad_multiple_outs():
    # test_grad_multiple_outs: y0 reaches no output (disconnected_inputs='ignore' gives it zeros)
    v = _mimo_values()
    W_in2, W, W_out = (theano.shared(v[k] / 50, name=k) for k in ("W_in2", "W", "W_out"))
    W_in1, u1, u2, x0, y0 = T.matrix("win"), T.matrix("u1"), T.vector("u2"), T.vector("x0"), T.scalar("y0")

    def f_rnn_cmpl(u1_t, u2_t, x_tm1, y_tm1, W_in1):
        return [theano.dot(u1_t, W_in1) + u2_t * W_in2 + theano.dot(x_tm1, W), theano.dot(x_tm1, W_out)]

    outs, updates = theano.scan(f_rnn_cmpl, [u1, u2], [x0, y0], W_in1)
    cost = _projected_cost(outs)
    params = [u1, u2, x0, y0, W_in1]
    gparams = theano.grad(cost, params, disconnected_inputs="ignore")
    grad_fn = theano.function(params, gparams, updates=updates, no_default_updates=True)
    cost_fn = theano.function(params, cost, updates=updates, no_default_updates=True)
    args = [v["u1"] / 50, v["u2"] / 50, v["x0"] / 50, v["y0"][0], v["W_in1"] / 50]
    _check_grads(cost_fn, grad_fn, args)
    assert grad_fn(*args)[3] == 0


@pytest.mark.parametrize("go_backwards", [False, True])
def test_grad_multiple_outs_taps(go_backwards):
    # test_grad_multiple_outs_taps (built with compute_test_value='raise', the inputs carrying test
    # values) and test_grad_multiple_outs_taps_backwards
    with theano.config.change_flags(compute_test_value="off" if go_backwards else "raise"):
        vals, ins, outs, updates = _taps_model(go_backwards, with_nitsot=not go_backwards, test_values=not go_backwards)
        cost = _projected_cost(outs)
        grads = T.grad(cost, ins)
    if not go_backwards:  # the scan and its gradient were run on the test values while being built
        assert outs[0].tag.test_value.shape == (5, 2) and grads[1].tag.test_value.shape == (7, 2)
    cost_fn = theano.function(ins, cost, updates=updates, no_default_updates=True)
    grad_fn = theano.function(ins, grads, updates=updates, no_default_updates=True)
    _check_grads(cost_fn, grad_fn, [vals[k] for k in ("u1", "u2", "x0", "y0", "W_in1")])


def test_grad_multiple_outs_some_uncomputable():
    # test_grad_multiple_outs_some_uncomputable: a RandomStreams made inside fn, an integer sequence;
    # with the generator's state left alone between calls, the gradient matches finite differences,
    # and the integer sequence's gradient is zero
    rng = _rng()
    vW_in, v_u = rng.uniform(size=(2, 2), low=-3.0, high=3.0), rng.uniform(size=(5, 2), low=-3.0, high=3.0)
    v_u2, v_x0 = np.array([1, 3, 4, 6, 8], dtype="int32"), rng.uniform(size=(2,), low=-3.0, high=3.0)
    W_in, u, u2, x0 = T.matrix("win"), T.matrix("u1"), T.ivector("u2"), T.vector("x0")

    def f_rnn_cmpl(u_t, u2_t, x_tm1, W_in):
        trng1 = theano.tensor.shared_randomstreams.RandomStreams(123)
        x_t = T.cast(u2_t, "float64") + theano.dot(u_t, W_in) + x_tm1 + trng1.uniform(low=-1.1, high=1.1)
        return x_t, 2 * u2_t

    outs, updates = theano.scan(f_rnn_cmpl, [u, u2], [x0, None], W_in)
    cost = _projected_cost(outs)
    params = [u, u2, x0, W_in]
    gparams = T.grad(cost, params)
    grad_fn = theano.function(params, gparams, no_default_updates=True)
    cost_fn = theano.function(params, cost, no_default_updates=True)
    got = grad_fn(v_u, v_u2, v_x0, vW_in)
    assert np.all(np.asarray(got[1]) == 0)
    _check_grads(cost_fn, grad_fn, [v_u, v_u2, v_x0, vW_in])


def test_grad_multiple_outs_some_truncate():
    # test_grad_multiple_outs_some_truncate: truncate_gradient=3 over 5 steps: the first two rows of the
    # sequence get no gradient
    rng = _rng()
    vW_in, v_u, v_x0 = (rng.uniform(size=s, low=-0.1, high=0.1) for s in ((2, 2), (5, 2), (2,)))
    W_in, u, x0 = T.matrix("win"), T.matrix("u1"), T.vector("x0")

    def f_rnn_cmpl(u_t, x_tm1, W_in):
        trng1 = theano.tensor.shared_randomstreams.RandomStreams(123)
        return T.cast(theano.dot(u_t, W_in) + x_tm1 + trng1.uniform(low=-0.1, high=0.1), "float64")

    out, updates = theano.scan(f_rnn_cmpl, u, x0, W_in, truncate_gradient=3)
    grads = T.grad(_projected_cost(out), [u, x0, W_in])
    got = theano.function([u, x0, W_in], grads, no_default_updates=True)(v_u, v_x0, vW_in)
    np.testing.assert_allclose(got[0][:2], np.zeros((2, 2)))
    assert np.all(got[0][2:] != 0)
    np.testing.assert_allclose(got[1], 0)


def _grad_mout_rnn(n_iters, mode):
    """_grad_mout_helper: an RNN whose hidden state has taps [-2, -1], only t-2 used, trained by SGD."""
    rng = np.random.RandomState(666)  # Theano's default unittests.rseed, drawn in its order
    n_hid, n_in, n_out = 3, 1, 1
    shapes = dict(W_hh=(n_hid, n_hid), h0=(2, n_hid), b_h=(n_hid,), W_ih=(n_in, n_hid), W_ho=(n_hid, n_out), b_o=(n_out,))
    p = {k: theano.shared(rng.uniform(size=s, low=-0.01, high=0.01)) for k, s in shapes.items()}
    params = [p[k] for k in ("W_ih", "W_hh", "b_h", "W_ho", "b_o", "h0")]
    x, t = T.matrix(), T.matrix()

    def one_step(x_t, h_tm2, h_tm1, W_ih, W_hh, b_h, W_ho, b_o):
        h_t = T.tanh(theano.dot(x_t, W_ih) + theano.dot(h_tm2, W_hh) + b_h)
        return [h_t, theano.dot(h_t, W_ho) + b_o]

    [h, y], _ = theano.scan(fn=one_step, sequences=dict(input=x), outputs_info=[dict(initial=p["h0"], taps=[-2, -1]), None],
                            non_sequences=[p["W_ih"], p["W_hh"], p["b_h"], p["W_ho"], p["b_o"]], mode=mode)
    lr = theano.shared(np.asarray(0.1))
    cost = 0.5 * ((y - t) ** 2.0).mean() + 0.5 * (y.std() - t.std()) ** 2.0
    gparams = theano.grad(cost, params)
    learn = theano.function(inputs=[x, t], outputs=cost, updates=[(q, q - g * lr) for q, g in zip(params, gparams)],
                            mode=mode)
    evaluate = theano.function(inputs=[x], outputs=y, mode=mode)
    x_v = np.arange(0.0, 10.49, 0.21).reshape(-1, 1)
    s_v = np.sin(x_v)
    t_v, s_v = np.roll(s_v, -1)[:-1], s_v[:-1]
    for _ in range(n_iters):
        c = learn(s_v, t_v)
    assert evaluate(s_v).shape == (len(s_v), 1)
    return c


def test_grad_multiple_outs_some_disconnected():
    # test_grad_multiple_outs_some_disconnected(_2): training converges (Theano: cost < 0.02 after 100
    # iterations), and one iteration runs in DebugMode
    assert _grad_mout_rnn(100, None) < 0.02
    assert np.isfinite(_grad_mout_rnn(1, "DebugMode"))


def test_draw_as_input_to_scan():
    # test_draw_as_input_to_scan: a draw made outside the body is the same at every step, new each call
    trng = theano.tensor.shared_randomstreams.RandomStreams(123)
    x = T.matrix("x")
    y = trng.binomial(size=x.shape, p=x)
    z, updates = theano.scan(lambda a: a, non_sequences=y, n_steps=2)
    f = theano.function([x], [y, z], updates=updates)
    nx = _rng().uniform(size=(10, 10))
    ny1, nz1 = f(nx)
    ny2, nz2 = f(nx)
    np.testing.assert_allclose([ny1, ny1], nz1)
    np.testing.assert_allclose([ny2, ny2], nz2)
    assert not np.allclose(ny1, ny2)


def test_grad_of_shared():
    # test_grad_of_shared: d/dx1 sum(v * x1) over v = [2, 3] is 5
    x1 = theano.shared(3.0)
    x1.name = "x1"
    x2 = T.vector("x2")
    y, _ = theano.scan(lambda v: T.cast(v * x1, "float64"), sequences=x2)
    f = theano.function([x2], T.grad(y.sum(), x1), allow_input_downcast=True)
    np.testing.assert_allclose(f([2, 3]), 5)


def test_computing_gradient_inside_the_body():
    # test_computing_gradient: T.grad of an outer expression with respect to a non-sequence, in the body
    x1 = T.scalar("x1")
    x2 = theano.shared(np.array([1, 2, 3, 4, 5]), name="x2")
    K = x2 * x1
    out, _ = theano.scan(lambda i, v: T.grad(K[i], v), sequences=T.arange(K.shape[0]), non_sequences=x1)
    np.testing.assert_allclose(theano.function([x1], out, allow_input_downcast=True)(3.0), [1, 2, 3, 4, 5])


def test_shared_updates_and_memory_aliasing():
    # test_shared_updates: an integer shared counter advanced 10 times; test_memory_aliasing_updates:
    # {x: x + 1, y: x} gives y the previous x, and the two never share memory
    X = theano.shared(np.array(1))
    _, updates = theano.scan(lambda: OrderedDict([(X, X + 1)]), outputs_info=[], non_sequences=[], sequences=[],
                             n_steps=10)
    theano.function([], [], updates=updates)()
    assert X.get_value() == 11
    x, y = theano.shared(np.array(1)), theano.shared(np.array(1))
    _, updates = theano.scan(lambda: OrderedDict([(x, x + 1), (y, x)]), outputs_info=[], non_sequences=[],
                             sequences=[], n_steps=10)
    theano.function([], [], updates=updates)()
    assert x.get_value() == 11 and y.get_value() == 10
    assert not np.may_share_memory(x.get_value(borrow=True), y.get_value(borrow=True))


def test_scan_output_padding():
    # test_scan_output_padding: n_steps=1 keeps the time axis; an update keeps its shared variable's ndim
    a, init_a = T.vector(), T.vector()
    b = theano.shared(np.random.RandomState(0).rand(5, 4))
    out, updates = theano.scan(lambda a: (a + 1, OrderedDict([(b, 2 * b)])),
                               outputs_info=[OrderedDict([("initial", init_a)])], n_steps=1)
    assert out[-1].type.ndim == a.type.ndim and updates[b].type.ndim == b.type.ndim
    out, updates = theano.scan(lambda a: (a + 1, OrderedDict([(b, 2 * b)])), outputs_info=[init_a], n_steps=1)
    assert out.type.ndim == a.type.ndim + 1 and updates[b].type.ndim == b.type.ndim
    assert theano.function([init_a], out)(np.ones(3)).shape == (1, 3)


def test_scan_extra_inputs_hessian():
    # test_scan_extra_inputs_hessian: a Hessian row by row, the body using shared fc2 and outer gy
    x, A = T.vector("x"), T.matrix("A")
    fc1, fc2 = theano.shared(0.5, name="fc1"), theano.shared(0.9, name="fc2")
    y = fc1 * theano.dot(x * x, theano.dot(A, x))
    gy = T.grad(y, x)
    hy, _ = theano.scan(lambda i, gy, x: T.grad(gy[i] * fc2, x), sequences=T.arange(gy.shape[0]), non_sequences=[gy, x])
    f = theano.function([x, A], hy, allow_input_downcast=True)
    np.testing.assert_allclose(f(np.array([1.0, 1.0]), np.array([[1.0, 1.0], [1.0, 0.0]])), [[3.6, 1.8], [1.8, 0.9]])


def _graph_inputs(v):
    seen, out, stack = set(), [], [v]
    while stack:
        w = stack.pop()
        if w in seen:
            continue
        seen.add(w)
        if w.owner is None:
            out.append(w)
        else:
            stack.extend(w.owner.inputs)
    return out


@pytest.mark.parametrize("replace_kind", [None, "dict", "pairs"])
@pytest.mark.parametrize("share_inputs", [True, False])
def test_cloning(replace_kind, share_inputs):
    # test_cloning_*: theano.clone keeps the graph's inputs with share_inputs=True and copies them
    # (shared variables too) with share_inputs=False; a replacement takes effect either way
    x, y, y2 = T.vector("x"), T.vector("y"), T.vector("y2")
    z = theano.shared(0.25)
    f1 = z * (x + y) ** 2 + 5
    replace = {None: None, "dict": OrderedDict([(y, y2)]), "pairs": [(y, y2)]}[replace_kind]
    f2 = theano.clone(f1, replace=replace, strict=True, share_inputs=share_inputs)
    ins = _graph_inputs(f2)
    expected = [z, x, y2 if replace_kind else y]
    for v in expected:
        assert (v in ins) == share_inputs
    assert len([v for v in ins if v.owner is None and not isinstance(v, theano.Constant)]) == 3


def test_clone_not_strict_replaces_with_another_dtype():
    # test_cloning_replace_not_strict_*: strict=False allows a replacement of another dtype
    x, y, y2 = T.vector("x"), T.fvector("y"), T.dvector("y2")
    z = theano.shared(0.25)
    f2 = theano.clone(z * (x + y) ** 2 + 5, replace=[(y, y2)], strict=False)
    assert y2 in _graph_inputs(f2)
    np.testing.assert_allclose(theano.function([x, y2], f2)([1.0], [2.0]), [0.25 * 9 + 5])


def test_reordering():
    # test_reordering: two per-step outputs before the fed-back ones
    v = _mimo_values()
    W_in2, W, W_out = (theano.shared(v[k], name=k) for k in ("W_in2", "W", "W_out"))
    W_in1, u1, u2, x0, y0 = T.matrix("win"), T.matrix("u1"), T.vector("u2"), T.vector("x0"), T.vector("y0")

    def f_rnn_cmpl(u1_t, u2_t, x_tm1, y_tm1, y_tm3, W_in1):
        return [y_tm3 + 1, y_tm3 + 2, theano.dot(u1_t, W_in1) + u2_t * W_in2 + theano.dot(x_tm1, W),
                y_tm1 + theano.dot(x_tm1, W_out)]

    outputs, updates = theano.scan(f_rnn_cmpl, [u1, u2], [None, None, x0, dict(initial=y0, taps=[-1, -3])], W_in1)
    f4 = theano.function([u1, u2, x0, y0, W_in1], outputs, updates=updates, allow_input_downcast=True)
    vx, vy = np.zeros((3, 2)), np.zeros(3)
    vx[0] = v["u1"][0] @ v["W_in1"] + v["u2"][0] * v["W_in2"] + v["x0"] @ v["W"]
    vy[0] = v["x0"] @ v["W_out"] + v["y0"][2]
    for i in range(1, 3):
        vx[i] = v["u1"][i] @ v["W_in1"] + v["u2"][i] * v["W_in2"] + vx[i - 1] @ v["W"]
        vy[i] = vx[i - 1] @ v["W_out"] + vy[i - 1]
    d1, d2, tx, ty = f4(v["u1"], v["u2"], v["x0"], v["y0"], v["W_in1"])
    np.testing.assert_allclose(tx, vx)
    np.testing.assert_allclose(ty, vy)
    np.testing.assert_allclose(d1, [v["y0"][0] + 1, v["y0"][1] + 1, v["y0"][2] + 1])
    np.testing.assert_allclose(d2, d1 + 1)


def test_scan_as_tensor_on_gradients():
    # test_scan_as_tensor_on_gradients: consider_constant=[seq]
    to_scan, seq, f1 = T.dvector("to_scan"), T.dmatrix("seq"), T.dscalar("f1")
    # (Theano's body names its arguments (prev, seq, f1), but gets the sequence row first)
    scanned, _ = theano.scan(fn=lambda prev, s, f: prev + f * s, sequences=[seq], outputs_info=[to_scan],
                             non_sequences=[f1])
    t_grad = T.grad(scanned.sum(), wrt=[to_scan, f1], consider_constant=[seq])
    f = theano.function(inputs=[to_scan, seq, f1], outputs=t_grad, allow_input_downcast=True)
    g_init, g_f = f(np.zeros(2), np.ones((3, 2)), 2.0)
    np.testing.assert_allclose(g_init, [2 + 4 + 8] * 2)  # s_t = row_t + f * s_{t-1}
    np.testing.assert_allclose(g_f, 2 * (0 + 1 + 5))  # d s_t / df = s_{t-1} + f * d s_{t-1} / df


def _return_steps_model(n):
    rng = _rng()
    v = dict(W_in2=rng.uniform(size=(2,), low=-5.0, high=5.0), W=rng.uniform(size=(2, 2), low=-5.0, high=5.0),
             W_out=rng.uniform(size=(2,), low=-5.0, high=5.0), W_in1=rng.uniform(size=(2, 2), low=-5.0, high=5.0),
             u1=rng.uniform(size=(n, 2), low=-5.0, high=5.0), u2=rng.uniform(size=(n,), low=-5.0, high=5.0),
             x0=rng.uniform(size=(2,), low=-5.0, high=5.0), y0=rng.uniform(size=(3,)))
    W_in2, W, W_out = (theano.shared(v[k], name=k) for k in ("W_in2", "W", "W_out"))
    ins = [T.matrix("u1"), T.vector("u2"), T.vector("x0"), T.vector("y0"), T.matrix("win")]

    def f_rnn_cmpl(u1_t, u2_t, x_tm1, y_tm1, y_tm3, W_in1):
        return [y_tm3 + 1, theano.dot(u1_t, W_in1) + u2_t * W_in2 + theano.dot(x_tm1, W), y_tm1 + theano.dot(x_tm1, W_out)]

    rval, updates = theano.scan(f_rnn_cmpl, ins[:2], [None, dict(initial=ins[2]), dict(initial=ins[3], taps=[-1, -3])],
                                ins[4])
    vx, vy = np.zeros((n, 2)), np.zeros(n)
    px, ys = v["x0"], list(v["y0"])
    for i in range(n):
        vy[i] = px @ v["W_out"] + ys[-1]
        px = vx[i] = v["u1"][i] @ v["W_in1"] + v["u2"][i] * v["W_in2"] + px @ v["W"]
        ys.append(vy[i])
    args = [v["u1"], v["u2"], v["x0"], v["y0"], v["W_in1"]]
    return ins, rval, updates, args, vx, vy


def test_save_mem_and_return_steps():
    # test_save_mem (only the last step of each output used) and test_return_steps (the last k)
    ins, rval, updates, args, vx, vy = _return_steps_model(8)
    f = theano.function(ins, [rval[0][-1], rval[1][-1], rval[2][-1]], updates=updates, allow_input_downcast=True)
    _, tx, ty = f(*args)
    np.testing.assert_allclose(tx, vx[-1])
    np.testing.assert_allclose(ty, vy[-1])
    f = theano.function(ins, [rval[0][-3:], rval[1][-2:], rval[2][-4:]], updates=updates, allow_input_downcast=True)
    d, tx, ty = f(*args)
    assert d.shape == (3,)
    np.testing.assert_allclose(tx, vx[-2:])
    np.testing.assert_allclose(ty, vy[-4:])


def test_save_mem_reduced_number_of_steps():
    # test_save_mem_reduced_number_of_steps: seven outputs each read through another index or slice
    u, idx, jdx = T.vector("u"), T.iscalar("idx"), T.iscalar("jdx")
    xs, updates = theano.scan(lambda u_t: tuple(u_t + k for k in (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0)), u)
    x1, x2, x3, x4, x5, x6, x7 = xs
    f2 = theano.function([u, idx, jdx], [x1[:2], x2[4], x3[idx], x4[:idx], x5[-10], x6[-jdx], x7[:-jdx]],
                         updates=updates, allow_input_downcast=True)
    v_u = _rng().uniform(size=(20,), low=-5.0, high=5.0)
    t = f2(v_u, 3, 15)
    for got, want in zip(t, [v_u[:2] + 1, v_u[4] + 2, v_u[3] + 3, v_u[:3] + 4, v_u[-10] + 5, v_u[-15] + 6,
                             v_u[:-15] + 7]):
        np.testing.assert_allclose(got, want)


def test_save_mem_store_steps():
    # test_save_mem_store_steps: fn ignores every previous value it gets; lists as inputs
    u = T.vector("u")
    x10, x20, x30, x40 = T.vector("x10"), T.scalar("x20"), T.vector("x30"), T.scalar("x40")
    xs, updates = theano.scan(lambda u_t, *prev: tuple(u_t + k for k in (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0)), u,
                              [None, None, None, dict(initial=x10, taps=[-1, -2]), x20, dict(initial=x30, taps=[-1, -2]),
                               x40])
    x1, x2, x3, x4, x5 = xs[:5]
    f2 = theano.function([u, x10, x20, x30, x40], [x1[-7], x2[-3:-1], x3[-6:], x4[-1], x5[-1]], updates=updates,
                         allow_input_downcast=True)
    v_u = _rng().uniform(size=(20,), low=-5.0, high=5.0)
    t = f2(v_u, [0, 0], 0, [0, 0], 0)
    for got, want in zip(t, [v_u[-7] + 1, v_u[-3:-1] + 2, v_u[-6:] + 3, v_u[-1] + 4, v_u[-1] + 5]):
        np.testing.assert_allclose(got, want)


def test_infer_shape_until_with_random_and_grad():
    # test_infer_shape: until + a draw in the body; the gradient of out.sum() with respect to the
    # initial value is the number of steps run
    x = T.scalar()
    srng = theano.tensor.shared_randomstreams.RandomStreams(0)

    def inner_fct(prev):
        return prev + srng.uniform(), theano.scan_module.until(prev > 5)

    out, _ = theano.scan(inner_fct, outputs_info=x, n_steps=10)
    fct = theano.function([x], [out, T.grad(out.sum(), x)])
    for i in range(-5, 5):
        output, g = fct(i)
        assert len(output) == g


def test_infer_shape2_nitsot_of_computed_size():
    # test_infer_shape2: a per-step output whose size the carries compute. The test's comment says the
    # size stays 6, but it does not (6, then 5): Theano's run is commented out as crashing; here the
    # loop refuses the second step with a ShapeError (a ValueError) naming the output and both shapes
    seq, sitsot_init, mitsot_init = T.lvector(), T.lscalar(), T.lvector()

    def step(s, sitsot_m1, m2, m1):
        diff = m1 + s
        nm, ns = m2 + diff, sitsot_m1 - diff
        return ns, nm, T.alloc(np.asarray(0.0, "float32"), nm + ns)

    out, _ = theano.scan(step, sequences=seq, outputs_info=[sitsot_init, {"initial": mitsot_init, "taps": [-2, -1]}, None],
                         n_steps=5)
    f = theano.function([seq, sitsot_init, mitsot_init], out[2].shape, mode="FAST_RUN")
    with pytest.raises(ValueError, match=r"output 1 has shape \(5,\), but \(6,\) at step 0"):
        f(np.arange(5), 5, [1, 2])
    np.testing.assert_array_equal(f(np.zeros(5, dtype="int64"), 5, [0, 0]), (5, 5))


def test_remove_stuff_gradient_through_draws():
    # test_remove_stuff: the gradient of o1.mean() with respect to x through a body with draws is 2/3
    # per element (Theano also counts one Scan node: its backward loop, which computes a constant, is
    # pushed out of the loop; ours still runs as a second loop -- see the report)
    x = T.vector("x")

    def lm(m):
        trng = theano.tensor.shared_randomstreams.RandomStreams(RNG_SEED)
        return [2 * m + trng.uniform(low=-1.1, high=1.1), m + trng.uniform(size=[3])]

    [o1, o2], updates = theano.scan(lm, sequences=x, name="forward")
    f = theano.function([x], T.grad(o1.mean(), wrt=x), updates=updates, allow_input_downcast=True)
    np.testing.assert_allclose(f([1, 2, 3]), 2.0 / 3)


# ---------------------------------------------------------------- loops over loops, Rop, until


def test_merge_values():
    # test_merge / test_merge_3scans: scans over the same or different sequences, with and without
    # n_steps, FAST_COMPILE's and truncate_gradient beside the default's: each gives its own values
    x, y = T.vector(), T.vector()
    vx, vy = _rng().uniform(size=(4,)), _rng().uniform(size=(4,)) * 2
    cases = [(dict(sequences=[x]), dict(sequences=[y]), [x, y]),
             (dict(sequences=[x], n_steps=2), dict(sequences=[y], n_steps=3), [x, y]),
             (dict(sequences=[x], n_steps=4), dict(sequences=[y], n_steps=4), [x, y]),
             (dict(sequences=[x]), dict(sequences=[x]), [x]),
             (dict(sequences=[x]), dict(sequences=[x], mode="FAST_COMPILE"), [x]),
             (dict(sequences=[x]), dict(sequences=[x], truncate_gradient=1), [x])]
    for kx, ky, ins in cases:
        sx, _ = theano.scan(lambda s: s + 1, **kx)
        sy, _ = theano.scan(lambda s: s + 1, **ky)
        got = theano.function(ins, [sx, sy])(*([vx, vy][:len(ins)]))
        second = vy if len(ins) == 2 else vx
        np.testing.assert_allclose(got[0], (vx + 1)[:kx.get("n_steps", 4)])
        np.testing.assert_allclose(got[1], (second + 1)[:ky.get("n_steps", 4)])
    sx, _ = theano.scan(lambda s: s + 1, sequences=[x], n_steps=4, name="X")
    sy, _ = theano.scan(lambda s: s + 1, sequences=[2 * y + 2], n_steps=4, name="Y")
    sz, _ = theano.scan(lambda s: s + 1, sequences=[sx], n_steps=4, name="Z")
    gy, gz = theano.function([x, y], [sy, sz])(vx, vy)
    np.testing.assert_allclose(gy, 2 * vy + 3)
    np.testing.assert_allclose(gz, vx + 2)


def test_pushout_seqs_jacobians_agree():
    # test_pushout_seqs: the Jacobian of a scan's output by three routes -- grad per row, a scan of
    # grads, T.jacobian -- gives the same numbers
    hyp = theano.shared(np.log(np.tile([1, 1, 1, 1, 1, 1, 0.01], (3, 1))))
    inputs, targets, x_star, s_star = T.dmatrix("X"), T.dmatrix("Y"), T.dvector("x_star"), T.dmatrix("s_star")
    E = hyp.shape[0]

    def init_K(i, X, Y):
        XX = X.sum(1).reshape((X.shape[0], 1))
        return (XX + XX.T).sum()

    beta, _ = theano.scan(init_K, sequences=T.arange(E), non_sequences=[inputs, targets])

    def predict_mean_i(i, x_star, s_star, X, beta, h):
        n, D = T.shape(X)
        iL = T.diag(h[i, :D])
        inp = (X - x_star).dot(iL)
        t = inp.dot(iL.dot(s_star).dot(iL))
        lb = (inp * t).sum() + beta.sum()
        return T.sum(lb) * h[i, D]

    M, _ = theano.scan(predict_mean_i, sequences=T.arange(E), non_sequences=[x_star, s_star, inputs, beta, hyp])
    rng = _rng()
    args = [rng.random_sample((10, 4)), rng.random_sample((10, 3)), rng.random_sample((4,)), np.eye(4)]
    ins = [inputs, targets, x_star, s_star]
    expected = theano.function(ins, [T.grad(M[k], x_star) for k in range(3)])(*args)
    dMdm, _ = theano.scan(lambda i, M, x: T.grad(M[i], x), sequences=T.arange(M.shape[0]), non_sequences=[M, x_star])
    by_scan = theano.function(ins, [dMdm[0], dMdm[1], dMdm[2]])(*args)
    jac = T.jacobian(M, x_star)
    by_jacobian = theano.function(ins, [jac[0], jac[1], jac[2]])(*args)
    np.testing.assert_allclose(expected, by_scan)
    np.testing.assert_allclose(expected, by_jacobian)


def test_pushout_seqs2_and_nonseq():
    # test_pushout_seqs2: a body output that is a copy of a copy of a constant compiles and runs;
    # test_pushout_nonseq: a Python int non-sequence
    x = T.matrix()
    outputs, updates = theano.scan(lambda x: [x * x, T.constant(0).copy().copy()], n_steps=2, sequences=[],
                                   non_sequences=[], outputs_info=[x, None])
    sq, zeros = theano.function([x], outputs, updates=updates)(np.full((1, 2), 2.0))
    np.testing.assert_allclose(sq, [[[4, 4]], [[16, 16]]])
    np.testing.assert_array_equal(zeros, [0, 0])
    outputs, _ = theano.scan(lambda x: (x * x, x), non_sequences=[2], n_steps=2)
    np.testing.assert_allclose(theano.function(inputs=[], outputs=outputs)(), [[4, 4], [2, 2]])


def test_sequence_dict_with_only_input():
    # test_sequence_dict
    x = T.vector()
    sx, _ = theano.scan(fn=lambda s: s + 1, sequences=[{"input": x}])
    np.testing.assert_allclose(theano.function([x], sx)(np.arange(3.0)), [1, 2, 3])


def test_same_shared_initial_value():
    # test_same: a shared variable as initial value; outputs compiled in two functions agree
    x = T.fmatrix("x")
    mem_val = np.zeros((2,), dtype="float32")
    memory = theano.shared(mem_val)
    W = theano.shared(np.random.RandomState(1).random_sample((5, 2)).astype("float32"))

    def f(inp, mem):
        d = T.dot(T.join(0, inp, mem), W)
        return d, d

    outs, _ = theano.scan(f, sequences=[x], non_sequences=[], outputs_info=[None, memory])
    f1, f2 = theano.function([x], outs[0]), theano.function([x], outs[1])
    x_val = np.random.RandomState(2).random_sample((4, 3)).astype("float32")
    a = f1(x_val)
    memory.set_value(mem_val)
    np.testing.assert_allclose(a, f2(x_val))
    assert a.dtype == np.float32


@pytest.mark.parametrize("fold", ["reduce", "foldl", "foldr"])
def test_fold_gradients(fold):
    # test_reduce/foldl/foldr_memory_consumption: the gradient of a sum by folding is ones (the memory
    # the loop keeps -- Theano: 1 or 2 rows -- is checked in tests/scan/test_scan_memory.py)
    x = theano.shared(np.random.RandomState(0).uniform(size=(10,)))
    o, _ = getattr(theano, fold)(lambda v, acc: acc + v, x, T.constant(np.asarray(0.0)))
    np.testing.assert_allclose(theano.function([], o)(), x.get_value().sum())
    np.testing.assert_allclose(theano.function([], T.grad(o, x))(), np.ones(10))


def _rop_model(with_random):
    rng = _rng()
    shape_u = (3, 5) if with_random else (20, 5)
    vals = dict(u=rng.uniform(size=shape_u) - 0.5, W=rng.uniform(size=(5, 5)) - 0.5, h0=rng.uniform(size=(5,)) - 0.5,
                eu=rng.uniform(size=shape_u) - 0.5, eW=rng.uniform(size=(5, 5)) - 0.5, eh0=rng.uniform(size=(5,)) - 0.5)
    u, h0, W = T.matrix("U"), T.vector("h0"), T.matrix("W")
    _u, _h0, _W = u, h0, W  # Theano wraps them in specify_shape (not in the layer: see the report)

    def rnn_fn(_u, _y, _W):
        if with_random:
            srng = theano.tensor.shared_randomstreams.RandomStreams(RNG_SEED)
            tmp = _u + _y + srng.uniform(size=(5,)) * np.asarray(1e-6)
            return T.tanh(T.dot(_W, tmp)), tmp
        return T.tanh(T.dot(_W, _u + _y))

    out, _ = theano.scan(rnn_fn, sequences=_u, outputs_info=[_h0, None] if with_random else _h0, non_sequences=_W,
                         name="rnn_fn")
    o = (out[0] if with_random else out)[-1]
    eu, eh0, eW = T.matrix("eu"), T.vector("eh0"), T.matrix("eW")
    rops = [T.Rop(o, _u, eu), T.Rop(o, _h0, eh0), T.Rop(o, _W, eW)]
    jacs = [theano.scan(lambda i, o, u, h0, W, e, wrt=wrt: (T.grad(o[i], wrt) * e).sum(), sequences=T.arange(o.shape[0]),
                        non_sequences=[o, u, h0, W, e])[0] for wrt, e in ((_u, eu), (_h0, eh0), (_W, eW))]
    ins = [u, h0, W, eu, eh0, eW]
    args = [vals[k] for k in ("u", "h0", "W", "eu", "eh0", "eW")]
    return ins, rops, jacs, args


@pytest.mark.parametrize("with_random", [False, True])
def test_rop_through_scan(with_random):
    # test_rop / test_rop2: Rop of a scan's last output equals the Jacobian (built by scans of grads)
    # times the direction; test_rop2 draws (tiny) random numbers in the body
    ins, rops, jacs, args = _rop_model(with_random)
    got = theano.function(ins, rops, on_unused_input="ignore", no_default_updates=True)(*args)
    want = theano.function(ins, jacs, on_unused_input="ignore", no_default_updates=True)(*args)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=1e-6)


def test_pushout_dot_all_while_and_nomodif():
    # test_pushout_dot, test_pushout_all, test_pushout_while, test_pushout, test_pushout_nomodif,
    # test_alloc_inputs1/3: the values (Theano checks what its rewrites moved out of the loop)
    rng = _rng()
    W, h = T.matrix("W"), T.matrix("h")
    o, _ = theano.scan(lambda hi, him1, W: (hi, T.dot(hi + him1, W)), outputs_info=[T.zeros([h.shape[1]]), None],
                       sequences=[h], non_sequences=[W])
    vW, vh = rng.uniform(size=(3, 3)), rng.uniform(size=(4, 3))
    a, b = theano.function([W, h], o)(vW, vh)
    np.testing.assert_allclose(a, vh)
    np.testing.assert_allclose(b, (vh + np.vstack([np.zeros(3), vh[:-1]])) @ vW)

    W1, W2, h0 = T.matrix("W1"), T.matrix("W2"), T.vector("h0")
    o, _ = theano.scan(lambda h, W1, W2: T.dot(h, W1 + W2), non_sequences=[h0, W1, W2], n_steps=5)
    v_h, v_W1, v_W2 = rng.uniform(size=(2,)), rng.uniform(size=(2, 2)), rng.uniform(size=(2, 2))
    np.testing.assert_allclose(theano.function([h0, W1, W2], o)(v_h, v_W1, v_W2), np.tile(v_h @ (v_W1 + v_W2), (5, 1)))
    o, _ = theano.scan(lambda h, W1, W2: T.dot(h, W1 + W2), outputs_info=h0, non_sequences=[W1, W2], n_steps=5)
    ref, hv = [], v_h
    for _ in range(5):
        hv = hv @ (v_W1 + v_W2)
        ref.append(hv)
    np.testing.assert_allclose(theano.function([h0, W1, W2], o)(v_h, v_W1, v_W2), ref)
    o, _ = theano.scan(lambda h, W1, W2: T.dot(h, W1 * W2), outputs_info=h0, non_sequences=[W1, T.zeros_like(W2)],
                       n_steps=5)
    np.testing.assert_allclose(theano.function([h0, W1, W2], o)(v_h, v_W1, v_W2), np.zeros((5, 2)))
    _W1, _W2, _h0 = T.matrix(), T.matrix(), T.vector()
    o, _ = theano.scan(lambda w1, h, w2: w1 * T.dot(h, w2), sequences=T.zeros_like(_W1), outputs_info=_h0,
                       non_sequences=[T.zeros_like(_W2)], n_steps=5)
    # (Theano's test only compiles this: a sequence of 3 rows cannot give 5 steps -- a ValueError when run)
    f = theano.function([_h0, _W1, _W2], o)
    with pytest.raises(ValueError, match="fewer than the 5 step"):
        f(np.ones(3), np.ones((3, 3)), np.ones((3, 3)))
    np.testing.assert_allclose(f(np.ones(3), np.ones((5, 3)), np.ones((3, 3))), np.zeros((5, 3)))

    step_indices = T.vector("step_indices")

    def lambda_fn(step_idx, W1, W2):
        return T.dot(W1, W2), theano.scan_module.until(step_idx > 2)

    vals = [np.random.RandomState(3).random_sample((5, 5)).astype("float32"),
            np.random.RandomState(4).random_sample((5, 5)).astype("float32"), np.arange(5).astype("float32")]
    results = []
    for mode in (None, "FAST_COMPILE"):
        o, _ = theano.scan(lambda_fn, sequences=[step_indices, W1], non_sequences=[W2], n_steps=5, mode=mode)
        results.append(theano.function([W1, W2, step_indices], o, mode=mode)(*vals))
    np.testing.assert_allclose(results[0], results[1])
    assert results[0].shape == (4, 5)

    inp = T.matrix("inp")
    (i_t, i_tm1), _ = theano.scan(lambda i, prev: (i + 10, prev), sequences=[inp],
                                  outputs_info=[np.asarray([0.0, 0.0]), None])
    val = np.arange(10).reshape(5, 2).astype("float64")
    ret = theano.function([inp], [i_t, i_tm1])(val)
    np.testing.assert_allclose(ret[0], val + 10)
    np.testing.assert_allclose(ret[1], [[0.0, 0.0], [10.0, 11.0], [12.0, 13.0], [14.0, 15.0], [16.0, 17.0]])


def test_while():
    # test_while0/1/2, test_while_infershape: until stops after the step whose condition holds; the
    # shape is read after the loop ran; an until loop and a map over the same sequence
    x = T.vector("x")
    o, _ = theano.scan(lambda x_t: (x_t + 1, theano.scan_module.until(x_t > 3)), x)
    o2, _ = theano.scan(lambda x_t: x_t + 2, x)
    o3, _ = theano.scan(lambda x_t: (x_t + 2, theano.scan_module.until(x_t > 3)), x)
    vx = np.zeros((50,))
    vx[23] = 4
    assert len(theano.function([x], o)(vx)) == 24
    out, out2, out3 = theano.function([x], [o, o2, o3])(vx)
    assert len(out) == 24 and len(out3) == 24
    np.testing.assert_array_equal(out2, vx + 2)
    assert theano.function([x], o.shape[0])(vx) == 24


def test_outputs_info_not_typed():
    # test_outputs_info_not_typed (skipped in Theano 1.0: untyped initial values got the smallest dtype
    # and the body's upcast was refused): here a Python number takes the body's dtype (docs/theano.md)
    coefficients, x = T.vector("coefficients"), T.scalar("x")
    full_range = T.arange(10000)
    components, _ = theano.scan(lambda c, p, v: c * (v ** p), sequences=[coefficients, full_range], non_sequences=x)
    polys = [components.sum()]
    for init in (T.constant(0, dtype="floatX"), 0, 0.0):
        p, _ = theano.scan(lambda c, p, prev, v: prev + c * (v ** p), outputs_info=init, sequences=[coefficients, full_range],
                           non_sequences=x)
        polys.append(p[-1])
    out = theano.function([coefficients, x], polys)(np.asarray([1, 0, 2], dtype="float64"), 3)
    assert all(o == 19 for o in out)


def test_crash_nonseq_grad_is_a_null_gradient():
    # test_crash_nonseq_grad: the gradient through draws made by a scan nested in the body cannot be had:
    # theano.gradient.NullTypeGradError
    rand_stream = T.shared_randomstreams.RandomStreams()
    inp = T.matrix()
    norm_inp = inp / T.sum(inp, axis=0)

    def unit_dropout(out_idx):
        def stochastic_pooling(in_idx):
            return inp + rand_stream.multinomial(n=1, pvals=norm_inp.T)

        pooled, updates_inner = theano.scan(fn=stochastic_pooling, sequences=T.arange(inp.shape[0]))
        return pooled + rand_stream.binomial(size=pooled.shape), updates_inner

    out, _ = theano.scan(unit_dropout, sequences=[T.arange(inp.shape[0])])
    with pytest.raises(theano.gradient.NullTypeGradError):
        T.grad(out.sum(), inp)


def test_function_given_intermediate_nodes_as_inputs():
    # test_bugFunctioProvidesIntermediateNodesAsInputs: function([V, W]) with W = orig + 2 built outside
    V, orig = T.ftensor3("INPUT"), T.fmatrix("PARAM")
    W = orig + 2
    OS, _ = theano.scan(fn=lambda v, W: v + 1 + W.sum(), sequences=V, outputs_info=[None], non_sequences=[W])
    f = theano.function([V, W], OS.sum() + W.sum())
    np.testing.assert_allclose(f(np.zeros((2, 1, 1), "float32"), np.ones((2, 2), "float32")), 2 * (1 + 4) + 4)


def test_infershape_nsteps_smaller_seq_length():
    # test_infershape_nsteps_smaller_seq_length: n_steps=20 over a sequence of 30; the shapes are read
    # without running the loop
    x = T.vector("x")
    [o1, o2], _ = theano.scan(lambda x, y: (x + 1, y + x), sequences=x, outputs_info=[None, x[0]], n_steps=20)
    f = theano.function([x], [o1.shape[0], o2.shape[0]])
    assert [int(v) for v in f(np.ones((30,)))] == [20, 20]
    assert not _scan_nodes(f)


def test_grad_duplicate_outputs():
    # test_grad_duplicate_outputs: one variable returned twice (a per-step output and a taps=[-3] output)
    seq, out_init, non_seq = T.matrix(), T.matrix(), T.vector()

    def inner_fct(a, b, c):
        total = a + b + c
        return total, total

    outs, _ = theano.scan(fn=inner_fct, sequences=seq, outputs_info=[None, dict(initial=out_init, taps=[-3])],
                          non_sequences=non_seq)
    g0 = theano.grad(outs[0].sum(), [seq, out_init, non_seq])
    g1 = theano.grad(outs[1].sum(), [seq, out_init, non_seq])
    rng = _rng()
    got = theano.function([seq, out_init, non_seq], g0 + g1)(rng.random_sample((10, 3)), rng.random_sample((3, 3)),
                                                             rng.random_sample(3))
    g_seq = np.repeat([[4], [3], [3], [3], [2], [2], [2], [1], [1], [1]], 3, axis=1)
    for k in (0, 3):
        np.testing.assert_allclose(got[k], g_seq)
        np.testing.assert_allclose(got[k + 1], g_seq[:3])
        np.testing.assert_allclose(got[k + 2], [22, 22, 22])


def test_grad_duplicate_outputs_connection_pattern():
    # test_grad_duplicate_outputs_connection_pattern: six copies of one variable as per-step, one-tap and
    # two-tap outputs; the gradient with respect to an initial value builds and runs
    out_init = [T.vector(), T.vector(), T.matrix(), T.matrix()]

    def inner_fct(*args):
        total = sum(args)
        return (total,) * 6

    outs, _ = theano.scan(fn=inner_fct, outputs_info=[None, None, out_init[0], out_init[1],
                                                      dict(initial=out_init[2], taps=[-2, -1]),
                                                      dict(initial=out_init[3], taps=[-2, -1])], n_steps=10)
    g = theano.grad(outs[0].sum(), out_init[1])
    f = theano.function(out_init, g)
    r = f(np.zeros(2), np.zeros(2), np.zeros((2, 2)), np.zeros((2, 2)))
    cost = theano.function(out_init, outs[0].sum())
    base = [np.zeros(2), np.zeros(2), np.zeros((2, 2)), np.zeros((2, 2))]
    np.testing.assert_allclose(r, _numeric_grads(lambda v: cost(base[0], v, base[2], base[3]), [base[1]], eps=1e-4)[0],
                               rtol=1e-4)


def test_grad_multiple_seqs_different_nsteps_and_grad_of_grad():
    # test_grad_multiple_seqs_different_nsteps (38) and test_grad_of_grad_of_state (42): sequences of
    # different lengths are cut to the shortest before the gradient reverses them
    c, x = T.vector("c"), T.scalar("x")
    components, _ = theano.scan(fn=lambda coeff, power, v: coeff * (v ** power), outputs_info=None,
                                sequences=[c, T.arange(1000)], non_sequences=x)
    dP = T.grad(components.sum(), x)
    assert theano.function([c, x], dP)([1.0, 2.0, -3.0, 4.0], 2.0) == 38
    assert theano.function([c, x], T.grad(dP.sum(), x))([1.0, 2.0, -3.0, 4.0], 2.0) == 42


def test_opt_order_fn_is_theano_dot():
    # test_opt_order: fn is theano.dot itself
    x, A = T.matrix("x"), T.matrix("A")
    z, _ = theano.scan(theano.dot, sequences=[], non_sequences=[x, A], n_steps=2)
    got = theano.function([x, A], z)(np.array([[1.0, 1.0], [2.0, 2.0]]), np.array([[1.0, 1.0], [1.0, 0.0]]))
    np.testing.assert_allclose(got, [[[2, 1], [4, 2]], [[2, 1], [4, 2]]])


def test_savemem_opt_and_0_step():
    # test_savemem_opt: taps=[-2] only; test_savemem_opt_0_step: nested strict scans under grad where
    # the inner loop runs one step
    y0 = theano.shared(np.ones((2, 10)))
    [y1, y2], _ = theano.scan(lambda y: [y, y], outputs_info=[dict(initial=y0, taps=[-2]), None], n_steps=5)
    assert theano.function([], y2.sum())() == 50

    def outer_scan_step(x_t, w):
        h, _ = theano.scan(lambda x_tt, h_tm1, w: T.dot(h_tm1, w) + x_tt, sequences=[x_t[1:]], outputs_info=[x_t[0]],
                           non_sequences=[w], strict=True, name="the_inner_scan")
        return h

    x, w = T.tensor3("x"), T.matrix("w")
    features, _ = theano.scan(outer_scan_step, sequences=[x], non_sequences=[w], strict=True, name="the_outer_scan")
    f = theano.function(inputs=[x, w], outputs=T.grad(features.sum(), w))
    rng = _rng()
    x_value, w_value = rng.random_sample((2, 2, 3)), rng.random_sample((3, 3))
    np.testing.assert_allclose(f(x_value, w_value), np.tile(x_value[:, 0].sum(0), (3, 1)).transpose())


def test_grad_multiple_taps_state():
    # test_grad_multiple_taps_state: taps [-4, -1] from an initial value of 5 rows (the first 4 are used)
    xinit, w = T.tensor3("xinit"), T.matrix("w")
    xseq, _ = theano.scan(n_steps=10, fn=lambda xdl, xprev, w: w + xprev,
                          outputs_info=[dict(initial=xinit, taps=[-4, -1])], non_sequences=w)
    loss = (xseq[-1] ** 2).sum()
    cost_fn = theano.function([xinit, w], loss, no_default_updates=True)
    gw, gx = T.grad(loss, [w, xinit])
    grad_fn = theano.function([xinit, w], [gx, gw])
    rng = _rng()
    v_x = rng.uniform(size=(5, 2, 2), low=1.0, high=3.0) * rng.choice([-1, 1], size=(5, 2, 2))
    v_w = rng.uniform(size=(2, 2), low=1.0, high=3.0) * rng.choice([-1, 1], size=(2, 2))
    _check_grads(cost_fn, grad_fn, [v_x, v_w])
    np.testing.assert_array_equal(grad_fn(v_x, v_w)[0][4], 0)


def test_grad_numeric_shared():
    # test_grad_numeric_shared: the gradient of an update's final value with respect to its shared variable
    shared_var = theano.shared(np.float32(1.0))
    _, updates = theano.scan(lambda: ([], OrderedDict([(shared_var, shared_var + np.float32(1.0))])), n_steps=10)
    cost = list(updates.values())[0]
    assert theano.function([], T.grad(cost, shared_var))() == 1
    assert theano.function([], cost)() == 11


def test_rop_mitmot():
    # test_rop_mitmot: Rop of a gradient through a scan (a Gauss-Newton product) builds and runs
    pars = theano.shared(np.random.RandomState(0).uniform(size=12) * 0.1)
    W1, W2 = pars[:3].reshape((1, 3)), pars[3:].reshape((3, 3))
    inpt, target = T.tensor3("inpt"), T.tensor3("target")
    hidden = T.dot(inpt.reshape((inpt.shape[0] * inpt.shape[1], inpt.shape[2])), W1).reshape(
        (inpt.shape[0], inpt.shape[1], 3))
    hidden_rec, _ = theano.scan(lambda x, h_tm1: T.nnet.sigmoid(T.dot(h_tm1, W2) + x), sequences=hidden,
                                outputs_info=[T.zeros_like(hidden[0])])
    cost = ((hidden_rec - target) ** 2).mean()
    d_cost = T.grad(cost, pars)
    p = T.dvector()
    Hp = T.Rop(d_cost, pars, p)
    f = theano.function([inpt, target, p], [d_cost, Hp])
    rng = _rng()
    vi, vt, vp = rng.uniform(size=(4, 2, 1)), rng.uniform(size=(4, 2, 3)), rng.uniform(size=12)
    g0, hp = f(vi, vt, vp)
    grad_at = theano.function([inpt, target], d_cost)
    base = pars.get_value()
    eps = 1e-6
    pars.set_value(base + eps * vp)
    hi = grad_at(vi, vt)
    pars.set_value(base - eps * vp)
    lo = grad_at(vi, vt)
    pars.set_value(base)
    np.testing.assert_allclose(hp, (hi - lo) / (2 * eps), rtol=1e-4, atol=1e-8)


def test_seq_tap_bug_jeremiah_and_borrow():
    # test_seq_tap_bug_jeremiah / test_borrow_bug_jeremiah: taps=[-4] from a shared initial value, the
    # body returning its input unchanged; with an update reading another output; the shape of the
    # delayed output without running the loop
    inp = np.arange(10).reshape(-1, 1).astype("float64")
    exp_out = np.zeros((10, 1))
    exp_out[4:] = inp[:-4]
    seq = T.matrix()
    initial_value = theano.shared(np.zeros((4, 1)))
    results, _ = theano.scan(fn=lambda x, x_tm4: (x, x_tm4), sequences=seq,
                             outputs_info=[OrderedDict([("initial", initial_value), ("taps", [-4])]), None])
    np.testing.assert_array_equal(theano.function([seq], results[1])(inp), exp_out)
    sharedvar = theano.shared(np.zeros((1, 1)))
    f = theano.function([seq], results[1], updates=OrderedDict([(sharedvar, results[0][-1:])]))
    np.testing.assert_array_equal(f(inp), exp_out)
    np.testing.assert_array_equal(sharedvar.get_value(), [[9.0]])
    # (Theano also checks the shape is read without running the loop; here the loop still runs: the
    # initial rows are read by indexing, whose op declares no shape checks -- see the report)
    np.testing.assert_array_equal(theano.function([seq], results[1].shape)(inp), (10, 1))


def test_memory_reuse_with_outputs_as_inputs():
    # test_memory_reuse_with_outputs_as_inputs: outputs that are a previous value, a product by 1,
    # disconnected_grad of it, an assert of it, and the sum
    def inner_fn(m3, m2, m1):
        return (m2, m1 * 1, theano.gradient.disconnected_grad(m2), m2, m3 + m2 + m1)

    init = T.matrix()
    out, _ = theano.scan(inner_fn, outputs_info=[None, None, None, None, dict(initial=init, taps=[-3, -2, -1])], n_steps=3)
    outputs = theano.function([init], out)(np.arange(9, dtype="float64").reshape(3, 3))
    states = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 12, 15], [18, 23, 28], [33, 42, 51]], dtype="float64")
    for got, want in zip(outputs, [states[1:4], states[2:5], states[1:4], states[1:4], states[3:6]]):
        np.testing.assert_allclose(got, want)


def test_grad_connectivity_matrix():
    # test_grad_connectivity_matrix: z's initial value reaches no output used by the cost: ValueError
    # (DisconnectedInputError); y0 does not reach x
    def inner_fn(x_tm1, y_tm1, z_tm1):
        return x_tm1 ** 2, y_tm1, x_tm1 + 1

    x0, y0, z0 = T.vector("X"), T.vector("y0"), T.vector("Z")
    [x, y, z], _ = theano.scan(inner_fn, outputs_info=[x0, y0, z0], n_steps=10)
    cost = (x + y + z).sum()
    T.grad(cost, x0)
    T.grad(cost, y0)
    with pytest.raises(ValueError):
        T.grad(cost, z0)
    with pytest.raises(ValueError):
        T.grad(x.sum(), y0)


def test_disconnected_gradients():
    # test_disconnected_gradient(2, 3)
    v, m = T.vector("v"), T.matrix("m")
    u0 = T.zeros((7,))
    [u, m2], _ = theano.scan(lambda _, u: [u, v], sequences=m, outputs_info=[u0, None])
    g = theano.function([m, v], T.grad((m * m2).sum(), v))(np.ones((3, 7)), np.ones(7))
    np.testing.assert_allclose(g, np.full(7, 3.0))
    [u, m2], _ = theano.scan(lambda x, u: [x + u, u + v], sequences=m, outputs_info=[u0, None])
    g = theano.function([m, v], T.grad(m2.sum(), m))(np.ones((3, 7)), np.ones(7))
    np.testing.assert_allclose(g, [[2] * 7, [1] * 7, [0] * 7])
    vv = T.dvector("v")
    [o1, o2], _ = theano.scan(lambda s: (s + 1, s + 2), sequences=vv)
    np.testing.assert_allclose(theano.function([vv], T.grad(o2.sum(), [vv]))(np.random.random(5))[0], np.ones(5))


def test_pregreedy_optimizer_and_constant_n_steps():
    # test_pregreedy_optimizer: per-step outputs of constants used by a second scan;
    # test_constant_folding_n_steps: a constant n_steps and a constant initial value
    W, bv, bh = T.zeros((5, 4)), T.zeros((5,)), T.zeros((4,))
    v = T.matrix("v")
    (bv_t, bh_t), _ = theano.scan(lambda _: [bv, bh], sequences=v, outputs_info=[None, None])
    chain, _ = theano.scan(lambda x: T.dot(T.dot(x, W) + bh_t, W.T) + bv_t, outputs_info=v, n_steps=2)
    np.testing.assert_allclose(theano.function([v], chain)(np.zeros((3, 5))), np.zeros((2, 3, 5)))
    res, _ = theano.scan(lambda x: x * 2, outputs_info=T.ones(()), n_steps=10)
    np.testing.assert_allclose(theano.function([], res)(), 2.0 ** np.arange(1, 11))


def test_savemem_does_not_duplicate_number_of_scan_nodes():
    # test_savemem_does_not_duplicate_number_of_scan_nodes: fn returns ([x], (), until(x)); the input is
    # an expression (T.ones(())) given to function as an input
    var = T.ones(())
    values, _ = theano.scan(lambda x: ([x], (), theano.scan_module.until(x)), outputs_info=[var], n_steps=2)
    f = theano.function([var], values)
    np.testing.assert_allclose(f(1.0), [1.0])
    np.testing.assert_allclose(f(0.0), [0.0, 0.0])
    assert len(_scan_nodes(f)) == 1


@pytest.mark.parametrize("kind", ["seqs", "nonseqs"])
def test_eliminate_seqs_and_nonseqs(kind):
    # test_eliminate_seqs / test_eliminate_nonseqs: fn(*args) ignores its previous values; the return is a
    # list holding a tuple of outputs and an update dict; Mode(linker='py')
    sh = theano.shared(np.asarray(2.0))
    x1, x2 = T.vector("x1"), T.scalar("x2")
    arg = T.vector("U") if kind == "seqs" else T.scalar("W")

    def rec_fn(*args):
        a = args[0] if kind == "seqs" else args[-1]
        return [(a + 1.0, a + 2.0, a + 3.0), {sh: a + 4.0}]

    [X1, X2, X3], updates = theano.scan(rec_fn, arg if kind == "seqs" else [], [dict(initial=x1, taps=[-1, -3]), x2, None],
                                        [] if kind == "seqs" else arg, n_steps=None if kind == "seqs" else 5)
    f = theano.function([arg, x1, x2], [X1, X2, X3], updates=updates, mode=theano.Mode(linker="py"),
                        allow_input_downcast=True)
    v = _rng().uniform(size=(5,)) if kind == "seqs" else np.float64(_rng().uniform())
    outs = f(v, [0, 0, 0], 0)
    for k in range(3):
        np.testing.assert_allclose(outs[k], np.broadcast_to(v + k + 1, (5,)))
    np.testing.assert_allclose(sh.get_value(), (v[-1] if kind == "seqs" else v) + 4)


def test_grad_bug_disconnected_input():
    # test_grad_bug_disconnected_input: rows of a shared matrix picked by an integer sequence
    W = theano.shared(np.zeros((3, 3)), name="W")
    v = T.ivector(name="v")
    y, _ = theano.scan(lambda i, W: W[i], sequences=v, outputs_info=None, non_sequences=W)
    np.testing.assert_allclose(theano.function([v], T.grad(y.sum(), W))([1, 2]), [[0, 0, 0], [1, 1, 1], [1, 1, 1]])


def test_clone_replace_shared():
    # test_clone: theano.clone replacing a shared variable by an expression of itself
    x = theano.shared(np.asarray(0.0))
    for mention_y in (False, True):
        y = T.sum((x + 1) ** 2)
        d = 0.1 + 0 * y if mention_y else 0.1
        out = theano.clone(y, replace={x: x + d})
        np.testing.assert_allclose(theano.function([], out)(), 1.21)


def test_grad_find_input():
    # test_grad_find_input: the body returns a shared variable it never got as an argument
    w = theano.shared(np.array(0, dtype="float32"), name="w")
    init = T.fscalar("init")
    out, _ = theano.scan(fn=lambda prev: w, outputs_info=init, n_steps=2)
    assert theano.function([init], T.grad(out[-1], w), on_unused_input="ignore")(0.0) == 1


def test_remove_constants_and_unused_inputs():
    # test_remove_constants_and_unused_inputs_scan_non_seqs / _seqs: unused and repeated arguments
    W, v, vv = T.matrix(name="W"), T.ivector(name="v"), T.matrix(name="vv")
    bodies = [
        (lambda i, W: W[i], dict(sequences=v, non_sequences=[W])),
        (lambda i, _, W: W[i], dict(sequences=v, non_sequences=[W[0], W])),
        (lambda i, W, _: W[i], dict(sequences=v, non_sequences=[W, W[0]])),
        (lambda i, _, _2, W: W[i], dict(sequences=v, non_sequences=[W[0], W[0], W])),
        (lambda i, _, W, _2: W[i], dict(sequences=v, non_sequences=[W[0], W, W[0]])),
        (lambda i, W, _, _2: W[i], dict(sequences=v, non_sequences=[W, W[0], W[0]])),
        (lambda i, _, W: W[i], dict(sequences=[v, v], non_sequences=W)),
        (lambda i, _, W: W[i], dict(sequences=[v, vv[0]], non_sequences=W)),
        (lambda _, i, W: W[i], dict(sequences=[vv[0], v], non_sequences=W)),
        (lambda _, i, _2, W: W[i], dict(sequences=[vv, v, vv[0]], non_sequences=W)),
        (lambda _, _2, i, W: W[i], dict(sequences=[vv[0], vv, v], non_sequences=W)),
        (lambda i, _, _2, W: W[i], dict(sequences=[v, vv[0], vv[0]], non_sequences=W)),
        (lambda _, i, W, _2, _3: W[i], dict(sequences=[vv[0], v], non_sequences=[W, W[0], W[0]])),
    ]
    vW = np.arange(9.0).reshape(3, 3)
    for fn, kw in bodies:
        out, _ = theano.scan(fn, outputs_info=None, **kw)
        f = theano.function([W, v, vv], out, on_unused_input="ignore")
        np.testing.assert_allclose(f(vW, [1, 2], np.zeros((3, 3))), vW[[1, 2]])
        assert len(_scan_nodes(f)) == 1


def test_hessian_bug_grad_grad_two_scans():
    # test_hessian_bug_grad_grad_two_scans: the Hessian through a scan inside a scan (float32 states)
    W, n_steps = T.fvector(name="W"), T.iscalar(name="Nb_steps")

    def loss_outer(sum_outer, W):
        inner, _ = theano.scan(fn=lambda s, W: s + (W ** 2).sum(),
                               outputs_info=T.as_tensor_variable(np.asarray(0, dtype=np.float32)), non_sequences=[W],
                               n_steps=1)
        return sum_outer + inner[-1]

    outer, _ = theano.scan(fn=loss_outer, outputs_info=T.as_tensor_variable(np.asarray(0, dtype=np.float32)),
                           non_sequences=[W], n_steps=n_steps)
    H = theano.gradient.hessian(outer[-1], W)
    np.testing.assert_allclose(theano.function([W, n_steps], H)(np.ones((8,), dtype="float32"), 3), 6 * np.eye(8))


def test_strict_mode():
    # test_strict_mode: strict with the shared weight in non_sequences gives the loose loop's result;
    # test_strict_mode_ex: strict without it is refused (Theano: gof.fg.MissingInputError)
    w_ = theano.shared(np.array([[-1, 2], [3, -4]]).astype("float64"))
    x0 = np.array([1, 2]).astype("float64")
    x0_ = T.vector(name="x0")
    loose = theano.scan(lambda x: T.dot(x, w_), sequences=[], outputs_info=[x0_], n_steps=10, strict=False)
    strict = theano.scan(lambda x, w: T.dot(x, w), sequences=[], outputs_info=[x0_], non_sequences=[w_], n_steps=10,
                         strict=True)
    np.testing.assert_allclose(theano.function([x0_], loose[0][-1])(x0), theano.function([x0_], strict[0][-1])(x0))
    with pytest.raises(theano.compile.MissingInputError, match="strict"):
        theano.scan(lambda x: T.dot(x, w_), sequences=[], outputs_info=[x0_], n_steps=10, strict=True)


def test_mixture_dtype_outputs():
    # ScanGpuTests.test_gpu3_mixture_dtype_outputs, on the default device: an int64 per-step output
    u, x0, W_in, W = T.fvector("u"), T.fscalar("x0"), T.fscalar("win"), T.fscalar("w")
    output, _ = theano.scan(lambda u_t, x_tm1, a, b: (u_t * a + x_tm1 * b, T.cast(u_t + x_tm1, "int64")), u, [x0, None],
                            [W_in, W])
    f2 = theano.function([u, x0, W_in, W], output, allow_input_downcast=True)
    rng = _rng()
    v_u, v_x0, w, w_in = rng.uniform(size=(4,), low=-5.0, high=5.0), rng.uniform(), rng.uniform(), rng.uniform()
    o1, o2 = f2(v_u, v_x0, w_in, w)
    assert o2.dtype == np.int64
    ref1 = _rnn_reference(v_u, v_x0, w_in, w)
    np.testing.assert_allclose(o1, ref1, rtol=1e-5)
    np.testing.assert_array_equal(o2, np.trunc(np.float32(v_u) + np.float32(np.concatenate([[v_x0], o1[:-1]]))))


def test_memory_reuse_dimshuffle_output():
    # ScanGpuTests.test_memory_reuse_gpudimshuffle, on the default device
    def inner_fn(seq1, rec):
        temp = seq1 + rec.sum()
        return temp.dimshuffle(1, 0), temp.sum() + rec

    input1, init = T.ftensor3(), T.ftensor3()
    out, _ = theano.scan(inner_fn, sequences=[input1], outputs_info=[None, init])
    got = theano.function([input1, init], [out[0].flatten(), out[1].flatten()])(np.ones((2, 1, 1), "float32"),
                                                                                 np.ones((1, 1, 1), "float32"))
    np.testing.assert_allclose(got[0], [2, 4])
    np.testing.assert_allclose(got[1], [3, 7])


def test_compute_test_values_through_scan_gradients():
    # test_compute_test_value, _nonseq, _grad, _grad_cast: with compute_test_value='raise', scans (nested
    # ones too) and their gradients build, and the values agree with running the function
    with theano.config.change_flags(compute_test_value="raise"):
        x = T.vector("x")
        x.tag.test_value = np.ones(3)
        y = theano.shared(np.arange(3.0), name="y")
        z, updates = theano.scan(fn=lambda u, v: u + v, sequences=[x, y])
        assert not updates
        T.grad(z.sum(), x)
        y2 = theano.shared(np.arange(9.0).reshape(3, 3), name="y")
        z2, _ = theano.scan(fn=lambda u, v: u + v, sequences=[x], non_sequences=[y2])
        g = T.grad(z2.sum(), x)
        np.testing.assert_allclose(g.tag.test_value, np.full(3, 9.0))  # each row of x is added to 9 entries

        W_flat = T.fvector(name="W")
        W_flat.tag.test_value = np.array([1, 2, 1, 3, 4, 1, 5, 6, 1, 7, 8, 1], dtype="float32")
        W = W_flat.reshape((2, 2, 3))
        outputs_mi = T.as_tensor_variable(np.asarray(0, dtype="float32"))

        def loss_mi(mi, sum_mi, W):
            def loss_ti(ti, sum_ti, mi, W):
                return W.sum().sum().sum() + sum_ti

            result_ti, _ = theano.scan(fn=loss_ti, outputs_info=T.as_tensor_variable(np.asarray(0, dtype="float32")),
                                       sequences=T.arange(W.shape[1], dtype="int32"), non_sequences=[mi, W])
            return sum_mi + result_ti[-1]

        result_mi, _ = theano.scan(fn=loss_mi, outputs_info=outputs_mi, sequences=T.arange(W.shape[0], dtype="int32"),
                                   non_sequences=[W])
        gW = T.grad(result_mi[-1], W_flat)
        np.testing.assert_allclose(gW.tag.test_value, np.full(12, 4.0))

        h = T.matrix("h")
        h.tag.test_value = np.array([[1, 2, 3, 4], [5, 6, 7, 8]], dtype="float64")
        w = theano.shared(np.random.RandomState(0).randn(4, 3), name="w")
        outputs, _ = theano.scan(lambda i, h, w: (theano.dot(h[i], w), i), outputs_info=[None, 0], non_sequences=[h, w],
                                 n_steps=3)
        theano.grad(outputs[0].sum(), w)


# ---------------------------------------------------------------- test_scan_checkpoints.py


def test_scan_checkpoints_forward_backward_and_taps_error():
    # TestScanCheckpoint: A**k by scan and by scan_checkpoints (save_every_N=100 over 101 steps), values
    # and gradients; taps in outputs_info are refused with RuntimeError
    k, A = T.iscalar("k"), T.vector("A")
    result, _ = theano.scan(fn=lambda prior, A: prior * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    result_check, _ = theano.scan_checkpoints(fn=lambda prior, A: prior * A, outputs_info=T.ones_like(A),
                                              non_sequences=A, n_steps=k, save_every_N=100)
    r, rc = result[-1], result_check[-1]
    f = theano.function(inputs=[A, k], outputs=[r, rc, T.grad(r.sum(), A), T.grad(rc.sum(), A)])
    out, out_check, g, g_check = f(range(10), 101)
    np.testing.assert_allclose(out, out_check)
    np.testing.assert_allclose(g, g_check)
    np.testing.assert_allclose(out_check, np.arange(10.0) ** 101)
    with pytest.raises(RuntimeError):
        theano.scan_checkpoints(lambda: None, [], {"initial": A, "taps": [-2]})


# ---------------------------------------------------------------- test_scan_opt.py


@pytest.mark.parametrize("batch_size", [1, 5])
def test_gauss_newton(batch_size):
    # TestGaussNewton: an RNN's Gauss-Newton product (Rop, grads with consider_constant, theano.clone of
    # the cost with scaled parameters, givens of shared data, test values on the inputs) builds and runs
    rng = _rng()
    n_feat, n_steps = 100, 10
    in_size = (n_steps, n_feat) if batch_size == 1 else (n_steps, batch_size, n_feat)
    t_size = (n_steps, 1) if batch_size == 1 else (n_steps, batch_size, 1)
    inputs, targets = theano.shared(rng.uniform(size=in_size), borrow=True), theano.shared(rng.uniform(size=t_size), borrow=True)
    x, t = (T.matrix("inputs"), T.matrix("targets")) if batch_size == 1 else (T.tensor3("inputs"), T.tensor3("targets"))
    x.tag.test_value, t.tag.test_value = inputs.get_value(borrow=True), targets.get_value(borrow=True)
    W_xh = theano.shared(0.01 * rng.uniform(size=(n_feat, 10)), borrow=True)
    W_hh = theano.shared(0.01 * rng.uniform(size=(10, 10)), borrow=True)
    W_hy = theano.shared(0.01 * rng.uniform(size=(10, 1)), borrow=True)
    b_h, b_y = theano.shared(np.zeros(10), borrow=True), theano.shared(np.zeros(1), borrow=True)
    params = [W_xh, W_hh, W_hy, b_h, b_y]
    h_0 = T.alloc(0.0, 10) if batch_size == 1 else T.alloc(0.0, batch_size, 10)
    h, _ = theano.scan(lambda x_t, h_tm1: T.tanh(T.dot(h_tm1, W_hh) + T.dot(x_t, W_xh) + b_h), sequences=[x],
                       outputs_info=[h_0.astype("float64")])
    y = T.dot(h, W_hy) + b_y
    cost = ((t - y) ** 2).sum(axis=1).mean()
    cost_ = theano.clone(cost, replace=dict([(pi, 2 * pi) for pi in params]))
    Jv = T.Rop(y, params, params)
    HJv = T.grad(T.sum(T.grad(cost, y) * Jv), y, consider_constant=[Jv])
    JHJv = T.grad(T.sum(HJv * y), params, consider_constant=[HJv, Jv])
    Gv = [a + T.constant(1.0) * b for a, b in zip(JHJv, params)]
    f = theano.function([], [cost_] + Gv, givens={x: inputs, t: targets})
    got = f()
    assert all(np.all(np.isfinite(g)) for g in got)
    assert [np.shape(g) for g in got[1:]] == [p.get_value().shape for p in params]


@pytest.mark.parametrize("case", ["not_output", "nitsot", "sitsot"])
def test_pushout_scan_output_dot(case):
    # TestPushOutScanOutputDot: values with and without the rewrites (FAST_RUN against FAST_COMPILE)
    rng = _rng()
    if case == "not_output":
        v, m = T.vector(), T.matrix()
        ins, outs, args = [v, m], T.jacobian(T.dot(v, m), v), [rng.random_sample(4), rng.random_sample((4, 5))]
    else:
        a, b = T.matrix(), T.matrix()
        if case == "nitsot":
            def inner(vect, mat):
                sq = vect ** 2
                return T.dot(sq, mat), sq
            outs, _ = theano.scan(fn=inner, outputs_info=[None] * 2, sequences=a, non_sequences=b)
        else:
            def inner(seq1, prev, nonseq):
                o1 = prev + seq1
                return o1, T.dot(o1, nonseq)
            outs, _ = theano.scan(fn=inner, outputs_info=[a[0], None], sequences=a, non_sequences=b)
        ins, args = [a, b], [rng.random_sample((3, 4)), rng.random_sample((4, 5))]
    fast = theano.function(ins, outs)(*args)
    slow = theano.function(ins, outs, mode="FAST_COMPILE")(*args)
    for p, q in zip(fast if isinstance(fast, list) else [fast], slow if isinstance(slow, list) else [slow]):
        np.testing.assert_allclose(p, q)


# ---------------------------------------------------------------- options and forms named in scan's docstring


def test_scan_op_is_findable_in_compiled_graphs():
    # every test file finds the loop with isinstance(node.op, theano.scan_module.scan_op.Scan)
    from theano.scan_module.scan_op import Scan as ScanOp

    x = T.vector()
    r, _ = theano.scan(lambda a: a * 2, sequences=x)
    f = theano.function([x], r)
    assert ScanOp is theano.scan_module.scan_op.Scan
    assert len([n for n in f.maker.fgraph.toposort() if isinstance(n.op, ScanOp)]) == 1


def test_negative_n_steps_is_refused():
    # scan_op.perform raises for a negative number of steps; a constant one is refused while building
    x, n = T.vector("x"), T.iscalar("n")
    r, _ = theano.scan(lambda p: p * 2, outputs_info=x, n_steps=n)
    f = theano.function([x, n], r)
    with pytest.raises(ValueError, match="n_steps must be >= 0, got -2"):
        f(np.ones(2), -2)
    for k in (-1, -3):
        with pytest.raises(ValueError, match=f"n_steps must be >= 0, got {k}.*go_backwards"):
            theano.scan(lambda p: p * 2, outputs_info=x, n_steps=k)


def test_options_name_mode_profile_allow_gc_return_list():
    # scan's keyword arguments: name (shown by debugprint), mode (the body's), profile and allow_gc
    # (accepted), return_list (a list even for one output)
    import io

    x = T.vector("x")
    r, upd = theano.scan(lambda a: a * 2, sequences=x, name="doubler", mode="FAST_COMPILE", profile=True,
                         allow_gc=False, return_list=True)
    assert isinstance(r, list) and len(r) == 1 and not upd
    f = theano.function([x], r[0])
    np.testing.assert_allclose(f(np.arange(3.0)), [0, 2, 4])
    buf = io.StringIO()
    theano.printing.debugprint(f, file=buf)
    assert "doubler" in buf.getvalue()


def test_one_step_until_and_outputs():
    # Theano's one-step special case (n_steps=1): the outputs keep their time axis, an until is ignored
    x = T.vector("x")
    r, _ = theano.scan(lambda p: (p + 1, theano.scan_module.until(T.all(p > 100))), outputs_info=x, n_steps=1)
    np.testing.assert_allclose(theano.function([x], r)(np.zeros(2)), [[1, 1]])


def test_pickling_a_scan_graph():
    # T_Scan_Cuda.test_consistent_inner_fct (pickle.loads(pickle.dumps(output)) of a scan drawing MRG
    # numbers), on the default device: the unpickled graph compiles and runs
    import theano.sandbox.rng_mrg as rng_mrg

    rs = rng_mrg.MRG_RandomStreams(RNG_SEED)
    output, _ = theano.scan(lambda: rs.uniform((3,)), n_steps=3)
    again = pickle.loads(pickle.dumps(output))
    v = theano.function([], again)()
    assert v.shape == (3, 3) and np.all((v > 0) & (v < 1))

"""``theano.gradient`` against Theano 1.0's theano/tests/test_gradient.py, read as the
specification: ``TestConsiderConstant``/``TestZeroGrad``/``TestDisconnectedGrad``,
``test_grad_constant``, ``test_grad_name``, ``test_known_grads``, ``test_disconnected_cost_grad``,
and the keywords of ``theano.grad`` (``return_disconnected``, ``null_gradients``). Our own tests."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import framework.compat.theano as _compat

_compat.install()

import theano  # noqa: E402
import theano.tensor as T  # noqa: E402
from theano import gradient  # noqa: E402


def _same_grad(expr, x, want, a):
    g = gradient.grad(expr.sum(), x)
    f = theano.function([x], g, on_unused_input="ignore")
    f2 = theano.function([x], want, on_unused_input="ignore")
    np.testing.assert_allclose(f(a), f2(a))


@pytest.mark.parametrize("cut", ["consider_constant", "zero_grad"])
def test_consider_constant_and_zero_grad_give_a_connected_zero(cut):
    """TestConsiderConstant.test_grad / TestZeroGrad.test_grad: the gradient through the cut is
    zero, and ``grad(cut(x).sum(), x)`` is 0 rather than a DisconnectedInputError."""
    op = getattr(gradient, cut)
    x = T.matrix("x")
    a = np.random.RandomState(0).randn(3, 3)
    _same_grad(x * op(x), x, x, a)
    _same_grad(x * op(T.exp(x)), x, T.exp(x), a)
    _same_grad(op(x), x, T.constant(0.0), a)
    _same_grad(x ** 2 * op(x), x, 2 * x ** 2, a)
    assert T.consider_constant is gradient.consider_constant


def test_disconnected_grad_disconnects():
    """TestDisconnectedGrad.test_disconnected_paths."""
    x = T.matrix("x")
    with pytest.raises(gradient.DisconnectedInputError):
        gradient.grad(gradient.disconnected_grad(x).sum(), x)
    gradient.grad((x + gradient.disconnected_grad(x)).sum(), x)


def test_grad_wrt_a_variable_in_consider_constant_is_its_own_gradient():
    """test_grad_constant: consider_constant=[x] stops what flows *past* x, and the gradient with
    respect to x itself is the same as with respect to a constant."""
    x, y = T.scalar(), T.scalar()
    one = T.as_tensor_variable(1.0)
    g_x = T.grad(x + y, x, consider_constant=[x])
    g_one = T.grad(one + y, one)
    assert np.allclose(theano.function([x, y], [g_x, g_one])(1, 0.5), [1.0, 1.0])


def test_grad_names_the_gradient():
    """test_grad_name: ``(df/dx)`` when the cost and the variable have names."""
    A = T.matrix("A")
    x = T.vector("x")
    f = T.dot(x, T.dot(A, x))
    f.name = "f"
    assert T.grad(f, x).name == "(df/dx)"
    assert theano.grad(f, x, add_names=False).name != "(df/dx)"


def test_tensor_grad_is_theanos():
    assert T.grad is theano.grad is gradient.grad
    v = T.vector("v")
    T.grad(v.sum(), v, null_gradients="return", add_names=False)   # Theano's keywords are accepted


def test_return_disconnected():
    v, w = T.vector("v"), T.vector("w")
    gv, gw = T.grad(v.sum(), [v, w], disconnected_inputs="ignore", return_disconnected="None")
    assert gw is None and gv is not None
    _, gw = T.grad(v.sum(), [v, w], disconnected_inputs="ignore", return_disconnected="Disconnected")
    assert isinstance(gw.type, gradient.DisconnectedType)
    _, gw = T.grad(v.sum(), [v, w], disconnected_inputs="ignore")
    np.testing.assert_allclose(gw.eval({w: np.ones(2)}), [0.0, 0.0])
    with pytest.raises(ValueError, match="return_disconnected"):
        T.grad(v.sum(), [v, w], disconnected_inputs="ignore", return_disconnected="none")
    with pytest.raises(ValueError, match="null_gradients"):
        T.grad(v.sum(), v, null_gradients="bogus")


def test_known_grads_disconnected_type_disconnects_the_cost():
    """test_disconnected_cost_grad."""
    x, y = T.scalar(), T.scalar()
    cost = x + y
    with pytest.raises(gradient.DisconnectedInputError):
        T.grad(cost, [x, y], known_grads={cost: gradient.DisconnectedType()()}, disconnected_inputs="raise")


def test_known_grads_match_the_plain_gradient():
    """test_known_grads, for two of its layers."""
    x = T.scalar("x")
    c = T.vector("c")
    y = c[1] * x ** 2
    cost = T.sqr(y)
    inputs = [c, x]
    values = [np.array([0.5, -1.5, 2.0]), 0.7]
    true = theano.function(inputs, T.grad(cost, inputs))(*values)
    for layer in ([cost], [y]):
        first = T.grad(cost, layer)
        full = T.grad(cost=None, known_grads=OrderedDict(zip(layer, first)), wrt=inputs)
        got = theano.function(inputs, full)(*values)
        for a, b in zip(true, got):
            np.testing.assert_allclose(a, b)


def test_gradient_wrt_an_integer_is_the_real_one():
    """Theano 1.0's ``test_grad_int``: ``dot(X, W) + b`` through a sigmoid, ``X`` an int32 matrix,
    gives the gradient a float64 ``X`` gets (framework's own ``grad`` gave zeros: silent)."""
    W, b = T.dmatrix("W"), T.dvector("b")

    def grad_fn(X):
        cost = T.nnet.sigmoid(T.dot(X, W) + b).sum()
        return theano.function([X, W, b], gradient.grad(cost, X), on_unused_input="ignore")

    rng = np.random.RandomState(0)
    xv = rng.randint(-3, 4, size=(4, 3)).astype("int32")
    wv, bv = rng.randn(3, 2), rng.randn(2)
    got = grad_fn(T.imatrix("X"))(xv, wv, bv)
    want = grad_fn(T.dmatrix("X"))(xv.astype("float64"), wv, bv)
    assert got.dtype.kind == "f"
    np.testing.assert_allclose(got, want, rtol=1e-12)
    iv = T.ivector("iv")
    np.testing.assert_array_equal(theano.function([iv], gradient.grad((iv * 2.5).sum(), iv))([1, 2]), [2.5, 2.5])


def test_integer_results_pass_no_gradient_and_an_integer_cost_is_allowed():
    """Through integer results only (``iv * 2``, a cast to int) the gradient is zero, connected (no
    disconnected error); an integer cost is allowed and its gradient wrt itself is 1."""
    iv, x = T.ivector("iv"), T.dvector("x")
    np.testing.assert_array_equal(theano.function([iv], gradient.grad((iv * 2).sum(), iv))([1, 2]), [0, 0])
    g = gradient.grad((T.cast(x * 3, "int32") * 0.5).sum(), x)
    np.testing.assert_array_equal(theano.function([x], g)([1.0, 2.0]), [0.0, 0.0])
    ix = T.iscalar("ix")
    assert float(theano.function([ix], gradient.grad(ix, ix))(7)) == 1.0
    # a float path and an integer path from the same input: only the float one counts
    g = gradient.grad((iv * 2.5).sum() + (iv * 3).sum(), iv)
    np.testing.assert_array_equal(theano.function([iv], g)([1, 2]), [2.5, 2.5])


def test_native_grad_keeps_integers_at_zero():
    """framework's own ``grad`` is unchanged: integers get zeros, an integer cost is an error."""
    import framework
    iv = T.ivector("iv")
    g = framework.grad((iv * 2.5).sum(), iv)
    np.testing.assert_array_equal(theano.function([iv], g)([1, 2]), [0.0, 0.0])
    with pytest.raises(TypeError, match="integer dtype"):
        framework.grad(iv.sum(), iv)
    with pytest.raises(ValueError, match="int_grads"):
        framework.grad((iv * 2.5).sum(), iv, int_grads="float")


def test_an_integer_index_gets_a_zero_gradient():
    """An integer that only selects (an index) is a step: zero, whatever the mode of ``grad``."""
    x, iv = T.dvector("x"), T.ivector("iv")
    g = gradient.grad((x[iv] * 2.0).sum(), iv)
    f = theano.function([x, iv], g, on_unused_input="ignore")
    np.testing.assert_array_equal(f([1.0, 2.0, 3.0], [0, 2]), [0.0, 0.0])


# --- grad_clip, grad_scale (test_grad_clip, the grad_scale docstring) ---------------------------

def test_grad_clip_clips_the_gradient_and_leaves_the_compiled_graph():
    """test_grad_clip: ``grad(grad_clip(x, -1, 1)**2, x)`` at 2 is 1 (the plain gradient 4,
    clipped), and no GradClip node is left in a FAST_RUN graph (the forward pass pays nothing)."""
    x = T.scalar()
    z = T.grad(gradient.grad_clip(x, -1, 1) ** 2, x)
    z2 = T.grad(x ** 2, x)
    f = theano.function([x], outputs=[z, z2])
    assert not any(isinstance(n.op, gradient.GradClip) for n in f.maker.fgraph.toposort())
    np.testing.assert_allclose(f(2.0), [1.0, 4.0])
    np.testing.assert_allclose(f(-3.0), [-1.0, -6.0])      # clipped from below too
    np.testing.assert_allclose(f(0.25), [0.5, 0.5])        # inside the bounds: unchanged
    # element-wise, on a matrix, with the forward value untouched
    m = T.dmatrix("m")
    clipped = gradient.grad_clip(m, -0.5, 2.0)
    g = T.grad((clipped * [[1.0, -3.0], [1.5, 0.1]]).sum(), m)
    fv, gv = theano.function([m], [clipped, g])(np.arange(4.0).reshape(2, 2))
    np.testing.assert_allclose(fv, np.arange(4.0).reshape(2, 2))
    np.testing.assert_allclose(gv, [[1.0, -0.5], [1.5, 0.1]])


def test_grad_clip_bounds():
    x = T.scalar()
    with pytest.raises(ValueError, match="lower bound"):
        gradient.grad_clip(x, 1, -1)
    with pytest.raises(TypeError, match="0-d"):
        gradient.grad_clip(x, T.vector(), 1)
    lo = T.scalar("lo")                                    # a symbolic bound: no gradient of its own
    g = T.grad(gradient.grad_clip(x, lo, 1) ** 2, [x, lo], disconnected_inputs="ignore")
    np.testing.assert_allclose(theano.function([x, lo], g)(-2.0, -3.0), [-3.0, 0.0])


def test_grad_clip_inside_scan_is_still_applied_after_compiling_the_loop():
    v = T.dvector("v")
    out, _ = theano.scan(lambda xi: gradient.grad_clip(xi, -1, 1) ** 2, sequences=v)
    np.testing.assert_allclose(theano.function([v], out)([2.0, 0.3]), [4.0, 0.09])
    np.testing.assert_allclose(theano.function([v], T.grad(out.sum(), v))([2.0, 0.3]), [1.0, 0.6])


def test_grad_scale_multiplies_the_gradient():
    """Theano's ``grad_scale`` docstring: the gradient of ``sin`` at 2 is -0.416; through
    ``grad_scale(fx, -1)`` it is 0.416. ``grad_scale(x, 2)**2`` at 2: 8 (4 doubled)."""
    x = T.dscalar("x")
    fx = T.sin(x)
    fp = theano.function([x], T.grad(fx, x))
    fpp = theano.function([x], T.grad(gradient.grad_scale(fx, -1.0), x))
    np.testing.assert_allclose(fp(2.0), np.cos(2.0))
    np.testing.assert_allclose(fpp(2.0), -np.cos(2.0))
    f = theano.function([x], [T.grad(gradient.grad_scale(x, 2) ** 2, x), gradient.grad_scale(x, 2)])
    assert not any(isinstance(n.op, gradient.GradScale) for n in f.maker.fgraph.toposort())
    np.testing.assert_allclose(f(2.0), [8.0, 2.0])
    lam = T.dscalar("lam")                                 # a symbolic multiplier (gradient reversal)
    g = T.grad((gradient.grad_scale(x, -lam) * 3.0), x)
    assert theano.function([x, lam], g)(1.0, 0.5) == -1.5
    fv = T.fvector("fv")                                   # the gradient keeps the variable's dtype
    assert T.grad(gradient.grad_scale(fv, lam).sum(), fv).dtype == "float32"


def test_gradient_cuts_leave_the_compiled_graph():
    """TestZeroGrad/TestDisconnectedGrad/TestConsiderConstant.test_op_removed; FAST_COMPILE keeps
    them (Theano's test skips that mode too) and computes the same values."""
    x = T.matrix("x")
    a = np.arange(4.0).reshape(2, 2)
    for cut, op in ((gradient.zero_grad, gradient.zero_grad_), (gradient.disconnected_grad, gradient.disconnected_grad_),
                    (gradient.consider_constant, gradient.consider_constant_)):
        y = x * cut(x)
        f = theano.function([x], y)
        assert op not in [n.op for n in f.maker.fgraph.toposort()]
        np.testing.assert_allclose(f(a), a * a)
        np.testing.assert_allclose(theano.function([x], y, mode="FAST_COMPILE")(a), a * a)


# --- null gradients: NullType, grad_undefined, grad_not_implemented (test_grad, test_undefined_cost_grad)

def _op_with_gradient(rule):
    from framework.core.graph import Apply
    from framework.core.op import Op

    class Dummy(Op):
        name = "dummy"

        def make_node(self, x):
            x = T.as_tensor_variable(x)
            return Apply(self, [x], [x.type])

        def impl(self, xp, x):
            return x * 2

        def grad(self, node, output_grads):
            return [rule(self, 0, node.inputs[0])]

    return Dummy()


@pytest.mark.parametrize("rule", ["grad_undefined", "grad_not_implemented"])
def test_null_gradients_raise_a_type_error_where_they_reach_a_wrt(rule):
    """test_unimplemented_grad_grad / test_undefined_grad_grad: ``grad`` raises a TypeError
    (``NullTypeGradError``) naming the op; with null_gradients='return' the null variable comes
    back; a gradient that does not go through the op is unaffected."""
    make = getattr(gradient, rule)
    op = _op_with_gradient(make)
    a, b = T.dscalar("a"), T.dscalar("b")
    cost = op(a) * 3 + b ** 2
    with pytest.raises(TypeError, match="dummy") as info:
        gradient.grad(cost, a)
    assert isinstance(info.value, gradient.NullTypeGradError)
    word = "undefined" if rule == "grad_undefined" else "not implemented"
    assert word in str(info.value)
    ga, gb = gradient.grad(cost, [a, b], null_gradients="return")
    assert isinstance(ga.type, gradient.NullType)
    assert theano.function([a, b], gb, on_unused_input="ignore")(0.0, 1.5) == 3.0
    # the null gradient spreads through the ops it meets, and through sums
    c = T.dscalar("c")
    with pytest.raises(gradient.NullTypeGradError):
        gradient.grad(T.exp(op(a * c)) + a, c)
    # but disconnected_grad stops it
    assert theano.function([a], gradient.grad(gradient.disconnected_grad(op(a)) + a, a))(1.0) == 1.0


@pytest.mark.parametrize("rule", ["grad_undefined", "grad_not_implemented"])
def test_a_null_gradient_cannot_be_compiled(rule):
    """test_unimplemented_grad_func / test_undefined_grad_func: a TypeError from ``function``."""
    a = T.vector()
    b = getattr(gradient, rule)(T.add, 0, a)
    with pytest.raises(TypeError, match="null gradient"):
        theano.function([a], b, on_unused_input="ignore")


def test_known_grads_null_type_makes_the_gradient_null():
    """test_undefined_cost_grad."""
    x, y = T.iscalar(), T.iscalar()
    cost = x + y
    with pytest.raises(gradient.NullTypeGradError):
        T.grad(cost, [x, y], known_grads={cost: gradient.NullType()()})
    gx, gy = T.grad(cost, [x, y], known_grads={cost: gradient.NullType("why")()}, null_gradients="return")
    assert gx.type == gradient.NullType("why") and gx.type.why_null == "why"


def test_native_grad_null_gradients_keyword():
    import framework
    from framework.core.grad import NullTypeGradError

    x = T.dscalar("x")
    cost = _op_with_gradient(gradient.grad_undefined)(x)
    with pytest.raises(NullTypeGradError):
        framework.grad(cost, x)
    assert isinstance(framework.grad(cost, x, null_gradients="return").type, gradient.NullType)
    with pytest.raises(ValueError, match="null_gradients"):
        framework.grad(cost, x, null_gradients="ignore")


# --- subgraph_grad (test_subgraph_grad) ---------------------------------------------------------

def test_subgraph_grad_matches_the_full_gradient():
    """test_subgraph_grad: back-propagating a two-layer net one block at a time gives the full
    gradient."""
    rng = np.random.RandomState(0)
    x, t = T.fvector("x"), T.fvector("t")
    w1 = theano.shared(rng.randn(3, 4))
    w2 = theano.shared(rng.randn(4, 2))
    a1 = T.tanh(T.dot(x, w1))
    a2 = T.tanh(T.dot(a1, w2))
    cost2 = T.sqr(a2 - t).sum() + T.sqr(w2.sum())
    cost1 = T.sqr(w1.sum())
    inputs = [t, x]
    values = [rng.randn(2).astype("float32"), rng.randn(3).astype("float32")]
    true = theano.function(inputs, theano.grad(cost2 + cost1, [w2, w1]))(*values)
    next_grad, param_grads = None, []
    for params, cost, ends in (([w2], cost2, [a1]), ([w1], cost1, [x])):
        param_grad, end_grad = theano.subgraph_grad(wrt=params, end=ends, start=next_grad, cost=cost)
        next_grad = OrderedDict(zip(ends, end_grad))
        param_grads.extend(param_grad)
    got = theano.function(inputs, param_grads)(*values)
    for a, b in zip(true, got):
        assert np.sum(np.abs(a - b)) < 1e-5
    # details: the part of start and the part of cost, over wrt + end
    w, e, from_start, from_cost = gradient.subgraph_grad([w2], [a1], cost=cost2, details=True)
    assert from_start is None and len(from_cost) == 2
    with pytest.raises(ValueError, match="cost"):
        gradient.subgraph_grad([w2], [a1])
    with pytest.raises(TypeError, match="list"):
        gradient.subgraph_grad(w2, [a1], cost=cost2)


# --- numeric_grad and undefined_grad (Theano 1.0's theano.gradient) -------------------------------

def test_numeric_grad_estimates_and_compares():
    from theano.gradient import numeric_grad

    a, b = np.array([1.0, 2.0]), np.array([[3.0], [4.0]])
    ng = numeric_grad(lambda u, v: float((u ** 2).sum() + (u * v.ravel()).sum()), [a, b])
    assert [g.shape for g in ng.gf] == [(2,), (2, 1)]
    np.testing.assert_allclose(ng.gf[0], 2 * a + b.ravel(), atol=1e-5)
    np.testing.assert_allclose(ng.gf[1], a.reshape(2, 1), atol=1e-5)
    arg, pos, abs_err, rel_err = ng.max_err([2 * a + b.ravel(), np.array([[1.0], [2.5]])], 1e-4, 1e-4)
    assert (arg, pos) == (1, 1) and abs_err == pytest.approx(0.5, abs=1e-4)
    with pytest.raises(ValueError, match="shape"):
        ng.max_err([a, a], 1e-4, 1e-4)
    with pytest.raises(ValueError, match="2 inputs"):
        ng.abs_rel_errors([a])
    single = numeric_grad(lambda u: float(np.sin(u).sum()), np.array([0.5, 1.0], dtype="float32"))
    assert single.gf.dtype == np.float32 and single.eps == numeric_grad.type_eps["float32"]
    np.testing.assert_allclose(single.gf, np.cos([0.5, 1.0]), atol=2e-3)
    with pytest.raises(TypeError, match="float16, float32 or float64"):
        numeric_grad(lambda u: 0.0, np.array([1, 2]))


def test_undefined_grad_is_identity_with_a_null_gradient():
    import theano
    import theano.tensor as T
    from theano.gradient import NullTypeGradError, undefined_grad

    x = T.dvector("x")
    y = undefined_grad(x) * 2
    np.testing.assert_array_equal(theano.function([x], y)(np.array([1.0, 2.0])), [2.0, 4.0])
    with pytest.raises(NullTypeGradError, match="undefined_grad"):
        theano.grad(y.sum(), x)
    z = T.dvector("z")  # a gradient that does not pass through it is unaffected
    np.testing.assert_array_equal(theano.function([x, z], theano.grad((y * z).sum(), z))([1.0, 2.0], [0.0, 0.0]),
                                  [2.0, 4.0])


def test_a_null_gradient_does_not_flow_into_what_an_op_reads_only_for_its_shape():
    """Theano's connection pattern: ``fill(a, b)`` (``second``) reads ``a`` only for its shape, so
    a null gradient reaching it goes to ``b`` only -- ``jv(v, x)`` broadcasts ``v`` against ``x``
    that way, and its gradient in ``x`` must not become null because the one in ``v`` is."""
    op = _op_with_gradient(gradient.grad_not_implemented)
    a, b = T.dvector("a"), T.dvector("b")
    cost = (op(T.second(a, b)) + a * 2).sum()
    assert np.array_equal(theano.function([a, b], gradient.grad(cost, a))(np.ones(3), np.ones(3)), 2 * np.ones(3))
    with pytest.raises(gradient.NullTypeGradError):
        gradient.grad(cost, b)
    x, v = T.dvector("x"), T.dvector("v")
    gx = theano.function([v, x], T.grad(T.jv(v, x).sum(), x))(np.array([0.0, 1.0]), np.array([1.0, 2.0]))
    import scipy.special as sp
    np.testing.assert_allclose(gx, [-sp.j1(1.0), (sp.jv(0, 2.0) - sp.jv(2, 2.0)) / 2])
    with pytest.raises(gradient.NullTypeGradError, match="jv"):
        T.grad(T.jv(v, x).sum(), v)


def test_a_disconnected_integer_wrt_is_disconnected_under_theanos_rule():
    """Theano 1.0 raised ``DisconnectedInputError`` for any ``wrt`` the cost does not depend on,
    integers included (framework's own ``grad`` gives integers zeros, connected or not); an integer
    the cost depends on through integer results only gets zeros, as before."""
    import theano
    import theano.tensor as T

    a, b = T.lscalar("a"), T.lscalar("b")
    with pytest.raises(theano.gradient.DisconnectedInputError, match="does not depend on b"):
        T.grad(a * 2, b)
    g = T.grad(a * 2, [a, b], disconnected_inputs="ignore")
    assert [float(v) for v in theano.function([a, b], g, on_unused_input="ignore")(3, 4)] == [0.0, 0.0]
    x = T.dscalar("x")
    assert float(theano.function([x, a], T.grad(x * T.cast(a, "float64"), a))(2.0, 3)) == 2.0

"""Theano 1.0's ``theano.tensor.nnet`` (activations, softmax, losses, batch normalization) as the
specification: values in float32 and float64 (extreme inputs included, where Theano's
stabilisation gives finite results), output dtypes and shapes, gradients by finite differences,
and errors for wrong ranks.

Followed: Theano 1.0's theano/tensor/nnet/tests/test_sigm.py (T_sigmoid, T_softplus,
UltraFastSigmoidTester and HardSigmoidTester: the approximations are their own formulas from
sigm.py, not the exact sigmoid; T_sigmoid_opts' log(sigmoid) stabilisation), test_nnet.py
(T_SoftmaxWithBias, T_Softmax, T_LogSoftmax incl. test_local_softmax_optimization and
test_isclose, T_CrossentropySoftmax1Hot, T_CrossentropySoftmaxArgmax1HotWithBias,
T_CrossentropyCategorical1Hot incl. test_crossentropy_softmax_1hot_with_bias_dxcale_cost and the
stabilised log(softmax) cost, T_prepend, test_relu, test_elu, test_selu, test_h_softmax,
T_sigmoid_binary_crossentropy, test_binary_crossentropy) and test_bn.py
(test_batch_normalization, test_batch_normalization_train, test_batch_normalization_test,
test_batch_normalization_broadcastable)."""
from __future__ import annotations

import numpy as np
import pytest

MODES = ["FAST_RUN", "FAST_COMPILE"]
DTYPES = ["float32", "float64"]
rng = np.random.RandomState(23)

# Theano 1.0's formulas (sigm.py, nnet.py), in NumPy
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def np_ultra_fast_sigmoid(x):
    h = 0.5 * np.abs(x.astype(np.float64))
    z = np.where(h < 1.7, 1.5 * h / (1 + h), np.where(h < 3, 0.935409070603099 + 0.0458812946797165 * (h - 1.7),
                                                        0.99505475368673))
    return 0.5 * (np.where(x >= 0, z, -z) + 1.0)


def np_sigmoid(x):
    return np.exp(-np.logaddexp(0, -x.astype(np.float64)))


def np_log_softmax(x):
    x = x.astype(np.float64)
    s = x - x.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def tol(dtype):
    return dict(rtol=2e-6, atol=2e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)


EXTREME = np.array([-1000.0, -100.0, -30.0, -5.0, -3.4, -2.5, -1.0, 0.0, 0.5, 1.0, 2.5, 3.4, 5.0, 30.0, 100.0,
                    1000.0])


# --- element-wise activations -------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_activations_values_and_dtypes_as_theano(dtype, mode):
    import theano
    import theano.tensor as T

    x = T.vector("x", dtype=dtype)
    v = EXTREME.astype(dtype)
    names = ["sigmoid", "softplus", "ultra_fast_sigmoid", "hard_sigmoid", "softsign", "relu", "elu", "selu"]
    outs = [getattr(T.nnet, n)(x) for n in names] + [T.nnet.relu(x, 0.1), T.nnet.elu(x, 0.5)]
    got = dict(zip(names + ["leaky", "elu_half"], theano.function([x], outs, mode=mode)(v)))
    v64 = v.astype(np.float64)
    want = {
        "sigmoid": np_sigmoid(v64),
        "softplus": np.logaddexp(0, v64),
        "ultra_fast_sigmoid": np_ultra_fast_sigmoid(v64),
        "hard_sigmoid": np.clip(0.2 * v64 + 0.5, 0, 1),
        "softsign": v64 / (1 + np.abs(v64)),
        "relu": np.maximum(v64, 0),
        "elu": np.where(v64 > 0, v64, np.expm1(np.minimum(v64, 0))),
        "selu": SELU_SCALE * np.where(v64 > 0, v64, SELU_ALPHA * np.expm1(np.minimum(v64, 0))),
        "leaky": np.where(v64 > 0, v64, 0.1 * v64),
        "elu_half": np.where(v64 > 0, v64, 0.5 * np.expm1(np.minimum(v64, 0))),
    }
    for name, w in want.items():
        out = got[name]
        assert out.dtype == dtype and out.shape == v.shape, name
        assert np.all(np.isfinite(out)), name
        np.testing.assert_allclose(out, w.astype(dtype), err_msg=name, **tol(dtype))


def test_sigmoid_approximations_are_theanos_formulas_not_the_sigmoid():
    import theano.tensor as T

    x = T.dvector("x")
    v = np.array([-1.0, 1.0, 4.0, 7.0])
    uf = T.nnet.ultra_fast_sigmoid(x).eval({x: v})
    hs = T.nnet.hard_sigmoid(x).eval({x: v})
    # 1.5 * 0.5 / 1.5 = 0.5 -> 0.75; 0.935409... + 0.0458812...*(2 - 1.7); the constant beyond |x| = 6
    np.testing.assert_allclose(uf, [0.25, 0.75, 0.5 * (1 + 0.935409070603099 + 0.0458812946797165 * 0.3),
                                    0.5 * (1 + 0.99505475368673)], rtol=1e-14)
    np.testing.assert_allclose(hs, [0.3, 0.7, 1.0, 1.0], rtol=1e-14)
    assert np.abs(uf - np_sigmoid(v)).max() > 0.01  # not the exact sigmoid


def test_integer_inputs_compute_in_theanos_float_dtype():
    """Theano's upgrade_to_float: 8- and 16-bit integers give float32, wider ones float64 (NumPy's
    exp of an int8 would be float16; Theano's ScalarSigmoid says it wants float32 there)."""
    import theano
    import theano.tensor as T

    names = ["sigmoid", "softplus", "ultra_fast_sigmoid", "hard_sigmoid", "softsign", "relu", "elu", "selu",
             "softmax", "logsoftmax"]
    for dtype, want in (("int8", "float32"), ("uint8", "float32"), ("int16", "float32"), ("int32", "float64"),
                        ("int64", "float64")):
        x = T.vector("x", dtype=dtype)
        outs = [getattr(T.nnet, n)(x) for n in names]
        assert [o.dtype for o in outs] == [want] * len(names), dtype
        v = np.array([0, 2, 5] if dtype == "uint8" else [-3, 0, 2], dtype)
        for name, got, ref in zip(names, theano.function([x], outs)(v), theano.function(
                [x], [getattr(T.nnet, n)(T.cast(x, want)) for n in names])(v)):
            np.testing.assert_array_equal(got, ref, err_msg=name)


def test_relu_of_integers_is_a_float_as_theano():
    """Theano 1.0's relu is ``0.5 * (x + abs(x))``: an int32 input gives float64, an int8 float32."""
    import theano.tensor as T

    for dtype, want in (("int8", "float32"), ("int16", "float32"), ("int32", "float64"), ("int64", "float64")):
        x = T.vector(dtype=dtype)
        for out in (T.nnet.relu(x), T.nnet.relu(x, 0.5)):
            assert out.dtype == want, (dtype, out.dtype)
            np.testing.assert_array_equal(T.nnet.relu(x).eval({x: np.array([-3, 0, 4], dtype)}), [0, 0, 4])
    x = T.bvector()
    np.testing.assert_array_equal(T.nnet.relu(x, 0.5).eval({x: np.array([-3, 0, 4], "int8")}), [-1.5, 0, 4])


def test_relu_alpha_may_be_a_tensor():
    import theano
    import theano.tensor as T

    x, a = T.dvector("x"), T.dscalar("a")
    f = theano.function([x, a], T.nnet.relu(x, a))
    np.testing.assert_allclose(f(np.array([-2.0, 3.0]), 0.25), [-0.5, 3.0])
    np.testing.assert_allclose(f(np.array([-2.0, 3.0]), 0.0), [0.0, 3.0])


@pytest.mark.parametrize("mode", MODES)
def test_activation_gradients(mode):
    import theano.tensor as T

    # points away from the kinks of relu, hard_sigmoid, ultra_fast_sigmoid
    pt = np.array([[-4.1, -2.0, -0.7, 0.3], [0.9, 1.8, 2.6, 4.4]])
    for fn in (T.nnet.sigmoid, T.nnet.softplus, T.nnet.softsign, T.nnet.relu, lambda a: T.nnet.relu(a, 0.3),
               T.nnet.elu, lambda a: T.nnet.elu(a, 0.5), T.nnet.selu, T.nnet.hard_sigmoid,
               T.nnet.ultra_fast_sigmoid):
        T.verify_grad(fn, [pt], rng=rng, mode=mode)


@pytest.mark.parametrize("mode", MODES)
def test_sigmoid_and_softplus_gradients_finite_at_extremes(mode):
    import theano
    import theano.tensor as T

    x = T.dvector("x")
    f = theano.function([x], [T.grad(T.nnet.sigmoid(x).sum(), x), T.grad(T.nnet.softplus(x).sum(), x)], mode=mode)
    gs, gp = f(EXTREME)
    s = np_sigmoid(EXTREME)
    np.testing.assert_allclose(gs, s * (1 - s), atol=1e-15)
    np.testing.assert_allclose(gp, s, atol=1e-15)


def test_log_sigmoid_is_stabilised_as_theano():
    """test_sigm.py's logsigm_to_softplus / log1msigm_to_softplus: finite in FAST_RUN."""
    import theano
    import theano.tensor as T

    x = T.dvector("x")
    f = theano.function([x], [T.log(T.nnet.sigmoid(x)), T.log(1 - T.nnet.sigmoid(x))], mode="FAST_RUN")
    a, b = f(np.array([-1000.0, 1000.0]))
    np.testing.assert_allclose(a, [-1000.0, 0.0])
    np.testing.assert_allclose(b, [0.0, -1000.0])


# --- softmax / logsoftmax -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_softmax_and_logsoftmax_as_theano(dtype, mode):
    import theano
    import theano.tensor as T

    m, v = T.matrix("m", dtype=dtype), T.vector("v", dtype=dtype)
    mv = np.array([[0.0, 1000.0, 3.0], [1.0, 2.0, 3.0], [-1000.0, -1000.0, -999.0]], dtype)
    vv = np.array([1.0, -2.0, 700.0], dtype)
    f = theano.function([m, v], [T.nnet.softmax(m), T.nnet.logsoftmax(m), T.nnet.softmax(v), T.nnet.logsoftmax(v),
                                 T.nnet.log_softmax(m)], mode=mode)
    sm, lsm, smv, lsmv, lsm2 = f(mv, vv)
    assert sm.shape == lsm.shape == (3, 3) and smv.shape == lsmv.shape == (1, 3)  # a vector is padded to a row
    for out in (sm, lsm, smv, lsmv):
        assert out.dtype == dtype and np.all(np.isfinite(out))
    np.testing.assert_allclose(lsm, np_log_softmax(mv).astype(dtype), **tol(dtype))
    np.testing.assert_allclose(sm, np.exp(np_log_softmax(mv)).astype(dtype), **tol(dtype))
    np.testing.assert_allclose(lsmv, np_log_softmax(vv[None]).astype(dtype), **tol(dtype))
    np.testing.assert_allclose(smv.sum(axis=1), [1.0], **tol(dtype))
    np.testing.assert_array_equal(lsm, lsm2)
    assert T.nnet.softmax(v).broadcastable == (True, False)


def test_log_of_softmax_is_stabilised_in_fast_run():
    """T_LogSoftmax.test_local_softmax_optimization: log(softmax(x)) gives logsoftmax's finite values."""
    import theano
    import theano.tensor as T

    x = T.dmatrix("x")
    v = np.array([[0.0, 1000.0, 3.0]])
    out = theano.function([x], T.log(T.nnet.softmax(x)), mode="FAST_RUN")(v)
    np.testing.assert_allclose(out, [[-1000.0, 0.0, -997.0]])


@pytest.mark.parametrize("mode", MODES)
def test_softmax_gradients(mode):
    import theano.tensor as T

    for fn in (T.nnet.softmax, T.nnet.logsoftmax, lambda a: T.nnet.softmax(a) * np.arange(4.0),
               lambda a: T.nnet.softmax(a[0]), lambda a: T.nnet.logsoftmax(a[1])):
        T.verify_grad(fn, [rng.randn(3, 4)], rng=rng, mode=mode)


def test_softmax_rank_errors():
    import theano.tensor as T

    with pytest.raises(TypeError, match="softmax needs at least one dimension"):
        T.nnet.softmax(T.dscalar())
    with pytest.raises(TypeError, match="log_softmax needs at least one dimension"):
        T.nnet.logsoftmax(T.dscalar())


# --- softmax_with_bias and the fused cross-entropies --------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_crossentropy_softmax_family_as_theano(dtype, mode):
    import theano
    import theano.tensor as T

    x, b, y = T.matrix("x", dtype=dtype), T.vector("b", dtype=dtype), T.ivector("y")
    xv = np.array([[0.0, 1000.0, 3.0], [1.0, 2.0, 3.0], [-50.0, 4.0, 4.0]], dtype)
    bv = np.array([0.5, -1.0, 0.0], dtype)
    yv = np.array([0, 2, 1], "int32")
    nll, sm, am = T.nnet.crossentropy_softmax_argmax_1hot_with_bias(x, b, y)
    nll2, sm2 = T.nnet.crossentropy_softmax_1hot_with_bias(x, b, y)
    nll3, sm3 = T.nnet.crossentropy_softmax_1hot(x, y)
    nll4, sm4, mx4, am4 = T.nnet.crossentropy_softmax_max_and_argmax_1hot_with_bias(x, b, y)
    smb = T.nnet.softmax_with_bias(x, b)
    f = theano.function([x, b, y], [nll, sm, am, nll2, sm2, nll3, sm3, nll4, mx4, am4, smb], mode=mode)
    r = f(xv, bv, yv)
    lsm = np_log_softmax(xv + bv)
    want_nll = -lsm[np.arange(3), yv]  # 1000.5 for the first row: finite though softmax underflows there
    assert r[0].dtype == r[1].dtype == dtype and r[2].dtype == "int32" and r[0].shape == (3,)
    assert np.all(np.isfinite(r[0]))
    np.testing.assert_allclose(r[0], want_nll.astype(dtype), **tol(dtype))
    np.testing.assert_allclose(r[1], np.exp(lsm).astype(dtype), **tol(dtype))
    np.testing.assert_array_equal(r[2], np.argmax(xv + bv, axis=1))
    np.testing.assert_array_equal(r[3], r[0])
    np.testing.assert_array_equal(r[4], r[1])
    np.testing.assert_allclose(r[5], (-np_log_softmax(xv)[np.arange(3), yv]).astype(dtype), **tol(dtype))
    np.testing.assert_array_equal(r[7], r[0])
    np.testing.assert_allclose(r[8], np.exp(lsm).max(axis=1).astype(dtype), **tol(dtype))
    np.testing.assert_array_equal(r[9], np.argmax(xv + bv, axis=1))
    np.testing.assert_allclose(r[10], r[1], **tol(dtype))


@pytest.mark.parametrize("mode", MODES)
def test_crossentropy_softmax_gradients(mode):
    import theano.tensor as T

    yv = np.array([0, 2, 1], "int32")
    xv, bv = rng.randn(3, 4), rng.randn(4)
    T.verify_grad(lambda x, b: T.nnet.crossentropy_softmax_argmax_1hot_with_bias(x, b, yv)[0], [xv, bv],
                  rng=rng, mode=mode)
    T.verify_grad(lambda x, b: T.nnet.crossentropy_softmax_1hot_with_bias(x, b, yv)[1], [xv, bv], rng=rng,
                  mode=mode)
    T.verify_grad(lambda x: T.nnet.crossentropy_softmax_1hot(x, yv)[0], [xv], rng=rng, mode=mode)
    T.verify_grad(T.nnet.softmax_with_bias, [xv, bv], rng=rng, mode=mode)


def test_crossentropy_softmax_rank_errors():
    import theano.tensor as T

    with pytest.raises(ValueError, match="x must be a matrix"):
        T.nnet.softmax_with_bias(T.dvector(), T.dvector())
    with pytest.raises(ValueError, match="b must be a vector"):
        T.nnet.softmax_with_bias(T.dmatrix(), T.dmatrix())
    with pytest.raises(ValueError, match="x must be a matrix"):
        T.nnet.crossentropy_softmax_1hot(T.dtensor3(), T.ivector())
    with pytest.raises(TypeError, match="y_idx must be a vector of integer"):
        T.nnet.crossentropy_softmax_1hot(T.dmatrix(), T.dvector())
    with pytest.raises(TypeError, match="y_idx must be a vector of integer"):
        T.nnet.crossentropy_softmax_argmax_1hot_with_bias(T.dmatrix(), T.dvector(), T.imatrix())


# --- categorical / binary cross-entropy ---------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_categorical_crossentropy_one_hot_and_indices_as_theano(dtype, mode):
    import theano
    import theano.tensor as T

    p, t, y = T.matrix("p", dtype=dtype), T.matrix("t", dtype=dtype), T.ivector("y")
    pv = np.array([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]], dtype)
    yv = np.array([1, 2], "int32")
    tv = np.eye(3, dtype=dtype)[yv]
    f = theano.function([p, t, y], [T.nnet.categorical_crossentropy(p, t), T.nnet.categorical_crossentropy(p, y),
                                    T.nnet.crossentropy_categorical_1hot(p, y)], mode=mode)
    a, b, c = f(pv, tv, yv)
    want = -np.log(pv.astype(np.float64)[np.arange(2), yv])
    for out in (a, b, c):
        assert out.dtype == dtype and out.shape == (2,)
        np.testing.assert_allclose(out, want.astype(dtype), **tol(dtype))


@pytest.mark.parametrize("mode", MODES)
def test_categorical_crossentropy_gradients_and_stabilised_softmax(mode):
    import theano
    import theano.tensor as T

    yv = np.array([1, 0, 2], "int32")
    tv = np.eye(3)[yv]
    pv = np.exp(np_log_softmax(rng.randn(3, 3)))
    T.verify_grad(lambda p: T.nnet.categorical_crossentropy(p, yv), [pv], rng=rng, mode=mode)
    T.verify_grad(lambda p: T.nnet.categorical_crossentropy(p, tv), [pv], rng=rng, mode=mode)
    T.verify_grad(lambda x: T.nnet.categorical_crossentropy(T.nnet.softmax(x), yv), [rng.randn(3, 3)], rng=rng,
                  mode=mode)
    if mode == "FAST_RUN":  # Theano's crossentropy_to_crossentropy_with_softmax: finite where softmax underflows
        x, y = T.dmatrix("x"), T.ivector("y")
        f = theano.function([x, y], T.nnet.categorical_crossentropy(T.nnet.softmax(x), y), mode=mode)
        np.testing.assert_allclose(f(np.array([[0.0, 1000.0, 3.0]]), np.array([0], "int32")), [1000.0])


def test_categorical_crossentropy_rank_errors():
    import theano.tensor as T

    with pytest.raises(TypeError, match="true_dist must be class indices"):
        T.nnet.categorical_crossentropy(T.dmatrix(), T.dtensor3())
    with pytest.raises(TypeError, match="must hold integer class indices"):
        T.nnet.categorical_crossentropy(T.dmatrix(), T.dvector())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_binary_crossentropies_as_theano(dtype, mode):
    import theano
    import theano.tensor as T

    o, t = T.matrix("o", dtype=dtype), T.matrix("t", dtype=dtype)
    ov = np.array([[0.1, 0.5, 0.9], [0.3, 0.99, 0.01]], dtype)
    logits = np.array([[-1000.0, -30.0, -1.0], [0.0, 2.0, 1000.0]], dtype)
    tv = np.array([[0.0, 1.0, 0.3], [1.0, 0.5, 0.0]], dtype)
    bce = theano.function([o, t], T.nnet.binary_crossentropy(o, t), mode=mode)(ov, tv)
    sbce = theano.function([o, t], T.nnet.sigmoid_binary_crossentropy(o, t), mode=mode)(logits, tv)
    o64, t64, z64 = ov.astype(np.float64), tv.astype(np.float64), logits.astype(np.float64)
    assert bce.dtype == sbce.dtype == dtype and bce.shape == sbce.shape == (2, 3)
    np.testing.assert_allclose(bce, -(t64 * np.log(o64) + (1 - t64) * np.log(1 - o64)).astype(dtype),
                               rtol=1e-5 if dtype == "float32" else 1e-12)
    # Theano's formula: softplus(-|z|) + z * ((z > 0) - t), finite for every z
    want = np.logaddexp(0, -np.abs(z64)) + z64 * ((z64 > 0) - t64)
    assert np.all(np.isfinite(sbce))
    np.testing.assert_allclose(sbce, want.astype(dtype), **tol(dtype))


@pytest.mark.parametrize("mode", MODES)
def test_binary_crossentropy_gradients(mode):
    import theano
    import theano.tensor as T

    tv = rng.rand(2, 3)
    T.verify_grad(lambda o, t: T.nnet.binary_crossentropy(o, t), [rng.uniform(0.1, 0.9, (2, 3)), tv], rng=rng,
                  mode=mode)
    T.verify_grad(lambda z, t: T.nnet.sigmoid_binary_crossentropy(z, t), [rng.randn(2, 3), tv], rng=rng, mode=mode)
    # Theano's grad override: d/dz = sigmoid(z) - t, d/dt = -z (finite at extreme logits)
    z, t = T.dvector("z"), T.dvector("t")
    cost = T.nnet.sigmoid_binary_crossentropy(z, t).sum()
    f = theano.function([z, t], T.grad(cost, [z, t]), mode=mode)
    zv, tv = np.array([-1000.0, 0.0, 1000.0]), np.array([0.5, 1.0, 0.0])
    gz, gt = f(zv, tv)
    np.testing.assert_allclose(gz, np_sigmoid(zv) - tv)
    np.testing.assert_allclose(gt, -zv)


# --- h_softmax ----------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_h_softmax_as_theano(mode):
    """test_nnet.py's test_h_softmax: with a target, the target's column of the full output."""
    import theano
    import theano.tensor as T

    bs, dim, n_classes, per_class, n_outputs = 4, 5, 3, 3, 8  # 9 slots for 8 outputs: the last dropped
    W1, b1 = rng.randn(dim, n_classes), rng.randn(n_classes)
    W2, b2 = rng.randn(n_classes, dim, per_class), rng.randn(n_classes, per_class)
    x, y = T.dmatrix("x"), T.ivector("y")
    full = T.nnet.h_softmax(x, bs, n_outputs, n_classes, per_class, W1, b1, W2, b2)
    part = T.nnet.h_softmax(x, bs, n_outputs, n_classes, per_class, W1, b1, W2, b2, y)
    xv, yv = rng.randn(bs, dim), np.array([0, 7, 3, 5], "int32")
    fv, pv = theano.function([x, y], [full, part], mode=mode)(xv, yv)
    assert fv.shape == (bs, n_outputs) and pv.shape == (bs,)
    cls = np.exp(np_log_softmax(xv @ W1 + b1))
    inner = np.exp(np_log_softmax(np.einsum("bd,cdo->bco", xv, W2) + b2))
    np.testing.assert_allclose(fv, (cls[:, :, None] * inner).reshape(bs, -1)[:, :n_outputs], rtol=1e-12)
    np.testing.assert_allclose(pv, fv[np.arange(bs), yv], rtol=1e-12)


# --- batch normalization ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_normalization_as_theano(dtype):
    import theano
    import theano.tensor as T
    from theano.tensor.nnet import bn

    x, g, b, m, s = (T.matrix(n, dtype=dtype) for n in "xgbms")
    xv = rng.randn(4, 3).astype(dtype)
    gv, bv, mv, sv = (rng.rand(1, 3).astype(dtype) + 0.5 for _ in range(4))
    f = theano.function([x, g, b, m, s], [bn.batch_normalization(x, g, b, m, s),
                                          bn.batch_normalization(x, g, b, m, s, mode="high_mem")])
    low, high = f(xv, gv, bv, mv, sv)
    want = ((xv.astype(np.float64) - mv) / sv) * gv + bv
    for out in (low, high):
        assert out.dtype == dtype and out.shape == (4, 3)
        np.testing.assert_allclose(out, want.astype(dtype), rtol=1e-5 if dtype == "float32" else 1e-12)
    for fn in (bn.batch_normalization, lambda *a: bn.batch_normalization(*a, mode="high_mem")):
        T.verify_grad(fn, [rng.randn(4, 3), rng.rand(1, 3) + 0.5, rng.rand(1, 3), rng.rand(1, 3), rng.rand(1, 3) + 0.5],
                      rng=rng)
    with pytest.raises(ValueError, match="mode must be either"):
        bn.batch_normalization(x, g, b, m, s, mode="fast")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axes", ["per-activation", "spatial", (1, 2)])
@pytest.mark.parametrize("mode", MODES)
def test_batch_normalization_train_and_test_as_theano(dtype, axes, mode):
    import theano
    import theano.tensor as T
    from theano.tensor.nnet import bn

    ax = {"per-activation": (0,), "spatial": (0, 2, 3)}.get(axes, axes)
    x = T.tensor4("x", dtype=dtype)
    xv = (rng.randn(3, 2, 4, 5) * 3 + 1).astype(dtype)
    pshape = tuple(1 if i in ax else n for i, n in enumerate(xv.shape))
    gv, bv, rmv, rvv = (rng.rand(*pshape).astype(dtype) + 0.5 for _ in range(4))
    g, b, rm, rv = (T.tensor4(n, dtype=dtype) for n in ("g", "b", "rm", "rv"))
    eps, fac = 1e-3, 0.3
    out, mean, invstd, nrm, nrv = bn.batch_normalization_train(x, g, b, axes, eps, fac, rm, rv)
    test_out = bn.batch_normalization_test(x, g, b, rm, rv, axes, eps)
    f = theano.function([x, g, b, rm, rv], [out, mean, invstd, nrm, nrv, test_out], mode=mode)
    r = f(xv, gv, bv, rmv, rvv)
    x64 = xv.astype(np.float64)
    m64, v64 = x64.mean(ax, keepdims=True), x64.var(ax, keepdims=True)
    n = np.prod([xv.shape[a] for a in ax])
    want = [(x64 - m64) * (gv / np.sqrt(v64 + eps)) + bv, m64, 1 / np.sqrt(v64 + eps),
            rmv * (1 - fac) + m64 * fac, rvv * (1 - fac) + n / (n - 1) * v64 * fac,
            (x64 - rmv) * (gv / np.sqrt(rvv + eps)) + bv]
    shapes = [xv.shape, pshape, pshape, pshape, pshape, xv.shape]
    for i, (got, w, shp) in enumerate(zip(r, want, shapes)):
        assert got.dtype == dtype and got.shape == shp, i
        np.testing.assert_allclose(got, w.astype(dtype), rtol=2e-5 if dtype == "float32" else 1e-10,
                                   atol=2e-5 if dtype == "float32" else 1e-10, err_msg=str(i))
    # without running statistics: three outputs
    assert len(bn.batch_normalization_train(x, g, b, axes)) == 3


def test_batch_normalization_train_parameters_one_per_activation():
    """Parameters given without the normalized axes (a vector for 'per-activation' of a matrix, one
    value per channel for 'spatial'): the statistics come back in that form, as in Theano 1.0."""
    import theano
    import theano.tensor as T
    from theano.tensor.nnet import bn

    x, g, b, rm, rv = T.dtensor4("x"), T.dvector("g"), T.dvector("b"), T.dvector("rm"), T.dvector("rv")
    outs = bn.batch_normalization_train(x, g, b, "spatial", running_mean=rm, running_var=rv)
    assert [o.ndim for o in outs] == [4, 1, 1, 1, 1]
    xv = rng.randn(3, 2, 4, 5)
    gv, bv, rmv, rvv = (rng.rand(2) + 0.5 for _ in range(4))
    r = theano.function([x, g, b, rm, rv], list(outs))(xv, gv, bv, rmv, rvv)
    m = xv.mean((0, 2, 3))
    np.testing.assert_allclose(r[0], (xv - m[:, None, None]) * (gv / np.sqrt(xv.var((0, 2, 3)) + 1e-4))[:, None, None]
                               + bv[:, None, None], rtol=1e-10)
    np.testing.assert_allclose(r[1], m, rtol=1e-12)
    test = bn.batch_normalization_test(x, g, b, rm, rv, "spatial")
    np.testing.assert_allclose(test.eval({x: xv, g: gv, b: bv, rm: rmv, rv: rvv}),
                               (xv - rmv[:, None, None]) * (gv / np.sqrt(rvv + 1e-4))[:, None, None]
                               + bv[:, None, None], rtol=1e-10)
    m2 = T.dmatrix("m2")
    assert bn.batch_normalization_train(m2, g, b)[1].ndim == 1


@pytest.mark.parametrize("mode", MODES)
def test_batch_normalization_train_gradients(mode):
    import theano.tensor as T
    from theano.tensor.nnet import bn

    xv = rng.randn(4, 3, 2, 2)
    for axes in ("per-activation", "spatial"):
        ps = (1, 3, 2, 2) if axes == "per-activation" else (1, 3, 1, 1)
        T.verify_grad(lambda x, g, b: bn.batch_normalization_train(x, g, b, axes)[0] * np.arange(48.0).reshape(
            4, 3, 2, 2), [xv, rng.rand(*ps) + 0.5, rng.rand(*ps)], rng=rng, mode=mode)
        T.verify_grad(lambda x, g, b: bn.batch_normalization_test(x, g, b, g * 0.3, b + 1.0, axes),
                      [xv, rng.rand(*ps) + 0.5, rng.rand(*ps)], rng=rng, mode=mode)


def test_batch_normalization_errors():
    import theano.tensor as T
    from theano.tensor.nnet import bn

    x = T.dtensor4()
    with pytest.raises(ValueError, match="axes must be between 0 and 3"):
        bn.batch_normalization_train(x, T.dtensor4(), T.dtensor4(), axes=(0, 4))
    with pytest.raises(ValueError, match="at least one normalization axis"):
        bn.batch_normalization_train(x, T.dtensor4(), T.dtensor4(), axes=())
    with pytest.raises(ValueError, match="axes must be 'per-activation', 'spatial'"):
        bn.batch_normalization_train(x, T.dtensor4(), T.dtensor4(), axes="channel")
    with pytest.raises(ValueError, match="gamma, beta must all have 3 dimensions"):
        bn.batch_normalization_train(x, T.dmatrix(), T.dmatrix())

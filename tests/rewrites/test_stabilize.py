"""Stabilisation: forms that overflow or lose precision are rewritten, and
give finite, accurate values where the naive forms give inf/nan."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import Mode, function

from .conftest import compare, op_names, rand

EXTREME = np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0])


def quiet_fast_compile(inputs, outputs):
    return function(inputs, outputs, mode="FAST_COMPILE")


def _softplus(x):
    return np.logaddexp(0, x)


def test_log_sigmoid_is_minus_softplus_of_minus_x():
    x = T.dvector("x")
    y = T.log(T.nnet.sigmoid(x))
    f = function([x], y)
    assert "log" not in op_names(f) and "softplus" in op_names(f)
    out = f(EXTREME)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, -_softplus(-EXTREME), rtol=1e-12)
    assert np.isfinite(f(np.array([-1000.0]))[0])  # log(sigmoid(-1000)) = -1000
    with np.errstate(divide="ignore"):
        assert np.isinf(quiet_fast_compile([x], y)(np.array([-1000.0]))[0])
    compare([x], y, lambda: [rand((20,))], "log_sigmoid")


@pytest.mark.parametrize("build", [lambda s: T.log(1 - s), lambda s: T.log1p(-s)])
def test_log_one_minus_sigmoid_is_minus_softplus(build):
    x = T.dvector("x")
    y = build(T.nnet.sigmoid(x))
    f = function([x], y)
    assert "sigmoid" not in op_names(f)
    np.testing.assert_allclose(f(EXTREME), -_softplus(EXTREME), rtol=1e-12)
    compare([x], y, lambda: [rand((20,))], "log_one_minus_sigmoid")


@pytest.mark.parametrize("build", [lambda x: T.log(1 + T.exp(x)), lambda x: T.log(T.exp(x) + 1),
                                   lambda x: T.log1p(T.exp(x))])
def test_log_one_plus_exp_is_softplus(build):
    x = T.dvector("x")
    f = function([x], build(x))
    assert "exp" not in op_names(f) and "softplus" in op_names(f)
    np.testing.assert_allclose(f(EXTREME), _softplus(EXTREME), rtol=1e-12)
    compare([x], build(x), lambda: [rand((20,))], "softplus_from_log")


def test_log_one_plus_x_is_log1p():
    x = T.dvector("x")
    f = function([x], T.log(1 + x))
    assert "log1p" in op_names(f) and "log" not in op_names(f)
    tiny = np.array([1e-20, 1e-10])
    np.testing.assert_allclose(f(tiny), np.log1p(tiny), rtol=1e-12)  # log(1 + 1e-20) rounds to 0
    compare([x], T.log(1 + x), lambda: [rand((20,), low=-0.5, high=3)], "log1p_from_log")


def test_exp_minus_one_is_expm1():
    x = T.dvector("x")
    f = function([x], T.exp(x) - 1)
    assert "expm1" in op_names(f) and "exp" not in op_names(f)
    tiny = np.array([1e-20, 1e-10])
    np.testing.assert_allclose(f(tiny), np.expm1(tiny), rtol=1e-12)  # exp(1e-20) - 1 rounds to 0
    compare([x], T.exp(x) - 1, lambda: [rand((20,))], "expm1_from_exp")


def test_log_softmax():
    x = T.dmatrix("x")
    f = function([x], T.log(T.nnet.softmax(x)))
    assert "log_softmax" in op_names(f) and "softmax" not in op_names(f)
    big = np.array([[1000.0, 0.0, -1000.0]])
    out = f(big)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, [[0.0, -1000.0, -2000.0]])
    compare([x], T.log(T.nnet.softmax(x)), lambda: [rand((3, 4))], "log_softmax_from_log")


@pytest.mark.parametrize("axis", [1, 0, None, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_log_sum_exp(axis, keepdims, dtype):
    """log(sum(exp(x))) is computed as max + log(sum(exp(x - max))) (Theano's local_log_sum_exp):
    finite where the terms overflow or all underflow, equal to the naive form where that is finite,
    and the naive form's inf, -inf and nan kept (an empty sum, a group of -inf, an inf, a nan)."""
    from scipy.special import logsumexp as scipy_lse

    x = T.TensorType(dtype, (None, None))("x")
    out = T.log(T.exp(x).sum(axis=axis, keepdims=keepdims))
    f = function([x], [out, T.grad(out.sum(), x)])
    assert "logsumexp" in op_names(f) and "exp" not in " ".join(op_names(f)).split("logsumexp")[0]
    tol = 1e-5 if dtype == "float32" else 1e-12
    for scale in (1.0, 100.0, 1e4):
        xv = (np.random.RandomState(3).randn(3, 4) * scale).astype(dtype)
        value, grad = f(xv)
        want = scipy_lse(xv.astype("float64"), axis=axis, keepdims=keepdims)
        np.testing.assert_allclose(value, want, rtol=tol)
        assert value.dtype == np.dtype(dtype) and np.all(np.isfinite(grad))
        sm = np.exp(xv.astype("float64") - scipy_lse(xv.astype("float64"), axis=axis, keepdims=True))
        np.testing.assert_allclose(grad, sm, rtol=max(tol, 1e-6), atol=1e-7)
    naive = function([x], out, mode=Mode("fast_run", excluding=["log_sum_exp"]))
    with np.errstate(all="ignore"):
        special = np.array([[-np.inf, -np.inf, 0.5, 1.0], [np.inf, 1.0, 2.0, 3.0], [np.nan, 1.0, 0.0, 0.0]], dtype)
        for value in (special, special[:, :0] if axis == 1 else special[:0]):
            got, want = f(value)[0], naive(value)
            assert got.shape == want.shape and got.dtype == want.dtype
            finite = np.isfinite(want)
            np.testing.assert_array_equal(np.where(finite, 0, got), np.where(finite, 0, want))  # inf, -inf, nan
            np.testing.assert_allclose(got[finite], want[finite], rtol=tol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_log_of_a_sum_of_exps_is_logaddexp(dtype):
    """log(exp(a) + exp(b) [+ exp(c)]) -> logaddexp (Theano's local_log_add): finite where the naive
    form overflows or underflows, its inf/-inf/nan kept, gradients sigmoid(a - b), sigmoid(b - a)."""
    a, b = T.TensorType(dtype, (None, None))("a"), T.TensorType(dtype, (None,))("b")
    two = T.log(T.exp(a) + T.exp(b))
    three = T.log(T.exp(a) + T.exp(b) + T.exp(2 * b))
    f = function([a, b], [two, three] + T.grad((two + three).sum(), [a, b]))
    assert "logaddexp" in op_names(f) and "exp" not in op_names(f)
    av = np.array([[1000.0, -1000.0, 0.0, 3.0], [-50.0, 1.0, 2.0, 700.0]], dtype)
    bv = np.array([1.0, -1001.0, 0.0, 710.0], dtype)
    with np.errstate(all="ignore"):
        v2, v3, ga, gb = f(av, bv)
        a64, b64 = av.astype("float64"), bv.astype("float64")
        tol = 1e-5 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(v2, np.logaddexp(a64, b64), rtol=tol)
        np.testing.assert_allclose(v3, np.logaddexp(np.logaddexp(a64, b64), 2 * b64), rtol=tol)
        assert v2.dtype == np.dtype(dtype) and np.all(np.isfinite(ga)) and np.all(np.isfinite(gb))
        w3 = np.exp(a64 - np.logaddexp(np.logaddexp(a64, b64), 2 * b64))
        np.testing.assert_allclose(ga, 1 / (1 + np.exp(b64 - a64)) + w3, rtol=max(tol, 1e-6), atol=1e-6)
        special_a = np.array([[np.inf, -np.inf, np.nan, 0.0]], dtype)
        special_b = np.array([1.0, -np.inf, 1.0, -np.inf], dtype)
        naive = function([a, b], two, mode=Mode("fast_run", excluding=["log_add_exp"]))
        np.testing.assert_array_equal(f(special_a, special_b)[0], naive(special_a, special_b))


def test_log_sum_exp_is_exposed_as_T_logsumexp():
    x = T.dmatrix("x")
    f = function([x], [T.logsumexp(x, axis=-1), T.logsumexp(x)])
    xv = np.array([[1000.0, 1000.0], [-1000.0, -1001.0]])
    rows, total = f(xv)
    np.testing.assert_allclose(rows, [1000.0 + np.log(2.0), -1000.0 + np.log1p(np.exp(-1.0))])
    np.testing.assert_allclose(total, 1000.0 + np.log(2.0))
    with pytest.raises(TypeError, match="float"):
        T.logsumexp(T.imatrix("i"))


def test_categorical_crossentropy_from_logits_with_class_indices_and_one_hot():
    z = T.dmatrix("z")
    y = T.ivector("y")
    t = T.dmatrix("t")
    p = T.nnet.softmax(z)
    ce_idx = T.nnet.categorical_crossentropy(p, y).mean()
    ce_hot = T.nnet.categorical_crossentropy(p, t).mean()
    f = function([z, y, t], [ce_idx, ce_hot])
    assert "softmax" not in op_names(f) and "log_softmax" in op_names(f)
    zv = np.array([[1000.0, 0.0], [0.0, 1000.0]])
    yv = np.array([1, 0], dtype="int32")
    a, b = f(zv, yv, np.eye(2)[yv])
    np.testing.assert_allclose([a, b], [1000.0, 1000.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        c, d = quiet_fast_compile([z, y, t], [ce_idx, ce_hot])(zv, yv, np.eye(2)[yv])
    assert not np.isfinite(c) and not np.isfinite(d)
    compare([z, y, t], [ce_idx, ce_hot],
            lambda: [rand((4, 3)), np.array([0, 2, 1, 1], dtype="int32"), np.eye(3)[[0, 2, 1, 1]]],
            "log_softmax_from_log")


@pytest.mark.parametrize("spelling", ["nnet", "by_hand", "by_hand_negated"])
def test_binary_crossentropy_of_a_sigmoid_is_computed_from_the_logits(spelling):
    z, t = T.dvector("z"), T.dvector("t")
    p = T.nnet.sigmoid(z)
    if spelling == "nnet":
        ce = T.nnet.binary_crossentropy(p, t)
    elif spelling == "by_hand":
        ce = -t * T.log(p) - (1 - t) * T.log(1 - p)
    else:
        ce = -(t * T.log(p) + (1 - t) * T.log(1 - p))
    f = function([z, t], ce)
    names = op_names(f)
    assert "sigmoid" not in names and "log" not in names and "softplus" not in names and "sigmoid_xent" in names
    tv = np.array([1.0, 0.0, 1.0, 0.0, 0.3, 1.0, 0.0])
    out = f(EXTREME, tv)
    expected = _softplus(EXTREME) - tv * EXTREME  # exact
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        naive = quiet_fast_compile([z, t], ce)(EXTREME, tv)
    assert not np.all(np.isfinite(naive))
    compare([z, t], ce, lambda: [rand((30,)), RNG_targets(30)], "sigmoid_crossentropy")


def RNG_targets(n):
    return (np.random.RandomState(n).rand(n) > 0.5).astype("float64")


def test_crossentropy_with_extra_terms_keeps_them():
    z, t, w = T.dvector("z"), T.dvector("t"), T.dvector("w")
    p = T.nnet.sigmoid(z)
    cost = w - t * T.log(p) + 3.0 - (1 - t) * T.log(1 - p)
    compare([z, t, w], cost, lambda: [rand((10,)), RNG_targets(10), rand((10,))], "sigmoid_crossentropy")


def test_stabilize_in_float32_keeps_float32():
    x = T.fvector("x")
    f = function([x], T.log(T.nnet.sigmoid(x)))
    out = f(np.array([-200.0, 0.0, 3.0], dtype="float32"))
    assert out.dtype == np.float32 and np.all(np.isfinite(out))


def test_stabilize_stage_can_be_turned_off_by_tag():
    x = T.dvector("x")
    f = function([x], T.log(T.nnet.sigmoid(x)), mode=Mode(excluding=["stabilize"]))
    assert "sigmoid" in op_names(f)


@pytest.mark.parametrize("build", [lambda x: 1 / (1 + T.exp(-x)), lambda x: 1.0 / (T.exp(-x) + 1.0),
                                   lambda x: T.exp(x) / (1 + T.exp(x)), lambda x: 2.0 / (1 + T.exp(-x)) / 2.0])
def test_hand_written_sigmoid_is_recognised(build):
    x = T.dvector("x")
    f = function([x], build(x))
    assert "sigmoid" in op_names(f) and "exp" not in op_names(f)
    with np.errstate(over="ignore", invalid="ignore"):
        np.testing.assert_allclose(f(EXTREME), 1 / (1 + np.exp(-EXTREME)), rtol=1e-12)
    compare([x], build(x), lambda: [rand((20,))], "sigmoid_from_exp")


def test_tutorial_cross_entropy_with_hand_written_sigmoid_is_finite():
    z, y = T.dvector("z"), T.dvector("y")
    p = 1 / (1 + T.exp(-z))
    xent = -y * T.log(p) - (1 - y) * T.log(1 - p)
    out = function([z, y], xent)(EXTREME, np.ones(7))
    np.testing.assert_allclose(out, _softplus(-EXTREME), rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_scalar_logit_against_a_vector_of_targets(dtype):
    """``binary_crossentropy(sigmoid(z), t)`` with ``z`` 0-d and ``t`` a vector: the stable form's
    NumPy kernel kept a scratch of ``z``'s shape that came out as a NumPy scalar, and the next
    ufunc's ``out=`` raised a TypeError in FAST_RUN (found by the CuPy codegen fuzzer, whose
    NumPy reference crashed)."""
    z = T.scalar("z", dtype=dtype)
    t = T.vector("t", dtype=dtype)
    cost = T.nnet.binary_crossentropy(T.nnet.sigmoid(z), t)
    f = function([z, t], [cost, T.grad(cost.sum(), z)])
    g = function([z, t], [cost, T.grad(cost.sum(), z)], mode="FAST_COMPILE")
    tv = np.array([0.0, 1.0, 0.25], dtype=dtype)
    for zv in (3.0, -2.5, 0.0):
        for got, want in zip(f(zv, tv), g(zv, tv)):
            np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == "float32" else 1e-12)
    assert np.all(np.isfinite(f(-800.0, tv)[0]))  # and it is the stable form


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_python_int_logit_in_a_fused_chain(dtype):
    """``sigmoid_binary_crossentropy(3, t) * 2 + t``: fusion wrote the stable form's steps into
    scratch buffers, and the one computed from the int constant alone (``max(3, 0)``) was int64,
    which ``exp`` could not write into -- FAST_RUN raised where FAST_COMPILE gave the loss (found
    by the CuPy codegen fuzzer). The constant now enters the steps in the step's dtype, as the
    row's own implementation converts it."""
    from framework.core.elemwise import sigmoid_binary_crossentropy
    t = T.vector("t", dtype=dtype)
    tv = np.array([0.0, 1.0, 0.5], dtype=dtype)
    for z in (3, -2, 0, 3.5):
        for build in (lambda: sigmoid_binary_crossentropy(z, t) * 2 + t,
                      lambda: T.exp(sigmoid_binary_crossentropy(z, t))):
            got = function([t], build())(tv)
            want = function([t], build(), mode="FAST_COMPILE")(tv)
            assert got.dtype == want.dtype == dtype
            np.testing.assert_array_equal(got, want)

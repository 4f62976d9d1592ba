"""softmax, log_softmax and the losses: values against NumPy, stability,
dtypes, errors and gradients."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function, grad, pp
from framework.core import elemwise, nnet_ops
from framework.core.nnet_ops import (binary_crossentropy, categorical_crossentropy, log_softmax, relu, sigmoid,
                                     softmax, softplus)
from framework.core.types import TensorType
from framework.gradient import verify_grad

RNG = np.random.RandomState(7)


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(x, axis=-1):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,axis", [((5,), -1), ((3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1), ((2, 3, 4), -1)])
def test_softmax_and_log_softmax_match_numpy(shape, axis, dtype):
    x = TensorType(dtype, (None,) * len(shape))("x")
    value = (RNG.randn(*shape) * 3).astype(dtype)
    sm, lsm = function([x], [softmax(x, axis=axis), log_softmax(x, axis=axis)])(value)
    tol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(sm, np_softmax(value, axis), rtol=tol, atol=tol)
    np.testing.assert_allclose(lsm, np_log_softmax(value, axis), rtol=1e-5 if dtype == "float32" else 1e-12,
                               atol=tol)
    assert sm.dtype == lsm.dtype == dtype
    np.testing.assert_allclose(sm.sum(axis=axis), 1.0, rtol=1e-5)


def test_softmax_is_stable_for_large_inputs():
    x = T.dmatrix("x")
    sm, lsm = function([x], [softmax(x), log_softmax(x)])(np.array([[1000.0, 0.0, -1000.0]]))
    assert np.all(np.isfinite(sm)) and np.all(np.isfinite(lsm))
    np.testing.assert_allclose(sm, [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(lsm, [[0.0, -1000.0, -2000.0]])


def test_softmax_static_shape_dtype_and_printing():
    x = TensorType("float32", (3, 4))("x")
    assert softmax(x).type == TensorType("float32", (3, 4))
    assert log_softmax(x, axis=0).owner.op.axis == 0
    assert softmax(T.imatrix("i")).dtype == "float64"  # like numpy.exp of ints
    assert pp(softmax(x)) == "softmax(x, axis=1)"
    assert pp(log_softmax(x, axis=0)) == "log_softmax(x, axis=0)"


def test_softmax_axis_errors():
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        softmax(T.dmatrix(), axis=2)
    with pytest.raises(TypeError, match="scalar"):
        log_softmax(T.dscalar())


@pytest.mark.parametrize("op", [softmax, log_softmax], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,axis", [((4,), -1), ((3, 4), -1), ((3, 4), 0), ((2, 3, 2), 1)])
def test_softmax_gradients(op, shape, axis):
    verify_grad(lambda x: op(x, axis=axis), [RNG.randn(*shape)], rng=np.random.RandomState(0))


def test_softmax_gradient_float32():
    x = T.fmatrix("x")
    g = grad(softmax(x)[:, 0].sum(), x)
    assert g.dtype == "float32"
    verify_grad(softmax, [RNG.randn(3, 4).astype("float32")], rng=np.random.RandomState(0))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_crossentropy(dtype):
    o, t = TensorType(dtype, (None, None))("o"), TensorType(dtype, (None, None))("t")
    ov = RNG.uniform(0.05, 0.95, size=(3, 4)).astype(dtype)
    tv = (RNG.rand(3, 4) > 0.5).astype(dtype)
    out = function([o, t], binary_crossentropy(o, t))(ov, tv)
    expected = -(tv * np.log(ov) + (1 - tv) * np.log(1 - ov))
    np.testing.assert_allclose(out, expected, rtol=1e-5 if dtype == "float32" else 1e-12)
    assert out.dtype == dtype
    verify_grad(binary_crossentropy, [ov.astype("float64"), tv.astype("float64")], rng=np.random.RandomState(0))


def test_binary_crossentropy_of_sigmoid_with_soft_targets():
    x = T.dvector("x")
    t = np.array([0.2, 0.9, 0.5])
    value = np.array([-1.0, 2.0, 0.3])
    out = function([x], binary_crossentropy(sigmoid(x), t))(value)
    p = 1 / (1 + np.exp(-value))
    np.testing.assert_allclose(out, -(t * np.log(p) + (1 - t) * np.log(1 - p)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_categorical_crossentropy_with_class_indices(dtype):
    coding = TensorType(dtype, (None, None))("coding")
    idx = T.lvector("idx")
    p = np_softmax(RNG.randn(4, 3)).astype(dtype)
    iv = np.array([0, 2, 1, 2])
    out = function([coding, idx], categorical_crossentropy(coding, idx))(p, iv)
    np.testing.assert_allclose(out, -np.log(p[np.arange(4), iv]), rtol=1e-6)
    assert out.dtype == dtype and out.shape == (4,)


def test_categorical_crossentropy_with_one_hot_and_soft_targets():
    coding, true = T.dmatrix("coding"), T.dmatrix("true")
    p = np_softmax(RNG.randn(4, 3))
    one_hot = np.eye(3)[[0, 2, 1, 2]]
    soft = np_softmax(RNG.randn(4, 3))
    f = function([coding, true], categorical_crossentropy(coding, true))
    np.testing.assert_allclose(f(p, one_hot), -np.log(p[np.arange(4), [0, 2, 1, 2]]))
    np.testing.assert_allclose(f(p, soft), -(soft * np.log(p)).sum(axis=-1))


def test_categorical_crossentropy_vector_with_scalar_index():
    coding, i = T.dvector("coding"), T.lscalar("i")
    assert function([coding, i], categorical_crossentropy(coding, i))(np.array([0.2, 0.8]), 1) == pytest.approx(
        -np.log(0.8))


def test_categorical_crossentropy_gradients():
    idx = np.array([0, 2, 1])
    verify_grad(lambda x: categorical_crossentropy(softmax(x), idx), [RNG.randn(3, 4)],
                rng=np.random.RandomState(0))
    soft = np_softmax(RNG.randn(3, 4))
    verify_grad(lambda x, t: categorical_crossentropy(softmax(x), t), [RNG.randn(3, 4), soft],
                rng=np.random.RandomState(0))


def test_categorical_crossentropy_errors():
    coding = T.dmatrix("coding")
    with pytest.raises(TypeError, match="integer class indices"):
        categorical_crossentropy(coding, T.dvector("t"))
    with pytest.raises(TypeError, match="class indices"):
        categorical_crossentropy(coding, T.dtensor3("t"))


def test_elementwise_activations_are_reexported():
    assert sigmoid is elemwise.sigmoid and softplus is elemwise.softplus and relu is elemwise.relu
    assert {"softmax", "log_softmax", "sigmoid", "relu"} <= set(nnet_ops.__all__)
    x = T.dvector("x")
    value = np.array([-2.0, 0.0, 3.0])
    s, sp, r = function([x], [sigmoid(x), softplus(x), relu(x)])(value)
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-value)))
    np.testing.assert_allclose(sp, np.log1p(np.exp(value)))
    np.testing.assert_allclose(r, [0.0, 0.0, 3.0])

"""conv2d: values against a direct loop, gradients against finite differences,
shape rules, hints and errors -- every border mode, stride, dilation and group."""
from __future__ import annotations

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import function, grad
from framework.core.errors import NodeRuntimeError, ShapeError
from framework.gradient import verify_grad

from . import direct

BORDER_MODES = ["valid", "full", "half", 1, (2, 1)]
R = np.random.RandomState(1234)


def conv2d(*args, **kw):
    return framework.ops.conv2d(*args, **kw)


@pytest.mark.parametrize("border_mode", BORDER_MODES)
@pytest.mark.parametrize("subsample", [(1, 1), (2, 3)])
@pytest.mark.parametrize("dilation", [(1, 1), (2, 1)])
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("flip", [True, False])
def test_values_match_a_direct_loop(border_mode, subsample, dilation, groups, flip):
    x, w = T.dtensor4("x"), T.dtensor4("w")
    settings = dict(border_mode=border_mode, subsample=subsample, filter_dilation=dilation, num_groups=groups,
                    filter_flip=flip)
    z = conv2d(x, w, **settings)
    xv, wv = R.randn(2, 4, 9, 8), R.randn(6, 4 // groups, 3, 2)
    expected = direct.conv2d(xv, wv, **settings)
    got = function([x, w], z)(xv, wv)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
    # the op's reference implementation (what backends without a kernel run) agrees too
    np.testing.assert_allclose(z.owner.op.impl(np, xv, wv), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kshp", [(2, 2), (4, 3), (2, 5)])
@pytest.mark.parametrize("dilation", [(2, 2), (3, 1), (1, 2)])
def test_half_padding_of_even_dilated_filters_is_half_the_dilated_filter(kshp, dilation):
    """Theano 1.0 pads 'half' by ``((k - 1) d + 1) // 2`` (half the dilated filter), which for an
    even k and d > 1 is less than ``(k // 2) d`` (a 2x2 filter at dilation 2: 1, not 2)."""
    x, w = T.dtensor4("x"), T.dtensor4("w")
    z = conv2d(x, w, border_mode="half", filter_dilation=dilation)
    xv, wv = R.randn(1, 2, 7, 6), R.randn(3, 2, *kshp)
    expected = direct.conv2d(xv, wv, border_mode="half", filter_dilation=dilation)
    pad = [((k - 1) * d + 1) // 2 for k, d in zip(kshp, dilation)]
    assert expected.shape[2:] == tuple(n + 2 * p - (k - 1) * d for n, p, k, d in zip((7, 6), pad, kshp, dilation))
    f = function([x, w], [z] + grad((z ** 2).sum(), [x, w]))
    got, gx, gw = f(xv, wv)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
    static = conv2d(T.TensorType("float64", (1, 2, 7, 6))("xs"), T.TensorType("float64", (3, 2) + kshp)("ws"),
                    border_mode="half", filter_dilation=dilation)
    assert static.type.shape == expected.shape
    verify_grad(lambda a, b: conv2d(a, b, border_mode="half", filter_dilation=dilation), [xv, wv],
                rng=np.random.RandomState(0))


def test_filters_that_do_not_fit_are_an_error_at_run_time_too():
    """Documented (docs/tensor.md): a ShapeError when building with static sizes, and at run time
    with symbolic ones -- not an empty output."""
    x, w = T.dtensor4("x"), T.dtensor4("w")
    f = function([x, w], conv2d(x, w, subsample=(2, 1)))
    assert f(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 3, 3))).shape == (1, 1, 1, 1)
    for image in [(1, 1, 2, 3), (1, 1, 1, 1), (2, 1, 3, 2)]:
        with pytest.raises(NodeRuntimeError, match=r"do not fit in the input .*output would have") as info:
            f(np.zeros(image), np.zeros((1, 1, 3, 3)))
        assert "test_conv2d.py" in str(info.value)


@pytest.mark.parametrize("border_mode", BORDER_MODES)
@pytest.mark.parametrize("subsample", [(1, 1), (2, 2)])
def test_gradients_match_finite_differences(border_mode, subsample):
    for dilation, groups in (((1, 1), 1), ((1, 2), 2)):
        verify_grad(lambda a, b: conv2d(a, b, border_mode=border_mode, subsample=subsample,
                                        filter_dilation=dilation, num_groups=groups),
                    [R.randn(2, 4, 7, 6), R.randn(4, 4 // groups, 3, 2)])


def test_float32_values_and_gradient():
    x, w = T.ftensor4("x"), T.ftensor4("w")
    z = conv2d(x, w, border_mode="half")
    assert z.dtype == "float32"
    xv, wv = R.randn(3, 2, 6, 6).astype("float32"), R.randn(5, 2, 3, 3).astype("float32")
    out = function([x, w], z)(xv, wv)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, direct.conv2d(xv, wv, border_mode="half"), rtol=1e-4, atol=1e-4)
    verify_grad(lambda a, b: conv2d(a, b, border_mode="half"), [xv[:1], wv[:2]])


def test_transposed_convolution_is_the_adjoint():
    """<conv2d(x, w), g> == <x, conv2d_grad_wrt_inputs(g, w)> == <w, conv2d_grad_wrt_weights(x, g)>."""
    for settings in (dict(border_mode="valid", subsample=(2, 2)), dict(border_mode="full", filter_dilation=(2, 1)),
                     dict(border_mode=(1, 2), num_groups=2, filter_flip=False)):
        xv, wv = R.randn(2, 4, 9, 8), R.randn(6, 4 // settings.get("num_groups", 1), 3, 2)
        zv = direct.conv2d(xv, wv, **settings)
        gv = R.randn(*zv.shape)
        g, w, x = T.dtensor4("g"), T.dtensor4("w"), T.dtensor4("x")
        gx = framework.ops.conv2d_grad_wrt_inputs(g, w, input_shape=xv.shape, **settings)
        gw = framework.ops.conv2d_grad_wrt_weights(x, g, filter_shape=wv.shape, **settings)
        assert gx.type.shape[1:] == (4, 9, 8) and gw.type.shape[1:] == wv.shape[1:]
        gxv, gwv = function([g, w, x], [gx, gw])(gv, wv, xv)
        inner = np.sum(zv * gv)
        np.testing.assert_allclose(np.sum(xv * gxv), inner, rtol=1e-9)
        np.testing.assert_allclose(np.sum(wv * gwv), inner, rtol=1e-9)


def test_transposed_convolution_with_a_symbolic_input_shape():
    """With a stride, the input size is not implied by the output size: input_shape decides."""
    g, w = T.dtensor4("g"), T.dtensor4("w")
    rows = T.lscalar("rows")
    gx = framework.ops.conv2d_grad_wrt_inputs(g, w, input_shape=(None, None, rows, 7), subsample=(2, 2))
    f = function([g, w, rows], gx)
    gv, wv = R.randn(1, 3, 3, 3), R.randn(3, 2, 3, 3)
    assert f(gv, wv, 7).shape == (1, 2, 7, 7)
    assert f(gv, wv, 8).shape == (1, 2, 8, 7)  # the 8th row gets no gradient: it is never read
    np.testing.assert_array_equal(f(gv, wv, 8)[:, :, 7], 0)
    with pytest.raises(NodeRuntimeError, match="conv2d_grad_inputs"):
        f(gv, wv, 10)


def test_second_order_gradients():
    verify_grad(lambda a, b: grad((conv2d(a, b, subsample=(2, 1)) ** 2).sum(), b),
                [R.randn(1, 2, 6, 5), R.randn(2, 2, 3, 2)])
    verify_grad(lambda a, b: grad((conv2d(a, b, border_mode="full") ** 2).sum(), a),
                [R.randn(1, 2, 4, 5), R.randn(2, 2, 3, 2)])


def test_static_and_symbolic_shapes():
    x = T.TensorType("float64", (None, 3, 28, 28))("x")
    w = T.TensorType("float64", (20, 3, 5, 5))("w")
    z = conv2d(x, w)
    assert z.type.shape == (None, 20, 24, 24)
    assert conv2d(x, w, border_mode="full").type.shape == (None, 20, 32, 32)
    assert conv2d(x, w, border_mode="half", subsample=(2, 2)).type.shape == (None, 20, 14, 14)
    assert conv2d(x, w, filter_dilation=(2, 2)).type.shape == (None, 20, 20, 20)
    # infer_shape gives the output shape from symbolic input shapes
    xs, ws = T.dtensor4("xs"), T.dtensor4("ws")
    for settings in (dict(), dict(border_mode="full", subsample=(2, 3)), dict(border_mode="half", filter_dilation=(2, 1))):
        node = conv2d(xs, ws, **settings).owner
        shapes = node.op.infer_shape(node, [[xs.shape[i] for i in range(4)], [ws.shape[i] for i in range(4)]])
        f = function([xs, ws], list(shapes[0]))
        xv, wv = np.zeros((2, 3, 11, 10)), np.zeros((4, 3, 3, 4))
        assert tuple(int(v) for v in f(xv, wv)) == direct.conv2d(xv[:, :, :, :], wv, **settings).shape
    # the transposed convolution: sizes from the gradient, the filters and the given input rows/columns
    rows = T.lscalar("rows")
    for input_shape in ((2, 3, 11, 10), (None, None, rows, 10)):
        gnode = framework.ops.conv2d_grad_wrt_inputs(xs, ws, input_shape=input_shape).owner
        (gshape,) = gnode.op.infer_shape(gnode, [[ws.shape[i] for i in range(4)], [xs.shape[i] for i in range(4)], [2]])
        f = function([xs, ws, rows], [T.as_tensor_variable(v) for v in gshape], on_unused_input="ignore")
        assert [int(v) for v in f(np.zeros((2, 4, 9, 7)), np.zeros((4, 3, 3, 4)), 11)] == [2, 3, 11, 10]


def test_shape_hints_are_checked():
    x, w = T.dtensor4("x"), T.dtensor4("w")
    z = conv2d(x, w, input_shape=(None, 2, 8, 8), filter_shape=(3, 2, 3, 3))
    assert z.type.shape == (None, 3, 6, 6)
    f = function([x, w], z)
    assert f(np.zeros((4, 2, 8, 8)), np.zeros((3, 2, 3, 3))).shape == (4, 3, 6, 6)
    with pytest.raises(NodeRuntimeError, match="input_shape"):
        f(np.zeros((4, 2, 9, 8)), np.zeros((3, 2, 3, 3)))
    with pytest.raises(ShapeError, match="contradicts"):
        conv2d(T.TensorType("float64", (None, 3, 8, 8))("y"), w, input_shape=(None, 2, 8, 8))
    # Theano's old keyword for input_shape
    assert conv2d(x, w, image_shape=(None, 2, 8, 8), filter_shape=(3, 2, 3, 3)).type.shape == (None, 3, 6, 6)


def test_errors_name_what_the_user_did():
    x, w = T.dtensor4("x"), T.dtensor4("w")
    with pytest.raises(ValueError, match="border_mode"):
        conv2d(x, w, border_mode="same")
    with pytest.raises(ValueError, match="subsample"):
        conv2d(x, w, subsample=(0, 1))
    with pytest.raises(ShapeError, match="4-d"):
        conv2d(T.dmatrix("m"), w)
    with pytest.raises(TypeError, match="floats"):
        conv2d(T.itensor4("i"), w)
    with pytest.raises(ShapeError, match="channels"):
        conv2d(T.TensorType("float64", (None, 3, 8, 8))("y"), T.TensorType("float64", (4, 2, 3, 3))("v"))
    with pytest.raises(ShapeError, match="do not fit"):
        conv2d(T.TensorType("float64", (None, 1, 2, 2))("y"), T.TensorType("float64", (4, 1, 3, 3))("v"))
    f = function([x, w], conv2d(x, w, num_groups=2))
    with pytest.raises(NodeRuntimeError, match="channels") as info:
        f(np.zeros((1, 3, 5, 5)), np.zeros((4, 2, 3, 3)))
    assert "test_conv2d.py" in str(info.value)  # the user's line that built the node


def test_gradient_graph_and_printing():
    x, w = T.dtensor4("x"), T.dtensor4("w")
    cost = T.tanh(conv2d(x, w, subsample=(2, 2))).sum()
    gx, gw = grad(cost, [x, w])
    assert gx.owner.op.name == "conv2d_grad_inputs" and gw.owner.op.name == "conv2d_grad_weights"
    assert "conv2d" in framework.pp(cost)
    xv, wv = R.randn(2, 3, 7, 7), R.randn(4, 3, 3, 3)
    gxv, gwv = function([x, w], [gx, gw])(xv, wv)
    assert gxv.shape == xv.shape and gwv.shape == wv.shape

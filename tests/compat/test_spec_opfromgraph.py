"""Theano 1.0's ``OpFromGraph`` (``theano.compile.builders``): an op made of a graph -- its values,
nesting, shared variables, gradients (default, of second order, overridden), connection pattern,
shape rule and inlining, in both modes (the behaviours Theano 1.0's documentation and tests state)."""
from __future__ import annotations

import numpy as np
import pytest

MODES = ["FAST_RUN", "FAST_COMPILE"]


def _ones(shape, value=1.0):
    import theano

    return np.full(shape, value, dtype=theano.config.floatX)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("inline", [False, True])
def test_values_and_nesting(mode, inline):
    import theano
    import theano.tensor as T
    from theano.compile.builders import OpFromGraph

    x, y, z = T.matrices("xyz")
    op = OpFromGraph([x, y, z], [x + y * z], inline=inline)
    f = theano.function([x, y, z], op(x, y, z) - op(y, z, x), mode=mode)
    xv, yv, zv = _ones((2, 2)), _ones((2, 2), 3.0), _ones((2, 2), 5.0)
    for _ in range(2):  # (1 + 3 * 5) - (3 + 5 * 1)
        np.testing.assert_array_equal(f(xv, yv, zv), _ones((2, 2), 8.0))
    prod = OpFromGraph([x, y], [T.dot(x, y)], inline=inline)
    g = theano.function([x, y, z], prod(x, prod(y, z)), mode=mode)
    out = g(_ones((2, 3)), _ones((3, 4), 3.0), _ones((4, 5), 5.0))
    assert out.shape == (2, 5)
    np.testing.assert_array_equal(out, _ones((2, 5), 180.0))
    node_ops = [type(n.op).__name__ for n in g.maker.fgraph.toposort()]
    assert ("OpFromGraph" in node_ops) == (not inline)  # inline: the graph itself, no op node


def test_scalar_example_and_constants_as_inputs():
    import theano
    from theano import OpFromGraph, function, tensor

    x, y, z = tensor.scalars("xyz")
    op = OpFromGraph([x, y, z], [x + y * z])
    fn = function([x, y, z], [op(x, y, z) + op(z, y, x)])
    assert fn(2.0, 3.0, 4.0)[0] == pytest.approx(2 + 12 + 4 + 6)
    assert function([x], op(x, 2, 0.5))(1.0) == pytest.approx(2.0)  # numbers take the inputs' types
    with pytest.raises(TypeError, match="input 0 must be of type"):
        op(tensor.matrix("m"), y, z)
    with pytest.raises(TypeError, match="takes 3 inputs, got 2"):
        op(x, y)
    with pytest.raises(TypeError, match="outputs must be a list"):
        OpFromGraph([x], x * 2)


@pytest.mark.parametrize("mode", MODES)
def test_gradients_first_and_second_order(mode):
    import theano
    import theano.tensor as T
    from theano.compile.builders import OpFromGraph

    x, y, z = T.matrices("xyz")
    op = OpFromGraph([x, y, z], [x + y * z])
    f = op(x, y, z)
    once = f - T.grad(T.sum(f), y)          # 16 - 5
    twice = once - T.grad(T.sum(once), y)   # d/dy of sum(x + y z - z) is z again: 11 - 5
    fn = theano.function([x, y, z], [once, twice], mode=mode)
    a, b = fn(_ones((2, 2)), _ones((2, 2), 3.0), _ones((2, 2), 5.0))
    np.testing.assert_allclose(a, 11.0)
    np.testing.assert_allclose(b, 6.0)


@pytest.mark.parametrize("mode", MODES)
def test_shared_variables_read_and_differentiated(mode):
    import theano
    import theano.tensor as T
    from theano.compile.builders import OpFromGraph

    x, y, z = T.matrices("xyz")
    s = theano.shared(np.random.RandomState(3).rand(2, 2).astype(theano.config.floatX), name="s")
    op = OpFromGraph([x, y, z], [x + y * z + s])
    xv, yv, zv = _ones((2, 2)), _ones((2, 2), 3.0), _ones((2, 2), 5.0)
    f = theano.function([x, y, z], op(x, y, z) - op(y, z, x), mode=mode)
    np.testing.assert_allclose(f(xv, yv, zv), 8.0)
    out = op(x, y, z)
    g = theano.function([x, y, z], [out - T.grad(T.sum(out), y), out - T.grad(T.sum(out), s)], mode=mode)
    dy, ds = g(xv, yv, zv)
    np.testing.assert_allclose(dy, 11.0 + s.get_value())
    np.testing.assert_allclose(ds, 15.0 + s.get_value())
    s.set_value(np.zeros((2, 2), dtype=theano.config.floatX))  # the current value at each call
    np.testing.assert_allclose(g(xv, yv, zv)[1], 15.0)


def test_gradient_overrides():
    import theano
    from theano import OpFromGraph, function, grad, tensor
    from theano.gradient import DisconnectedType

    x, y, z = tensor.scalars("xyz")

    def twice_z(inputs, output_grads):
        return inputs[2] * 2

    op = OpFromGraph([x, y, z], [x + y * z], grad_overrides=["default", twice_z, "default"])
    dx, dy, dz = grad(op(x, y, z), [x, y, z])
    np.testing.assert_allclose(function([x, y, z], [dx, dy, dz])(2.0, 3.0, 4.0), [1.0, 8.0, 3.0])

    def everything(inputs, output_grads):
        (g,) = output_grads
        return [g * 10, g * 20, g * 30]

    op2 = OpFromGraph([x, y, z], [x * y * z], grad_overrides=everything)
    np.testing.assert_allclose(function([x, y, z], grad(op2(x, y, z), [x, y, z]))(1.0, 1.0, 1.0), [10, 20, 30])
    op3 = OpFromGraph([x, y], [x * y], grad_overrides=["default", DisconnectedType()()])
    assert function([x, y], grad(op3(x, y), x))(2.0, 5.0) == pytest.approx(5.0)
    with pytest.raises(Exception, match="disconnected|Disconnected"):
        grad(op3(x, y), y)
    op4 = OpFromGraph([x, y], [x * y], grad_overrides=["default", theano.gradient.grad_undefined(None, 1, y)])
    with pytest.raises(theano.gradient.NullTypeGradError):
        grad(op4(x, y), y)
    with pytest.raises(ValueError, match="lists 1 gradients for 2 inputs"):
        OpFromGraph([x, y], [x * y], grad_overrides=["default"])


def test_connection_pattern_and_multiple_outputs():
    import theano
    import theano.tensor as T
    from theano.compile.builders import OpFromGraph

    x, y, z = T.matrices("xyz")
    op = OpFromGraph([x, y, z], [x * y, y * z])
    assert op.connection_pattern(None) == [[True, False], [True, True], [False, True]]
    a, b = op(x, y, z)
    f = theano.function([x, y, z], [a, b, T.grad(T.sum(a), z, disconnected_inputs="ignore")])
    av, bv, gz = f(_ones((2, 2), 2.0), _ones((2, 2), 3.0), _ones((2, 2), 4.0))
    np.testing.assert_array_equal(av, 6.0)
    np.testing.assert_array_equal(bv, 12.0)
    np.testing.assert_array_equal(gz, 0.0)
    m, n, p, q = T.matrices("mnpq")
    o1, o2 = op(m, n, p)
    outer = OpFromGraph([m, n, p, q], list(op(o1, q, o2)))
    assert outer.connection_pattern(None) == [[True, False], [True, True], [False, True], [True, True]]


def test_shapes_without_running_the_op():
    import theano
    import theano.tensor as T
    from theano.compile.builders import OpFromGraph

    x, y = T.matrices("xy")
    op = OpFromGraph([x, y], [x + y, T.dot(x, y.T)])
    s, d = op(x, y)
    for out, want in ((s, [3, 4]), (d, [3, 3])):  # one output's shape read: the op does not run
        f = theano.function([x, y], out.shape)
        assert not any(type(n.op).__name__ == "OpFromGraph" for n in f.maker.fgraph.toposort())
        np.testing.assert_array_equal(f(_ones((3, 4)), _ones((3, 4))), want)
    both = theano.function([x, y], [s.shape, d.shape])  # both read: it runs (as any op of two outputs)
    shape_s, shape_d = both(_ones((3, 4)), _ones((3, 4)))
    np.testing.assert_array_equal(shape_s, [3, 4])
    np.testing.assert_array_equal(shape_d, [3, 3])
    with pytest.raises(ValueError):  # what the graph would refuse, refused when only the shape is read
        theano.function([x, y], s.shape)(_ones((3, 4)), _ones((2, 4)))


def test_inside_scan_and_with_givens():
    import theano
    import theano.tensor as T
    from theano.compile.builders import OpFromGraph

    v, w = T.vectors("vw")
    step = OpFromGraph([v, w], [v * 2 + w])
    out, _ = theano.scan(lambda prev, w: step(prev, w), outputs_info=[v], non_sequences=[w], n_steps=3)
    f = theano.function([v, w], out[-1])
    np.testing.assert_allclose(f(_ones(2), _ones(2)), _ones(2, 15.0))  # 1 -> 3 -> 7 -> 15
    data = theano.shared(_ones(2, 4.0))
    g = theano.function([w], step(v, w), givens={v: data})
    np.testing.assert_allclose(g(_ones(2)), _ones(2, 9.0))


def test_refusals():
    import theano.tensor as T
    from theano.compile.builders import OpFromGraph

    x = T.vector("x")
    with pytest.raises(TypeError, match="updates and givens"):
        OpFromGraph([x], [x * 2], updates=[])
    with pytest.raises(TypeError, match="rop_overrides"):
        OpFromGraph([x], [x * 2], rop_overrides=lambda i, e: e)
    with pytest.raises(TypeError, match="grad_overrides"):
        OpFromGraph([x], [x * 2], grad_overrides=42)
    a, b = OpFromGraph([x], [x * 2]), OpFromGraph([x], [x * 2])
    assert a != b and a == a  # equal only to itself, as in Theano

"""The gradient-only ops of ``framework.gradient`` (``grad_clip``, ``grad_scale``, ``zero_grad``,
``disconnected_grad``): the identity in the forward pass, removed from compiled graphs by the
``gradient_only_identity`` rewrite, and each declared once with its type, shape and gradient rule."""
from __future__ import annotations

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework.gradient import disconnected_grad, grad, grad_clip, grad_scale, zero_grad


@pytest.mark.parametrize("make", [lambda x: grad_clip(x, -1.0, 1.0), lambda x: grad_scale(x, 3.0), zero_grad,
                                  disconnected_grad])
def test_forward_is_the_identity_and_the_node_is_removed(make):
    x = T.dmatrix("x")
    y = make(x)
    assert y.type == x.type
    a = np.arange(6.0).reshape(2, 3)
    f = framework.function([x], y * 2)
    assert not any(getattr(n.op, "gradient_only", False) for n in f.maker.fgraph.toposort())
    assert f.maker.report.fired["gradient_only_identity"] == 1
    np.testing.assert_allclose(f(a), 2 * a)
    out = framework.function([x], y)(a)                    # an output that is the input is a copy
    np.testing.assert_allclose(out, a)
    assert out is not a
    g = framework.function([x], y, mode="FAST_COMPILE")   # kept there, and still the identity
    assert any(getattr(n.op, "gradient_only", False) for n in g.maker.fgraph.toposort())
    np.testing.assert_allclose(g(a), a)


def test_gradients_with_numbers():
    x = T.dvector("x")
    a = np.array([-2.0, 0.5, 3.0])
    f = framework.function([x], [grad((grad_clip(x, -1.0, 2.0) ** 2).sum(), x),
                                 grad((grad_scale(x, -0.5) ** 2).sum(), x)])
    clipped, scaled = f(a)
    np.testing.assert_allclose(clipped, [-1.0, 1.0, 2.0])     # 2x = [-4, 1, 6] clipped to [-1, 2]
    np.testing.assert_allclose(scaled, [2.0, -0.5, -3.0])     # 2x * -0.5


def test_shape_rule():
    x = T.dmatrix("x")
    y = grad_clip(x, 0, 1)
    assert y.owner.op.infer_shape(y.owner, [(2, 3), (), ()]) == [(2, 3)]
    z = grad_scale(x, 2)
    assert z.owner.op.infer_shape(z.owner, [(4, 5), ()]) == [(4, 5)]

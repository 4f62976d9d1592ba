"""The "Debugging Theano" page: ``config.compute_test_value`` reports shape errors where the
graph is built, at the user's line."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def test_values():
    import theano

    def use(mode):
        return theano.config.change_flags(compute_test_value=mode)

    return use


def test_the_documented_example_fails_at_the_users_line(test_values):
    import theano
    import theano.tensor as T

    with test_values("raise"):
        W1val = np.random.rand(2, 10, 10).transpose(0, 2, 1)
        W1 = theano.shared(W1val, "W1")
        x = T.matrix("x")
        x.tag.test_value = np.random.rand(5, 10)
        func_of_W1 = W1.dimshuffle(2, 0, 1).flatten(2).T
        assert func_of_W1.tag.test_value.shape == (20, 10)
        with pytest.raises(ValueError) as info:
            T.dot(x, func_of_W1)  # the failing line
        msg = str(info.value)
        assert "dot" in msg and "(5, 10)" in msg and "(20, 10)" in msg and "test_test_values.py" in msg


def test_values_flow_through_the_graph_and_scan(test_values):
    import theano
    import theano.tensor as T
    from theano.tensor.shared_randomstreams import RandomStreams

    with test_values("raise"):
        x = T.dmatrix("x")
        x.tag.test_value = np.ones((4, 3))
        w = theano.shared(np.full(3, 0.5), "w")
        h0 = T.dvector("h0")
        h0.tag.test_value = np.zeros(3)
        res, _ = theano.scan(lambda row, h, w: T.tanh(row * w + h), sequences=x, outputs_info=h0, non_sequences=w)
        assert res.tag.test_value.shape == (4, 3)
        g = theano.grad(res.sum(), w)
        assert g.tag.test_value.shape == (3,)
        f = theano.function([x, h0], res)
        assert np.allclose(f(np.ones((4, 3)), np.zeros(3)), res.tag.test_value)
        srng = RandomStreams(1)
        u = srng.uniform((2,))
        assert u.tag.test_value.shape == (2,)
        assert np.allclose(theano.function([], u)(), RandomStreams(1).uniform((2,)).eval())  # stream not advanced


def test_a_missing_test_value_raises_warns_or_is_ignored(test_values):
    import theano.tensor as T

    m = T.dmatrix("m")
    x = T.dmatrix("x")
    x.tag.test_value = np.ones((2, 2))
    with test_values("raise"):
        with pytest.raises(ValueError, match="m .*has no test value"):
            T.dot(x, m)
    with test_values("warn"):
        with pytest.warns(UserWarning, match="no test value"):
            y = T.dot(x, m)
        assert "test_value" not in y.tag
    with test_values("ignore"):
        assert "test_value" not in T.dot(x, m).tag
        assert T.dot(x, x).tag.test_value.tolist() == [[2, 2], [2, 2]]
    with test_values("off"):
        assert "test_value" not in T.dot(x, x).tag

"""dot_sum_stack: dot(A, B) ± dot(C, D) as one product of stacked operands, with
the same values, and the original's broadcasting and errors when the run-time
shapes are not two equal matrices."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function

from .conftest import op_names, without


def grads_like(sign):
    P, Q, B, D = (T.dmatrix(n) for n in "PQBD")
    first, second = T.dot(P.T, B), T.dot(Q.T, D)
    return [P, Q, B, D], (first + second if sign > 0 else first - second) * 0.5


@pytest.mark.parametrize("sign", [1, -1])
def test_same_values_on_random_shapes(sign):
    ins, out = grads_like(sign)
    f = function(ins, out)
    assert "stacked_dot_sum" in op_names(f) and op_names(f).count("dot") == 0
    g = function(ins, out, mode=without("dot_sum_stack"))
    rng = np.random.RandomState(0)
    for _ in range(6):
        k1, k2, m, n = rng.randint(1, 9, size=4)
        args = (rng.randn(k1, m), rng.randn(k2, m), rng.randn(k1, n), rng.randn(k2, n))
        np.testing.assert_allclose(f(*args), g(*args), rtol=1e-12, atol=1e-12)


def test_plain_operands_and_the_gradient_of_a_weight_matrix():
    A, B, C, D = (T.dmatrix(n) for n in "ABCD")
    out = T.dot(A, B) + T.dot(C, D)
    f = function([A, B, C, D], out)
    assert "stacked_dot_sum" in op_names(f)
    rng = np.random.RandomState(1)
    args = (rng.randn(7, 2), rng.randn(2, 6), rng.randn(7, 3), rng.randn(3, 6))
    np.testing.assert_allclose(f(*args), args[0] @ args[1] + args[2] @ args[3], rtol=1e-12)


def test_run_time_broadcasting_and_errors_are_the_originals():
    ins, out = grads_like(1)
    f = function(ins, out)
    g = function(ins, out, mode="FAST_COMPILE")
    rng = np.random.RandomState(2)
    # first product (1, 4), second (3, 4): the sum broadcasts
    args = (rng.randn(2, 1), rng.randn(5, 3), rng.randn(2, 4), rng.randn(5, 4))
    np.testing.assert_allclose(f(*args), g(*args), rtol=1e-12)
    bad = (rng.randn(2, 2), rng.randn(5, 3), rng.randn(2, 4), rng.randn(5, 4))
    with pytest.raises(ValueError):
        g(*bad)
    with pytest.raises(ValueError):
        f(*bad)


def test_the_rbm_weight_update_is_one_gemm():
    import framework
    from framework.models import RBM
    from framework.random import RandomStreams

    x = T.matrix("x")
    rbm = RBM(input=x, n_visible=9, n_hidden=6, numpy_rng=np.random.RandomState(1), theano_rng=RandomStreams(2))
    cost, updates = rbm.get_cost_updates(lr=0.1, persistent=None, k=1)
    f = function([x], cost, updates=updates)
    assert "stacked_dot_sum" in op_names(f)
    data = (np.random.RandomState(3).rand(4, 9) < 0.5).astype(framework.config.floatX)
    assert np.isfinite(f(data))


@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("float64", "float64"), ("float64", "float32")])
def test_stacked_right_operand_is_the_concatenation_bit_for_bit(dtypes):
    """``[B; -D]`` written in place (one dtype) or concatenated (mixed dtypes): the same array as
    ``concatenate([B, -D])``, dtype included; ``[B; D]`` without the subtraction."""
    from framework_rewrites.dot_stack import _stack_rows

    rng = np.random.RandomState(3)
    b, d = rng.randn(3, 5).astype(dtypes[0]), rng.randn(4, 5).astype(dtypes[1])
    for subtract in (True, False):
        want = np.concatenate([b, -d if subtract else d], axis=0)
        got = _stack_rows(np, b, d, subtract)
        assert got.dtype == want.dtype and got.flags.c_contiguous
        np.testing.assert_array_equal(got, want)

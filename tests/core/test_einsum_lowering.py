"""The einsum planner is a backend lowering, not core (issue 17): the op keeps the contraction spec
and the array library's ``einsum`` as its reference; the NumPy and CuPy backends lower it to the
planned pairwise contraction of ``framework_backend_numpy.einsum_plan``."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import framework.tensor as T
from framework import function
from framework.core import blas
from framework.core.backend import Backend, get_backend
from framework.core.blas import Einsum


def test_core_holds_no_planner():
    for name in ("_pairwise", "_plan", "run_einsum"):
        assert not hasattr(blas, name), name
    source = inspect.getsource(blas)
    assert "import opt_einsum" not in source and "import framework_backend" not in source
    assert "from framework_backend" not in source


@pytest.mark.parametrize("name", ["einsum", "batched_dot", "outer"])
def test_the_numpy_backend_lowers_every_einsum_name(name):
    from framework_backend_numpy.einsum_plan import lower_einsum

    assert get_backend("cpu").lowerings[name] is lower_einsum


def test_lowered_kernels_run_the_planned_contraction():
    import framework_backend_numpy.einsum_plan as plan

    a, b, c = T.dmatrix("a"), T.dmatrix("b"), T.dmatrix("c")
    out = T.einsum("ij,jk,kl->il", a, b, c)
    f = function([a, b, c], out)
    plan._plan.cache_clear()
    rng = np.random.RandomState(0)
    args = rng.randn(3, 4), rng.randn(4, 5), rng.randn(5, 2)
    np.testing.assert_allclose(f(*args), np.einsum("ij,jk,kl->il", *args), rtol=1e-12)
    assert plan._plan.cache_info().currsize == 1  # planned once for these shapes, by the lowering


def test_the_reference_is_the_librarys_einsum():
    op = Einsum(("ij", "jk"), "ik")
    rng = np.random.RandomState(1)
    x, y = rng.randn(2, 3), rng.randn(3, 4)
    np.testing.assert_allclose(op.impl(np, x, y), np.einsum("ij,jk->ik", x, y), rtol=1e-12)
    # a transpose of one operand is a copy, never a view of the input
    t = Einsum(("ij",), "ji").impl(np, x)
    assert t.base is None or t.base is not x
    np.testing.assert_array_equal(t, x.T)
    # a size-1 axis broadcast against a larger one, as NumPy's einsum does
    np.testing.assert_allclose(op.impl(np, np.ones((2, 1)), np.ones((3, 4))), np.full((2, 4), 3.0))


def test_a_backend_without_the_lowering_runs_the_reference():
    class Plain(Backend):
        name = "plain_einsum_test"
        xp = np

        def from_host(self, value, copy=True):
            return np.array(value, copy=copy)

        def to_host(self, value, copy=True):
            return np.array(value, copy=copy)

    node = Einsum(("ij", "jk"), "ik").make_node(T.dmatrix("a"), T.dmatrix("b"))
    kernel = Plain("cpu").kernel(node)
    x, y = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(kernel(x, y), x @ y)
    bools = Einsum(("i", "i"), "").make_node(T.bvector("p"), T.bvector("q"))
    assert Plain("cpu").kernel(bools)(np.array([1, 2], "int8"), np.array([3, 4], "int8")) == 11


def test_lowered_and_reference_agree_on_batched_dot_and_outer():
    a, b = T.dtensor3("a"), T.dtensor3("b")
    v, w = T.dvector("v"), T.dvector("w")
    f = function([a, b, v, w], [T.batched_dot(a, b), T.outer(v, w)])
    g = function([a, b, v, w], [T.batched_dot(a, b), T.outer(v, w)], mode="FAST_COMPILE")
    rng = np.random.RandomState(2)
    args = rng.randn(4, 2, 3), rng.randn(4, 3, 5), rng.randn(3), rng.randn(2)
    for r, e, want in zip(f(*args), g(*args), [np.matmul(args[0], args[1]), np.outer(args[2], args[3])]):
        np.testing.assert_allclose(r, want, rtol=1e-12)
        np.testing.assert_allclose(e, want, rtol=1e-12)

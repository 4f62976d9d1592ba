"""Fusion: element-wise chains become one Fused node whose kernel reuses buffers,
and fusion never changes results (random expression graphs, shapes, dtypes)."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import Mode, function, grad
from framework.core.fusion import Fused, ScalarProgram, Step, expand
from framework_backend_numpy.fused import python_kernel
from framework.core.types import TensorType

from .conftest import assert_same, rand, top_ops, without

UNARY = [T.neg, T.exp, T.tanh, T.nnet.sigmoid, T.nnet.softplus, T.nnet.relu, T.abs_, T.sqr,
         lambda x: T.log1p(abs(x)), lambda x: T.sqrt(abs(x)), lambda x: x * 2.5, lambda x: 1.0 - x]
BINARY = [T.add, T.sub, T.mul, T.maximum, T.minimum, lambda x, y: x / (1.0 + abs(y)),
          lambda x, y: T.switch(T.gt(x, y), x, y), lambda x, y: T.cast(T.lt(x, y), x.dtype) * y]


def random_graph(rng: np.random.RandomState, dtype: str):
    """Inputs, outputs and input shapes of a random element-wise graph with broadcasting."""
    shapes = [(4, 5), (1, 5), (4, 1), (5,), ()]
    picks = [shapes[k] for k in rng.choice(len(shapes), size=3)]
    xs = [T.tensor(dtype, (None,) * len(s), name=f"x{k}") for k, s in enumerate(picks)]
    pool = list(xs)
    for _ in range(rng.randint(3, 12)):
        if rng.rand() < 0.5:
            v = UNARY[rng.randint(len(UNARY))](pool[rng.randint(len(pool))])
        else:
            a, b = pool[rng.randint(len(pool))], pool[rng.randint(len(pool))]
            v = BINARY[rng.randint(len(BINARY))](a, b)
        if v.dtype != dtype:
            v = T.cast(v, dtype)
        pool.append(T.tanh(v) * 3.0 if rng.rand() < 0.3 else v)  # keep values in range
    computed = pool[len(xs):]
    outs = [computed[-1]] + [computed[k] for k in rng.choice(len(computed), size=2)]
    if rng.rand() < 0.3:
        outs.append(xs[0])  # an input that is also an output
    return xs, outs, picks


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fusion_and_inplace_never_change_results_on_random_graphs(dtype):
    rng = np.random.RandomState(0 if dtype == "float64" else 1)
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == "float64" else dict(rtol=2e-5, atol=2e-5)
    fused_seen = 0
    for case in range(40):
        xs, outs, shapes = random_graph(rng, dtype)
        f = function(xs, outs, on_unused_input="ignore")
        g = function(xs, outs, mode=without("fusion", "inplace"), on_unused_input="ignore")
        h = function(xs, outs, mode="FAST_COMPILE", on_unused_input="ignore")
        fused_seen += "fused" in top_ops(f)
        for _ in range(2):
            vals = [rand(s, dtype) for s in shapes]
            keep = [v.copy() for v in vals]
            with np.errstate(all="ignore"):
                a, b, c = f(*vals), g(*vals), h(*vals)
            assert_same(a, b, **tol)
            assert_same(a, c, **tol)
            for v, k in zip(vals, keep):  # inputs are never overwritten
                assert np.array_equal(v, k)
    assert fused_seen > 20


def _with_readers(rng: np.random.RandomState, v):
    """``v`` combined with a non-element-wise reader of itself (a reduction or a
    shape), so fusion must route around nodes it cannot take in."""
    k = rng.randint(3)
    if k == 0:
        return v - v.sum(axis=-1, keepdims=True) if v.ndim else v * 0.5
    if k == 1:
        return v * T.cast(v.shape[0], v.dtype) if v.ndim else v + 1.0
    return v + v.max()


@pytest.mark.parametrize("seed", range(4))
def test_fused_graphs_stay_acyclic_with_non_elementwise_readers(seed):
    """Groups grow towards producers and readers; a node outside a group that reads
    it and feeds it back (directly, or through another group) must stop the growth."""
    rng = np.random.RandomState(100 + seed)
    for _ in range(15):
        xs, outs, shapes = random_graph(rng, "float64")
        outs = [_with_readers(rng, o) if rng.rand() < 0.6 else o for o in outs]
        outs.append(T.sum(outs[0]) * outs[-1])
        f = function(xs, outs, on_unused_input="ignore")
        g = function(xs, outs, mode="FAST_COMPILE", on_unused_input="ignore")
        vals = [rand(s) for s in shapes]
        with np.errstate(all="ignore"):
            assert_same(f(*vals), g(*vals), rtol=1e-10, atol=1e-10)


def test_gradient_with_broadcast_and_siblings_fuses_without_a_cycle():
    """The conformance suite's element-wise gradient: two groups that, fused from
    the unfused graph alone, would each read the other's result."""
    a, b = T.dmatrix("a"), T.dvector("b")
    cost = (T.tanh(a * b) + T.nnet.sigmoid(a) * T.exp(-b)).sum()
    f = function([a, b], grad(cost, [a, b]))
    ref = function([a, b], grad(cost, [a, b]), mode="FAST_COMPILE")
    vals = [rand((3, 4)), rand((4,))]
    assert "fused" in top_ops(f)
    assert_same(f(*vals), ref(*vals), rtol=1e-12)


def test_a_chain_becomes_one_fused_node_with_one_output():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    z = T.tanh(x * y + 1.0) - T.exp(-x)
    f = function([x, y], z)
    assert top_ops(f) == ["fused"]
    (node,) = f.maker.fgraph.toposort()
    prog = node.op.program
    assert [s.op for s in prog.steps] == ["mul", "add", "tanh", "neg", "exp", "sub"]
    assert prog.inputs == ("float64", "float64") and len(prog.outputs) == 1
    assert ("const", 1.0, None) in prog.steps[1].args  # the weak scalar is inlined
    vals = [rand((3, 4)), rand((3, 4))]
    assert_same(f(*vals), np.tanh(vals[0] * vals[1] + 1.0) - np.exp(-vals[0]))


def test_kernel_reuses_buffers_instead_of_allocating_per_op():
    x, y = T.dvector("x"), T.dvector("y")
    f = function([x, y], T.tanh(x * y + 1.0) - T.exp(-x), mode=without("inplace"))
    (node,) = f.maker.fgraph.toposort()
    src = python_kernel(node, np).__source__
    assert src.count("out=") >= 3  # add, tanh, sub write into dead buffers
    allocations = [line for line in src.splitlines() if "=" in line and "out=" not in line and "def" not in line]
    assert len(allocations) == 2  # x*y and -x need two live buffers at once


def test_results_returned_earlier_are_not_overwritten_by_later_calls():
    x = T.dvector("x")
    f = function([x], [T.exp(x) * 2.0 + 1.0, T.tanh(x) - 1.0])
    a1, b1 = f(np.zeros(3))
    a1_copy, b1_copy = a1.copy(), b1.copy()
    f(np.ones(3))
    assert np.array_equal(a1, a1_copy) and np.array_equal(b1, b1_copy)


def test_intermediate_results_used_elsewhere_are_extra_outputs():
    x = T.dvector("x")
    s = T.nnet.sigmoid(x * 2.0)
    y = (s * (1 - s)).sum() + s.max()  # s read by two fused chains and a reduction
    f = function([x], [y, s])
    fused = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Fused)]
    assert any(len(n.outputs) > 1 for n in fused)
    xv = rand((6,))
    sv = 1 / (1 + np.exp(-2 * xv))
    assert_same(f(xv), [(sv * (1 - sv)).sum() + sv.max(), sv])


def test_fused_node_has_the_gradient_of_the_chain():
    x, y = T.dvector("x"), T.dvector("y")
    z = (T.tanh(x * y) + T.exp(-x) * y).sum()
    f = function([x, y], z)
    assert "fused" in top_ops(f)
    node = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Fused)][0]
    gx, gy = grad(node.outputs[0].sum(), node.inputs)
    g = function(node.inputs, [gx, gy])
    ref = function([x, y], grad(z, [x, y]), mode="FAST_COMPILE")
    vals = [rand((5,)), rand((5,))]
    assert_same(g(*vals), ref(*vals), rtol=1e-10)


def test_fused_op_builds_prints_and_expands():
    prog = ScalarProgram(("float32", "float32"), (
        Step("mul", (("in", 0), ("const", 2.0, None)), "float32"),
        Step("add", (("step", 0), ("in", 1)), "float32"),
        Step("softplus", (("step", 1),), "float32"),
    ), (("step", 2), ("step", 0)))
    a = T.tensor("float32", (3, None), name="a")
    b = T.tensor("float32", (None,), name="b")
    out, doubled = Fused(prog)(a, b)
    assert out.type == TensorType("float32", (3, None)) and doubled.type.shape == (3, None)
    assert str(out.owner.op) == "fused{mul,add,softplus}"
    assert out.owner.op.pp(out.owner, ["a", "b"])[0] == "(softplus(((a * 2.0) + b)), (a * 2.0))"
    e_out, e_doubled = expand(prog, [a, b])
    av, bv = rand((3, 4), "float32"), rand((4,), "float32")
    assert_same(function([a, b], [out, doubled])(av, bv),
                function([a, b], [e_out, e_doubled], mode="FAST_COMPILE")(av, bv), rtol=1e-6)
    with pytest.raises(TypeError, match="dtype float32"):
        Fused(prog)(T.dmatrix(), b)
    with pytest.raises(ValueError, match="not a row"):
        ScalarProgram(("float64",), (Step("no_such_op", (("in", 0),), "float64"),), (("step", 0),))


def test_a_backend_lowers_fused_nodes_through_its_own_table():
    """``Backend.lowerings['fused']`` (op name -> rule) is where a backend compiles
    a fused node; a rule returning None keeps the op's own step-by-step kernel."""
    from framework.core.backend import get_backend

    x = T.dvector("x")
    f = function([x], T.exp(x) + 1.0)
    node = f.maker.fgraph.toposort()[0]
    be = get_backend("cpu")
    assert "__source__" in dir(be.kernel(node))  # the NumPy plugin's generated function
    calls = []

    def rule(n, backend):
        calls.append((n, backend))
        return lambda v: v * 0 + 42.0

    be.lowerings = dict(type(be).lowerings, fused=rule)
    try:
        assert be.kernel(node)(np.ones(2)).tolist() == [42.0, 42.0] and calls == [(node, be)]
        be.lowerings = dict(type(be).lowerings, fused=lambda n, backend: None)  # declining: the op's kernel
        k = be.kernel(node)
        assert not hasattr(k, "__source__") and k(np.zeros(2)).tolist() == [2.0, 2.0]
    finally:
        del be.lowerings
    assert node.op.make_kernel(node, be)(np.zeros(2)).tolist() == [2.0, 2.0]  # the reference, any backend


def test_every_row_the_in_place_rewrite_buffers_has_a_numpy_lowering():
    from framework.core.elemwise import SCALAR_OPS
    from framework.core.fusion import writes_into_buffer
    from framework_backend_numpy.fused import EXPANSIONS, LOWERINGS

    buffered = {n for n, row in SCALAR_OPS.items() if row.buffered}
    assert buffered == set(EXPANSIONS) and all(LOWERINGS[n] for n in buffered)
    assert all(writes_into_buffer(n) for n in buffered) and not writes_into_buffer("second")


def test_run_time_errors_inside_a_fused_node_name_the_original_op_and_line():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    z = T.tanh(x) + T.exp(y)  # the failing line
    f = function([x, y], z * 2.0)
    assert top_ops(f) == ["fused"]
    with pytest.raises(ValueError) as info:
        f(np.ones((2, 2)), np.ones((3, 3)))
    msg = str(info.value)
    assert "op 'add'" in msg and "z = T.tanh(x) + T.exp(y)  # the failing line" in msg


def test_fusion_can_be_turned_off():
    x = T.dvector("x")
    f = function([x], T.exp(x) + 1.0, mode=Mode(excluding=["fusion"]))
    # the in-place stage still makes the add write into exp's result: a one-step fused node
    assert [len(n.op.program.steps) for n in f.maker.fgraph.toposort() if isinstance(n.op, Fused)] == [1]
    g = function([x], T.exp(x) + 1.0, mode=Mode(excluding=["fusion", "inplace"]))
    assert top_ops(g) == ["exp", "add"]


def test_a_lone_multi_ufunc_row_still_reuses_one_buffer():
    """sigmoid_xent alone (nothing to fuse with) runs its eight ufuncs in
    scratch buffers, not one temporary each -- and gives the row's values."""
    from framework.core.backend import get_backend

    z, t = T.dvector("z"), T.dvector("t")
    f = function([z, t], T.nnet.sigmoid_binary_crossentropy(z, t))
    (node,) = f.maker.fgraph.toposort()
    assert node.op.name == "sigmoid_xent"
    src = get_backend("cpu").kernel(node).__source__
    assert src.count("out=") >= 5
    zv, tv = np.array([-800.0, -2.0, 0.0, 3.0, 800.0]), np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    np.testing.assert_allclose(f(zv, tv), np.logaddexp(0, zv) - tv * zv, rtol=1e-15)

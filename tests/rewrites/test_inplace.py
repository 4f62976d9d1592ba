"""In-place: ops overwrite only dying temporaries, never what the caller can see."""
from __future__ import annotations

import numpy as np

import framework.tensor as T
from framework import In, function, shared
from framework.core.fusion import Fused
from framework.core.subtensor import IncSubtensor

from .conftest import assert_same, rand, without


def destroyers(f):
    return [n for n in f.maker.fgraph.toposort() if getattr(n.op, "destroy_map", None)]


def test_elementwise_op_overwrites_a_dying_temporary():
    x = T.dmatrix("x")
    y = T.exp(x).sum(axis=0) + 1.0  # the add may write into the sum's result
    f = function([x], y, mode=without("fusion"))
    (node,) = destroyers(f)
    assert isinstance(node.op, Fused) and node.op.destroy == (0,)
    xv = rand((3, 4))
    assert_same(f(xv), np.exp(xv).sum(axis=0) + 1.0)


def test_function_inputs_are_never_overwritten_even_when_also_outputs_or_passed_twice():
    x, y = T.dvector("x"), T.dvector("y")
    outs = [x, T.exp(x) + y, (x * 2.0 + 1.0) * y, y]
    f = function([x, In(y, name="y")], outs)
    g = function([x, y], outs, mode="FAST_COMPILE")
    a = rand((5,))
    keep = a.copy()
    r = f(a, a)  # the same array for both inputs
    assert np.array_equal(a, keep)
    assert_same(r, g(keep, keep))
    assert not np.shares_memory(r[0], a) and not np.shares_memory(r[3], a)


def test_shared_values_are_never_overwritten():
    w = shared(np.arange(4.0), name="w", borrow=True)
    storage = w.get_value(borrow=True)
    x = T.dvector("x")
    f = function([x], (w * 2.0 + x).sum(), updates=[(w, w * 0.5 + 1.0)])
    f(np.ones(4))
    assert np.array_equal(storage, np.arange(4.0))  # the old storage is untouched
    assert_same(w.get_value(), np.arange(4.0) * 0.5 + 1.0)
    assert not any(i is w for n in destroyers(f) for k in n.op.destroy_map.get(0, []) for i in [n.inputs[k]])


def test_constants_are_never_overwritten():
    c = T.constant(np.arange(3.0))
    x = T.dvector("x")
    f = function([x], T.exp(x) + c)
    first = f(np.zeros(3))
    assert_same(f(np.zeros(3)), first)
    assert_same(first, 1.0 + np.arange(3.0))


def test_a_temporary_that_is_also_an_output_is_not_overwritten():
    x = T.dvector("x")
    t = T.exp(x) * T.exp(x).sum()  # fresh, and read by two nodes and the caller
    f = function([x], [t, t + 1.0, t * 2.0])
    xv = rand((4,))
    a, b, c = f(xv)
    assert_same(b, a + 1.0)
    assert_same(c, a * 2.0)


def test_views_of_a_temporary_block_overwriting_it():
    x = T.dmatrix("x")
    t = T.exp(x).sum(axis=0, keepdims=True)  # fresh
    u = t.T  # a view of t
    f = function([x], [u * 2.0, t + 1.0])
    xv = rand((3, 4))
    tv = np.exp(xv).sum(axis=0, keepdims=True)
    assert_same(f(xv), [tv.T * 2.0, tv + 1.0])


def test_set_subtensor_writes_into_a_fresh_array_but_copies_an_input():
    x, y = T.dvector("x"), T.dvector("y")
    fresh = T.set_subtensor(T.zeros_like(x)[1:], y)
    f = function([x, y], fresh)
    assert any(isinstance(n.op, IncSubtensor) and n.op.inplace for n in f.maker.fgraph.toposort())
    assert_same(f(np.ones(3), np.array([4.0, 5.0])), np.array([0.0, 4.0, 5.0]))
    g = function([x, y], T.inc_subtensor(x[1:], y))
    assert not any(getattr(n.op, "inplace", False) for n in g.maker.fgraph.toposort())
    xv = np.ones(3)
    assert_same(g(xv, np.array([4.0, 5.0])), np.array([1.0, 5.0, 6.0]))
    assert_same(xv, np.ones(3))


def test_results_of_earlier_calls_are_never_reused_as_buffers():
    x = T.dvector("x")
    f = function([x], (T.exp(x).sum() + x) * 2.0 - 1.0)
    first = f(np.zeros(3))
    keep = first.copy()
    f(np.ones(3))
    assert np.array_equal(first, keep)


def test_inplace_broadcast_guard_falls_back_to_a_new_array():
    """A temporary of shape (1, n) must not receive a (m, n) result: the kernel checks at run time."""
    x, y = T.dmatrix("x"), T.dmatrix("y")
    t = T.exp(x).sum(axis=0, keepdims=True)  # (1, n) at run time, (?, ?) statically... kept dims are 1
    z = T.exp(y).sum(axis=1, keepdims=True) * t  # (m, 1) * (1, n) -> (m, n)
    f = function([x, y], z + 1.0)
    xv, yv = rand((2, 3)), rand((4, 2))
    assert_same(f(xv, yv), np.exp(yv).sum(axis=1, keepdims=True) * np.exp(xv).sum(axis=0, keepdims=True) + 1.0)
    u, v = T.dvector("u"), T.dvector("v")
    w = (T.exp(u) * 2.0) + v  # exp(u) may be destroyed only when v does not enlarge it
    h = function([u, v], w)
    assert_same(h(np.zeros(1), np.arange(3.0)), np.arange(3.0) + 2.0)
    assert_same(h(np.zeros(3), np.arange(3.0)), np.arange(3.0) + 2.0)

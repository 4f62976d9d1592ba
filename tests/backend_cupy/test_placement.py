"""Where values live when a graph runs on the GPU (decided from the graph alone):
shape arithmetic and integer bookkeeping on the host, tensors on the device."""
from __future__ import annotations

import numpy as np

import framework.tensor as T
from framework import function
from framework.core.graph import Constant
from framework.tensor.shared_randomstreams import RandomStreams
from framework_backend_cupy.placement import Placement, int_positions


def _nodes(outputs, mode="FAST_COMPILE"):
    f = function([v for v in _inputs(outputs)], outputs, mode=mode, on_unused_input="ignore")
    return f.maker.fgraph.toposort()


def _inputs(outputs):
    from framework.core.graph import ancestors

    outs = outputs if isinstance(outputs, list) else [outputs]
    return [v for v in ancestors(outs) if v.owner is None and not isinstance(v, Constant)
            and not hasattr(v, "container")]


def test_shape_arithmetic_runs_on_the_host() -> None:
    x = T.dmatrix("x")
    out = T.reshape(x, (x.shape[0] * 2, x.shape[1] // 2))
    p = Placement()
    nodes = _nodes(out)
    by_op = {n.op.name: n for n in nodes}
    reshape = by_op["reshape"]
    assert not p.node_on_host(reshape)  # the tensor itself is on the device
    assert p.on_host(reshape.inputs[1])  # its new shape was computed on the host
    for n in nodes:
        if n is not reshape:
            assert p.node_on_host(n), n
    assert int_positions(reshape) == frozenset({1})


def test_tensors_stay_on_the_device() -> None:
    x, y = T.dmatrix("x"), T.dvector("y")
    p = Placement()
    for n in _nodes(T.tanh(T.dot(x, y)) + T.sum(x)):
        assert not p.node_on_host(n), n
    assert not p.on_host(x) and not p.on_host(y)


def test_integer_scalars_and_small_constants_are_host_values() -> None:
    i = T.lscalar("i")
    v = T.lvector("v")
    p = Placement()
    assert p.on_host(i)
    assert not p.on_host(v)  # an integer vector input (labels, indices) lives on the device
    assert p.on_host(T.constant(np.arange(3)))
    assert not p.on_host(T.constant(np.arange(1000)))
    assert not p.on_host(T.constant(np.ones(3)))  # float constants go to the device


def test_minibatch_slices_need_no_device_read() -> None:
    data = T.dmatrix("data")
    i = T.lscalar("i")
    out = data[i * 20:(i + 1) * 20]
    p = Placement()
    nodes = _nodes(out)
    sub = [n for n in nodes if n.op.name == "subtensor"][0]
    assert not p.node_on_host(sub)
    assert all(p.on_host(v) for v in sub.inputs[1:])
    assert int_positions(sub) == frozenset(range(1, len(sub.inputs)))
    assert all(p.node_on_host(n) for n in nodes if n is not sub)


def test_fused_shape_arithmetic_stays_on_the_host() -> None:
    x = T.dmatrix("x")
    n = (x.shape[0] - 1) // 2 + x.shape[1] * 3
    out = T.zeros((n,)) + T.sum(x)
    p = Placement()
    nodes = _nodes(out, mode="FAST_RUN")
    alloc = [nd for nd in nodes if nd.op.name in ("alloc", "fused", "add")]
    assert alloc
    small = [nd for nd in nodes if all(o.type.ndim == 0 for o in nd.outputs) and
             any(i.owner is not None and i.owner.op.name in ("shape_i", "shape") for i in nd.inputs)]
    assert all(p.node_on_host(nd) for nd in small)


def test_random_draw_sizes_are_taken_from_the_host() -> None:
    x = T.dmatrix("x")
    srng = RandomStreams(1)
    u = srng.uniform(size=x.shape)
    p = Placement()
    node = u.owner
    assert int_positions(node) == frozenset(range(1, len(node.inputs)))
    assert p.on_host(node.inputs[1])
    assert not p.node_on_host(node)

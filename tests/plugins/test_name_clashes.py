"""An op whose name is a built-in op's name runs its own kernel, never the built-in one's.

Backends' lowering tables, plugins' kernels and rewrites' ``tracks`` are keyed by op name.
A user's op (a native ``Op``, or a Theano-style ``theano.Op`` whose name defaults to its
class name) may be called ``dot``, ``mean`` or ``softmax``: it must compile and compute
what its own ``impl``/``perform`` says, in every mode and on every backend, while a
third party's kernel for its own op still applies (docs/plugins.md, "What a name means").

The same tests run on the CPU stand-in for CuPy (``tests/backend_cupy/fakecupy``) in a
subprocess, with ``FRAMEWORK_NAME_CLASH_DEVICES=cuda``.
"""
from __future__ import annotations

import os
import sys
import types
from typing import Any, List

import numpy as np
import pytest

import framework
import framework.compat.theano as theano
import framework.plugins as plugins
import framework.tensor as T
from framework.core.graph import Apply
from framework.core.op import Op
from framework.core.types import TensorType
from framework.core.variable import as_tensor_variable
from framework.plugins import KernelSpec, RewriteSpec, hookimpl

DEVICES = os.environ.get("FRAMEWORK_NAME_CLASH_DEVICES", "cpu").split(",")
MODES = ["FAST_RUN", "FAST_COMPILE"]

# Built-in names that some lowering, plugin kernel (the CuPy backend's, the conv plugin's) or
# rewrite is registered under, by arity of the stand-in op (one input: 2 * x + 1; two: 2 * a + b).
UNARY = ["sigmoid", "softplus", "relu", "mean", "sum", "max", "neg", "log", "log1p", "exp", "sqr", "sqrt",
         "identity", "dimshuffle", "softmax", "log_softmax", "fused", "scan", "shape_i", "zero_grad",
         "disconnected_grad", "grad_clip", "ones_like", "zeros_like", "random_binomial", "random_bernoulli",
         "random_advance", "random_uniform", "subtensor", "as_contiguous", "tanh", "abs", "cast_float64",
         "pool_2d", "max_pool_2d_grad"]
BINARY = ["dot", "outer", "einsum", "batched_dot", "sum_to_shape", "sigmoid_xent", "add", "sub", "mul",
          "true_div", "pow", "reshape", "alloc", "second", "inc_subtensor", "set_subtensor", "tensordot",
          "maximum", "minimum", "switch", "conv2d", "conv2d_grad_inputs", "conv2d_grad_weights"]


class Clash(Op):
    """A user's op named like a built-in one: ``2 * x + 1``, or ``2 * a + b``."""

    __props__ = ("name", "nin")

    def __init__(self, name: str, nin: int) -> None:
        self.name, self.nin = name, nin

    def make_node(self, *inputs: Any) -> Apply:
        inputs = [as_tensor_variable(i) for i in inputs]
        assert len(inputs) == self.nin
        return Apply(self, inputs, [inputs[0].type])

    def impl(self, xp: Any, *values: Any) -> Any:
        return values[0] * 2 + (values[1] if self.nin == 2 else 1)


def theano_clash(name: str, nin: int) -> Any:
    """A Theano-style op whose class is called ``name`` (so its name is ``name`` too)."""

    def make_node(self, *inputs):
        inputs = [theano.tensor.as_tensor_variable(i) for i in inputs]
        return theano.Apply(self, inputs, [inputs[0].type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.asarray(inputs[0] * 2 + (inputs[1] if nin == 2 else 1))

    cls = type(name, (theano.Op,), {"__props__": (), "make_node": make_node, "perform": perform,
                                    "__module__": __name__})
    op = cls()
    assert op.name == name
    return op


def _expected(nin: int, *values: np.ndarray) -> np.ndarray:
    if nin == 1:
        return (values[0] * 2 + 1) * 2 + 1
    a, b = values
    return (a * 2 + b) * 2 + b


def _compile(inputs: List[Any], output: Any, mode: str, device: str) -> Any:
    return framework.function(inputs, output, mode=mode, device=device)


CASES = [(n, 1) for n in UNARY] + [(n, 2) for n in BINARY]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["native", "theano"])
@pytest.mark.parametrize("name,nin", CASES, ids=[n for n, _ in CASES])
def test_an_op_named_like_a_built_in_computes_its_own_result(name: str, nin: int, kind: str, mode: str,
                                                             device: str) -> None:
    op = Clash(name, nin) if kind == "native" else theano_clash(name, nin)
    rng = np.random.RandomState(0)
    values = [rng.rand(2, 3) + 0.5 for _ in range(nin)]
    inputs = [T.dmatrix(f"in{k}") for k in range(nin)]
    # the op applied to its own result: the shape a rewrite of the built-in op looks for
    # (neg(neg(x)), dot(dot(a, b), b), reshape(reshape(...)), ...)
    inner = op(*inputs)
    out = op(inner, *inputs[1:])
    f = _compile(inputs, out, mode, device)
    assert any(n.op is op or n.op == op for n in f.maker.fgraph.toposort()), "the op was rewritten away"
    np.testing.assert_allclose(np.asarray(f(*values)), _expected(nin, *values), rtol=1e-12)


class ShapeLike(Op):
    """A user's op named ``shape`` (or ``shape_i``) that reads only its input's shape, but
    computes ``10 * shape + 1``: the CuPy backend runs it on the host, and its host table
    of shape reads, like the shape rewrites, is keyed by these names."""

    __props__ = ("name", "i")
    reads_only_metadata = True
    host_bookkeeping = True

    def __init__(self, name: str, i: int = 0) -> None:
        self.name, self.i = name, i

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        shape = (x.type.ndim,) if self.name == "shape" else ()
        return Apply(self, [x], [TensorType("int64", shape)])

    def impl(self, xp: Any, x: Any) -> Any:
        shape = np.asarray(np.shape(x), dtype=np.int64) * 10 + 1
        return shape if self.name == "shape" else shape[self.i]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["shape", "shape_i"])
def test_an_op_named_shape_reads_its_own_answer(name: str, mode: str, device: str) -> None:
    x = TensorType("float64", (2, 3))("x")  # static sizes: a shape rewrite would fold them in
    op = ShapeLike(name, 1)
    f = _compile([x], op(x), mode, device)
    want = np.array([21, 31]) if name == "shape" else 31
    np.testing.assert_array_equal(np.asarray(f(np.ones((2, 3)))), want)


# --- kernels: a third party's kernel for its own op still applies ---------------------------------

class ThirdPartyCube(Op):
    """A third party's op, ``x ** 3``; its kernel (below) marks what it ran."""

    name = "h6_cube"
    __props__ = ()

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type])

    def impl(self, xp: Any, x: Any) -> Any:
        return x * x * x


RAN: List[str] = []


def _marking(tag: str, fn: Any) -> Any:
    def kernel(*values: Any) -> Any:
        RAN.append(tag)
        return fn(*values)

    return kernel


def _cube_kernel(node: Any, backend: Any) -> Any:
    return _marking("h6_cube", lambda x: backend.xp.power(x, 3))


def _clash_kernel(node: Any, backend: Any) -> Any:
    return _marking("clash_dot", lambda a, b: node.op.impl(backend.xp, a, b))


@pytest.fixture
def kernel_plugin():
    """Registers kernels for every test device; yields the registering function."""
    names: List[str] = []

    def register(*specs: KernelSpec) -> None:
        name = f"h6_kernels_{len(names)}"
        plugin = types.SimpleNamespace(framework_kernels=hookimpl(lambda: list(specs)))
        plugins.register(plugin, name=name)
        names.append(name)

    RAN.clear()
    yield register
    for name in names:
        plugins.unregister(name)
    RAN.clear()


def _backend_name(device: str) -> str:
    return plugins.backend_for_device(device).name


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("mode", MODES)
def test_a_third_party_kernel_for_its_own_op_still_applies(kernel_plugin: Any, mode: str, device: str) -> None:
    kernel_plugin(KernelSpec(name="cube_fast", op="h6_cube", backend=_backend_name(device), build=_cube_kernel))
    x = T.dvector("x")
    f = _compile([x], ThirdPartyCube()(x), mode, device)
    np.testing.assert_allclose(np.asarray(f(np.array([1.0, -2.0]))), [1.0, -8.0])
    assert RAN == ["h6_cube"]


@pytest.mark.parametrize("device", DEVICES)
def test_a_kernel_with_op_type_applies_to_that_class_only(kernel_plugin: Any, device: str) -> None:
    """A third party's op named ``dot`` with its own kernel (``op_type``): the kernel runs for
    that op, and the built-in ``dot`` still computes a matrix product."""
    kernel_plugin(KernelSpec(name="clash_dot_fast", op="dot", backend=_backend_name(device), build=_clash_kernel,
                             op_type=Clash))
    a, b = T.dmatrix("a"), T.dmatrix("b")
    av, bv = np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(3, 2)
    f = _compile([a, b], T.dot(a, b), "FAST_RUN", device)
    np.testing.assert_allclose(np.asarray(f(av, bv)), av @ bv)
    assert RAN == []
    g = _compile([a, b], Clash("dot", 2)(a, b), "FAST_RUN", device)
    np.testing.assert_allclose(np.asarray(g(av, av)), 3 * av)
    assert RAN == ["clash_dot"]


def _foreign_module(name: str) -> types.ModuleType:
    """A module of another package than this test's (a third-party backend plugin)."""
    module = types.ModuleType(name)
    exec("def build(node, backend):\n"
         "    xp = backend.xp\n"
         "    def softmax(x):\n"
         "        e = xp.exp(x - x.max(axis=-1, keepdims=True))\n"
         "        return e / e.sum(axis=-1, keepdims=True)\n"
         "    return softmax\n", module.__dict__)
    return module


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("mode", MODES)
def test_a_kernel_by_name_for_a_built_in_op_skips_a_users_op_of_that_name(kernel_plugin: Any, mode: str,
                                                                          device: str) -> None:
    """The contract before ``op_type``: a plugin's kernel for ``softmax`` by name alone (here
    from another package than the user's op) runs for the framework's ``softmax`` and not for
    the user's op named ``softmax``."""
    built = []
    foreign = _foreign_module("h6_thirdparty_backend")

    def build(node: Any, backend: Any) -> Any:
        built.append(type(node.op))
        return foreign.build(node, backend)

    build.__module__ = foreign.__name__
    kernel_plugin(KernelSpec(name="foreign_softmax", op="softmax", backend=_backend_name(device), build=build))
    x = T.dmatrix("x")
    xv = np.arange(6.0).reshape(2, 3)
    f = _compile([x], Clash("softmax", 1)(x), mode, device)
    np.testing.assert_allclose(np.asarray(f(xv)), 2 * xv + 1)
    assert built == []
    g = _compile([x], T.nnet.softmax(x), mode, device)
    e = np.exp(xv - xv.max(axis=1, keepdims=True))
    np.testing.assert_allclose(np.asarray(g(xv)), e / e.sum(axis=1, keepdims=True))
    assert [cls.__name__ for cls in built] == ["Softmax"]


def test_op_type_must_be_op_classes() -> None:
    bad = types.SimpleNamespace(framework_kernels=hookimpl(lambda: [
        KernelSpec(name="k", op="dot", backend="numpy", build=_clash_kernel, op_type="Dot")]))
    with pytest.raises(plugins.PluginError, match="op_type must be an op class"):
        plugins.register(bad, name="h6_bad_op_type")


# --- rewrites: tracks by name, and by class ------------------------------------------------------

def test_a_rewrite_tracking_a_class_reaches_that_class_only() -> None:
    """``tracks`` may give op classes: the rewrite sees the nodes of exactly that class."""
    seen: List[Any] = []

    def collapse(fgraph: Any, node: Any) -> Any:
        seen.append(node.op)
        return None

    plugin = types.SimpleNamespace(framework_rewrites=hookimpl(lambda: [
        RewriteSpec("h6_sees_clash", collapse, stage="specialize", tracks=(Clash,))]))
    plugins.register(plugin, name="h6_rewrites")
    try:
        x = T.dmatrix("x")
        framework.function([x], T.neg(Clash("neg", 1)(x)))
    finally:
        plugins.unregister("h6_rewrites")
    assert seen and all(type(op) is Clash for op in seen)


def test_a_rewrite_of_another_package_tracking_a_name_skips_a_users_op() -> None:
    """A rewrite tracking ``neg`` by name (from another package than the user's op) is
    called on the framework's ``neg`` and not on the user's op named ``neg``."""
    seen: List[Any] = []
    module = types.ModuleType("h6_thirdparty_rewrites")
    exec("def make(seen):\n"
         "    def look(fgraph, node):\n"
         "        seen.append(node.op)\n"
         "    return look\n", module.__dict__)
    plugin = types.SimpleNamespace(framework_rewrites=hookimpl(lambda: [
        RewriteSpec("h6_sees_neg", module.make(seen), stage="specialize", tracks=("neg",))]))
    plugins.register(plugin, name="h6_rewrites_by_name")
    try:
        x = T.dmatrix("x")
        framework.function([x], T.exp(Clash("neg", 1)(T.neg(x))))
    finally:
        plugins.unregister("h6_rewrites_by_name")
    assert seen and all(type(op) is not Clash for op in seen)


# --- the CuPy stand-in ---------------------------------------------------------------------------

@pytest.mark.skipif("cuda" in DEVICES, reason="already running on the stand-in")
def test_the_same_tests_pass_on_the_cupy_stand_in() -> None:
    from tests.backend_cupy.conftest import CXX

    if CXX is None:
        pytest.skip("the CuPy stand-in compiles kernels with a host C++ compiler")
    from tests.backend_cupy.test_fake_device import _pytest

    proc = _pytest(__file__, "-k", "not stand_in", FRAMEWORK_NAME_CLASH_DEVICES="cuda")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout


# --- sizes: the kernel's shape reasoning reads sizes by op class too ----------------------------

def test_a_users_op_named_shape_i_is_not_taken_for_a_size_by_grad():
    """A user's op called ``shape_i`` (with an ``i``, even) that returns some other number: the shape
    signatures must not read it as the length of its input, or ``grad`` would drop the summation of
    a broadcast gradient and return a wrong-shaped result."""
    import numpy as np

    import framework.tensor as T
    from framework import function, grad
    from framework.core.graph import Apply
    from framework.core.op import Op
    from framework.core.types import TensorType
    from framework.core.variable import as_tensor_variable

    class Three(Op):
        name = "shape_i"
        i = 0
        __props__ = ()

        def make_node(self, v):
            return Apply(self, [as_tensor_variable(v)], [TensorType("int64", ())])

        def impl(self, xp, v):
            return np.int64(3)

    x = T.dvector("x")
    out = x + T.alloc(0.0, Three()(x))  # x of length 1 broadcast to length 3
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        g = function([x], grad(out.sum(), x), mode=mode)(np.array([1.0]))
        np.testing.assert_array_equal(g, [3.0])

"""``Op.complex_grad`` is a fact the op declares: ``grad`` applies a rule to complex values only where
the op says it is right for them, and refuses, naming the op and the attribute, where it says it is
not (False) or says nothing (None, the default: a third party's op written for real values would
otherwise give a silently wrong complex gradient)."""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import numpy as np
import pytest

import framework.tensor as T
from framework import function
from framework.core.errors import GradientError
from framework.core.graph import Apply
from framework.core.op import Op
from framework.core.types import TensorType
from framework.core.variable import as_tensor_variable


class Twice(Op):
    """A plugin author's op: ``2 x``, its rule ``2 g`` (right for complex values, but not declared)."""

    __props__ = ()
    name = "twice"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType(x.dtype, x.type.shape)])

    def impl(self, xp: Any, x: Any) -> Any:
        return 2 * x

    def grad(self, node: Apply, output_grads: Any) -> list:
        return [output_grads[0] * 2]


class DeclaredTwice(Twice):
    complex_grad = True  # linear


class RealOnly(Twice):
    complex_grad = False


def _cost(op: Op, x: Any) -> Any:
    y = op(x)
    return T.sum(T.real(y) ** 2 + T.imag(y) ** 2) if str(x.dtype).startswith("complex") else T.sum(y ** 2)


def test_an_undeclared_rule_refuses_complex_values_and_says_what_to_declare():
    z = T.zvector("z")
    with pytest.raises(GradientError, match=r"gradient of op 'twice' on complex values is not implemented \(Twice "
                                            r"does not declare its rule right for complex values: its author sets "
                                            r"complex_grad = True where it is"):
        T.grad(_cost(Twice(), z), z)


def test_a_rule_declared_for_real_values_refuses_complex_ones():
    z = T.zvector("z")
    with pytest.raises(GradientError, match=r"on complex values is not implemented \(its rule is for real values\)"):
        T.grad(_cost(RealOnly(), z), z)


def test_a_declared_rule_gives_the_complex_gradient():
    z = T.zvector("z")
    f = function([z], T.grad(_cost(DeclaredTwice(), z), z))
    v = np.array([1 + 2j, -0.5 + 0.25j])
    np.testing.assert_allclose(f(v), 8 * v)  # d/dx + i d/dy of 4 |z|^2 is 8 z


@pytest.mark.parametrize("op", [Twice(), RealOnly(), DeclaredTwice()])
def test_real_values_are_unaffected(op):
    x = T.dvector("x")
    f = function([x], T.grad(_cost(op, x), x))
    np.testing.assert_allclose(f(np.array([1.0, -3.0])), [8.0, -24.0])


def _all_ops() -> set:
    import framework.compat.theano as compat

    compat.install()
    for name in ("framework", "framework_backend_numpy", "framework_rewrites", "framework_conv", "framework_rbm",
                 "framework_linear", "framework_datasets"):
        pkg = importlib.import_module(name)
        for info in pkgutil.walk_packages(pkg.__path__, name + "."):
            if info.name.endswith("__main__"):
                continue
            importlib.import_module(info.name)
    seen: set = set()
    todo = [Op]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return seen


def test_every_bundled_op_with_a_gradient_declares_whether_it_is_right_for_complex_values():
    """The kernel's and the bundled plugins' ops each say it, once, with the op (the Theano layer's
    ``gof.Op`` -- the base of a user's own ops -- and ``as_op``'s ops are the user's to declare)."""
    users = {("framework.compat.theano.gof.op", "Op"), ("framework.compat.theano.compile.ops", "FromFunctionOp")}
    silent = []
    for cls in _all_ops():
        if cls.__module__.startswith(("tests.", "test_")) or (cls.__module__, cls.__name__) in users:
            continue
        if not cls.__module__.startswith(("framework", "framework_")):
            continue
        has_grad = any("grad" in b.__dict__ for b in cls.__mro__ if b is not Op and issubclass(b, Op))
        declared = any("complex_grad" in b.__dict__ for b in cls.__mro__ if b is not Op)
        if has_grad and not declared:
            silent.append(f"{cls.__module__}.{cls.__name__}")
    assert not silent, f"ops with a gradient that do not declare complex_grad: {sorted(silent)}"

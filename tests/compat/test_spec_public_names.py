"""Names of Theano 1.0's public modules that programs and their own test suites import, and that
the layer lacked: each called as Theano 1.0's documentation and tests use it, its result checked
against what they say (theano/compile/tests/test_monitormode.py, test_nanguardmode.py,
theano/tests/unittest_tools.py, theano/gof/graph.py's docstrings, library/tensor/basic.txt).
Our own tests; each says which Theano behaviour it follows."""
from __future__ import annotations

import io
import pickle
from contextlib import redirect_stdout

import numpy as np
import pytest

import framework.compat.theano as _compat

_compat.install()  # the session fixture does too; the imports below need it first

import theano  # noqa: E402
import theano.tensor as T  # noqa: E402
from theano.compile import MonitorMode, NanGuardMode  # noqa: E402
from theano.tests import unittest_tools as utt  # noqa: E402

from .test_spec_custom_ops import Doubler  # noqa: E402 -- a Theano op with perform and grad

MODES = ["FAST_RUN", "FAST_COMPILE", "DebugMode"]


# --- T.specify_shape -----------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_specify_shape_passes_a_value_of_that_shape_and_refuses_another(mode):
    """``specify_shape(x, shape)`` is ``x``; a value of another shape is an AssertionError when
    the function runs (Theano's SpecifyShape.perform asserts the shape)."""
    x = T.matrix("x")
    y = T.specify_shape(x, (2, 3))
    f = theano.function([x], y * 2, mode=mode)
    np.testing.assert_array_equal(f(np.ones((2, 3))), 2 * np.ones((2, 3)))
    with pytest.raises(AssertionError, match=r"\(3, 3\).*\(2, 3\)"):
        f(np.ones((3, 3)))


def test_specify_shape_gives_the_shape_while_building_and_takes_a_symbolic_vector():
    """The sizes given become the output's static shape (Theano's infer_shape gives them to shape
    rewrites); a symbolic integer vector works too, checked when the function runs."""
    x = T.matrix("x")
    y = T.specify_shape(x, (4, 5))
    assert y.type.shape == (4, 5)
    assert int(T.get_scalar_constant_value(y.shape[1])) == 5
    s = T.lvector("s")
    f = theano.function([x, s], T.specify_shape(x, s).sum())
    assert f(np.ones((2, 3)), [2, 3]) == 6
    with pytest.raises(AssertionError):
        f(np.ones((2, 3)), [3, 2])


def test_specify_shape_refuses_a_shape_of_the_wrong_length_while_building():
    with pytest.raises(ValueError, match="2 dimensions.*3 entries"):
        T.specify_shape(T.matrix(), (1, 2, 3))
    with pytest.raises(ValueError, match="axis 0.*size 1, not 2"):
        T.specify_shape(T.row(), (2, 3))


def test_specify_shape_gradient_is_the_output_gradient():
    """Theano's SpecifyShape.grad passes the gradient through (with the shape specified)."""
    x = T.matrix("x")
    g = T.grad((T.specify_shape(x, (2, 2)) ** 2).sum(), x)
    v = np.arange(4.0).reshape(2, 2)
    np.testing.assert_allclose(theano.function([x], g)(v), 2 * v)


# --- theano.tensor.opt: Assert / assert_ / Shape_i --------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_assert_returns_the_value_and_raises_its_message_on_a_false_condition(mode):
    """``opt.assert_(x, cond)`` is ``x``; a false condition raises AssertionError with the op's
    message ('Theano Assert failed!' by default, or ``Assert(msg)``'s)."""
    from theano.tensor.opt import Assert, assert_, assert_op

    assert assert_ is assert_op
    x = T.vector("x")
    f = theano.function([x], assert_(x, T.gt(x.shape[0], 1)) * 2, mode=mode)
    np.testing.assert_array_equal(f([1.0, 2.0]), [2.0, 4.0])
    with pytest.raises(AssertionError, match="Theano Assert failed!"):
        f([1.0])
    g = theano.function([x], Assert("x must be positive")(x, T.all(x > 0)), mode=mode)
    with pytest.raises(AssertionError, match="x must be positive"):
        g([1.0, -1.0])


def test_assert_conditions_must_be_scalars_and_get_no_gradient():
    from theano.tensor.opt import assert_

    x = T.vector("x")
    with pytest.raises(TypeError, match="condition 0 must be a 0-d"):
        assert_(x, x > 0)
    g = theano.function([x], T.grad(assert_(x, T.gt(x.shape[0], 0)).sum(), x))
    np.testing.assert_array_equal(g([3.0, 4.0]), [1.0, 1.0])


def test_shape_i_is_one_entry_of_the_shape():
    from theano.tensor.opt import Shape_i

    x = T.matrix("x")
    f = theano.function([x], Shape_i(1)(x))
    assert f(np.ones((2, 5))) == 5


# --- T.get_scalar_constant_value --------------------------------------------------------------

def test_get_scalar_constant_value_follows_constants_static_sizes_and_elementwise_ops():
    """Theano's get_scalar_constant_value: numbers, constants (one repeated value counts), static
    sizes, element-wise ops of those; anything else is NotScalarConstantError."""
    gv = T.get_scalar_constant_value
    assert gv(3) == 3 and gv(np.array(2.5)) == 2.5
    assert gv(T.constant(np.array([7, 7, 7]))) == 7
    assert gv(T.cast(T.constant(3), "float32") * 2) == 6.0
    assert gv(T.row().shape[0]) == 1
    for unknown in (T.scalar(), T.matrix().shape[0], np.array([1, 2]), T.constant(np.array([1, 2]))):
        with pytest.raises(T.NotScalarConstantError):
            gv(unknown)
    assert T.basic.get_scalar_constant_value is gv


# --- theano.compile: modes --------------------------------------------------------------------

def test_get_default_mode_and_get_mode_none_give_config_mode_as_a_mode_object():
    """``get_mode(None)`` is ``config.mode``'s mode (Theano: ``get_default_mode()``); names give mode
    objects whose ``including``/``excluding`` are Theano's methods."""
    from theano.compile.mode import get_default_mode, get_mode

    default = get_default_mode()
    assert isinstance(default, theano.compile.Mode) and default.name == "FAST_RUN"
    assert get_mode(None) is default is theano.compile.get_mode("FAST_RUN")
    with theano.config.change_flags(mode="FAST_COMPILE"):
        assert get_default_mode().name == "FAST_COMPILE"
    assert get_mode("DebugMode").linker == "debug"
    assert isinstance(get_mode("NanGuardMode"), NanGuardMode)
    assert get_mode("Mode").name == "FAST_RUN"
    fewer = default.excluding("fusion")
    assert "fusion" in fewer.excluding and "fusion" not in default.excluding
    assert fewer.including("canonicalize").excluding == fewer.excluding


def test_theano_optimizer_group_names_switch_framework_stages():
    """``excluding('local_elemwise_fusion')`` (Theano's name for the fusion group) turns fusion off."""
    x = T.dscalar("x")
    fused = theano.function([x], T.log(x) * x)
    apart = theano.function([x], T.log(x) * x, mode=theano.compile.get_default_mode().excluding(
        "local_elemwise_fusion", "inplace_elemwise_optimizer"))
    assert len(fused.maker.fgraph.toposort()) == 1
    assert len(apart.maker.fgraph.toposort()) == 2


def test_register_mode_names_a_mode_for_function():
    from theano.compile.mode import predefined_modes, register_mode

    name = "test_spec_public_names_fast_compile"
    register_mode(name, theano.Mode(optimizer="fast_compile"))
    try:
        assert predefined_modes[name].optimizer == "fast_compile"
        x = T.dscalar()
        assert theano.function([x], x * 2, mode=name)(3.0) == 6.0
        with pytest.raises(ValueError, match="already taken"):
            register_mode(name, theano.Mode())
        with pytest.raises(ValueError, match="already taken"):
            register_mode("FAST_RUN", theano.Mode())
    finally:
        predefined_modes.pop(name, None)


def test_a_mode_pickles_with_its_tags():
    m = pickle.loads(pickle.dumps(theano.Mode(optimizer="fast_compile").excluding("fusion")))
    assert m.optimizer == "fast_compile" and tuple(m.excluding) == ("fusion",)
    assert tuple(m.excluding("inplace").excluding) == ("fusion", "inplace")


# --- MonitorMode ------------------------------------------------------------------------------

def _nan_detector(found):
    def detect_nan(i, node, fn):
        for output in fn.outputs:
            if np.isnan(output[0]).any():
                found.append((i, str(node.op), [c[0] for c in fn.inputs]))
                break
    return detect_nan


def test_monitor_mode_post_func_sees_each_nodes_outputs_and_nan_is_not_an_error():
    """Theano's test_monitormode.test_detect_nan: log(0) * 0 is NaN; the post_func sees it; the
    function returns it (MonitorMode does not raise)."""
    found = []
    x = T.dscalar("x")
    f = theano.function([x], [T.log(x) * x], mode=MonitorMode(post_func=_nan_detector(found)))
    with np.errstate(all="ignore"):
        out = f(0)
    assert np.isnan(out[0]) and found


def test_monitor_mode_excluding_fusion_keeps_the_functions_and_shows_each_node():
    """test_monitormode.test_optimizer: without fusion the graph has two nodes, and the NaN is
    seen at the second."""
    found = []
    x = T.dscalar("x")
    mode = MonitorMode(post_func=_nan_detector(found)).excluding("fusion")
    f = theano.function([x], [T.log(x) * x], mode=mode)
    assert len(f.maker.fgraph.toposort()) == 2
    with np.errstate(all="ignore"):
        f(0)
    assert [op for _, op, _ in found] == ["mul"] and found[0][0] == 1


def test_monitor_mode_calls_pre_and_post_in_schedule_order():
    """``pre_func(i, node, fn)`` before node i runs (its outputs not computed yet), ``post_func``
    after; ``fn.inputs``/``fn.outputs`` are one-element storage cells."""
    calls = []
    x = T.dvector("x")
    mode = MonitorMode(pre_func=lambda i, node, fn: calls.append(("pre", i, fn.outputs[0][0])),
                       post_func=lambda i, node, fn: calls.append(("post", i, fn.outputs[0][0].copy())),
                       optimizer=None)
    f = theano.function([x], T.exp(x) + 1, mode=mode)
    f([0.0, 1.0])
    assert [c[:2] for c in calls] == [("pre", 0), ("post", 0), ("pre", 1), ("post", 1)]
    assert calls[0][2] is None
    np.testing.assert_allclose(calls[1][2], np.exp([0.0, 1.0]))
    np.testing.assert_allclose(calls[3][2], np.exp([0.0, 1.0]) + 1)


def test_monitor_mode_refuses_a_linker_and_detect_nan_prints_the_node():
    with pytest.raises(ValueError, match="own linker"):
        MonitorMode(linker="cvm")
    from theano.compile.monitormode import detect_nan

    x = T.dscalar("x")
    f = theano.function([x], T.log(x) * x, mode=MonitorMode(post_func=detect_nan).excluding("fusion"))
    buf = io.StringIO()
    with redirect_stdout(buf), np.errstate(all="ignore"):
        f(0.0)
    text = buf.getvalue()
    assert "*** NaN detected ***" in text and "mul" in text and "Inputs :" in text


def test_debugprint_of_an_apply_node_prints_its_output():
    x = T.dscalar("x")
    text = theano.printing.debugprint((x + 1).owner, file="str")
    assert text.splitlines()[0].startswith("add") and "x" in text


# --- NanGuardMode -----------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [np.inf, np.nan, 1e20])
def test_nan_guard_mode_raises_assertion_error_on_inf_nan_and_big_values(bad):
    """Theano's test_nanguardmode.test_NanGuardMode: normal values pass; Inf, NaN, 1e20 in an input
    raise AssertionError (big_is_error defaults to True)."""
    x = T.matrix()
    w = theano.shared(np.random.RandomState(0).randn(5, 7))
    fun = theano.function([x], T.dot(x, w), mode=NanGuardMode(nan_is_error=True, inf_is_error=True))
    fun(np.random.RandomState(1).randn(3, 5))
    with pytest.raises(AssertionError, match="NanGuardMode"):
        fun(np.tile(bad, (3, 5)))


def test_nan_guard_mode_checks_only_what_it_is_asked_to():
    x = T.dvector("x")
    only_inf = theano.function([x], T.log(x), mode=NanGuardMode(nan_is_error=False, inf_is_error=True,
                                                                 big_is_error=False))
    with np.errstate(all="ignore"):
        assert np.isnan(only_inf([-1.0])[0])                  # a NaN is allowed
        with pytest.raises(AssertionError, match="Inf detected in output 0"):
            only_inf([0.0])                                    # log(0) = -inf is not
    assert only_inf([1e30])[0] > 60                            # big values are allowed
    with pytest.raises(ValueError, match="at least one"):
        NanGuardMode(False, False, False)


def test_nan_guard_mode_by_name():
    x = T.dvector("x")
    f = theano.function([x], T.sqrt(x), mode="NanGuardMode")
    with np.errstate(all="ignore"), pytest.raises(AssertionError, match="NaN detected"):
        f([-1.0])


def test_debug_mode_class_takes_theanos_options():
    """``DebugMode(check_isfinite=False)`` lets NaN through; by default DebugMode raises on it."""
    from theano.compile.debugmode import DebugMode

    x = T.dvector("x")
    with np.errstate(all="ignore"):
        assert np.isnan(theano.function([x], T.log(x), mode=DebugMode(check_isfinite=False))([-1.0])[0])
        with pytest.raises(Exception, match="NaN"):
            theano.function([x], T.log(x), mode=DebugMode(check_py_code=False))([-1.0])


# --- theano.gof.graph / theano.gof.fg ---------------------------------------------------------

def test_graph_inputs_lists_the_roots_in_theanos_order():
    """``graph.inputs([z])`` for ``z = x + y * 2``: x, y, then the constant (Theano's depth-first
    order, inputs left to right)."""
    from theano.gof import graph

    x, y = T.dscalars("x", "y")
    z = x + y * 2
    roots = graph.inputs([z])
    assert roots[:2] == [x, y] and isinstance(roots[2], theano.Constant) and len(roots) == 3
    assert graph.inputs([z], blockers=[z.owner.inputs[1]]) == [x, z.owner.inputs[1]]
    assert set(graph.orphans([x], [z])) == {y, roots[2]}
    assert graph.ops([x, y], [z]) == {z.owner, z.owner.inputs[1].owner}
    assert graph.variables([x, y], [z])[0] is z and set(graph.variables([x, y], [z])) >= {x, y, z}


def test_graph_clone_and_is_same_graph():
    from theano.gof import graph

    x, y = T.dscalars("x", "y")
    (xc,), (out,) = graph.clone([x], [x * 2 + y])
    assert xc is not x and graph.inputs([out])[0] is xc
    assert graph.is_same_graph(x + y, x + y)
    assert not graph.is_same_graph(x + y, y + x)
    assert graph.is_same_graph(x + 1, y + 1, givens={x: y})
    assert graph.is_same_graph(out, x * 2 + y, givens={xc: x})


def test_function_graph_clones_by_default_and_refuses_a_missing_input():
    from theano.gof.fg import FunctionGraph, MissingInputError

    x, y = T.dscalars("x", "y")
    z = x + y
    fg = FunctionGraph([x, y], [z])
    assert fg.inputs[0] is not x and len(fg.toposort()) == 1
    same = FunctionGraph([x, y], [z], clone=False)
    assert same.inputs == [x, y] and same.outputs == [z]
    with pytest.raises(MissingInputError, match="depend on y"):
        FunctionGraph([x], [z])
    assert theano.gof.MissingInputError is MissingInputError
    assert FunctionGraph([x], [x + theano.shared(1.0)]).toposort()


# --- theano._asarray, theano.tensor.sharedvar -------------------------------------------------

def test_asarray_gives_exactly_the_dtype_asked_and_reads_floatx():
    a = theano._asarray([1, 2], dtype="int32")
    assert a.dtype == np.int32 and list(a) == [1, 2]
    with theano.config.change_flags(floatX="float32"):
        assert theano._asarray([1.5], dtype="floatX").dtype == np.float32
    v = np.ones(3, dtype="float64")
    assert theano._asarray(v, "float64") is v                   # no copy when it already is one
    from theano.misc.safe_asarray import _asarray

    assert _asarray is theano._asarray


def test_sharedvar_module_has_the_classes_and_scalar_constructor():
    from theano.tensor.sharedvar import SharedVariable, TensorSharedVariable, scalar_constructor

    s = theano.shared(np.zeros(3))
    assert isinstance(s, SharedVariable) and isinstance(s, TensorSharedVariable)
    c = scalar_constructor(2.5, name="c")
    assert c.get_value() == 2.5 and c.ndim == 0 and c.name == "c"
    with pytest.raises(TypeError, match="expected a number"):
        scalar_constructor(np.zeros(3))


def test_compile_submodules_name_theanos_classes():
    from theano.compile.function_module import Function, UnusedInputError
    from theano.compile.debugmode import DebugModeError

    x = T.dscalar()
    assert isinstance(theano.function([x], x), Function)
    with pytest.raises(UnusedInputError):
        theano.function([x, T.dscalar()], x)
    assert issubclass(DebugModeError, Exception)


# --- theano.tests.unittest_tools (utt) --------------------------------------------------------

def test_fetch_seed_and_seed_rng_read_config_unittests_rseed():
    """666 by default (Theano's ``config.unittests.rseed``), 'random' gives None, an explicit seed wins."""
    assert utt.fetch_seed() == 666 and utt.fetch_seed(42) == 42
    assert utt.seed_rng() == 666
    first = np.random.rand()
    utt.seed_rng()
    assert np.random.rand() == first
    with theano.config.change_flags(**{"unittests.rseed": "random"}):
        assert utt.fetch_seed() is None


class DoubleOp(Doubler):
    """test_spec_custom_ops's ``Doubler`` with a correct ``infer_shape`` (the tutorial's kind)."""

    def infer_shape(self, node, shapes):
        return shapes


class WrongGradOp(DoubleOp):
    def grad(self, inputs, output_grads):
        return [output_grads[0] * 3]


def test_utt_verify_grad_seeds_numpy_and_raises_e_grad_on_a_wrong_gradient():
    utt.verify_grad(DoubleOp(), [np.random.rand(3, 4)])
    with pytest.raises(utt.verify_grad.E_grad):
        utt.verify_grad(WrongGradOp(), [np.random.rand(3, 4)])
    assert utt.verify_grad.E_grad is theano.gradient.verify_grad.E_grad


def test_theano_verify_grad_takes_out_type_before_the_tolerances():
    """Theano's order: ``verify_grad(fun, pt, n_tests, rng, eps, out_type, abs_tol, rel_tol)``."""
    rng = np.random.RandomState(3)
    theano.gradient.verify_grad(lambda a: a ** 2, [rng.rand(3)], 2, rng, None, None, 1e-4, 1e-4)


def test_utt_assert_allclose_uses_theanos_tolerances_and_explains_a_difference():
    utt.assert_allclose(np.float32(1.0), np.float32(1.000001))
    utt.assert_allclose(np.ones(2), np.ones(2) + 1e-9)
    with pytest.raises(utt.WrongValue) as info:
        utt.assert_allclose(np.ones(3), np.ones(3) * 1.001)
    text = str(info.value)
    assert "Max Abs Diff" in text and "rtol, atol: 1e-05 1e-08" in text
    utt.assert_allclose(np.ones(3), np.ones(3) * 1.001, rtol=1e-2)


class TestDoubleOpShape(utt.InferShapeTester):
    """A user's infer_shape test as Theano's documentation writes it (a subclass of InferShapeTester)."""

    def test_infer_shape(self):
        x = T.matrix()
        self._compile_and_check([x], [DoubleOp()(x)], [np.random.rand(5, 4)], DoubleOp)


class WrongShapeOp(DoubleOp):
    def infer_shape(self, node, shapes):
        return [(shapes[0][1], shapes[0][0])]


def test_infer_shape_tester_catches_a_wrong_infer_shape():
    tester = TestDoubleOpShape("test_infer_shape")
    tester.setUp()
    x = T.matrix()
    with pytest.raises(Exception):
        tester._compile_and_check([x], [WrongShapeOp()(x)], [np.random.rand(5, 4)], WrongShapeOp)


def test_optimization_mixin_counts_ops_in_the_compiled_graph():
    class Checks(utt.TestOptimizationMixin):
        pass

    x = T.matrix()
    f = theano.function([x], DoubleOp()(x))
    Checks().assertFunctionContains1(f, DoubleOp())
    Checks().assertFunctionContainsClassN(f, DoubleOp, 1)
    with pytest.raises(AssertionError):
        Checks().assertFunctionContains0(f, DoubleOp())


def test_mock_random_state_and_attempt_many_times():
    assert (utt.MockRandomState(0.5).rand(2, 3) == 0.5).all()
    assert list(utt.MockRandomState(0).randint(3, 9, size=2)) == [3, 3]
    assert list(utt.MockRandomState(1).randint(5, size=1)) == [4]
    seeds = []

    @utt.AttemptManyTimes(n_attempts=3, n_req_successes=1)
    def flaky():
        seeds.append(utt.fetch_seed())
        if len(seeds) < 2:
            raise AssertionError("first attempt fails")

    flaky()
    assert seeds == [666, 667] and utt.fetch_seed() == 666


def test_theanos_optimisations_and_thunk_calls_are_clear_errors():
    """Theano's local optimisers have no counterpart (an AttributeError saying where rewrites are);
    MonitorMode's ``fn()`` cannot run the node a second time (a TypeError saying what to read)."""
    import theano.tensor.opt as opt

    with pytest.raises(AttributeError, match="framework_rewrites"):
        opt.register_canonicalize  # noqa: B018
    for module, name in ((theano.gof, "COp"), (theano.compile, "optdb")):
        with pytest.raises(AttributeError, match="docs/theano.md"):
            getattr(module, name)
    x = T.dscalar("x")
    f = theano.function([x], x * 2, mode=MonitorMode(post_func=lambda i, node, fn: fn()))
    with pytest.raises(TypeError, match="fn.inputs and fn.outputs"):
        f(1.0)


# --- element-wise functions Theano 1.0 had and framework's table lacks --------------------------

_SPECIAL = {"arcsin": (np.arcsin, [0.1, 0.5, -0.9]), "arccos": (np.arccos, [0.1, 0.5, -0.9]),
            "arcsinh": (np.arcsinh, [-2.0, 0.5, 3.0]), "arccosh": (np.arccosh, [1.5, 2.0, 4.0]),
            "arctanh": (np.arctanh, [0.1, -0.5, 0.9]), "erf": ("erf", [-1.0, 0.3, 2.0]),
            "erfc": ("erfc", [-1.0, 0.3, 2.0]), "erfinv": ("erfinv", [-0.5, 0.1, 0.9]),
            "erfcinv": ("erfcinv", [0.2, 1.0, 1.7]), "gamma": ("gamma", [0.5, 2.5, 4.0]),
            "gammaln": ("gammaln", [0.5, 2.5, 40.0]), "psi": ("digamma", [0.5, 2.5, 4.0]),
            "j0": ("j0", [0.3, 1.7, 4.2]), "j1": ("j1", [0.3, 1.7, 4.2]), "i0": ("i0", [0.3, 1.7, 4.2]),
            "i1": ("i1", [0.3, 1.7, 4.2])}


@pytest.mark.parametrize("name", sorted(_SPECIAL))
def test_elementwise_math_functions_match_numpy_and_scipy_with_gradients(name):
    """``T.arcsin``... ``T.psi``: NumPy's/SciPy's values in every mode; the gradient checked by
    finite differences (``psi`` has none in Theano 1.0: a null gradient, NullTypeGradError)."""
    import scipy.special

    ref, points = _SPECIAL[name]
    ref = getattr(scipy.special, ref) if isinstance(ref, str) else ref
    fn = getattr(T, name)
    x = T.dvector("x")
    v = np.array(points)
    for mode in MODES:
        np.testing.assert_allclose(theano.function([x], fn(x), mode=mode)(v), ref(v), rtol=1e-12)
    if name == "psi":
        with pytest.raises(theano.gradient.NullTypeGradError):
            T.grad(fn(x).sum(), x)
    else:
        theano.gradient.verify_grad(fn, [v], rng=np.random.RandomState(0))


def test_integer_inputs_compute_in_theanos_float_dtype():
    """``upgrade_to_float``: int8 to float32, int32/int64 to float64."""
    assert T.erf(T.bvector()).dtype == "float32" and T.arcsin(T.ivector()).dtype == "float64"
    assert T.erf(T.fvector()).dtype == "float32"
    b = T.bvector("b")
    out = theano.function([b], T.gammaln(b))(np.array([1, 3], dtype="int8"))
    assert out.dtype == np.float32 and np.allclose(out, [0.0, np.log(2.0)])


def test_arctan2_broadcasts_keeps_signed_zeros_and_has_gradients():
    y, x = T.dmatrix("y"), T.dvector("x")
    f = theano.function([y, x], T.arctan2(y, x))
    yv, xv = np.array([[-0.0, 1.0, 1.0]]), np.array([-1.0, -1.0, 2.0])
    np.testing.assert_array_equal(f(yv, xv), np.arctan2(yv, xv))   # -0.0 over -1 is -pi
    theano.gradient.verify_grad(T.arctan2, [np.random.rand(2, 3) + 0.5, np.random.rand(2, 3) + 0.5],
                                rng=np.random.RandomState(0))


def test_chi2sf_inv_deg2rad_rad2deg_floor_div():
    import scipy.stats

    x = T.dvector("x")
    v = np.array([0.5, 2.0, 7.0])
    np.testing.assert_allclose(theano.function([x], T.chi2sf(x, 3))(v), scipy.stats.chi2.sf(v, 3))
    np.testing.assert_allclose(theano.function([x], [T.inv(x), T.deg2rad(x), T.rad2deg(x)])(v),
                               [1 / v, np.deg2rad(v), np.rad2deg(v)])
    assert T.inv(T.ivector()).dtype == "float64" and T.deg2rad(T.fvector()).dtype == "float32"
    i = T.ivector("i")
    np.testing.assert_array_equal(theano.function([i], T.floor_div(i, 2))(np.array([-3, 5], "int32")), [-2, 2])


def test_isclose_and_allclose_follow_numpys_rule():
    a, b = T.dvectors("ab")
    f = theano.function([a, b], [T.isclose(a, b), T.isclose(a, b, equal_nan=True), T.allclose(a, b)])
    av, bv = np.array([1.0, np.inf, np.nan, 1.0, -np.inf]), np.array([1 + 1e-9, np.inf, np.nan, 2.0, np.inf])
    with np.errstate(invalid="ignore"):  # inf - inf, as inside NumPy's own isclose
        close, close_nan, every = f(av, bv)
    np.testing.assert_array_equal(close, np.isclose(av, bv))
    np.testing.assert_array_equal(close_nan, np.isclose(av, bv, equal_nan=True))
    with np.errstate(invalid="ignore"):
        assert not every and f(av[:2], bv[:2])[2]


def test_tensor5_constructors():
    assert T.tensor5("t").ndim == 5 and T.ftensor5().dtype == "float32" and T.ltensor5().dtype == "int64"
    assert [v.name for v in T.dtensor5s("pq")] == ["p", "q"]


# --- functions of theano.tensor built from framework's ops ------------------------------------

@pytest.mark.parametrize("offset", [0, 1, -1, 7])
def test_trace_with_offset_and_axes_is_numpys(offset):
    m, t = T.dmatrix("m"), T.dtensor3("t")
    a, b = np.arange(12.0).reshape(3, 4), np.random.RandomState(0).rand(2, 3, 4)
    assert theano.function([m], T.trace(m, offset))(a) == np.trace(a, offset)
    np.testing.assert_allclose(theano.function([t], T.trace(t, offset, 0, 2))(b), np.trace(b, offset, 0, 2))
    theano.gradient.verify_grad(lambda x: T.trace(x, offset), [a], rng=np.random.RandomState(0))
    with pytest.raises(ValueError, match="at least 2"):
        T.trace(T.dvector())


def test_batched_tensordot_is_a_tensordot_per_batch_entry():
    x, y, z = T.dtensor3("x"), T.dtensor3("y"), T.dtensor4("z")
    rng = np.random.RandomState(0)
    xv, yv, zv = rng.rand(2, 3, 4), rng.rand(2, 4, 5), rng.rand(2, 3, 4, 5)
    np.testing.assert_allclose(theano.function([x, y], T.batched_tensordot(x, y, [[2], [1]]))(xv, yv),
                               np.einsum("bij,bjk->bik", xv, yv))
    np.testing.assert_allclose(theano.function([x, z], T.batched_tensordot(x, z, 2))(xv, zv),
                               np.einsum("bij,bijk->bk", xv, zv))
    theano.gradient.verify_grad(lambda p, q: T.batched_tensordot(p, q, [[2], [1]]), [xv, yv], rng=rng)
    with pytest.raises(ValueError, match="batch axis"):
        T.batched_tensordot(x, y, [[0], [0]])


def test_stacking_helpers_and_vector_length():
    m = T.dmatrix("m")
    a = np.arange(6.0).reshape(2, 3)
    assert theano.function([m], T.horizontal_stack(m, m))(a).shape == (2, 6)
    assert theano.function([m], T.vertical_stack(m, m, m))(a).shape == (6, 3)
    with pytest.raises(TypeError, match="must be a matrix"):
        T.horizontal_stack(m, T.dvector())
    s, u = T.dscalars("su")
    np.testing.assert_array_equal(theano.function([s, u], T.stacklists([[s, u], [u, s]]))(1.0, 2.0),
                                  [[1.0, 2.0], [2.0, 1.0]])
    assert T.get_vector_length(T.as_tensor_variable([1, 2, 3])) == 3
    assert T.get_vector_length(m.shape) == 2 and T.get_vector_length(T.stack([s, u])) == 2
    with pytest.raises(ValueError, match="not known"):
        T.get_vector_length(T.dvector())
    assert T.numpy_scalar(np.array(3)) == 3
    with pytest.raises(T.NotScalarConstantError):
        T.numpy_scalar(np.zeros(2))


# --- extra_ops, slinalg, nlinalg --------------------------------------------------------------

def test_compress_is_numpys():
    from theano.tensor.extra_ops import compress

    c, m, v = T.ivector("c"), T.dmatrix("m"), T.dvector("v")
    a = np.arange(12.0).reshape(3, 4)
    cond = np.array([1, 0, 1, 0], dtype="int32")
    np.testing.assert_array_equal(theano.function([c, m], compress(c, m, axis=1))(cond, a),
                                  np.compress(cond, a, axis=1))
    np.testing.assert_array_equal(theano.function([c, m], compress(c, m))(cond, a), np.compress(cond, a))


@pytest.mark.parametrize("shape", [(3, 4), (5, 2), (3, 3, 3)])
def test_fill_diagonal_is_numpys_with_gradients(shape):
    from theano.tensor.extra_ops import fill_diagonal

    x = T.TensorType("float64", (False,) * len(shape))("x")
    b = np.random.RandomState(0).rand(*shape)
    expected = b.copy()
    np.fill_diagonal(expected, 7.0)
    np.testing.assert_array_equal(theano.function([x], fill_diagonal(x, 7))(b), expected)
    theano.gradient.verify_grad(fill_diagonal, [b, np.array(3.0)], rng=np.random.RandomState(1))


def test_fill_diagonal_refuses_what_theano_refuses():
    from theano.tensor.extra_ops import fill_diagonal

    with pytest.raises(TypeError, match="cannot be upcast"):
        fill_diagonal(T.fmatrix(), T.dscalar())
    with pytest.raises(TypeError, match="at least two"):
        fill_diagonal(T.dvector(), 1.0)
    t = T.dtensor3()
    with pytest.raises(AssertionError, match="equal length"):
        theano.function([t], fill_diagonal(t, 1.0))(np.zeros((3, 3, 4)))


@pytest.mark.parametrize("offset", [0, 1, -1, 3, -2, 5, -5])
def test_fill_diagonal_offset_fills_the_offset_diagonal(offset):
    from theano.tensor.extra_ops import fill_diagonal_offset

    m, k = T.dmatrix("m"), T.iscalar("k")
    a = np.arange(12.0).reshape(3, 4)
    expected = a.copy()
    for i in range(3):
        if 0 <= i + offset < 4:
            expected[i, i + offset] = 9.0
    np.testing.assert_array_equal(theano.function([m, k], fill_diagonal_offset(m, 9.0, k))(a, offset), expected)


def test_triangular_and_symmetric_solves_read_one_triangle():
    import scipy.linalg

    from theano.tensor.slinalg import solve_lower_triangular, solve_symmetric, solve_upper_triangular

    rng = np.random.RandomState(0)
    a, b = rng.rand(4, 4) + 4 * np.eye(4), rng.rand(4, 2)
    m, r = T.dmatrix("m"), T.dmatrix("r")
    for fn, lower in ((solve_lower_triangular, True), (solve_upper_triangular, False)):
        np.testing.assert_allclose(theano.function([m, r], fn(m, r))(a, b),
                                   scipy.linalg.solve_triangular(a, b, lower=lower))
        theano.gradient.verify_grad(lambda x: fn(x, b), [a], rng=rng)
    grad_a = theano.function([m, r], T.grad(solve_lower_triangular(m, r).sum(), m))(a, b)
    assert np.all(np.triu(grad_a, 1) == 0)
    sym = a + a.T
    np.testing.assert_allclose(theano.function([m, r], solve_symmetric(m, r))(sym, b), np.linalg.solve(sym, b))


def test_kron_of_two_matrices_is_numpys():
    from theano.tensor.slinalg import kron

    rng = np.random.RandomState(0)
    a, b = rng.rand(2, 3), rng.rand(4, 5)
    m, n = T.dmatrix("m"), T.dmatrix("n")
    np.testing.assert_allclose(theano.function([m, n], kron(m, n))(a, b), np.kron(a, b))
    theano.gradient.verify_grad(kron, [a, b], rng=rng)
    assert theano.function([m, n], kron(m, n))(a, b).shape == (8, 15)
    with pytest.raises(TypeError, match="3 or more"):
        kron(T.dvector(), T.dvector())


def test_norm_of_vectors_and_matrices_is_numpys():
    from theano.tensor.nlinalg import norm

    v, m = T.dvector("v"), T.dmatrix("m")
    x, a = np.array([3.0, -4.0, 0.0, 1.0]), np.array([[1.0, -2, 3], [4, 5, -6]])
    for order, ref in ((None, None), ("inf", np.inf), (np.inf, np.inf), ("-inf", -np.inf), (0, 0), (1, 1), (3, 3)):
        np.testing.assert_allclose(theano.function([v], norm(v, order))(x), np.linalg.norm(x, ref))
    for order, ref in ((None, None), ("fro", "fro"), ("inf", np.inf), ("-inf", -np.inf), (1, 1), (-1, -1)):
        np.testing.assert_allclose(theano.function([m], norm(m, order))(a), np.linalg.norm(a, ref))
    with pytest.raises(ValueError, match="not available for a matrix"):
        norm(m, 2)
    with pytest.raises(ValueError, match="vector or a matrix"):
        norm(T.dtensor3(), None)


@pytest.mark.parametrize("module", [
    "theano.tensor.extra_ops", "theano.tensor.nlinalg", "theano.tensor.slinalg", "theano.tensor.nnet",
    "theano.tensor.nnet.conv", "theano.tensor.signal.pool", "theano.tensor.subtensor", "theano.tensor.sharedvar",
    "theano.gradient", "theano.printing", "theano.ifelse", "theano.sandbox.rng_mrg", "theano.misc.pkl_utils",
    "theano.compile.mode", "theano.compile.io", "theano.gof.graph", "theano.gof.fg", "theano.tests.unittest_tools"])
def test_a_missing_name_of_a_listed_module_is_an_attribute_error_naming_the_docs(module):
    """docs/theano.md: 'a missing name in a listed module raises AttributeError' pointing there, with
    the module named as the program spells it."""
    import importlib

    mod = importlib.import_module(module)
    with pytest.raises(AttributeError, match=rf"module '{module}' has no attribute 'no_such_name'.*docs/theano.md"):
        mod.no_such_name  # noqa: B018
    assert not hasattr(mod, "no_such_name")


def test_basic_allclose_and_top_level_graph_names():
    """``theano.tensor.basic._allclose`` (Theano's tolerances by dtype, which ``utt`` uses) and the
    names ``theano`` re-exports from ``gof`` and ``compile``."""
    from theano.tensor import basic

    assert basic._allclose(np.float32(1.0), np.float32(1.000009))          # float32: atol 1e-5
    assert not basic._allclose(np.float64(1e-6), np.float64(2e-6))          # float64: atol 1e-8
    assert basic._allclose(1.0, 1.1, rtol=0.2)
    assert (basic.float32_atol, basic.float64_atol, basic.float64_rtol) == (1e-5, 1e-8, 1e-5)
    assert theano.Type is theano.gof.Type and theano.Generic is theano.gof.Generic and theano.generic is theano.gof.generic
    x = T.dscalar()
    assert isinstance(theano.function([x], x).maker, theano.compile.FunctionMaker)


# --- nlinalg decompositions ---------------------------------------------------------------------

def test_pinv_qr_svd_tensorinv_tensorsolve_are_numpys():
    from theano.tensor.nlinalg import pinv, qr, svd, tensorinv, tensorsolve

    rng = np.random.RandomState(0)
    a = rng.rand(4, 3)
    m = T.dmatrix("m")
    np.testing.assert_allclose(theano.function([m], pinv(m))(a), np.linalg.pinv(a))
    q, r = theano.function([m], list(qr(m)))(a)
    np.testing.assert_allclose(q @ r, a)
    assert q.shape == (4, 3) and theano.function([m], qr(m, "r"))(a).shape == (3, 3)
    assert [x.shape for x in theano.function([m], list(qr(m, "complete")))(a)] == [(4, 4), (4, 3)]
    u, s, vh = theano.function([m], list(svd(m)))(a)
    assert (u.shape, s.shape, vh.shape) == ((4, 4), (3,), (3, 3))
    np.testing.assert_allclose(theano.function([m], svd(m, compute_uv=0))(a), np.linalg.svd(a, compute_uv=False))
    big = np.eye(24).reshape(4, 6, 8, 3) + 0.01 * rng.rand(4, 6, 8, 3)
    t = T.dtensor4("t")
    np.testing.assert_allclose(theano.function([t], tensorinv(t))(big), np.linalg.tensorinv(big))
    a3, b = T.dtensor3("a3"), T.dmatrix("b")
    av, bv = np.eye(6).reshape(2, 3, 6) + 0.01 * rng.rand(2, 3, 6), rng.rand(2, 3)
    np.testing.assert_allclose(theano.function([a3, b], tensorsolve(a3, b))(av, bv), np.linalg.tensorsolve(av, bv))
    with pytest.raises(theano.gradient.NullTypeGradError):
        T.grad(pinv(m).sum(), m)                       # no gradient in Theano 1.0 either
    with pytest.raises(ValueError, match="economic"):
        qr(m, "economic")


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_values_and_theanos_gradient(uplo):
    """Theano's ``Eigh`` reads one triangle; its gradient (``EighGrad``) is checked here by finite
    differences on symmetric matrices, as theano/tensor/tests/test_nlinalg.py does."""
    from theano.tensor.nlinalg import eig, eigh

    rng = np.random.RandomState(0)
    s = rng.rand(4, 4)
    s = s + s.T
    m = T.dmatrix("m")
    w, v = theano.function([m], list(eigh(m, uplo)))(s)
    rw, rv = np.linalg.eigh(s, uplo)
    np.testing.assert_allclose(w, rw)
    np.testing.assert_allclose(np.abs(v), np.abs(rv))
    theano.gradient.verify_grad(lambda x: eigh(x, uplo)[0], [s], rng=rng)
    theano.gradient.verify_grad(lambda x: eigh(x, uplo)[1] ** 2, [s], rng=rng)   # eigenvectors' signs are free
    ew = theano.function([m], eig(m)[0])(s)
    np.testing.assert_allclose(np.sort(ew), rw)


@pytest.mark.parametrize("name", ["jv", "iv"])
def test_bessel_functions_of_any_order_match_scipy_with_gradients_in_x(name):
    """``T.jv(v, x)``, ``T.iv(v, x)`` (Theano's Jv/Iv): SciPy's values, orders broadcast against
    ``x``; the gradient in ``x`` by finite differences; none in the order (null, as Theano)."""
    import scipy.special

    ref = getattr(scipy.special, name)
    fn = getattr(T, name)
    v, x = T.dvector("v"), T.dmatrix("x")
    vv, xv = np.array([0.0, 1.5, -2.5]), np.array([[0.3, 1.7, 4.2], [2.0, 0.5, 9.0]])
    for mode in MODES:
        np.testing.assert_allclose(theano.function([v, x], fn(v, x), mode=mode)(vv, xv), ref(vv, xv), rtol=1e-12)
    theano.gradient.verify_grad(lambda x: fn(2.5, x), [xv], rng=np.random.RandomState(0))
    with pytest.raises(theano.gradient.NullTypeGradError):
        T.grad(fn(v, x).sum(), v)
    assert fn(T.bscalar(), T.bvector()).dtype == "float32" and fn(T.bscalar(), T.ivector()).dtype == "float64"


def test_theano_tensor_names_of_theano_1_0s_namespace():
    """Names ``theano/tensor/__init__.py`` of Theano 1.0 binds in ``T``: ``fill_diagonal``,
    ``fill_diagonal_offset``, ``bartlett``, ``DiffOp``, ``numeric_grad``, ``SpecifyShape`` (called as
    Theano's ``SpecifyShape()(x, shape)``), ``AsTensorError`` and ``_tensor_py_operators``."""
    import theano
    import theano.tensor as T
    from theano.tensor import extra_ops

    assert T.fill_diagonal is extra_ops.fill_diagonal and T.fill_diagonal_offset is extra_ops.fill_diagonal_offset
    assert T.numeric_grad is theano.gradient.numeric_grad
    m = T.iscalar("m")
    f = theano.function([m], [T.bartlett(m), T.bartlett(m).shape[0]])
    for size in (-2, 0, 1, 2, 7):
        window, length = f(size)
        np.testing.assert_array_equal(window, np.bartlett(size))
        assert window.dtype == np.float64 and length == max(size, 0)
    with pytest.raises(TypeError, match="integer scalar"):
        T.bartlett(T.dscalar())
    x = T.dmatrix("x")
    xv = np.arange(12.0).reshape(4, 3) ** 2
    np.testing.assert_array_equal(theano.function([x], T.DiffOp(2, 0)(x))(xv), np.diff(xv, 2, axis=0))
    np.testing.assert_array_equal(theano.function([x], T.DiffOp()(x))(xv), np.diff(xv))
    shaped = T.SpecifyShape()(x, [4, 3])
    assert shaped.type.shape == (4, 3)
    v = T.lvector("v")
    g = theano.function([x, v], T.SpecifyShape()(x, v))
    assert g(xv, [4, 3]).shape == (4, 3)
    with pytest.raises(AssertionError, match="specify_shape"):
        g(xv, [3, 4])
    with pytest.raises(T.AsTensorError, match="cannot make a tensor"):
        T.as_tensor_variable(object())
    assert issubclass(T.AsTensorError, TypeError)
    for var in (x, T.constant(1.0), theano.shared(np.zeros(2))):
        assert isinstance(var, T._tensor_py_operators)


def test_shared_constructor_registers_constructors_tried_newest_first():
    """Theano 1.0's extension point: ``theano.shared`` tries the registered constructors (the most
    recent first; a ``TypeError`` passes the value on), then framework's own."""
    import theano
    from theano.compile import shared_constructor

    class Box:
        def __init__(self, v):
            self.v = v

    calls = []

    def box(value, name=None, strict=False, allow_downcast=None, **kwargs):
        calls.append("box")
        if not isinstance(value, Box):
            raise TypeError("not a box")
        return theano.shared(np.asarray(value.v, dtype="float32"), name=name)

    def doubled_box(value, name=None, strict=False, allow_downcast=None, **kwargs):
        calls.append("doubled")
        if not isinstance(value, Box) or not kwargs.get("doubled"):
            raise TypeError("not for me")
        return theano.shared(2 * np.asarray(value.v), name=name)

    assert shared_constructor(box) is box and shared_constructor(doubled_box) is doubled_box
    try:
        s = theano.shared(Box([1.0, 2.0]), name="b")
        assert s.name == "b" and s.dtype == "float32" and calls[:2] == ["doubled", "box"]
        np.testing.assert_array_equal(theano.shared(Box([1.0]), doubled=True).get_value(), [2.0])
        assert theano.shared(np.zeros(3)).get_value().shape == (3,)  # the others pass it on
        assert theano.compile.sharedvalue.shared is theano.shared is theano.compile.shared
    finally:
        shared_constructor(box, remove=True)
        shared_constructor(doubled_box, remove=True)
    with pytest.raises(TypeError):
        theano.shared(Box(1.0))
    with pytest.raises(TypeError, match="symbolic variable"):
        theano.shared(theano.tensor.dvector())

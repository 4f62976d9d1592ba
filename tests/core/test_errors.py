"""SPEC section 5 for graphs and functions: every bad input is a clear
exception naming the input, or the op, the shapes and the user's line."""
from __future__ import annotations

import linecache

import numpy as np
import pytest

import framework.tensor as T
from framework import function, grad, shared
from framework.core.backend import BackendError
from framework.core.errors import FrameworkError, InputError, NodeRuntimeError, ShapeError

THIS_FILE = __file__


def line_of(var) -> str:
    """The source text of the line that built ``var``'s node."""
    fname, line = var.owner.trace
    assert fname == THIS_FILE
    return linecache.getline(fname, line).strip()


# --- wrong inputs ------------------------------------------------------------------------------------

def test_wrong_input_type_names_the_input():
    x, y = T.dvector("x"), T.dvector("y")
    f = function([x, y], x + y)
    with pytest.raises(InputError) as info:
        f([1.0], "not numbers")
    msg = str(info.value)
    assert "input 1 ('y')" in msg and "str" in msg
    assert isinstance(info.value, TypeError) and isinstance(info.value, FrameworkError)


def test_wrong_input_dtype_names_the_input_and_both_dtypes():
    x = T.fmatrix("weights")
    f = function([x], x * 2)
    with pytest.raises(InputError) as info:
        f(np.zeros((2, 2)))
    msg = str(info.value)
    assert "input 0 ('weights')" in msg and "float64" in msg and "float32" in msg
    assert "allow_input_downcast" in msg


def test_wrong_number_of_dimensions_names_the_input():
    x = T.dmatrix("x")
    with pytest.raises(InputError) as info:
        function([x], x * 2)(np.zeros(3))
    assert "input 0 ('x')" in str(info.value) and "2 dimension" in str(info.value)


def test_unnamed_input_is_named_by_position():
    x = T.dvector()
    with pytest.raises(InputError) as info:
        function([x], x * 2)("bad")
    assert "input 0" in str(info.value)


@pytest.mark.parametrize("args,kwargs,words", [
    ((1.0, 2.0, 3.0), {}, ["takes 2 input", "3 positional"]),
    ((1.0,), {}, ["missing", "input 1 ('y')"]),
    ((), {}, ["missing", "input 0 ('x')"]),
    ((1.0,), {"z": 2.0}, ["no input named 'z'", "'x', 'y'"]),
])
def test_wrong_number_of_inputs(args, kwargs, words):
    x, y = T.dscalars("x", "y")
    f = function([x, y], x * y)
    with pytest.raises(InputError) as info:
        f(*args, **kwargs)
    for word in words:
        assert word in str(info.value)


# --- run-time shape mismatches -------------------------------------------------------------------

def test_elementwise_shape_mismatch_names_op_shapes_and_line():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    z = x * y  # elementwise built here
    f = function([x, y], z.sum())
    with pytest.raises(ValueError) as info:
        f(np.ones((2, 3)), np.ones((3, 2)))
    msg = str(info.value)
    assert "op 'mul'" in msg
    assert "(2, 3)" in msg and "(3, 2)" in msg
    assert "z = x * y  # elementwise built here" in msg and THIS_FILE in msg
    assert isinstance(info.value, NodeRuntimeError)


def test_dot_shape_mismatch_names_op_shapes_and_line():
    a, b = T.dmatrix("a"), T.dmatrix("b")
    c = T.dot(a, b)  # dot built here
    f = function([a, b], c)
    with pytest.raises(ValueError) as info:
        f(np.ones((2, 3)), np.ones((2, 3)))
    msg = str(info.value)
    assert "dot" in msg and "(2, 3)" in msg and "c = T.dot(a, b)  # dot built here" in msg


def test_the_failing_node_is_the_one_named():
    x, y = T.dvector("x"), T.dvector("y")
    a = T.exp(x)  # fine
    b = a + 1  # fine too
    c = b * y  # this one fails
    f = function([x, y], c.sum())
    with pytest.raises(NodeRuntimeError) as info:
        f(np.ones(3), np.ones(4))
    assert "c = b * y  # this one fails" in str(info.value)
    assert "# fine" not in str(info.value)


def test_gradient_nodes_record_the_line_that_called_grad():
    x, w = T.dvector("x"), T.dvector("w")
    cost = (x * w).sum()  # forward
    gw = grad(cost, w)  # gradient built here
    assert line_of(gw) == "gw = grad(cost, w)  # gradient built here"
    f = function([x, w], gw)
    with pytest.raises(NodeRuntimeError) as info:
        f(np.ones(3), np.ones(2))
    assert "cost = (x * w).sum()  # forward" in str(info.value)


def test_index_out_of_range_names_the_line():
    v = T.dvector("v")
    i = T.lscalar("i")
    out = v[i]  # indexing built here
    f = function([v, i], out)
    with pytest.raises(IndexError) as info:
        f(np.ones(3), 5)
    assert "out = v[i]  # indexing built here" in str(info.value)


def test_shape_errors_are_still_value_errors():
    """User code that catches ValueError keeps working."""
    x, y = T.dvector("x"), T.dvector("y")
    f = function([x, y], x + y)
    try:
        f(np.ones(2), np.ones(3))
    except ValueError as exc:
        assert "add" in str(exc)
    else:
        pytest.fail("no error")


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE", "DEBUG"])
def test_run_time_errors_name_the_line_in_every_mode(mode):
    x, y = T.dmatrix("x"), T.dmatrix("y")
    z = T.tanh(x) + T.exp(y)  # the sum
    f = function([x, y], z * 2, mode=mode)
    with pytest.raises(ValueError) as info:
        f(np.ones((2, 2)), np.ones((3, 3)))
    assert "z = T.tanh(x) + T.exp(y)  # the sum" in str(info.value)
    assert "(2, 2)" in str(info.value) and "(3, 3)" in str(info.value)


def test_a_failing_update_names_its_line():
    s = shared(np.zeros(3), name="s")
    x = T.dvector("x")
    new = s + x  # the update's expression
    f = function([x], [], updates=[(s, new)])
    with pytest.raises(ValueError) as info:
        f(np.ones(4))
    assert "new = s + x  # the update's expression" in str(info.value)
    np.testing.assert_array_equal(s.get_value(), np.zeros(3))  # nothing stored


# --- build-time errors ----------------------------------------------------------------------------

def test_build_time_broadcast_error_names_op_shapes_and_line():
    a = T.tensor("float64", (2, 3), name="a")
    b = T.tensor("float64", (4, 3), name="b")
    with pytest.raises(ShapeError) as info:
        a - b  # cannot broadcast
    msg = str(info.value)
    assert "'sub'" in msg and "(2, 3)" in msg and "(4, 3)" in msg and "a - b  # cannot broadcast" in msg
    assert isinstance(info.value, ValueError)


def test_build_time_broadcast_error_with_partly_known_shapes():
    a = T.tensor("float64", (None, 3), name="a")
    b = T.tensor("float64", (None, 4), name="b")
    with pytest.raises(ShapeError) as info:
        T.maximum(a, b)
    assert "(?, 3)" in str(info.value) and "(?, 4)" in str(info.value)


def test_build_time_dot_error():
    a = T.tensor("float64", (2, 3), name="a")
    b = T.tensor("float64", (4, 5), name="b")
    with pytest.raises(ValueError) as info:
        T.dot(a, b)  # bad dot
    assert "3" in str(info.value) and "4" in str(info.value)


def test_unknown_device_and_mode():
    x = T.dvector("x")
    with pytest.raises(BackendError, match="'quantum'"):
        function([x], x, device="quantum")
    with pytest.raises(ValueError, match="mode"):
        function([x], x, mode="FAST")


def test_errors_do_not_leak_internal_tracebacks_for_input_errors():
    x = T.dvector("x")
    f = function([x], x * 2)
    with pytest.raises(InputError) as info:
        f("bad")
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_an_element_wise_op_numpy_refuses_while_building_names_the_op_and_the_line():
    """``int_vector ** -1`` fails whatever the values (NumPy: integers to negative integer powers);
    the dtype rule meets it while the graph is built -- the error names the op, the operands and the
    user's line, not only NumPy's message."""
    import framework.tensor as T

    with pytest.raises(ValueError, match=r"op 'pow' on \(int64, -1\): Integers to negative.*test_errors.py"):
        T.lvector("v") ** -1
    with pytest.raises(TypeError, match=r"op 'softplus' is not defined for dtypes \(complex128\).*test_errors.py"):
        T.softplus(T.zvector("z"))

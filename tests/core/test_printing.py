"""``pp`` (one readable line) and ``debugprint`` (a tree of a variable or a
compiled function)."""
from __future__ import annotations

import io

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import function, grad, pp, shared
from framework.printing import debugprint


# --- pp ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("build,text", [
    (lambda x, y: (x ** 2) * 2, "((x ** 2) * 2)"),
    (lambda x, y: x + y, "(x + y)"),
    (lambda x, y: x - y / 3, "(x - (y / 3))"),
    (lambda x, y: -x, "-x"),
    (lambda x, y: x // y % 2, "((x // y) % 2)"),
    (lambda x, y: x < y, "(x < y)"),
    (lambda x, y: T.exp(x) + T.log(y), "(exp(x) + log(y))"),
    (lambda x, y: T.maximum(x, 0.5), "maximum(x, 0.5)"),
    (lambda x, y: T.switch(x > 0, x, y), "switch((x > 0), x, y)"),
])
def test_pp_of_elementwise_expressions(build, text):
    x, y = T.dscalars("x", "y")
    assert pp(build(x, y)) == text


def test_pp_of_structure_and_reductions():
    x = T.dmatrix("x")
    assert pp(x.T) == "x.T"
    assert pp(x.sum(axis=0)) == "sum(x, axis=0)"
    assert pp(x.sum()) == "sum(x)"
    assert pp(x.max(axis=1, keepdims=True)) == "max(x, axis=1, keepdims=True)"
    assert pp(T.dvector("v")[1:]) == "v[1:]"


def test_pp_of_unnamed_variables_shows_the_type():
    text = pp(T.dvector() + 1)
    assert "TensorType(float64, (?,))" in text and "+ 1" in text


def test_pp_of_a_shared_variable_and_a_constant():
    w = shared(np.zeros(3), name="w")
    assert pp(w * 2.5) == "(w * 2.5)"
    assert pp(T.constant(np.arange(3)) + w) == "([0, 1, 2] + w)"


def test_pp_of_a_gradient_is_one_line():
    x = T.dscalar("x")
    text = pp(grad(x ** 2, x))
    assert "\n" not in text and "x" in text


def test_pp_is_exported_at_the_top_level():
    assert framework.pp is pp


# --- debugprint ---------------------------------------------------------------------------------------

def test_debugprint_of_a_variable_is_a_tree_with_ids_and_types():
    x = T.dvector("x")
    y = (x * 2 + 1).sum()
    text = debugprint(y, file="str")
    lines = text.splitlines()
    assert lines[0].startswith("sum [id A] <TensorType(float64, ())>")
    assert lines[1].startswith(" |add [id B] <TensorType(float64, (?,))>")
    assert any(line.lstrip(" |").startswith("x [id") for line in lines)
    assert "TensorType(float64, (?,))" in text


def test_debugprint_marks_a_repeated_subexpression_once():
    x = T.dvector("x")
    e = T.exp(x)
    text = debugprint(e * e, file="str")
    assert text.count("exp [id") == 2
    assert "..." in text  # the second occurrence is not expanded again
    exp_ids = {line.split("[id ")[1].split("]")[0] for line in text.splitlines() if "exp [id" in line}
    assert len(exp_ids) == 1


def test_debugprint_prints_names_and_depth():
    x = T.dvector("x")
    y = T.tanh(x)
    y.name = "hidden"
    text = debugprint(y * 2, file="str")
    assert "'hidden'" in text
    shallow = debugprint(T.exp(T.tanh(T.sin(x))), file="str", depth=1)
    assert "tanh" in shallow and "sin" not in shallow


def test_debugprint_without_types():
    x = T.dvector("x")
    text = debugprint(x + 1, file="str", print_type=False)
    assert "TensorType" not in text


def test_debugprint_writes_to_a_file_or_stdout(capsys):
    x = T.dvector("x")
    buf = io.StringIO()
    assert debugprint(x + 1, file=buf) is None
    assert "add" in buf.getvalue()
    debugprint(x + 1)
    assert "add" in capsys.readouterr().out


def test_debugprint_of_several_variables_shares_ids():
    x = T.dvector("x")
    text = debugprint([x * 2, x + 1], file="str")
    x_ids = {line.split("[id ")[1].split("]")[0] for line in text.splitlines() if line.lstrip(" |").startswith("x ")}
    assert len(x_ids) == 1


def test_debugprint_of_a_compiled_function_shows_outputs_and_updates():
    x = T.dvector("x")
    s = shared(np.zeros(2), name="s")
    f = function([x], (x * 2).sum(), updates=[(s, s + x)])
    text = debugprint(f, file="str")
    assert text.splitlines()[0].startswith("sum [id")
    assert "mul" in text and "update" in text
    assert "s [id" in text and "(shared)" in text


def test_debugprint_of_a_compiled_function_shows_the_rewritten_graph():
    x = T.dvector("x")
    f = function([x], x * 2)
    assert debugprint(f, file="str") == debugprint(f.maker.fgraph.outputs, file="str")


def test_debugprint_of_a_function_names_the_shared_variable_each_update_writes():
    import numpy as np
    import framework
    import framework.tensor as T

    acc = framework.shared(np.zeros(2), name="acc")
    x = T.dvector("x")
    f = framework.function([x], acc, updates=[(acc, acc + x)])
    text = framework.debugprint(f, file="str")
    assert "update of acc:" in text

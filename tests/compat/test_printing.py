"""The "Printing/Drawing Theano graphs" page: pp, debugprint, pydotprint (DOT always; PNG/SVG with
Graphviz's dot, a clear message otherwise), and the Print op."""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest


def _logistic():
    import theano
    import theano.tensor as T

    x = T.dmatrix("x")
    w = theano.shared(np.ones(3), name="w")
    p = 1 / (1 + T.exp(-T.dot(x, w)))
    return theano.function([x], p > 0.5), p


def test_pp_and_debugprint():
    import theano
    import theano.tensor as T

    x = T.dscalar("x")
    y = x ** 2
    assert theano.printing.pp(y) == theano.pp(y) and "x" in theano.pp(y)
    text = theano.printing.debugprint(theano.grad(y, x), file="str")
    assert "x" in text


def test_pydotprint_writes_dot_with_op_dtype_shape_and_fused_programs(tmp_path, monkeypatch, capsys):
    import theano

    f, p = _logistic()
    monkeypatch.setenv("PATH", "")  # no Graphviz: the DOT file is still written, and the message says why
    out = theano.printing.pydotprint(f, outfile=str(tmp_path / "logreg.png"), var_with_name_simple=True)
    assert out == str(tmp_path / "logreg.dot")
    err = capsys.readouterr().err
    assert "Graphviz" in err and "not installed" in err and "logreg.dot" in err
    dot = (tmp_path / "logreg.dot").read_text()
    assert dot.startswith("digraph G {")
    assert "float64 (?, ?)" in dot and "float64 (?,)" in dot and "w\\n" in dot and "bool" in dot
    assert "fused" in dot and "t0 = " in dot  # a fused node lists its scalar program
    graph = theano.printing.pydotprint(p, outfile=str(tmp_path / "graph.dot"), print_output_file=False)
    assert graph == str(tmp_path / "graph.dot") and "dot" in (tmp_path / "graph.dot").read_text()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_pydotprint_renders_with_graphviz(tmp_path, fmt):
    import theano

    f, _ = _logistic()
    out = theano.printing.pydotprint(f, outfile=str(tmp_path / f"g.{fmt}"))
    assert out == str(tmp_path / f"g.{fmt}") and os.path.getsize(out) > 0


def test_print_op_prints_when_the_function_runs(capsys):
    import theano
    import theano.tensor as T

    x = T.dvector("x")
    y = theano.printing.Print("value of x")(x) * 2
    f = theano.function([x], y)
    assert np.allclose(f([1.0, 2.0]), [2.0, 4.0])
    assert "value of x" in capsys.readouterr().out
    g = theano.function([x], theano.grad(y.sum(), x))
    assert np.allclose(g([1.0, 2.0]), [2.0, 2.0])

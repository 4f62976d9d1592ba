"""The rewrite engine as the standard rewrites use it: modes, tags, the report
and its trace, the cycle guard, user lines kept, and the client bookkeeping."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import framework
import framework.plugins as plugins
import framework.tensor as T
from framework import Mode, config, function
from framework.core.fgraph import FunctionGraph
from framework.core.rewrite import MAX_PASSES
from framework.plugins import RewriteSpec, hookimpl

from .conftest import op_names, top_ops


def test_fast_compile_runs_none_of_the_standard_rewrites():
    x = T.dvector("x")
    f = function([x], T.log(T.nnet.sigmoid(x)) * 1, mode="FAST_COMPILE")
    assert top_ops(f) == ["sigmoid", "log", "mul"]
    assert not f.maker.report.fired
    assert not [s.name for s in plugins.rewrites() if s.required and s.plugin == "rewrites"
                and not s.name.startswith(("scan", "random"))]


def test_including_switches_a_rewrite_on_in_fast_compile():
    x = T.dvector("x")
    f = function([x], T.log(T.nnet.sigmoid(x)), mode=Mode("fast_compile", including=["log_sigmoid"]))
    assert "softplus" in op_names(f)


def test_excluding_a_tag_turns_off_a_whole_group():
    x = T.dvector("x")
    y = T.log(1 + x) * 1
    f = function([x], y, mode=Mode(excluding=["canonicalize", "stabilize", "fusion", "inplace"]))
    assert top_ops(f) == ["add", "log", "mul"]


def test_report_names_stages_rewrites_and_counts():
    x = T.dvector("x")
    f = function([x], T.log(T.nnet.sigmoid(x)) + T.log(T.nnet.sigmoid(2 * x)))
    rep = framework.rewriting.report(f)
    assert rep is f.maker.report
    assert rep.fired["log_sigmoid"] == 2
    assert set(rep.stage_seconds) >= {"canonicalize", "stabilize", "specialize", "fusion", "inplace"}
    assert rep.stage_of["log_sigmoid"] == "stabilize"
    text = str(rep)
    assert "stage stabilize" in text and "log_sigmoid: fired 2x" in text and " ms" in text


def test_trace_rewrites_flag_prints_the_report(capsys):
    x = T.dvector("x")
    with config.change_flags(trace_rewrites=True):
        function([x], T.exp(x) - 1)
    err = capsys.readouterr().err
    assert "rewrites:" in err and "expm1_from_exp: fired 1x" in err and "stage fusion" in err


def test_trace_rewrites_from_the_environment():
    code = textwrap.dedent("""
        import framework, framework.tensor as T
        x = T.dvector("x")
        framework.function([x], T.log(1 + x))
    """)
    import os

    env = dict(os.environ, FRAMEWORK_FLAGS="trace_rewrites=1")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "log1p_from_log: fired 1x" in proc.stderr


class _PingPong:
    """Two rewrites that undo each other: x + 1 -> 1 + x -> x + 1 ..."""

    @hookimpl
    def framework_rewrites(self):
        from framework.core import elemwise as E

        def swap(fgraph, node):
            a, b = node.inputs
            return [E.add(b, a)]

        yield RewriteSpec("swap_add", swap, stage="canonicalize", tracks=("add",))


def test_cycle_guard_stops_rewrites_that_undo_each_other():
    name = plugins.register(_PingPong(), name="pingpong")
    try:
        x = T.dvector("x")
        with pytest.warns(UserWarning, match="did not settle"):
            f = function([x], x + 1.0)
        assert f.maker.report.passes["canonicalize"] == MAX_PASSES
        assert f(np.zeros(2)).tolist() == [1.0, 1.0]
    finally:
        plugins.unregister(name)


def test_replacements_keep_the_users_line():
    a, b, c = T.dmatrix("a"), T.dmatrix("b"), T.dmatrix("c")
    y = T.dot(T.dot(a, b), c)  # the chain line
    f = function([a, b, c], y, mode=Mode(including=["fast_math"]))  # dot_chain is fast math
    assert "einsum" in top_ops(f)  # rewritten
    with pytest.raises(ValueError) as info:
        f(np.ones((2, 3)), np.ones((4, 2)), np.ones((2, 2)))
    assert "y = T.dot(T.dot(a, b), c)  # the chain line" in str(info.value)


def _fresh_clients(fg: FunctionGraph):
    new = FunctionGraph(fg.inputs, fg.outputs)
    return {v: sorted((id(c), i) for c, i in cl) for v, cl in new.clients.items()}


def test_client_lists_stay_exact_through_rewriting():
    """FunctionGraph.replace keeps client lists up to date instead of recomputing them."""
    rng = np.random.RandomState(0)
    x, y = T.dmatrix("x"), T.dmatrix("y")
    outs = [T.log(T.nnet.sigmoid(x)) * 1 + 0, (T.exp(y) * T.exp(y)).sum(), (x ** 2).sum() + x.shape[0],
            T.dot(T.dot(x, y), x)]
    f = function([x, y], outs)
    fg = f.maker.fgraph
    got = {v: sorted((id(c), i) for c, i in cl) for v, cl in fg.clients.items()}
    assert got == _fresh_clients(fg)
    vals = [rng.rand(3, 3), rng.rand(3, 3)]
    g = function([x, y], outs, mode="FAST_COMPILE")
    for a, b in zip(f(*vals), g(*vals)):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_a_failing_global_rewrite_names_itself_and_its_plugin():
    class Broken:
        @hookimpl
        def framework_rewrites(self):
            def boom(fgraph):
                raise KeyError("nope")

            yield RewriteSpec("boom", boom, stage="specialize", kind="global")

    name = plugins.register(Broken(), name="broken_rewrites")
    try:
        from framework.core.rewrite import RewriteError

        with pytest.raises(RewriteError, match="'boom' \\(plugin 'broken_rewrites'\\)"):
            z = T.dvector("z")
            function([z], z.sum())
    finally:
        plugins.unregister(name)

"""Theano 1.0's function profiles: ``theano.function(..., profile=True)`` (or a name, a shared
``ProfileStats``, ``config.profile``) gives ``f.profile`` with the calls, their time, the compile
time and each node's time; ``summary()`` prints them. The profiled function computes the same."""
from __future__ import annotations

import io

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def no_exit_report():
    """The profiles made here are not printed when the test run exits."""
    from framework.compat.theano.compile import profiling

    before = list(profiling._AT_EXIT)
    yield
    profiling._AT_EXIT[:] = before


def _graph():
    import theano.tensor as T

    x = T.dvector("x")
    return x, T.exp(x) * 2 + T.dot(x, x)


def test_profile_true_counts_calls_and_times_nodes():
    import theano

    x, out = _graph()
    f = theano.function([x], out, profile=True)
    plain = theano.function([x], out)
    v = np.array([0.5, -1.0, 2.0])
    for _ in range(4):
        np.testing.assert_array_equal(f(v), plain(v))
    stats = f.profile
    assert isinstance(stats, theano.compile.ProfileStats)
    assert stats.fct_callcount == 4 and stats.fct_call_time > 0 and stats.compile_time > 0
    assert set(stats.apply_time) == set(f.maker.fgraph.toposort())
    assert all(n == 4 for n in stats.apply_callcount.values())
    assert sum(stats.op_time().values()) == pytest.approx(sum(stats.apply_time.values()))
    assert sum(stats.class_callcount().values()) == 4 * len(stats.apply_time)
    text = io.StringIO()
    stats.summary(file=text, n_ops_to_print=5, n_apply_to_print=5)
    report = text.getvalue()
    for part in ("Function profiling", "Time in 4 calls", "Compile time", "Class", "Ops", "Apply"):
        assert part in report
    assert not hasattr(plain, "profile")


def test_a_name_a_shared_stats_and_config_profile():
    import theano
    from theano.compile.profiling import ProfileStats

    x, out = _graph()
    named = theano.function([x], out, profile="my step")
    assert named.profile.message == "my step"
    shared = ProfileStats(atexit_print=False, message="both")
    f = theano.function([x], out, profile=shared)
    g = theano.function([x], out * 3, profile=shared)
    f(np.ones(2))
    g(np.ones(2))
    g(np.ones(2))
    assert f.profile is g.profile is shared and shared.fct_callcount == 3
    old = theano.config.profile
    theano.config.profile = True
    try:
        h = theano.function([x], out)
    finally:
        theano.config.profile = old
    assert isinstance(h.profile, ProfileStats)
    assert not hasattr(theano.function([x], out, profile=False), "profile")


def test_profiles_keep_the_modes_own_per_node_functions_and_checks():
    import theano
    from theano.compile.monitormode import MonitorMode

    x, out = _graph()
    seen = []
    f = theano.function([x], out, mode=MonitorMode(post_func=lambda i, node, fn: seen.append(i)), profile=True)
    f(np.ones(2))
    assert seen and f.profile.apply_time  # both the mode's function and the timers ran
    d = theano.function([x], theano.tensor.log(x), mode="DebugMode", profile=True)
    with pytest.raises(Exception, match="NaN|nan"):  # DebugMode still checks every node
        d(np.array([-1.0]))
    assert d.profile.fct_callcount == 1 and not d.profile.apply_time
    text = io.StringIO()
    d.profile.summary(file=text)
    assert "no node was timed" in text.getvalue()


def test_a_profile_of_another_kind_is_refused():
    import theano

    x, out = _graph()
    with pytest.raises(TypeError, match="profile must be True/False, a name"):
        theano.function([x], out, profile=3)

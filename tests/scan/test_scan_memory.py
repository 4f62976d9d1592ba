"""Memory: when only the last step(s) of an output are used, only those are stored."""
from __future__ import annotations

import tracemalloc

import numpy as np

import framework
import framework.tensor as T
from framework import function
from framework.core.scan import Scan
from framework.scan_module import scan

N = 20_000  # one state: 160 kB
STEPS = 200  # all steps: 32 MB


def peak_bytes(f, *args):
    f(*args)  # warm up (lazy imports, caches)
    tracemalloc.start()
    try:
        f(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def make(out_fn, mode=None):
    x0 = T.dvector("x0")
    r, _ = scan(lambda h: h * 0.5 + 1.0, outputs_info=x0, n_steps=STEPS)
    return function([x0], out_fn(r), mode=mode)


def scan_op(f):
    (node,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    return node.op


def test_last_step_only_keeps_one_step():
    state = np.zeros(N)
    f_last = make(lambda r: r[-1])
    assert scan_op(f_last).keep == (1,)
    out = f_last(state)
    np.testing.assert_allclose(out, 2.0 - 2.0 ** (1 - STEPS))
    assert peak_bytes(f_last, state) < 8 * state.nbytes


def test_whole_history_is_stored_when_used():
    state = np.zeros(N)
    f_all = make(lambda r: r)
    assert scan_op(f_all).keep == (None,)
    assert peak_bytes(f_all, state) > STEPS * state.nbytes


def test_last_k_steps_in_order():
    state = np.zeros(N)
    f_k = make(lambda r: [r[-3:], r[-2]])
    assert scan_op(f_k).keep == (3,)
    full = make(lambda r: r)(state)
    last3, second = f_k(state)
    np.testing.assert_array_equal(last3, full[-3:])
    np.testing.assert_array_equal(second, full[-2])
    assert peak_bytes(f_k, state) < 12 * state.nbytes


def test_the_rewrite_runs_in_fast_compile_and_can_be_turned_off():
    assert scan_op(make(lambda r: r[-1], mode="FAST_COMPILE")).keep == (1,)
    off = make(lambda r: r[-1], mode=framework.Mode("fast_run", excluding=["scan_save_mem"]))
    assert scan_op(off).keep == (None,)
    np.testing.assert_array_equal(off(np.zeros(4)), make(lambda r: r[-1])(np.zeros(4)))


def test_ring_with_longer_taps_and_early_stop():
    x0 = T.dvector("x0")
    lim = T.dscalar("lim")
    fib, _ = scan(lambda a, b: (a + b, framework.scan_module.until((a + b).sum() > lim)),
                  outputs_info=dict(initial=x0, taps=[-2, -1]), n_steps=50)
    f_last = function([x0, lim], [fib[-1], fib[-2:]])
    f_all = function([x0, lim], fib)
    assert scan_op(f_last).keep == (2,)
    for limit in (0.5, 5.0, 100.0, 1e9):
        full = f_all([1.0, 1.0], limit)
        last, last2 = f_last([1.0, 1.0], limit)
        assert last == full[-1]
        np.testing.assert_array_equal(last2, full[-2:])


def test_unused_outputs_are_not_computed_or_stored():
    x = T.dvector("x")
    h0 = T.dscalar("h0")
    (h, side), _ = scan(lambda xt, h: [h + xt, T.exp(xt) * 3], sequences=x, outputs_info=[h0, None])
    f = function([x, h0], h[-1])
    op = scan_op(f)
    assert op.n_nonrec == 0 and len(op.inner_outputs) == 1
    assert f([1., 2., 3.], 0.5) == 6.5


def test_kept_steps_when_the_loop_runs_zero_or_few_times():
    n = T.iscalar("n")
    x0 = T.dvector("x0")
    (r, side), _ = scan(lambda h: [h + 1, h * 2], outputs_info=[x0, None], n_steps=n)
    f = function([n, x0], [r[-1:], side[-1:], r[-2:]])
    assert scan_op(f).keep == (2, 1)
    for steps in (0, 1, 2, 5):
        a, b, c = f(steps, [0.0, 10.0])
        full_r = np.array([[k + 1, k + 11] for k in range(steps)], dtype=float).reshape(steps, 2)
        np.testing.assert_array_equal(a, full_r[-1:])
        np.testing.assert_array_equal(c, full_r[-2:])
        if steps:
            np.testing.assert_array_equal(b, (2 * (full_r - 1))[-1:])
        else:  # the body never ran: its row shape comes from its shape rules
            assert b.shape == (0, 2)
        assert a.shape == (min(steps, 1), 2) and c.shape == (min(steps, 2), 2)

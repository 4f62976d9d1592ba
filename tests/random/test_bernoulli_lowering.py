"""The NumPy backend lowers the Gibbs step's draw -- an in-place float32
``binomial(n=1, p)`` of ``p``'s shape -- to one function
(``random_draws.lower_bernoulli``). It must be the general draw exactly: the
same samples, the same state after, the same error for a bad ``p`` (with the
state untouched), and the general path for whatever it does not handle."""
from __future__ import annotations

import numpy as np
import pytest

import framework.tensor as T
from framework import function
from framework.core.backend import get_backend
from framework.testing.streams import assert_same_state


def lowered_kernels(f):
    return [k for k in f._linked.run.__globals__.values()
            if getattr(k, "__qualname__", "") == "lower_bernoulli.<locals>.kernel"]


def gibbs_like(streams, seed=4):
    """``binomial(size=p.shape, n=1, p=sigmoid(x))`` as the tutorial writes it, with the
    random state updated by the call (the draw runs in place)."""
    x = T.matrix("x", dtype="float32")
    srng = streams(seed=seed)
    mean = T.nnet.sigmoid(x)
    sample = srng.binomial(size=mean.shape, n=1, p=mean, dtype="float32")
    return x, srng, function([x], sample)


def test_the_tutorials_draw_is_lowered(streams):
    _, _, f = gibbs_like(streams)
    assert len(lowered_kernels(f)) == 1


@pytest.mark.parametrize("shape", [(20, 784), (3, 5), (1, 1), (7,)])
def test_same_samples_and_state_as_the_general_draw(streams, shape):
    x = T.tensor(dtype="float32", shape=(None,) * len(shape))
    srng = streams(seed=9)
    mean = T.nnet.sigmoid(x)
    f = function([x], srng.binomial(size=mean.shape, n=1, p=mean, dtype="float32"))
    assert lowered_kernels(f)
    backend = get_backend("cpu")
    rng_var = srng.updates()[0][0]
    values = np.random.RandomState(1).randn(*shape).astype("float32")
    for _ in range(3):
        before = backend.copy_rng(rng_var.get_value(borrow=True))
        sample = f(values)
        p = (1 / (1 + np.exp(-values))).astype("float32")
        _, expected = backend.draw(before, "bernoulli", None, (p,), "float32")
        np.testing.assert_array_equal(sample, expected)
        assert sample.dtype == np.float32
        assert_same_state(rng_var.get_value(borrow=True), before)


@pytest.mark.parametrize("bad", [np.nan, 1.5, -0.5])
def test_a_bad_p_raises_the_general_error_and_draws_nothing(streams, bad):
    p = T.matrix("p", dtype="float32")
    srng = streams(seed=2)
    f = function([p], srng.binomial(size=p.shape, n=1, p=p, dtype="float32"))
    assert lowered_kernels(f)
    rng_var = srng.updates()[0][0]
    good = np.full((4, 5), 0.5, dtype="float32")
    f(good)
    before = get_backend("cpu").copy_rng(rng_var.get_value(borrow=True))
    bad_p = good.copy()
    bad_p[1, 2] = bad
    with pytest.raises(ValueError, match="p < 0, p > 1 or p contains NaNs"):
        f(bad_p)
    assert_same_state(rng_var.get_value(borrow=True), before)


def test_an_empty_p_takes_the_general_path(streams):
    p = T.matrix("p", dtype="float32")
    srng = streams(seed=2)
    f = function([p], srng.binomial(size=p.shape, n=1, p=p, dtype="float32"))
    assert lowered_kernels(f)
    out = f(np.zeros((0, 3), dtype="float32"))
    assert out.shape == (0, 3) and out.dtype == np.float32


def test_float64_and_sized_draws_are_not_lowered(streams):
    p64 = T.matrix("p", dtype="float64")
    srng = streams(seed=2)
    assert not lowered_kernels(function([p64], srng.binomial(size=p64.shape, n=1, p=p64, dtype="float64")))
    p = T.matrix("p", dtype="float32")
    assert not lowered_kernels(function([p], srng.binomial(size=(2, 3, 4), n=1, p=p, dtype="float32")))


# --- value facts: a p known to lie in [0, 1] is checked for NaN only -----------------------------

def check_of(f):
    """The check the lowered draw's kernel runs (its closure's ``check``)."""
    (kernel,) = lowered_kernels(f)
    cells = dict(zip(kernel.__code__.co_freevars, (c.cell_contents for c in kernel.__closure__)))
    return cells["check"].__name__


def test_a_sigmoids_p_is_checked_for_nan_only_and_any_other_p_fully(streams):
    _, _, f = gibbs_like(streams)
    assert check_of(f) == "_refuse_nan"
    p = T.matrix("p", dtype="float32")
    g = function([p], streams(seed=1).binomial(size=p.shape, n=1, p=p, dtype="float32"))
    assert check_of(g) == "check_probability"
    q = T.exp(-p)  # exp's values are not bounded by 1
    h = function([p], streams(seed=1).binomial(size=q.shape, n=1, p=q, dtype="float32"))
    assert check_of(h) == "check_probability"


@pytest.mark.parametrize("poison", [np.nan, np.inf, -np.inf, 1e30, -1e30])
def test_a_diverged_pre_activation_still_fails_through_the_nan_check(streams, poison):
    """sigmoid(+-inf) is 1 or 0 -- a valid p -- and sigmoid(NaN) is NaN, refused as
    ``binomial`` refuses it, with the state untouched."""
    x, srng, f = gibbs_like(streams)
    rng_var = srng.updates()[0][0]
    values = np.zeros((4, 6), dtype="float32")
    values[1, 2] = poison
    before = get_backend("cpu").copy_rng(rng_var.get_value(borrow=True))
    if np.isnan(poison):
        with pytest.raises(ValueError, match="p < 0, p > 1 or p contains NaNs"):
            f(values)
        assert_same_state(rng_var.get_value(borrow=True), before)
    else:
        sample = f(values)
        assert sample[1, 2] == (1.0 if poison > 0 else 0.0)


def test_output_bounds_are_the_rows_and_follow_fusion():
    from framework.core.elemwise import SCALAR_OPS
    from framework.core.fusion import Fused

    assert SCALAR_OPS["sigmoid"].bounds == (0.0, 1.0)
    assert SCALAR_OPS["tanh"].bounds == (-1.0, 1.0)
    assert SCALAR_OPS["exp"].bounds is None
    x, b = T.matrix("x", dtype="float32"), T.vector("b", dtype="float32")
    out = T.nnet.sigmoid(x + b)
    assert out.owner.op.output_bounds(out.owner, 0) == (0.0, 1.0)
    f = function([x, b], [out, T.tanh(x) * 2])
    fused = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Fused)]
    assert fused
    got = sorted((n.op.output_bounds(n, i) for n in fused for i in range(len(n.outputs))), key=repr)
    assert (0.0, 1.0) in got and None in got  # tanh(x) * 2 is not within tanh's bounds


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_bounded_rows_keep_their_promise_at_the_extremes(dtype):
    """The facts the check relies on, for every way a NumPy kernel computes the rows:
    the row's reference, FAST_COMPILE, and the fused kernel of FAST_RUN."""
    info = np.finfo(dtype)
    values = np.array([-np.inf, -info.max, -1e4, -100, -20, -1e-30, -0.0, 0.0, 1e-30, 20, 100, 1e4, info.max,
                       np.inf, np.nan], dtype=dtype)
    x = T.vector("x", dtype=dtype)
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        f = function([x], [T.nnet.sigmoid(x), T.tanh(x), T.nnet.sigmoid(x * 1), T.tanh(x + 0)], mode=mode)
        with np.errstate(all="ignore"):
            outs = f(values)
        for out, (lo, hi) in zip(outs, [(0, 1), (-1, 1)] * 2):
            ok = np.isnan(out) | ((out >= lo) & (out <= hi))
            assert ok.all(), (mode, out)
            assert np.isnan(out).tolist() == np.isnan(values).tolist()


def test_a_plugin_row_declares_its_bounds():
    from framework.core.elemwise import _row_from_spec
    from framework.plugins import ScalarOpSpec

    row = _row_from_spec(ScalarOpSpec("squash", 1, lambda xp, x: x / (1 + abs(x)), bounds=(-1.0, 1.0)))
    assert row.bounds == (-1.0, 1.0)
    assert _row_from_spec(ScalarOpSpec("cube", 1, lambda xp, x: x ** 3)).bounds is None


@pytest.mark.parametrize("bad", [(1.0, -1.0), "0..1", (0.0,), (True, 1.0)])
def test_malformed_bounds_are_refused_naming_the_row_and_plugin(bad):
    import framework
    import framework.plugins as plugins
    from framework.plugins import ScalarOpSpec, hookimpl

    class Squash:
        @hookimpl
        def framework_scalar_ops(self):
            yield ScalarOpSpec("squash", 1, lambda xp, x: x / (1 + abs(x)), bounds=bad)

    plugins.register(Squash(), "squashplug")
    try:
        with pytest.raises(ValueError, match=r"row 'squash' \(declared by plugin 'squashplug'\): bounds must be"):
            framework.ops.squash(T.dvector("x"))
    finally:
        plugins.unregister("squashplug")

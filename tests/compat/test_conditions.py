"""The "Conditions" tutorial page: ``ifelse`` is lazy, ``switch`` element-wise and eager;
ifelse has a gradient and works inside scan, in every mode."""
from __future__ import annotations

import numpy as np
import pytest

MODES = ["FAST_RUN", "FAST_COMPILE", "DebugMode"]


def _calls(capsys, label):
    return capsys.readouterr().out.count(label)


@pytest.mark.parametrize("mode", MODES)
def test_the_tutorial_example_computes_one_branch(mode, capsys):
    import theano
    import theano.tensor as T
    from theano.ifelse import ifelse
    from theano.printing import Print

    a, b = T.scalars("a", "b")
    x, y = T.matrices("x", "y")
    z_switch = T.switch(T.lt(a, b), T.mean(Print("THEN")(x)), T.mean(Print("ELSE")(y)))
    z_lazy = ifelse(T.lt(a, b), T.mean(Print("THEN")(x)), T.mean(Print("ELSE")(y)))
    f_switch = theano.function([a, b, x, y], z_switch, mode=mode)
    f_lazy = theano.function([a, b, x, y], z_lazy, mode=mode)
    big1, big2 = np.ones((10, 10)), np.zeros((10, 10))
    capsys.readouterr()
    assert f_switch(0.0, 1.0, big1, big2) == 1.0
    out = capsys.readouterr().out
    assert "THEN" in out and "ELSE" in out  # switch evaluates both values
    assert f_lazy(0.0, 1.0, big1, big2) == 1.0
    out = capsys.readouterr().out
    assert "THEN" in out and "ELSE" not in out
    assert f_lazy(1.0, 0.0, big1, big2) == 0.0
    out = capsys.readouterr().out
    assert "ELSE" in out and "THEN" not in out


@pytest.mark.parametrize("mode", MODES)
def test_the_branch_not_taken_may_be_invalid(mode):
    import theano
    import theano.tensor as T
    from theano.ifelse import ifelse

    c = T.iscalar("c")
    x, y = T.dmatrices("x", "y")
    out = ifelse(c, T.dot(x, y).sum(), (x * 2).sum())
    f = theano.function([c, x, y], out, mode=mode)
    x0, y0 = np.ones((2, 3)), np.ones((2, 3))  # dot(x0, y0) has mismatched shapes
    assert f(0, x0, y0) == 12.0
    with pytest.raises(ValueError):
        f(1, x0, y0)


@pytest.mark.parametrize("mode", MODES)
def test_branches_sharing_a_subexpression_stay_lazy(mode):
    """exp(a) feeds both branches: fusion once put both branches' element-wise work into one
    node beside exp(a), run whichever branch was taken -- the else branch's broadcast error
    came out of a call that took the then branch (FAST_RUN only)."""
    import theano
    import theano.tensor as T
    from theano.ifelse import ifelse

    a, b = T.dvectors("a", "b")
    c = T.iscalar("c")
    f = theano.function([c, a, b], ifelse(c, T.exp(a) + 1, T.exp(a) * b + 1), mode=mode)
    ones3, ones4 = np.ones(3), np.ones(4)  # exp(a) * b does not broadcast
    np.testing.assert_allclose(f(1, ones3, ones4), np.exp(ones3) + 1)
    with pytest.raises(ValueError):
        f(0, ones3, ones4)
    np.testing.assert_allclose(f(0, ones3, 2 * ones3), 2 * np.exp(ones3) + 1)


@pytest.mark.parametrize("mode", MODES)
def test_a_check_a_rewrite_keeps_runs_in_the_branch_that_needs_it(mode):
    """The else branch reads dot(x, y) only for its shape (ones_like): the rewrite that drops
    that read keeps dot's shape check -- in the else branch, although dot stays in the graph for
    the then branch (where it would not run when the else branch is taken)."""
    import theano
    import theano.tensor as T
    from theano.ifelse import ifelse

    x, y = T.dvectors("x", "y")
    s = T.dscalar("s")
    c = T.iscalar("c")
    d = T.dot(x, y)
    f = theano.function([c, x, y, s], ifelse(c, d, s * T.ones_like(d)), mode=mode)
    assert f(0, np.ones(3), np.ones(3), 2.0) == 2.0
    for taken in (0, 1):
        with pytest.raises(ValueError):
            f(taken, np.ones(2), np.ones(3), 2.0)


def test_the_generated_function_has_a_real_branch():
    import theano
    import theano.tensor as T
    from theano.ifelse import ifelse

    a = T.dscalar("a")
    x = T.dvector("x")
    f = theano.function([a, x], ifelse(a > 0, T.exp(x).sum(), T.log(x).sum()))
    src = f._run.__source__
    assert "    if " in src and "    else:" in src


def test_several_outputs_and_nesting():
    import theano
    import theano.tensor as T
    from theano.ifelse import ifelse

    a, b = T.iscalars("a", "b")
    x = T.dvector("x")
    inner = ifelse(b, x * 10, x * 100)
    p, q = ifelse(a, [inner, x.sum()], [x + 1, x.max()])
    f = theano.function([a, b, x], [p, q])
    v = np.array([1.0, 2.0])
    for av, bv, want in ((1, 1, ([10, 20], 3)), (1, 0, ([100, 200], 3)), (0, 1, ([2, 3], 2)), (0, 0, ([2, 3], 2))):
        got = f(av, bv, v)
        assert np.allclose(got[0], want[0]) and np.isclose(got[1], want[1])


def test_an_output_that_is_an_input_is_copied():
    import theano
    import theano.tensor as T
    from theano.ifelse import ifelse

    c = T.iscalar("c")
    x, y = T.dvectors("x", "y")
    f = theano.function([c, x, y], ifelse(c, x, y))
    v = np.array([1.0, 2.0])
    r = f(1, v, v * 2)
    r[0] = 99
    assert v[0] == 1.0


def test_ifelse_types_must_match():
    import theano.tensor as T
    from theano.ifelse import ifelse

    with pytest.raises(TypeError, match="same dtype"):
        ifelse(T.iscalar(), T.dvector(), T.dmatrix())
    with pytest.raises(TypeError, match="scalar"):
        ifelse(T.ivector(), T.dvector(), T.dvector())


@pytest.mark.parametrize("mode", MODES)
def test_gradient_goes_to_the_branch_taken(mode):
    import theano
    import theano.tensor as T
    from theano.ifelse import ifelse

    a = T.dscalar("a")
    x = T.dvector("x")
    cost = ifelse(a > 0, (x ** 2).sum(), (3 * x).sum())
    g = theano.function([a, x], theano.grad(cost, x), mode=mode)
    v = np.array([1.0, 2.0])
    assert np.allclose(g(1.0, v), 2 * v) and np.allclose(g(-1.0, v), [3.0, 3.0])


def test_ifelse_inside_scan():
    import theano
    import theano.tensor as T
    from theano.ifelse import ifelse

    k = T.iscalar("k")
    w = T.dscalar("w")
    res, _ = theano.scan(lambda i, acc: ifelse(T.eq(i % 2, 0), acc + i * w, acc - i * w),
                         sequences=T.arange(k), outputs_info=T.constant(0.0, dtype="float64"))
    f = theano.function([k, w], [res, theano.grad(res[-1], w)])
    out, gw = f(6, 2.0)
    assert np.allclose(out, [0, -2, 2, -4, 4, -6]) and np.isclose(gw, -3.0)

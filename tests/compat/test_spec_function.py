"""``theano.function`` and ``theano.compile`` against Theano 1.0's own tests, read as the
specification: theano/compile/tests/test_function_module.py (``T_function``: naming rules,
missing/unused inputs, ``Out``, givens of an input, default values), test_pfunc.py (``Param``,
``allow_downcast``, updates, givens, default updates, ``no_default_updates``) and
doc/library/compile/io.txt. Our own tests; each says which Theano test it follows."""
from __future__ import annotations

import numpy as np
import pytest

import framework.compat.theano as _compat

_compat.install()  # the session fixture does too; the imports below need it first

import theano  # noqa: E402
import theano.tensor as T  # noqa: E402
from theano import In, Out, shared  # noqa: E402


# --- constructors: T.scalars('xs') (every T_function test starts with it) ------------------------

def test_plural_constructor_splits_one_string_into_one_variable_per_character():
    """``x, s = T.scalars('xs')`` (test_function_module.py, throughout): Theano iterates over a
    single string of names."""
    x, s = T.scalars("xs")
    assert (x.name, s.name) == ("x", "s") and x.ndim == 0
    assert T.scalars("x").name == "x"                      # one name: one variable, not a list
    assert [v.name for v in T.scalars("ab", "c")] == ["ab", "c"]
    assert [v.name for v in T.dmatrices("mn")] == ["m", "n"]
    assert all(v.dtype == "float32" for v in T.fvectors("uv"))
    assert len(T.iscalars(3)) == 3
    r1, r2 = T.rows("ab")
    assert r1.broadcastable == (True, False) and r2.name == "b"


# --- inputs by position and by name (test_naming_rule0..4, test_same_names) --------------------

def test_naming_rules():
    x, s = T.scalars("xs")
    a = T.scalar()
    f = theano.function([x, In(a, value=1.0, name="a"), s], a / s + x)
    assert f(9, 2, 4) == 9.5 and f(9, s=4) == 9.25 and f(x=9, a=2, s=4) == 9.5
    with pytest.raises(TypeError):
        f(5.0, x=9)                        # x given twice
    with pytest.raises(TypeError):
        f()
    g = theano.function([x, s], x / s)
    with pytest.raises(TypeError):
        g(1, 2, 3)                         # test_extra_inputs


def test_in_name_must_be_a_string():
    """test_weird_names: ``In(a, name=[])`` is a TypeError."""
    a = T.scalar()
    with pytest.raises(TypeError, match="string"):
        In(a, name=[])


# --- missing and unused inputs (test_missing_inputs, test_disconnected_input) -------------------

def test_missing_and_unused_input_errors_have_theanos_names():
    x, s = T.scalars("xs")
    with pytest.raises(theano.gof.MissingInputError):
        theano.function([], [x])
    with pytest.raises(theano.gof.MissingInputError):
        theano.function([s], x, on_unused_input="ignore")
    with pytest.raises(theano.compile.UnusedInputError):
        theano.function([s], Out(x))
    assert issubclass(theano.gof.MissingInputError, TypeError)


# --- computed variables as inputs (test_masked_input, test_default_updates_partial_graph) --------

def test_a_computed_variable_can_be_an_input_and_cuts_the_graph():
    m = T.matrix("m")
    mt = m.T
    with pytest.raises(theano.compile.UnusedInputError):
        theano.function([m, mt], mt * 2)       # m is masked by its transpose
    f = theano.function([m, mt], mt * 2, on_unused_input="ignore")
    np.testing.assert_allclose(f(np.zeros((2, 3)), np.ones((3, 2))), 2 * np.ones((3, 2)))


def test_default_update_above_a_cut_is_not_applied():
    a = shared(0)
    a.default_update = a + 1
    b = 2 * a
    f = theano.function([b], b)
    assert f(21) == 21
    assert a.get_value() == 0


# --- Out (test_constant_output, test_borrow_output) --------------------------------------------

def test_out_with_borrow_gives_the_value():
    a = T.dmatrix()
    f = theano.function([a], Out(a * 4, borrow=True))
    np.testing.assert_allclose(f(np.ones((2, 2))), 4 * np.ones((2, 2)))
    g = theano.function([a], [Out(a, borrow=False), a + 1])
    o = np.ones((2, 2))
    out = g(o)
    assert out[0] is not o
    assert theano.compile.io.Out is Out


# --- givens (test_givens_input_var, test_givens, test_givens_replaces_shared_variable*) ---------

def test_givens_may_not_replace_an_input():
    x = T.scalar("x")
    with pytest.raises(RuntimeError, match="input list"):
        theano.function([x], x * 2, givens={x: x + 1})


def test_givens_of_a_shared_variable_skip_its_default_update():
    a = shared(1.0, "a")
    a.default_update = a + 3.0
    b = T.dscalar("b")
    f = theano.function([b], a + 10, givens={a: b})
    assert f(5.0) == 15.0
    assert a.get_value() == 1.0            # a is not read, so not updated


def test_givens_apply_to_the_default_update_too():
    a = shared(1.0, "a")
    a.default_update = a + 3
    f = theano.function([], a + 10, givens={a: a + 10})
    assert f() == 21 and f() == 34


# --- default updates and no_default_updates (test_default_updates, test_no_default_updates) -----

def test_deleting_a_default_update():
    x = shared(0)
    x.default_update = x + 1
    f = theano.function([], [x])
    f()
    assert x.get_value() == 1
    del x.default_update
    f()                                    # f was compiled with the update
    assert x.get_value() == 2
    g = theano.function([], [x])
    g()
    assert x.get_value() == 2


def test_no_default_updates_must_be_a_bool_or_a_list():
    x = shared(0)
    x.default_update = x + 2
    for bad in ("canard", x):
        with pytest.raises(TypeError, match="no_default_updates"):
            theano.function([], [x], no_default_updates=bad)
    theano.function([], [x], no_default_updates=[x])()
    assert x.get_value() == 0


# --- allow_downcast (test_param_allow_downcast_int, test_allow_input_downcast_int) ---------------

def test_allow_input_downcast_wraps_a_python_int_like_an_array():
    a, b, c = T.wvector("a"), T.bvector("b"), T.bscalar("c")
    f = theano.function([a, b, c], a + b + c, allow_input_downcast=True)
    assert f([2 ** 20], [1], 0) == 1
    assert f([3], [312], 0) == 59
    assert f([3], [1], 806) == 42          # 806 wraps to 38 in int8, as [806] does
    g = theano.function([In(a, allow_downcast=True), In(b, allow_downcast=False), In(c)], a + b + c)
    assert g([2 ** 20], np.ones(1, dtype="int8"), 1) == 2
    with pytest.raises(TypeError):
        g([3], [312], 1)
    with pytest.raises(TypeError):
        g([3], [6], 806)


# --- Function odds and ends: free(), trust_input ------------------------------------------------

def test_free_and_trust_input_exist():
    x = T.vector("x")
    f = theano.function([x], x + 1)
    f([1])
    f.free()
    assert f.trust_input is False
    f.trust_input = True
    np.testing.assert_allclose(f(np.array([1.0])), [2.0])


# --- inputs with state: In(update=...), f[x], f.value, f.container (test_state_access, test_copy,
# test_shared_state0/1/2, test_shared_state_not_implicit, test_missing_inputs, T_picklefunction) --

def _accumulator(mutable=None):
    a = T.scalar()
    x, s = T.scalars("xs")
    kw = {} if mutable is None else {"mutable": mutable}
    f = theano.function([x, In(a, value=1.0, name="a"), In(s, value=0.0, update=s + a * x, **kw)], s + a * x)
    return f, a, x, s


def test_state_access():
    """test_state_access: the state starts at its value and becomes the update after each call; a
    default given in a call or set by ``f[a] = v`` lasts one call (Theano refeeds defaults)."""
    f, a, x, s = _accumulator()
    assert f[a] == 1.0 and f[s] == 0.0 and f["a"] == 1.0 and f[x] is None
    assert f(3.0) == 3.0
    assert f(3.0, a=2.0) == 9.0            # 3 + 2 * 3
    assert f[a] == 1.0                     # the keyword did not change the default
    assert f[s] == 9.0
    f[a] = 5.0
    assert f[a] == 5.0
    assert f(3.0) == 24.0                  # 9 + 3 * 5
    assert f[s] == 24.0
    assert f[a] == 1.0                     # put back after the call, as Theano's refeed does
    assert f.value[s] == 24.0 and f.value["s"] == 24.0 and f[2] == 24.0
    f.value[s] = 1.0                       # setting a state keeps it
    assert f(1.0) == 2.0 and f(1.0) == 3.0
    assert f(1.0, 2.0, 10.0) == 12.0       # a call may pass the state; the update starts from it
    assert f[s] == 12.0
    assert s in f and "a" in f and "q" not in f and f.container[s].value == 12.0


def test_state_update_follows_the_function_update_rules():
    """The update is computed from the old values, stored after the outputs, and a failed call
    stores nothing (as a shared variable's update)."""
    x = T.dvector("x")
    s = T.dvector("s")
    w = shared(np.zeros(2), "w")
    f = theano.function([x, In(s, value=np.ones(2), update=s * 2 + x)], [s + 0, w + 0],
                        updates=[(w, w + s)])
    out_s, out_w = f([1.0, 1.0])
    np.testing.assert_allclose(out_s, [1.0, 1.0])        # the output read the old state
    np.testing.assert_allclose(f[s], [3.0, 3.0])
    np.testing.assert_allclose(w.get_value(), [1.0, 1.0])  # the shared update read the old state too
    with pytest.raises(ValueError):
        f([1.0, 2.0, 3.0])                                # a shape error: nothing is stored
    np.testing.assert_allclose(f[s], [3.0, 3.0])
    np.testing.assert_allclose(w.get_value(), [1.0, 1.0])
    assert f[s] is not f(np.zeros(2))[0]                   # the stored state is not the returned array


def test_in_update_checks():
    """test_missing_inputs: an update that reads a variable that is not an input is a
    MissingInputError; the update must keep the type; a state only its update reads is used."""
    x, s = T.scalars("xs")
    with pytest.raises(theano.gof.MissingInputError):
        theano.function([In(x, update=s + x)], x)
    with pytest.raises(theano.gof.MissingInputError):
        theano.function([In(x, update=(s * s) + x)], x)
    with pytest.raises(TypeError, match="update"):
        In(x, update=T.vector())
    with pytest.raises(TypeError, match="update"):
        In(x, update=T.iscalar())
    n = T.lscalar("n")
    count = theano.function([In(n, value=0, update=n + 1)], [])
    count()
    count()
    assert count[n] == 2
    assert In(x, update=x + 1).mutable and not In(x).mutable


def test_copy_keeps_the_state_and_copies_mutable_values():
    """test_copy (``copy.copy(f)``): separate containers; an immutable default is the same object,
    a mutable state a copy with the same contents; the two then evolve separately."""
    import copy

    f, a, x, s = _accumulator(mutable=True)
    g = copy.copy(f)
    assert g.container[x].storage is not f.container[x].storage
    assert g.container[a].storage is not f.container[a].storage
    assert g.container[s].storage is not f.container[s].storage
    assert g.value[a] is f.value[a]
    assert g.value[s] is not f.value[s]
    assert not (g.value[s] != f.value[s]).any()
    assert f(2, 1) == g(2)
    assert f(2, 1) == g(2)
    f(1, 2)
    assert f(1, 2) != g(1, 2)
    h = f.copy(delete_updates=True)                        # drops the inputs' updates too
    before = h[s]
    h(5)
    assert h[s] == before


def test_shared_state():
    """test_shared_state0/1/2: ``In(s, value=f.container[s])`` shares f's state (implicit)."""
    f, a, x, s = _accumulator(mutable=True)
    g = theano.function([x, In(a, value=1.0, name="a"), In(s, value=f.container[s], update=s - a * x, mutable=True)],
                        s + a * x)
    f(1, 2)
    assert f[s] == 2 and g[s] == 2
    g(1, 2)
    assert f[s] == 0 and g[s] == 0
    f, a, x, s = _accumulator(mutable=False)
    g = theano.function([x, In(a, value=1.0, name="a"), In(s, value=f.container[s])], s + a * x)
    f(1, 2)
    assert f[s] == 2 and g[s] == 2
    f(1, 2)
    assert g(1, 2) == 6                    # reads the shared state, has no update: no effect on it
    assert f[s] == 4 and g[s] == 4
    with pytest.raises(TypeError):
        g(1, 2, 3)                         # implicit: not part of the call


def test_shared_state_not_implicit():
    """test_shared_state_not_implicit (doc/topics/function.txt)."""
    x, s = T.scalars("xs")
    inc = theano.function([x, In(s, update=(s + x), value=10.0)], [])
    dec = theano.function([x, In(s, update=(s - x), value=inc.container[s], implicit=False)], [])
    assert dec[s] is inc[s]
    inc[s] = 2
    assert dec[s] == 2
    dec(1)
    assert inc[s] == 1
    dec(1, 0)
    assert inc[s] == -1 and dec[s] == -1


def test_state_access_errors_and_duplicate_names():
    """test_weird_names / the finder's rules: unknown keys and ambiguous names are TypeErrors."""
    a, x, s = T.scalars("xxx")
    f = theano.function([In(a, value=1.0), In(x, value=2.0), In(s, value=3.0)], a + x + s)
    with pytest.raises(TypeError, match="ambiguous"):
        f["x"]
    with pytest.raises(TypeError, match="no input or state"):
        f["q"]
    with pytest.raises(TypeError, match="no input or state"):
        f.value[[]]
    assert (f[0], f[x], f[2]) == (1.0, 2.0, 3.0)
    with pytest.raises(TypeError):
        f[s] = "not a number"


def test_state_survives_pickling_and_shared_containers_stay_shared():
    """T_picklefunction.test_pickle / test_multiple_functions."""
    import pickle

    f, a, x, s = _accumulator(mutable=True)
    f2 = theano.function([x, In(a, value=1.0, name="a"), In(s, value=f.container[s], update=s + a * x, mutable=True)],
                         s + a * x)
    f(3)
    g, g2 = pickle.loads(pickle.dumps([f, f2], protocol=-1))
    assert g[2] == 3 and x not in g.container
    assert g.container[2].storage is not f.container[2].storage
    assert g.container[2].storage is g2.container[2].storage
    assert g(3) == f(3) == 6
    assert g2(1) == 7 and g[2] == 7 and f[s] == 6
    h = pickle.loads(pickle.dumps(f))
    assert h[2] == 6

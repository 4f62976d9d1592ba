"""``MRG_RandomStreams`` draws Theano 1.0's MRG31k3p numbers.

Ground truth: the 420 reference samples Theano 1.0 shipped with its tests
(``tests/compat/data/samples_MRG31k3p_12_7_5.txt``, made by L'Ecuyer et al.'s
Java code), reproduced exactly the three ways Theano's ``test_rng_mrg.py``
draws them; Theano's published jump matrices. Beyond them, every method is
compared value for value with the scalar re-implementation in
``mrg_reference.py``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from . import mrg_reference as ref

JAVA = np.loadtxt(Path(__file__).parent / "data" / "samples_MRG31k3p_12_7_5.txt")


def _theano():
    import theano
    import theano.tensor as T
    from theano.sandbox import rng_mrg

    return theano, T, rng_mrg


# --- Theano's stored samples -------------------------------------------------------------------

def test_the_reference_file_holds_multiples_of_2_to_the_minus_31():
    k = JAVA * 2.0 ** 31
    assert JAVA.shape == (420,) and np.array_equal(k, np.round(k)) and k.min() >= 1 and k.max() <= ref.M1


def test_streams_reproduce_theanos_java_samples_exactly():
    """Theano's test_consistency_randomstreams: 12 uniform() calls of 7 numbers on 7 streams, 5 calls each."""
    theano, _, rng_mrg = _theano()
    rng = rng_mrg.MRG_RandomStreams(seed=12345)
    samples = []
    for _ in range(12):
        f = theano.function([], rng.uniform(size=(7,), nstreams=7))
        samples.append(np.array([f() for _ in range(5)]).T.ravel())
    samples = np.array(samples).ravel()
    assert samples.dtype == np.float64
    np.testing.assert_array_equal(samples, JAVA)


def test_the_op_reproduces_them_serially_and_in_parallel():
    """Theano's test_consistency_cpu_serial / _parallel: the op on hand-made states, ff_2p72 and ff_2p134."""
    theano, _, rng_mrg = _theano()
    serial, parallel = [], []
    stream = np.array([12345] * 6, dtype="int32")
    for _ in range(12):
        sub = stream.copy()
        rows = []
        for _ in range(7):
            state = theano.shared(np.array([sub]))
            new, sample = rng_mrg.mrg_uniform.new(state, ndim=None, dtype="float64", size=(1,))
            state.default_update = new
            f = theano.function([], sample)
            serial.extend(float(f()[0]) for _ in range(5))
            rows.append(sub)
            sub = rng_mrg.ff_2p72(sub)
        state = theano.shared(np.array(rows, dtype="int32"))
        new, sample = rng_mrg.mrg_uniform.new(state, ndim=None, dtype="float64", size=(7,))
        state.default_update = new
        f = theano.function([], sample)
        parallel.append(np.array([f() for _ in range(5)]).T.ravel())
        stream = rng_mrg.ff_2p134(stream)
    np.testing.assert_array_equal(serial, JAVA)
    np.testing.assert_array_equal(np.ravel(parallel), JAVA)


def test_float32_draws_are_the_float32_rule_of_the_same_integers():
    """float32: float32(k) * float32(4.6566126e-10) in float32, k the integers behind the reference samples."""
    theano, _, rng_mrg = _theano()
    rng = rng_mrg.MRG_RandomStreams(seed=12345)
    got = []
    for _ in range(12):
        f = theano.function([], rng.uniform(size=(7,), nstreams=7, dtype="float32"))
        got.append(np.array([f() for _ in range(5)]).T.ravel())
    got = np.array(got).ravel()
    assert got.dtype == np.float32
    k = np.round(JAVA * 2.0 ** 31).astype(np.int64)
    np.testing.assert_array_equal(got, [ref.to_float(int(v), "float32") for v in k])
    assert 0 < got.min() and got.max() < 1


def test_jump_matrices_are_theanos():
    _, _, rng_mrg = _theano()
    a1p72 = [[1516919229, 758510237, 499121365], [1884998244, 1516919229, 335398200],
             [601897748, 1884998244, 358115744]]
    a2p72 = [[1228857673, 1496414766, 954677935], [1133297478, 1407477216, 1496414766],
             [2002613992, 1639496704, 1407477216]]
    a1p134 = [[1702500920, 1849582496, 1656874625], [828554832, 1702500920, 1512419905],
              [1143731069, 828554832, 102237247]]
    a2p134 = [[796789021, 1464208080, 607337906], [1241679051, 1431130166, 1464208080],
              [1401213391, 1178684362, 1431130166]]
    for got, want in ((rng_mrg.A1p72, a1p72), (rng_mrg.A2p72, a2p72), (rng_mrg.A1p134, a1p134),
                      (rng_mrg.A2p134, a2p134)):
        np.testing.assert_array_equal(got, want)
    assert [list(m) for m in ref.JUMP_72] == [a1p72, a2p72] and [list(m) for m in ref.JUMP_134] == [a1p134, a2p134]


# --- uniform against the scalar reference ------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size,nstreams", [((7,), None), ((3, 5), None), ((2, 3, 4), None), ((), None),
                                           ((1,), None), ((13,), 4), ((1000,), 3), ((40, 30), None)])
def test_uniform_matches_the_reference(dtype, size, nstreams):
    theano, _, rng_mrg = _theano()
    rng, r = rng_mrg.MRG_RandomStreams(seed=4321), ref.Streams(4321)
    f = theano.function([], rng.uniform(size, dtype=dtype, nstreams=nstreams))
    rows = r.new(nstreams or ref.guess(size))
    n = int(np.prod(size))
    for _ in range(3):
        got = f()
        assert got.dtype == dtype and got.shape == size
        np.testing.assert_array_equal(got, ref.Streams.draw(rows, n, dtype).reshape(size))


def test_a_symbolic_size_uses_60_times_256_streams_and_may_be_empty():
    theano, T, rng_mrg = _theano()
    x = T.matrix()
    rng, r = rng_mrg.MRG_RandomStreams(seed=99), ref.Streams(99)
    f = theano.function([x], rng.uniform(x.shape, dtype="float64"))
    rows = r.new(60 * 256)
    np.testing.assert_array_equal(f(np.zeros((3, 5))), ref.Streams.draw(rows, 15).reshape(3, 5))
    assert f(np.zeros((0, 5))).shape == (0, 5)   # nothing drawn, nothing advanced
    np.testing.assert_array_equal(f(np.zeros((2, 2))), ref.Streams.draw(rows, 4).reshape(2, 2))
    idx = T.lvector()
    g = theano.function([idx], rng.uniform(idx, ndim=1, nstreams=3))
    rows = r.new(3)
    np.testing.assert_array_equal(g([5]), ref.Streams.draw(rows, 5))


def test_many_numbers_from_few_streams_match_the_reference():
    """Few streams and many numbers: the draw runs each stream's blocks side by side (jump-ahead lanes)."""
    theano, _, rng_mrg = _theano()
    rng, r = rng_mrg.MRG_RandomStreams(seed=7), ref.Streams(7)
    f = theano.function([], rng.uniform((3001,), nstreams=1))
    g = theano.function([], rng.uniform((4099,), nstreams=5, dtype="float32"))
    rows_f, rows_g = r.new(1), r.new(5)
    for _ in range(2):
        np.testing.assert_array_equal(f(), ref.Streams.draw(rows_f, 3001))
        np.testing.assert_array_equal(g(), ref.Streams.draw(rows_g, 4099, "float32"))
    np.testing.assert_array_equal(rng.state_updates[0][0].get_value(), rows_f)   # the states after the draws
    np.testing.assert_array_equal(rng.state_updates[1][0].get_value(), rows_g)


def test_low_and_high_scale_in_the_dtype():
    theano, _, rng_mrg = _theano()
    rng, r = rng_mrg.MRG_RandomStreams(seed=11), ref.Streams(11)
    f = theano.function([], [rng.uniform((5,), low=-3.0, high=0.5, dtype="float32"),
                             rng.uniform((4,), low=2.0, high=7.25)])
    a, b = f()
    u32 = ref.Streams.draw(r.new(5), 5, "float32")   # sizes of 6 or fewer: one stream per number
    u64 = ref.Streams.draw(r.new(4), 4)
    f32 = np.float32
    np.testing.assert_array_equal(a, u32 * (f32(0.5) - f32(-3.0)) + f32(-3.0))
    np.testing.assert_array_equal(b, u64 * (7.25 - 2.0) + 2.0)


def test_several_draws_in_one_function_and_across_calls_and_functions():
    theano, _, rng_mrg = _theano()
    rng, r = rng_mrg.MRG_RandomStreams(seed=2024), ref.Streams(2024)
    u, v = rng.uniform((4,)), rng.uniform((2, 3), dtype="float32")
    f = theano.function([], [u, v, u + 1])
    g = theano.function([], v)
    ru, rv = r.new(4), r.new(6)
    for _ in range(2):
        a, b, c = f()
        np.testing.assert_array_equal(a, ref.Streams.draw(ru, 4))
        np.testing.assert_array_equal(b, ref.Streams.draw(rv, 6, "float32").reshape(2, 3))
        np.testing.assert_array_equal(c, a + 1)   # one draw per call, however often it is used
        np.testing.assert_array_equal(g(), ref.Streams.draw(rv, 6, "float32").reshape(2, 3))


# --- binomial ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["int64", "int8", "float32", "float64"])
def test_binomial_is_uniform_below_p(dtype):
    theano, _, rng_mrg = _theano()
    rng, r = rng_mrg.MRG_RandomStreams(seed=5), ref.Streams(5)
    p = np.array([[0.1, 0.5, 0.9]] * 4)
    f = theano.function([], [rng.binomial((4, 3), p=p, dtype=dtype), rng.binomial((50,), p=0.3, dtype=dtype)])
    a, b = f()
    assert a.dtype == dtype and b.dtype == dtype
    np.testing.assert_array_equal(a, (ref.Streams.draw(r.new(2), 12).reshape(4, 3) < p).astype(dtype))
    np.testing.assert_array_equal(b, (ref.Streams.draw(r.new(8), 50) < 0.3).astype(dtype))


def test_binomial_with_floatx_float32_compares_float32_uniforms():
    theano, _, rng_mrg = _theano()
    with theano.config.change_flags(floatX="float32"):
        rng, r = rng_mrg.MRG_RandomStreams(seed=5), ref.Streams(5)
        got = theano.function([], rng.binomial((30,), p=0.7))()
    np.testing.assert_array_equal(got, ref.Streams.draw(r.new(5), 30, "float32") < np.float32(0.7))


# --- normal -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [(6,), (5,), (3, 7), (), (1,), (2, 3, 3)])
def test_normal_matches_the_reference(dtype, size):
    theano, _, rng_mrg = _theano()
    rng, r = rng_mrg.MRG_RandomStreams(seed=31), ref.Streams(31)
    f = theano.function([], rng.normal(size, avg=1.5, std=0.25, dtype=dtype))
    rows = r.new(60 * 256)
    for _ in range(2):
        got = f()
        assert got.dtype == dtype and got.shape == size
        np.testing.assert_array_equal(got, ref.normal_draw(rows, None, size, dtype, avg=1.5, std=0.25))


def test_normal_with_explicit_streams_and_a_symbolic_odd_size():
    theano, T, rng_mrg = _theano()
    x = T.matrix()
    rng, r = rng_mrg.MRG_RandomStreams(seed=8), ref.Streams(8)
    f = theano.function([x], rng.normal(x.shape, nstreams=5))
    np.testing.assert_array_equal(f(np.zeros((3, 3))), ref.normal(r, (3, 3), nstreams=5))


def test_normal_values_agree_with_the_c_library_to_the_last_ulp_or_one():
    """Theano's compiled code took log/cos/sin from the C library (Python's math uses the same)."""
    theano, _, rng_mrg = _theano()
    rng, r = rng_mrg.MRG_RandomStreams(seed=3), ref.Streams(3)
    got = theano.function([], rng.normal((4000,)))()
    u = ref.Streams.draw(r.new(60 * 256), 4000)
    np.testing.assert_array_max_ulp(got, ref.libm_normal_pairs(u), maxulp=2)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_truncated_normal_matches_the_reference_layout(dtype):
    theano, _, rng_mrg = _theano()
    rng, r = rng_mrg.MRG_RandomStreams(seed=77), ref.Streams(77)
    f = theano.function([], [rng.normal((41,), avg=-1.0, std=3.0, truncate=True, dtype=dtype),
                             rng.truncated_normal((5, 8), dtype=dtype)])
    a, b = f()
    np.testing.assert_array_equal(a, ref.normal(r, (41,), dtype, avg=-1.0, std=3.0, truncate=True))
    std = np.dtype(dtype).type(1.0 / 0.87962566103423978)
    np.testing.assert_array_equal(b, ref.normal(r, (5, 8), dtype, std=std, truncate=True))
    assert np.abs(a + 1.0).max() <= 6.0


def test_truncated_statistics():
    """Theano's truncation keeps the angle of a draw beyond 2 and redraws its radius: every draw within
    2 std, a standard deviation of 0.8907 std (measured; a truncated normal's would be 0.8796 std, the
    constant truncated_normal divides by -- so truncated_normal's spread is 1.3 % above std, as in Theano)."""
    theano, _, rng_mrg = _theano()
    rng = rng_mrg.MRG_RandomStreams(seed=123)
    a, b = theano.function([], [rng.normal((200001,), avg=2.0, std=3.0, truncate=True),
                                rng.truncated_normal((200000,), avg=-1.0, std=2.0, dtype="float32")])()
    assert np.abs(a - 2.0).max() <= 6.0 and abs(a.mean() - 2.0) < 0.02
    assert abs(a.std() - 3.0 * 0.8907) < 0.015
    assert np.abs(b + 1.0).max() <= np.float32(2.0 * 2.0 / 0.87962566103423978)
    assert abs(b.mean() + 1.0) < 0.02 and abs(b.std() - 2.0 * 0.8907 / 0.87962566103423978) < 0.015
    n = theano.function([], rng.normal((200000,), avg=0.0, std=2.0))()
    assert abs(n.mean()) < 0.02 and abs(n.std() - 2.0) < 0.02 and np.abs(n).max() > 6.0


# --- multinomial and choice -------------------------------------------------------------------

@pytest.mark.parametrize("pdtype", ["float32", "float64"])
def test_multinomial_matches_the_reference(pdtype):
    theano, _, rng_mrg = _theano()
    rng, r = rng_mrg.MRG_RandomStreams(seed=17), ref.Streams(17)
    pvals = np.random.RandomState(0).dirichlet(np.ones(5), size=9).astype(pdtype)
    f = theano.function([], [rng.multinomial(pvals=pvals), rng.multinomial(pvals=pvals, n=7, dtype="float32")])
    a, b = f()
    assert a.dtype == np.int64 and b.dtype == np.float32 and (a.sum(axis=1) == 1).all()
    np.testing.assert_array_equal(a, ref.multinomial(pvals, ref.Streams.draw(r.new(60 * 256), 9), 1))
    np.testing.assert_array_equal(b, ref.multinomial(pvals, ref.Streams.draw(r.new(60 * 256), 63), 7, "float32"))


@pytest.mark.parametrize("pdtype", ["float32", "float64"])
def test_choice_without_replacement_matches_the_reference(pdtype):
    theano, _, rng_mrg = _theano()
    rng, r = rng_mrg.MRG_RandomStreams(seed=19), ref.Streams(19)
    p = np.random.RandomState(1).dirichlet(np.ones(6), size=8).astype(pdtype)
    got = theano.function([], rng.choice(size=4, p=p, replace=False))()
    want = ref.choice(p, ref.Streams.draw(r.new(60 * 256), 32), 4)
    np.testing.assert_array_equal(got, want)
    assert all(len(set(row)) == 4 for row in got)
    with pytest.warns(DeprecationWarning, match="choice"):
        old = rng.multinomial_wo_replacement(pvals=p, n=3)
    np.testing.assert_array_equal(theano.function([], old)(), ref.choice(p, ref.Streams.draw(r.new(60 * 256), 24), 3))


# --- how many streams --------------------------------------------------------------------------

def test_guess_n_streams_is_theanos():
    _, T, rng_mrg = _theano()
    guess = rng_mrg.guess_n_streams
    assert [guess(s) for s in [(), (1,), (6,), (7,), (10, 20), (13,), (1000, 1000)]] == [1, 1, 6, 1, 33, 2, 15360]
    assert guess((np.int64(100),)) == 15360 and guess(T.lvector()) == 15360 and guess((T.lscalar(), 3)) == 15360
    with pytest.warns(UserWarning, match="number of streams"):
        guess(T.lvector(), warn=True)


def test_six_int_seeds_and_a_seed_equal_to_six_copies():
    theano, _, rng_mrg = _theano()
    a = theano.function([], rng_mrg.MRG_RandomStreams(seed=555).uniform((4,)))()
    b = theano.function([], rng_mrg.MRG_RandomStreams(seed=[555] * 6).uniform((4,)))()
    np.testing.assert_array_equal(a, b)
    seed = [1, 2, 3, 4, 5, 6]
    c = theano.function([], rng_mrg.MRG_RandomStreams(seed=seed).uniform((4,)))()
    np.testing.assert_array_equal(c, ref.Streams.draw(ref.Streams(seed).new(4), 4))

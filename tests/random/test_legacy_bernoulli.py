"""``legacy_bernoulli`` (plugins/backend_numpy/legacy_binomial.py) against NumPy's own
``RandomState.binomial(1, p, size)`` on a copy of the same state: the same values, the same type
and dtype, the same state afterwards (Gaussian cache included), the same errors -- on random
``p`` and sizes, on the special values of ``p``, and on ``p`` set so that the double drawn lands
on, next to or just outside the window around its threshold (where the vectorised decision hands
the draw back to NumPy). The fast tests run in the default suite; the exhaustive one (``slow``)
checks millions of elements."""
from __future__ import annotations

from typing import Any, Iterator, List, Tuple

import numpy as np
import pytest

import framework_backend_numpy.legacy_binomial as legacy
from framework.core.backend import get_backend
from framework.testing.streams import assert_same_state
from framework_backend_numpy.legacy_binomial import legacy_bernoulli

BIT_GENERATORS = [np.random.MT19937, np.random.PCG64, np.random.SFC64]  # SFC64: the generic state copy
ULP = 2.0 ** -53  # of the doubles in [0.5, 1), and next_double's grid
WINDOW = legacy._WINDOW
SPECIAL = np.array([0.0, 1.0, 0.5, np.nextafter(0.5, 0), np.nextafter(0.5, 1), 5e-324, 2.2250738585072014e-308,
                    1e-300, 2.0 ** -53, 2.0 ** -54, 1e-8, 0.25, np.nextafter(0.25, 0), 1 - 1e-8,
                    1 - 2.0 ** -53, np.nextafter(1.0, 0)])


def _pair(bits: Any, seed: int) -> Tuple[np.random.RandomState, np.random.RandomState]:
    """Two RandomStates in the same state, a Gaussian cached in both (binomial must keep it)."""
    a, b = np.random.RandomState(bits(seed)), np.random.RandomState(bits(seed))
    a.standard_normal(), b.standard_normal()
    return a, b


def _same_draw(a: np.random.RandomState, b: np.random.RandomState, p: Any, size: Any) -> None:
    got, want = legacy_bernoulli(a, p, size), b.binomial(1, p, size)
    assert type(got) is type(want)
    assert np.asarray(got).dtype == np.asarray(want).dtype and np.shape(got) == np.shape(want)
    np.testing.assert_array_equal(got, want)
    assert_same_state(a, b)


@pytest.fixture
def fallbacks(monkeypatch: pytest.MonkeyPatch) -> List[int]:
    """Counts the draws handed to NumPy's ``binomial`` (ambiguous or not the plain case)."""
    calls: List[int] = []
    numpy_binomial = legacy._numpy_binomial

    def counted(*args: Any) -> Any:
        calls.append(1)
        return numpy_binomial(*args)

    monkeypatch.setattr(legacy, "_numpy_binomial", counted)
    return calls


# --- random p and sizes ----------------------------------------------------------------------

def _random_p(g: np.random.Generator, shape: Tuple[int, ...]) -> Any:
    """p in [0, 1]: uniform, crowded near 0 or near 1, with special values sprinkled in, of a
    random float dtype, sometimes a strided or transposed view, sometimes a Python float."""
    p = np.asarray(g.random(shape) ** g.choice([1.0, 4.0, 40.0]))
    if g.random() < 0.3:
        p = np.asarray(1.0 - p)
    mask = g.random(shape) < 0.15
    p[mask] = g.choice(SPECIAL, size=int(mask.sum()))
    p = p.astype(g.choice(["float64", "float32", "float16"]))
    if p.ndim == 0 and g.random() < 0.3:
        return float(p)
    if p.ndim >= 2 and g.random() < 0.3:
        return p.T
    if p.ndim >= 1 and g.random() < 0.2:
        return np.repeat(p, 2, axis=-1)[..., ::2]
    return p


def _random_cases(seed: int, n: int, max_dim: int) -> Iterator[Tuple[Any, Any]]:
    """(p, size): size None, p's own shape, leading dimensions added, 1-dimensions widened."""
    g = np.random.default_rng(seed)
    for _ in range(n):
        shape = tuple(int(d) for d in g.integers(0 if g.random() < 0.05 else 1, max_dim, size=g.integers(0, 4)))
        p = _random_p(g, shape)
        form = g.integers(4)
        if form == 0:
            size = None
        elif form == 1:
            size = np.shape(p)
        elif form == 2:
            size = tuple(int(d) for d in g.integers(1, 4, size=g.integers(1, 3))) + np.shape(p)
        else:
            size = np.shape(p)
            if size:
                p = np.asarray(p)[(slice(0, 1),) + (slice(None),) * (len(size) - 1)]
        yield p, size


@pytest.mark.parametrize("bits", BIT_GENERATORS, ids=lambda b: b.__name__)
def test_random_p_and_sizes_draw_numpys_numbers(bits, fallbacks):
    for i, (p, size) in enumerate(_random_cases(seed=7, n=300, max_dim=9)):
        a, b = _pair(bits, i)
        _same_draw(a, b, p, size)
    assert not fallbacks  # every draw was made by the vectorised path


@pytest.mark.parametrize("bits", BIT_GENERATORS, ids=lambda b: b.__name__)
def test_the_rbm_shapes_in_float32(bits, fallbacks):
    g = np.random.default_rng(1)
    a, b = _pair(bits, 3)
    for shape in [(20, 500), (20, 784)] * 3:
        p = g.random(shape, dtype=np.float32)
        _same_draw(a, b, p, shape)
    assert not fallbacks


def test_special_values_everywhere():
    for seed in range(20):
        for bits in BIT_GENERATORS:
            a, b = _pair(bits, seed)
            _same_draw(a, b, np.tile(SPECIAL, 40), None)
            _same_draw(a, b, SPECIAL.astype(np.float32), (30, SPECIAL.size))
            for p in SPECIAL:
                _same_draw(a, b, float(p), None)  # NumPy's scalar path: a Python int


@pytest.mark.parametrize("size", [None, (), 5, [2, 3], np.array([3, 1]), (0,), (2, 0, 3)],
                         ids=["None", "()", "int", "list", "ndarray", "(0,)", "(2,0,3)"])
@pytest.mark.parametrize("p", [0.3, np.float32(0.7), np.array(0.5), np.float16(0.1)], ids=repr)
def test_the_forms_of_size_and_a_scalar_p(p, size):
    a, b = _pair(np.random.MT19937, 5)
    _same_draw(a, b, p, size)


def test_empty_p():
    a, b = _pair(np.random.MT19937, 5)
    _same_draw(a, b, np.zeros((0, 4), np.float32), None)
    _same_draw(a, b, np.zeros((0,)), (3, 0))


def test_the_cast_to_the_samples_dtype():
    a, b = _pair(np.random.MT19937, 9)
    p = np.random.default_rng(0).random((20, 50), dtype=np.float32)
    for dtype in ["float32", "float64", "int8", "int64", "bool"]:
        got = legacy_bernoulli(a, p, p.shape, dtype)
        want = np.asarray(b.binomial(1, p, p.shape)).astype(dtype)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    assert_same_state(a, b)


# --- errors: NumPy's, in NumPy's order, nothing drawn --------------------------------------------

def _same_error(p: Any, size: Any) -> None:
    """``legacy_bernoulli`` raises what ``binomial(1, p, size)`` raises, and neither draws."""
    a, b = _pair(np.random.MT19937, 2)
    untouched, _ = _pair(np.random.MT19937, 2)
    with pytest.raises(Exception) as want:
        b.binomial(1, p, size)
    with pytest.raises(type(want.value)) as got:
        legacy_bernoulli(a, p, size)
    assert str(got.value) == str(want.value)
    assert_same_state(a, untouched)
    assert_same_state(b, untouched)


@pytest.mark.parametrize("bad", [np.nan, -0.1, 1.1, np.inf, -np.inf, -5e-324, 1 + 2.0 ** -52], ids=repr)
@pytest.mark.parametrize("form", ["python", "float32", "0-d", "array64", "array32"])
@pytest.mark.parametrize("size", [None, (4, 3)], ids=["None", "size"])
def test_a_bad_p_raises_numpys_message_before_drawing(bad, form, size):
    """NumPy words it ``p is NaN`` for a 0-d ``p`` and ``p contains NaNs`` for an array."""
    if form == "python":
        p = bad
    elif form in ("float32", "0-d"):
        p = np.float32(bad) if form == "float32" else np.array(bad)
    else:
        p = np.full((4, 3), 0.25, dtype=np.float64 if form == "array64" else np.float32)
        p[2, 1] = bad
    if form in ("float32", "array32") and bad in (-5e-324, 1 + 2.0 ** -52):
        p = np.float32(-2.0 ** -149) if np.ndim(p) == 0 else np.where(p == 0.25, p, np.float32(-2.0 ** -149))
    _same_error(p, size)


@pytest.mark.parametrize("p, size", [
    (np.full(2, 0.5), (3,)),           # p does not broadcast to size
    (np.full((3, 2), 0.5), (2, 3)),
    (np.full((2, 3), 0.5), (3,)),      # p would widen size
    (0.5, (-1,)),                      # a negative size
    (np.full(3, 0.5), (2.5,)),         # not an integer size
    (np.full(2, np.nan), (3,)),        # both wrong: NumPy reports p first
    (np.array([0.2, 0.4], dtype=np.longdouble), None),  # NumPy refuses to convert it
], ids=["no-broadcast", "transposed", "wider-p", "negative", "float-size", "nan-and-size", "longdouble"])
def test_bad_sizes_and_dtypes_raise_numpys_error(p, size):
    _same_error(p, size)


@pytest.mark.parametrize("p", [[0.1, 0.9, 0.5], [0, 1, 1], np.array([0, 1], dtype=np.int32), True],
                         ids=["list", "int-list", "int32", "bool"])
def test_p_of_other_types_draws_numpys_numbers(p):
    a, b = _pair(np.random.MT19937, 4)
    _same_draw(a, b, p, None)
    _same_draw(a, b, p, (3,) + np.shape(p))


def test_a_subclass_with_its_own_binomial_is_asked():
    class Loaded(np.random.RandomState):
        def binomial(self, n: Any, p: Any, size: Any = None) -> Any:
            return np.ones(size, dtype=int)

    assert legacy_bernoulli(Loaded(0), 0.0, (2, 2)).tolist() == [[1, 1], [1, 1]]


# --- on and near the threshold: the window and the hand-back to NumPy ------------------------------

def _p_at(u: np.ndarray, offset: np.ndarray, high: np.ndarray) -> np.ndarray:
    """p whose threshold ``b`` is ``u + offset`` (``u``, ``b`` in [0.5, 1]): ``p = b`` where
    ``high`` (``b`` is ``p`` above 0.5), ``p = 1 - b`` elsewhere (``b = fl(1 - p)``, both exact)."""
    b = np.clip(u + offset, 0.5, 1.0)
    p = np.where(high & (b > 0.5), b, 1.0 - b)
    assert np.array_equal(np.where(p > 0.5, p, 1.0 - p), b)  # the threshold is the one intended
    return p


def _peek(rng: np.random.RandomState, shape: Tuple[int, ...]) -> np.ndarray:
    """The doubles ``rng`` will draw next, without advancing it."""
    twin = np.random.RandomState(type(rng._bit_generator)())
    twin.set_state(rng.get_state(legacy=False))
    return twin.random_sample(shape)


def _adversarial_p(rng: np.random.RandomState, g: np.random.Generator, shape: Tuple[int, ...],
                   offsets: np.ndarray, share: float) -> np.ndarray:
    """Random p, except a ``share`` of the elements whose double is in [0.5, 1) (with room for the
    offsets): there ``p`` puts the threshold at one of ``offsets`` from that double."""
    u = _peek(rng, shape)
    p = g.random(shape)
    hit = (u >= 0.5 + 2e-6) & (u <= 1 - 2e-6) & (g.random(shape) < share)
    near = _p_at(u, g.choice(offsets, size=shape), g.random(shape) < 0.5)
    return np.where(hit, near, p)


IN_WINDOW = np.arange(-4, 5) * ULP                        # on the threshold and a few ulps either side
_AWAY = np.concatenate([WINDOW + np.arange(1, 4) * ULP, [2 * WINDOW, 1e-9, 1e-6]])
OUTSIDE = np.concatenate([_AWAY, -_AWAY])                  # just outside the window, and farther


@pytest.mark.parametrize("offsets, share, handed_back", [(IN_WINDOW, 0.05, 30), (OUTSIDE, 0.5, 0)],
                         ids=["in-window", "outside"])
@pytest.mark.parametrize("bits", BIT_GENERATORS, ids=lambda b: b.__name__)
def test_doubles_next_to_their_threshold(bits, offsets, share, handed_back, fallbacks):
    """On the threshold or a few ulps from it, the draw goes to NumPy (every one of these draws
    has such an element); just outside the window, the vectorised path decides it."""
    g = np.random.default_rng(11)
    for seed in range(30):
        a, b = _pair(bits, seed)
        _same_draw(a, b, _adversarial_p(a, g, (7, 40), offsets, share), None)
    assert len(fallbacks) == handed_back


# MT19937 states built so that the next doubles are chosen ones: the doubles no seed gives
# in a test's lifetime (1 - 2**-53, exactly 0.5, exactly a threshold).

def _untemper(y: int) -> int:
    """The MT19937 state word whose tempered output is ``y``."""
    y ^= y >> 18
    y ^= (y << 15) & 0xEFC60000
    x = y
    for _ in range(5):
        x = y ^ ((x << 7) & 0x9D2C5680)
    y = x
    x = y
    for _ in range(3):
        x = y ^ (x >> 11)
    return x & 0xFFFFFFFF


def _drawing(doubles: np.ndarray, seed: int) -> np.random.RandomState:
    """An MT19937 RandomState whose next ``len(doubles)`` (at most 312) doubles are ``doubles``
    (multiples of 2**-53 in [0, 1)); the words after them are a seed's."""
    key = np.random.RandomState(seed).get_state()[1].copy()
    noise = np.random.RandomState(seed + 1).randint(0, 64, size=2 * len(doubles))
    for i, u in enumerate(doubles):
        k = int(u * 2.0 ** 53)
        assert k * 2.0 ** -53 == u
        key[2 * i] = _untemper(((k >> 26) << 5) | int(noise[2 * i] & 31))
        key[2 * i + 1] = _untemper(((k & (2 ** 26 - 1)) << 6) | int(noise[2 * i + 1]))
    rng = np.random.RandomState()
    rng.set_state(("MT19937", key, 0))
    return rng


def test_the_crafted_states_draw_the_chosen_doubles():
    u = np.array([0.0, 0.5, 1 - ULP, 0.75 + ULP, 0.123456789 - 0.123456789 % ULP])
    np.testing.assert_array_equal(_drawing(u, 0).random_sample(u.size), u)


@pytest.mark.parametrize("top", [1 - ULP, 1 - 2 ** 13 * ULP, 1 - WINDOW])
def test_a_double_near_one_hands_the_draw_to_numpy(top, fallbacks):
    """Only such a double can make NumPy's loop restart (draw another double), whatever ``p``."""
    u = np.array([0.25, top, 0.75])
    p = np.array([0.3, 0.3, 0.6])
    _same_draw(_drawing(u, 1), _drawing(u, 1), p, None)
    assert len(fallbacks) == 1


def _crafted_cases(g: np.random.Generator, n: int) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    """(doubles, p): thresholds on the doubles, an ulp away, at the window's edge; doubles at and
    near 1 (where NumPy's loop could restart) with p near 0 and 1; 0.5 against p = 0.5."""
    edge = np.concatenate([IN_WINDOW, OUTSIDE, [WINDOW - ULP, WINDOW, -WINDOW + ULP, -WINDOW]])
    for _ in range(n):
        m = int(g.integers(1, 300))
        u = np.floor(g.uniform(0.5, 1.0, m) * 2.0 ** 53) * ULP
        top = g.random(m) < 0.2
        u[top] = 1.0 - g.integers(1, 2 ** 14, size=int(top.sum())) * ULP
        p = _p_at(u, g.choice(edge, size=m), g.random(m) < 0.5)
        tiny = g.random(m) < 0.1
        p[tiny] = g.choice([0.0, 1.0, 5e-324, 2.0 ** -53, 1 - ULP, 2.0 ** -40], size=int(tiny.sum()))
        half = g.random(m) < 0.05
        u[half], p[half] = 0.5, 0.5
        yield u, p


def _check_crafted(seed: int, n: int) -> None:
    g = np.random.default_rng(seed)
    for i, (u, p) in enumerate(_crafted_cases(g, n)):
        a, b = _drawing(u, i), _drawing(u, i)
        _same_draw(a, b, p, None)
        _same_draw(a, b, p[::-1].copy(), None)  # the words after the crafted ones


def test_crafted_doubles_on_thresholds_and_near_one():
    _check_crafted(seed=21, n=40)


# --- through the backend -----------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, np.array(1), np.ones((1, 6), np.int32), np.ones((4, 6), np.int64)],
                         ids=["int", "0-d", "row", "full"])
@pytest.mark.parametrize("size", [None, (4, 6), (2, 4, 6)], ids=["None", "same", "wider"])
def test_the_backend_draws_binomial_with_every_n_one_as_numpy_does(n, size):
    backend = get_backend("cpu")
    p = np.random.default_rng(3).random((4, 6), dtype=np.float32)
    a, b = _pair(np.random.MT19937, 8)
    for dist, params in [("bernoulli", (p,)), ("binomial", (n, p))]:
        rng, got = backend.draw(a, dist, size, params, "float32")
        assert rng is a
        want = np.asarray(b.binomial(n, p, size)).astype("float32")
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
        assert_same_state(a, b)


@pytest.mark.parametrize("n", [np.ones(6), np.ones(6, np.uint64), 2, np.array([1, 2] * 3)],
                         ids=["float", "uint64", "two", "mixed"])
def test_the_backend_leaves_other_binomials_to_numpy(n, fallbacks):
    """NumPy refuses a float or uint64 array ``n`` that ``n = 1`` would not make it refuse."""
    backend = get_backend("cpu")
    p = np.full(6, 0.5)
    a, b = _pair(np.random.MT19937, 8)
    try:
        want = np.asarray(b.binomial(n, p)).astype("float64")
    except TypeError as refused:
        with pytest.raises(TypeError, match=str(refused).replace("(", r"\(").replace(")", r"\)")):
            backend.draw(a, "binomial", None, (n, p), "float64")
    else:
        np.testing.assert_array_equal(backend.draw(a, "binomial", None, (n, p), "float64")[1], want)
    assert_same_state(a, b)
    assert not fallbacks  # never reached legacy_bernoulli


# --- exhaustive (slow): millions of elements ------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("bits", BIT_GENERATORS, ids=lambda b: b.__name__)
def test_millions_of_elements(bits):
    total = 0
    for i, (p, size) in enumerate(_random_cases(seed=100, n=4000, max_dim=40)):
        a, b = _pair(bits, i)
        _same_draw(a, b, p, size)
        total += int(np.prod(size if size is not None else np.shape(p)))
    g = np.random.default_rng(101)
    a, b = _pair(bits, 0)
    for _ in range(200):
        p = _random_p(g, (100, 200))
        _same_draw(a, b, p, np.shape(p))
        total += 20000
    for seed in range(200):
        a, b = _pair(bits, seed)
        _same_draw(a, b, _adversarial_p(a, g, (50, 100), np.concatenate([IN_WINDOW, OUTSIDE]), 0.002),
                   None)
        total += 5000
    assert total > 5_000_000


@pytest.mark.slow
def test_crafted_doubles_exhaustively():
    _check_crafted(seed=22, n=3000)

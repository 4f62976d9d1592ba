"""The backend conformance suite: what every backend must compute, checked on a device.

Each test compiles small graphs on the device under test and compares with
NumPy (values) or finite differences (gradients), and checks the semantics of
compiled functions (updates, givens, copies), random streams (replay) and
scan. It is written once, for every backend: the bundled NumPy backend runs
it in CI, the CuPy backend wherever a GPU exists, and a third-party backend
plugin runs it against itself.

Use it from pytest, in a test module of your own::

    from framework.testing.conformance import *  # noqa: F401,F403  (the tests and the fixture)

    CONFORMANCE_DEVICES = ["mydevice"]   # optional: default, one device per registered backend

or from Python: ``framework.testing.run_conformance("cuda")`` (returns
pytest's exit code). The environment variable
``FRAMEWORK_CONFORMANCE_DEVICES=cpu,cuda`` overrides the device list.
A device whose backend is not available here is *skipped* with the
backend's reason; ``cuda`` tests carry the ``gpu`` marker.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Iterator, List, Optional, Sequence

import numpy as np
import pytest

import framework.tensor as T
from framework import In, config, function, grad, shared
from framework.core.types import TensorType


DEVICES_ENV = "FRAMEWORK_CONFORMANCE_DEVICES"


# --- which devices ----------------------------------------------------------------------

def conformance_devices() -> List[str]:
    """One device per registered backend (``'cpu'``, ``'cuda'`` ...), or the
    devices named in ``FRAMEWORK_CONFORMANCE_DEVICES``."""
    env = os.environ.get(DEVICES_ENV, "").strip()
    if env:
        return [d.strip() for d in env.split(",") if d.strip()]
    from framework import plugins

    out: List[str] = []
    for spec in plugins.backends().values():
        for d in spec.devices:
            if d not in out:
                out.append(d)
    return out


def _unavailable_reason(device: str) -> Optional[str]:
    """Why ``device`` cannot run here (None: it can)."""
    from framework import plugins

    try:
        spec = plugins.backend_for_device(device)
    except plugins.PluginError as exc:
        return str(exc)
    try:
        ok = bool(spec.available())
    except Exception as exc:  # noqa: BLE001 - a probe must not break collection
        return f"backend {spec.name!r} failed its availability probe: {exc}"
    if ok:
        return None
    why = getattr(spec.available, "reason", None)
    why = why() if callable(why) else ""
    return f"backend {spec.name!r} (plugin {spec.plugin!r}) is not available here" + (f": {why}" if why else "")


def device_params(devices: Optional[Sequence[str]] = None) -> List[Any]:
    """``pytest.param`` per device: skipped (with the reason) where its backend
    is unavailable, marked ``gpu`` for CUDA devices."""
    params = []
    for dev in devices if devices is not None else conformance_devices():
        marks = []
        if dev.split(":")[0] == "cuda":
            marks.append(pytest.mark.gpu)
        why = _unavailable_reason(dev)
        if why is not None:
            marks.append(pytest.mark.skip(reason=why))
        params.append(pytest.param(dev, marks=marks, id=dev))
    return params


def pytest_generate_tests(metafunc: Any) -> None:
    """Parametrise ``backend_device`` over the devices (module-level hook)."""
    if "backend_device" in metafunc.fixturenames:
        devices = getattr(metafunc.module, "CONFORMANCE_DEVICES", None)
        metafunc.parametrize("backend_device", device_params(devices), indirect=True)


@pytest.fixture
def backend_device(request: Any) -> Iterator[str]:
    """The device under test; ``config.device`` is set to it during the test."""
    device = getattr(request, "param", None) or config.device
    with config.change_flags(device=device):
        yield device


# --- helpers ----------------------------------------------------------------------------

RNG_SEED = 1234


def _rng() -> np.random.RandomState:
    return np.random.RandomState(RNG_SEED)


def _sym(value: np.ndarray, name: str) -> Any:
    return TensorType(value.dtype.name, (None,) * value.ndim)(name)


def _tol(*values: Any) -> float:
    low = any(np.asarray(v).dtype in (np.float16, np.float32) for v in values)
    return 2e-5 if low else 1e-10


def _check(fn: Callable[..., Any], np_fn: Callable[..., Any], *values: np.ndarray, rtol: Optional[float] = None,
           device: Optional[str] = None) -> None:
    """Compile ``fn`` on symbolic copies of ``values`` and compare with ``np_fn``:
    values, dtype and shape."""
    xs = [_sym(v, f"x{k}") for k, v in enumerate(values)]
    out = fn(*xs)
    f = function(xs, out, device=device)
    got = f(*values)
    with np.errstate(all="ignore"):
        want = np_fn(*values)
    got_list = got if isinstance(got, list) else [got]
    want_list = list(want) if isinstance(want, tuple) else [want]
    for g, w in zip(got_list, want_list):
        g, w = np.asarray(g), np.asarray(w)
        assert isinstance(g, np.ndarray), f"outputs must come back as NumPy arrays, got {type(g).__name__}"
        assert g.shape == w.shape, f"shape {g.shape} != NumPy's {w.shape}"
        assert g.dtype == w.dtype, f"dtype {g.dtype} != NumPy's {w.dtype}"
        tol = rtol if rtol is not None else _tol(*values, w)
        if w.dtype.kind in "biu":
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


# --- element-wise -----------------------------------------------------------------------

UNARY = [
    ("exp", T.exp, np.exp, "any"), ("log", T.log, np.log, "pos"), ("tanh", T.tanh, np.tanh, "any"),
    ("sigmoid", T.sigmoid, lambda x: 1 / (1 + np.exp(-x)), "any"),
    ("softplus", T.softplus, lambda x: np.logaddexp(0, x), "any"), ("sqrt", T.sqrt, np.sqrt, "pos"),
    ("abs", T.abs_, np.abs, "any"), ("neg", T.neg, np.negative, "any"), ("sqr", T.sqr, np.square, "any"),
    ("log1p", T.log1p, np.log1p, "pos"), ("expm1", T.expm1, np.expm1, "any"), ("sin", T.sin, np.sin, "any"),
    ("cos", T.cos, np.cos, "any"), ("relu", T.relu, lambda x: np.maximum(x, 0), "any"),
    ("floor", T.floor, np.floor, "any"), ("sgn", T.sgn, np.sign, "any"), ("round", T.round, np.round, "any"),
]


@pytest.mark.parametrize("name,fn,np_fn,domain", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_unary_values(backend_device: str, name: str, fn: Any, np_fn: Any, domain: str, dtype: str) -> None:
    x = _rng().uniform(-3, 3, size=(4, 5)).astype(dtype)
    if domain == "pos":
        x = np.abs(x) + np.asarray(0.1, dtype=dtype)
    _check(fn, np_fn, x)


BINARY = [
    ("add", lambda a, b: a + b, np.add), ("sub", lambda a, b: a - b, np.subtract),
    ("mul", lambda a, b: a * b, np.multiply), ("true_div", lambda a, b: a / b, np.true_divide),
    ("maximum", T.maximum, np.maximum), ("minimum", T.minimum, np.minimum),
    ("lt", T.lt, np.less), ("ge", T.ge, np.greater_equal), ("eq", T.eq, np.equal),
    ("pow", lambda a, b: abs(a) ** b, lambda a, b: np.abs(a) ** b),
]


@pytest.mark.parametrize("name,fn,np_fn", BINARY, ids=[b[0] for b in BINARY])
def test_binary_values_broadcasting(backend_device: str, name: str, fn: Any, np_fn: Any) -> None:
    r = _rng()
    a = r.uniform(-2, 2, size=(3, 4))
    b = r.uniform(0.5, 2, size=(4,))
    _check(fn, np_fn, a, b)
    _check(fn, np_fn, a.astype("float32"), b.astype("float32"))


def test_integer_division_and_remainder_follow_numpy(backend_device: str) -> None:
    a = np.array([[-7, -3, 0, 3, 7], [5, -5, 9, -9, 1]], dtype="int64")
    b = np.array([2, -3, 4, 3, -2], dtype="int64")
    _check(lambda x, y: x // y, np.floor_divide, a, b)
    _check(lambda x, y: x % y, np.remainder, a, b)
    fa, fb = a.astype("float64") + 0.5, b.astype("float64")
    _check(lambda x, y: x // y, np.floor_divide, fa, fb)
    _check(lambda x, y: x % y, np.remainder, fa, fb)


def test_dtype_promotion_matches_numpy(backend_device: str) -> None:
    x = _rng().uniform(size=(3, 2)).astype("float32")
    n = np.array(3, dtype="int64")
    i = np.array([1, 2], dtype="int32")
    _check(lambda a, s: a * s, lambda a, s: a * s, x, n)  # float32 array * int64 scalar -> float64
    _check(lambda a, s: a + s, lambda a, s: a + s, x, np.array(2.0, dtype="float64"))
    _check(lambda a: a * 2.5, lambda a: a * 2.5, x)  # weak Python scalar keeps float32
    _check(lambda a, b: a + b, lambda a, b: a + b, i, np.array(1, dtype="int8"))
    _check(lambda a: T.cast(a, "int32") + 1, lambda a: a.astype("int32") + 1, x * 10)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_switch_clip_and_comparisons(backend_device: str) -> None:
    x = _rng().uniform(-2, 2, size=(5, 3))
    _check(lambda a: T.switch(a > 0, a, -2 * a), lambda a: np.where(a > 0, a, -2 * a), x)
    _check(lambda a: T.clip(a, -0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7), x)
    _check(lambda a: T.isnan(T.log(a)), lambda a: np.isnan(np.log(a)), x)


def test_fused_chains_equal_unfused(backend_device: str) -> None:
    """FAST_RUN (fused element-wise kernels) and FAST_COMPILE give the same numbers."""
    r = _rng()
    x = r.uniform(-3, 3, size=(40, 30)).astype("float32")
    y = r.uniform(0.1, 2, size=(30,)).astype("float32")
    a, b = T.fmatrix("a"), T.fvector("b")
    expr = T.tanh(a * b + 1) * T.sigmoid(-a) - T.log(b) / 3 + T.sqr(a - b) * T.exp(-abs(a))
    fast = function([a, b], expr, mode="FAST_RUN")(x, y)
    slow = function([a, b], expr, mode="FAST_COMPILE")(x, y)
    assert fast.dtype == slow.dtype == np.float32
    np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-5)
    c = T.dmatrix("c")
    two = function([c], [T.exp(c) + 1, T.exp(c) * 2])(x.astype("float64"))
    np.testing.assert_allclose(two[0], np.exp(x.astype("float64")) + 1, rtol=1e-12)
    np.testing.assert_allclose(two[1], np.exp(x.astype("float64")) * 2, rtol=1e-12)


# --- reductions, products, shapes, indexing, nnet ---------------------------------------

def test_reductions(backend_device: str) -> None:
    x = _rng().uniform(-1, 1, size=(3, 4, 5))
    for axis in (None, 0, 1, (0, 2), -1):
        _check(lambda a: T.sum(a, axis=axis), lambda a: np.sum(a, axis=axis), x)
        _check(lambda a: T.mean(a, axis=axis), lambda a: np.mean(a, axis=axis), x)
        _check(lambda a: T.max(a, axis=axis), lambda a: np.max(a, axis=axis), x)
    _check(lambda a: T.prod(a, axis=1), lambda a: np.prod(a, axis=1), x)
    _check(lambda a: T.argmax(a, axis=2), lambda a: np.argmax(a, axis=2), x)
    _check(lambda a: T.var(a, axis=0), lambda a: np.var(a, axis=0), x)
    _check(lambda a: T.std(a), lambda a: np.std(a), x)


def test_products(backend_device: str) -> None:
    r = _rng()
    m, n, v = r.uniform(size=(4, 5)), r.uniform(size=(5, 3)), r.uniform(size=(5,))
    _check(T.dot, np.dot, m, n)
    _check(T.dot, np.dot, m, v)
    _check(T.dot, np.dot, v, v)
    _check(T.dot, np.dot, m.astype("float32"), n.astype("float32"))
    t3 = r.uniform(size=(2, 4, 5))
    _check(lambda a, b: T.tensordot(a, b, [[2], [0]]), lambda a, b: np.tensordot(a, b, [[2], [0]]), t3, n)
    b1, b2 = r.uniform(size=(6, 3, 4)), r.uniform(size=(6, 4, 2))
    _check(T.batched_dot, lambda a, b: np.einsum("bij,bjk->bik", a, b), b1, b2)
    _check(lambda a, b, c: T.einsum("ij,jk,k->i", a, b, c), lambda a, b, c: np.einsum("ij,jk,k->i", a, b, c),
           m, n, r.uniform(size=(3,)))
    _check(T.outer, np.outer, v, r.uniform(size=(3,)))


def test_shape_ops_with_symbolic_shapes(backend_device: str) -> None:
    x = _rng().uniform(size=(4, 6))
    _check(lambda a: T.reshape(a, (a.shape[0] * 2, a.shape[1] // 2)), lambda a: a.reshape(8, 3), x)
    _check(lambda a: T.flatten(a), lambda a: a.reshape(-1), x)
    _check(lambda a: a.dimshuffle(1, "x", 0), lambda a: a.T[:, None, :], x)
    _check(lambda a: T.concatenate([a, 2 * a], axis=1), lambda a: np.concatenate([a, 2 * a], axis=1), x)
    _check(lambda a: T.stack([a, a + 1]), lambda a: np.stack([a, a + 1]), x)
    _check(lambda a: T.zeros((a.shape[1], 2)) + T.sum(a), lambda a: np.zeros((6, 2)) + a.sum(), x)
    _check(lambda a: T.alloc(T.cast(a.shape[0], "float64"), a.shape[1], 3), lambda a: np.full((6, 3), 4.0), x)
    _check(lambda a: T.cast(T.arange(a.shape[0] * a.shape[1]), "float64") * 0.5,
           lambda a: np.arange(24, dtype="int64").astype("float64") * 0.5, x)
    _check(lambda a: T.cast(a.shape, "float64") + T.cast(T.shape(a)[::-1], "float64"),
           lambda a: np.array([10.0, 10.0]), x)


def test_indexing(backend_device: str) -> None:
    x = _rng().uniform(size=(5, 4))
    i = T.lscalar("i")
    xs = _sym(x, "x")
    f = function([xs, i], [xs[1:, i], xs[i], xs[i:i + 2, ::2], xs[:, -1]])
    got = f(x, 2)
    for g, w in zip(got, [x[1:, 2], x[2], x[2:4, ::2], x[:, -1]]):
        np.testing.assert_allclose(g, w)
    idx = np.array([0, 3, 3, 1], dtype="int64")
    _check(lambda a, k: a[k], lambda a, k: a[k], x, idx)
    _check(lambda a, k: T.set_subtensor(a[k], 0.0), lambda a, k: _np_set(a, k, 0.0), x, idx)
    _check(lambda a, k: T.inc_subtensor(a[k], 1.0), lambda a, k: _np_add_at(a, k, 1.0), x, idx)
    _check(lambda a, k: T.inc_subtensor(a[k, 1], a[k, 0]), lambda a, k: _np_add_at2(a, k), x, idx)
    _check(lambda a: T.inc_subtensor(a[1:3], 2.0), lambda a: a + _region(a), x)


def test_search_unique_and_index_conversion(backend_device: str) -> None:
    xs, vs = np.array([1.0, 2.0, 2.0, 5.0]), _rng().uniform(0.0, 6.0, size=(3, 2))
    _check(lambda a, v: T.searchsorted(a, v, side="right"),
           lambda a, v: np.searchsorted(a, v, side="right").astype("int64"), xs, vs)
    m = np.array([[3.0, 1.0, 3.0], [2.0, 1.0, 7.0]])
    _check(lambda a: T.unique(a, return_inverse=True, return_counts=True),
           lambda a: tuple(np.asarray(o).reshape(-1) if k else o for k, o in enumerate(
               np.unique(a.reshape(-1), return_inverse=True, return_counts=True))), m)
    flat = np.array([0, 7, 11], dtype="int64")
    _check(lambda i: list(T.unravel_index(i, (3, 4))), lambda i: np.unravel_index(i, (3, 4)), flat)
    rows, cols = np.array([0, 2, 2], dtype="int64"), np.array([1, 0, 3], dtype="int64")
    _check(lambda r, c: T.ravel_multi_index((r, c), (3, 4)),
           lambda r, c: np.ravel_multi_index((r, c), (3, 4)).astype("int64"), rows, cols)


def _np_set(a: np.ndarray, k: np.ndarray, v: float) -> np.ndarray:
    out = a.copy()
    out[k] = v
    return out


def _np_add_at(a: np.ndarray, k: np.ndarray, v: float) -> np.ndarray:
    out = a.copy()
    np.add.at(out, k, v)
    return out


def _np_add_at2(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    out = a.copy()
    np.add.at(out, (k, 1), a[k, 0])
    return out


def _region(a: np.ndarray) -> np.ndarray:
    out = np.zeros_like(a)
    out[1:3] = 2.0
    return out


def test_nnet_ops(backend_device: str) -> None:
    r = _rng()
    x = r.uniform(-3, 3, size=(6, 5))
    y = np.array([0, 4, 2, 2, 1, 3], dtype="int64")

    def np_softmax(a: np.ndarray) -> np.ndarray:
        e = np.exp(a - a.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    _check(T.nnet.softmax, np_softmax, x)
    _check(T.nnet.log_softmax, lambda a: np.log(np_softmax(a)), x)
    _check(lambda a, t: T.nnet.categorical_crossentropy(T.nnet.softmax(a), t),
           lambda a, t: -np.log(np_softmax(a)[np.arange(6), t]), x, y)
    _check(lambda a, t: -T.mean(T.log(T.nnet.softmax(a))[T.arange(t.shape[0]), t]),
           lambda a, t: -np.mean(np.log(np_softmax(a))[np.arange(6), t]), x, y)


# --- gradients ---------------------------------------------------------------------------

GRADS = [
    ("elemwise", lambda a, b: T.tanh(a * b) + T.sigmoid(a) * T.exp(-b), [(3, 4), (4,)]),
    ("dot", lambda a, b: T.dot(a, b), [(3, 4), (4, 2)]),
    ("softmax", lambda a: T.nnet.softmax(a), [(3, 5)]),
    ("reductions", lambda a: T.sum(a, axis=0) * T.max(a, axis=0) + T.mean(a), [(4, 3)]),
    ("shapes", lambda a: T.reshape(a, (a.shape[1], a.shape[0])).dimshuffle(1, 0) * 2, [(2, 3)]),
    ("indexing", lambda a: T.inc_subtensor(a[[0, 2, 2]], a[1])[1:], [(3, 4)]),
    ("einsum", lambda a, b: T.einsum("ij,jk->ki", a, b), [(2, 3), (3, 4)]),
    ("log_softmax", lambda a: T.nnet.log_softmax(a), [(2, 4)]),
]


@pytest.mark.parametrize("name,fn,shapes", GRADS, ids=[g[0] for g in GRADS])
def test_gradients_match_finite_differences(backend_device: str, name: str, fn: Any, shapes: Any) -> None:
    from framework.gradient import verify_grad

    r = _rng()
    verify_grad(fn, [r.uniform(-1, 1, size=s) for s in shapes], rng=np.random.RandomState(3))


# --- compiled-function semantics --------------------------------------------------------

def test_updates_use_old_values_and_outputs_come_first(backend_device: str) -> None:
    a = shared(np.array([1.0, 2.0]), name="a")
    b = shared(np.array([10.0, 20.0]), name="b")
    f = function([], a + b, updates=[(a, b), (b, a * 2)])
    out = f()
    np.testing.assert_allclose(out, [11.0, 22.0])
    np.testing.assert_allclose(a.get_value(), [10.0, 20.0])
    np.testing.assert_allclose(b.get_value(), [2.0, 4.0])
    assert isinstance(a.get_value(), np.ndarray)


def test_shared_values_live_on_the_device(backend_device: str) -> None:
    from framework.core.backend import get_backend

    be = get_backend(backend_device)
    w = shared(np.arange(6.0).reshape(2, 3), name="w")
    assert be.is_array(w.get_value(borrow=True))
    host = w.get_value()
    assert isinstance(host, np.ndarray) and not be.is_array(host) or be.host_is_device
    host[0, 0] = 99.0  # a copy: the shared value is unchanged
    np.testing.assert_allclose(w.get_value()[0, 0], 0.0)
    w.set_value(np.ones((4, 4)))
    np.testing.assert_allclose(function([], T.sum(w))(), 16.0)
    x = T.dvector("x")
    f = function([x], x * 2, outputs_on_device=True)
    assert be.is_array(f(np.ones(3)))


def test_givens_minibatch_slice(backend_device: str) -> None:
    data = shared(np.arange(20.0).reshape(10, 2), name="data")
    index = T.lscalar("index")
    xb = T.dmatrix("xb")
    size = 3
    f = function([index], T.sum(xb, axis=0), givens={xb: data[index * size:(index + 1) * size]})
    np.testing.assert_allclose(f(1), np.arange(20.0).reshape(10, 2)[3:6].sum(axis=0))
    np.testing.assert_allclose(f(2), np.arange(20.0).reshape(10, 2)[6:9].sum(axis=0))


def test_counter_update_and_named_inputs(backend_device: str) -> None:
    count = shared(np.int64(0), name="count")
    x = T.dscalar("x")
    y = T.dscalar("y")
    f = function([x, In(y, value=2.0)], x * y, updates=[(count, count + 1)])
    assert float(f(3.0)) == 6.0
    assert float(f(x=1.0, y=5.0)) == 5.0
    assert int(count.get_value()) == 2


def test_copy_with_swap_and_delete_updates(backend_device: str) -> None:
    acc = shared(np.array(0.0), name="acc")
    other = shared(np.array(100.0), name="other")
    x = T.dscalar("x")
    f = function([x], acc, updates=[(acc, acc + x)])
    g = f.copy(swap={acc: other})
    h = f.copy(delete_updates=True)
    f(1.0)
    g(5.0)
    h(7.0)
    assert float(acc.get_value()) == 1.0
    assert float(other.get_value()) == 105.0


# --- random streams ----------------------------------------------------------------------

def _streams(seed: int) -> Any:
    from framework.tensor.shared_randomstreams import RandomStreams

    return RandomStreams(seed=seed)


def test_random_shapes_dtypes_and_statistics(backend_device: str) -> None:
    srng = _streams(42)
    u = srng.uniform(size=(2000,), low=-1.0, high=3.0)
    nrm = srng.normal(size=(2000,), avg=1.0, std=2.0)
    p = T.dvector("p")
    b = srng.binomial(size=(2000,), n=1, p=0.25)
    b5 = srng.binomial(size=(4, 500), n=5, p=p)
    ri = srng.random_integers(size=(2000,), low=-2, high=4)
    f = function([p], [u, nrm, b, b5, ri])
    uu, nn, bb, b5v, rr = f(np.full(500, 0.6))
    assert uu.shape == (2000,) and uu.min() >= -1.0 and uu.max() < 3.0 and abs(uu.mean() - 1.0) < 0.1
    assert abs(nn.mean() - 1.0) < 0.2 and abs(nn.std() - 2.0) < 0.2
    assert set(np.unique(bb)) <= {0, 1} and abs(bb.mean() - 0.25) < 0.05
    assert b5v.shape == (4, 500) and b5v.min() >= 0 and b5v.max() <= 5 and abs(b5v.mean() - 3.0) < 0.15
    assert rr.min() == -2 and rr.max() == 4
    perm = function([], srng.permutation(n=10))()
    assert sorted(perm.tolist()) == list(range(10))
    counts = function([], srng.multinomial(n=50, pvals=np.array([[0.2, 0.3, 0.5]] * 4)))()
    assert counts.shape == (4, 3) and (counts.sum(axis=1) == 50).all()


def test_random_poisson_and_choice(backend_device: str) -> None:
    srng = _streams(43)
    po, ch, chp = function([], [srng.poisson(size=(2000,), lam=4.0), srng.choice(size=(5,), a=8, replace=False),
                                srng.choice(size=(2000,), a=3, p=[0.2, 0.0, 0.8])])()
    assert po.shape == (2000,) and po.dtype == np.int64 and po.min() >= 0 and abs(po.mean() - 4.0) < 0.3
    assert ch.shape == (5,) and len(set(ch.tolist())) == 5 and set(ch.tolist()) <= set(range(8))
    assert set(np.unique(chp)) <= {0, 2} and abs((chp == 2).mean() - 0.8) < 0.05


def test_random_replay_with_get_state_set_state(backend_device: str) -> None:
    srng = _streams(234)
    rv_u = srng.uniform((3, 2))
    f = function([], rv_u)
    state = rv_u.rng.get_value().get_state()
    v1 = f()
    v2 = f()
    assert not np.allclose(v1, v2)  # each call draws new numbers
    rng = rv_u.rng.get_value(borrow=True)
    rng.set_state(state)
    rv_u.rng.set_value(rng, borrow=True)
    np.testing.assert_array_equal(f(), v1)
    np.testing.assert_array_equal(f(), v2)


def test_random_seed_and_no_default_updates(backend_device: str) -> None:
    srng = _streams(7)
    rv = srng.normal((4,))
    f = function([], rv)
    frozen = function([], rv, no_default_updates=True)
    a = frozen()
    np.testing.assert_array_equal(frozen(), a)  # the state does not advance
    srng.seed(99)
    first = f()
    srng.seed(99)
    np.testing.assert_array_equal(f(), first)
    u = srng.uniform((5,))
    g = function([], u + u - 2 * u)  # one draw per call, however often it is used
    np.testing.assert_allclose(g(), np.zeros(5), atol=1e-12)


# --- scan --------------------------------------------------------------------------------

def test_scan_loops(backend_device: str) -> None:
    from framework import scan

    k = T.lscalar("k")
    A = T.dvector("A")
    result, updates = scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    power = function([A, k], result[-1], updates=updates)
    np.testing.assert_allclose(power(np.arange(5.0), 3), np.arange(5.0) ** 3)

    coef = T.dvector("coef")
    x = T.dscalar("x")
    comps, _ = scan(lambda c, p, x: c * x ** p, sequences=[coef, T.arange(1000)], non_sequences=x)
    poly = function([coef, x], comps.sum())
    assert float(poly(np.array([1.0, 0.0, 2.0]), 3.0)) == 19.0

    init = T.dvector("init")
    fib, _ = scan(lambda a, b: a + b, outputs_info=[dict(initial=init, taps=[-2, -1])], n_steps=8)
    np.testing.assert_allclose(function([init], fib)(np.array([1.0, 1.0])), [2, 3, 5, 8, 13, 21, 34, 55])


def test_scan_gradient(backend_device: str) -> None:
    from framework import scan

    def net(w: Any, x0: Any) -> Any:
        hs, _ = scan(lambda h, w: T.tanh(T.dot(w, h)), outputs_info=x0, non_sequences=w, n_steps=4)
        return hs[-1]

    r = _rng()
    from framework.gradient import verify_grad

    verify_grad(net, [r.uniform(-0.5, 0.5, size=(3, 3)), r.uniform(-1, 1, size=(3,))],
                rng=np.random.RandomState(5))


def test_scan_with_random_draws_returns_updates(backend_device: str) -> None:
    from framework import scan

    srng = _streams(11)
    x0 = T.dvector("x0")
    steps, updates = scan(lambda x: x + srng.uniform(size=(3,)), outputs_info=x0, n_steps=5)
    f = function([x0], steps[-1], updates=updates)
    a, b = f(np.zeros(3)), f(np.zeros(3))
    assert a.shape == (3,) and not np.allclose(a, b)
    assert (a > 0).all() and (a < 5).all()


__all__ = ["backend_device", "pytest_generate_tests", "device_params", "conformance_devices"] + sorted(
    name for name in list(globals()) if name.startswith("test_"))

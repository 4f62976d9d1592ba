"""Checks of the CuPy backend's Python code on the CPU stand-in for CuPy.

Run by tests/backend_cupy/test_fake_device.py in a subprocess whose
``sys.path`` starts with this folder, so ``import cupy`` is the stand-in.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import cupy
import framework.tensor as T
from framework import config, function, scan, shared
from framework.core.backend import BackendError, clear_backends, get_backend
from framework.tensor.shared_randomstreams import RandomStreams

assert getattr(cupy, "_FAKE", False), "these checks must run on the CPU stand-in for CuPy"


@pytest.fixture(autouse=True)
def on_cuda():
    clear_backends()
    with config.change_flags(device="cuda", floatX="float32"):
        yield
    clear_backends()


def _syncs(fn, *args):
    cupy.SYNCS[0] = 0
    out = fn(*args)
    return out, cupy.SYNCS[0]


def test_values_live_on_the_device_and_integer_scalars_on_the_host() -> None:
    be = get_backend("cuda")
    w = shared(np.ones((3, 2), dtype="float32"), name="w")
    assert isinstance(w.get_value(borrow=True), cupy.ndarray)
    assert type(w.get_value()) is np.ndarray
    count = shared(np.int64(0), name="count")
    assert isinstance(count.get_value(borrow=True), np.integer)
    assert be.from_host(np.int32(3)).__class__ is np.int32
    assert isinstance(be.from_host(np.float32(3.0)), cupy.ndarray)


def _rbm_step(batch: int = 20, n_vis: int = 12, n_hid: int = 7, k: int = 3):
    r = np.random.RandomState(0)
    W = shared(r.normal(0, 0.1, (n_vis, n_hid)).astype("float32"), name="W")
    hb = shared(np.zeros(n_hid, "float32"), name="hbias")
    vb = shared(np.zeros(n_vis, "float32"), name="vbias")
    data = shared((r.uniform(size=(10 * batch, n_vis)) > 0.5).astype("float32"), name="data")
    chain = shared(np.zeros((batch, n_hid), "float32"), name="chain")
    srng = RandomStreams(123)
    index = T.lscalar("index")
    x = data[index * batch:(index + 1) * batch]

    def gibbs_hvh(h):
        v_mean = T.sigmoid(T.dot(h, W.T) + vb)
        v = srng.binomial(size=v_mean.shape, n=1, p=v_mean, dtype="float32")
        h_mean = T.sigmoid(T.dot(v, W) + hb)
        h_new = srng.binomial(size=h_mean.shape, n=1, p=h_mean, dtype="float32")
        return v_mean, v, h_mean, h_new

    def free_energy(v):
        return -T.sum(T.dot(v, vb)) - T.sum(T.softplus(T.dot(v, W) + hb))

    (v_means, vs, h_means, hs), updates = scan(gibbs_hvh, outputs_info=[None, None, None, chain], n_steps=k)
    v_end = vs[-1]
    cost = T.mean(free_energy(x)) - T.mean(free_energy(v_end))
    params = [W, hb, vb]
    grads = T.grad(cost, params, consider_constant=[v_end])
    for p, g in zip(params, grads):
        updates[p] = p - 0.1 * T.cast(g, "float32")
    updates[chain] = hs[-1]
    f = function([index], cost, updates=updates, outputs_on_device=True)
    return f, W


def test_a_pcd_training_step_never_reads_the_device() -> None:
    f, W = _rbm_step()
    f(0)  # first call
    for i in range(1, 4):
        out, syncs = _syncs(f, i)
        assert syncs == 0, f"call {i} read the device {syncs} time(s)"
        assert isinstance(out, cupy.ndarray) and np.isfinite(out.get())
    assert np.isfinite(W.get_value()).all()


def test_cuda_graph_option_falls_back_when_capture_is_impossible() -> None:
    be = get_backend("cuda")
    be.cuda_graphs = True
    try:
        A = T.fvector("A")
        k = T.lscalar("k")
        res, upd = scan(lambda p, A: p * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
        f = function([A, k], res[-1], updates=upd)
        a = np.arange(4, dtype="float32")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = [f(a, 3) for _ in range(3)]
        for g in got:
            np.testing.assert_allclose(g, a ** 3)
        assert any("CUDA graph capture is not possible" in str(w.message) for w in caught)
    finally:
        be.cuda_graphs = False


def test_a_kernel_that_cannot_compile_falls_back_with_a_warning() -> None:
    x = T.tensor(dtype="float16", shape=(None,), name="x")
    f = function([x], T.exp(x) * 2 + 1)
    with pytest.warns(RuntimeWarning, match="could not compile the fused kernel"):
        got = f(np.array([0.0, 1.0], dtype="float16"))
    np.testing.assert_allclose(got, np.exp(np.array([0.0, 1.0])) * 2 + 1, rtol=1e-2)


def test_a_missing_device_number_is_a_clear_error() -> None:
    with pytest.raises(BackendError, match=r"device 'cuda:3' does not exist: this machine has 1 CUDA device"):
        get_backend("cuda:3")


def test_device_inputs_are_accepted_without_a_copy() -> None:
    x = T.fmatrix("x")
    f = function([x], x * 2, outputs_on_device=True)
    a = cupy.asarray(np.ones((2, 2), "float32"))
    out, syncs = _syncs(f, a)
    assert syncs == 0 and isinstance(out, cupy.ndarray)
    with pytest.raises(TypeError, match="float64"):
        f(cupy.asarray(np.ones((2, 2))))


def test_random_streams_replay_on_the_device() -> None:
    from framework_backend_cupy.random import PhiloxGenerator

    srng = RandomStreams(5)
    u = srng.uniform(size=(4,))
    f = function([], u)
    host = u.rng.get_value()
    assert isinstance(host, np.random.RandomState)  # the device stream, encoded
    state = host.get_state()
    a = f()
    b = f()
    g = u.rng.get_value(borrow=True)
    g.set_state(state)
    u.rng.set_value(g, borrow=True)
    np.testing.assert_array_equal(f(), a)
    np.testing.assert_array_equal(f(), b)
    u.rng.set_value(host)  # setting the saved RandomState back restores the stream too
    np.testing.assert_array_equal(f(), a)
    # the host generator of a state draws exactly the device's uniforms
    gen = PhiloxGenerator(seed=host)
    u.rng.set_value(host)
    np.testing.assert_array_equal(f(), gen.random(4, dtype="float32"))
    # a RandomState reseeded by the user gives a fresh, reproducible device stream
    fresh = np.random.RandomState(77)
    u.rng.set_value(fresh)
    c = f()
    u.rng.set_value(np.random.RandomState(77))
    np.testing.assert_array_equal(f(), c)
    assert not np.array_equal(c, a)


def test_native_pcg64_states_and_state_dicts_key_the_device_stream_reproducibly() -> None:
    """The native streams' states are PCG64 RandomStates: set on a device stream, one (or its
    get_state() dict, or an MT19937 tuple or dict) keys a fresh stream, the same every time."""
    from framework.random import RandomState

    srng = RandomStreams(5)
    u = srng.uniform(size=(4,))
    f = function([], u)
    firsts = []
    for make in (lambda: RandomState(77), lambda: RandomState(77).get_state(),
                 lambda: np.random.RandomState(77).get_state(),
                 lambda: np.random.RandomState(77).get_state(legacy=False)):
        u.rng.set_value(make())
        first = f()
        u.rng.set_value(make())
        np.testing.assert_array_equal(f(), first)
        firsts.append(first)
    np.testing.assert_array_equal(firsts[0], firsts[1])  # a state and its dict: the same stream
    np.testing.assert_array_equal(firsts[2], firsts[3])  # MT19937's tuple and dict too
    assert not np.array_equal(firsts[0], firsts[2])  # PCG64(77) is not MT19937(77)


def test_training_on_cuda_checkpoints_and_resumes(tmp_path) -> None:
    from framework.cli import main

    logdir = str(tmp_path / "run")
    args = ["train", "rbm", "--device", "cuda", "--hidden", "12", "--k", "2", "--logdir", logdir]
    assert main(args + ["--epochs", "1"]) == 0
    assert main(args + ["--epochs", "2", "--resume"]) == 0


def test_mrg_streams_draw_theanos_numbers_on_the_device_too() -> None:
    """MRG_RandomStreams has no device kernel: its draws run on the host (state and sample
    cross over), and give the numbers they give on the CPU, in and out of scan."""
    from framework.compat.theano.sandbox.rng_mrg import MRG_RandomStreams

    def draws(device):
        with config.change_flags(device=device):
            rng = MRG_RandomStreams(12345)
            u = rng.uniform((7,), nstreams=7)
            n = rng.normal((5,), truncate=True)
            m = rng.multinomial(pvals=np.full((3, 4), 0.25, dtype="float32"), n=2)
            walk, upd = scan(lambda: rng.binomial((2,), p=0.5, dtype="float32"), n_steps=3)
            f = function([], [u, n, m, walk], updates=upd)
            state = rng.state_updates[0][0].get_value(borrow=True)
            return [f() for _ in range(2)], state

    on_gpu, state = draws("cuda")
    assert isinstance(state, cupy.ndarray) and state.dtype == np.int32
    on_cpu, _ = draws("cpu")
    for a, b in zip(on_gpu, on_cpu):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)

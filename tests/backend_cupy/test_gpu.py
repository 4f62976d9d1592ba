"""The CuPy backend on a real GPU (marked ``gpu``; skipped, with the reason,
where CuPy or a GPU is missing). The conformance suite itself runs on ``cuda``
from tests/test_conformance.py; these check what only a GPU shows: the
generated kernels compile with NVRTC and give NumPy's numbers, device draws
equal the host reference of the same Philox stream, CUDA-graph scans."""
from __future__ import annotations

import numpy as np
import pytest

from framework_backend_cupy.availability import available

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not available(), reason=f"needs CuPy and a GPU: {available.reason()}")]


@pytest.fixture
def backend():
    from framework import config
    from framework.core.backend import clear_backends, get_backend

    clear_backends()
    with config.change_flags(device="cuda"):
        yield get_backend("cuda")
    clear_backends()


def test_every_row_compiles_and_matches_numpy_on_the_gpu(backend) -> None:
    import cupy

    from framework.core import elemwise as E
    from framework.core.fusion import ScalarProgram, Step

    from .test_codegen import _cases, _values

    for name, dtypes in _cases():
        row = E.SCALAR_OPS[name]
        if len(set(dtypes)) != 1:
            continue
        args = _values(dtypes[0], row.nin, name)
        with np.errstate(all="ignore"):
            want = np.asarray(row.impl(np, *args))
        prog = ScalarProgram(tuple(dtypes), (Step(name, tuple(("in", k) for k in range(row.nin)), want.dtype.name),),
                             (("step", 0),))
        kern = backend._program_kernel(prog, [want.dtype.name])
        got = kern(*[cupy.asarray(a) for a in args]).get()
        assert got.dtype == want.dtype, name
        if want.dtype.kind == "f":
            tol = 2e-6 if want.dtype == np.float32 else 1e-12
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True, err_msg=f"{name}{dtypes}")
        else:
            np.testing.assert_array_equal(got, want, err_msg=f"{name}{dtypes}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_device_uniforms_equal_the_host_reference(backend, dtype) -> None:
    from framework_backend_cupy.random import DeviceRNG, PhiloxGenerator

    host = PhiloxGenerator(seed=2024)
    rng = DeviceRNG.from_host(host, backend)
    new, sample = backend.draw(rng, "uniform", (1000,), (0.0, 1.0), dtype)
    np.testing.assert_array_equal(sample.get(), host.random(1000, dtype=dtype))
    assert new.generator().counter == 1000 and rng.generator().counter == 0  # the old state is untouched


def test_all_distributions_draw_on_the_device(backend) -> None:
    import cupy

    from framework_backend_cupy.random import DeviceRNG

    rng = DeviceRNG.from_seed(1, backend)
    p = cupy.asarray(np.linspace(0.1, 0.9, 1000))
    rng, b = backend.draw(rng, "binomial", None, (4, p), "int64")
    assert b.shape == (1000,) and int(b.min()) >= 0 and int(b.max()) <= 4
    rng, perm = backend.draw(rng, "permutation", (3,), (7,), "int64")
    assert sorted(perm.get()[1].tolist()) == list(range(7))
    rng, m = backend.draw(rng, "multinomial", None, (20, cupy.asarray([[0.2, 0.8], [0.5, 0.5]])), "int64")
    assert (m.get().sum(axis=1) == 20).all()
    rng, ri = backend.draw(rng, "random_integers", (500,), (-1, 1), "int64")
    assert set(np.unique(ri.get())) == {-1, 0, 1}
    rng, po = backend.draw(rng, "poisson", (2000,), (6.0,), "int64")
    assert int(po.min()) >= 0 and abs(float(po.mean()) - 6.0) < 0.5
    rng, ch = backend.draw(rng, "choice", (4, 5), (20, False, np.zeros(0)), "int64")
    assert ch.shape == (4, 5) and len(set(ch.get().ravel().tolist())) == 20


def test_device_poisson_and_choice_equal_the_host_reference(backend) -> None:
    """The device's lgamma/log/exp may round differently from the host's in a last bit, which
    could flip one PTRS acceptance in a very large sample: 2,000 draws are compared exactly."""
    from framework_backend_cupy import philox
    from framework_backend_cupy.random import DeviceRNG, PhiloxGenerator

    host = PhiloxGenerator(seed=77)
    rng = DeviceRNG.from_host(host, backend)
    lam = np.concatenate([np.linspace(0.0, 30.0, 1000), np.geomspace(10.0, 1e9, 1000)])
    _, counts = backend.draw(rng, "poisson", None, (backend.from_host(lam),), "int64")
    np.testing.assert_array_equal(counts.get(), philox.poisson_reference(host.key, host.counter, lam))
    p = np.array([0.1, 0.0, 0.6, 0.3])
    _, idx = backend.draw(rng, "choice", (2000,), (4, True, p), "int64")
    cdf = np.cumsum(p)
    cdf /= cdf[-1]  # as the backend scales them
    np.testing.assert_array_equal(idx.get(), philox.choice_cdf_reference(host.key, host.counter, 2000, cdf))


def test_cuda_graph_scans_equal_step_by_step_and_draw_fresh_numbers(backend) -> None:
    import framework.tensor as T
    from framework import function, scan
    from framework.tensor.shared_randomstreams import RandomStreams

    def build():
        srng = RandomStreams(3)
        x0 = T.fmatrix("x0")
        W = T.fmatrix("W")

        def step(x, W):
            h = T.sigmoid(T.dot(x, W))
            return T.cast(srng.uniform(size=h.shape, dtype="float32") < h, "float32")

        out, upd = scan(step, outputs_info=x0, non_sequences=W, n_steps=15)
        return function([x0, W], out[-1], updates=upd)

    r = np.random.RandomState(0)
    x0, W = r.uniform(size=(20, 30)).astype("float32"), r.normal(size=(30, 30)).astype("float32")
    backend.cuda_graphs = False
    plain = build()
    want = [plain(x0, W) for _ in range(4)]
    backend.cuda_graphs = True
    try:
        graphed = build()
        got = [graphed(x0, W) for _ in range(4)]
    finally:
        backend.cuda_graphs = False
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert not np.array_equal(got[2], got[3])  # replays advance the random streams

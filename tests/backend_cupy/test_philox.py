"""The device random-number source, checked without a GPU.

Philox4x32-10 against the published known-answer vectors; each draw kernel's
body compiled for the host and compared with the NumPy reference of the same
stream (so a GPU run can compare device draws with the host exactly); the
counter advance that makes states replayable; CUDA compile checks.
"""
from __future__ import annotations

import numpy as np
import pytest

from framework_backend_cupy import philox


@pytest.mark.parametrize("counter,key,expected", [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF, 0xFFFFFFFF), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
])
def test_philox_known_answers(counter, key, expected) -> None:
    got = philox.philox4x32(np.array([counter], dtype=np.uint64), key)[0]
    assert tuple(int(v) for v in got) == expected


def test_a_stream_state_round_trips_through_a_numpy_random_state() -> None:
    rs = philox.encode_state((0xDEADBEEF, 7), 2**40 + 5)
    assert isinstance(rs, np.random.RandomState)
    assert philox.decode_state(rs) == ((0xDEADBEEF, 7), 2**40 + 5)
    assert philox.decode_state(rs.get_state()) == ((0xDEADBEEF, 7), 2**40 + 5)
    copy = np.random.RandomState()
    copy.set_state(rs.get_state())  # what a checkpoint does
    assert philox.decode_state(copy) == ((0xDEADBEEF, 7), 2**40 + 5)
    assert philox.decode_state(np.random.RandomState(0)) is None
    rs.seed(3)  # reseeded by the user: no longer a device stream
    assert philox.decode_state(rs) is None


def test_keys_from_nearby_seeds_are_unrelated() -> None:
    keys = {philox.key_from_seed(s) for s in range(100)}
    assert len(keys) == 100
    assert philox.key_from_seed(5) == philox.key_from_seed(5)


def _run_draw(host_kernel, dist, param_dtypes, out_dtype, params, n, key=(0x1234, 0x5678), base=77):
    in_params, out_params, operation, name = philox.draw_source(dist, param_dtypes, out_dtype)
    k = host_kernel(in_params, out_params, operation, philox.PHILOX_PREAMBLE, name)
    ctr = np.array([base], dtype=np.uint64)
    nctr = np.zeros(1, dtype=np.uint64)
    (out,) = k(ctr, np.uint32(key[0]), np.uint32(key[1]), np.uint64(n), *params,
               out_dtypes=[out_dtype], raw_outs=[nctr], shape=(n,))
    assert int(nctr[0]) == base + n  # the new state: counter advanced by the sample's size
    return out, key, base


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_kernel_equals_the_host_reference(host_kernel, dtype) -> None:
    out, key, base = _run_draw(host_kernel, "uniform", (dtype, dtype), dtype, (np.asarray(-1.0), np.asarray(3.0)), 1000)
    u = philox.uniform_reference(key, base, 1000, dtype)
    np.testing.assert_allclose(out, -1.0 + 4.0 * u.astype("float64"), rtol=1e-6 if dtype == "float32" else 1e-15)
    assert out.dtype == dtype and out.min() >= -1.0 and out.max() < 3.0


def test_normal_kernel_follows_box_muller(host_kernel) -> None:
    out, key, base = _run_draw(host_kernel, "normal", ("float64", "float64"), "float64",
                               (np.asarray(1.0), np.asarray(2.0)), 4000)
    w = philox.blocks(key, base, 4000).astype(np.uint64)
    u1 = 1.0 - ((w[:, 0] >> np.uint64(5)).astype(float) * 67108864.0 + (w[:, 1] >> np.uint64(6))) / 2.0**53
    u2 = ((w[:, 2] >> np.uint64(5)).astype(float) * 67108864.0 + (w[:, 3] >> np.uint64(6))) / 2.0**53
    np.testing.assert_allclose(out, 1.0 + 2.0 * np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2), rtol=1e-12)
    assert abs(out.mean() - 1.0) < 0.1 and abs(out.std() - 2.0) < 0.1


def test_binomial_kernel_counts_trials_on_sub_counters(host_kernel) -> None:
    p = np.linspace(0.05, 0.95, 500)
    out, key, base = _run_draw(host_kernel, "binomial", ("int64", "float64"), "int64", (np.asarray(3), p), 500)
    expect = np.zeros(500, dtype=np.int64)
    for j in range(3):
        w = philox.blocks(key, base, 500, sub=j).astype(np.uint64)
        u = ((w[:, 0] >> np.uint64(5)).astype(float) * 67108864.0 + (w[:, 1] >> np.uint64(6))) / 2.0**53
        expect += u < p
    np.testing.assert_array_equal(out, expect)


def test_random_integers_kernel_is_inclusive(host_kernel) -> None:
    out, _, _ = _run_draw(host_kernel, "random_integers", ("int64", "int64"), "int64",
                          (np.asarray(-2), np.asarray(4)), 3000)
    assert out.min() == -2 and out.max() == 4 and set(np.unique(out)) == set(range(-2, 5))


def test_float32_samples_of_binomial(host_kernel) -> None:
    out, _, _ = _run_draw(host_kernel, "binomial", ("int64", "float32"), "float32",
                          (np.asarray(1), np.asarray(0.3, dtype=np.float32)), 5000)
    assert out.dtype == np.float32 and set(np.unique(out)) <= {0.0, 1.0} and abs(out.mean() - 0.3) < 0.03


@pytest.mark.parametrize("dist,pdt,odt", [
    ("uniform", ("float32", "float32"), "float32"), ("normal", ("float64",) * 2, "float64"),
    ("binomial", ("int64", "float32"), "float32"), ("random_integers", ("int64",) * 2, "int64"),
    ("bits64", (), "uint64"), ("uniform", ("float32", "float32"), "float16")])
def test_draw_kernels_compile_as_cuda(nvcc_compile, dist, pdt, odt) -> None:
    from framework_backend_cupy.codegen import standalone_source

    ins, outs, op, name = philox.draw_source(dist, pdt, odt)
    nvcc_compile(standalone_source(ins, outs, op, philox.PHILOX_PREAMBLE, name, device=True))


def test_multinomial_kernel_compiles_as_cuda(nvcc_compile) -> None:
    nvcc_compile(philox.multinomial_source("float32", "int64") + "\n")


def test_poisson_kernel_equals_the_host_reference(host_kernel) -> None:
    # both methods (the product of uniforms below a mean of 10, PTRS from 10), zero, and a mean
    # just below and at the switch
    lam = np.concatenate([np.array([0.0, 1e-300, 9.999999, 10.0, 1e6, 3e9]), np.linspace(0.01, 60.0, 400)])
    out, key, base = _run_draw(host_kernel, "poisson", ("float64",), "int64", (lam,), lam.size)
    np.testing.assert_array_equal(out, philox.poisson_reference(key, base, lam))
    assert out[0] == 0 and out[1] == 0


@pytest.mark.parametrize("lam", [0.3, 4.0, 10.0, 37.5, 1e4])
def test_poisson_kernel_has_the_mean_and_variance(host_kernel, lam) -> None:
    n = 20000
    out, _, _ = _run_draw(host_kernel, "poisson", ("float64",), "int64", (np.full(n, lam),), n)
    # mean and variance are lam: 5 standard errors (the variance's error is sqrt((2 lam^2 + lam) / n))
    assert abs(out.mean() - lam) < 5 * np.sqrt(lam / n)
    assert abs(out.var() - lam) < 5 * np.sqrt((2 * lam ** 2 + lam) / n)
    assert out.min() >= 0


def test_poisson_kernel_matches_the_distribution(host_kernel) -> None:
    from math import lgamma, log

    for lam in (2.5, 14.0):
        n = 40000
        out, _, _ = _run_draw(host_kernel, "poisson", ("float64",), "int64", (np.full(n, lam),), n)
        ks = np.arange(int(lam + 6 * np.sqrt(lam)) + 1)
        expected = n * np.exp(-lam + ks * log(lam) - np.array([lgamma(k + 1.0) for k in ks]))
        counts = np.bincount(out, minlength=ks.size)[:ks.size]
        keep = expected > 20
        chi2 = float((((counts - expected) ** 2) / expected)[keep].sum())
        assert chi2 < keep.sum() + 6 * np.sqrt(2 * keep.sum()), (lam, chi2)  # far in the tail of chi^2(df)


def test_choice_kernel_equals_the_host_reference(host_kernel) -> None:
    p = np.array([0.1, 0.0, 0.25, 0.4, 0.0, 0.25])
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    n = 5000
    out, key, base = _run_draw(host_kernel, "choice_cdf", ("float64", "int64"), "int64", (cdf, np.int64(p.size)), n)
    np.testing.assert_array_equal(out, philox.choice_cdf_reference(key, base, n, cdf))
    assert set(np.unique(out)) == {0, 2, 3, 5}  # never a category of probability 0
    np.testing.assert_allclose(np.bincount(out, minlength=6) / n, p, atol=0.03)


@pytest.mark.parametrize("dist,pdt,odt", [("poisson", ("float64",), "int64"), ("poisson", ("float64",), "float32"),
                                          ("choice_cdf", ("float64", "int64"), "int64")])
def test_poisson_and_choice_kernels_compile_as_cuda(nvcc_compile, dist, pdt, odt) -> None:
    from framework_backend_cupy.codegen import standalone_source

    ins, outs, op, name = philox.draw_source(dist, pdt, odt)
    nvcc_compile(standalone_source(ins, outs, op, philox.PHILOX_PREAMBLE, name, device=True))

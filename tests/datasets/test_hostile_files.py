"""Data files cannot exhaust the machine or train on garbage: arrays come only from
the file's own bytes, decompression is capped while streaming, IDX headers cannot
overflow the size check, and empty or complex data is refused saying what is wrong."""
from __future__ import annotations

import gzip
import pickle
import struct
import tracemalloc

import numpy as np
import pytest

from framework_rbm import datasets as ds


class _Call:
    """Pickles as ``func(*args)``: how a hostile file asks the unpickler to call something."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _reconstruct():
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # NumPy 1
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


def _mnist_like(train_x, y=None):
    y = np.zeros(len(train_x), np.int64) if y is None else y
    return ((train_x, y), (train_x[:0], y[:0]), (train_x[:0], y[:0]))


@pytest.mark.parametrize("protocol", [2, 4])
@pytest.mark.parametrize("call", [
    lambda: _Call(np.ndarray, (196608, 255), "f8"),  # 400 MB of uninitialised memory
    lambda: _Call(_reconstruct(), np.ndarray, (50_000_000,), b"b"),
])
def test_arrays_without_data_from_the_file_are_refused(tmp_path, call, protocol):
    path = tmp_path / "mnist.pkl"
    y = np.zeros(3, np.int64)
    path.write_bytes(pickle.dumps(((call(), y), (call(), y), (call(), y)), protocol=protocol))
    assert path.stat().st_size < 1000
    tracemalloc.start()
    try:
        with pytest.raises(ds.DatasetError, match="mnist.pkl"):
            ds.load_mnist(path)
        assert tracemalloc.get_traced_memory()[1] < 50 * 2 ** 20
    finally:
        tracemalloc.stop()


def test_array_data_shorter_than_its_shape_is_refused(tmp_path):
    good = pickle.dumps(_mnist_like(np.ones((3, 4), np.float32)), protocol=5)
    bad = good.replace(struct.pack("<Q", 48), struct.pack("<Q", 47), 1)  # not a valid pickle any more
    path = tmp_path / "mnist.pkl"
    path.write_bytes(bad)
    with pytest.raises(ds.DatasetError, match="mnist.pkl"):
        ds.load_mnist(path)


def test_gzip_bomb_is_refused_while_streaming(tmp_path, monkeypatch):
    big = np.zeros((4000, 784), np.float32)  # 12.5 MB inflated, a few KB compressed
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(pickle.dumps(_mnist_like(big), protocol=4)))
    tracemalloc.start()
    try:
        with pytest.raises(ds.DatasetError, match=r"inflates to more than 1000000 bytes.*max_bytes"):
            ds.load_mnist(path, max_bytes=1_000_000)
        assert tracemalloc.get_traced_memory()[1] < 5_000_000  # stopped before it was all in memory
    finally:
        tracemalloc.stop()
    monkeypatch.setenv(ds.MAX_BYTES_ENV, "2000000")
    with pytest.raises(ds.DatasetError, match="more than 2000000 bytes"):
        ds.load_mnist(path)
    monkeypatch.setenv(ds.MAX_BYTES_ENV, "20000000")
    assert ds.load_mnist(path).train[0].shape == (4000, 784)  # raising the cap lets it in
    monkeypatch.setenv(ds.MAX_BYTES_ENV, "lots")
    with pytest.raises(ds.DatasetError, match="FRAMEWORK_MAX_DATASET_BYTES='lots'"):
        ds.load_mnist(path)
    assert ds.MAX_DECOMPRESSED_BYTES >= 230_000_000  # a real float32 MNIST pickle fits by default


def test_gzipped_idx_files_are_capped_too(tmp_path):
    data = struct.pack(">IIII", 2051, 2000, 28, 28) + bytes(2000 * 28 * 28)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(data))
    with pytest.raises(ds.DatasetError, match="train-images-idx3-ubyte.gz inflates to more than"):
        ds._read_idx(str(path), 3, max_bytes=100_000)


def test_idx_header_whose_sizes_overflow_names_the_file(tmp_path):
    # 2**31 * 2**31 * 4 wraps to 0 in int64: the old check then passed and reshape failed bare
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(struct.pack(">IIII", 2051, 2 ** 31, 2 ** 31, 4))
    with pytest.raises(ds.DatasetError, match=r"train-images-idx3-ubyte is truncated.*2147483648x"):
        ds._read_idx(str(path), 3)


def test_empty_train_split_says_what_is_wrong(tmp_path):
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(pickle.dumps(_mnist_like(np.zeros((0, 16), np.float32)), protocol=2)))
    with pytest.raises(ds.DatasetError) as err:
        ds.load_mnist(path)
    assert "train split has no examples" in str(err.value) and "malicious" not in str(err.value)


def test_empty_valid_and_test_splits_load(tmp_path):
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(pickle.dumps(_mnist_like(np.ones((5, 16), np.float32)), protocol=2)))
    data = ds.load_mnist(path)
    assert data.train[0].shape == (5, 16) and data.valid[0].shape == (0, 16)


def test_complex_pixels_are_refused(tmp_path):
    x = np.ones((4, 16), np.complex64) * 1j
    pkl = tmp_path / "mnist.pkl.gz"
    pkl.write_bytes(gzip.compress(pickle.dumps(_mnist_like(x), protocol=2)))
    with pytest.raises(ds.DatasetError, match="real numbers.*complex64"):
        ds.load_mnist(pkl)
    npz = tmp_path / "data.npz"
    np.savez(npz, x=x)
    with pytest.raises(ds.DatasetError, match="real numbers.*complex64"):
        ds.load_npz(npz)

"""Dataset loaders of the RBM plugin (framework_rbm.datasets)."""
import gzip
import importlib
import importlib.util
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

DATASETS_FILE = Path(__file__).resolve().parents[2] / "plugins" / "rbm" / "datasets.py"


def _load_module():
    """The installed framework_rbm.datasets, or the source file when not installed."""
    try:
        return importlib.import_module("framework_rbm.datasets")
    except ImportError:
        name = "_framework_rbm_datasets_under_test"
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, DATASETS_FILE)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up here
        spec.loader.exec_module(module)
        return module


ds = _load_module()
DatasetError = ds.DatasetError


# --------------------------------------------------------------------------
# digits
# --------------------------------------------------------------------------

def test_digits_shapes_ranges_and_labels():
    data = ds.load_digits()
    assert data.name == "digits" and data.shape == (8, 8) and data.n_features == 64
    sizes = [len(part[0]) for part in (data.train, data.valid, data.test)]
    assert sizes == [1197, 300, 300]
    for x, y in (data.train, data.valid, data.test):
        assert x.dtype == np.float64 and x.shape[1] == 64
        assert x.min() == 0.0 and x.max() == 1.0
        assert y.dtype == np.int64 and len(y) == len(x)
        assert set(np.unique(y)) <= set(range(10))
    assert len(np.unique(data.train[1])) == 10
    # Real data: every class appears about 180 times in all.
    counts = np.bincount(np.concatenate([data.train[1], data.valid[1], data.test[1]]))
    assert counts.sum() == 1797 and counts.min() > 170


def test_digits_split_is_deterministic_and_seeded():
    a, b, c = ds.load_digits(seed=0), ds.load_digits(seed=0), ds.load_digits(seed=1)
    np.testing.assert_array_equal(a.train[0], b.train[0])
    np.testing.assert_array_equal(a.test[1], b.test[1])
    assert not np.array_equal(a.train[0], c.train[0])
    # Same images overall, only the split changes.
    all_a = np.sort(np.concatenate([a.train[0], a.valid[0], a.test[0]]).sum(axis=1))
    all_c = np.sort(np.concatenate([c.train[0], c.valid[0], c.test[0]]).sum(axis=1))
    np.testing.assert_allclose(all_a, all_c)


def test_digits_options():
    data = ds.load_digits(dtype="float32", binarize=True)
    assert data.train[0].dtype == np.float32
    assert set(np.unique(data.train[0])) == {0.0, 1.0}
    with pytest.raises(DatasetError, match="floating"):
        ds.load_digits(dtype="int32")


def test_digits_does_not_import_scikit_learn():
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('d', {str(DATASETS_FILE)!r})\n"
        "m = importlib.util.module_from_spec(spec); sys.modules['d'] = m; spec.loader.exec_module(m)\n"
        "m.load_digits()\n"
        "assert not any(name.startswith('sklearn') for name in sys.modules), 'sklearn was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_digits_without_scikit_learn_says_how_to_install(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sklearn" else real_find_spec(name, *a))
    with pytest.raises(DatasetError, match="pip install scikit-learn"):
        ds.load_digits()


# --------------------------------------------------------------------------
# mnist.pkl.gz
# --------------------------------------------------------------------------

def _small_mnist(n=(30, 10, 10), width=16, seed=0):
    rng = np.random.RandomState(seed)
    return tuple((rng.rand(k, width).astype(np.float32), rng.randint(0, 10, size=k).astype(np.int64))
                 for k in n)


def _write_gzip_pickle(path, obj, protocol=2):
    with gzip.open(path, "wb") as handle:
        pickle.dump(obj, handle, protocol=protocol)


def _py2_pickle(obj):
    """Bytes of a Python 2 (protocol 2) pickle, as in deeplearning.net's mnist.pkl.gz.

    Python 2 names numpy.core.multiarray._reconstruct and stores array data
    as a byte *str* (BINSTRING), which Python 3 reads with encoding='latin1'.
    """
    def short_str(text):
        data = text.encode("latin1")
        return b"U" + bytes([len(data)]) + data

    def integer(value):
        return b"J" + struct.pack("<i", value)

    def dump(value):
        if isinstance(value, tuple):
            return b"(" + b"".join(dump(v) for v in value) + b"t"
        array = np.ascontiguousarray(value)
        order = "|" if array.dtype.itemsize == 1 else "<"
        dtype = (b"cnumpy\ndtype\n" + short_str(array.dtype.str[1:]) + b"K\x00K\x01\x87R"
                 + b"(K\x03" + short_str(order) + b"NNN" + integer(-1) + integer(-1) + b"K\x00tb")
        data = array.tobytes()
        return (b"cnumpy.core.multiarray\n_reconstruct\n" + b"cnumpy\nndarray\n" + b"K\x00\x85"
                + short_str("b") + b"\x87R"
                + b"(K\x01" + dump_shape(array.shape) + dtype + b"\x89"
                + b"T" + struct.pack("<i", len(data)) + data + b"tb")

    def dump_shape(shape):
        return b"(" + b"".join(integer(d) for d in shape) + b"t"

    return b"\x80\x02" + dump(obj) + b"."


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_mnist_pickle_round_trip(tmp_path, protocol):
    splits = _small_mnist()
    path = tmp_path / "mnist.pkl.gz"
    _write_gzip_pickle(path, splits, protocol)
    data = ds.load_mnist(path)
    assert data.name == "mnist" and data.shape == (4, 4)
    for (x, y), (x0, y0) in zip((data.train, data.valid, data.test), splits):
        assert x.dtype == np.float64 and y.dtype == np.int64
        np.testing.assert_array_equal(x, x0.astype(np.float64))
        np.testing.assert_array_equal(y, y0)


def test_mnist_python2_pickle_as_published(tmp_path):
    splits = _small_mnist(width=784)
    raw = _py2_pickle(splits)
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(raw))
    data = ds.load_mnist(path, dtype="float32")
    assert data.shape == (28, 28)
    np.testing.assert_array_equal(data.valid[0], splits[1][0])
    np.testing.assert_array_equal(data.test[1], splits[2][1])
    assert data.train[0].dtype == np.float32
    # The same file uncompressed also loads.
    plain = tmp_path / "mnist.pkl"
    plain.write_bytes(raw)
    np.testing.assert_array_equal(ds.load_mnist(plain).train[1], splits[0][1])


class _RunsShellCommand:
    """Unpickling this would run a shell command (the classic pickle exploit)."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def test_malicious_pickle_is_rejected_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    payload = _RunsShellCommand(f"touch {marker}")
    x, y = _small_mnist()[0]
    path = tmp_path / "mnist.pkl.gz"
    _write_gzip_pickle(path, ((x, y), (x, y), (payload, y)))

    with pytest.raises(DatasetError) as info:
        ds.load_mnist(path)
    message = str(info.value)
    assert "mnist.pkl.gz" in message and "system" in message and "rejected" in message
    assert not marker.exists()

    # Control: the payload is real — an ordinary unpickler would have run it.
    control = tmp_path / "control"
    pickle.loads(pickle.dumps(_RunsShellCommand(f"touch {control}")))
    assert control.exists()


@pytest.mark.parametrize("module, name", [
    ("builtins", "eval"), ("subprocess", "Popen"), ("numpy", "load"), ("numpy.testing", "assert_"),
    ("posix", "system"), ("numpy.core.multiarray", "frombuffer"),
])
def test_every_other_global_is_rejected(tmp_path, module, name):
    # GLOBAL opcode naming module.name, called with a harmless argument.
    raw = b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\nU\x011\x85R."
    path = tmp_path / "evil.pkl"
    path.write_bytes(raw)
    with pytest.raises(DatasetError, match=f"{module}.{name}"):
        ds.load_mnist(path)


def test_codecs_encode_only_as_latin1(tmp_path):
    raw = b"\x80\x02c_codecs\nencode\nU\x03abcU\x06base64\x86R."
    path = tmp_path / "evil.pkl"
    path.write_bytes(raw)
    with pytest.raises(DatasetError, match="latin1"):
        ds.load_mnist(path)


@pytest.mark.parametrize("structure, message", [
    ({"train": 1}, "expected a pickled tuple"),
    ((1, 2), "length 2"),
    (("a", "b", "c"), "pair"),
])
def test_mnist_pickle_with_wrong_structure(tmp_path, structure, message):
    path = tmp_path / "mnist.pkl.gz"
    _write_gzip_pickle(path, structure)
    with pytest.raises(DatasetError, match=message):
        ds.load_mnist(path)


def test_mnist_pickle_with_bad_arrays(tmp_path):
    (x, y), valid, test = _small_mnist()
    path = tmp_path / "mnist.pkl.gz"
    _write_gzip_pickle(path, ((x, y[:-1]), valid, test))
    with pytest.raises(DatasetError, match="labels"):
        ds.load_mnist(path)
    _write_gzip_pickle(path, ((x.ravel(), y), valid, test))
    with pytest.raises(DatasetError, match="2-D"):
        ds.load_mnist(path)
    _write_gzip_pickle(path, ((x, y.astype(np.float64)), valid, test))
    with pytest.raises(DatasetError, match="integer"):
        ds.load_mnist(path)
    _write_gzip_pickle(path, ((x, y), (valid[0][:, :5], valid[1]), test))
    with pytest.raises(DatasetError, match="different numbers of features"):
        ds.load_mnist(path)


def test_mnist_missing_truncated_and_garbage_files(tmp_path):
    with pytest.raises(DatasetError, match="not found") as info:
        ds.load_mnist(tmp_path / "mnist.pkl.gz")
    assert "mnist.pkl.gz" in str(info.value)

    path = tmp_path / "mnist.pkl.gz"
    _write_gzip_pickle(path, _small_mnist())
    data = path.read_bytes()
    for size in (5, len(data) // 2, len(data) - 10):
        path.write_bytes(data[:size])
        with pytest.raises(DatasetError, match="mnist.pkl.gz"):
            ds.load_mnist(path)

    path.write_bytes(b"\x1f\x8b" + b"not really gzip" * 5)
    with pytest.raises(DatasetError, match="gzip"):
        ds.load_mnist(path)
    path.write_bytes(b"plain garbage, not a pickle")
    with pytest.raises(DatasetError, match="mnist.pkl.gz"):
        ds.load_mnist(path)


# --------------------------------------------------------------------------
# MNIST IDX files
# --------------------------------------------------------------------------

def _idx_bytes(array, magic=None):
    array = np.asarray(array, dtype=np.uint8)
    magic = magic if magic is not None else {3: 2051, 1: 2049}[array.ndim]
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def _write_idx_dir(directory, n_train=50, n_test=20, side=6, compress=False, seed=0):
    rng = np.random.RandomState(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.randint(0, 256, size=(n_train, side, side)),
        "train-labels-idx1-ubyte": rng.randint(0, 10, size=n_train),
        "t10k-images-idx3-ubyte": rng.randint(0, 256, size=(n_test, side, side)),
        "t10k-labels-idx1-ubyte": rng.randint(0, 10, size=n_test),
    }
    directory.mkdir(exist_ok=True)
    for name, array in arrays.items():
        data = _idx_bytes(array)
        if compress:
            (directory / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (directory / name).write_bytes(data)
    return arrays


@pytest.mark.parametrize("compress", [False, True])
def test_idx_round_trip(tmp_path, compress):
    arrays = _write_idx_dir(tmp_path / "mnist", compress=compress)
    data = ds.load_mnist(tmp_path / "mnist", n_valid=10)
    assert data.shape == (6, 6)
    images = arrays["train-images-idx3-ubyte"].reshape(50, 36) / 255.0
    labels = arrays["train-labels-idx1-ubyte"]
    np.testing.assert_allclose(data.train[0], images[:40])
    np.testing.assert_allclose(data.valid[0], images[40:])  # the last n_valid become valid
    np.testing.assert_array_equal(data.valid[1], labels[40:])
    np.testing.assert_allclose(data.test[0], arrays["t10k-images-idx3-ubyte"].reshape(20, 36) / 255.0)
    np.testing.assert_array_equal(data.test[1], arrays["t10k-labels-idx1-ubyte"])
    assert data.train[0].max() <= 1.0 and data.train[1].dtype == np.int64


def test_idx_wrong_magic_truncation_and_missing_files(tmp_path):
    directory = tmp_path / "mnist"
    arrays = _write_idx_dir(directory)
    images = directory / "train-images-idx3-ubyte"

    images.write_bytes(_idx_bytes(arrays["train-images-idx3-ubyte"], magic=2049))
    with pytest.raises(DatasetError, match="magic") as info:
        ds.load_mnist(directory, n_valid=10)
    assert "train-images-idx3-ubyte" in str(info.value)

    good = _idx_bytes(arrays["train-images-idx3-ubyte"])
    images.write_bytes(good[:-7])
    with pytest.raises(DatasetError, match="truncated"):
        ds.load_mnist(directory, n_valid=10)
    images.write_bytes(good[:6])
    with pytest.raises(DatasetError, match="too short"):
        ds.load_mnist(directory, n_valid=10)
    images.write_bytes(good)

    (directory / "t10k-labels-idx1-ubyte").write_bytes(_idx_bytes(arrays["t10k-labels-idx1-ubyte"][:5]))
    with pytest.raises(DatasetError, match="20 images but .* 5 labels"):
        ds.load_mnist(directory, n_valid=10)

    (directory / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DatasetError, match="missing t10k-labels-idx1-ubyte"):
        ds.load_mnist(directory, n_valid=10)


def test_idx_corrupt_gzip_and_too_few_training_images(tmp_path):
    directory = tmp_path / "mnist"
    _write_idx_dir(directory, compress=True)
    with pytest.raises(DatasetError, match="cannot hold out 10000"):
        ds.load_mnist(directory)  # only 50 training images
    gz = directory / "train-labels-idx1-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:-8])
    with pytest.raises(DatasetError, match="train-labels-idx1-ubyte.gz"):
        ds.load_mnist(directory, n_valid=10)


# --------------------------------------------------------------------------
# bars and stripes
# --------------------------------------------------------------------------

def _is_bars_or_stripes(image):
    rows_equal = np.all(image == image[0:1, :])  # every row the same: bars
    cols_equal = np.all(image == image[:, 0:1])  # every column the same: stripes
    return rows_equal or cols_equal


@pytest.mark.parametrize("n_side", [1, 2, 3, 4, 5])
def test_bars_and_stripes_enumerates_all_distinct_patterns(n_side):
    data = ds.bars_and_stripes(n_side)
    x = data.train[0]
    assert data.shape == (n_side, n_side) and data.train[1] is None
    assert x.shape == (2 ** (n_side + 1) - 2, n_side * n_side)
    assert len({row.tobytes() for row in x}) == len(x)  # all distinct
    assert set(np.unique(x)) <= {0.0, 1.0}
    assert all(_is_bars_or_stripes(row.reshape(n_side, n_side)) for row in x)
    np.testing.assert_array_equal(data.valid[0], x)


def test_bars_and_stripes_sampling():
    data = ds.bars_and_stripes(4, n_samples=3000, seed=1)
    x = data.train[0]
    assert x.shape == (3000, 16)
    assert all(_is_bars_or_stripes(row.reshape(4, 4)) for row in x)
    counts = {}
    for row in x:
        counts[row.tobytes()] = counts.get(row.tobytes(), 0) + 1
    assert len(counts) == 30  # every pattern drawn
    assert max(counts.values()) < 2.5 * 3000 / 30  # roughly uniform (all-off is not doubled)
    np.testing.assert_array_equal(ds.bars_and_stripes(4, n_samples=50, seed=1).train[0],
                                  ds.bars_and_stripes(4, n_samples=50, seed=1).train[0])
    assert ds.bars_and_stripes(4, n_samples=50, dtype="float32").train[0].dtype == np.float32
    big = ds.bars_and_stripes(20, n_samples=5)
    assert big.train[0].shape == (5, 400)
    assert all(_is_bars_or_stripes(row.reshape(20, 20)) for row in big.train[0])


def test_bars_and_stripes_bad_arguments():
    with pytest.raises(DatasetError, match="n_side"):
        ds.bars_and_stripes(0)
    with pytest.raises(DatasetError, match="n_samples"):
        ds.bars_and_stripes(20)


# --------------------------------------------------------------------------
# .npz
# --------------------------------------------------------------------------

def test_npz_split_layout(tmp_path):
    rng = np.random.RandomState(0)
    path = tmp_path / "mine.npz"
    np.savez(path, train_x=rng.rand(20, 12), train_y=np.arange(20), valid_x=rng.rand(5, 12),
             valid_y=np.arange(5), test_x=rng.rand(4, 12), test_y=np.arange(4), shape=np.array([3, 4]))
    data = ds.load_npz(path)
    assert data.name == "mine" and data.shape == (3, 4)
    assert [len(p[0]) for p in (data.train, data.valid, data.test)] == [20, 5, 4]
    assert data.train[1].dtype == np.int64


def test_npz_split_layout_without_labels_or_test(tmp_path):
    path = tmp_path / "images.npz"
    np.savez(path, train_x=np.ones((6, 5, 5), np.uint8))
    data = ds.load_npz(path, dtype="float32")
    assert data.shape == (5, 5) and data.train[0].shape == (6, 25) and data.train[0].dtype == np.float32
    assert data.valid[0].shape == (0, 25) and data.test[1] is None


def test_npz_flat_layout_is_split_80_10_10(tmp_path):
    path = tmp_path / "flat.npz"
    np.savez(path, x=np.arange(100 * 16).reshape(100, 16), y=np.arange(100) % 3)
    data = ds.load_npz(path, seed=3)
    assert [len(p[0]) for p in (data.train, data.valid, data.test)] == [80, 10, 10]
    assert data.shape == (4, 4)
    # Rows keep their labels through the shuffle.
    np.testing.assert_array_equal((data.train[0][:, 0] / 16).astype(int) % 3, data.train[1])


@pytest.mark.parametrize("entries, message", [
    ({"images": np.ones((3, 4))}, "neither 'train_x' nor 'x'"),
    ({"x": np.ones(4)}, "one example per row"),
    ({"x": np.ones((4, 2)), "y": np.ones(4)}, "integer"),
    ({"x": np.ones((4, 2)), "y": np.arange(3)}, "3 labels for 4"),
    ({"train_x": np.ones((4, 2)), "train_y": np.arange(4), "valid_x": np.ones((2, 2))}, "no 'valid_y'"),
    ({"train_x": np.ones((4, 2)), "test_x": np.ones((2, 3))}, "shape"),
    ({"train_x": np.ones((4, 6)), "shape": np.array([4, 4])}, "6 elements"),
])
def test_npz_errors(tmp_path, entries, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **entries)
    with pytest.raises(DatasetError, match=message):
        ds.load_npz(path)


def test_npz_missing_corrupt_and_pickled_files(tmp_path):
    with pytest.raises(DatasetError, match="not found"):
        ds.load_npz(tmp_path / "nope.npz")
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"PK\x03\x04 definitely not a zip")
    with pytest.raises(DatasetError, match="corrupt.npz"):
        ds.load_npz(corrupt)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, x=np.array([object(), object()], dtype=object).reshape(2, 1))
    with pytest.raises(DatasetError, match="pickle"):
        ds.load_npz(pickled)

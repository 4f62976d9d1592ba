"""Datasets for the RBM (and other) models: loaders that return :class:`Dataset`.

Each loader returns train/valid/test splits of float features (one example
per row, flattened) and int64 labels (or ``None`` where there are none):

* :func:`load_digits` — the 8x8 handwritten digits bundled with scikit-learn
  (1797 real images, available offline), pixels scaled to ``[0, 1]``;
* :func:`load_mnist` — MNIST from the deeplearning.net ``mnist.pkl.gz``
  (read with a restricted unpickler that can only rebuild NumPy arrays: a
  file that asks for anything else is rejected, never executed) or from the
  four IDX files of the original distribution;
* :func:`bars_and_stripes` — the classic toy distribution, generated;
* :func:`load_npz` — any ``.npz`` file with the documented keys.

Every problem with a file is a :class:`DatasetError` naming the file and
what is wrong with it. This module depends only on NumPy (and, for the
digits, on scikit-learn's data file — scikit-learn itself is not imported).
"""
from __future__ import annotations

import gzip
import importlib
import importlib.util
import math
import os
import pickle
import struct
import zlib
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple, Union

import numpy as np

__all__ = [
    "Dataset",
    "DatasetError",
    "load_digits",
    "load_mnist",
    "bars_and_stripes",
    "load_npz",
]

PathLike = Union[str, "os.PathLike[str]"]
Split = Tuple[np.ndarray, Optional[np.ndarray]]


class DatasetError(ValueError):
    """A dataset cannot be loaded; the message names the file and the problem."""


@dataclass
class Dataset:
    """Train/valid/test splits of one dataset.

    Each split is ``(x, y)``: ``x`` a 2-D float array (one flattened example
    per row), ``y`` a 1-D int64 array of labels or ``None``. ``shape`` is the
    shape of one example before flattening, e.g. ``(8, 8)`` for the digits,
    so ``x[i].reshape(shape)`` is an image.
    """

    name: str
    train: Split
    valid: Split
    test: Split
    shape: Tuple[int, ...]

    @property
    def n_features(self) -> int:
        """Number of values per example (``prod(shape)``)."""
        return int(np.prod(self.shape))

    def __repr__(self) -> str:
        sizes = ", ".join(f"{part}={len(getattr(self, part)[0])}" for part in ("train", "valid", "test"))
        return f"Dataset({self.name!r}, {sizes}, shape={self.shape})"


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------

def _float_dtype(dtype: Any) -> np.dtype:
    """Validate the ``dtype=`` option of a loader: a floating-point dtype."""
    try:
        result = np.dtype(dtype)
    except TypeError:
        raise DatasetError(f"dtype {dtype!r} is not a NumPy dtype") from None
    if not np.issubdtype(result, np.floating):
        raise DatasetError(f"dtype must be a floating-point type (float32, float64), got {result}")
    return result


def _square_shape(n_features: int) -> Tuple[int, ...]:
    """A square image shape when ``n_features`` is a square, else ``(n_features,)``."""
    side = int(round(np.sqrt(n_features)))
    return (side, side) if side * side == n_features else (n_features,)


def _split_by_permutation(x: np.ndarray, y: Optional[np.ndarray], sizes: Tuple[int, int, int],
                          seed: int) -> Tuple[Split, Split, Split]:
    """Shuffle (x, y) with ``seed`` and cut it into train/valid/test of ``sizes``."""
    order = np.random.RandomState(seed).permutation(len(x))
    bounds = np.cumsum((0,) + sizes)
    splits = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        index = order[start:stop]
        splits.append((x[index], None if y is None else y[index]))
    return tuple(splits)  # type: ignore[return-value]


def _require_file(path: PathLike, what: str) -> str:
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DatasetError(f"{what} file not found: {path}")
    if os.path.isdir(path):
        raise DatasetError(f"{what} path {path} is a directory, expected a file")
    return path


# --------------------------------------------------------------------------
# digits (scikit-learn's bundled copy of the UCI 8x8 digits)
# --------------------------------------------------------------------------

DIGITS_SPLIT = (1197, 300, 300)
"""Sizes of the digits' train/valid/test splits (1797 images in all)."""


def _digits_csv_path() -> str:
    """Path of scikit-learn's ``digits.csv.gz``, found without importing scikit-learn."""
    spec = importlib.util.find_spec("sklearn")  # locates the package; runs none of it
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError(
            "the 'digits' dataset is the copy bundled with scikit-learn, which is not installed: "
            "pip install scikit-learn")
    package_dir = list(spec.submodule_search_locations)[0]
    path = os.path.join(package_dir, "datasets", "data", "digits.csv.gz")
    if not os.path.isfile(path):
        raise DatasetError(
            f"scikit-learn is installed but its digits data file is missing: {path} "
            "(reinstall with: pip install --force-reinstall scikit-learn)")
    return path


def load_digits(dtype: Any = "float64", binarize: bool = False, seed: int = 0) -> Dataset:
    """The 8x8 handwritten digits (1797 images, 10 classes), pixels in ``[0, 1]``.

    Read directly from the CSV file that scikit-learn ships (``sklearn`` is
    located but not imported, which keeps this fast). The images are
    shuffled with ``seed`` and split 1197/300/300 — the same split for the
    same seed. ``binarize=True`` thresholds the pixels at 0.5 (for Bernoulli
    RBMs that want binary data).
    """
    dtype = _float_dtype(dtype)
    path = _digits_csv_path()
    try:
        with gzip.open(path, "rt") as handle:
            table = np.loadtxt(handle, delimiter=",", dtype=np.float64, ndmin=2)
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        raise DatasetError(f"cannot read the digits data file {path}: {exc}") from None
    if table.shape[1] != 65:
        raise DatasetError(f"digits data file {path} has {table.shape[1]} columns, expected 65 (64 pixels + label)")

    x = table[:, :64] / 16.0  # pixel intensities are 0..16
    if binarize:
        x = (x > 0.5).astype(np.float64)
    y = table[:, 64].astype(np.int64)
    n = len(x)
    n_valid, n_test = DIGITS_SPLIT[1], DIGITS_SPLIT[2]
    train, valid, test = _split_by_permutation(x.astype(dtype), y, (n - n_valid - n_test, n_valid, n_test), seed)
    return Dataset("digits", train, valid, test, shape=(8, 8))


# --------------------------------------------------------------------------
# MNIST from mnist.pkl.gz, with a restricted unpickler
# --------------------------------------------------------------------------

def _numpy_internal(name: str) -> Any:
    """An object from NumPy's C core, under NumPy 1 (``numpy.core``) or 2 (``numpy._core``)."""
    module_name, _, attribute = name.rpartition(".")
    for prefix in ("numpy._core", "numpy.core"):
        try:
            module = importlib.import_module(f"{prefix}.{module_name}")
        except ImportError:
            continue
        if hasattr(module, attribute):
            return getattr(module, attribute)
    raise ImportError(f"numpy has no {name}")


def _latin1_encode(text: str, encoding: str = "latin1") -> bytes:
    """Stand-in for ``_codecs.encode`` limited to what array pickles need.

    Python 3 writes ``bytes`` in protocol-2 pickles as
    ``_codecs.encode(text, 'latin1')``; no other use is allowed.
    """
    if not isinstance(text, str) or encoding.lower().replace("-", "").replace("_", "") != "latin1":
        raise pickle.UnpicklingError(f"_codecs.encode is only allowed as encode(str, 'latin1'), got encoding {encoding!r}")
    return text.encode("latin1")


class _ArrayClass:
    """What ``numpy.ndarray`` resolves to inside a dataset pickle: a token that
    may only be passed to ``_reconstruct``. Calling ``ndarray(shape, dtype)``
    directly would allocate an array of any size holding no data from the
    file (uninitialised memory); here it cannot even be called."""

    def __repr__(self) -> str:
        return "numpy.ndarray"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        shape = args[0] if args else kwargs.get("shape")
        raise pickle.UnpicklingError(
            f"the pickle calls numpy.ndarray directly, asking for an array of shape {shape!r:.40} without its "
            "data (arrays must be rebuilt from the file's own bytes)")


_ARRAY_CLASS = _ArrayClass()


def _shape_size(shape: Any) -> int:
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise pickle.UnpicklingError(f"array shape must be a tuple of sizes, got {shape!r}")
    return math.prod(shape)


def _reconstruct_empty(cls: Any, shape: Any, dtype: Any) -> np.ndarray:
    """``_reconstruct`` limited to what pickles of arrays do: an *empty* array
    whose data then comes from the file (``__setstate__`` checks that the data's
    length matches the shape)."""
    if cls is not _ARRAY_CLASS:
        raise pickle.UnpicklingError("_reconstruct may only build numpy.ndarray")
    if _shape_size(shape) != 0:
        raise pickle.UnpicklingError(
            f"the pickle asks for an array of shape {shape} without its data (only empty arrays may be made "
            "this way; their contents must come from the file)")
    return _numpy_internal("multiarray._reconstruct")(np.ndarray, shape, dtype)


def _frombuffer_checked(buffer: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray:
    """``_frombuffer`` (protocol 5) whose buffer must hold exactly the array's bytes."""
    dtype = np.dtype(dtype)
    size = len(memoryview(buffer).cast("B"))
    if _shape_size(shape) * dtype.itemsize != size:
        raise pickle.UnpicklingError(
            f"an array of shape {shape} and dtype {dtype} needs {_shape_size(shape) * dtype.itemsize} bytes, "
            f"the file gives {size}")
    return _numpy_internal("numeric._frombuffer")(buffer, dtype, shape, order)


def _empty_bytes(*args: Any) -> bytes:
    """``bytes()``: how a protocol-2 pickle writes the data of an empty array."""
    if args:
        raise pickle.UnpicklingError("bytes(...) is only allowed without arguments")
    return b""


def _allowed_globals() -> Dict[Tuple[str, str], Callable[[], Any]]:
    """The only globals a pickled dataset may name: what rebuilds NumPy arrays from
    the file's own bytes (each array's size is checked against the data it gets)."""
    allowed: Dict[Tuple[str, str], Callable[[], Any]] = {
        ("numpy", "ndarray"): lambda: _ARRAY_CLASS,
        ("numpy", "dtype"): lambda: np.dtype,
        ("_codecs", "encode"): lambda: _latin1_encode,
        ("__builtin__", "bytes"): lambda: _empty_bytes,
        ("builtins", "bytes"): lambda: _empty_bytes,
    }
    for prefix in ("numpy.core", "numpy._core"):
        # Arrays (protocols 0-4), arrays from out-of-band buffers (protocol
        # 5) and NumPy scalars.
        allowed[(f"{prefix}.multiarray", "_reconstruct")] = lambda: _reconstruct_empty
        allowed[(f"{prefix}.multiarray", "scalar")] = lambda: _numpy_internal("multiarray.scalar")
        allowed[(f"{prefix}.numeric", "_frombuffer")] = lambda: _frombuffer_checked
    return allowed


MAX_DECOMPRESSED_BYTES = 256 * 2 ** 20
"""Default cap on the bytes a compressed dataset file may inflate to (256 MiB).

The deeplearning.net ``mnist.pkl.gz`` inflates to about 220 MB (float32 pixels),
the gzipped IDX files to 55 MB. A larger file is refused while it is being read,
so a small "gzip bomb" cannot exhaust memory. Raise the cap with the loader's
``max_bytes=`` argument or the environment variable ``FRAMEWORK_MAX_DATASET_BYTES``."""

MAX_BYTES_ENV = "FRAMEWORK_MAX_DATASET_BYTES"


def _byte_cap(max_bytes: Optional[int]) -> int:
    if max_bytes is None:
        env = os.environ.get(MAX_BYTES_ENV, "").strip()
        if not env:
            return MAX_DECOMPRESSED_BYTES
        try:
            max_bytes = int(env)
        except ValueError:
            raise DatasetError(f"{MAX_BYTES_ENV}={env!r} is not a number of bytes") from None
    if not isinstance(max_bytes, (int, np.integer)) or max_bytes <= 0:
        raise DatasetError(f"max_bytes must be a positive number of bytes, got {max_bytes!r}")
    return int(max_bytes)


class _CappedReader:
    """A file-like view of a decompressing stream that refuses to produce more than
    ``cap`` bytes: the check runs while streaming, before the bytes pile up."""

    def __init__(self, handle: Any, cap: int, source: str) -> None:
        self._handle, self._cap, self._source, self._count = handle, cap, source, 0

    def _counted(self, data: bytes) -> bytes:
        self._count += len(data)
        if self._count > self._cap:
            raise DatasetError(
                f"{self._source} inflates to more than {self._cap} bytes, the cap on decompressed dataset files "
                f"(not a plausible dataset, or a very large one: raise the cap with max_bytes= or "
                f"{MAX_BYTES_ENV})")
        return data

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:  # read in chunks, so the cap applies before it all is in memory
            parts = []
            while True:
                chunk = self.read(1 << 20)
                if not chunk:
                    return b"".join(parts)
                parts.append(chunk)
        return self._counted(self._handle.read(min(size, self._cap - self._count + 1)))

    def readline(self, size: int = -1) -> bytes:
        limit = self._cap - self._count + 1 if size is None or size < 0 else min(size, self._cap - self._count + 1)
        return self._counted(self._handle.readline(limit))

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


class _ArrayOnlyUnpickler(pickle._Unpickler):  # type: ignore[name-defined]
    """An unpickler that can build NumPy arrays, tuples, lists and numbers — nothing else.

    Every global the pickle names goes through :meth:`find_class`; anything
    not on the allow-list aborts loading with a :class:`DatasetError` before
    it is imported, let alone called.

    It is the standard library's pure-Python unpickler (a dataset pickle has a
    handful of opcodes, so speed does not matter): it reads each byte string
    with ``read(n)`` and keeps only what the file gives, whereas the C
    unpickler allocates the ``n`` a length field announces before reading --
    a few bytes of pickle could make it reserve gigabytes.
    """

    def __init__(self, handle: Any, source: str) -> None:
        super().__init__(handle, encoding="latin1")  # deeplearning.net's file is a Python 2 pickle
        self._source = source
        self._allowed = _allowed_globals()

    def find_class(self, module: str, name: str) -> Any:
        factory = self._allowed.get((module, name))
        if factory is None:
            raise DatasetError(
                f"{self._source} is rejected: its pickle asks for the global {module}.{name}, "
                "which is not needed to store arrays (the file may be malicious; nothing from it was run)")
        return factory()

    def persistent_load(self, pid: Any) -> Any:
        raise DatasetError(f"{self._source} is rejected: its pickle uses persistent ids")


def _check_split(part: Any, which: str, source: str) -> Tuple[np.ndarray, np.ndarray]:
    """Validate one ``(x, y)`` pair of the pickled MNIST structure."""
    if not isinstance(part, (tuple, list)) or len(part) != 2:
        raise DatasetError(f"{source}: the {which} split must be a pair (x, y), got {type(part).__name__}")
    x, y = part
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        raise DatasetError(f"{source}: the {which} split must hold NumPy arrays")
    if x.dtype.hasobject or y.dtype.hasobject:
        raise DatasetError(f"{source}: the {which} split holds object arrays")
    if x.ndim != 2 or x.dtype.kind not in "biuf":
        raise DatasetError(f"{source}: {which} x must be a 2-D array of real numbers, got shape {x.shape}, "
                           f"dtype {x.dtype}")
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise DatasetError(f"{source}: {which} y must be a 1-D integer array, got shape {y.shape}, dtype {y.dtype}")
    if len(x) != len(y):
        raise DatasetError(f"{source}: {which} has {len(x)} examples but {len(y)} labels")
    return x, y


def _load_mnist_pickle(path: str, dtype: np.dtype, max_bytes: Optional[int] = None) -> Dataset:
    """Read ``mnist.pkl.gz`` (or an uncompressed ``.pkl``) safely."""
    cap = _byte_cap(max_bytes)
    try:
        with open(path, "rb") as raw:
            compressed = raw.read(2) == b"\x1f\x8b"
        if compressed:
            with gzip.open(path, "rb") as handle:
                data = _ArrayOnlyUnpickler(_CappedReader(handle, cap, path), path).load()
        else:
            with open(path, "rb") as handle:
                data = _ArrayOnlyUnpickler(handle, path).load()
    except DatasetError:
        raise
    except MemoryError:
        raise DatasetError(f"{path}: not enough memory to load it ({os.path.getsize(path)} bytes on disk)") from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DatasetError(f"{path} is truncated or not a valid gzip file ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # UnpicklingError, ValueError, TypeError, ...
        raise DatasetError(f"{path} is not a readable MNIST pickle ({type(exc).__name__}: {exc})") from None

    if not isinstance(data, (tuple, list)) or len(data) != 3:
        raise DatasetError(
            f"{path}: expected a pickled tuple ((train_x, train_y), (valid_x, valid_y), (test_x, test_y)), "
            f"got {type(data).__name__}" + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else ""))
    splits = [_check_split(part, which, path) for part, which in zip(data, ("train", "valid", "test"))]
    if len(splits[0][0]) == 0:
        raise DatasetError(f"{path}: the train split has no examples (shape {splits[0][0].shape}): nothing to train on")
    widths = {x.shape[1] for x, _ in splits}
    if len(widths) != 1:
        raise DatasetError(f"{path}: the splits have different numbers of features: {sorted(widths)}")
    train, valid, test = ((x.astype(dtype), y.astype(np.int64)) for x, y in splits)
    return Dataset("mnist", train, valid, test, shape=_square_shape(widths.pop()))


# --------------------------------------------------------------------------
# MNIST from IDX files
# --------------------------------------------------------------------------

_IDX_FILES = {
    "train_images": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "train_labels": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "test_images": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    "test_labels": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}
_IDX_MAGIC = {3: 2051, 1: 2049}  # ndim -> magic number (unsigned bytes, big-endian)


def _find_idx_file(directory: str, key: str) -> Optional[str]:
    for base in _IDX_FILES[key]:
        for candidate in (base, base + ".gz"):
            path = os.path.join(directory, candidate)
            if os.path.isfile(path):
                return path
    return None


def _read_idx(path: str, ndim: int, max_bytes: Optional[int] = None) -> np.ndarray:
    """Parse one IDX file of unsigned bytes with ``ndim`` dimensions, checking everything."""
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                data = _CappedReader(handle, _byte_cap(max_bytes), path).read()
        else:
            with open(path, "rb") as handle:
                data = handle.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DatasetError(f"{path} is truncated or not a valid gzip file ({type(exc).__name__}: {exc})") from None
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from None

    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise DatasetError(f"{path} is too short ({len(data)} bytes) to be an IDX file")
    (magic,) = struct.unpack(">I", data[:4])
    if magic != _IDX_MAGIC[ndim]:
        raise DatasetError(
            f"{path} has the wrong magic number {magic:#010x}, expected {_IDX_MAGIC[ndim]:#010x} "
            f"(an IDX file of unsigned bytes with {ndim} dimension{'s' if ndim > 1 else ''})")
    dims = struct.unpack(f">{ndim}I", data[4:header_size])
    expected = math.prod(dims)  # Python ints: a header cannot overflow the check
    actual = len(data) - header_size
    if actual != expected:
        raise DatasetError(
            f"{path} is {'truncated' if actual < expected else 'too long'}: its header announces "
            f"{'x'.join(map(str, dims))} = {expected} bytes of data, it has {actual}")
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(dims)


def _load_mnist_idx(directory: str, dtype: np.dtype, n_valid: int, max_bytes: Optional[int] = None) -> Dataset:
    """Read the four IDX files in ``directory``; the last ``n_valid`` training images are the validation set."""
    paths = {key: _find_idx_file(directory, key) for key in _IDX_FILES}
    missing = [_IDX_FILES[key][0] for key, path in paths.items() if path is None]
    if missing:
        raise DatasetError(
            f"{directory} does not hold the MNIST IDX files: missing {', '.join(missing)} (optionally .gz)")
    images = {key: _read_idx(paths[key], 3, max_bytes) for key in ("train_images", "test_images")}
    labels = {key: _read_idx(paths[key], 1, max_bytes) for key in ("train_labels", "test_labels")}
    for key in ("train_images", "train_labels"):
        if len(images.get(key, labels.get(key))) == 0:
            raise DatasetError(f"{paths[key]} holds no examples: nothing to train on")
    for part in ("train", "test"):
        x, y = images[f"{part}_images"], labels[f"{part}_labels"]
        if len(x) != len(y):
            raise DatasetError(
                f"{paths[part + '_images']} has {len(x)} images but {paths[part + '_labels']} has {len(y)} labels")
    if images["train_images"].shape[1:] != images["test_images"].shape[1:]:
        raise DatasetError(f"{directory}: train and test images have different sizes "
                           f"{images['train_images'].shape[1:]} and {images['test_images'].shape[1:]}")
    n_train = len(images["train_images"])
    if not 0 <= n_valid < n_train:
        raise DatasetError(
            f"{directory}: cannot hold out {n_valid} validation images from {n_train} training images")

    shape = tuple(int(d) for d in images["train_images"].shape[1:])

    def prepare(x: np.ndarray, y: np.ndarray) -> Split:
        return (x.reshape(len(x), -1).astype(dtype) / dtype.type(255), y.astype(np.int64))

    x, y = images["train_images"], labels["train_labels"]
    cut = n_train - n_valid
    train = prepare(x[:cut], y[:cut])
    valid = prepare(x[cut:], y[cut:])
    test = prepare(images["test_images"], labels["test_labels"])
    return Dataset("mnist", train, valid, test, shape=shape)


MNIST_DOWNLOAD_HINT = (
    "MNIST is distributed as four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
    "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz), e.g. from "
    "https://ossci-datasets.s3.amazonaws.com/mnist/ (the mirror torchvision uses): put them in one directory "
    "and pass its path as the dataset. The tutorial's pickle (deeplearning.net is gone) is at "
    "https://github.com/mnielsen/neural-networks-and-deep-learning/raw/master/data/mnist.pkl.gz")
"""Where to get MNIST today; the error for a missing file ends with it."""


def load_mnist(path: PathLike = "mnist.pkl.gz", dtype: Any = "float64", n_valid: int = 10000,
               max_bytes: Optional[int] = None) -> Dataset:
    """MNIST from ``mnist.pkl.gz`` or from a directory holding the IDX files.

    * A file: the deeplearning.net pickle (gzip-compressed or not) of
      ``((train_x, train_y), (valid_x, valid_y), (test_x, test_y))``. It is
      read with an unpickler that may only rebuild NumPy arrays; a pickle
      that names any other global is rejected with :class:`DatasetError` and
      nothing from it is run.
    * A directory: ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
      ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (each may
      end in ``.gz``). Pixels are scaled to ``[0, 1]`` and the last
      ``n_valid`` training images become the validation set, as in the
      pickle.

    A compressed file may inflate to at most ``max_bytes`` (default
    :data:`MAX_DECOMPRESSED_BYTES`, 256 MiB, or ``$FRAMEWORK_MAX_DATASET_BYTES``);
    the check runs while the file is read.
    """
    dtype = _float_dtype(dtype)
    where = os.fspath(path)
    _byte_cap(max_bytes)  # a bad cap is an error even for an uncompressed file
    if os.path.isdir(where):
        return _load_mnist_idx(where, dtype, n_valid, max_bytes)
    if not os.path.exists(where):
        raise DatasetError(f"MNIST file not found: {where}. {MNIST_DOWNLOAD_HINT}")
    return _load_mnist_pickle(where, dtype, max_bytes)


# --------------------------------------------------------------------------
# bars and stripes
# --------------------------------------------------------------------------

def _bas_pattern(index: int, n_side: int) -> np.ndarray:
    """Pattern number ``index`` of the ``2**(n+1) - 2`` distinct bars-and-stripes patterns.

    Indices ``0 .. 2**n - 1`` are bars: column ``j`` is on when bit ``j`` of
    the index is set (this includes the all-off and all-on grids). The next
    ``2**n - 2`` are stripes: rows chosen by the bits of ``1 .. 2**n - 2``
    (all-off and all-on are not repeated).
    """
    bits = 1 << n_side
    if index < bits:
        columns = (index >> np.arange(n_side)) & 1
        return np.tile(columns, (n_side, 1))
    rows = ((index - bits + 1) >> np.arange(n_side)) & 1
    return np.tile(rows[:, None], (1, n_side))


def bars_and_stripes(n_side: int = 4, n_samples: Optional[int] = None, seed: int = 0,
                     dtype: Any = "float64") -> Dataset:
    """The bars-and-stripes distribution on an ``n_side x n_side`` grid.

    A pattern is a grid whose columns (bars) or rows (stripes) are each all
    on or all off; there are ``2**(n_side + 1) - 2`` distinct ones.

    * ``n_samples=None``: ``train`` holds every distinct pattern once (in a
      fixed order); ``valid`` and ``test`` hold the same set.
    * ``n_samples=N``: ``train`` holds ``N`` patterns drawn uniformly (with
      replacement, using ``seed``); ``valid`` and ``test`` hold the set of
      distinct patterns (enumerated when ``n_side <= 12``, else ``N`` more draws).

    Values are 0.0/1.0; labels are ``None``.
    """
    dtype = _float_dtype(dtype)
    if not isinstance(n_side, (int, np.integer)) or n_side < 1:
        raise DatasetError(f"bars_and_stripes: n_side must be a positive int, got {n_side!r}")
    n_side = int(n_side)
    n_patterns = (1 << (n_side + 1)) - 2
    enumerable = n_side <= 12
    if n_samples is None and not enumerable:
        raise DatasetError(
            f"bars_and_stripes: {n_patterns} patterns of size {n_side}x{n_side} are too many to list; "
            "pass n_samples")
    if n_side > 30:
        raise DatasetError(f"bars_and_stripes: n_side must be at most 30, got {n_side}")

    def build(indices: Any) -> np.ndarray:
        if len(indices) == 0:
            return np.zeros((0, n_side * n_side), dtype=dtype)
        return np.stack([_bas_pattern(int(i), n_side).ravel() for i in indices]).astype(dtype)

    rng = np.random.RandomState(seed)
    if n_samples is None:
        everything = build(range(n_patterns))
        train = everything
    else:
        if n_samples < 0:
            raise DatasetError(f"bars_and_stripes: n_samples must be >= 0, got {n_samples}")
        train = build(rng.randint(0, n_patterns, size=int(n_samples)))
        everything = build(range(n_patterns)) if enumerable else build(rng.randint(0, n_patterns, size=int(n_samples)))
    return Dataset("bars_and_stripes", (train, None), (everything.copy(), None), (everything.copy(), None),
                   shape=(n_side, n_side))


# --------------------------------------------------------------------------
# .npz files
# --------------------------------------------------------------------------

NPZ_SPLIT_FRACTIONS = (0.8, 0.1, 0.1)
"""How :func:`load_npz` splits a file that has only ``x`` (and ``y``)."""


def load_npz(path: PathLike, dtype: Any = "float64", seed: int = 0, name: Optional[str] = None) -> Dataset:
    """A dataset stored in a ``.npz`` file (read without pickle).

    Two layouts are accepted:

    * split: ``train_x`` (required), ``train_y``, ``valid_x``, ``valid_y``,
      ``test_x``, ``test_y`` (optional; a missing ``valid_x``/``test_x``
      gives an empty split; labels are all present or all absent);
    * flat: ``x`` and optionally ``y``, shuffled with ``seed`` and split
      80/10/10 into train/valid/test.

    ``x`` arrays hold one example per row and may be N-D (``(n, 28, 28)``):
    the example shape is then ``x.shape[1:]``. For 2-D ``x`` an optional
    ``shape`` entry (1-D ints) gives the example shape; otherwise a square
    image is assumed when the row length is a square. Other keys are ignored.
    """
    dtype = _float_dtype(dtype)
    where = _require_file(path, "dataset")
    try:
        # Open the file ourselves: np.load leaks its handle when the zip is bad.
        with open(where, "rb") as handle, np.load(handle, allow_pickle=False) as archive:
            entries = {key: archive[key] for key in archive.files}
    except ValueError as exc:  # object arrays need pickle, which is refused
        raise DatasetError(f"{where} cannot be read without pickle (object arrays?): {exc}") from None
    except Exception as exc:  # BadZipFile, EOFError, OSError, ...
        raise DatasetError(f"{where} is not a readable .npz file ({type(exc).__name__}: {exc})") from None

    def features(key: str) -> np.ndarray:
        x = entries[key]
        if x.ndim < 2 or x.dtype.kind not in "biuf":  # complex pixels would lose their imaginary part
            raise DatasetError(f"{where}: '{key}' must be an array of real numbers with one example per row, "
                               f"got shape {x.shape}, dtype {x.dtype}")
        return x

    def labels(key: str, n: int) -> Optional[np.ndarray]:
        if key not in entries:
            return None
        y = entries[key]
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
            raise DatasetError(f"{where}: '{key}' must be a 1-D integer array, got shape {y.shape}, dtype {y.dtype}")
        if len(y) != n:
            raise DatasetError(f"{where}: '{key}' has {len(y)} labels for {n} examples")
        return y.astype(np.int64)

    if "train_x" in entries:
        train_x = features("train_x")
        example_shape = tuple(int(d) for d in train_x.shape[1:])
        has_labels = "train_y" in entries
        splits = []
        for part in ("train", "valid", "test"):
            if f"{part}_x" in entries:
                x = features(f"{part}_x")
                if tuple(x.shape[1:]) != example_shape:
                    raise DatasetError(f"{where}: '{part}_x' examples have shape {x.shape[1:]}, "
                                       f"'train_x' examples {example_shape}")
            else:
                x = np.zeros((0,) + example_shape, dtype=train_x.dtype)
            y = labels(f"{part}_y", len(x))
            if has_labels and y is None and len(x):
                raise DatasetError(f"{where}: has 'train_y' but no '{part}_y'")
            if has_labels and y is None:
                y = np.zeros(0, dtype=np.int64)
            if not has_labels:
                y = None
            splits.append((x, y))
    elif "x" in entries:
        x = features("x")
        example_shape = tuple(int(d) for d in x.shape[1:])
        y = labels("y", len(x))
        n_valid = int(len(x) * NPZ_SPLIT_FRACTIONS[1])
        n_test = int(len(x) * NPZ_SPLIT_FRACTIONS[2])
        splits = list(_split_by_permutation(x, y, (len(x) - n_valid - n_test, n_valid, n_test), seed))
    else:
        raise DatasetError(
            f"{where} has neither 'train_x' nor 'x' (keys: {', '.join(sorted(entries)) or 'none'}); "
            "see load_npz's documentation for the expected keys")

    n_features = int(np.prod(example_shape))
    if len(example_shape) == 1:
        if "shape" in entries:
            declared = tuple(int(d) for d in np.asarray(entries["shape"]).ravel())
            if int(np.prod(declared)) != n_features:
                raise DatasetError(f"{where}: 'shape' {declared} does not have {n_features} elements")
            example_shape = declared
        else:
            example_shape = _square_shape(n_features)
    flat = [(x.reshape(len(x), n_features).astype(dtype), y) for x, y in splits]
    label = name or os.path.splitext(os.path.basename(where))[0]
    return Dataset(label, flat[0], flat[1], flat[2], shape=example_shape)

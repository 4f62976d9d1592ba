"""Checkpoints that survive crashes and never run code when loaded.

A checkpoint is one ``.npz`` file (a zip of ``.npy`` arrays, read with
``allow_pickle=False``) holding:

* the caller's arrays, under their own names (names may not start with
  ``__``, which is reserved);
* ``__format__``: the format version (:data:`FORMAT_VERSION`);
* ``__meta__``: the caller's metadata (epoch, hyper-parameters, ...) as UTF-8
  JSON bytes in a ``uint8`` array;
* ``__checksum__``: a SHA-256 digest over the version, the metadata and every
  array's name, dtype, shape and bytes, so a damaged file is detected even
  where the zip's own CRCs would not catch it.

Every file is written atomically (:func:`atomic_write_bytes`): the bytes go to
a temporary file in the same directory, are flushed and fsynced, and the
temporary file is renamed over the target with :func:`os.replace`. A crash at
any point leaves either the old file or the new one, never a mix. PNG images
written with :func:`save_png` get the same guarantee.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import os
import secrets
from typing import Any, Dict, Mapping, Optional, Tuple, Union

import numpy as np

__all__ = [
    "FORMAT_VERSION",
    "CheckpointError",
    "atomic_write_bytes",
    "save_png",
    "save_checkpoint",
    "load_checkpoint",
    "check_compatible",
    "rng_state_to_arrays",
    "rng_state_from_arrays",
    "check_training_meta",
]

FORMAT_VERSION = 1
"""Version of the checkpoint layout written by :func:`save_checkpoint`."""

PathLike = Union[str, "os.PathLike[str]"]

_FORMAT_KEY = "__format__"
_META_KEY = "__meta__"
_CHECKSUM_KEY = "__checksum__"
_RESERVED = (_FORMAT_KEY, _META_KEY, _CHECKSUM_KEY)


class CheckpointError(ValueError):
    """A checkpoint cannot be written, read or used; the message names the file."""


# --------------------------------------------------------------------------
# Atomic files
# --------------------------------------------------------------------------

def _fsync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable (a no-op where unsupported)."""
    if not hasattr(os, "O_DIRECTORY"):
        return  # Windows: directories cannot be opened for fsync
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on directories; the rename stands
    finally:
        os.close(fd)


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one.

    The bytes go to a uniquely named temporary file beside ``path`` (same
    directory, hence same file system, so the rename is atomic), which is
    flushed, fsynced and then renamed over ``path``; finally the directory is
    fsynced so the rename itself survives a power loss. If anything fails the
    temporary file is removed and ``path`` is left untouched. Missing parent
    directories are created. The new file gets the usual permissions
    (``0o666`` minus the umask). A process killed mid-write may leave a
    ``.<name>.<random>.tmp`` file behind; it is never read as ``path``.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    base = os.path.basename(path)

    # Create the temporary file ourselves (rather than with tempfile) so the
    # umask applies to its mode, as it would for a plain open().
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:
            continue  # astronomically unlikely name clash: pick another name
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and exc.errno is not None and not exc.filename:
            # a failed write (disk full, file too large) carries no file name: name the file
            raise type(exc)(exc.errno, f"{exc.strerror} while writing", path) from None
        raise
    _fsync_directory(directory)


def save_png(path: PathLike, image: np.ndarray) -> None:
    """Write a ``uint8`` image as a PNG file, atomically.

    ``image`` is ``H x W`` (grayscale), ``H x W x 3`` (RGB) or ``H x W x 4``
    (RGBA), as :func:`framework.utils.tile_raster_images` returns.
    """
    from PIL import Image  # Pillow is a dependency; imported here to keep imports light

    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise TypeError(f"save_png({os.fspath(path)!r}): image must be uint8, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]  # H x W x 1 is grayscale
    shape_ok = image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))
    if not shape_ok or image.size == 0:
        raise ValueError(
            f"save_png({os.fspath(path)!r}): expected a non-empty H x W, H x W x 3 or H x W x 4 "
            f"image, got shape {image.shape}")
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, format="PNG")
    atomic_write_bytes(path, buffer.getvalue())


# --------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------

def _json_default(value: Any) -> Any:
    """Turn NumPy scalars and arrays in metadata into plain JSON values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _checksum(version: int, meta_bytes: bytes, arrays: Mapping[str, np.ndarray]) -> bytes:
    """SHA-256 over everything a checkpoint holds, in a fixed order."""
    digest = hashlib.sha256()
    digest.update(f"framework-checkpoint:{version}\n".encode())
    digest.update(len(meta_bytes).to_bytes(8, "little"))
    digest.update(meta_bytes)
    for name in sorted(arrays):
        array = np.asarray(arrays[name], order="C")
        header = json.dumps([name, array.dtype.str, list(array.shape)]).encode()
        digest.update(len(header).to_bytes(8, "little"))
        digest.update(header)
        digest.update(array.tobytes())
    return digest.digest()


def save_checkpoint(path: PathLike, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> None:
    """Save ``arrays`` and ``meta`` to ``path`` atomically.

    ``arrays`` maps names (not starting with ``__``) to NumPy arrays of any
    non-object dtype. ``meta`` must be JSON-serialisable (NumPy scalars and
    arrays are converted; tuples come back as lists). A crash while saving
    leaves the previous checkpoint at ``path`` intact.
    """
    where = os.fspath(path)
    clean: Dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not name or name.startswith("__"):
            raise CheckpointError(
                f"cannot save checkpoint {where}: array name {name!r} must be a non-empty string "
                "not starting with '__'")
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise CheckpointError(
                f"cannot save checkpoint {where}: array {name!r} has dtype object, which cannot "
                "be stored without pickle")
        clean[name] = np.asarray(array, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)
    try:
        meta_bytes = json.dumps(dict(meta), default=_json_default, sort_keys=True).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"cannot save checkpoint {where}: metadata is not JSON-serialisable: {exc}") from None

    entries: Dict[str, np.ndarray] = dict(clean)
    entries[_FORMAT_KEY] = np.array(FORMAT_VERSION, dtype=np.int64)
    entries[_META_KEY] = np.frombuffer(meta_bytes, dtype=np.uint8)
    entries[_CHECKSUM_KEY] = np.frombuffer(_checksum(FORMAT_VERSION, meta_bytes, clean), dtype=np.uint8)

    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **entries)
    atomic_write_bytes(where, buffer.getvalue())


def load_checkpoint(path: PathLike) -> Tuple[Dict[str, np.ndarray], Dict[str, Any]]:
    """Load a checkpoint written by :func:`save_checkpoint`.

    Returns ``(arrays, meta)``. Raises :class:`CheckpointError`, naming the
    file, when it is missing, truncated or otherwise unreadable, has an
    unknown format version, or fails its checksum. Nothing in the file is
    ever unpickled.
    """
    where = os.fspath(path)
    if not os.path.exists(where):
        raise CheckpointError(f"checkpoint {where} does not exist")
    if os.path.isdir(where):
        raise CheckpointError(f"checkpoint {where} is a directory, not a checkpoint file")

    try:
        # Open the file ourselves: np.load leaks its handle when the zip is bad.
        with open(where, "rb") as handle, np.load(handle, allow_pickle=False) as archive:
            entries = {name: archive[name] for name in archive.files}
    except PermissionError as exc:
        raise CheckpointError(f"checkpoint {where} cannot be read: {exc.strerror}") from None
    except Exception as exc:  # zipfile.BadZipFile, EOFError, ValueError, zlib.error, ...
        raise CheckpointError(
            f"checkpoint {where} is truncated or corrupt and cannot be read "
            f"({type(exc).__name__}: {exc})") from None

    missing = [key for key in _RESERVED if key not in entries]
    if missing:
        raise CheckpointError(
            f"{where} is not a framework checkpoint (or is corrupt): missing {', '.join(missing)}")

    version_entry = entries.pop(_FORMAT_KEY)
    try:
        version = int(version_entry)
    except (TypeError, ValueError):
        raise CheckpointError(f"checkpoint {where} has an unreadable format version") from None
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {where} has format version {version}; this version of framework reads "
            f"version {FORMAT_VERSION} only")

    meta_bytes = entries.pop(_META_KEY).tobytes()
    stored_sum = entries.pop(_CHECKSUM_KEY).tobytes()
    if _checksum(version, meta_bytes, entries) != stored_sum:
        raise CheckpointError(f"checkpoint {where} is corrupt: its checksum does not match its contents")
    try:
        meta = json.loads(meta_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {where} has unreadable metadata: {exc}") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"checkpoint {where} has metadata that is not a JSON object")
    return entries, meta


def _normalise(value: Any) -> Any:
    """Bring a value to what it looks like after a JSON round trip."""
    try:
        return json.loads(json.dumps(value, default=_json_default))
    except (TypeError, ValueError):
        return value


def check_compatible(meta: Mapping[str, Any], expected: Mapping[str, Any], path: Optional[PathLike] = None) -> None:
    """Check that a checkpoint's hyper-parameters match this run's.

    Compares every key of ``expected`` with the same key of ``meta`` (pass
    the nested dict if hyper-parameters are stored under a sub-key). Raises
    :class:`CheckpointError` listing each mismatch, e.g. ``checkpoint has
    n_hidden=500, this run asks for 64``; ``path`` (if given) is named in the
    message.
    """
    problems = []
    for key, wanted in expected.items():
        if key not in meta:
            problems.append(f"checkpoint has no {key}, this run asks for {wanted!r}")
            continue
        have = meta[key]
        if _normalise(have) != _normalise(wanted):
            problems.append(f"checkpoint has {key}={have!r}, this run asks for {wanted!r}")
    if problems:
        where = f"checkpoint {os.fspath(path)}" if path is not None else "the checkpoint"
        raise CheckpointError(
            f"{where} does not match this run's settings: " + "; ".join(problems)
            + " (start a fresh run, or pass the checkpoint's settings)")


# --------------------------------------------------------------------------
# Random state
# --------------------------------------------------------------------------

def rng_state_to_arrays(rng: np.random.RandomState, prefix: str = "rng") -> Dict[str, np.ndarray]:
    """Return ``rng``'s complete state as arrays, ready for :func:`save_checkpoint`.

    On MT19937 (NumPy's ``RandomState``, the Theano layer's streams) the keys
    are ``<prefix>_keys`` (the Mersenne Twister's 624 words), ``<prefix>_pos``,
    ``<prefix>_has_gauss`` and ``<prefix>_cached_gaussian``; on PCG64 (the
    native streams' :class:`framework.random.RandomState`) ``<prefix>_pcg64``
    (uint64 words: the 128-bit state's high and low halves, the increment's,
    ``has_uint32`` and the buffered ``uinteger``) with the same two Gaussian
    keys. Use a different ``prefix`` for each generator stored in one checkpoint.
    """
    if not isinstance(rng, np.random.RandomState):
        raise TypeError(f"rng_state_to_arrays: expected numpy.random.RandomState, got {type(rng).__name__}")
    state = rng.get_state(legacy=False)
    kind = state["bit_generator"]
    gauss = {
        f"{prefix}_has_gauss": np.array(state["has_gauss"], dtype=np.int64),
        f"{prefix}_cached_gaussian": np.array(state["gauss"], dtype=np.float64),
    }
    if kind == "PCG64":
        words = []
        for part in (state["state"]["state"], state["state"]["inc"]):
            words += [part >> 64, part & _U64]
        words += [state["has_uint32"], state["uinteger"]]
        return {f"{prefix}_pcg64": np.array(words, dtype=np.uint64), **gauss}
    if kind != "MT19937":
        raise TypeError(f"rng_state_to_arrays: unsupported bit generator {kind}")
    return {
        f"{prefix}_keys": np.array(state["state"]["key"], dtype=np.uint32),
        f"{prefix}_pos": np.array(state["state"]["pos"], dtype=np.int64),
        **gauss,
    }


_U64 = (1 << 64) - 1


def rng_state_from_arrays(arrays: Mapping[str, np.ndarray], prefix: str = "rng") -> np.random.RandomState:
    """Rebuild the ``RandomState`` saved by :func:`rng_state_to_arrays`.

    The result continues the exact same stream of numbers: a
    ``numpy.random.RandomState`` for an MT19937 state (what every checkpoint
    written before the native streams moved to PCG64 holds), a
    :class:`framework.random.RandomState` for a PCG64 one. Raises
    :class:`CheckpointError` if the arrays are missing or malformed.
    """
    pcg = f"{prefix}_pcg64"
    names = [f"{prefix}_{part}" for part in ("keys", "pos", "has_gauss", "cached_gaussian")]
    if pcg in arrays:
        names = [pcg] + names[2:]
    missing = [name for name in names if name not in arrays]
    if missing:
        raise CheckpointError(f"random state '{prefix}' is incomplete: missing {', '.join(missing)}")
    keys = np.asarray(arrays[names[0]])
    if pcg in arrays:
        if keys.shape != (6,) or keys.dtype != np.uint64 or int(keys[4]) not in (0, 1) or int(keys[5]) > 0xFFFFFFFF:
            raise CheckpointError(
                f"random state '{prefix}' is malformed: {pcg} must be 6 uint64 words (state, increment, "
                f"has_uint32 in 0..1, uinteger < 2**32), got shape {keys.shape}, dtype {keys.dtype}")
    elif keys.shape != (624,) or keys.dtype != np.uint32:
        raise CheckpointError(
            f"random state '{prefix}' is malformed: {names[0]} has shape {keys.shape} and dtype "
            f"{keys.dtype}, expected (624,) uint32")
    checks = {f"{prefix}_pos": (lambda v: 0 <= v <= 624, "an integer in 0..624", "iu"),
              f"{prefix}_has_gauss": (lambda v: v in (0, 1), "0 or 1", "iu"),
              f"{prefix}_cached_gaussian": (math.isfinite, "a finite number", "iuf")}
    scalars = {}
    for name in names[1:]:
        ok, wanted, kinds = checks[name]
        value = np.asarray(arrays[name])
        if value.shape != () or value.dtype.kind not in kinds or not ok(value.item()):
            raise CheckpointError(f"random state '{prefix}' is malformed: {name} must be {wanted}, "
                                  f"got {value.tolist()!r}")
        scalars[name] = value.item()
    has_gauss, gauss = int(scalars[names[-2]]), float(scalars[names[-1]])
    if pcg in arrays:
        from ..random import RandomState

        w = [int(x) for x in keys]
        state: Any = {"bit_generator": "PCG64",
                      "state": {"state": w[0] << 64 | w[1], "inc": w[2] << 64 | w[3]},
                      "has_uint32": w[4], "uinteger": w[5], "has_gauss": has_gauss, "gauss": gauss}
        rng = RandomState(np.random.PCG64(0))
    else:
        state = ("MT19937", keys, int(scalars[names[1]]), has_gauss, gauss)
        rng = np.random.RandomState()
    try:
        rng.set_state(state)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"random state '{prefix}' is malformed: {exc}") from None
    return rng


def _is_count(v: Any, low: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= low


def _is_number_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)


_TRAINING_FIELDS = (
    # (field, check, what it must be): checked in order, so later checks may use earlier fields
    ("family", lambda v, m: isinstance(v, str) and bool(v), "a model family name"),
    ("epoch", lambda v, m: _is_count(v, 0), "a number of epochs done (an integer >= 0)"),
    ("epochs", lambda v, m: _is_count(v, 0) and v >= m["epoch"], "the run's epochs (an integer >= epoch)"),
    ("n_batches", lambda v, m: _is_count(v, 1), "minibatches per epoch (an integer >= 1)"),
    ("costs", lambda v, m: _is_number_list(v) and len(v) >= m["epoch"], "one number per epoch done"),
    ("extra", lambda v, m: isinstance(v, dict) and all(_is_number_list(x) for x in v.values()),
     "a mapping of tag -> one number per epoch"),
    ("hparams", lambda v, m: isinstance(v, dict), "a mapping of hyper-parameters"),
    ("state", lambda v, m: isinstance(v, dict) and all(x in ("rng", "tensor") for x in v.values()),
     "a mapping of state name -> 'rng' or 'tensor'"),
)


def check_training_meta(meta: Mapping[str, Any], path: PathLike) -> None:
    """Check that every field of a training checkpoint's metadata is in range.

    The checksum only proves the file is what was written; a hand-made file
    with a valid checksum (``epoch = -5``) must still be refused before it is
    trained on or overwritten. Raises :class:`CheckpointError` naming the file,
    the field and the value."""
    for key, ok, wanted in _TRAINING_FIELDS:
        if key not in meta:
            raise CheckpointError(f"checkpoint {os.fspath(path)} is not a training checkpoint: no {key!r} "
                                  "in its metadata")
        if not ok(meta[key], meta):
            raise CheckpointError(f"checkpoint {os.fspath(path)}: {key} must be {wanted}, "
                                  f"got {meta[key]!r:.80}")
    events = meta.get("events")
    if events is not None and not (isinstance(events, dict) and isinstance(events.get("file"), str)
                                   and os.path.basename(events["file"]) == events["file"]
                                   and _is_count(events.get("bytes"), 0)):
        raise CheckpointError(f"checkpoint {os.fspath(path)}: events must name an event file of the run "
                              f"and its size, got {events!r:.80}")

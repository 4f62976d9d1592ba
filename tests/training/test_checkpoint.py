"""framework.training.checkpoint: atomic, pickle-free, checksummed checkpoints."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from framework.training.checkpoint import (
    CheckpointError,
    atomic_write_bytes,
    check_compatible,
    load_checkpoint,
    rng_state_from_arrays,
    rng_state_to_arrays,
    save_checkpoint,
    save_png,
)


def _arrays():
    rng = np.random.RandomState(0)
    return {
        "W": rng.randn(6, 4).astype(np.float32),
        "hbias": np.zeros(4),
        "chain": rng.rand(3, 6) > 0.5,
        "epoch_costs": np.array([-1.5, -1.2], dtype=np.float64),
        "scalar": np.array(7, dtype=np.int64),
        "empty": np.zeros((0, 3)),
        "fortran": np.asfortranarray(rng.randn(3, 5)),
    }


META = {"epoch": 3, "hparams": {"n_hidden": 4, "lr": 0.1, "k": 15, "persistent": True,
                                "dataset": "digits", "shape": (8, 8)}}


def test_round_trip(tmp_path):
    path = tmp_path / "checkpoint.npz"
    arrays = _arrays()
    save_checkpoint(path, arrays, {**META, "np_scalar": np.float32(0.5), "np_int": np.int64(2)})
    loaded, meta = load_checkpoint(path)
    assert set(loaded) == set(arrays)
    for name, value in arrays.items():
        assert loaded[name].dtype == value.dtype
        assert loaded[name].shape == value.shape
        np.testing.assert_array_equal(loaded[name], value)
    assert meta["epoch"] == 3
    assert meta["hparams"]["shape"] == [8, 8]  # JSON: tuples come back as lists
    assert meta["np_scalar"] == 0.5 and meta["np_int"] == 2


def test_no_pickle_in_the_file(tmp_path):
    path = tmp_path / "c.npz"
    save_checkpoint(path, _arrays(), META)
    # Every member loads with pickle disabled, and the reserved entries are there.
    with np.load(path, allow_pickle=False) as archive:
        names = set(archive.files)
        for name in archive.files:
            assert not archive[name].dtype.hasobject
    assert {"__format__", "__meta__", "__checksum__"} <= names
    with np.load(path, allow_pickle=False) as archive:
        assert json.loads(archive["__meta__"].tobytes())["epoch"] == 3


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist") as info:
        load_checkpoint(tmp_path / "nope.npz")
    assert "nope.npz" in str(info.value)


def test_truncated_file(tmp_path):
    path = tmp_path / "c.npz"
    save_checkpoint(path, _arrays(), META)
    data = path.read_bytes()
    for size in (0, 10, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:size])
        with pytest.raises(CheckpointError, match="c.npz"):
            load_checkpoint(path)


def test_flipped_bytes_are_detected_or_harmless(tmp_path):
    path = tmp_path / "c.npz"
    arrays = _arrays()
    save_checkpoint(path, arrays, META)
    data = path.read_bytes()
    detected = 0
    for position in range(0, len(data), max(1, len(data) // 200)):
        damaged = bytearray(data)
        damaged[position] ^= 0xFF
        path.write_bytes(bytes(damaged))
        try:
            loaded, meta = load_checkpoint(path)
        except CheckpointError as exc:
            assert "c.npz" in str(exc)
            detected += 1
            continue
        # Some zip header bytes (timestamps, ...) do not matter: then the
        # content must be exactly what was saved.
        assert meta == json.loads(json.dumps(META))
        for name in arrays:
            np.testing.assert_array_equal(loaded[name], arrays[name])
    assert detected > 0


def test_bad_checksum(tmp_path):
    path = tmp_path / "c.npz"
    save_checkpoint(path, {"W": np.ones(3)}, META)
    with np.load(path, allow_pickle=False) as archive:
        entries = {name: archive[name] for name in archive.files}
    entries["W"] = entries["W"] * 2  # consistent zip, wrong content
    np.savez(path, **entries)
    with pytest.raises(CheckpointError, match="checksum") as info:
        load_checkpoint(path)
    assert "c.npz" in str(info.value)


def test_unknown_format_version(tmp_path):
    path = tmp_path / "c.npz"
    save_checkpoint(path, {"W": np.ones(3)}, META)
    with np.load(path, allow_pickle=False) as archive:
        entries = {name: archive[name] for name in archive.files}
    entries["__format__"] = np.array(99)
    np.savez(path, **entries)
    with pytest.raises(CheckpointError, match="format version 99"):
        load_checkpoint(path)


def test_not_a_checkpoint(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, W=np.ones(2))
    with pytest.raises(CheckpointError, match="not a framework checkpoint"):
        load_checkpoint(path)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a zip file at all" * 10)
    with pytest.raises(CheckpointError, match="garbage.npz"):
        load_checkpoint(garbage)
    with pytest.raises(CheckpointError, match="directory"):
        load_checkpoint(tmp_path)


def test_bad_input_to_save(tmp_path):
    path = tmp_path / "c.npz"
    with pytest.raises(CheckpointError, match="__format__"):
        save_checkpoint(path, {"__format__": np.ones(1)}, {})
    with pytest.raises(CheckpointError, match="object"):
        save_checkpoint(path, {"x": np.array([object()])}, {})
    with pytest.raises(CheckpointError, match="JSON"):
        save_checkpoint(path, {"x": np.ones(1)}, {"bad": object()})
    assert not path.exists()


def test_crash_during_replace_keeps_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    save_checkpoint(path, {"W": np.zeros(3)}, {"epoch": 1})

    def crash(src, dst):
        raise OSError("simulated crash")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        save_checkpoint(path, {"W": np.ones(3)}, {"epoch": 2})
    monkeypatch.undo()
    arrays, meta = load_checkpoint(path)
    assert meta["epoch"] == 1
    np.testing.assert_array_equal(arrays["W"], np.zeros(3))
    assert sorted(os.listdir(tmp_path)) == ["c.npz"]  # no temporary files left


def test_crash_during_fsync_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "filters.png"
    atomic_write_bytes(path, b"old")

    def crash(fd):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk on fire"):
        atomic_write_bytes(path, b"new contents")
    monkeypatch.undo()
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["filters.png"]


def test_killed_writer_never_leaves_a_broken_checkpoint(tmp_path):
    # A process saving checkpoints in a loop is killed at a random moment;
    # what is at the path must still load and be one of the saved versions.
    path = tmp_path / "c.npz"
    script = textwrap.dedent(f"""
        import sys, numpy as np
        from framework.training.checkpoint import save_checkpoint
        big = np.random.RandomState(0).rand(400, 500)
        i = 0
        while True:
            save_checkpoint({str(path)!r}, {{"W": big + i}}, {{"i": i}})
            if i == 0:
                print("saved", flush=True)
            i += 1
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env) as proc:
        try:
            assert proc.stdout.readline().strip() == b"saved"
            time.sleep(0.7)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    arrays, meta = load_checkpoint(path)
    base = np.random.RandomState(0).rand(400, 500)
    np.testing.assert_array_equal(arrays["W"], base + meta["i"])


def test_new_file_permissions_follow_umask(tmp_path):
    path = tmp_path / "x.bin"
    atomic_write_bytes(path, b"abc")
    umask = os.umask(0)
    os.umask(umask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~umask)


def test_atomic_write_creates_parent_directories(tmp_path):
    path = tmp_path / "runs" / "a" / "x.bin"
    atomic_write_bytes(path, b"abc")
    assert path.read_bytes() == b"abc"


def test_check_compatible_lists_every_mismatch():
    meta = {"n_hidden": 500, "lr": 0.1, "k": 15, "shape": [8, 8]}
    check_compatible(meta, {"n_hidden": 500, "lr": 0.1, "shape": (8, 8)})  # tuple == list
    with pytest.raises(CheckpointError) as info:
        check_compatible(meta, {"n_hidden": 64, "k": 1, "seed": 3}, path="runs/x/checkpoint.npz")
    message = str(info.value)
    assert "checkpoint has n_hidden=500, this run asks for 64" in message
    assert "checkpoint has k=15, this run asks for 1" in message
    assert "checkpoint has no seed" in message
    assert "runs/x/checkpoint.npz" in message


def test_random_state_round_trips_exactly(tmp_path):
    rng = np.random.RandomState(1234)
    rng.rand(17)
    rng.standard_normal()  # leaves a cached Gaussian in the state
    path = tmp_path / "c.npz"
    save_checkpoint(path, {**rng_state_to_arrays(rng), **rng_state_to_arrays(np.random.RandomState(5), "chain_rng")}, {})
    arrays, _ = load_checkpoint(path)
    restored = rng_state_from_arrays(arrays)
    np.testing.assert_array_equal(restored.standard_normal(5), rng.standard_normal(5))
    np.testing.assert_array_equal(restored.rand(100), rng.rand(100))
    np.testing.assert_array_equal(rng_state_from_arrays(arrays, "chain_rng").rand(3),
                                  np.random.RandomState(5).rand(3))


def test_random_state_errors():
    with pytest.raises(CheckpointError, match="missing rng_keys"):
        rng_state_from_arrays({})
    arrays = rng_state_to_arrays(np.random.RandomState(0))
    arrays["rng_keys"] = arrays["rng_keys"][:10]
    with pytest.raises(CheckpointError, match="malformed"):
        rng_state_from_arrays(arrays)
    with pytest.raises(TypeError):
        rng_state_to_arrays(np.random.default_rng(0))


@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 3), (5, 7, 4), (5, 7, 1)])
def test_save_png_round_trip(tmp_path, shape):
    from PIL import Image

    image = np.random.RandomState(0).randint(0, 256, size=shape).astype(np.uint8)
    path = tmp_path / "filters_at_epoch_0.png"
    save_png(path, image)
    with Image.open(path) as png:
        assert png.format == "PNG"
        back = np.asarray(png)
    np.testing.assert_array_equal(back, image.reshape(back.shape))
    assert os.listdir(tmp_path) == ["filters_at_epoch_0.png"]


def test_save_png_rejects_bad_images(tmp_path):
    with pytest.raises(TypeError, match="uint8"):
        save_png(tmp_path / "a.png", np.zeros((3, 3)))
    with pytest.raises(ValueError, match="shape"):
        save_png(tmp_path / "a.png", np.zeros((3, 3, 2), np.uint8))
    assert not (tmp_path / "a.png").exists()

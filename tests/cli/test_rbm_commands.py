"""`framework train rbm` and `framework sample rbm`, end to end, in temporary directories."""
import os
import pickle
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import framework
from framework.training.checkpoint import load_checkpoint

from .conftest import SCRIPT, png_size, read_events, run_script, steps

SMALL = ["--hidden", "8", "--k", "2", "--batch-size", "10", "--n-chains", "5", "--n-samples", "2",
         "--plot-every", "5", "--dtype", "float64"]


@pytest.fixture
def bas_npz(tmp_path):
    """4x4 bars and stripes: 200 training patterns (20 minibatches of 10), every pattern as test set."""
    data = framework.datasets.load("bars_and_stripes", n_side=4, n_samples=200, seed=1)
    path = tmp_path / "bas.npz"
    np.savez(path, train_x=data.train[0], test_x=data.test[0])
    return path


def test_train_rbm_logs_everything(run, tmp_path, bas_npz):
    logdir = tmp_path / "rbm"
    status, out, err = run("train", "rbm", "--dataset", bas_npz, "--epochs", "3", "--logdir", logdir, *SMALL)
    assert status == 0, err
    assert "training a 16x8 RBM with PCD-2" in out
    assert "test log-likelihood:" in out and "(exact)" in out
    assert "epoch 3/3: done 20/20" in err and err.count("\n") == 3  # one line per epoch (not a terminal)
    assert "nothing new was trained" not in out
    assert "outputs in " in out and "filters_at_epoch_0.png .. filters_at_epoch_2.png" in out
    assert "samples.png" in out and "checkpoint.npz" in out and "events.out.tfevents." in out
    assert f"--logdir {logdir}" in out

    events = read_events(logdir)
    tags = events.Tags()
    assert steps(events, "rbm/pseudo_log_likelihood") == [0, 1, 2]
    assert steps(events, "rbm/pseudo_log_likelihood_running_mean") == list(range(60))
    assert steps(events, "rbm/test_log_likelihood") == [0, 1, 2]
    assert "higher is better" in events.SummaryMetadata("rbm/pseudo_log_likelihood").summary_description
    assert "nats" in events.SummaryMetadata("rbm/test_log_likelihood").summary_description
    assert "train/cost" not in tags["scalars"]
    assert set(tags["histograms"]) == {"params/W", "params/hbias", "params/vbias"}
    assert all(len(events.Histograms(tag)) == 3 for tag in tags["histograms"])
    assert events.Histograms("params/W")[0].histogram_value.num == 16 * 8
    filters = events.Images("filters")
    assert [image.step for image in filters] == [0, 1, 2]
    assert (filters[0].width, filters[0].height > 14 * 28) == (14 * 28, True)  # 8 filters of 4x4 in a 3x3 grid, x28, captioned
    samples = events.Images("samples")
    assert len(samples) == 1 and (samples[0].width, samples[0].height) == (24 * 16, 11 * 16)
    assert any(node.op == "fused" and "program" in node.attr for node in events.Graph().node)
    assert "debugprint/text_summary" in tags["tensors"]
    text = events.Tensors("debugprint/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "gibbs_hvh" in text or "scan" in text.lower()
    assert {"hparam/final_cost", "hparam/test_log_likelihood"} <= set(tags["scalars"])
    start = events.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    assert b"n_hidden" in start and b"persistent" in start and b"bas.npz" not in start  # the ones that matter

    for epoch in range(3):
        assert png_size(logdir / f"filters_at_epoch_{epoch}.png") == (14 * 28, 14 * 28)
    assert png_size(logdir / "samples.png") == (24 * 16, 11 * 16)
    arrays, meta = load_checkpoint(logdir / "checkpoint.npz")
    assert meta["epoch"] == 3 and meta["family"] == "rbm" and len(meta["costs"]) == 3
    assert {"W", "hbias", "vbias", "persistent_chain", "bit_i_idx"} <= set(arrays)
    assert arrays["persistent_chain"].shape == (10, 8)
    assert int(arrays["bit_i_idx"]) == 60 % 16
    # the RBM's random states (native streams: PCG64, stored as rng_<name>_pcg64 &c.)
    assert any(name.startswith("rng_") and name.endswith("_pcg64") for name in arrays)
    assert meta["hparams"]["n_hidden"] == 8 and meta["hparams"]["persistent"] is True


def test_rbm_resume_gives_the_uninterrupted_result(run, tmp_path, bas_npz):
    full, part = tmp_path / "full", tmp_path / "part"
    assert run("train", "rbm", "--dataset", bas_npz, "--epochs", "3", "--logdir", full, *SMALL)[0] == 0
    assert run("train", "rbm", "--dataset", bas_npz, "--epochs", "1", "--logdir", part, *SMALL)[0] == 0
    status, out, err = run("train", "rbm", "--dataset", bas_npz, "--epochs", "3", "--logdir", part, "--resume",
                           *SMALL)
    assert status == 0, err
    assert "1 of 3 epochs done" in out
    a, meta_a = load_checkpoint(full / "checkpoint.npz")
    b, meta_b = load_checkpoint(part / "checkpoint.npz")
    assert set(a) == set(b)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert meta_a["costs"] == meta_b["costs"]
    # the samples drawn after training are the same too
    assert (full / "samples.png").read_bytes() == (part / "samples.png").read_bytes()
    events = read_events(part)
    assert steps(events, "rbm/pseudo_log_likelihood") == [0, 1, 2]
    assert len(steps(events, "rbm/pseudo_log_likelihood_running_mean")) == 60


def test_cd_and_gaussian_variants(run, tmp_path, bas_npz):
    status, out, err = run("train", "rbm", "--dataset", bas_npz, "--epochs", "1", "--no-persistent",
                           "--logdir", tmp_path / "cd", *SMALL)
    assert status == 0, err
    assert "with CD-2" in out
    assert "rbm/reconstruction_xent" in read_events(tmp_path / "cd").Tags()["scalars"]
    arrays, meta = load_checkpoint(tmp_path / "cd" / "checkpoint.npz")
    assert "persistent_chain" not in arrays and "bit_i_idx" not in arrays
    # CD monitors the reconstruction cross-entropy: negative, above -16 * log(2) per example at worst-ish
    assert -16 * np.log(2) * 3 < meta["costs"][0] < 0
    status, out, err = run("train", "rbm", "--dataset", bas_npz, "--epochs", "2", "--visible", "gaussian",
                           "--lr", "0.01", "--logdir", tmp_path / "gauss", *SMALL)
    assert status == 0, err
    assert "Gaussian-Bernoulli RBM" in out and "(exact)" in out
    arrays, meta = load_checkpoint(tmp_path / "gauss" / "checkpoint.npz")
    assert {"data_mean", "data_std"} <= set(arrays)
    assert meta["costs"][1] < meta["costs"][0]  # the reconstruction error falls


def test_sample_command_draws_from_a_trained_run(run, tmp_path, bas_npz):
    logdir = tmp_path / "rbm"
    assert run("train", "rbm", "--dataset", bas_npz, "--epochs", "1", "--logdir", logdir, *SMALL)[0] == 0
    before = (logdir / "checkpoint.npz").read_bytes()
    status, out, err = run("sample", "rbm", "--logdir", logdir, "--n-chains", "6", "--n-samples", "3",
                           "--plot-every", "7")
    assert status == 0, err
    assert "sampled 6 chains x 3 samples" in out
    assert png_size(logdir / "samples.png") == (((4 + 1) * 6 - 1) * 13, ((4 + 1) * 3 + 1) * 13)  # upscaled x13
    assert (logdir / "checkpoint.npz").read_bytes() == before  # sampling never touches the checkpoint
    assert len(read_events(logdir).Images("samples")) == 2
    status, _, err = run("sample", "rbm", "--logdir", tmp_path / "nothing")
    assert status == 1 and "is not a directory" in err
    (tmp_path / "empty").mkdir()
    status, _, err = run("sample", "rbm", "--logdir", tmp_path / "empty")
    assert status == 1 and "does not exist" in err


def test_train_rbm_defaults_are_the_digits_tutorial(run, tmp_path):
    logdir = tmp_path / "digits"
    status, out, err = run("train", "rbm", "--epochs", "1", "--n-samples", "1", "--plot-every", "10",
                           "--ais-runs", "10", "--ais-betas", "50", "--logdir", logdir)
    assert status == 0, err
    assert "training a 64x100 RBM with PCD-15 on digits (1197 examples, 59 minibatches of 20)" in out
    assert "(AIS, 10 runs)" in out
    _, meta = load_checkpoint(logdir / "checkpoint.npz")
    hp = meta["hparams"]
    assert (hp["dataset"], hp["n_hidden"], hp["k"], hp["lr"], hp["batch_size"], hp["dtype"]) == \
        ("digits", 100, 15, 0.1, 20, "float32")
    assert png_size(logdir / "filters_at_epoch_0.png") == (89 * 4, 89 * 4)  # 100 filters of 8x8, upscaled x4
    assert png_size(logdir / "samples.png") == (179 * 2, 10 * 2)


@pytest.mark.slow
def test_train_rbm_with_no_options_finishes_in_under_a_minute(tmp_path):
    started = time.perf_counter()
    proc = run_script("train", "rbm", cwd=tmp_path, timeout=600)
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "runs" / "rbm" / "samples.png").exists()
    assert (tmp_path / "runs" / "rbm" / "filters_at_epoch_14.png").exists()
    print(f"framework train rbm (defaults) took {elapsed:.1f} s")


def test_kill_mid_epoch_then_resume_loses_nothing(tmp_path):
    """A run killed with SIGKILL in the middle of an epoch resumes to the uninterrupted result."""
    data = framework.datasets.load("bars_and_stripes", n_side=5, n_samples=4000, seed=2)
    npz = tmp_path / "bas5.npz"
    np.savez(npz, train_x=data.train[0], test_x=data.test[0][:40])
    options = ["--dataset", str(npz), "--epochs", "4", "--hidden", "30", "--k", "5", "--batch-size", "10",
               "--n-samples", "1", "--plot-every", "3", "--ais-runs", "0", "--dtype", "float64"]
    reference = tmp_path / "reference"
    proc = run_script("train", "rbm", *options, "--logdir", str(reference))
    assert proc.returncode == 0, proc.stderr

    logdir = tmp_path / "killed"
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "framework.cli"]
    child = subprocess.Popen(command + ["train", "rbm", *options, "--logdir", str(logdir)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    checkpoint = logdir / "checkpoint.npz"
    deadline = time.monotonic() + 300
    try:
        # Wait for the first checkpoint, then for the next epoch to be under way (not a terminal:
        # the progress shows one line per finished epoch, so wait a third of the first epoch's time).
        started = time.monotonic()
        while not checkpoint.exists():
            assert child.poll() is None, child.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep((time.monotonic() - started) / 3)
        assert child.poll() is None, "the run finished before it could be killed"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        child.stderr.close()
    arrays, meta = load_checkpoint(checkpoint)  # what was saved is intact
    assert 1 <= meta["epoch"] < 4
    for epoch in range(meta["epoch"]):
        png_size(logdir / f"filters_at_epoch_{epoch}.png")
    assert not (logdir / "samples.png").exists()

    proc = run_script("train", "rbm", *options, "--logdir", str(logdir), "--resume")
    assert proc.returncode == 0, proc.stderr
    assert f"{meta['epoch']} of 4 epochs done" in proc.stdout
    final, final_meta = load_checkpoint(checkpoint)
    expected, expected_meta = load_checkpoint(reference / "checkpoint.npz")
    for name in expected:
        np.testing.assert_array_equal(final[name], expected[name], err_msg=name)
    assert final_meta["costs"] == expected_meta["costs"]
    events = read_events(logdir)
    costs = events.Scalars("rbm/pseudo_log_likelihood")
    assert sorted({e.step for e in costs}) == [0, 1, 2, 3]
    assert {e.step: e.value for e in costs} == {i: pytest.approx(c, rel=1e-6)
                                                for i, c in enumerate(expected_meta["costs"])}
    assert sorted({e.step for e in events.Scalars("rbm/pseudo_log_likelihood_running_mean")}) == list(range(4 * 400))
    # one event file per run segment: the killed run's (readable up to the kill) and the resumed run's
    assert len([name for name in os.listdir(logdir) if "tfevents" in name]) == 2


def test_rbm_data_problems_are_clear_errors(run, tmp_path):
    status, _, err = run("train", "rbm", "--dataset", tmp_path / "mnist.pkl.gz", "--logdir", tmp_path / "a")
    assert status == 1 and "MNIST file not found" in err and "Traceback" not in err

    class Boom:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'pwned'}",))

    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps(((Boom(), None), None, None)))
    status, _, err = run("train", "rbm", "--dataset", evil, "--logdir", tmp_path / "b")
    assert status == 1 and "rejected" in err and "posix.system" in err
    assert not (tmp_path / "pwned").exists()

    (tmp_path / "bad.npz").write_bytes(b"not a zip file")
    status, _, err = run("train", "rbm", "--dataset", tmp_path / "bad.npz", "--logdir", tmp_path / "c")
    assert status == 1 and "bad.npz" in err and "Traceback" not in err

    np.savez(tmp_path / "tiny.npz", train_x=np.zeros((5, 4)))
    status, _, err = run("train", "rbm", "--dataset", tmp_path / "tiny.npz", "--logdir", tmp_path / "d")
    assert status == 1 and "--batch-size 20 is larger than the 5 training examples" in err


def test_rbm_checkpoint_problems_are_clear_errors(run, tmp_path, bas_npz):
    logdir = tmp_path / "rbm"
    assert run("train", "rbm", "--dataset", bas_npz, "--epochs", "1", "--logdir", logdir, *SMALL)[0] == 0
    status, _, err = run("train", "rbm", "--dataset", bas_npz, "--epochs", "2", "--logdir", logdir, "--resume",
                         *SMALL[:-2])  # float32 instead of the checkpoint's float64
    assert status == 1 and "dtype='float64', this run asks for 'float32'" in err
    status, _, err = run("train", "rbm", "--dataset", bas_npz, "--epochs", "2", "--logdir", logdir, "--resume",
                         "--hidden", "9", *SMALL[2:])
    assert status == 1 and "n_hidden=8, this run asks for 9" in err
    (logdir / "checkpoint.npz").write_bytes((logdir / "checkpoint.npz").read_bytes()[:100])
    status, _, err = run("train", "rbm", "--dataset", bas_npz, "--epochs", "2", "--logdir", logdir, "--resume",
                         *SMALL)
    assert status == 1 and "truncated or corrupt" in err
    status, _, err = run("sample", "rbm", "--logdir", logdir)
    assert status == 1 and "truncated or corrupt" in err


def test_unavailable_device_is_a_clear_error(run, tmp_path):
    try:
        framework.core.backend.get_backend("cuda")
        pytest.skip("a CUDA device is available here")
    except Exception:
        pass
    status, _, err = run("train", "rbm", "--device", "cuda", "--logdir", tmp_path / "x")
    assert status == 1 and "'cuda'" in err and "Traceback" not in err


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path):
    data = framework.datasets.load("bars_and_stripes", n_side=5, n_samples=4000, seed=2)
    npz = tmp_path / "bas5.npz"
    np.savez(npz, train_x=data.train[0], test_x=data.test[0][:40])
    logdir = tmp_path / "run"
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "framework.cli"]
    child = subprocess.Popen(command + ["train", "rbm", "--dataset", str(npz), "--epochs", "50", "--hidden", "30",
                                        "--k", "5", "--batch-size", "10", "--logdir", str(logdir)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    try:
        while not (logdir / "checkpoint.npz").exists():
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=120)
    finally:
        child.kill()
    assert child.returncode == 130
    assert "interrupted; continue from the last checkpoint with --resume --logdir" in err
    assert "Traceback" not in err
    assert load_checkpoint(logdir / "checkpoint.npz")[1]["epoch"] >= 1

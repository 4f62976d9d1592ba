"""`framework train linear|logistic`, `framework plugins`, and the command's error handling."""
import numpy as np
import pytest

from framework.training.checkpoint import load_checkpoint, save_checkpoint

from .conftest import REPO_ROOT, png_size, read_events, run_script, steps


def test_train_linear_runs_the_seed_lab_and_logs_everything(run, tmp_path):
    logdir = tmp_path / "linear"
    status, out, err = run("train", "linear", "--logdir", logdir)
    assert status == 0, err
    assert "w = 2.004861" in out and "b = 0.985708" in out
    events = read_events(logdir)
    tags = events.Tags()
    assert steps(events, "linear/loss") == list(range(1000))
    assert "linear/loss_running_mean" not in tags["scalars"]  # one minibatch an epoch: the epoch's point says it all
    assert "outputs in " in out and "checkpoint.npz" in out and f"--logdir {logdir}" in out
    assert {"params/W", "params/b"} == set(tags["histograms"])
    assert len(events.Histograms("params/W")) == 1000
    assert "debugprint/text_summary" in tags["tensors"]
    assert "hparam/final_cost" in tags["scalars"] and "hparam/mse" in tags["scalars"]
    assert "_hparams_/session_start_info" in events.PluginTagToContent("hparams")
    arrays, meta = load_checkpoint(logdir / "checkpoint.npz")
    assert meta["epoch"] == 1000 and meta["family"] == "linear"
    assert float(arrays["W"]) == pytest.approx(2.004861, abs=1e-6)


def test_train_linear_hw1_data_from_npz(run, tmp_path):
    data = tmp_path / "hw1.npz"
    np.savez(data, x=np.array([0.0, 1.0, 2.0, 3.0]), y=np.array([1.0, 2.0, 4.0, 7.0]))
    status, out, err = run("train", "linear", "--data", data, "--lr", "0.1", "--logdir", tmp_path / "hw1")
    assert status == 0, err
    arrays, _ = load_checkpoint(tmp_path / "hw1" / "checkpoint.npz")
    assert float(arrays["W"]) == pytest.approx(2.0, abs=1e-12)
    assert float(arrays["b"]) == pytest.approx(0.5, abs=1e-12)


def test_train_logistic_on_digits(run, tmp_path):
    logdir = tmp_path / "logistic"
    status, out, err = run("train", "logistic", "--epochs", "2", "--logdir", logdir)
    assert status == 0, err
    assert "10-class logistic regression on digits" in out
    # not a terminal: one summary line per epoch
    assert [line.split(":")[0] for line in err.splitlines()] == ["epoch 1/2", "epoch 2/2"]
    assert "epoch 2/2: done 59/59" in err and "nll=" in err
    events = read_events(logdir)
    assert steps(events, "logistic/nll") == [0, 1]
    assert steps(events, "logistic/valid_error") == [0, 1]
    assert events.Scalars("logistic/valid_error")[-1].value < 0.2
    assert len(steps(events, "logistic/nll_running_mean")) == 2 * 59
    assert "validation" in events.SummaryMetadata("logistic/valid_error").summary_description
    images = events.Images("filters")
    assert len(images) == 2 and images[0].width == (10 * 9 - 1) * 4 and images[0].height > 8 * 4  # captioned
    assert png_size(logdir / "filters_at_epoch_1.png") == (89 * 4, 8 * 4)


def test_logistic_resume_equals_an_uninterrupted_run(run, tmp_path):
    full, part = tmp_path / "full", tmp_path / "part"
    assert run("train", "logistic", "--epochs", "3", "--logdir", full)[0] == 0
    assert run("train", "logistic", "--epochs", "1", "--logdir", part)[0] == 0
    status, out, err = run("train", "logistic", "--epochs", "3", "--logdir", part, "--resume")
    assert status == 0, err
    assert "resuming logistic" in out and "1 of 3 epochs done" in out
    a, meta_a = load_checkpoint(full / "checkpoint.npz")
    b, meta_b = load_checkpoint(part / "checkpoint.npz")
    np.testing.assert_array_equal(a["W"], b["W"])
    np.testing.assert_array_equal(a["b"], b["b"])
    assert meta_a["costs"] == meta_b["costs"]
    events = read_events(part)
    assert steps(events, "logistic/nll") == [0, 1, 2]
    assert len(events.Images("filters")) == 3


def test_an_existing_run_is_never_overwritten_by_accident(run, tmp_path):
    logdir = tmp_path / "run"
    assert run("train", "linear", "--epochs", "5", "--logdir", logdir)[0] == 0
    before = (logdir / "checkpoint.npz").read_bytes()
    status, out, err = run("train", "linear", "--epochs", "5", "--logdir", logdir)
    assert status == 1
    assert "already holds a training run" in err and "--resume" in err and "Traceback" not in err
    assert (logdir / "checkpoint.npz").read_bytes() == before
    status, out, err = run("train", "linear", "--epochs", "7", "--logdir", logdir, "--overwrite")
    assert status == 0, err
    _, meta = load_checkpoint(logdir / "checkpoint.npz")
    assert meta["epoch"] == 7
    assert steps(read_events(logdir), "linear/loss") == list(range(7))


def test_corrupt_and_mismatched_checkpoints_are_clear_errors(run, tmp_path):
    logdir = tmp_path / "run"
    assert run("train", "linear", "--epochs", "3", "--logdir", logdir)[0] == 0
    status, _, err = run("train", "linear", "--epochs", "4", "--lr", "0.5", "--logdir", logdir, "--resume")
    assert status == 1 and "does not match this run's settings" in err and "lr=0.01" in err
    status, _, err = run("train", "logistic", "--epochs", "4", "--logdir", logdir, "--resume")
    assert status == 1 and "model family 'linear', not 'logistic'" in err
    checkpoint = logdir / "checkpoint.npz"
    data = bytearray(checkpoint.read_bytes())
    data[len(data) // 2] ^= 0xFF
    checkpoint.write_bytes(bytes(data))
    status, _, err = run("train", "linear", "--epochs", "4", "--logdir", logdir, "--resume")
    assert status == 1 and "corrupt" in err and "Traceback" not in err
    checkpoint.write_bytes(b"garbage")
    status, _, err = run("train", "linear", "--epochs", "4", "--logdir", logdir, "--resume")
    assert status == 1 and "truncated or corrupt" in err


def test_checkpoint_with_wrong_shapes_is_refused(run, tmp_path):
    logdir = tmp_path / "run"
    assert run("train", "linear", "--epochs", "2", "--logdir", logdir)[0] == 0
    arrays, meta = load_checkpoint(logdir / "checkpoint.npz")
    arrays["W"] = np.zeros((3, 3))
    save_checkpoint(logdir / "checkpoint.npz", arrays, meta)
    status, _, err = run("train", "linear", "--epochs", "3", "--logdir", logdir, "--resume")
    assert status == 1 and "'W' has shape (3, 3)" in err


@pytest.mark.parametrize("argv, message", [
    (["train", "perceptron"], "unknown model family 'perceptron' for `framework train`: known families are "
                              "lenet, linear, logistic, rbm"),
    (["sample", "linear", "--logdir", "x"], "model family 'linear' has no `framework sample` command"),
    (["train"], "name a model family"),
    (["train", "linear", "--epochs", "-3"], "expected an integer >= 0"),
    (["train", "linear", "--lr", "nan"], "expected a finite number > 0"),
    (["train", "linear", "--device", "tpu"], "unknown device 'tpu'"),
    (["train", "linear", "--device", "c p u"], "config.device must look like"),
    (["train", "linear", "--data", "missing.npz"], "--data: file not found: missing.npz"),
    (["train", "logistic", "--dataset", "missing.npz"], "dataset file not found: missing.npz"),
    (["train", "logistic", "--dataset", "digitz"], "unknown dataset 'digitz'"),
    (["train", "logistic", "--dataset", "bars_and_stripes"], "needs labels"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_bad_command_lines_print_one_clear_error(run, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(*argv)
    assert status == 1
    assert message in err
    assert "Traceback" not in err and err.count("error:") == 1


def test_help_and_plugins(run):
    status, out, _ = run("--help")
    assert status == 0 and "train" in out and "plugins" in out
    status, out, _ = run("train", "linear", "--help")
    assert status == 0 and "--l2" in out and "(default 1000)" in out
    status, out, _ = run("plugins")
    assert status == 0
    for name in ("linear", "rbm", "backend_numpy"):
        assert name in out
    assert "models: linear, logistic" in out and "datasets: digits, mnist, bars_and_stripes, npz" in out


def test_console_script_error_has_no_traceback(tmp_path):
    proc = run_script("train", "logistic", "--dataset", str(tmp_path / "nothing.pkl.gz"), "--logdir",
                      str(tmp_path / "run"))
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("error: MNIST file not found")
    assert "Traceback" not in proc.stderr
    proc = run_script("train", "logistic", "--dataset", str(tmp_path / "nothing.pkl.gz"), "--traceback")
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "DatasetError: MNIST file not found" in proc.stderr


def test_train_logistic_with_the_rbm_plugin_disabled(tmp_path):
    """The data sets come from their own plugin, not from a model family's."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, FRAMEWORK_DISABLE_PLUGINS="rbm")
    out = subprocess.run([sys.executable, "-m", "framework.cli", "train", "logistic", "--epochs", "1",
                          "--logdir", str(tmp_path / "logistic")], capture_output=True, text=True, env=env,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    assert "10-class logistic regression on digits" in out.stdout


def test_model_plugins_take_their_argument_helpers_from_training():
    from framework import cli
    from framework.training import arguments

    assert cli.add_run_arguments is arguments.add_run_arguments
    paths = sorted((REPO_ROOT / "plugins").glob("*/cli.py"))
    assert len(paths) >= 2
    for path in paths:
        assert "framework.cli" not in path.read_text(), path

"""What `framework train` prints: refusals first, resumes that continue the run, a summary of the outputs."""
import os
import re

import pytest

from framework.training.checkpoint import load_checkpoint

from .conftest import read_events, steps


def test_a_refused_rerun_says_why_before_anything_else(run, tmp_path):
    logdir = tmp_path / "run"
    options = ["--epochs", "1", "--hidden", "4", "--n-samples", "0", "--ais-runs", "0", "--logdir", logdir]
    assert run("train", "rbm", *options)[0] == 0
    status, out, err = run("train", "rbm", *options)
    assert status == 1 and out == ""  # no "training a ..." header before the refusal
    assert err.startswith("error: ") and "already holds a training run" in err


def test_resume_without_epochs_continues_the_run_and_never_counts_backwards(run, tmp_path):
    logdir = tmp_path / "run"
    assert run("train", "logistic", "--epochs", "3", "--logdir", logdir)[0] == 0
    files = sorted(os.listdir(logdir))
    status, out, err = run("train", "logistic", "--resume", "--logdir", logdir)  # default --epochs is 30
    assert status == 0, err
    assert "all 3 epochs already done; nothing to train" in out
    assert sorted(os.listdir(logdir)) == files  # nothing re-logged
    status, out, err = run("train", "logistic", "--resume", "--epochs", "2", "--logdir", logdir)
    assert status == 0, err
    assert "the checkpoint has 3 epochs, more than the 2 asked for" in out
    assert not re.search(r"(?<![\w/.])-\d+ epoch", out)
    status, out, err = run("train", "logistic", "--resume", "--epochs", "4", "--logdir", logdir)
    assert status == 0, err
    assert "3 of 4 epochs done, 1 to go" in out and err.startswith("epoch 4/4: done")
    _, meta = load_checkpoint(logdir / "checkpoint.npz")
    assert meta["epoch"] == 4 and meta["epochs"] == 4 and meta["hparams"]["epochs"] == 4
    assert steps(read_events(logdir), "logistic/nll") == [0, 1, 2, 3]


def test_a_complete_rbm_run_is_not_resampled_or_reevaluated(run, tmp_path):
    logdir = tmp_path / "rbm"
    options = ["--hidden", "4", "--n-samples", "1", "--plot-every", "2", "--ais-runs", "0", "--logdir", logdir]
    assert run("train", "rbm", "--epochs", "2", *options)[0] == 0
    samples = (logdir / "samples.png").read_bytes()
    status, out, err = run("train", "rbm", "--resume", *options)
    assert status == 0, err
    assert "for 2 epochs" in out and "all 2 epochs already done" in out
    assert "nothing new was trained" in out and "sampled " not in out and "test log-likelihood:" not in out
    assert "trained -" not in out
    assert (logdir / "samples.png").read_bytes() == samples
    assert "samples.png" in out and "tensorboard" in out  # the summary still lists the outputs


def test_plugins_shows_an_unavailable_backend_with_its_reason(run, monkeypatch):
    import framework.plugins

    spec = framework.plugins.backends()["cupy"]
    if spec.available():
        pytest.skip("CuPy and a GPU are available here")
    monkeypatch.setattr("shutil.get_terminal_size", lambda fallback=(100, 24): os.terminal_size((60, 24)))
    status, out, _ = run("plugins")
    assert status == 0
    assert "backend_cupy" in out and "loaded; backend unavailable" in out
    assert "cupy (unavailable: CuPy is not installed" in re.sub(r"\s+", " ", out)
    assert all(len(line) <= 60 for line in out.splitlines() if not line.startswith("plugin"))
    rewrites = [line for line in out.splitlines() if line.strip().startswith("rewrites:")]
    assert rewrites and len(rewrites[0]) <= 60  # the long list is wrapped


@pytest.mark.parametrize("family", ["logistic", "linear"])
def test_zero_epochs_says_nothing_was_trained_not_nan(run, tmp_path, family):
    status, out, err = run("train", family, "--epochs", "0", "--logdir", str(tmp_path / family))
    assert status == 0, err
    assert "0 epochs, nothing trained" in out
    assert "nan" not in out.split("outputs in")[0]


def test_final_cost_text():
    from framework.training.arguments import final_cost_text

    assert final_cost_text([3.0, 0.125]) == "final cost 0.125"
    assert final_cost_text([]) == "nothing trained"

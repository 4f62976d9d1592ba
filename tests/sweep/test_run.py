"""Sweeps that run: a local Dask cluster, trials as run directories, summaries, resume, a killed worker."""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys

import pytest

import framework.sweep
from framework import cli
from framework.sweep import SweepError

from .conftest import TINY_RBM, hparams_records, scalar_tags

GRID = {"lr": [0.05, 0.1], "hidden": [4, 8]}
GRID_ARGS = ["--param", "lr=0.05,0.1", "--param", "hidden=4,8"]


@pytest.fixture(scope="module")
def grid_sweep(tmp_path_factory):
    """A 4-trial grid on the digits with 2 local workers, run once for the tests below."""
    logdir = str(tmp_path_factory.mktemp("sweep") / "grid")
    result = framework.sweep.run("rbm", GRID, workers=2, logdir=logdir, train_args=TINY_RBM)
    return logdir, result


def test_grid_with_two_workers_makes_four_complete_runs(grid_sweep):
    logdir, result = grid_sweep
    assert result.ran == 4 and result.metric == "test_log_likelihood"
    names = sorted(t.name for t in result.trials)
    assert names == ["lr=0.05,hidden=4", "lr=0.05,hidden=8", "lr=0.1,hidden=4", "lr=0.1,hidden=8"]
    for trial in result.trials:
        assert trial.state == "complete" and trial.epochs_done == 1, trial
        files = os.listdir(trial.run_dir)
        assert "checkpoint.npz" in files and "filters_at_epoch_0.png" in files
        assert any(f.startswith("events.out.tfevents.") for f in files)
        # exactly one hyper-parameter record, holding the sweep's metric
        assert len(hparams_records(trial.run_dir)) == 1
        assert "hparam/test_log_likelihood" in scalar_tags(trial.run_dir)
    values = [t.value for t in result.trials]
    assert values == sorted(values, reverse=True) and result.best is result.trials[0]


def test_summary_has_a_row_and_the_metric_per_trial(grid_sweep):
    logdir, result = grid_sweep
    with open(os.path.join(logdir, "summary.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4
    assert {r["trial"] for r in rows} == {t.name for t in result.trials}
    for row, trial in zip(rows, result.trials):
        assert float(row["test_log_likelihood"]) == pytest.approx(trial.value)
        assert row["state"] == "complete" and row["lr"] and row["hidden"]
    with open(os.path.join(logdir, "summary.json")) as f:
        summary = json.load(f)
    assert summary["metric"] == "test_log_likelihood" and len(summary["trials"]) == 4


def test_resume_of_a_finished_sweep_runs_nothing(grid_sweep, capsys):
    logdir, result = grid_sweep
    before = {t.name: os.path.getmtime(os.path.join(t.run_dir, "checkpoint.npz")) for t in result.trials}
    status = cli.main(["sweep", "rbm", *GRID_ARGS, "--workers", "2", "--logdir", logdir, "--resume", "--", *TINY_RBM])
    out = capsys.readouterr().out
    assert status == 0
    assert "all 4 trials of the sweep" in out and "0 trial(s) run" in out
    assert "rank" in out and "lr=" not in out.split("rank", 1)[0].splitlines()[-1]
    after = {t.name: os.path.getmtime(os.path.join(t.run_dir, "checkpoint.npz")) for t in result.trials}
    assert after == before


def test_an_existing_sweep_is_not_clobbered(grid_sweep):
    logdir, _ = grid_sweep
    with pytest.raises(SweepError, match="already holds a sweep.*--resume"):
        framework.sweep.run("rbm", GRID, logdir=logdir, train_args=TINY_RBM)
    with pytest.raises(SweepError, match="--resume: the sweep in .* was started with params"):
        framework.sweep.run("rbm", {"lr": [0.5]}, logdir=logdir, resume=True, train_args=TINY_RBM)


@pytest.mark.parametrize("argv, message", [
    (["--param", "lr0.1"], "error: --param 'lr0.1': expected NAME=VALUE[,VALUE...]"),
    (["--param", "lr=0.1", "--metric", "accuracy"], "error: --metric accuracy: `framework train rbm` reports"),
])
def test_bad_settings_give_one_error_line(tmp_path, capsys, argv, message):
    status = cli.main(["sweep", "rbm", *argv, "--logdir", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert status == 1
    assert err.strip().splitlines() == [err.strip()] and err.startswith(message)
    assert not (tmp_path / "s").exists()


def test_unreachable_address_gives_one_error_line(tmp_path):
    command = [sys.executable, "-m", "framework.cli", "sweep", "rbm", "--param", "lr=0.1",
               "--address", "tcp://127.0.0.1:9", "--connect-timeout", "0.5", "--logdir", str(tmp_path / "s")]
    env = {k: v for k, v in os.environ.items() if k != "FRAMEWORK_TRACEBACK"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("error: cannot reach the Dask scheduler at --address tcp://127.0.0.1:9")
    assert not (tmp_path / "s").exists()


class KillOnce:
    """``on_epoch`` hook: kill the worker process running ``trial`` after its first epoch, once.

    The marker file makes the re-run (on a restarted worker) go through.
    """

    def __init__(self, trial: str, marker: str) -> None:
        self.trial, self.marker = trial, marker

    def __call__(self, name, epoch, metrics):
        if name == self.trial and epoch == 0 and not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.slow
def test_a_killed_worker_resumes_its_trial_from_the_checkpoint(tmp_path):
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    marker = str(tmp_path / "killed")
    result = framework.sweep.run("rbm", {"lr": [0.05, 0.1]}, workers=2, logdir=str(tmp_path / "s"),
                                 train_args=["--epochs", "2", "--n-samples", "0", "--hidden", "4"],
                                 on_epoch=KillOnce("lr=0.1", marker))
    assert os.path.exists(marker)  # the worker was killed
    trials = {t.name: t for t in result.trials}
    assert all(t.state == "complete" and t.epochs_done == 2 for t in trials.values()), trials
    assert trials["lr=0.1"].resumed_from == 1 and trials["lr=0.05"].resumed_from == 0
    with open(os.path.join(trials["lr=0.1"].run_dir, "train.log")) as f:
        assert "1 of 2 epochs done" in f.read()
    assert len(hparams_records(trials["lr=0.1"].run_dir)) == 1


@pytest.mark.slow
def test_tpe_search_with_pruning_on_another_family(tmp_path):
    result = framework.sweep.run("logistic", {"lr": [0.001, 0.01, 0.1, 1.0], "batch_size": [20, 100]},
                                 search="tpe", trials=6, prune="median", workers=2, logdir=str(tmp_path / "s"),
                                 train_args=["--epochs", "4"])
    assert result.metric == "valid_error" and len(result.trials) == 6
    assert {t.state for t in result.trials} <= {"complete", "pruned"}
    complete = [t for t in result.trials if t.state == "complete"]
    assert complete and all(t.epochs_done == 4 for t in complete)
    assert all(t.epochs_done < 4 for t in result.trials if t.state == "pruned")
    assert all(len(hparams_records(t.run_dir)) == 1 for t in result.trials)


@pytest.mark.slow
def test_median_pruning_stops_bad_trials_after_their_reported_epochs(tmp_path):
    # One worker: the trials run one after another in the grid sampler's (seeded) order.
    result = framework.sweep.run("logistic", {"lr": [1e-6, 3e-6, 0.1, 0.3, 0.03, 1e-5]}, prune="median", workers=1,
                                 logdir=str(tmp_path / "s"), train_args=["--epochs", "4"])
    pruned = [t for t in result.trials if t.state == "pruned"]
    assert pruned and all(1 < t.epochs_done < 4 and t.value is None for t in pruned)
    assert result.best is not None and result.best.params["lr"] in (0.1, 0.3)
    assert all(len(hparams_records(t.run_dir)) == 1 for t in result.trials)


@pytest.mark.slow
def test_an_existing_cluster_by_address(tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address="127.0.0.1:0") as cluster:
        result = framework.sweep.run("linear", {"lr": [0.01, 0.05]}, address=cluster.scheduler_address,
                                     logdir=str(tmp_path / "s"), train_args=["--epochs", "20"])
    assert [t.state for t in result.trials] == ["complete", "complete"] and result.metric == "mse"
    assert result.trials[0].value <= result.trials[1].value


@pytest.mark.slow
def test_resume_after_the_sweep_was_interrupted_runs_only_unfinished_trials(tmp_path):
    import time

    logdir = tmp_path / "s"
    argv = ["sweep", "rbm", "--param", "lr=0.02,0.05,0.1", "--param", "hidden=4,8", "--workers", "1",
            "--logdir", str(logdir), "--", "--epochs", "3", "--n-samples", "0"]
    env = {k: v for k, v in os.environ.items() if k != "FRAMEWORK_TRACEBACK"}
    first = subprocess.Popen([sys.executable, "-m", "framework.cli", *argv], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and first.poll() is None:  # wait for the second trial's first checkpoint
        if len(list(logdir.glob("*/checkpoint.npz"))) >= 2:
            break
        time.sleep(0.05)
    first.send_signal(signal.SIGINT)
    out, err = first.communicate(timeout=120)
    done_before = out.count(": complete")
    if first.returncode == 130:
        assert "--resume" in err
    with open(logdir / "summary.csv", newline="") as f:
        assert sum(r["state"] == "complete" for r in csv.DictReader(f)) == done_before
    result = framework.sweep.run("rbm", {"lr": ["0.02", "0.05", "0.1"], "hidden": ["4", "8"]}, workers=1,
                                 logdir=str(logdir), resume=True, train_args=["--epochs", "3", "--n-samples", "0"])
    assert result.ran == 6 - done_before
    assert len(result.trials) == 6 and all(t.state == "complete" and t.epochs_done == 3 for t in result.trials)


@pytest.mark.slow
def test_seeds_run_each_sampled_configuration_once_per_seed(tmp_path):
    result = framework.sweep.run("logistic", {"lr": [0.01, 0.1, 1.0]}, search="random", trials=2, seeds=2, workers=2,
                                 logdir=str(tmp_path / "s"), train_args=["--epochs", "1", "--seed", "5"])
    assert len(result.trials) == 4 and all(t.state == "complete" for t in result.trials)
    by_config = {}
    for t in result.trials:
        by_config.setdefault(t.params["lr"], []).append(t.seed)
        assert t.name == f"lr={t.params['lr']},seed={t.seed}"
    assert len(by_config) == 2 and all(sorted(seeds) == [5, 6] for seeds in by_config.values())


def test_a_finished_trial_run_again_returns_its_result_without_training(tmp_path, grid_sweep):
    from framework.sweep.trial import TRIAL_LOG, TRIAL_RESULT, TrialTask, run_trial

    logdir, result = grid_sweep
    assert all(os.path.exists(os.path.join(t.run_dir, TRIAL_RESULT)) for t in result.trials)
    run_dir = str(tmp_path / "lr=0.1")
    task = TrialTask(family="linear", argv=["--epochs", "5", "--logdir", run_dir, "--resume"], run_dir=run_dir,
                     name="lr=0.1", metric="mse", journal=None, study_name="sweep", trial_id=0)
    first = run_trial(task)
    assert first["state"] == "complete" and first["epochs_done"] == 5 and "mse" in first["metrics"]
    with open(os.path.join(run_dir, TRIAL_LOG)) as f:
        log = f.read()
    again = run_trial(task)
    assert again["state"] == "complete" and again["metrics"] == first["metrics"] and again["seconds"] == 0.0
    with open(os.path.join(run_dir, TRIAL_LOG)) as f:
        assert f.read() == log  # nothing ran
    assert len(hparams_records(run_dir)) == 1
    other = TrialTask(**{**task.__dict__, "argv": ["--epochs", "6", "--logdir", run_dir, "--resume"]})
    assert run_trial(other)["epochs_done"] == 6  # another command line: the trial runs (here: resumes)

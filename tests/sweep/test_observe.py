"""The trainer's observer hook (framework.training.loop.observe), which sweeps use to watch a family's run."""
from __future__ import annotations

import pytest

from framework import cli
from framework.training.loop import observe


class Recorder:
    def __init__(self, stop_after=None):
        self.calls, self.stop_after = [], stop_after

    def on_start(self, trainer):
        self.calls.append(("start", trainer.start_epoch))

    def on_epoch(self, trainer, epoch, scalars):
        self.calls.append(("epoch", epoch, sorted(scalars)))
        if epoch == self.stop_after:
            raise RuntimeError("stop here")

    def on_finish(self, trainer, metrics):
        self.calls.append(("finish", sorted(metrics)))
        metrics["hparam/extra"] = 1.0


def test_observer_sees_start_epochs_finish_and_resume(tmp_path, capsys):
    logdir = str(tmp_path / "run")
    seen = Recorder()
    with observe(seen):
        assert cli.main(["train", "logistic", "--epochs", "2", "--logdir", logdir]) == 0
    assert seen.calls == [("start", 0), ("epoch", 0, ["logistic/nll", "logistic/valid_error", "train/cost"]),
                          ("epoch", 1, ["logistic/nll", "logistic/valid_error", "train/cost"]),
                          ("finish", ["hparam/final_cost", "hparam/test_error"])]
    # outside the context nothing is observed
    assert cli.main(["train", "logistic", "--epochs", "3", "--logdir", logdir, "--resume"]) == 0
    assert len(seen.calls) == 4
    capsys.readouterr()


def test_an_observer_can_stop_a_run_after_its_checkpoint(tmp_path, capsys):
    logdir = str(tmp_path / "run")
    stopper = Recorder(stop_after=0)
    with observe(stopper), pytest.raises(RuntimeError, match="stop here"):
        from framework import models
        from framework.sweep.space import family_parser

        spec = models.specs()["logistic"]
        spec.train(family_parser("logistic", spec).parse_args(["--epochs", "3", "--logdir", logdir]))
    resumed = Recorder()
    with observe(resumed):
        assert cli.main(["train", "logistic", "--epochs", "3", "--logdir", logdir, "--resume"]) == 0
    assert resumed.calls[0] == ("start", 1)  # the epoch the observer stopped was checkpointed
    assert [c[1] for c in resumed.calls if c[0] == "epoch"] == [1, 2]
    capsys.readouterr()

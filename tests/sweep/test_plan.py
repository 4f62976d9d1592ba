"""What a sweep would run, checked without running it: parameters, metrics, trial command lines."""
from __future__ import annotations

import pytest

from framework import models
from framework.sweep.space import Param, SweepError, make_plan, metric_key, parse_param


def plan(*params, **kwargs):
    return make_plan("rbm", list(params), specs=models.specs(), **kwargs)


def test_parse_param():
    assert parse_param("lr=0.01,0.1") == Param("lr", ("0.01", "0.1"))
    assert parse_param("n-chains = 5") == Param("n_chains", ("5",))
    for bad in ("lr", "lr=", "lr=0.1,", "=1", "lr=1,1", "1lr=2"):
        with pytest.raises(SweepError, match="--param"):
            parse_param(bad)


def test_grid_size_names_and_argv():
    p = plan("lr=0.01,0.1", "hidden=4,8,16", train_args=["--epochs", "1"])
    assert (p.n_trials, p.metric, p.mode, p.seeds) == (6, "test_log_likelihood", "max", [123])
    values = {"lr": "0.1", "hidden": "8"}
    assert p.trial_name(values, 123) == "lr=0.1,hidden=8"
    assert p.trial_argv(values, 123, "d") == ["--epochs", "1", "--lr=0.1", "--hidden=8", "--seed=123",
                                               "--logdir", "d", "--resume"]


def test_seeds_and_switches():
    p = plan("persistent=true,false", seeds=3, train_args=["--seed", "7"])
    assert p.seeds == [7, 8, 9] and p.n_trials == 6
    assert p.trial_name({"persistent": "false"}, 8) == "persistent=false,seed=8"
    assert p.trial_argv({"persistent": "false"}, 8, "d")[2:4] == ["--no-persistent", "--seed=8"]
    assert plan("lr=0.1,0.2,0.3,0.4,0.5", search="random", trials=4, seeds=2).n_trials == 8
    assert plan("lr=0.1,0.2", search="tpe", trials=4, seeds=2).n_trials == 4  # no more than the distinct configurations


def test_metric_names_and_modes():
    assert metric_key("hparam/test_error") == "test_error" and metric_key("valid/error") == "valid_error"
    assert metric_key("logistic/valid_error") == "valid_error" and metric_key("train/cost") == "train_cost"
    assert metric_key("rbm/test_log_likelihood") == "test_log_likelihood"
    p = make_plan("logistic", ["lr=0.1"], specs=models.specs())
    assert (p.metric, p.mode) == ("valid_error", "min")
    assert plan("lr=0.1", metric="final_cost").mode == "min"
    assert plan("lr=0.1", metric="hparam/test_log_likelihood").metric == "test_log_likelihood"


@pytest.mark.parametrize("kwargs, message", [
    (dict(params=["lr=abc"]), "--param lr=abc: argument --lr: expected a finite number > 0"),
    (dict(params=["nope=1"]), "has no option --nope"),
    (dict(params=["persistent=maybe"]), "--persistent is a switch"),
    (dict(params=["lr=0.1"], metric="accuracy"), "--metric accuracy: `framework train rbm` reports"),
    (dict(params=["lr=0.1"], train_args=["--overwrite"]), "--overwrite cannot be passed to the trials"),
    (dict(params=["seed=1,2"], seeds=2), "--seeds N both choose seeds"),
    (dict(params=[]), "nothing to sweep"),
    (dict(params=["lr=0.1"], search="bayes"), "--search 'bayes'"),
])
def test_settings_that_cannot_run(kwargs, message):
    params = kwargs.pop("params")
    with pytest.raises(SweepError) as info:
        plan(*params, **kwargs)
    assert message in str(info.value)


def test_unknown_family():
    with pytest.raises(SweepError, match="unknown model family 'nope'.*rbm"):
        make_plan("nope", ["lr=1"], specs=models.specs())


def test_a_missing_extra_is_one_clear_error(monkeypatch):
    import builtins

    from framework.sweep.engine import require

    real_import = builtins.__import__

    def without_optuna(name, *args, **kwargs):
        if name == "optuna":
            raise ImportError("No module named 'optuna'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_optuna)
    with pytest.raises(SweepError, match=r"needs optuna \(not installed\): pip install 'framework\[sweep\]'"):
        require()

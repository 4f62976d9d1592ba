"""``config``: floatX, device, mode; FRAMEWORK_FLAGS; bad values fail where made."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import framework.tensor as T
from framework import config, function
from framework.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]


def run(code: str, flags: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FRAMEWORK_FLAGS"}
    if flags is not None:
        env["FRAMEWORK_FLAGS"] = flags
    env["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_defaults_are_theanos(monkeypatch):
    monkeypatch.delenv("FRAMEWORK_FLAGS", raising=False)
    fresh = Config()
    assert (fresh.floatX, fresh.device, fresh.mode) == ("float64", "cpu", "FAST_RUN")
    monkeypatch.setenv("FRAMEWORK_FLAGS", "floatX=float16")
    assert Config().floatX == "float16"


def test_floatX_sets_the_dtype_of_untyped_constructors():
    with config.change_flags(floatX="float32"):
        assert T.matrix().dtype == "float32"
        assert T.cast(T.ivector(), "floatX").dtype == "float32"
    assert config.floatX == "float64"


def test_assignment_changes_the_value_until_changed_back():
    old = config.floatX
    try:
        config.floatX = "float32"
        assert config.floatX == "float32" and T.scalar().dtype == "float32"
    finally:
        config.floatX = old


def test_change_flags_restores_even_after_an_error():
    with pytest.raises(RuntimeError):
        with config.change_flags(floatX="float16"):
            raise RuntimeError("boom")
    assert config.floatX == "float64"


@pytest.mark.parametrize("key,value", [("floatX", "float128"), ("floatX", "double"), ("device", "gpu 0"),
                                       ("device", ""), ("device", 3), ("mode", "TURBO")])
def test_bad_values_fail_where_they_are_set(key, value):
    with pytest.raises(ValueError) as info:
        setattr(config, key, value)
    assert key in str(info.value) and repr(value) in str(info.value)
    assert getattr(config, key) != value


def test_unknown_option_lists_the_known_ones():
    with pytest.raises(AttributeError) as info:
        config.floatx = "float32"
    assert "floatX" in str(info.value)
    with pytest.raises(AttributeError):
        config.no_such_option


def test_device_strings():
    with config.change_flags(device="cuda:1"):
        assert config.device == "cuda:1"
    with config.change_flags(device="cpu"):
        x = T.dvector("x")
        assert function([x], x).maker.backend.device == "cpu"


def test_trace_rewrites_flag_accepts_strings():
    with config.change_flags(trace_rewrites="true"):
        assert config.trace_rewrites is True
    with config.change_flags(trace_rewrites="0"):
        assert config.trace_rewrites is False
    with pytest.raises(ValueError):
        config.trace_rewrites = "perhaps"


def test_framework_flags_in_a_subprocess():
    code = ("import framework, framework.tensor as T\n"
            "from framework import config\n"
            "print(config.floatX, config.device, config.mode, T.matrix().dtype)\n")
    proc = run(code, "floatX=float32, device=cpu ,mode=FAST_COMPILE")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["float32", "cpu", "FAST_COMPILE", "float32"]
    proc = run(code, None)
    assert proc.stdout.split() == ["float64", "cpu", "FAST_RUN", "float64"]


def test_framework_flags_take_effect_in_compiled_functions():
    code = ("import numpy as np, framework.tensor as T\n"
            "from framework import function\n"
            "x = T.vector('x')\n"
            "print(function([x], x * 2)([1, 2]).dtype)\n")
    proc = run(code, "floatX=float32")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "float32"


@pytest.mark.parametrize("flags,words", [("floatX=float99", ["floatX", "float99"]),
                                         ("floatx=float32", ["floatx", "FRAMEWORK_FLAGS"]),
                                         ("floatX", ["FRAMEWORK_FLAGS", "name=value"])])
def test_bad_framework_flags_fail_with_a_clear_message(flags, words):
    proc = run("import framework", flags)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    for word in words:
        assert word in last, proc.stderr


def test_unknown_device_in_flags_is_reported_when_compiling():
    code = ("import framework.tensor as T\n"
            "from framework import function\n"
            "from framework.core.backend import BackendError\n"
            "x = T.dvector('x')\n"
            "try:\n"
            "    function([x], x)\n"
            "except BackendError as e:\n"
            "    print('BackendError:', e)\n")
    proc = run(code, "device=tpu")
    assert proc.returncode == 0, proc.stderr
    assert "BackendError:" in proc.stdout and "'tpu'" in proc.stdout


def test_repr_lists_the_options():
    text = repr(config)
    assert "floatX=" in text and "device=" in text


@pytest.mark.parametrize("value, default, expected", [
    (None, True, True), (None, False, False), ("", False, False), ("  ", True, True),
    ("1", False, True), ("ON", False, True), (" yes ", False, True), ("true", False, True),
    ("0", True, False), ("Off", True, False), ("no", True, False), ("false", True, False),
])
def test_env_switch_reads_the_usual_spellings(monkeypatch, value, default, expected):
    from framework.config import env_switch

    if value is None:
        monkeypatch.delenv("FRAMEWORK_TEST_SWITCH", raising=False)
    else:
        monkeypatch.setenv("FRAMEWORK_TEST_SWITCH", value)
    assert env_switch("FRAMEWORK_TEST_SWITCH", default, "nothing happens") is expected


def test_env_switch_never_reads_a_garbled_value_as_on(monkeypatch):
    from framework.config import env_switch

    monkeypatch.setenv("FRAMEWORK_TEST_SWITCH", "banana")
    with pytest.warns(RuntimeWarning, match="FRAMEWORK_TEST_SWITCH='banana'.*the feature stays off"):
        assert env_switch("FRAMEWORK_TEST_SWITCH", True, "the feature stays off") is False

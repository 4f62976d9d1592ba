"""The bad-input catalogue: SPEC section 6 ("Errors") case by case.

Every case is something a careless or hostile user does. Through the Python
API the error must name what the user did (the input, op, shapes, value and
the user's own line); through the command line the command must print ONE
line, ``error: ...``, exit non-zero, and show no traceback. The deeper
checks of each area live beside their code (tests/datasets/test_hostile_files.py,
tests/plugins/test_hostile_plugins.py, tests/training/test_loop.py,
tests/core/test_elemwise_dtypes.py); docs/reliability.md maps each promise to
its tests.
"""
from __future__ import annotations

import gzip
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import List

import numpy as np
import pytest

import framework
import framework.tensor as T
from framework import cli, function

HERE = os.path.basename(__file__)
REPO_ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------
# How a case is judged
# --------------------------------------------------------------------------

def one_error_line(status: int, err: str) -> str:
    """The command failed with exactly one line on stderr, ``error: ...``, and no traceback."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert status != 0, err
    assert "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def run_cli(capsys, *argv) -> str:
    status = cli.main([str(a) for a in argv])
    return one_error_line(status, capsys.readouterr().err)


def run_cli_process(*argv, env=None, preexec_fn=None, timeout=300) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("FRAMEWORK_TRACEBACK", "FRAMEWORK_FLAGS")}
    environ.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "framework.cli", *map(str, argv)], capture_output=True,
                          text=True, env=environ, timeout=timeout, preexec_fn=preexec_fn)
    return one_error_line(proc.returncode, proc.stderr)


def names(message: str, *words: str) -> None:
    for word in words:
        assert word in message, f"{word!r} not in: {message}"


SMALL_RUN = ["--epochs", "1", "--hidden", "4", "--k", "1", "--batch-size", "10"]


# --------------------------------------------------------------------------
# The Python API
# --------------------------------------------------------------------------

def test_api_wrong_number_of_inputs():
    x = T.dvector("x")
    f = function([x], x * 2)
    with pytest.raises(TypeError) as err:
        f(np.ones(2), np.ones(2))
    names(str(err.value), "2")


def test_api_wrong_dtype_or_rank_of_an_input():
    x = T.lvector("x")
    f = function([x], x * 2)
    with pytest.raises(TypeError) as err:
        f(np.ones(2) * 0.5)
    names(str(err.value), "x", "float64")
    with pytest.raises(TypeError) as err:
        f(np.ones((2, 2), "int64"))
    names(str(err.value), "x")


def test_api_shape_mismatch_at_run_time_names_op_shapes_and_line():
    x, y = T.dvector("x"), T.dvector("y")
    f = function([x, y], x + y)  # the line the error must point at
    with pytest.raises(ValueError) as err:
        f(np.ones(3), np.ones(4))
    names(str(err.value), "add", "(3,)", "(4,)", HERE)


@pytest.mark.parametrize("axis", [1.5, "rows", True, [0, 0.5]])
def test_api_axis_that_is_not_an_integer(axis):
    x = T.dmatrix("x")
    for build, op in ((lambda: x.sum(axis=axis), "sum"), (lambda: T.argmax(x, axis=axis), "argmax"),
                      (lambda: T.concatenate([x, x], axis=axis), "join")):
        with pytest.raises(TypeError) as err:
            build()
        names(str(err.value), op, "axis must be an integer", repr(axis), HERE)


def test_api_negative_static_size():
    with pytest.raises(ValueError) as err:
        T.tensor("float64", (-1,))
    names(str(err.value), "-1", "static shape")


def test_api_unknown_device():
    x = T.dvector("x")
    with pytest.raises(Exception) as err:
        function([x], x, device="tpu")
    names(str(err.value), "tpu", "cpu")


def test_api_unknown_model_and_dataset():
    with pytest.raises(Exception) as err:
        framework.models.get("no_such_model")
    names(str(err.value), "no_such_model", "rbm")
    with pytest.raises(Exception) as err:
        framework.datasets.load("no_such_dataset")
    names(str(err.value), "no_such_dataset", "digits")


def test_api_multinomial_probabilities_above_one():
    p = T.dvector("p")
    f = function([p], framework.random.RandomStreams(0).multinomial(n=3, pvals=p))
    with pytest.raises(ValueError) as err:
        f(np.array([0.9, 0.6]))
    names(str(err.value), "multinomial", "1.5", HERE)


def test_api_out_of_memory_is_one_line_with_the_shape():
    n = T.lscalar("n")
    f = function([n], T.alloc(0.0, n, n))
    with pytest.raises(MemoryError) as err:
        f(10 ** 7)
    message = str(err.value)  # building the text must not fail (NumPy's MemoryError reads .shape)
    assert "\n" not in message
    names(message, "alloc", "out of memory", "(10000000, 10000000)", HERE)


# --------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------

def test_cli_unknown_family(capsys):
    names(run_cli(capsys, "train", "no_such_family"), "no_such_family", "rbm")


@pytest.mark.parametrize("option,value", [("--epochs", "-1"), ("--lr", "nan"), ("--batch-size", "zero")])
def test_cli_bad_option_values(capsys, tmp_path, option, value):
    names(run_cli(capsys, "train", "rbm", option, value, "--logdir", tmp_path), option, value)


def test_cli_missing_dataset_file(capsys, tmp_path):
    missing = tmp_path / "nowhere" / "mnist.pkl.gz"
    names(run_cli(capsys, "train", "rbm", "--dataset", missing, "--logdir", tmp_path / "run", *SMALL_RUN),
          str(missing))


def test_cli_malformed_dataset_file(capsys, tmp_path):
    bad = tmp_path / "data.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    names(run_cli(capsys, "train", "rbm", "--dataset", bad, "--logdir", tmp_path / "run", *SMALL_RUN), str(bad))


def test_cli_hostile_pickle_dataset(capsys, tmp_path):
    class Allocate:
        def __reduce__(self):
            return np.ndarray, ((196608, 255), "f8")

    y = np.zeros(3, np.int64)
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(pickle.dumps(((Allocate(), y),) * 3, protocol=2)))
    names(run_cli(capsys, "train", "rbm", "--dataset", path, "--logdir", tmp_path / "run", *SMALL_RUN),
          str(path), "without its data")


def test_cli_unknown_device(capsys, tmp_path):
    names(run_cli(capsys, "train", "rbm", "--device", "tpu", "--logdir", tmp_path, *SMALL_RUN), "tpu")


def test_cli_corrupt_checkpoint(capsys, tmp_path):
    (tmp_path / "checkpoint.npz").write_bytes(b"garbage")
    names(run_cli(capsys, "train", "rbm", "--resume", "--logdir", tmp_path, *SMALL_RUN),
          str(tmp_path / "checkpoint.npz"))


def test_cli_checkpoint_with_a_valid_checksum_and_a_negative_epoch(capsys, tmp_path):
    from framework.training.checkpoint import load_checkpoint, save_checkpoint

    data = tmp_path / "bas.npz"
    np.savez(data, x=np.random.RandomState(0).rand(40, 16) > 0.5)
    args = ["train", "rbm", "--dataset", data, "--logdir", tmp_path / "run", *SMALL_RUN, "--n-samples", "1",
            "--ais-runs", "2", "--ais-betas", "10"]
    assert cli.main([str(a) for a in args]) == 0
    capsys.readouterr()
    path = tmp_path / "run" / "checkpoint.npz"
    arrays, meta = load_checkpoint(path)
    meta["epoch"] = -5
    save_checkpoint(path, arrays, meta)
    names(run_cli(capsys, *args, "--resume"), str(path), "epoch", "-5")


def test_cli_framework_flags_garbage():
    names(run_cli_process("plugins", env={"FRAMEWORK_FLAGS": "garbage"}), "FRAMEWORK_FLAGS", "garbage")


def test_cli_out_of_memory_names_the_allocation(capsys, tmp_path):
    line = run_cli(capsys, "train", "rbm", "--hidden", str(10 ** 10), "--logdir", tmp_path, *SMALL_RUN[:2])
    names(line, "out of memory")


def test_cli_file_too_large_names_the_file(tmp_path):
    import resource

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    line = run_cli_process("train", "rbm", "--dataset", "bars_and_stripes", "--logdir", tmp_path, *SMALL_RUN,
                           preexec_fn=limit_file_size)
    names(line, "File too large", str(tmp_path))


def test_cli_plugin_failures_are_covered_by_the_plugin_suite():
    """Plugins: tests/plugins/test_hostile_plugins.py runs `framework plugins` with a plugin that
    calls sys.exit() while importing and `framework train` with a plugin model that crashes
    (one line naming the plugin); an impostor registering bundled names is refused."""
    suite = REPO_ROOT / "tests" / "plugins" / "test_hostile_plugins.py"
    text = suite.read_text()
    for test in ("test_a_plugin_calling_sys_exit_at_import_does_not_kill_the_command",
                 "test_the_command_line_names_the_plugin_whose_code_failed",
                 "test_an_installed_impostor_cannot_replace_bundled_datasets_models_or_backends"):
        assert f"def {test}(" in text

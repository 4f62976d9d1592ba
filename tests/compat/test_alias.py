"""The alias: ``import theano`` & its modules resolve; the command runs a script; config names."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
FRAMEWORK = Path(sys.executable).with_name("framework")


def test_modules_a_theano_program_imports_resolve():
    import theano
    import theano.tensor as T
    from theano import function, shared, config, scan, grad, In, pp  # noqa: F401
    from theano.tensor.nnet import (sigmoid, softmax, relu, binary_crossentropy,  # noqa: F401
                                    categorical_crossentropy, conv2d)
    from theano.tensor.nnet.conv import conv2d as old_conv2d  # noqa: F401
    from theano.tensor.signal.pool import pool_2d  # noqa: F401
    from theano.tensor.shared_randomstreams import RandomStreams  # noqa: F401
    from theano.sandbox.rng_mrg import MRG_RandomStreams  # noqa: F401
    from theano.scalar import upcast  # noqa: F401
    from theano.gradient import disconnected_grad, Rop, Lop  # noqa: F401
    from theano.printing import pydotprint, debugprint, Print  # noqa: F401
    from theano.tensor.xlogx import xlogx, xlogy0  # noqa: F401
    from theano.tensor.extra_ops import cumsum, repeat, bincount, to_one_hot, squeeze  # noqa: F401
    from theano.tensor.nlinalg import matrix_inverse, det  # noqa: F401
    from theano.tensor.slinalg import cholesky, solve  # noqa: F401
    import framework.compat.theano as compat

    assert theano is compat and T is compat.tensor
    assert T.nnet.sigmoid is sigmoid
    assert theano.__version__.startswith("1.0")


def test_a_missing_module_says_so_clearly():
    with pytest.raises(ModuleNotFoundError) as info:
        import theano.sparse  # noqa: F401
    assert "theano.sparse" in str(info.value) and "compatibility layer" in str(info.value)
    import theano

    with pytest.raises(AttributeError, match="compatibility layer"):
        theano.no_such_name


def test_nothing_is_installed_as_a_top_level_package():
    code = "import importlib.util, sys; print(importlib.util.find_spec('theano'))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "None", proc.stderr


def test_install_names_a_real_theano_when_one_is_importable(tmp_path, monkeypatch):
    fake = tmp_path / "theano"
    fake.mkdir()
    (fake / "__init__.py").write_text("REAL = True\n")
    code = textwrap.dedent("""
        import warnings, framework.compat.theano as c
        c.uninstall()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always')
            print(c.install())
        print(w[0].message if w else 'no warning')
        import theano
        print(getattr(theano, 'REAL', False))
        c.uninstall()
        print(c.install(use_real_theano=True))
    """)
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{REPO}")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "compatibility layer" in lines[0]
    assert "real Theano is importable at" in lines[1] and str(fake) in lines[1]
    assert lines[2] == "False"
    assert lines[3].startswith("real Theano at") and str(fake) in lines[3]


SCRIPT = textwrap.dedent("""
    import sys
    import numpy
    import theano
    import theano.tensor as T
    x = T.dscalar('x')
    y = T.dscalar('y')
    f = theano.function([x, y], x + y)
    print(f(2, 3), theano.config.floatX, sys.argv[1:])
""")


@pytest.mark.parametrize("runner", ["command", "module"])
def test_an_unmodified_script_runs(tmp_path, runner):
    script = tmp_path / "tut.py"
    script.write_text(SCRIPT)
    cmd = ([str(FRAMEWORK), "theano"] if runner == "command" else [sys.executable, "-m", "framework.compat.theano"])
    env = dict(os.environ, THEANO_FLAGS="floatX=float32,warn.round=False")
    proc = subprocess.run(cmd + [str(script), "--lr", "1"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["5.0", "float32", "['--lr',", "'1']"]


def test_an_error_in_the_script_shows_its_traceback(tmp_path):
    script = tmp_path / "bad.py"
    script.write_text("import theano\nraise ValueError('boom in the script')\n")
    proc = subprocess.run([str(FRAMEWORK), "theano", str(script)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "bad.py\", line 2" in proc.stderr and "ValueError: boom in the script" in proc.stderr


def test_convolution_names_say_not_yet_available_without_the_plugin():
    from framework import plugins
    from theano.tensor.nnet import conv2d
    from theano.tensor.nnet.conv import conv2d as old
    from theano.tensor.signal.pool import pool_2d
    import theano.tensor as T

    for fn, op in ((conv2d, "conv2d"), (old, "conv2d"), (pool_2d, "pool_2d")):
        if op in plugins.ops():
            continue  # the convolution plugin is installed: tests/compat/test_nnet.py runs it
        with pytest.raises(NotImplementedError) as info:
            fn(T.tensor4(), T.tensor4()) if op == "conv2d" else fn(T.tensor4(), (2, 2))
        assert "not yet available" in str(info.value) and op in str(info.value)


def test_theano_config_names():
    import theano

    cfg = theano.config
    assert cfg is __import__("framework").config
    with cfg.change_flags(floatX="float32"):
        assert theano.tensor.matrix().dtype == "float32"
    old = cfg.warn.sum_div_dimshuffle_bug
    cfg.warn.sum_div_dimshuffle_bug = False
    assert cfg.warn.sum_div_dimshuffle_bug is False
    cfg.warn.sum_div_dimshuffle_bug = old
    assert cfg.exception_verbosity == "low" and cfg.optimizer in ("fast_run", "None", "fast_compile")
    with cfg.change_flags(mode="DebugMode", device="cpu", on_unused_input="warn", exception_verbosity="high"):
        assert cfg.mode == "DEBUG"
    with cfg.change_flags(device="cuda0"):
        assert cfg.device == "cuda:0"
    with pytest.raises(AttributeError) as info:
        cfg.warn.no_such_warning = True
    assert "warn.no_such_warning" in str(info.value)
    with pytest.raises(AttributeError) as info:
        cfg.floatx = "float32"
    assert "did you mean 'floatX'" in str(info.value)
    with pytest.raises(ValueError, match="on_unused_input"):
        cfg.on_unused_input = "sometimes"


def test_on_unused_input_comes_from_config():
    import theano
    import theano.tensor as T

    x, y = T.dvectors("x", "y")
    with pytest.raises(ValueError, match="not used"):
        theano.function([x, y], x * 2)
    with theano.config.change_flags(on_unused_input="ignore"):
        f = theano.function([x, y], x * 2)
    assert np.allclose(f([1.0], [5.0]), [2.0])


def test_function_takes_mode_third_as_theano():
    import theano
    import theano.tensor as T

    x = T.dvector("x")
    for mode in ("FAST_RUN", "FAST_COMPILE", "DebugMode", "Mode", theano.Mode(linker="py", optimizer="fast_compile")):
        f = theano.function([x], x * 2, mode)
        assert np.allclose(f([1.0, 2.0]), [2.0, 4.0])


def test_submodules_are_theanos_before_anything_imports_them():
    """In a fresh interpreter, ``import theano.tensor as T`` alone gives Theano's ``T.nnet`` (a vector's
    softmax is a row, relu takes alpha) and the module ``T.xlogx``: the star import of framework's
    namespace once left its own ``nnet`` and ``xlogx`` function there until something imported the
    submodules by name."""
    code = ("import framework.compat.theano as c; c.install()\n"
            "import theano.tensor as T\n"
            "v = T.dvector('v')\n"
            "assert T.nnet.__name__ == 'framework.compat.theano.tensor.nnet', T.nnet\n"
            "assert T.nnet.softmax(v).ndim == 2\n"
            "T.nnet.relu(v, 0.1)\n"
            "assert T.xlogx.__name__ == 'framework.compat.theano.tensor.xlogx', T.xlogx\n"
            "T.xlogx.xlogx(v)\n"
            "assert T.shared_randomstreams.RandomStreams.bit_generator == 'MT19937'\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_importing_a_submodule_keeps_the_function_of_the_same_name():
    """``from theano.tensor.var import TensorVariable`` (Theano-era code does it) used to turn ``T.var``
    into the module ``theano.tensor.var`` for the rest of the process (and ``T.sort`` likewise)."""
    import importlib
    import sys

    import theano.tensor as T

    for name in ("var", "sort"):
        module = importlib.import_module(f"theano.tensor.{name}")
        assert callable(getattr(T, name)), name
        assert sys.modules[f"theano.tensor.{name}"] is module
        setattr(T, name, module)  # what the import system does when it first loads the submodule
        assert callable(getattr(T, name)) and getattr(T, name) is not module, name
    x = T.dvector()
    assert T.var(x).ndim == 0 and T.sort(x).ndim == 1
    T.some_new_name = 3  # other attributes are bound as usual
    assert T.some_new_name == 3
    del T.some_new_name

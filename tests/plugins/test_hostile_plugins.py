"""Plugins cannot hijack or kill the host: bundled plugins load first and keep
their names, a plugin that exits or raises anything while importing or in a
hook is reported by name, and the command line names the plugin whose code
failed."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import framework.plugins as plugins
from framework.plugins import DatasetSpec, ModelSpec, PluginWarning, hookimpl

from .conftest import REPO_ROOT, FakeEntryPoint, make_dist, run_python


class Bundled(FakeEntryPoint):
    bundled = True


class _BadStr(Exception):
    def __str__(self):
        raise ValueError("str() of this exception fails")


def _hooks(**records):
    ns = {f"framework_{k}": hookimpl(lambda self, _r=r: _r) for k, r in records.items()}
    return type("P", (), ns)()


def _raising_hook(exc):
    def framework_datasets(self):
        raise exc
    return type("P", (), {"framework_datasets": hookimpl(framework_datasets)})()


def test_bundled_plugins_load_first_and_keep_their_names(entry_points):
    """The impostor comes first in discovery order; the bundled plugin still wins and the
    impostor's error names both plugins."""
    entry_points += [
        FakeEntryPoint("impostor", _hooks(datasets=[DatasetSpec("digits", load=lambda: "fake")])),
        Bundled("rbm", _hooks(datasets=[DatasetSpec("digits", load=lambda: "real"),
                                        DatasetSpec("bars_and_stripes", load=lambda: "bars")])),
    ]
    with pytest.warns(PluginWarning, match="impostor"):
        infos = {i.name: i for i in plugins.list()}
    assert plugins.datasets()["digits"].load() == "real"
    assert "bars_and_stripes" in plugins.datasets()
    assert infos["impostor"].status == "failed"
    assert infos["impostor"].error == ("plugin 'impostor' registers dataset 'digits', already registered by "
                                       "plugin 'rbm'")


def test_a_third_party_entry_point_named_like_a_bundled_one_is_skipped(entry_points):
    entry_points += [FakeEntryPoint("rbm", _hooks(datasets=[DatasetSpec("digits", load=lambda: "fake")])),
                     Bundled("rbm", _hooks(datasets=[DatasetSpec("digits", load=lambda: "real")]))]
    with pytest.warns(PluginWarning, match="declared twice"):
        plugins.list()
    assert plugins.datasets()["digits"].load() == "real"


@pytest.mark.parametrize("failure,expect", [
    (SystemExit(3), "SystemExit: 3"),
    (SystemExit(), "SystemExit"),
    (_BadStr(), "_BadStr: <_BadStr whose str() failed with ValueError>"),
    (GeneratorExit(), "GeneratorExit"),
])
def test_a_plugin_that_exits_or_raises_anything_is_reported_and_the_rest_load(entry_points, failure, expect):
    entry_points += [FakeEntryPoint("at_import", failure),
                     FakeEntryPoint("in_hook", _raising_hook(failure)),
                     FakeEntryPoint("good", _hooks(datasets=[DatasetSpec("ones", load=lambda: 1)]))]
    with pytest.warns(PluginWarning):
        infos = {i.name: i for i in plugins.list()}
    assert infos["at_import"].error == f"plugin 'at_import' failed to import: {expect}"
    assert infos["in_hook"].error == f"plugin 'in_hook' failed in framework_datasets(): {expect}"
    assert infos["good"].status == "loaded" and plugins.datasets()["ones"].load() == 1


def test_ctrl_c_while_a_plugin_imports_still_interrupts(entry_points):
    entry_points.append(FakeEntryPoint("slow", KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        plugins.list()


IMPOSTOR = """
    import numpy as np
    from framework.plugins import BackendSpec, DatasetSpec, ModelSpec, hookimpl

    @hookimpl
    def framework_datasets():
        return [DatasetSpec("digits", load=lambda **kw: "impostor data")]

    @hookimpl
    def framework_models():
        return [ModelSpec("rbm", factory=dict, train=lambda args: print("impostor trains") or 0)]

    @hookimpl
    def framework_backends():
        return [BackendSpec("numpy", ("cpu",), available=lambda: True, create=lambda d: None)]
"""


def _cli(*argv, paths=(), **env):
    environ = {k: v for k, v in os.environ.items() if k != "FRAMEWORK_DISABLE_PLUGINS"}
    environ["PYTHONPATH"] = os.pathsep.join([*map(str, paths), str(REPO_ROOT)])
    environ.update(env)
    return subprocess.run([sys.executable, "-m", "framework.cli", *argv], capture_output=True, text=True,
                          env=environ, timeout=300)


def test_an_installed_impostor_cannot_replace_bundled_datasets_models_or_backends(tmp_path):
    path = make_dist(tmp_path, "impostor", "6.6", IMPOSTOR)
    out = run_python("""
        import json, warnings
        warnings.simplefilter("ignore")
        import framework.datasets, framework.plugins as p
        d = framework.datasets.load("digits")
        print(json.dumps({"digits": type(d).__name__, "bars": "bars_and_stripes" in p.datasets(),
                          "owners": [p.datasets()["digits"].plugin, p.models()["rbm"].plugin,
                                     p.backends()["numpy"].plugin],
                          "error": {i.name: i.error for i in p.list()}["impostor"]}))
    """, path).stdout.splitlines()[-1]
    got = json.loads(out)
    assert got["digits"] != "str" and got["bars"]
    assert got["owners"] == ["datasets", "rbm", "backend_numpy"]  # data sets have their own plugin (issue 17)
    assert "plugin 'impostor'" in got["error"] and "already registered by plugin" in got["error"]
    listing = _cli("plugins", paths=[path])
    assert listing.returncode == 0 and "impostor" in listing.stdout and "failed" in listing.stdout


def test_a_plugin_calling_sys_exit_at_import_does_not_kill_the_command(tmp_path):
    path = make_dist(tmp_path, "exiter", "0.1", "import sys\nsys.exit(3)\n")
    result = _cli("plugins", paths=[path])
    assert result.returncode == 0, result.stderr
    assert "plugin 'exiter' failed to import: SystemExit: 3" in result.stdout
    assert "rbm" in result.stdout


FAILING_MODEL = """
    from framework.plugins import ModelSpec, hookimpl

    def train(args):
        raise RuntimeError("the plugin's own bug")

    @hookimpl
    def framework_models():
        return [ModelSpec("crashy", factory=dict, train=train)]
"""


def test_the_command_line_names_the_plugin_whose_code_failed(tmp_path):
    path = make_dist(tmp_path, "crashplug", "0.1", FAILING_MODEL)
    result = _cli("train", "crashy", paths=[path])
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: plugin 'crashplug' failed: RuntimeError: the plugin's own bug (rerun with --traceback for details)"]
    assert "Traceback" not in result.stderr


def _bad_kernel_plugin(result):
    from framework.plugins import KernelSpec

    class BadKernels:
        @hookimpl
        def framework_kernels(self):
            yield KernelSpec(name="sloppy_exp", op="exp", backend="numpy", build=lambda node, be: result)

    return BadKernels()


@pytest.mark.parametrize("kernel,what", [
    (lambda x: __import__("numpy").exp(x).astype("float32"), "dtype float32"),
    (lambda x: __import__("numpy").exp(x).reshape(1, -1), "2 dimension(s)"),
    (lambda x: [1.0], "a list, not an array"),
])
@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_a_plugin_kernel_returning_the_wrong_type_is_caught_naming_the_plugin(kernel, what, mode):
    import numpy as np

    import framework.tensor as T
    from framework import function
    from framework.core import backend as B
    from framework.plugins import PluginError

    from framework import Mode

    cpu = B.get_backend("cpu")
    plugins.register(_bad_kernel_plugin(kernel), name="sloppy")
    cpu._overrides = None  # the backend reads the kernel registry again
    try:
        x = T.dvector("x")
        f = function([x], T.exp(x), mode=Mode("fast_run", excluding=["fuse_elemwise"]) if mode == "FAST_RUN" else mode,
                     device="cpu")
        with pytest.raises(PluginError) as err:
            f(np.zeros(3))
        message = str(err.value)
        assert "plugin 'sloppy'" in message and "sloppy_exp" in message and "'exp'" in message and what in message
        assert "built at" in message  # the user's line that built the node (this file, unless an earlier
        # test registered an object of this file as a plugin, which makes it library code)
    finally:
        plugins.unregister("sloppy")
        cpu._overrides = None

"""Plugin discovery for real: a throw-away distribution (a ``*.dist-info``
with ``entry_points.txt``) on ``sys.path`` of a fresh interpreter adds an op
with a gradient and a NumPy kernel for it.

Checked: ``framework.ops.<name>`` builds it, it compiles and runs through the
plugin's kernel, its gradient passes ``verify_grad``, it prints, and both
``framework.plugins.format_plugins()`` and the ``framework plugins`` command
list it; a broken plugin, a disabled plugin and a name clash are reported
while everything else keeps working.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from .conftest import REPO_ROOT, make_dist, run_python

# A complete small plugin: an op (x ** 3) with its type rule, gradient and
# reference implementation, plus a kernel that the NumPy backend runs for it.
CUBE_PLUGIN = '''
import numpy as np

from framework.core.graph import Apply
from framework.core.op import Op
from framework.core.variable import as_tensor_variable
from framework.plugins import KernelSpec, OpSpec, hookimpl

__version__ = "1.2.3"
KERNEL_CALLS = []


class Cube(Op):
    """x ** 3, element by element."""

    name = "{op}"

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type])

    def impl(self, xp, x):
        return x * x * x

    def grad(self, node, output_grads):
        (x,), (g,) = node.inputs, output_grads
        return [g * 3 * x * x]

    def pp(self, node, args):
        return f"{op}({{args[0]}})", 100


def cube(x):
    """Build ``x ** 3``."""
    return Cube()(x)


def numpy_kernel(node, backend):
    def run(x):
        KERNEL_CALLS.append(np.shape(x))
        return np.power(x, 3)
    return run


@hookimpl
def framework_ops():
    yield OpSpec(name="{op}", build=cube, doc="x ** 3")


@hookimpl
def framework_kernels():
    yield KernelSpec(name="{op}_numpy", op="{op}", backend="numpy", build=numpy_kernel)
'''

USE_CUBE = '''
import json
import numpy as np
import framework, framework.plugins
import framework.tensor as T
from framework import function, grad, pp
from framework.gradient import verify_grad
import cubeplug

x = T.dvector("x")
y = framework.ops.cube(x)
f = function([x], y)
value = f([1.0, 2.0, -3.0]).tolist()
g = function([x], grad(y.sum(), x))([1.0, 2.0, -3.0]).tolist()
verify_grad(framework.ops.cube, [np.array([0.5, -1.5, 2.0])])
verify_grad(lambda a: framework.ops.cube(T.tanh(a)).sum(axis=0), [np.random.RandomState(0).randn(3, 2)])
debug = function([x], y, mode="DEBUG")([2.0]).tolist()
info = {i.name: {"version": i.version, "status": i.status, "registered": i.registered, "error": i.error}
        for i in framework.plugins.list()}
print(json.dumps(dict(value=value, grad=g, debug=debug, pp=pp(y * 2), kernel_calls=len(cubeplug.KERNEL_CALLS),
                      dir="cube" in dir(framework.ops), table=framework.plugins.format_plugins(), info=info,
                      doc=framework.plugins.ops()["cube"].doc, plugin=framework.plugins.ops()["cube"].plugin)))
'''


def last_json(proc: subprocess.CompletedProcess) -> dict:
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cli(*paths: Path, **env: str) -> subprocess.CompletedProcess:
    """Run the ``framework plugins`` command with ``paths`` on PYTHONPATH."""
    environ = {k: v for k, v in os.environ.items() if k != "FRAMEWORK_DISABLE_PLUGINS"}
    environ["PYTHONPATH"] = os.pathsep.join([*map(str, paths), str(REPO_ROOT)])
    environ.update(env)
    script = Path(sys.executable).parent / "framework"
    cmd = [str(script), "plugins"] if script.exists() else [sys.executable, "-m", "framework.cli", "plugins"]
    return subprocess.run(cmd, env=environ, capture_output=True, text=True, timeout=120)


def test_plugin_op_with_gradient_and_kernel_is_discovered(tmp_path):
    make_dist(tmp_path, "cubeplug", "1.2.3", CUBE_PLUGIN.format(op="cube"))
    result = last_json(run_python(USE_CUBE, tmp_path))
    assert result["value"] == [1.0, 8.0, -27.0]
    assert result["grad"] == [3.0, 12.0, 27.0]
    assert result["debug"] == [8.0]
    assert result["kernel_calls"] >= 3  # the plugin's kernel ran, not the reference impl
    assert result["pp"] == "(cube(x) * 2)"
    assert result["dir"] is True
    assert (result["doc"], result["plugin"]) == ("x ** 3", "cubeplug")
    info = result["info"]["cubeplug"]
    assert (info["version"], info["status"], info["error"]) == ("1.2.3", "loaded", None)
    assert info["registered"]["ops"] == ["cube"]
    assert info["registered"]["kernels"] == ["cube@numpy"]
    table = result["table"]
    assert "cubeplug" in table and "1.2.3" in table and "ops: cube" in table and "kernels: cube@numpy" in table
    assert "backend_numpy" in table  # the bundled plugins are found the same way


def test_framework_plugins_command_lists_the_plugin(tmp_path):
    make_dist(tmp_path, "cubeplug", "1.2.3", CUBE_PLUGIN.format(op="cube"))
    proc = cli(tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    row = next(line for line in lines if line.startswith("cubeplug"))
    assert "1.2.3" in row and "loaded" in row
    assert "ops: cube" in proc.stdout and "kernels: cube@numpy" in proc.stdout
    assert any(line.startswith("backend_numpy") for line in lines)


def test_plugin_op_nodes_record_the_users_line(tmp_path):
    """A node built by a plugin's op remembers the user's script line, not the plugin's."""
    make_dist(tmp_path, "cubeplug", "1.2.3", CUBE_PLUGIN.format(op="cube"))
    script = tmp_path / "user_script.py"
    script.write_text(textwrap.dedent('''
        import linecache
        import numpy as np, framework, framework.tensor as T
        from framework import function
        x, y = T.dvector("x"), T.dvector("y")
        c = framework.ops.cube(x)  # cube built here
        print("TRACE", linecache.getline(*c.owner.trace).strip())
        f = function([x, y], framework.ops.cube(x + y))  # user line
        try:
            f(np.ones(2), np.ones(3))
        except ValueError as exc:
            print("ERROR", exc)
    '''))
    proc = run_python(f"import runpy; runpy.run_path({str(script)!r})", tmp_path)
    assert "TRACE c = framework.ops.cube(x)  # cube built here" in proc.stdout
    assert "f = function([x, y], framework.ops.cube(x + y))  # user line" in proc.stdout


def test_broken_plugin_is_reported_and_the_rest_still_works(tmp_path):
    make_dist(tmp_path, "cubeplug", "1.2.3", CUBE_PLUGIN.format(op="cube"))
    make_dist(tmp_path, "brokenops", "0.9", '''
        from framework.plugins import OpSpec, hookimpl

        @hookimpl
        def framework_ops():
            raise RuntimeError("cannot find libsquare.so")
    ''')
    proc = run_python('''
        import json, warnings
        import framework, framework.plugins, framework.tensor as T
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            infos = {i.name: i for i in framework.plugins.list()}
        try:
            framework.ops.square
            missing = None
        except AttributeError as exc:
            missing = str(exc)
        x = T.dvector("x")
        value = framework.function([x], framework.ops.cube(x))([2.0]).tolist()
        print(json.dumps(dict(status=infos["brokenops"].status, error=infos["brokenops"].error,
                              registered=infos["brokenops"].registered, warnings=[str(w.message) for w in caught],
                              missing=missing, value=value, table=framework.plugins.format_plugins())))
    ''', tmp_path)
    result = last_json(proc)
    assert result["status"] == "failed"
    assert "brokenops" in result["error"] and "framework_ops" in result["error"]
    assert "RuntimeError: cannot find libsquare.so" in result["error"]
    assert not any(result["registered"].values())
    assert any("brokenops" in w for w in result["warnings"])
    assert "square" in result["missing"] and "cube" in result["missing"]
    assert result["value"] == [8.0]
    assert "brokenops" in result["table"] and "failed" in result["table"] and "libsquare.so" in result["table"]
    proc = cli(tmp_path)
    assert proc.returncode == 0
    assert "brokenops" in proc.stdout and "libsquare.so" in proc.stdout and "ops: cube" in proc.stdout


def test_plugin_that_fails_to_import_is_reported(tmp_path):
    make_dist(tmp_path, "cubeplug", "1.2.3", CUBE_PLUGIN.format(op="cube"))
    make_dist(tmp_path, "noimport", "0.1", "import a_module_that_does_not_exist\n")
    result = last_json(run_python('''
        import json, warnings
        import framework, framework.plugins, framework.tensor as T
        warnings.simplefilter("ignore")
        infos = {i.name: i for i in framework.plugins.list()}
        print(json.dumps(dict(status=infos["noimport"].status, error=infos["noimport"].error,
                              cube=str(framework.ops.cube(T.dvector("x")).owner.op))))
    ''', tmp_path))
    assert result["status"] == "failed" and "a_module_that_does_not_exist" in result["error"]
    assert result["cube"] == "cube"


def test_disabled_plugin_is_listed_but_not_loaded(tmp_path):
    make_dist(tmp_path, "cubeplug", "1.2.3", CUBE_PLUGIN.format(op="cube"))
    result = last_json(run_python('''
        import json, sys
        import framework, framework.plugins
        infos = {i.name: i for i in framework.plugins.list()}
        try:
            framework.ops.cube
            found = True
        except AttributeError:
            found = False
        print(json.dumps(dict(status=infos["cubeplug"].status, found=found, imported="cubeplug" in sys.modules,
                              numpy_backend=infos["backend_numpy"].status)))
    ''', tmp_path, FRAMEWORK_DISABLE_PLUGINS="cubeplug"))
    assert result == {"status": "disabled", "found": False, "imported": False, "numpy_backend": "loaded"}
    proc = cli(tmp_path, FRAMEWORK_DISABLE_PLUGINS="cubeplug")
    row = next(line for line in proc.stdout.splitlines() if line.startswith("cubeplug"))
    assert "disabled" in row


def test_op_name_clash_is_an_error_naming_both_plugins(tmp_path):
    make_dist(tmp_path, "cubeplug", "1.2.3", CUBE_PLUGIN.format(op="cube"))
    make_dist(tmp_path, "othercube", "2.0", CUBE_PLUGIN.format(op="cube"))
    result = last_json(run_python('''
        import json, warnings
        import framework, framework.plugins, framework.tensor as T
        warnings.simplefilter("ignore")
        infos = {i.name: i for i in framework.plugins.list()}
        x = T.dvector("x")
        value = framework.function([x], framework.ops.cube(x))([2.0]).tolist()
        print(json.dumps(dict(status={n: infos[n].status for n in ("cubeplug", "othercube")},
                              errors=[infos[n].error for n in ("cubeplug", "othercube") if infos[n].error],
                              owner=framework.plugins.ops()["cube"].plugin, value=value)))
    ''', tmp_path))
    assert sorted(result["status"].values()) == ["failed", "loaded"]
    loser = next(n for n, s in result["status"].items() if s == "failed")
    winner = next(n for n, s in result["status"].items() if s == "loaded")
    (error,) = result["errors"]
    assert f"'{loser}'" in error and f"'{winner}'" in error and "'cube'" in error
    assert result["owner"] == winner and result["value"] == [8.0]


def test_kernel_for_a_builtin_op_overrides_the_reference(tmp_path):
    make_dist(tmp_path, "fastexp", "0.3", '''
        import numpy as np
        from framework.plugins import KernelSpec, hookimpl

        CALLS = []

        def build(node, backend):
            def run(x):
                CALLS.append(1)
                return np.exp(x)
            return run

        @hookimpl
        def framework_kernels():
            yield KernelSpec(name="fast_exp", op="exp", backend="numpy", build=build)
    ''')
    result = last_json(run_python('''
        import json
        import framework.tensor as T
        from framework import function
        import fastexp
        x = T.dvector("x")
        out = function([x], T.exp(x))([0.0]).tolist()
        print(json.dumps(dict(out=out, calls=len(fastexp.CALLS))))
    ''', tmp_path))
    assert result == {"out": [1.0], "calls": 1}

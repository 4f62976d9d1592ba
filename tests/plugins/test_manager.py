"""The plugin manager: registration, attribution, validation, failures, discovery."""
from __future__ import annotations

import json
import types

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import framework.plugins as plugins
from framework.plugins import (
    BackendSpec,
    DatasetSpec,
    KernelSpec,
    ModelSpec,
    OpSpec,
    PluginError,
    PluginWarning,
    RewriteSpec,
    hookimpl,
)

from .conftest import FakeEntryPoint, make_dist, run_python

pytestmark = pytest.mark.usefixtures("entry_points")


def plugin(cls_name: str = "Toy", **hooks):
    """A plugin object whose hook ``framework_<kind>`` returns ``hooks[kind]``
    (or raises it, if it is an exception)."""

    def hook_returning(result):
        def hook(self):
            if isinstance(result, Exception):
                raise result
            return result
        return hookimpl(hook)

    namespace = {f"framework_{kind}": hook_returning(r) for kind, r in hooks.items()}
    return type(cls_name, (), namespace)()


def op(name: str) -> OpSpec:
    return OpSpec(name, build=lambda *args: (name, args))


def dataset(name: str) -> DatasetSpec:
    return DatasetSpec(name, load=lambda: [1, 2, 3])


def backend(name: str, *devices: str, available: bool = True) -> BackendSpec:
    return BackendSpec(name, devices, available=lambda: available, create=lambda d: (name, d))


def kernel(op_name: str, backend_name: str, name: str = "k") -> KernelSpec:
    return KernelSpec(name, op_name, backend_name, build=lambda node, be: lambda *xs: xs)


def rewrite(name: str, **kw) -> RewriteSpec:
    return RewriteSpec(name, rewrite=lambda node: None, **kw)


def info(name: str) -> plugins.PluginInfo:
    return {i.name: i for i in plugins.list()}[name]


class Toy:
    """A plugin object with one record of every kind."""

    __version__ = "1.2"

    @hookimpl
    def framework_ops(self):
        yield OpSpec("double", build=lambda x: 2 * x, doc="twice x")

    @hookimpl
    def framework_rewrites(self):
        return [rewrite("drop_double", stage="canonicalize"), rewrite("late", stage="inplace")]

    @hookimpl
    def framework_backends(self):
        return [backend("toyback", "toy", "cpu")]

    @hookimpl
    def framework_kernels(self):
        return [kernel("double", "toyback", name="double_toy")]

    @hookimpl
    def framework_models(self):
        return [ModelSpec("toymodel", factory=dict)]

    @hookimpl
    def framework_datasets(self):
        return [dataset("ones")]


# -- in-code registration and getters ---------------------------------------------------------


def test_register_object_fills_every_registry():
    assert plugins.register(Toy()) == "Toy"
    assert plugins.ops()["double"].build(21) == 42
    assert [r.name for r in plugins.rewrites()] == ["drop_double", "late"]
    assert plugins.backends()["toyback"].create("toy:0") == ("toyback", "toy:0")
    assert plugins.kernels()[("double", "toyback")].name == "double_toy"
    assert plugins.models()["toymodel"].factory is dict
    assert plugins.datasets()["ones"].load() == [1, 2, 3]


def test_every_record_names_the_plugin_that_gave_it():
    plugins.register(Toy(), name="toy")
    plugins.register(plugin(datasets=[dataset("twos")]), name="other")
    getters = [plugins.ops, plugins.backends, plugins.kernels, plugins.models]
    assert {r.plugin for g in getters for r in g().values()} == {"toy"}
    assert {r.plugin for r in plugins.rewrites()} == {"toy"}
    assert {n: d.plugin for n, d in plugins.datasets().items()} == {"ones": "toy", "twos": "other"}


def test_getters_return_copies():
    plugins.register(Toy())
    plugins.ops().clear()
    plugins.rewrites().clear()
    assert "double" in plugins.ops() and len(plugins.rewrites()) == 2


def test_module_plugin_is_named_after_the_module_with_its_version():
    module = types.ModuleType("mymod")
    module.__version__ = "2.0"
    module.framework_datasets = hookimpl(lambda: [dataset("from_module")])
    assert plugins.register(module) == "mymod"
    assert info("mymod").version == "2.0"
    plugins.register(plugin(ops=[op("x")]), name="plain")
    assert info("plain").version == "n/a"


def test_hook_returning_none_registers_nothing():
    plugins.register(plugin(ops=None), name="empty")
    assert info("empty").status == "loaded" and plugins.ops() == {}


def test_unregister_forgets_the_plugin_and_its_records():
    plugins.register(Toy(), name="toy")
    plugins.unregister("toy")
    assert plugins.ops() == {} and plugins.rewrites() == [] and plugins.list() == []
    plugins.register(Toy(), name="toy")  # and the name is free again
    with pytest.raises(PluginError, match="no plugin named 'nope'"):
        plugins.unregister("nope")


def test_plugin_name_taken_twice_is_an_error():
    plugins.register(plugin(ops=[op("a")]), name="p")
    with pytest.raises(PluginError, match="a plugin named 'p' is already registered"):
        plugins.register(plugin(ops=[op("b")]), name="p")
    assert list(plugins.ops()) == ["a"]


# -- clashes ------------------------------------------------------------------------------------


def test_clash_in_code_raises_naming_both_plugins_and_keeps_nothing():
    plugins.register(plugin(ops=[op("foo")]), name="a")
    clashing = plugin(ops=[op("foo")], datasets=[dataset("bar")])
    with pytest.raises(PluginError) as err:
        plugins.register(clashing, name="b")
    assert str(err.value) == "plugin 'b' registers op 'foo', already registered by plugin 'a'"
    assert "bar" not in plugins.datasets() and "b" not in {i.name for i in plugins.list()}
    assert plugins.ops()["foo"].plugin == "a"
    plugins.register(plugin(datasets=[dataset("bar")]), name="b")  # nothing of b was left behind


def test_kernels_clash_on_op_and_backend_not_on_name():
    plugins.register(plugin(kernels=[kernel("exp", "numpy", name="same")]), name="a")
    plugins.register(plugin(kernels=[kernel("exp", "cupy", name="same")]), name="b")
    with pytest.raises(PluginError, match="plugin 'c' registers kernel 'exp@numpy', "
                                          "already registered by plugin 'a'"):
        plugins.register(plugin(kernels=[kernel("exp", "numpy", name="other")]), name="c")


def test_same_name_twice_within_one_plugin_is_a_clash():
    with pytest.raises(PluginError, match="plugin 'a' registers dataset 'd', already .* 'a'"):
        plugins.register(plugin(datasets=[dataset("d"), dataset("d")]), name="a")


def test_same_name_in_different_registries_is_fine():
    plugins.register(plugin(ops=[op("rbm")], models=[ModelSpec("rbm", factory=dict)]), name="a")
    assert "rbm" in plugins.ops() and "rbm" in plugins.models()


names = st.sets(st.sampled_from("abcdefgh"), max_size=5)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=names, second=names)
def test_a_second_plugin_registers_iff_its_names_are_new(first, second):
    plugins.reset()
    plugins.register(plugin(ops=[op(n) for n in sorted(first)]), name="one")
    clash = first & second
    if clash:
        with pytest.raises(PluginError, match=r"plugin 'two' registers op '[a-h]', already "
                                              r"registered by plugin 'one'"):
            plugins.register(plugin(ops=[op(n) for n in sorted(second)]), name="two")
        assert set(plugins.ops()) == first
    else:
        plugins.register(plugin(ops=[op(n) for n in sorted(second)]), name="two")
        assert {n: s.plugin for n, s in plugins.ops().items()} == (
            {n: "one" for n in first} | {n: "two" for n in second})


# -- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("hooks, reason", [
    ({"ops": [{"name": "foo"}]}, "expected OpSpec, got dict"),
    ({"ops": [dataset("d")]}, "expected OpSpec, got DatasetSpec"),
    ({"ops": [OpSpec("", build=print)]}, "name must be a non-empty str"),
    ({"ops": [OpSpec(3, build=print)]}, "name must be a non-empty str"),
    ({"ops": [OpSpec("foo", build="not callable")]}, "OpSpec 'foo': build must be callable"),
    ({"backends": [BackendSpec("b", ("cpu",), available=True, create=print)]},
     "available must be callable"),
    ({"backends": [BackendSpec("b", "cpu", available=bool, create=print)]},
     "devices must be a non-empty tuple of str"),
    ({"kernels": [KernelSpec("k", "", "numpy", build=print)]}, "op and backend must be"),
    ({"models": [ModelSpec("m", factory=dict, train=5)]}, "train must be callable or None"),
    ({"rewrites": [rewrite("r", kind="sideways")]}, "kind must be 'local' or 'global'"),
    ({"rewrites": [rewrite("r", stage="mine")]}, "new stage 'mine' needs exactly one of"),
    ({"rewrites": [rewrite("r", stage="mine", before="fusion", after="stabilize")]},
     "new stage 'mine' needs exactly one of"),
    ({"rewrites": [rewrite("r", stage="mine", after="nowhere")]},
     "names 'nowhere', not an existing stage"),
    ({"rewrites": [rewrite("r", stage="fusion", after="stabilize")]},
     "'fusion' is a standard stage"),
])
def test_invalid_record_is_rejected_naming_plugin_and_reason(hooks, reason):
    bad = plugin(datasets=[dataset("innocent")], **hooks)
    with pytest.raises(PluginError, match="plugin 'bad' gave an invalid record") as err:
        plugins.register(bad, name="bad")
    assert reason in str(err.value)
    assert plugins.datasets() == {} and plugins.list() == []


def test_new_stage_placed_after_an_existing_one_can_be_built_on():
    plugins.register(plugin(rewrites=[
        rewrite("r1", stage="mine", after="fusion"),
        rewrite("r2", stage="mine"),
        rewrite("r3", stage="later", after="mine", kind="global"),
    ]), name="a")
    plugins.register(plugin(rewrites=[rewrite("r4", stage="before_all", before="later")]),
                     name="b")
    assert [(r.name, r.stage, r.plugin) for r in plugins.rewrites()] == [
        ("r1", "mine", "a"), ("r2", "mine", "a"), ("r3", "later", "a"),
        ("r4", "before_all", "b")]


def test_hook_that_raises_in_code_is_reported():
    with pytest.raises(PluginError, match=r"plugin 'boom' failed in framework_ops\(\): "
                                          r"ValueError: kaput"):
        plugins.register(plugin(ops=ValueError("kaput"), datasets=[dataset("d")]), name="boom")
    assert plugins.datasets() == {}


def test_misspelt_hook_is_reported():
    class Typo:
        @hookimpl
        def framework_op(self):
            return [op("x")]

    with pytest.raises(PluginError, match="plugin 'Typo' implements unknown hook 'framework_op'"):
        plugins.register(Typo())


# -- entry-point loading ------------------------------------------------------------------------


def test_loading_is_lazy_and_happens_once(entry_points, monkeypatch):
    calls = []
    from framework.plugins import manager

    monkeypatch.setattr(manager, "discover", lambda: calls.append(1) or entry_points)
    entry_points.append(FakeEntryPoint("good", plugin(ops=[op("foo")]), version="3.1"))
    plugins.reset()
    assert calls == []  # nothing is loaded before it is needed
    assert list(plugins.ops()) == ["foo"]
    plugins.datasets(), plugins.list(), plugins.register(plugin(), name="late")
    assert calls == [1] and entry_points[0].loads == 1
    assert info("good").version == "3.1"


def test_failing_entry_points_are_reported_and_the_rest_still_load(entry_points):
    entry_points += [
        FakeEntryPoint("first", plugin(ops=[op("foo")]), version="1.0"),
        FakeEntryPoint("broken", ImportError("No module named 'missing_dep'"), version="0.3"),
        FakeEntryPoint("raises", plugin(datasets=RuntimeError("no data"))),
        FakeEntryPoint("invalid", plugin(datasets=[dataset("")])),
        FakeEntryPoint("clash", plugin(ops=[op("foo")], datasets=[dataset("d")])),
        FakeEntryPoint("last", plugin(datasets=[dataset("d")]), version="2.0"),
    ]
    with pytest.warns(PluginWarning) as caught:
        infos = {i.name: i for i in plugins.list()}
    messages = [str(w.message) for w in caught]
    assert len(messages) == 4

    assert {n: i.status for n, i in infos.items()} == {
        "first": "loaded", "broken": "failed", "raises": "failed", "invalid": "failed",
        "clash": "failed", "last": "loaded"}
    assert infos["broken"].error == ("plugin 'broken' failed to import: "
                                     "ImportError: No module named 'missing_dep'")
    assert infos["broken"].version == "0.3"
    assert infos["raises"].error == ("plugin 'raises' failed in framework_datasets(): "
                                     "RuntimeError: no data")
    assert "plugin 'invalid' gave an invalid record" in infos["invalid"].error
    assert infos["clash"].error == ("plugin 'clash' registers op 'foo', "
                                    "already registered by plugin 'first'")
    for name in ("broken", "raises", "invalid", "clash"):
        assert any(f"plugin {name!r}" in m and infos[name].error in m for m in messages)
        assert infos[name].registered == {k: [] for k in plugins.manager.RECORD_KINDS}

    assert {n: s.plugin for n, s in plugins.ops().items()} == {"foo": "first"}
    assert {n: s.plugin for n, s in plugins.datasets().items()} == {"d": "last"}


def test_version_falls_back_to_the_module_then_unknown(entry_points):
    module = types.ModuleType("versioned")
    module.__version__ = "4.5"
    entry_points += [FakeEntryPoint("versioned", module), FakeEntryPoint("bare", plugin())]
    assert info("versioned").version == "4.5" and info("bare").version == "unknown"


def test_disabled_entry_points_are_skipped_and_listed(entry_points, monkeypatch):
    monkeypatch.setenv("FRAMEWORK_DISABLE_PLUGINS", " off1,off2 ,")
    entry_points += [
        FakeEntryPoint("off1", plugin(ops=[op("foo")]), version="1.0"),
        FakeEntryPoint("on", plugin(ops=[op("bar")])),
        FakeEntryPoint("off2", ImportError("would fail")),
    ]
    assert [(i.name, i.status) for i in plugins.list()] == [
        ("off1", "disabled"), ("on", "loaded"), ("off2", "disabled")]
    assert list(plugins.ops()) == ["bar"]
    assert [ep.loads for ep in entry_points] == [0, 1, 0]
    assert "disabled" in plugins.format_plugins()


# -- list() and format_plugins() ----------------------------------------------------------------


def test_list_reports_what_each_plugin_registered(entry_points):
    entry_points.append(FakeEntryPoint("toy", Toy(), version="0.9"))
    entry_points.append(FakeEntryPoint("broken", ImportError("nope")))
    with pytest.warns(PluginWarning, match="plugin 'broken' failed to import"):
        toy = info("toy")
    assert (toy.version, toy.status, toy.error) == ("0.9", "loaded", None)
    assert toy.registered == {
        "ops": ["double"], "rewrites": ["drop_double", "late"], "backends": ["toyback"],
        "kernels": ["double@toyback"], "models": ["toymodel"], "datasets": ["ones"], "scalar_ops": []}
    assert info("broken").registered["ops"] == []


def test_format_plugins_shows_versions_statuses_records_and_failures(entry_points):
    entry_points.append(FakeEntryPoint("toy", Toy(), version="0.9"))
    entry_points.append(FakeEntryPoint("broken", ImportError("nope"), version="0.1"))
    with pytest.warns(PluginWarning):
        text = plugins.format_plugins()
    lines = text.splitlines()
    assert lines[0].split() == ["plugin", "version", "status"]
    assert lines[2].split() == ["toy", "0.9", "loaded"]
    for expected in ("ops: double", "rewrites: drop_double, late", "kernels: double@toyback",
                     "datasets: ones"):
        assert f"    {expected}" in lines
    assert "models: toymodel" in text and "backends: toyback" in text
    assert ["broken", "0.1", "failed"] in [line.split() for line in lines]
    assert "    error: plugin 'broken' failed to import: ImportError: nope" in lines


def test_format_plugins_with_no_plugins():
    assert plugins.format_plugins() == "no plugins found"


# -- backend_for_device -------------------------------------------------------------------------


@given(index=st.integers(min_value=0, max_value=10**6))
@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_backend_for_device_matches_the_prefix(index):
    plugins.reset()
    plugins.register(plugin(backends=[backend("host", "cpu"), backend("gpu", "cuda", "rocm")]),
                     name="devs")
    assert plugins.backend_for_device("cpu").name == "host"
    assert plugins.backend_for_device(f"cuda:{index}").name == "gpu"
    assert plugins.backend_for_device(f"rocm:{index}").plugin == "devs"


def test_backend_for_device_prefers_an_available_backend():
    plugins.register(plugin(backends=[backend("missing", "cuda", available=False)]), name="a")
    plugins.register(plugin(backends=[backend("present", "cuda")]), name="b")
    assert plugins.backend_for_device("cuda:0").name == "present"


def test_unknown_device_error_lists_known_devices_and_plugins():
    plugins.register(plugin(backends=[backend("host", "cpu")]), name="numpy_plug")
    plugins.register(plugin(backends=[backend("gpu", "cuda")]), name="cupy_plug")
    with pytest.raises(PluginError) as err:
        plugins.backend_for_device("cudax:0")  # a prefix is matched whole, not as a prefix
    message = str(err.value)
    assert "no backend serves device 'cudax:0'" in message
    assert "cpu (plugin 'numpy_plug')" in message and "cuda (plugin 'cupy_plug')" in message


def test_unknown_device_error_without_any_backend():
    with pytest.raises(PluginError, match="no backend plugin is loaded"):
        plugins.backend_for_device("cpu")


# -- real discovery through importlib.metadata (in a subprocess) --------------------------------

GOOD_PLUGIN = """
    from framework.plugins import DatasetSpec, hookimpl

    @hookimpl
    def framework_datasets():
        yield DatasetSpec("myplug_ones", load=lambda n=3: [1.0] * n)
"""

REPORT = """
    import json, sys, warnings
    import framework.plugins as plugins
    assert "myplug" not in sys.modules, "entry points loaded at import"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        infos = {i.name: i.__dict__ for i in plugins.list()}
    datasets = {n: [d.plugin, d.load()] for n, d in plugins.datasets().items() if d.plugin == "myplug"}
    print(json.dumps({"infos": infos, "datasets": datasets,
                      "warnings": [str(w.message) for w in caught]}))
"""


def report(*paths, **env) -> dict:
    return json.loads(run_python(REPORT, *paths, **env).stdout.splitlines()[-1])


def test_installed_distribution_is_discovered_with_its_version(tmp_path):
    path = make_dist(tmp_path, "myplug", "0.1", GOOD_PLUGIN)
    result = report(path)
    myplug = result["infos"]["myplug"]
    assert (myplug["version"], myplug["status"]) == ("0.1", "loaded")
    assert myplug["registered"]["datasets"] == ["myplug_ones"]
    assert result["datasets"]["myplug_ones"] == ["myplug", [1.0, 1.0, 1.0]]


def test_broken_distribution_is_reported_while_the_good_one_loads(tmp_path):
    make_dist(tmp_path, "myplug", "0.1", GOOD_PLUGIN)
    make_dist(tmp_path, "brokenplug", "0.2", "raise ImportError('needs libfoo')\n")
    result = report(tmp_path)
    broken = result["infos"]["brokenplug"]
    assert (broken["version"], broken["status"]) == ("0.2", "failed")
    assert broken["error"] == "plugin 'brokenplug' failed to import: ImportError: needs libfoo"
    assert any("plugin 'brokenplug'" in w for w in result["warnings"])
    assert result["infos"]["myplug"]["status"] == "loaded"
    assert "myplug_ones" in result["datasets"]


def test_distribution_disabled_by_environment_variable(tmp_path):
    make_dist(tmp_path, "myplug", "0.1", GOOD_PLUGIN)
    make_dist(tmp_path, "brokenplug", "0.2", "raise ImportError('needs libfoo')\n")
    result = report(tmp_path, FRAMEWORK_DISABLE_PLUGINS="myplug,brokenplug")
    assert result["infos"]["myplug"]["status"] == "disabled"
    assert result["infos"]["brokenplug"]["status"] == "disabled"
    assert "myplug_ones" not in result["datasets"]
    assert not any("brokenplug" in w for w in result["warnings"])


def test_importing_framework_plugins_is_cheap(tmp_path):
    make_dist(tmp_path, "myplug", "0.1", GOOD_PLUGIN)
    run_python("""
        import sys
        import framework
        before = set(sys.modules)
        import framework.plugins
        new = set(sys.modules) - before
        assert not [m for m in new if m.startswith(("numpy", "importlib.metadata"))], sorted(new)
        assert "myplug" not in sys.modules
    """, tmp_path)

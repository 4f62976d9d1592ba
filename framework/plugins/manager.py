"""The plugin manager: loads plugins and keeps the registries they fill.

Loading walks the entry points of the group ``framework.plugins`` one at a
time. Each plugin is imported, registered with pluggy, and asked for its
records hook by hook; every record is checked and stamped with the plugin's
name before anything is kept. A plugin that fails at any step keeps nothing,
is listed with the reason, and triggers a :class:`PluginWarning`; the others
load as usual.
"""
from __future__ import annotations

import os
import threading
import warnings
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, Hashable, Iterable, List, Optional, Tuple

import pluggy

from ..core.errors import describe_exception
from . import hookspecs
from .records import RECORD_KINDS, STAGES, BackendSpec

GROUP = "framework.plugins"
"""The entry-point group plugins are declared in."""

DISABLE_ENV = "FRAMEWORK_DISABLE_PLUGINS"
"""Comma-separated entry-point names to skip (read when plugins load)."""


class PluginError(Exception):
    """A plugin could not be loaded or registered; the message names it."""


class PluginWarning(UserWarning):
    """A plugin was skipped while loading (the others still work)."""


@dataclass(frozen=True)
class PluginInfo:
    """What :func:`framework.plugins.list` reports about one plugin.

    ``status`` is ``'loaded'``, ``'failed'`` (``error`` says why) or
    ``'disabled'``; ``registered`` maps each registry (``'ops'``, ...) to
    the names the plugin added to it (kernels as ``'op@backend'``).
    """

    name: str
    version: str
    status: str
    error: Optional[str] = None
    registered: Dict[str, List[str]] = field(default_factory=dict)


def discover() -> Iterable[Any]:
    """The installed entry points of :data:`GROUP` (tests replace this)."""
    from importlib.metadata import entry_points

    return entry_points(group=GROUP)


BUNDLED_DISTRIBUTION = "framework"
"""The distribution whose entry points are the bundled plugins."""


def is_bundled(ep: Any) -> bool:
    """Whether entry point ``ep`` is one of the plugins shipped with the framework."""
    dist = getattr(ep, "dist", None)
    return getattr(dist, "name", None) == BUNDLED_DISTRIBUTION or getattr(ep, "bundled", False)


def _bundled_first(eps: Iterable[Any]) -> List[Any]:
    """Bundled plugins first (in their declared order), then the others: a third
    party can then never take a name a bundled plugin registers -- its clashing
    registration is the one refused, with an error naming both plugins."""
    eps = list(eps)
    return [ep for ep in eps if is_bundled(ep)] + [ep for ep in eps if not is_bundled(ep)]


def _fatal(exc: BaseException) -> bool:
    """Exceptions a plugin's failure must not swallow: the user's Ctrl-C."""
    return isinstance(exc, KeyboardInterrupt)


def _kernel_key(record: Any) -> Hashable:
    """``(op, backend)``; ``(op, backend, op classes)`` for a kernel scoped by ``op_type``, so that
    a third party's op sharing a built-in op's name can have a kernel of its own on that backend."""
    types = record.op_types
    return (record.op, record.backend) if types is None else (record.op, record.backend, types)


def _kernels_overlap(a: Any, b: Any) -> bool:
    """Whether two kernels for one op name and backend could both apply to some op: unless both
    say which op classes they are for (``op_type``), and no class is in both, they clash."""
    if a.op != b.op or a.backend != b.backend:
        return False
    ta, tb = a.op_types, b.op_types
    return ta is None or tb is None or bool(ta & tb)


def _describe(kind: str, key: Hashable) -> str:
    """How an error names a registration: ``op 'foo'``, ``kernel 'exp@numpy'``."""
    return f"{kind[:-1]} {_key_text(kind, key)!r}"


def _key_text(kind: str, key: Any) -> str:
    return f"{key[0]}@{key[1]}" if kind == "kernels" else key


# Fields that must be callable (required / may be None), per registry.
_CALLABLES = {
    "ops": ("build",),
    "scalar_ops": (),
    "rewrites": ("rewrite",),
    "backends": ("available", "create"),
    "kernels": ("build",),
    "models": ("factory",),
    "datasets": ("load",),
}
_OPTIONAL_CALLABLES = {"scalar_ops": ("grad", "dtype"), "models": ("add_arguments", "train", "sample", "add_sample_arguments")}


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _problem(kind: str, record: Any, stages: set) -> Optional[str]:
    """Why ``record`` is not a valid entry of registry ``kind`` (None: it is).

    ``stages`` holds the rewrite stages that exist so far (standard ones and
    those created by earlier records).
    """
    expected = RECORD_KINDS[kind]
    if not isinstance(record, expected):
        return f"expected {expected.__name__}, got {type(record).__name__}: {record!r}"
    what = f"{expected.__name__} {record.name!r}"
    if not _is_name(record.name):
        return f"{what}: name must be a non-empty str"
    for attr in _CALLABLES[kind]:
        if not callable(getattr(record, attr)):
            return f"{what}: {attr} must be callable, got {getattr(record, attr)!r}"
    for attr in _OPTIONAL_CALLABLES.get(kind, ()):
        value = getattr(record, attr)
        if value is not None and not callable(value):
            return f"{what}: {attr} must be callable or None, got {value!r}"
    if kind == "kernels" and not (_is_name(record.op) and _is_name(record.backend)):
        return f"{what}: op and backend must be non-empty str"
    if kind == "kernels" and record.op_type is not None:
        types = record.op_type if isinstance(record.op_type, tuple) else (record.op_type,)
        if not types or not all(isinstance(t, type) for t in types):
            return f"{what}: op_type must be an op class or a tuple of op classes, got {_safe(record.op_type)}"
    if kind == "backends":
        devices = record.devices
        if isinstance(devices, str) or not devices or not all(_is_name(d) for d in devices):
            return f"{what}: devices must be a non-empty tuple of str, got {devices!r}"
    if kind == "rewrites":
        return _rewrite_problem(record, what, stages)
    if kind == "scalar_ops":
        return _scalar_op_problem(record, what)
    return None


def _scalar_op_problem(record: Any, what: str) -> Optional[str]:
    from ..core.elemwise import is_builtin_row

    if is_builtin_row(record.name):
        return (f"{what} clashes with the built-in element-wise row {record.name!r} "
                "(plugin 'kernel'); choose another name")
    if not isinstance(record.nin, int) or record.nin < 1:
        return f"{what}: nin must be a positive int, got {record.nin!r}"
    if not (callable(record.impl) or _is_name(record.impl)):
        return f"{what}: impl must be an array-namespace function name or f(xp, *arrays), got {record.impl!r}"
    return None


def _rewrite_problem(record: Any, what: str, stages: set) -> Optional[str]:
    """Check a rewrite's kind and stage placement (see ``RewriteSpec``)."""
    if record.kind not in ("local", "global"):
        return f"{what}: kind must be 'local' or 'global', got {record.kind!r}"
    if not _is_name(record.stage):
        return f"{what}: stage must be a non-empty str"
    anchors = [a for a in (record.before, record.after) if a is not None]
    known = ", ".join(sorted(stages))
    if record.stage in STAGES and anchors:
        return f"{what}: before/after place a new stage; {record.stage!r} is a standard stage"
    if record.stage not in stages and len(anchors) != 1:
        return (f"{what}: new stage {record.stage!r} needs exactly one of before/after "
                f"naming an existing stage ({known})")
    if len(anchors) > 1:
        return f"{what}: give only one of before/after"
    if anchors and (anchors[0] not in stages or anchors[0] == record.stage):
        return f"{what}: before/after names {anchors[0]!r}, not an existing stage ({known})"
    return None


class PluginManager:
    """Loads plugins (once, on first use) and owns the six registries.

    Registries map a key to a record: the record's ``name``, or
    ``(op, backend)`` for kernels. Each record's ``plugin`` field names the
    plugin that gave it; ``_plugins`` keeps what :meth:`infos` reports.
    """

    def __init__(self, entry_points: Optional[Callable[[], Iterable[Any]]] = None) -> None:
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._entry_points = entry_points
        self._records: Dict[str, Dict[Hashable, Any]] = {kind: {} for kind in RECORD_KINDS}
        self._plugins: Dict[str, PluginInfo] = {}
        self._origins: Dict[str, str] = {}  # entry point value of each plugin name
        self._paths: Dict[str, Optional[str]] = {}  # source file or package folder of each plugin
        self._bundled: set = set()  # names of the plugins shipped with the framework
        self._loaded = False
        self._lock = threading.RLock()
        self.generation = 0  # bumped by every change of the registries; caches compare it

    # -- loading -----------------------------------------------------------

    def load(self) -> None:
        """Load every entry-point plugin, once; later calls return at once.

        Warnings for failed plugins are issued after all plugins are in, so
        an ``error`` warnings filter cannot leave the registries half-filled.
        """
        with self._lock:
            if self._loaded:
                return
            self._loaded = True  # first: a plugin that queries us while loading sees what is in
            disabled = {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",")} - {""}
            errors = []
            for ep in _bundled_first((self._entry_points or discover)()):
                error = self._load_entry_point(ep, disabled)
                if error:
                    errors.append(error)
        for error in errors:
            warnings.warn(f"{error} (plugin skipped)", PluginWarning, stacklevel=4)

    def _load_entry_point(self, ep: Any, disabled: set) -> Optional[str]:
        """Load and register one entry point; return the error text if it failed."""
        name = ep.name
        version = getattr(getattr(ep, "dist", None), "version", None)
        if name in self._plugins:
            first = self._plugins[name]
            return (f"plugin {name!r} is declared twice: {_safe(getattr(ep, 'value', ep))} was skipped, the "
                    f"plugin {name!r} already {first.status} ({self._origins.get(name, 'unknown origin')}) keeps "
                    "the name")
        self._origins[name] = _safe(getattr(ep, "value", ep))
        if name in disabled:
            self._plugins[name] = PluginInfo(name, version or "unknown", "disabled")
            return None
        try:
            try:
                obj = ep.load()
            except BaseException as exc:  # sys.exit() or a broken __str__ must not kill the host
                if _fatal(exc):
                    raise
                raise PluginError(f"plugin {name!r} failed to import: {describe_exception(exc)}") from None
            version = version or str(getattr(obj, "__version__", "unknown"))
            self._paths[name] = _mark_library_code(obj)
            if is_bundled(ep):
                self._bundled.add(name)
            self.add(obj, name, version)
        except PluginError as exc:
            self._plugins[name] = PluginInfo(name, version or "unknown", "failed", str(exc))
            return str(exc)
        return None

    def add(self, obj: Any, name: str, version: str) -> None:
        """Register ``obj`` as plugin ``name`` and keep its records, or nothing.

        Raises :class:`PluginError` (naming the plugin) if it cannot be
        registered, a hook raises, a record is invalid or a name is taken.
        """
        with self._lock:
            if name in self._plugins:
                raise PluginError(f"a plugin named {name!r} is already registered")
            try:
                self._pm.register(obj, name=name)
            except BaseException as exc:
                if _fatal(exc):
                    raise
                raise PluginError(f"plugin {name!r} could not be registered: {describe_exception(exc)}") from None
            try:
                staged = self._collect(obj, name)
            except BaseException as exc:
                self._pm.unregister(name=name)
                if _fatal(exc) or isinstance(exc, PluginError):
                    raise
                raise PluginError(f"plugin {name!r} failed while registering: {describe_exception(exc)}") from None
            if name not in self._paths:
                self._paths[name] = _plugin_path(obj)
            for kind, records in staged.items():
                self._records[kind].update(records)
            self.generation += 1
            self._plugins[name] = PluginInfo(name, version, "loaded")

    def _collect(self, obj: Any, name: str) -> Dict[str, Dict[Hashable, Any]]:
        """Call ``obj``'s own hooks and return its checked, stamped records."""
        for caller in self._pm.get_hookcallers(obj) or ():
            if not caller.has_spec():
                raise PluginError(f"plugin {name!r} implements unknown hook {caller.name!r}")
        stages = set(STAGES) | {r.stage for r in self._records["rewrites"].values()}
        staged: Dict[str, Dict[Hashable, Any]] = {kind: {} for kind in RECORD_KINDS}
        for kind in RECORD_KINDS:
            hook_name = f"framework_{kind}"
            for impl in getattr(self._pm.hook, hook_name).get_hookimpls():
                if impl.plugin is not obj:
                    continue
                try:
                    records = list(impl.function() or ())
                except BaseException as exc:
                    if _fatal(exc):
                        raise
                    raise PluginError(f"plugin {name!r} failed in {hook_name}(): {describe_exception(exc)}") from None
                for record in records:
                    problem = _problem(kind, record, stages)
                    if problem:
                        raise PluginError(f"plugin {name!r} gave an invalid record "
                                          f"from {hook_name}(): {problem}")
                    key = _kernel_key(record) if kind == "kernels" else record.name
                    owner = self._records[kind].get(key) or staged[kind].get(key)
                    if owner is None and kind == "kernels":
                        owner = next((k for registry in (self._records[kind], staged[kind])
                                      for k in registry.values() if _kernels_overlap(k, record)), None)
                    if owner is not None:
                        raise PluginError(f"plugin {name!r} registers {_describe(kind, key)}, "
                                          f"already registered by plugin {owner.plugin!r}")
                    staged[kind][key] = replace(record, plugin=name)
                    if kind == "rewrites":
                        stages.add(record.stage)
        return staged

    def remove(self, name: str) -> None:
        """Forget plugin ``name`` and everything it registered."""
        with self._lock:
            if self._plugins.pop(name, None) is None:
                known = ", ".join(self._plugins) or "none"
                raise PluginError(f"no plugin named {name!r} (known: {known})")
            self._paths.pop(name, None)
            if self._pm.get_plugin(name) is not None:
                self._pm.unregister(name=name)
            for registry in self._records.values():
                for key in [k for k, r in registry.items() if r.plugin == name]:
                    del registry[key]
            self.generation += 1

    # -- queries -----------------------------------------------------------

    def registry(self, kind: str) -> Dict[Hashable, Any]:
        """A copy of registry ``kind`` (key -> record, in registration order)."""
        return dict(self._records[kind])

    def infos(self) -> List[PluginInfo]:
        """Every known plugin, in load order, with what it registered."""
        return [
            replace(info, registered={
                kind: [_key_text(kind, k) for k, r in registry.items() if r.plugin == info.name]
                for kind, registry in self._records.items()
            })
            for info in self._plugins.values()
        ]

    def plugin_of_traceback(self, tb: Any) -> Optional[Tuple[str, bool]]:
        """``(name, bundled)`` of the plugin whose code raised: the innermost
        frame of traceback ``tb`` that lies in a plugin's source (None: none does)."""
        found = None
        while tb is not None:
            name = self.plugin_of_code(tb.tb_frame.f_code.co_filename)
            if name is not None:
                found = (name, name in self._bundled)
            tb = tb.tb_next
        return found

    def plugin_of_code(self, filename: str) -> Optional[str]:
        """The plugin whose source holds ``filename`` (None: no plugin's)."""
        filename = os.path.abspath(filename)
        for name, path in self._paths.items():
            if path and (filename == path or filename.startswith(path + os.sep)):
                return name
        return None

    def backend_for_device(self, device: str) -> BackendSpec:
        """The backend serving ``device`` (``'cuda:1'`` -> prefix ``'cuda'``).

        If several serve it, the first available one wins (else the first).
        """
        prefix = device.split(":", 1)[0]
        matches = [b for b in self._records["backends"].values() if prefix in b.devices]
        if not matches:
            known = ", ".join(f"{d} (plugin {b.plugin!r})"
                              for b in self._records["backends"].values() for d in b.devices)
            raise PluginError(f"no backend serves device {device!r}; known devices: "
                              f"{known or 'none (no backend plugin is loaded)'}")
        if len(matches) > 1:
            return next((b for b in matches if b.available()), matches[0])
        return matches[0]


def format_infos(infos: List[PluginInfo], unavailable: Optional[Dict[str, str]] = None, width: int = 100) -> str:
    """The plugin table printed by ``framework plugins``.

    ``unavailable`` maps a backend's name to why it cannot run here; such a
    backend is listed as ``cupy (unavailable: ...)`` and its plugin's status
    says so. Lists of names are wrapped at ``width`` columns.
    """
    import textwrap

    if not infos:
        return "no plugins found"
    unavailable = unavailable or {}
    statuses = []
    for info in infos:
        status = info.status
        missing = [b for b in info.registered.get("backends", []) if b in unavailable]
        if status == "loaded" and missing:
            status = "loaded; backend unavailable" if len(missing) == 1 else "loaded; backends unavailable"
        statuses.append(status)
    name_width = max(len("plugin"), *(len(i.name) for i in infos))
    vwidth = max(len("version"), *(len(i.version) for i in infos))
    lines = [f"{'plugin':<{name_width}}  {'version':<{vwidth}}  status",
             f"{'-' * name_width}  {'-' * vwidth}  --------"]
    for info, status in zip(infos, statuses):
        lines.append(f"{info.name:<{name_width}}  {info.version:<{vwidth}}  {status}")
        if info.error:
            lines.extend(textwrap.wrap(f"error: {info.error}", width=max(width, 40), initial_indent="    ",
                                       subsequent_indent="      ", break_on_hyphens=False))
        for kind, names in info.registered.items():
            if not names:
                continue
            shown = [f"{n} (unavailable: {unavailable[n]})" if kind == "backends" and n in unavailable else n
                     for n in names]
            head = f"    {kind}: "
            lines.extend(textwrap.wrap(", ".join(shown), width=max(width, 40), initial_indent=head,
                                       subsequent_indent=" " * len(head), break_on_hyphens=False,
                                       break_long_words=False))
    return "\n".join(lines)


def _safe(obj: Any) -> str:
    from ..core.errors import safe_str

    return safe_str(obj)


def _plugin_path(obj: Any) -> Optional[str]:
    """The source file of a plugin module, or its package's folder (None if unknown)."""
    import inspect

    try:
        module = obj if inspect.ismodule(obj) else inspect.getmodule(obj)
        path = getattr(module, "__file__", None)
        if not path:
            return None
        if os.path.basename(path) == "__init__.py":
            path = os.path.dirname(path)
        return os.path.abspath(path)
    except Exception:  # a nicety must never break loading
        return None


def _mark_library_code(obj: Any) -> Optional[str]:
    """Let error traces skip an entry-point plugin's own code (see core.errors);
    returns the plugin's path."""
    path = _plugin_path(obj)
    if path:
        from ..core.errors import add_library_path

        add_library_path(path)
    return path

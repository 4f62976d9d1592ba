"""Plugins: how ops, rewrites, backends, kernels, models and datasets get in.

A plugin implements the hooks of :mod:`framework.plugins.hookspecs` and is
found through the entry-point group ``framework.plugins`` or registered in
code with :func:`register`. Importing this module is cheap: plugins load on
the first call of any function below, once.

``FRAMEWORK_DISABLE_PLUGINS=name1,name2`` skips entry-point plugins by name.
"""
from __future__ import annotations

import builtins
from typing import Any, Dict, List, Optional, Tuple

from .hookspecs import hookimpl, hookspec
from .manager import PluginError, PluginInfo, PluginManager, PluginWarning, format_infos
from .records import (
    STAGES,
    BackendSpec,
    DatasetSpec,
    KernelSpec,
    ModelSpec,
    OpSpec,
    RewriteSpec,
    ScalarOpSpec,
)

__all__ = [
    "hookimpl", "hookspec",
    "OpSpec", "ScalarOpSpec", "RewriteSpec", "BackendSpec", "KernelSpec", "ModelSpec", "DatasetSpec", "STAGES",
    "PluginError", "PluginWarning", "PluginInfo",
    "register", "unregister", "list", "format_plugins", "reset", "is_loaded", "generation",
    "ops", "scalar_ops", "rewrites", "backends", "kernels", "models", "datasets", "backend_for_device",
]

_manager = PluginManager()  # the one piece of global state; loads on first use


def _loaded() -> PluginManager:
    _manager.load()
    return _manager


def register(obj: Any, name: Optional[str] = None) -> str:
    """Register a plugin object in code (a module or an object with hooks).

    ``name`` defaults to the module's ``__name__`` or the object's class
    name. Returns the name. Raises :class:`PluginError` (and keeps nothing
    of ``obj``) if a hook raises, a record is invalid or a name is taken.
    """
    name = name or getattr(obj, "__name__", None) or type(obj).__name__
    _loaded().add(obj, name, str(getattr(obj, "__version__", "n/a")))
    return name


def plugin_of_traceback(tb: Any) -> Optional[Tuple[str, bool]]:
    """``(name, bundled)`` of the plugin whose code raised the exception with
    traceback ``tb`` (its innermost plugin frame), or None: lets the command line
    name the plugin behind a failure."""
    return _manager.plugin_of_traceback(tb)


def unregister(name: str) -> None:
    """Forget plugin ``name`` and everything it registered."""
    _loaded().remove(name)


def list() -> List[PluginInfo]:  # noqa: A001 -- the SPEC's name, shadowing the builtin here
    """Every plugin -- loaded, failed or disabled -- with what it registered."""
    return _loaded().infos()


def format_plugins() -> str:
    """The table ``framework plugins`` prints: name, version, status, records.

    A backend that cannot run here is shown as unavailable, with the reason
    its ``available`` object gives (``available.reason()``) when it has one.
    Lists are wrapped to the terminal's width.
    """
    import shutil

    manager = _loaded()
    unavailable: Dict[str, str] = {}
    for name, spec in manager.registry("backends").items():
        try:
            ok = bool(spec.available())
        except Exception as exc:  # available() must not raise; if it does, that is the reason
            ok, why = False, f"{type(exc).__name__}: {exc}"
        else:
            why = ""
        if not ok:
            reason = getattr(spec.available, "reason", None)
            if not why and callable(reason):
                try:
                    why = str(reason())
                except Exception as exc:
                    why = f"{type(exc).__name__}: {exc}"
            unavailable[name] = why or "not available on this machine"
    width = min(shutil.get_terminal_size((100, 24)).columns, 120)
    return format_infos(manager.infos(), unavailable=unavailable, width=width)


def ops() -> Dict[str, OpSpec]:
    """Registered ops, name -> :class:`OpSpec` (a copy)."""
    return _loaded().registry("ops")


def scalar_ops() -> Dict[str, ScalarOpSpec]:
    """Registered element-wise rows, name -> :class:`ScalarOpSpec` (a copy)."""
    return _loaded().registry("scalar_ops")


def rewrites() -> List[RewriteSpec]:
    """Registered rewrites in registration order (a copy)."""
    return builtins.list(_loaded().registry("rewrites").values())


def backends() -> Dict[str, BackendSpec]:
    """Registered backends, name -> :class:`BackendSpec` (a copy)."""
    return _loaded().registry("backends")


def kernels() -> Dict[Tuple[str, str], KernelSpec]:
    """Registered kernels, ``(op, backend)`` -> :class:`KernelSpec` (a copy)."""
    return _loaded().registry("kernels")


def models() -> Dict[str, ModelSpec]:
    """Registered model families, name -> :class:`ModelSpec` (a copy)."""
    return _loaded().registry("models")


def datasets() -> Dict[str, DatasetSpec]:
    """Registered datasets, name -> :class:`DatasetSpec` (a copy)."""
    return _loaded().registry("datasets")


def backend_for_device(device: str) -> BackendSpec:
    """The backend serving ``device``, matched by prefix (``'cuda:1'`` -> ``'cuda'``).

    Raises :class:`PluginError` listing the known devices and their plugins.
    """
    return _loaded().backend_for_device(device)


def is_loaded() -> bool:
    """Whether the plugins have been loaded (asking any registry loads them)."""
    return _manager._loaded


def generation() -> Tuple[int, int]:
    """Changes whenever a plugin is registered or unregistered, or after
    :func:`reset`: caches built from the registries (a backend's kernel
    table) compare it to know when to rebuild."""
    manager = _loaded()
    return (id(manager), manager.generation)


def reset() -> None:
    """Forget every plugin and record; the next call loads entry points again.

    For tests (and long sessions that installed a plugin).
    """
    global _manager
    _manager = PluginManager()

"""Datasets registered by plugins, loaded by name or by path.

``load(name_or_path, **options)``:

* a registered name (``'digits'``, ``'mnist'``, ``'bars_and_stripes'``,
  ``'npz'``, or any a plugin added through ``framework_datasets()``) calls
  that dataset's loader with ``options``;
* otherwise a path: ``*.npz`` is loaded by the ``npz`` dataset, a pickle
  (``*.pkl.gz``, ``*.pkl``) or a directory holding the IDX files by the
  ``mnist`` dataset (``path=`` is filled in for you).

Anything else is an :class:`UnknownDatasetError` listing what is known. The
loaders themselves raise their own errors (``DatasetError`` of the bundled
plugin) for files that are missing or malformed. The kernel never imports a
plugin: even the path forms go through the registry.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from . import plugins as _plugins
from .core.errors import FrameworkError

__all__ = ["UnknownDatasetError", "load", "list", "specs", "resolve"]


class UnknownDatasetError(FrameworkError, KeyError):
    """No registered dataset has that name and it does not look like a data file."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def specs() -> Dict[str, _plugins.DatasetSpec]:
    """Every registered dataset: name -> :class:`~framework.plugins.DatasetSpec`."""
    return _plugins.datasets()


def list() -> List[str]:  # noqa: A001 -- the registry's listing
    """The names of the registered datasets, sorted."""
    return sorted(specs())


def _known_text(registered: Dict[str, Any]) -> str:
    return ", ".join(sorted(registered)) or "none (no dataset plugin is loaded)"


def resolve(name_or_path: Any) -> tuple:
    """Which registered dataset ``load`` would use: ``(dataset name, extra options)``.

    Raises :class:`UnknownDatasetError` for a name that is neither registered
    nor a recognisable path.
    """
    registered = specs()
    if isinstance(name_or_path, str) and name_or_path in registered:
        return name_or_path, {}
    try:
        path = os.fspath(name_or_path)
    except TypeError:
        raise UnknownDatasetError(
            f"dataset must be a name or a path, got {type(name_or_path).__name__}; "
            f"known datasets: {_known_text(registered)}") from None
    lowered = path.lower()
    target: Optional[str] = None
    if lowered.endswith(".npz"):
        target = "npz"
    elif lowered.endswith((".pkl.gz", ".pkl")) or os.path.isdir(path):
        target = "mnist"
    if target is None:
        raise UnknownDatasetError(
            f"unknown dataset {path!r}: known datasets are {_known_text(registered)}, or give a path "
            "to a .npz file, an MNIST pickle (mnist.pkl.gz) or a directory of MNIST IDX files")
    if target not in registered:
        raise UnknownDatasetError(
            f"cannot load {path!r}: it needs the {target!r} dataset, which no loaded plugin registers "
            f"(known datasets: {_known_text(registered)})")
    return target, {"path": path}


def load(name_or_path: Any, **options: Any) -> Any:
    """Load a dataset by registered name or by path (see the module docstring).

    For the bundled datasets the result is a ``Dataset`` with ``train``,
    ``valid`` and ``test`` splits of ``(x, y)`` float features and int labels.
    """
    name, extra = resolve(name_or_path)
    record = specs()[name]
    return record.load(**{**extra, **options})

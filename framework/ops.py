"""Ops contributed by plugins: ``framework.ops.<name>(...)`` builds their outputs."""
from __future__ import annotations

from typing import Any, List


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    from . import plugins

    spec = plugins.ops().get(name)
    if spec is None:
        known = ", ".join(sorted(plugins.ops())) or "none"
        raise AttributeError(f"framework.ops has no op {name!r} (ops registered by plugins: {known})")
    return spec.build


def __dir__() -> List[str]:
    from . import plugins

    return sorted(plugins.ops())

"""Ops contributed by plugins (``framework_ops`` and ``framework_scalar_ops``):
``framework.ops.<name>(...)`` builds their outputs."""
from __future__ import annotations

from typing import Any, List


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    from . import plugins

    spec = plugins.ops().get(name)
    if spec is not None:
        return spec.build
    if name in plugins.scalar_ops():
        return _elementwise(name)
    known = ", ".join(sorted(set(plugins.ops()) | set(plugins.scalar_ops()))) or "none"
    raise AttributeError(f"framework.ops has no op {name!r} (ops registered by plugins: {known})")


def _elementwise(name: str) -> Any:
    from .core.elemwise import apply

    def build(*inputs: Any) -> Any:
        return apply(name, *inputs)

    build.__name__ = name
    return build


def __dir__() -> List[str]:
    from . import plugins

    return sorted(set(plugins.ops()) | set(plugins.scalar_ops()))

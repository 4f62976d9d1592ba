"""Names the compatibility layer takes from plugins' ops (``framework.ops``), resolved at call time.

The kernel never imports a plugin: ``theano.tensor.nnet.conv2d`` looks the op
up in the plugin registry when it is called, and without such a plugin says
clearly that it is not yet available (never an AttributeError from deep inside).
"""
from __future__ import annotations

from typing import Any, Callable

from ...core.errors import FrameworkError


class NotAvailableError(FrameworkError, NotImplementedError):
    """A Theano name whose op no installed plugin registers."""


def plugin_function(op_name: str, theano_name: str) -> Callable[..., Any]:
    """A function that calls the registered op ``op_name`` (an ``OpSpec``'s build)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        from ... import plugins

        spec = plugins.ops().get(op_name)
        if spec is None:
            raise NotAvailableError(
                f"{theano_name} is not yet available: no installed plugin registers the {op_name!r} op "
                "(it comes with the convolution plugin; `framework plugins` lists what is installed)")
        return spec.build(*args, **kwargs)

    call.__name__ = op_name
    call.__qualname__ = op_name
    call.__doc__ = f"Theano's ``{theano_name}``: the {op_name!r} op of the plugin that registers it."
    return call

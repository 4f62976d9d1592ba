"""The linear model family: ``LinearRegression`` and ``LogisticRegression``.

A bundled plugin registered exactly as a third party's would be: through the
``framework.plugins`` entry point and the ``framework_models()`` hook. It
gives ``framework.models.LinearRegression`` / ``LogisticRegression`` and the
commands ``framework train linear`` and ``framework train logistic``.
"""
from __future__ import annotations

from typing import Iterator

from framework.plugins import ModelSpec, hookimpl

from .models import LinearRegression, LogisticRegression

__version__ = "0.1.0"
__all__ = ["LinearRegression", "LogisticRegression", "framework_models"]


def _add_linear(parser):
    from .cli import add_linear_arguments

    add_linear_arguments(parser)


def _train_linear(args):
    from .cli import train_linear

    return train_linear(args)


def _add_logistic(parser):
    from .cli import add_logistic_arguments

    add_logistic_arguments(parser)


def _train_logistic(args):
    from .cli import train_logistic

    return train_logistic(args)


@hookimpl
def framework_models() -> Iterator[ModelSpec]:
    yield ModelSpec(name="linear", factory=LinearRegression, add_arguments=_add_linear, train=_train_linear,
                    metrics=(("mse", "min"),),
                    doc="Least-squares linear regression (squared error, optional L1/L2 penalties).")
    yield ModelSpec(name="logistic", factory=LogisticRegression, add_arguments=_add_logistic,
                    train=_train_logistic,
                    metrics=(("valid_error", "min"), ("test_error", "min")),
                    doc="Logistic regression: binary (sigmoid) or multi-class (softmax), optional L1/L2.")

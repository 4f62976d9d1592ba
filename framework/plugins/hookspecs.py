"""The hooks a framework plugin can implement.

A plugin is a module (or any object) with functions marked ``@hookimpl``,
named after the hooks below. Each hook takes no arguments and returns (or
yields) registration records from :mod:`framework.plugins.records`::

    # myplug.py
    from framework.plugins import hookimpl, DatasetSpec

    @hookimpl
    def framework_datasets():
        yield DatasetSpec(name="ones", load=lambda n=10: [1.0] * n)

Make it discoverable by declaring an entry point in the group
``framework.plugins`` (``pyproject.toml``)::

    [project.entry-points."framework.plugins"]
    myplug = "myplug"

or register it in code with ``framework.plugins.register(myplug)``.

The manager calls each plugin's hooks once, checks every record, notes which
plugin gave it (``record.plugin``) and files it by name. A hook that raises,
an invalid record or a name another plugin already took makes the whole
plugin fail: none of its records are kept, it is reported with the reason by
``framework plugins``, and everything else keeps working.
"""
from __future__ import annotations

from typing import Iterable

import pluggy

from .records import BackendSpec, DatasetSpec, KernelSpec, ModelSpec, OpSpec, RewriteSpec, ScalarOpSpec

PROJECT = "framework"
"""The pluggy project name; hook functions are named ``framework_<registry>``."""

hookspec = pluggy.HookspecMarker(PROJECT)
"""Marks a hook specification (used only here)."""

hookimpl = pluggy.HookimplMarker(PROJECT)
"""Marks a plugin's implementation of one of the hooks below."""


@hookspec
def framework_ops() -> Iterable[OpSpec]:
    """New ops, each reachable as ``framework.ops.<name>``.

    ``OpSpec(name, build)``: ``build(*args, **kwargs)`` builds the op's
    output variable(s); the op it builds carries its type rule, gradient and
    reference implementation, so it takes part in ``grad``, printing and
    rewrites like a built-in op. Op names are global: two plugins giving the
    same name is an error naming both.
    """


@hookspec
def framework_scalar_ops() -> Iterable[ScalarOpSpec]:
    """Element-wise ops as rows of the element-wise table (:class:`ScalarOpSpec`):
    each fuses with its neighbours, prints, differentiates and is reachable as
    ``framework.ops.<name>``. A name taken by a built-in row or another plugin
    is an error naming both.
    """


@hookspec
def framework_rewrites() -> Iterable[RewriteSpec]:
    """Graph rewrites, each in a named stage.

    Standard stages run in the order of :data:`framework.plugins.STAGES`
    (``canonicalize``, ``stabilize``, ``specialize``, ``fusion``,
    ``inplace``). A new stage is created by the first rewrite that names it,
    which must give exactly one of ``before=`` or ``after=`` naming a stage
    that already exists (a standard one or one created by an earlier
    rewrite). ``function(..., mode=Mode(excluding=[name]))`` turns one off.
    """


@hookspec
def framework_backends() -> Iterable[BackendSpec]:
    """Device backends.

    ``BackendSpec(name, devices, available, create)``: ``devices`` are the
    device prefixes it serves (``('cuda',)`` serves ``'cuda:0'``,
    ``'cuda:1'``, ...); ``available()`` must be cheap and never raise
    (return ``False`` when, say, the driver is missing); ``create(device)``
    returns the backend object that stores arrays, runs kernels and draws
    random numbers for that device.
    """


@hookspec
def framework_kernels() -> Iterable[KernelSpec]:
    """Kernels: how a backend runs an op.

    ``KernelSpec(name, op, backend, build)`` gives ``backend`` a kernel for
    the op named ``op`` -- a plugin's own op on an existing backend, or an
    existing op on the plugin's own backend. Kernels are keyed by
    ``(op, backend)``; two plugins giving the same pair is an error.
    """


@hookspec
def framework_models() -> Iterable[ModelSpec]:
    """Model families, reachable as ``framework.models.get(name)``.

    ``ModelSpec(name, factory, ...)``: ``factory`` is usually the model
    class (also exposed as ``framework.models.<ClassName>``); the optional
    ``add_arguments``/``train`` and ``add_sample_arguments``/``sample``
    plug the family into ``framework train <name>`` and
    ``framework sample <name>``.
    """


@hookspec
def framework_datasets() -> Iterable[DatasetSpec]:
    """Datasets, reachable as ``framework.datasets.load(name, **options)``.

    ``DatasetSpec(name, load)``: ``load(**options)`` returns the data. Keep
    the hook itself cheap: do the work (downloads, decoding) inside ``load``.
    """

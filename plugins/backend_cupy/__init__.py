"""The CUDA backend: the whole framework on an NVIDIA GPU through CuPy.

A plugin like any other (entry point ``backend_cupy``): it registers the
backend ``cupy`` for the devices ``cuda`` and ``cuda:N``, and a few kernels.
Install CuPy with the extra matching the CUDA driver: ``pip install 'framework[cuda13]'``
(or ``[cuda12]``; ``[cuda]`` is an alias of ``[cuda12]``).

Where CuPy or a GPU is missing the plugin still loads; the backend reports
itself unavailable with the reason (``available.reason()``), and asking for a
``cuda`` device fails with a clear message instead of a traceback. Nothing
here imports CuPy until a ``cuda`` device is created.

See docs/backends.md for how it works: host-side shape bookkeeping, fused
``ElementwiseKernel``s, the Philox random streams, CUDA-graph scans.
"""
from __future__ import annotations

from typing import Any

from framework.plugins import BackendSpec, KernelSpec, hookimpl

from .availability import INSTALL_HINT, Availability, available

__version__ = "0.1.0"


def create(device: str) -> Any:
    """The backend object for ``'cuda'`` or ``'cuda:N'`` (imports CuPy)."""
    from .backend import CupyBackend

    return CupyBackend(device)


@hookimpl
def framework_backends():
    yield BackendSpec(
        name="cupy",
        devices=("cuda",),
        available=available,
        create=create,
        doc=f"CuPy on an NVIDIA GPU ({INSTALL_HINT})",
    )


@hookimpl
def framework_kernels():
    from .kernels import KERNELS

    for name, op, op_type, build, doc in KERNELS:
        yield KernelSpec(name=name, op=op, backend="cupy", build=build, doc=doc, op_type=op_type)


__all__ = ["create", "available", "Availability", "INSTALL_HINT"]
